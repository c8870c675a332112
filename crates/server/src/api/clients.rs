//! `/api/companies/clients`: the "Company Settings → REST API" page.
//!
//! A client belongs to one company: the one named by `X-KEEPNET-Company-Id` (or
//! `X-IR-COMPANY-ID`, `?companyId=`), else the caller's own. Reads by id look inside the
//! caller's reach, so another tenant's client is simply not found. Every change is applied to
//! the live client view before the response is sent: a deactivated or deleted client's tokens,
//! and a narrowed allow-list, are refused from the next request on.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use latchkey_domain::authz::{CompanyScope, Reach};
use latchkey_domain::ids::{ClientId, ResourceId};
use latchkey_domain::ip::{INVALID_IP_MESSAGE, IpAllowList};
use latchkey_domain::secret::ClientSecret;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::clients::{
    ClientCredentialDto, ClientDto, ClientRequest, SearchClientDto, status_name,
};
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_store::clients::{
    ClientChanges, ClientSearchRow, NewClient, STATUS_ACTIVE, STATUS_INACTIVE,
};

use super::export;
use super::json::JsonBody;
use crate::auth::bearer::Auth;
use crate::auth::scope::{Reaching, Scoped};
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "Company Rest Api Client";

/// A new client id and a 256-bit secret. Nothing is stored: pass them to create (or to update,
/// to rotate). This response is the only place the secret is ever shown.
#[utoipa::path(get, path = "/api/companies/clients/generate-client-credentials", tag = TAG,
    summary = "Retrieves generated client credentials",
    responses((status = 200, body = ServiceResult<ClientCredentialDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn generate(Auth(_caller): Auth) -> Response {
    let credentials = ClientCredentialDto {
        client_id: ClientId::generate().as_str().to_owned(),
        client_secret: ClientSecret::generate().expose().to_owned(),
    };
    let mut response = ok(credentials).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[utoipa::path(post, path = "/api/companies/clients", tag = TAG,
    summary = "Creates a new client for company",
    request_body = ClientRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<ClientRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let valid = validate(&state, &scope, &body, Mode::Create).await?;
    let new = NewClient {
        name: valid.name,
        client_id: valid
            .client_id
            .ok_or_else(|| ApiError::internal("validated create without client id"))?,
        secret_digest: valid
            .secret_digest
            .ok_or_else(|| ApiError::internal("validated create without secret"))?,
        status_id: valid.status_id,
        has_ip_restriction: valid.has_ip_restriction,
        allowed_ips: valid.allowed_ips,
        role_keys: valid.role_keys,
    };
    let (_, resource_id) = state.store.create_client(&scope, &new).await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: resource_id.to_string(),
    }))
}

#[utoipa::path(get, path = "/api/companies/clients/{resourceId}", tag = TAG,
    summary = "Retrieves an existing client of company",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<ClientDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    Path(resource_id): Path<String>,
) -> ApiResult<Json<ServiceResult<ClientDto>>> {
    let record = find(&state, &reach, &resource_id).await?;
    Ok(ok(ClientDto {
        resource_id: record.resource_id.to_string(),
        name: record.name,
        client_id: record.client_id,
        client_secret: None,
        status_id: record.status_id,
        status_name: status_name(record.status_id).to_owned(),
        has_ip_address_restriction: record.has_ip_restriction,
        allowed_ip_addresses: record.allowed_ips,
        role_resource_id_list: record.role_resource_ids,
    }))
}

#[utoipa::path(put, path = "/api/companies/clients/{resourceId}", tag = TAG,
    summary = "Updates an existing client of company",
    params(("resourceId" = String, Path)),
    request_body = ClientRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(resource_id): Path<String>,
    JsonBody(body): JsonBody<ClientRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let record = find(&state, &reach, &resource_id).await?;
    let scope = caller.scope_for(record.company.clone())?;
    let valid = validate(&state, &scope, &body, Mode::Update).await?;
    let changes = ClientChanges {
        name: valid.name,
        client_id: valid
            .client_id
            .unwrap_or_else(|| ClientId::from_stored(record.client_id.clone())),
        secret_digest: valid.secret_digest,
        status_id: valid.status_id,
        has_ip_restriction: valid.has_ip_restriction,
        allowed_ips: valid.allowed_ips,
        role_keys: valid.role_keys,
    };
    state
        .store
        .update_client(&scope, &record.resource_id, &changes)
        .await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: record.resource_id.to_string(),
    }))
}

#[utoipa::path(delete, path = "/api/companies/clients/{resourceId}", tag = TAG,
    summary = "Deletes an existing client of company",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Reaching { caller, reach }: Reaching,
    Path(resource_id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let record = find(&state, &reach, &resource_id).await?;
    let scope = caller.scope_for(record.company.clone())?;
    state
        .store
        .delete_client(&scope, &record.resource_id)
        .await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: record.resource_id.to_string(),
    }))
}

