//! `/api/audit-logs`: the company's audit log.
//!
//! Every change is recorded with it (see the store's one write path); these operations only
//! read. A company sees its own records: those of the company the request names
//! (`X-KEEPNET-Company-Id`, for a reseller acting on a customer) or the caller's own. Nothing
//! here or anywhere else changes or deletes a record.
//!
//! The search and the export run on the one search engine. The export carries, besides the
//! columns of the Audit Log page, each record's place in its company's chain, the previous
//! record's hash and its own, so that a receiver can check the chain itself.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use futures_util::StreamExt;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::audit_logs::{AuditLogDto, AuditLogSearchView, GetAuditLogRequest};
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_store::audit::AuditRecord;

use super::export;
use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "AuditLog";

/// A page of the company's records, newest first unless `orderBy`/`ascending` say otherwise.
#[utoipa::path(post, path = "/api/audit-logs", tag = TAG,
    summary = "Returns a list of audit logs for current company",
    request_body = GetAuditLogRequest,
    responses((status = 200, body = ServiceResult<PagedResults<AuditLogDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<GetAuditLogRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<AuditLogDto>>>> {
    let request = SearchRequest {
        page_number: body.page_number,
        page_size: body.page_size,
        order_by: body.order_by,
        ascending: Some(body.ascending.unwrap_or(false)),
        ..SearchRequest::default()
    };
    let (rows, total, page) = state.store.search_audit_logs(&scope, &request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter().map(dto).collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

/// Fields: `UserName`, `EntityName`, `EntityResourceId`, `Operation` (by name), `Ip`,
/// `UserAgent`, `AuditDescription`, `OldValue`, `NewValue`, `ResourceId`, `LogDate` (the
/// default order), `Sequence`. Free text looks at the user, entity and description.
#[utoipa::path(post, path = "/api/audit-logs/search", tag = TAG,
    summary = "Returns a list of the audit logs",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<AuditLogSearchView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<AuditLogSearchView>>>> {
    let (rows, total, page) = state.store.search_audit_logs(&scope, &request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter().map(search_view).collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

const EXPORT_HEADERS: &[&str] = &[
    "Log Date",
    "User Name",
    "Entity Name",
    "Entity ID",
    "Operation",
    "Changed Set",
    "New Value",
    "IP",
    "Browser User Agent",
    "Description",
    "Record ID",
    "Sequence",
    "Previous Hash",
    "Hash",
];

#[utoipa::path(post, path = "/api/audit-logs/search/export", tag = TAG,
    summary = "Exports the list of audit logs",
    request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let rows = state.store.export_audit_logs(&scope, &request)?.map(|row| {
        row.map(|r| {
            vec![
                millis_to_rfc3339(r.log_time),
                r.user_name.clone(),
                r.entity_name.clone(),
                r.entity_resource_id.clone(),
                r.operation_name().to_owned(),
                r.old_value.clone().unwrap_or_default(),
                r.new_value.clone().unwrap_or_default(),
                r.ip.clone().unwrap_or_default(),
                r.user_agent.clone().unwrap_or_default(),
                r.description.clone(),
                r.resource_id.clone(),
                r.seq.to_string(),
                r.prev_hash.clone(),
                r.hash,
            ]
        })
    });
    export::respond(format, "audit-logs", EXPORT_HEADERS, rows).await
}

fn dto(r: AuditRecord) -> AuditLogDto {
    AuditLogDto {
        operation: r.operation_name().to_owned(),
        log_id: r.resource_id,
        user_id: r.user_key,
        log_date: millis_to_rfc3339(r.log_time),
        entity_resource_id: r.entity_resource_id,
        entity_name: r.entity_name,
        company_id: r.company_id,
        old_value: r.old_value,
        new_value: r.new_value,
    }
}

fn search_view(r: AuditRecord) -> AuditLogSearchView {
    AuditLogSearchView {
        operation: r.operation_name().to_owned(),
        resource_id: r.resource_id,
        user_name: r.user_name,
        entity_resource_id: r.entity_resource_id,
        entity_name: r.entity_name,
        old_value: r.old_value,
        new_value: r.new_value,
        ip: r.ip,
        user_agent: r.user_agent,
        audit_description: r.description,
        log_date: millis_to_rfc3339(r.log_time),
    }
}
