//! `/api/scim`: a company's SCIM integrations, the management side of SCIM provisioning.
//!
//! Creating an integration answers its bearer token and the SCIM service's `baseUrl` (DESIGN
//! decision 6): the token is `<integration id>.<43 random base62 characters>` (256 bits), shown
//! only there and by `revoke`, and stored as a keyed digest like REST API client secrets.
//! `revoke` replaces the digest, so the old token stops at once. The name is 1 to 30
//! characters and unique in the company ignoring case (409). The optional target group must
//! be the company's (another company's id is not found); field mappings write a SCIM attribute
//! of `GET /api/scim/fields` to a custom field of the company. Group By
//! (`groupBySCIMFieldResourceId`) sorts provisioned users into one target group per value of
//! the department or of a mapped field; users without a value join the integration's group.
//! The service itself is [`crate::scim`].

use axum::Json;
use axum::extract::{Path, State};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::secret::ClientSecret;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::scim::{
    CreateScimIntegrationRequest, ScimDetailDto, ScimFieldDto, ScimFieldListDto,
    ScimIntegrationTokenDto, ScimMappingDetailDto, ScimSettingSearchView,
    UpdateScimIntegrationRequest,
};
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_store::scim::{IntegrationRow, NewIntegration};

use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::scim::schema::{DEPARTMENT_PATH, MAPPABLE_FIELDS};
use crate::state::AppState;

const TAG: &str = "SCIM";
const NAME_MAX: usize = 30;

/// A new token for integration `id`, and its digest.
fn new_token(state: &AppState, id: &ResourceId) -> (String, [u8; 32]) {
    let token = format!("{id}.{}", ClientSecret::generate().expose());
    let digest = *state
        .scim_hasher
        .digest(&ClientSecret::presented(&token))
        .as_bytes();
    (token, digest)
}

fn base_url(state: &AppState) -> String {
    format!(
        "{}{}",
        state.config.public_url_for(&state.issuer),
        crate::scim::BASE_PATH
    )
}

fn name(raw: Option<&str>) -> ApiResult<String> {
    let name = raw.map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(ApiError::input(vec![format!(
            "Name must be between 1 and {NAME_MAX} characters"
        )]));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::input(vec![
            "Name must not contain control characters".to_owned(),
        ]));
    }
    Ok(name.to_owned())
}

#[utoipa::path(post, path = "/api/scim", tag = TAG, summary = "Creates a new scim integration",
    request_body = CreateScimIntegrationRequest,
    responses((status = 200, body = ServiceResult<ScimIntegrationTokenDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<CreateScimIntegrationRequest>,
) -> ApiResult<Json<ServiceResult<ScimIntegrationTokenDto>>> {
    let name = name(body.name.as_deref())?;
    let group = match body
        .group_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        Some(id) => {
            let not_found = || ApiError::not_found(format!("Target group {id} was not found"));
            let rid = ResourceId::parse(id).ok_or_else(not_found)?;
            Some(
                state
                    .store
                    .target_group(&scope, &rid)
                    .await?
                    .ok_or_else(not_found)?,
            )
        }
        None => None,
    };
    let mappings = mappings(&state, &scope, &body).await?;
    let group_by = group_by(body.group_by_scim_field_resource_id.as_deref(), &mappings)?;
    let id = ResourceId::generate();
    let (token, digest) = new_token(&state, &id);
    state
        .store
        .create_scim_integration(
            &scope,
            &NewIntegration {
                resource_id: &id,
                name: &name,
                group: group.as_ref(),
                sync_platform_group: body.sync_platform_group.unwrap_or(false),
                group_by_path: group_by,
                mappings,
                token_digest: &digest,
            },
        )
        .await?;
    Ok(ok(ScimIntegrationTokenDto {
        token,
        base_url: base_url(&state),
    }))
}

/// The path Group By names: the department, or a path the integration maps to a custom field
/// (the values of any other attribute are not kept, so they could not sort users later).
fn group_by(raw: Option<&str>, mappings: &[(String, i64)]) -> ApiResult<Option<&'static str>> {
    let id = raw.map(str::trim).unwrap_or("");
    if id.is_empty() {
        return Ok(None);
    }
    let Some((_, path)) = MAPPABLE_FIELDS.iter().find(|(field, _)| *field == id) else {
        return Err(ApiError::input(vec![format!(
            "groupBySCIMFieldResourceId '{id}' is not one of GET /api/scim/fields"
        )]));
    };
    if *path != DEPARTMENT_PATH && !mappings.iter().any(|(p, _)| p == path) {
        return Err(ApiError::input(vec![format!(
            "groupBySCIMFieldResourceId: Group By takes the department or a field this \
             integration maps to a custom field, and {path} is not mapped"
        )]));
    }
    Ok(Some(path))
}

/// What the API calls the Group By: the custom field the path fills, else the department.
fn group_by_name(path: Option<&str>, field: Option<String>) -> Option<String> {
    path.map(|_| field.unwrap_or_else(|| "Department".to_owned()))
}

