//! Audit log DTOs (`/api/audit-logs`).

use serde::{Deserialize, Serialize};

/// Body of `POST /api/audit-logs`: a page of the company's log, without a filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct GetAuditLogRequest {
    #[schema(minimum = 1, maximum = 2147483647)]
    pub page_number: Option<i64>,
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    pub order_by: Option<String>,
    pub ascending: Option<bool>,
}

/// `AuditLogDto`: a record as `POST /api/audit-logs` lists it. `userId` is the acting client's
/// or user's number (0 for an operator command or the server itself), `companyId` the number
/// of the company whose log holds it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogDto {
    pub log_id: String,
    pub user_id: i64,
    pub log_date: String,
    pub entity_resource_id: String,
    pub entity_name: String,
    pub company_id: i64,
    /// `Create`, `Update`, `Delete`, `CreateMany`, `UpdateMany` or `DeleteMany`.
    pub operation: String,
    /// The state before the change, as JSON with secrets, password hashes, tokens and links
    /// redacted.
    pub old_value: Option<String>,
    /// The state after the change, redacted the same way.
    pub new_value: Option<String>,
}

/// `AuditLogSearchView`: a row of `POST /api/audit-logs/search`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogSearchView {
    pub resource_id: String,
    /// The client's name or the user's email; `latchkey admin …` for an operator command.
    pub user_name: String,
    pub entity_resource_id: String,
    pub entity_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// `Create`, `Update`, `Delete`, `CreateMany`, `UpdateMany` or `DeleteMany`.
    pub operation: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub audit_description: String,
    pub log_date: String,
}
