//! `/api/companies`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use futures_util::StreamExt;
use latchkey_domain::authz::{Caller, CompanyScope};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::{millis_to_rfc3339, now_millis};
use latchkey_proto::ServiceResult;
use latchkey_proto::companies::{
    CheckCompanyLicenseDto, CompanyCreateForm, CompanyDto, CompanyLimitedForm, CompanyPagedResults,
    CompanyUpdateForm, GetCompanyLogoServiceResponse, GetMyCompaniesDto, NamedRef,
    SearchCompanyDto,
};
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{BulkDeleteRequest, SearchRequest};
use latchkey_store::companies::{CompanyDetails, CompanyNode, CompanyRecord, CompanySearchRow};

use super::company_form::{self, CompanyForm};
use super::export;
use super::json::JsonBody;
use crate::auth::bearer::Auth;
use crate::auth::scope::{CompanyInPath, Scoped};
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

/// The caller's company; for a reseller, with the companies it manages nested in `children`.
/// Naming a company (header or `?companyId=`) narrows the answer to that company's subtree.
#[utoipa::path(
    get,
    path = "/api/companies/my",
    tag = "Company",
    summary = "Retrieves the companies which can be simulated by user",
    responses((status = 200, body = ServiceResult<Vec<GetMyCompaniesDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn my(
    State(state): State<AppState>,
    Scoped { caller, scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<GetMyCompaniesDto>>>> {
    let nodes = state
        .store
        .companies_in_reach(&caller.reach_from(&scope))
        .await?;
    Ok(ok(into_tree(nodes)))
}

/// Nests rows (parents before children, as the store orders them) under their parents; the
/// top of the reach becomes the single root.
fn into_tree(nodes: Vec<CompanyNode>) -> Vec<GetMyCompaniesDto> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    let ids: std::collections::HashSet<i64> = nodes.iter().map(|n| n.reference.id).collect();
    let mut roots = Vec::new();
    let mut by_id = HashMap::new();
    for node in nodes {
        match node.parent_id.filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(node.reference.id),
            None => roots.push(node.reference.id),
        }
        by_id.insert(node.reference.id, node);
    }
    fn build(
        id: i64,
        by_id: &HashMap<i64, CompanyNode>,
        children: &HashMap<i64, Vec<i64>>,
    ) -> Option<GetMyCompaniesDto> {
        let node = by_id.get(&id)?;
        Some(GetMyCompaniesDto {
            name: node.reference.name.clone(),
            resource_id: node.reference.resource_id.to_string(),
            logo_url: node.logo_url.clone(),
            privacy_duration_id: 0,
            licence_expired: false,
            privacy_duration_start_time: None,
            privacy_duration_end_time: None,
            children: children
                .get(&id)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|c| build(*c, by_id, children))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
    roots
        .into_iter()
        .filter_map(|id| build(id, &by_id, &children))
        .collect()
}

const TAG: &str = "Company";

/// Companies the caller manages, with licence details: below the caller's company, or the named
/// company and below it.
#[utoipa::path(post, path = "/api/companies/search", tag = TAG, summary = "Retrieves a list of all companies",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<CompanyPagedResults>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped {
        caller,
        scope,
        named,
    }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<CompanyPagedResults>>> {
    let (rows, total, exceeded, page) = state
        .store
        .search_companies(&caller.reach_from(&scope), named, &request)
        .await?;
    Ok(ok(CompanyPagedResults {
        limit_exceeded_company_count: exceeded,
        page_number: page.page_number,
        page_size: page.page_size,
        total_number_of_pages: (total + page.page_size - 1) / page.page_size,
        total_number_of_records: total,
        results: rows.into_iter().map(search_dto).collect(),
    }))
}

const EXPORT_HEADERS: &[&str] = &[
    "Company Name",
    "Company ID",
    "Reseller",
    "Industry",
    "License Type",
    "License Limit",
    "Target Users",
    "Renewal Date",
    "Licence Expired",
    "Date Created",
];

#[utoipa::path(post, path = "/api/companies/search/export", tag = TAG, summary = "Exports the list of companies",
    request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Scoped {
        caller,
        scope,
        named,
    }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let rows = state
        .store
        .export_companies(&caller.reach_from(&scope), named, &request)?
        .map(|row| {
            row.map(|r| {
                let d = search_dto(r);
                vec![
                    d.company_name,
                    d.company_resource_id,
                    d.reseller_name.unwrap_or_default(),
                    d.industry_name.unwrap_or_default(),
                    d.license_type_name.unwrap_or_default(),
                    if d.is_number_of_users_limited {
                        d.number_of_users
                    } else {
                        "Unlimited".into()
                    },
                    d.target_user_count.to_string(),
                    d.license_end_date.unwrap_or_default(),
                    if d.licence_expired { "Yes" } else { "No" }.to_owned(),
                    d.create_time,
                ]
            })
        });
    export::respond(format, "companies", EXPORT_HEADERS, rows).await
}

#[utoipa::path(get, path = "/api/companies/{resourceId}", tag = TAG, summary = "Retrieves an existing company",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<CompanyDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    CompanyInPath { scope, .. }: CompanyInPath,
) -> ApiResult<Json<ServiceResult<CompanyDto>>> {
    let record = state.store.company_record(&scope).await?;
    Ok(ok(company_dto(record)))
}

/// Creates a company under the caller's company (or under the named reseller it manages).
#[utoipa::path(post, path = "/api/companies", tag = TAG, summary = "Creates a new company",
    request_body(content = CompanyCreateForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope: parent, .. }: Scoped,
    form: CompanyForm,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    if !parent.company().is_reseller {
        return Err(ApiError::forbidden(
            "Companies can only be created under a reseller",
        ));
    }
    let details = company_form::details(
        &state,
        &form,
        CompanyDetails {
            status_id: 1,
            ..Default::default()
        },
        company_form::Purpose::Create,
    )
    .await?;
    let company = state.store.create_company_with(&parent, &details).await?;
    Ok(ok(IdResult {
        resource_id: company.resource_id.to_string(),
    }))
}