/// The mappings of a create body as SCIM paths and custom field keys.
async fn mappings(
    state: &AppState,
    scope: &CompanyScope,
    body: &CreateScimIntegrationRequest,
) -> ApiResult<Vec<(String, i64)>> {
    let mut out: Vec<(String, i64)> = Vec::new();
    let mut errors = Vec::new();
    for m in body.field_mappings.iter().flatten() {
        let scim = m
            .scim_field_resource_id
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        let field = m
            .custom_field_resource_id
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        let Some((_, path)) = MAPPABLE_FIELDS.iter().find(|(id, _)| *id == scim) else {
            errors.push(format!(
                "scimFieldResourceId '{scim}' is not one of GET /api/scim/fields"
            ));
            continue;
        };
        let not_found = || ApiError::not_found(format!("Custom field {field} was not found"));
        let rid = ResourceId::parse(field).ok_or_else(not_found)?;
        let row = state
            .store
            .custom_field(scope, &rid)
            .await?
            .ok_or_else(not_found)?;
        if out.iter().any(|(p, _)| p == path) {
            errors.push(format!("SCIM field {path} is mapped more than once"));
            continue;
        }
        out.push(((*path).to_owned(), row.key));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::input(errors))
    }
}

#[utoipa::path(get, path = "/api/scim/fields", tag = TAG,
    summary = "Returns all available scim fields",
    responses((status = 200, body = ServiceResult<ScimFieldListDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn fields(Scoped { .. }: Scoped) -> ApiResult<Json<ServiceResult<ScimFieldListDto>>> {
    Ok(ok(ScimFieldListDto {
        fields: MAPPABLE_FIELDS
            .iter()
            .map(|(id, path)| ScimFieldDto {
                resource_id: (*id).to_owned(),
                name: (*path).to_owned(),
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/scim/search", tag = TAG,
    summary = "Returns a list of the scim integrations",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<ScimSettingSearchView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<ScimSettingSearchView>>>> {
    let (rows, total, page) = state
        .store
        .search_scim_integrations(&scope, &request)
        .await?;
    Ok(ok(PagedResults::new(
        rows.into_iter()
            .map(|r| ScimSettingSearchView {
                resource_id: r.resource_id,
                name: r.name,
                group_name: r.group_name,
                group_by_custom_field_name: group_by_name(
                    r.group_by_path.as_deref(),
                    r.group_by_field_name,
                ),
                create_time: millis_to_rfc3339(r.create_time),
            })
            .collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

async fn find(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<IntegrationRow> {
    let not_found = || ApiError::not_found(format!("SCIM integration {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .scim_integration(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

#[utoipa::path(get, path = "/api/scim/{resourceId}", tag = TAG,
    summary = "Retrieves the details of an existing scim setting",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<ScimDetailDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<ScimDetailDto>>> {
    let row = find(&state, &scope, &id).await?;
    Ok(ok(ScimDetailDto {
        resource_id: row.resource_id,
        name: row.name,
        group_name: row.group_name,
        group_resource_id: row.group_resource_id,
        group_by_custom_field_name: group_by_name(
            row.group_by_path.as_deref(),
            row.group_by_field_name,
        ),
        mapping_details: row
            .mappings
            .into_iter()
            .map(|m| ScimMappingDetailDto {
                scim_path: m.scim_path,
                custom_field_name: m.field_name,
            })
            .collect(),
        sync_platform_group: row.sync_platform_group,
        base_url: base_url(&state),
    }))
}

#[utoipa::path(put, path = "/api/scim/{resourceId}", tag = TAG,
    summary = "Updates an existing scim integration",
    params(("resourceId" = String, Path)), request_body = UpdateScimIntegrationRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateScimIntegrationRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let row = find(&state, &scope, &id).await?;
    let name = name(body.name.as_deref())?;
    state
        .store
        .rename_scim_integration(&scope, &row, &name)
        .await?;
    Ok(ok(IdResult {
        resource_id: row.resource_id,
    }))
}

#[utoipa::path(delete, path = "/api/scim/{resourceId}", tag = TAG,
    summary = "Deletes a scim integration",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let row = find(&state, &scope, &id).await?;
    state.store.delete_scim_integration(&scope, &row).await?;
    Ok(ok(IdResult {
        resource_id: row.resource_id,
    }))
}

/// A new token; the old one stops working with this call. Answered in a one-row
/// `PagedResults`, as the contract's spec has it.
#[utoipa::path(post, path = "/api/scim/{resourceId}/revoke", tag = TAG,
    summary = "Revokes the current token of the scim integration and generates a new token",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<PagedResults<ScimIntegrationTokenDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<PagedResults<ScimIntegrationTokenDto>>>> {
    let row = find(&state, &scope, &id).await?;
    let rid = ResourceId::from_stored(row.resource_id.clone());
    let (token, digest) = new_token(&state, &rid);
    state.store.set_scim_token(&scope, &row, &digest).await?;
    Ok(ok(PagedResults::new(
        vec![ScimIntegrationTokenDto {
            token,
            base_url: base_url(&state),
        }],
        1,
        1,
        1,
    )))
}
