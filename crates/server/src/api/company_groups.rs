//! `/api/company-groups`: a reseller's groups of the companies it manages.
//!
//! Groups belong to the named company or the caller's own; members must be companies below the
//! owner. Participants are added by `PUT …/participants` and removed by `DELETE
//! …/participants`, with the body either `{companyResourceIdArray: […]}` (the contract) or a
//! bare array (the platform's guides).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::StreamExt;
use latchkey_domain::authz::{Caller, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::company_groups::{
    CompanyGroupDto, CompanyGroupRequest, CompanyGroupSearchDto,
    GetCompaniesByGroupResourceIdsRequest, GroupCompanyDto,
};
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{BulkDeleteRequest, PagedResults, SearchRequest};
use latchkey_store::company_groups::GroupRow;

use super::export;
use super::json::JsonBody;
use crate::auth::scope::{Reaching, Scoped};
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "Company Group";

#[utoipa::path(post, path = "/api/company-groups", tag = TAG, summary = "Creates a new company group",
    request_body = CompanyGroupRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped {
        caller,
        scope: owner,
        ..
    }: Scoped,
    JsonBody(body): JsonBody<CompanyGroupRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let name = valid_name(body.name.as_deref())?;
    let members = members(
        &state,
        &caller,
        &owner,
        body.company_resource_id_array
            .as_deref()
            .unwrap_or_default(),
    )
    .await?;
    let id = state.store.create_group(&owner, &name, &members).await?;
    Ok(ok(IdResult {
        resource_id: id.to_string(),
    }))
}

#[utoipa::path(get, path = "/api/company-groups", tag = TAG, summary = "Retrieves all company groups",
    responses((status = 200, body = ServiceResult<Vec<CompanyGroupDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Scoped { scope: owner, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<CompanyGroupDto>>>> {
    let groups = state.store.groups(&owner.as_reach()).await?;
    Ok(ok(groups.into_iter().map(dto).collect()))
}

#[utoipa::path(get, path = "/api/company-groups/{resourceId}", tag = TAG, summary = "Retrieves an existing company group",
    params(("resourceId" = String, Path)), responses((status = 200, body = ServiceResult<CompanyGroupDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<CompanyGroupDto>>> {
    Ok(ok(dto(find(&state, &reach, &id).await?)))
}

#[utoipa::path(put, path = "/api/company-groups/{resourceId}", tag = TAG, summary = "Updates a company group",
    params(("resourceId" = String, Path)), request_body = CompanyGroupRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CompanyGroupRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &reach, &id).await?;
    let name = valid_name(body.name.as_deref())?;
    let owner = caller.scope_for(group.owner.clone())?;
    state.store.rename_group(&owner, &group, &name).await?;
    if let Some(ids) = body
        .company_resource_id_array
        .as_deref()
        .filter(|ids| !ids.is_empty())
    {
        let members = members(&state, &caller, &owner, ids).await?;
        state
            .store
            .add_group_members(&owner, &group, &members)
            .await?;
        state.clients_changed().await?;
    }
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

#[utoipa::path(delete, path = "/api/company-groups/{resourceId}", tag = TAG, summary = "Deletes a company group",
    params(("resourceId" = String, Path)), responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &reach, &id).await?;
    let owner = caller.scope_for(group.owner.clone())?;
    state
        .store
        .delete_groups(&owner, std::slice::from_ref(&group))
        .await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

/// Deletes the listed groups, or with `selectAll` every group matching `filter` except
/// `excludedItems`.
#[utoipa::path(delete, path = "/api/company-groups/bulk-delete", tag = TAG, summary = "Bulk delete company groups",
    request_body = BulkDeleteRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Scoped { scope: owner, .. }: Scoped,
    JsonBody(body): JsonBody<BulkDeleteRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let groups: Vec<GroupRow> = if body.select_all.unwrap_or(false) {
        let excluded = body.excluded_items.clone().unwrap_or_default();
        let matching = state
            .store
            .groups_matching(&owner.as_reach(), body.filter.clone())
            .await?;
        matching
            .into_iter()
            .filter(|g| !excluded.contains(&g.resource_id))
            .collect()
    } else {
        let mut groups = Vec::new();
        for id in body.items.iter().flatten() {
            groups.push(find(&state, &owner.as_reach(), id).await?);
        }
        groups
    };
    state.store.delete_groups(&owner, &groups).await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: groups.len().to_string(),
    }))
}

