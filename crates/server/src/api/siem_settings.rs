//! `/api/companies/siem-settings`: where a company's audit log is forwarded (DESIGN decision
//! 10), and how the forwarding is going.
//!
//! `typeId` 1 is a Splunk HTTP Event Collector (`apiUrl`, `token`), 2 a syslog receiver
//! (`serverAddress`, `port` 1–65535, `connectionType` `UDP`, `TCP` or `TLS` in any case).
//! The token is write-only: it is sealed with the master key (it must be sent, so it cannot
//! be a digest), never answered (`hasToken` says whether one is set) and never recorded in
//! the audit log; an update without one keeps the stored one. Beyond the contract, a setting
//! may name the CA that signs its receiver's certificate (`caCertificate`, PEM) and the CEF
//! vendor and product (default `Keepnet Labs` and `Latchkey`: SIEM rules written for the
//! platform filter on the vendor).
//!
//! Each answer carries the destination's `delivery`: `Active`, `Retrying` with the last error,
//! or `Inactive`, with the backlog and the last delivery time; the forwarding itself is
//! [`crate::siem`]. **Test Connection** sends one real test event and answers what the
//! receiver said in `message`: the collector's answer, that TCP or TLS connected and wrote,
//! or, for UDP, that the datagram left and only the receiver can confirm it.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::StreamExt;
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::siem::{Destination, DestinationFields, type_name};
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_domain::user::{STATUS_ACTIVE, status_name};
use latchkey_proto::ServiceResult;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_proto::siem::{
    SearchSiemSettingsDto, SiemDeliveryDto, SiemSettingDto, SiemSettingRequest,
    TestSiemSettingRequest,
};
use latchkey_store::siem::{DeliveryRow, SiemSettingInput, SiemSettingRow};

use super::export;
use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::siem::{TOKEN_SEAL_CONTEXT, stored_token, test_connection, tls};
use crate::state::AppState;

const TAG: &str = "SIEMSetting";
const NAME_MAX: usize = 64;
const CEF_FIELD_MAX: usize = 63;
const CA_MAX: usize = 64 * 1024;
pub const DEFAULT_VENDOR: &str = "Keepnet Labs";
pub const DEFAULT_PRODUCT: &str = "Latchkey";

fn delivery_dto(d: &DeliveryRow, active: bool) -> SiemDeliveryDto {
    let state = if !active {
        "Inactive"
    } else if d.failed_attempts > 0 {
        "Retrying"
    } else {
        "Active"
    };
    SiemDeliveryDto {
        state: state.to_owned(),
        backlog: d.backlog(),
        delivered_count: d.delivered_count,
        delivered_sequence: d.delivered_seq,
        last_delivery_time: d.last_delivery_time.map(millis_to_rfc3339),
        last_error: d.last_error.clone(),
        last_error_time: d.last_error_time.map(millis_to_rfc3339),
        failed_attempts: d.failed_attempts,
        next_attempt_time: d
            .next_attempt_time
            .filter(|_| d.failed_attempts > 0)
            .map(millis_to_rfc3339),
    }
}

fn dto(row: SiemSettingRow) -> SiemSettingDto {
    let delivery = delivery_dto(&row.delivery, row.is_active());
    SiemSettingDto {
        type_name: type_name(row.type_id).to_owned(),
        status_name: status_name(row.status_id).to_owned(),
        resource_id: row.resource_id,
        name: row.name,
        api_url: row.api_url,
        token: None,
        has_token: row.token_sealed.is_some(),
        type_id: row.type_id,
        status_id: row.status_id,
        is_forward_historical_audit_log: row.forward_history,
        server_address: row.server_address,
        port: row.port.map(|p| p.to_string()),
        connection_type: row.connection_type,
        ca_certificate: row.ca_pem,
        cef_vendor: row.cef_vendor,
        cef_product: row.cef_product,
        delivery,
    }
}

/// A CEF header field: printable, at most 63 characters, or the default.
fn cef_field(raw: Option<&str>, field: &str, default: &str, errors: &mut Vec<String>) -> String {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => default.to_owned(),
        Some(v) if v.chars().count() > CEF_FIELD_MAX || v.chars().any(char::is_control) => {
            errors.push(format!(
                "{field} must be at most {CEF_FIELD_MAX} printable characters"
            ));
            default.to_owned()
        }
        Some(v) => v.to_owned(),
    }
}

fn ca_pem(raw: Option<&str>, errors: &mut Vec<String>) -> Option<String> {
    let pem = raw.map(str::trim).filter(|s| !s.is_empty())?;
    if pem.len() > CA_MAX {
        errors.push(format!("caCertificate must be at most {CA_MAX} bytes"));
    } else if let Err(e) = tls::check_ca_pem(pem) {
        errors.push(e);
    }
    Some(pem.to_owned())
}