#[utoipa::path(post, path = "/api/companies/clients/search", tag = TAG,
    summary = "Retrieves a list of all clients of company",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<SearchClientDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<SearchClientDto>>>> {
    let (rows, total, page) = state.store.search_clients(&reach, &request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter().map(search_dto).collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

const EXPORT_HEADERS: &[&str] = &["Client Name", "API Key", "Status", "Date Created"];

#[utoipa::path(post, path = "/api/companies/clients/search/export", tag = TAG,
    summary = "Exports the list of company's rest api clients",
    request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let rows = state.store.export_clients(&reach, &request)?.map(|row| {
        row.map(|r| {
            let dto = search_dto(r);
            vec![
                dto.client_name,
                dto.client_id,
                dto.status_name,
                dto.create_time,
            ]
        })
    });
    export::respond(format, "rest-api-clients", EXPORT_HEADERS, rows).await
}

fn search_dto(r: ClientSearchRow) -> SearchClientDto {
    SearchClientDto {
        resource_id: r.resource_id,
        client_name: r.name,
        client_id: r.client_id,
        create_time: millis_to_rfc3339(r.create_time),
        status_id: r.status_id,
        status_name: status_name(r.status_id).to_owned(),
    }
}

async fn find(
    state: &AppState,
    reach: &Reach,
    resource_id: &str,
) -> ApiResult<latchkey_store::clients::ClientRecord> {
    let not_found = || ApiError::not_found(format!("Client {resource_id} was not found"));
    let id = ResourceId::parse(resource_id).ok_or_else(not_found)?;
    state
        .store
        .client_in_reach(reach, &id)
        .await?
        .ok_or_else(not_found)
}

#[derive(PartialEq, Eq)]
enum Mode {
    Create,
    Update,
}

struct Valid {
    name: String,
    client_id: Option<ClientId>,
    secret_digest: Option<latchkey_domain::secret::SecretDigest>,
    status_id: i64,
    has_ip_restriction: bool,
    allowed_ips: Vec<String>,
    role_keys: Vec<i64>,
}

/// Checks a create or update body; every problem becomes one validation message.
async fn validate(
    state: &AppState,
    scope: &CompanyScope,
    body: &ClientRequest,
    mode: Mode,
) -> ApiResult<Valid> {
    let mut errors = Vec::new();
    let name = body.name.as_deref().map(str::trim).unwrap_or("").to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        errors.push("Client name must be between 1 and 64 characters".to_owned());
    }
    let client_id = match body
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => match ClientId::parse(raw) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(e.to_owned());
                None
            }
        },
        None if mode == Mode::Create => {
            errors
                .push("Client ID is required: get one from generate-client-credentials".to_owned());
            None
        }
        None => None,
    };
    let secret_digest = match body.client_secret.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => match ClientSecret::parse_chosen(raw) {
            Ok(secret) => Some(state.hasher.digest(&secret)),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        },
        None if mode == Mode::Create => {
            errors.push(
                "Client secret is required: get one from generate-client-credentials".to_owned(),
            );
            None
        }
        None => None,
    };
    let status_id = match body.status_id {
        Some(s) if s == STATUS_ACTIVE || s == STATUS_INACTIVE => s,
        Some(other) => {
            errors.push(format!(
                "statusId must be 1 (Active) or 0 (Inactive), not {other}"
            ));
            STATUS_INACTIVE
        }
        None => {
            errors.push("statusId is required: 1 (Active) or 0 (Inactive)".to_owned());
            STATUS_INACTIVE
        }
    };
    let has_ip_restriction = body.has_ip_address_restriction.unwrap_or(false);
    let allowed_ips = if has_ip_restriction {
        let raw = body.allowed_ip_addresses.clone().unwrap_or_default();
        match IpAllowList::parse(&raw) {
            Ok(list) if list.is_empty() => {
                errors.push(format!(
                    "{INVALID_IP_MESSAGE}: add at least one address or range, or allow all IPs"
                ));
                Vec::new()
            }
            Ok(list) if list.len() > IpAllowList::MAX_ENTRIES => {
                errors.push(format!(
                    "At most {} IP addresses or ranges",
                    IpAllowList::MAX_ENTRIES
                ));
                Vec::new()
            }
            Ok(list) => list.to_strings(),
            Err(bad) => {
                errors.extend(bad.iter().map(|b| format!("{INVALID_IP_MESSAGE}: {b}")));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let roles: Vec<String> = body
        .role_resource_id_list
        .iter()
        .flatten()
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    let role_keys = if roles.is_empty() {
        errors.push("Role should be selected".to_owned());
        Vec::new()
    } else {
        match state.store.roles_available_to(scope, &roles).await? {
            Ok(keys) => keys,
            Err(missing) => {
                errors.extend(
                    missing
                        .iter()
                        .map(|m| format!("Role {m} is not available to this company")),
                );
                Vec::new()
            }
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    Ok(Valid {
        name,
        client_id,
        secret_digest,
        status_id,
        has_ip_restriction,
        allowed_ips,
        role_keys,
    })
}