/// Changes a company below the caller (a reseller cannot change its own licence).
#[utoipa::path(put, path = "/api/companies/{resourceId}", tag = TAG, summary = "Updates an existing company",
    params(("resourceId" = String, Path)),
    request_body(content = CompanyUpdateForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    CompanyInPath { caller, scope }: CompanyInPath,
    form: CompanyForm,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let scope = below_caller(&caller, scope)?;
    let current = state.store.company_record(&scope).await?;
    let details = company_form::details(
        &state,
        &form,
        current.details,
        company_form::Purpose::Update,
    )
    .await?;
    state.store.update_company(&scope, &details).await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: scope.company().resource_id.to_string(),
    }))
}

/// Changes a company's profile without its licence: the company's own administrators may, as
/// may those who manage it. Any other field of the company form is refused, not ignored.
#[utoipa::path(put, path = "/api/companies/limited", tag = TAG,
    summary = "Updates the profile of an existing company",
    request_body(content = CompanyLimitedForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update_limited(
    State(state): State<AppState>,
    Auth(caller): Auth,
    form: CompanyForm,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let resource_id = company_form::limited_resource_id(&form)?;
    let scope = named_scope(&state, &caller, &resource_id).await?;
    let current = state.store.company_record(&scope).await?;
    let details = company_form::details(
        &state,
        &form,
        current.details,
        company_form::Purpose::Limited,
    )
    .await?;
    state.store.update_company(&scope, &details).await?;
    state.clients_changed().await?;
    Ok(ok(IdResult { resource_id }))
}

/// Deletes a company below the caller with its clients, roles and groups; refused while it has
/// companies of its own.
#[utoipa::path(delete, path = "/api/companies/{resourceId}", tag = TAG, summary = "Deletes an existing company",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    CompanyInPath { caller, scope }: CompanyInPath,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let scope = below_caller(&caller, scope)?;
    state.store.delete_company(&scope).await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: scope.company().resource_id.to_string(),
    }))
}