/// A request's settings, checked: every problem in one answer.
struct Checked {
    name: String,
    destination: Destination,
    status_id: i64,
    forward_history: bool,
    ca_pem: Option<String>,
    vendor: String,
    product: String,
}

fn check(body: &SiemSettingRequest, token_required: bool) -> ApiResult<Checked> {
    let mut errors = Vec::new();
    let name = body.name.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.push(format!("Name must be between 1 and {NAME_MAX} characters"));
    } else if name.chars().any(char::is_control) {
        errors.push("Name must not contain control characters".to_owned());
    }
    let status_id = match body.status_id {
        None => {
            errors.push("statusId is required: 1 (Active) or 0 (Inactive)".to_owned());
            0
        }
        Some(s @ (0 | 1)) => s,
        Some(s) => {
            errors.push(format!("statusId {s} must be 1 (Active) or 0 (Inactive)"));
            0
        }
    };
    if body.is_forward_historical_audit_log.is_none() {
        errors.push("isForwardHistoricalAuditLog is required".to_owned());
    }
    let destination = Destination::parse(
        DestinationFields {
            type_id: body.type_id,
            api_url: body.api_url.as_deref(),
            token: body.token.as_deref(),
            server_address: body.server_address.as_deref(),
            port: body.port.as_deref(),
            connection_type: body.connection_type.as_deref(),
        },
        token_required,
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let ca_pem = ca_pem(body.ca_certificate.as_deref(), &mut errors);
    let vendor = cef_field(
        body.cef_vendor.as_deref(),
        "cefVendor",
        DEFAULT_VENDOR,
        &mut errors,
    );
    let product = cef_field(
        body.cef_product.as_deref(),
        "cefProduct",
        DEFAULT_PRODUCT,
        &mut errors,
    );
    match destination {
        Some(destination) if errors.is_empty() => Ok(Checked {
            name: name.to_owned(),
            destination,
            status_id,
            forward_history: body.is_forward_historical_audit_log.unwrap_or(false),
            ca_pem,
            vendor,
            product,
        }),
        _ => Err(ApiError::input(errors)),
    }
}

/// The token of a Splunk destination, sealed; `None` for syslog or an absent token.
fn sealed_token(state: &AppState, destination: &Destination) -> ApiResult<Option<Vec<u8>>> {
    match destination {
        Destination::Splunk {
            token: Some(token), ..
        } => state
            .sealer
            .seal(token.as_bytes(), TOKEN_SEAL_CONTEXT)
            .map(Some)
            .map_err(ApiError::internal),
        _ => Ok(None),
    }
}

fn input<'a>(checked: &'a Checked, token_sealed: Option<Vec<u8>>) -> SiemSettingInput<'a> {
    SiemSettingInput {
        name: &checked.name,
        destination: &checked.destination,
        token_sealed,
        status_id: checked.status_id,
        forward_history: checked.forward_history,
        ca_pem: checked.ca_pem.as_deref(),
        cef_vendor: &checked.vendor,
        cef_product: &checked.product,
    }
}

#[utoipa::path(post, path = "/api/companies/siem-settings", tag = TAG,
    summary = "Creates a new SIEM setting",
    request_body = SiemSettingRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<SiemSettingRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let checked = check(&body, true)?;
    let sealed = sealed_token(&state, &checked.destination)?;
    let id = ResourceId::generate();
    state
        .store
        .create_siem_setting(&scope, &id, &input(&checked, sealed))
        .await?;
    Ok(ok(IdResult {
        resource_id: id.to_string(),
    }))
}