#[utoipa::path(post, path = "/api/company-groups/search", tag = TAG, summary = "Searchs company groups of company",
    request_body = SearchRequest, responses((status = 200, body = ServiceResult<PagedResults<CompanyGroupSearchDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope: owner, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<CompanyGroupSearchDto>>>> {
    search_page(&state, &owner.as_reach(), None, &request).await
}

#[utoipa::path(post, path = "/api/company-groups/search-with-parent", tag = TAG,
    summary = "Searchs company groups of company and parent companies",
    request_body = SearchRequest, responses((status = 200, body = ServiceResult<PagedResults<CompanyGroupSearchDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search_with_parent(
    State(state): State<AppState>,
    Scoped { scope: owner, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<CompanyGroupSearchDto>>>> {
    search_page(&state, &owner.as_reach(), Some(owner.company()), &request).await
}

#[utoipa::path(post, path = "/api/company-groups/search/export", tag = TAG, summary = "Exports the list of company groups",
    request_body = SearchRequest, responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Scoped { scope: owner, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let rows = state
        .store
        .export_groups(&owner.as_reach(), &request)?
        .map(|g| {
            g.map(|g| {
                vec![
                    g.name,
                    g.resource_id,
                    g.company_count.to_string(),
                    millis_to_rfc3339(g.create_time),
                ]
            })
        });
    export::respond(
        format,
        "company-groups",
        &["Group Name", "Group ID", "Companies", "Date Created"],
        rows,
    )
    .await
}

#[utoipa::path(post, path = "/api/company-groups/{resourceId}/companies/search", tag = TAG,
    summary = "Retrieves a list of companies in the given company group",
    params(("resourceId" = String, Path)), request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<GroupCompanyDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn companies_search(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<GroupCompanyDto>>>> {
    let group = find(&state, &reach, &id).await?;
    let (rows, total, page) = state.store.search_group_companies(&group, &request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter().map(company_dto).collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

#[utoipa::path(post, path = "/api/company-groups/{resourceId}/companies/search/export", tag = TAG,
    summary = "Exports a list of given group's companies",
    params(("resourceId" = String, Path)), request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn companies_export(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let group = find(&state, &reach, &id).await?;
    let rows = state
        .store
        .export_group_companies(&group, &request)?
        .map(|r| {
            r.map(|r| {
                let d = company_dto(r);
                vec![
                    d.company_name,
                    d.company_resource_id,
                    d.industry_name.unwrap_or_default(),
                    d.license_type_name.unwrap_or_default(),
                    d.number_of_users.to_string(),
                    d.company_status_name,
                    d.create_time,
                ]
            })
        });
    export::respond(
        format,
        "company-group-companies",
        &[
            "Company Name",
            "Company ID",
            "Industry",
            "License Type",
            "License Limit",
            "Status",
            "Date Created",
        ],
        rows,
    )
    .await
}

#[utoipa::path(put, path = "/api/company-groups/{resourceId}/participants", tag = TAG,
    summary = "Adds companies in the given array to a company group",
    params(("resourceId" = String, Path)), request_body = CompanyGroupRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn add_participants(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &reach, &id).await?;
    let owner = caller.scope_for(group.owner.clone())?;
    let members = members(&state, &caller, &owner, &participant_ids(body)?).await?;
    state
        .store
        .add_group_members(&owner, &group, &members)
        .await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

#[utoipa::path(delete, path = "/api/company-groups/{resourceId}/participants", tag = TAG,
    summary = "Removes companies in the given array from a company group",
    params(("resourceId" = String, Path)), request_body = CompanyGroupRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn remove_participants(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &reach, &id).await?;
    let owner = caller.scope_for(group.owner.clone())?;
    let members = members(&state, &caller, &owner, &participant_ids(body)?).await?;
    state
        .store
        .remove_group_members(&owner, &group, &members)
        .await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

/// `{companyResourceIdArray: [...]}` or a bare array of ids.
fn participant_ids(body: serde_json::Value) -> ApiResult<Vec<String>> {
    let list = match body {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut o) => match o.remove("companyResourceIdArray") {
            Some(serde_json::Value::Array(items)) => items,
            _ => {
                return Err(ApiError::input(vec![
                    "companyResourceIdArray must be a list of company ids".into(),
                ]));
            }
        },
        _ => {
            return Err(ApiError::input(vec![
                "The body must be a list of company ids or {companyResourceIdArray}".into(),
            ]));
        }
    };
    list.into_iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| ApiError::input(vec!["Company ids must be strings".into()]))
        })
        .collect()
}

/// The companies in any of the listed groups, as resource ids, each once. Every group must be
/// one the caller (or the named company) owns or manages: otherwise 404, as for a single group.
#[utoipa::path(post, path = "/api/companies/get-with-groups", tag = "Company",
    summary = "Retrieves the companies by group resource ids",
    request_body = GetCompaniesByGroupResourceIdsRequest,
    responses((status = 200, body = ServiceResult<Vec<String>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn companies_of_groups(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    JsonBody(body): JsonBody<GetCompaniesByGroupResourceIdsRequest>,
) -> ApiResult<Json<ServiceResult<Vec<String>>>> {
    let mut groups = Vec::new();
    for id in body.company_group_resource_ids.iter().flatten() {
        groups.push(find(&state, &reach, id).await?);
    }
    Ok(ok(state.store.group_member_ids(&groups).await?))
}

/// The group `id` among those owned within `reach`, or 404.
async fn find(state: &AppState, reach: &Reach, id: &str) -> ApiResult<GroupRow> {
    let not_found = || ApiError::not_found(format!("Company group {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state.store.group(reach, &rid).await?.ok_or_else(not_found)
}

pub(super) fn valid_name(name: Option<&str>) -> ApiResult<String> {
    let name = name.map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::input(vec![
            "Group name must be between 1 and 64 characters".into(),
        ]));
    }
    Ok(name.to_owned())
}

/// Resolves member ids: each must be a company strictly below the group's owner, and one the
/// caller may act on.
async fn members(
    state: &AppState,
    caller: &Caller,
    owner: &CompanyScope,
    ids: &[String],
) -> ApiResult<Vec<CompanyScope>> {
    let mut members: Vec<CompanyScope> = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        let company = match ResourceId::parse(id) {
            Some(rid) => state.store.find_company(&rid).await?,
            None => None,
        };
        let member = company
            .filter(|c| owner.company().contains(c) && c.id != owner.company_id())
            .and_then(|c| caller.scope_for(c).ok());
        match member {
            Some(m) if !members.iter().any(|k| k.company_id() == m.company_id()) => members.push(m),
            Some(_) => {}
            None => errors.push(format!(
                "Company {id} is not one this group's owner manages"
            )),
        }
    }
    if errors.is_empty() {
        Ok(members)
    } else {
        Err(ApiError::input(errors))
    }
}

async fn search_page(
    state: &AppState,
    owners: &Reach,
    with_parents_of: Option<&latchkey_domain::authz::CompanyRef>,
    request: &SearchRequest,
) -> ApiResult<Json<ServiceResult<PagedResults<CompanyGroupSearchDto>>>> {
    let (rows, total, page) = state
        .store
        .search_groups(owners, with_parents_of, request)
        .await?;
    let results = rows.into_iter().map(search_dto).collect();
    Ok(ok(PagedResults::new(
        results,
        total,
        page.page_number,
        page.page_size,
    )))
}

/// A row of a group search.
pub(super) fn search_dto(g: GroupRow) -> CompanyGroupSearchDto {
    CompanyGroupSearchDto {
        resource_id: g.resource_id,
        name: g.name,
        company_count: g.company_count,
        create_time: millis_to_rfc3339(g.create_time),
    }
}

fn dto(g: GroupRow) -> CompanyGroupDto {
    CompanyGroupDto {
        resource_id: g.resource_id,
        name: g.name,
        added_time: millis_to_rfc3339(g.create_time),
        company_count: g.company_count,
    }
}

fn company_dto(r: latchkey_store::company_groups::GroupCompanyRow) -> GroupCompanyDto {
    GroupCompanyDto {
        company_name: r.name,
        company_resource_id: r.resource_id,
        industry_resource_id: r.industry_resource_id,
        industry_name: r.industry_name,
        license_type_resource_id: r.license_type_resource_id,
        license_type_name: r.license_type_name,
        is_number_of_users_limited: r.is_number_of_users_limited,
        number_of_users: r.number_of_users,
        license_end_date: r.license_end_date.map(millis_to_rfc3339),
        create_time: millis_to_rfc3339(r.create_time),
        company_status_id: r.status_id,
        company_status_name: latchkey_proto::clients::status_name(r.status_id).to_owned(),
    }
}