/// Deletes the listed companies, or with `selectAll` every company below the caller (or below
/// and including the named company) that `filter` matches except `excludedItems`, all or none:
/// a reseller may go with the companies under it when they are listed too, and any refusal
/// (a company kept under a listed one, roles shared and still held) deletes nothing.
#[utoipa::path(delete, path = "/api/companies/bulk-delete", tag = TAG, summary = "Bulk delete companies",
    request_body = BulkDeleteRequest, responses((status = 200, body = ServiceResult<IdResult>,
        description = "`resourceId` is the number of companies deleted")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Scoped {
        caller,
        scope,
        named,
    }: Scoped,
    JsonBody(body): JsonBody<BulkDeleteRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let ids: Vec<String> = if body.select_all.unwrap_or(false) {
        let excluded = body.excluded_items.clone().unwrap_or_default();
        state
            .store
            .company_ids_matching(&caller.reach_from(&scope), named, body.filter.clone())
            .await?
            .into_iter()
            .filter(|id| !excluded.contains(id) && *id != caller.company().resource_id.as_str())
            .collect()
    } else {
        body.items.clone().unwrap_or_default()
    };
    let mut scopes = Vec::with_capacity(ids.len());
    for id in &ids {
        scopes.push(below_caller(
            &caller,
            named_scope(&state, &caller, id).await?,
        )?);
    }
    state.store.delete_companies(&scopes).await?;
    state.clients_changed().await?;
    tracing::info!(count = scopes.len(), "companies deleted in bulk");
    Ok(ok(IdResult {
        resource_id: scopes.len().to_string(),
    }))
}

#[utoipa::path(get, path = "/api/companies/{resourceId}/license-check", tag = TAG,
    summary = "Retrieves license information of company",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<CheckCompanyLicenseDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn license_check(
    State(state): State<AppState>,
    CompanyInPath { scope, .. }: CompanyInPath,
) -> ApiResult<Json<ServiceResult<CheckCompanyLicenseDto>>> {
    let record = state.store.company_record(&scope).await?;
    let limited = record.details.is_number_of_users_limited;
    Ok(ok(CheckCompanyLicenseDto {
        is_limited: limited,
        license_limit: record.details.number_of_users,
        active_user_count: record.target_user_count - record.inactive_target_user_count,
        total_user_count: record.target_user_count,
        is_license_exceeded: limited && record.target_user_count > record.details.number_of_users,
    }))
}

/// The company's uploaded logo (the company form's `File`), for the company itself and those
/// who manage it.
#[utoipa::path(get, path = "/api/companies/{resourceId}/logo", tag = TAG,
    summary = "Retrieves an existing company logo",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<GetCompanyLogoServiceResponse>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn logo(
    State(state): State<AppState>,
    CompanyInPath { scope, .. }: CompanyInPath,
) -> ApiResult<Json<ServiceResult<GetCompanyLogoServiceResponse>>> {
    let logo = state.store.company_logo(&scope).await?;
    Ok(ok(GetCompanyLogoServiceResponse {
        file_name: logo.as_ref().map(|l| l.file_name.clone()),
        file_content: logo.map(|l| base64::engine::general_purpose::STANDARD.encode(l.content)),
    }))
}

/// A company named in a body (bulk delete's items, the limited form's id): unknown or invalid
/// 404, not managed 403, as for a company named in the path.
async fn named_scope(
    state: &AppState,
    caller: &Caller,
    resource_id: &str,
) -> ApiResult<CompanyScope> {
    let id = ResourceId::parse(resource_id)
        .ok_or_else(|| ApiError::not_found(format!("Company {resource_id} was not found")))?;
    state.scope(caller, &id).await
}