/// Fields: `Name`, `ApiUrl`, `ServerAddress`, `TypeId` (1, 2, `Splunk`, `Syslog`),
/// `StatusId`, `ResourceId`, `CreateTime` (the default order), `UpdateTime`.
#[utoipa::path(post, path = "/api/companies/siem-settings/search", tag = TAG,
    summary = "Returns a list of the SIEM settings",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<SearchSiemSettingsDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<SearchSiemSettingsDto>>>> {
    let (rows, total, page) = state.store.search_siem_settings(&scope, &request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter()
            .map(|r| SearchSiemSettingsDto {
                delivery: delivery_dto(&r.delivery, r.status_id == STATUS_ACTIVE),
                resource_id: r.resource_id,
                name: r.name,
                api_url: r.api_url,
                type_name: type_name(r.type_id).to_owned(),
                status_name: status_name(r.status_id).to_owned(),
                create_time: millis_to_rfc3339(r.create_time),
            })
            .collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

const EXPORT_HEADERS: &[&str] = &[
    "Integration Name",
    "Integration Type",
    "Status",
    "Date Created",
    "URL",
    "Delivery",
    "Backlog",
    "Last Delivery",
    "Last Error",
];

#[utoipa::path(post, path = "/api/companies/siem-settings/search/export", tag = TAG,
    summary = "Exports the list of SIEM settings",
    request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let rows = state
        .store
        .export_siem_settings(&scope, &request)?
        .map(|row| {
            row.map(|r| {
                let d = delivery_dto(&r.delivery, r.status_id == STATUS_ACTIVE);
                vec![
                    r.name,
                    type_name(r.type_id).to_owned(),
                    status_name(r.status_id).to_owned(),
                    millis_to_rfc3339(r.create_time),
                    r.api_url.unwrap_or_default(),
                    d.state,
                    d.backlog.to_string(),
                    d.last_delivery_time.unwrap_or_default(),
                    d.last_error.unwrap_or_default(),
                ]
            })
        });
    export::respond(format, "siem-settings", EXPORT_HEADERS, rows).await
}

async fn find(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<SiemSettingRow> {
    let not_found = || ApiError::not_found(format!("SIEM setting {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .siem_setting(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

#[utoipa::path(get, path = "/api/companies/siem-settings/{resourceId}", tag = TAG,
    summary = "Retrieves the details of an existing SIEM setting",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<SiemSettingDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<SiemSettingDto>>> {
    Ok(ok(dto(find(&state, &scope, &id).await?)))
}

/// Replaces the setting. An absent or empty `token` keeps the stored one (while the type
/// stays Splunk); turning `isForwardHistoricalAuditLog` on sends the whole log from its first
/// record.
#[utoipa::path(put, path = "/api/companies/siem-settings/{resourceId}", tag = TAG,
    summary = "Updates an existing SIEM setting",
    params(("resourceId" = String, Path)),
    request_body = SiemSettingRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SiemSettingRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let current = find(&state, &scope, &id).await?;
    let has_stored =
        current.token_sealed.is_some() && current.type_id == latchkey_domain::siem::TYPE_SPLUNK;
    let checked = check(&body, !has_stored)?;
    let sealed = sealed_token(&state, &checked.destination)?;
    state
        .store
        .update_siem_setting(&scope, &current, &input(&checked, sealed))
        .await?;
    Ok(ok(IdResult {
        resource_id: current.resource_id,
    }))
}

#[utoipa::path(delete, path = "/api/companies/siem-settings/{resourceId}", tag = TAG,
    summary = "Deletes an existing SIEM setting",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let current = find(&state, &scope, &id).await?;
    state.store.delete_siem_setting(&scope, &current).await?;
    Ok(ok(IdResult {
        resource_id: current.resource_id,
    }))
}

/// Sends one test event and answers what the receiver said in `message` (`SUCCESS`), or why
/// it could not be reached (`INPUT_ERROR`, with the reason in `validationMessages`). With
/// `resourceId`, the saved setting's token and CA stand in for absent ones.
#[utoipa::path(post, path = "/api/companies/siem-settings/test", tag = TAG,
    summary = "Tests the connection of a SIEM setting",
    request_body = TestSiemSettingRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn test(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<TestSiemSettingRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let saved = match body
        .resource_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => Some(find(&state, &scope, id).await?),
        None => None,
    };
    let mut errors = Vec::new();
    let destination = Destination::parse(
        DestinationFields {
            type_id: body.type_id,
            api_url: body.api_url.as_deref(),
            token: body.token.as_deref(),
            server_address: body.server_address.as_deref(),
            port: body.port.as_deref(),
            connection_type: body.connection_type.as_deref(),
        },
        saved.as_ref().is_none_or(|s| s.token_sealed.is_none()),
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let ca = ca_pem(body.ca_certificate.as_deref(), &mut errors)
        .or_else(|| saved.as_ref().and_then(|s| s.ca_pem.clone()));
    let Some(destination) = destination.filter(|_| errors.is_empty()) else {
        return Err(ApiError::input(errors));
    };
    let token = match (&destination, &saved) {
        (Destination::Splunk { token: Some(t), .. }, _) => Some(t.clone()),
        (Destination::Splunk { token: None, .. }, Some(s)) => {
            stored_token(&state, s).map_err(ApiError::internal)?
        }
        _ => None,
    };
    let (vendor, product) = saved.as_ref().map_or(
        (DEFAULT_VENDOR.to_owned(), DEFAULT_PRODUCT.to_owned()),
        |s| (s.cef_vendor.clone(), s.cef_product.clone()),
    );
    let said = test_connection(
        &destination,
        token.as_deref(),
        ca.as_deref(),
        scope.company().resource_id.as_str(),
        &vendor,
        &product,
    )
    .await
    .map_err(|e| ApiError::input(vec![format!("The test event was not delivered: {e}")]))?;
    let mut answer = ok(IdResult {
        resource_id: saved.map(|s| s.resource_id).unwrap_or_default(),
    });
    answer.0.message = Some(format!("The test event was sent: {said}"));
    Ok(answer)
}