/// Refuses the caller's own company: its licence and profile are its reseller's to change.
fn below_caller(caller: &Caller, scope: CompanyScope) -> ApiResult<CompanyScope> {
    if scope.company_id() == caller.company().id {
        return Err(ApiError::forbidden(
            "A company's licence and profile are managed by its reseller",
        ));
    }
    Ok(scope)
}

fn day(ms: Option<i64>) -> Option<String> {
    ms.map(millis_to_rfc3339)
}

pub(super) fn search_dto(r: CompanySearchRow) -> SearchCompanyDto {
    let expired = r.license_end_date.is_some_and(|end| end < now_millis());
    SearchCompanyDto {
        company_name: r.name,
        company_resource_id: r.resource_id.clone(),
        resource_id: r.resource_id,
        reseller_name: r.reseller_name,
        industry_name: r.industry_name,
        industry_resource_id: r.industry_resource_id,
        license_type_name: r.license_type_name,
        license_type_resource_id: r.license_type_resource_id,
        is_number_of_users_limited: r.is_number_of_users_limited,
        number_of_users: r.number_of_users.to_string(),
        privacy_duration_id: 0,
        licence_expired: expired,
        license_end_date: day(r.license_end_date),
        create_time: millis_to_rfc3339(r.create_time),
        target_user_count: r.target_user_count,
        children: r.children.into_iter().map(search_dto).collect(),
        tags: r.tags,
        deleted_target_user_count: r.deleted_target_user_count,
        inactive_target_user_count: r.inactive_target_user_count,
        monthly_active_user_count: r.monthly_active_user_count,
    }
}

fn company_dto(r: CompanyRecord) -> CompanyDto {
    let name = |key: &str| r.names.get(key).cloned().flatten();
    let d = &r.details;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    CompanyDto {
        resource_id: r.reference.resource_id.to_string(),
        name: d.name.clone(),
        description: d.description.clone(),
        industry_resource_id: some(&d.industry),
        industry_name: name("industry"),
        country_resource_id: some(&d.country),
        country_name: name("country"),
        country_code: r.country_code.clone(),
        address: d.address.clone(),
        website_url: d.website_url.clone(),
        logo_url: r.logo_url.clone(),
        license_type_resource_id: some(&d.license_type),
        license_type_name: name("license_type"),
        license_period_type_resource_id: some(&d.license_period_type),
        license_period_type_name: name("license_period_type"),
        license_start_date: day(d.license_start_date),
        license_end_date: day(d.license_end_date),
        is_number_of_users_limited: d.is_number_of_users_limited,
        number_of_users: d.number_of_users,
        notification_template_type_resource_id: d.notification_template_type.clone(),
        notification_template_type_name: name("notification_template_type"),
        training_content_type_resource_id: d.training_content_type.clone(),
        training_content_type_name: name("training_content_type"),
        smtp_configuration_type_resource_id: d.smtp_configuration_type.clone(),
        smtp_configuration_type_name: name("smtp_configuration_type"),
        preferred_language_type_resource_id: d.preferred_language_type.clone(),
        preferred_language_type_name: name("preferred_language_type"),
        is_version_visible: d.is_version_visible,
        is_release_notes_visible: d.is_release_notes_visible,
        release_notes_url: d.release_notes_url.clone(),
        company_groups: Vec::new(),
        parent_id: r.parent_id,
        base_man_hour_cost: d.base_man_hour_cost,
        base_man_hour: d.base_man_hour,
        status_id: d.status_id,
        status_name: latchkey_proto::clients::status_name(d.status_id).to_owned(),
        license_modules: r
            .license_module_names
            .iter()
            .map(|(id, name)| NamedRef {
                resource_id: id.clone(),
                name: name.clone(),
            })
            .collect(),
        target_user_count: r.target_user_count,
        time_zone_id: some(&d.time_zone_id),
        call_back_number_booking_count: d.call_back_number_booking_count,
        date_format: some(&d.date_format),
        time_format: some(&d.time_format),
        tags: d.tags.clone(),
        has_agentic_ai_license: false,
    }
}
