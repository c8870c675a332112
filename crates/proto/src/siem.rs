//! SIEM integration DTOs (`/api/companies/siem-settings`): where a company's audit log is
//! forwarded, and how the forwarding is going.

use serde::{Deserialize, Serialize};

/// Body of `POST /api/companies/siem-settings` and of `PUT …/{resourceId}`. Every field is
/// optional on the wire so that a missing one gets a validation message rather than a parse
/// error. `typeId` 1 is Splunk HEC (`apiUrl`, `token`), 2 is Syslog (`serverAddress`, `port`,
/// `connectionType` `UDP`, `TCP` or `TLS`, any case).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SiemSettingRequest {
    /// 1 to 64 characters, unique in the company (ignoring case).
    pub name: Option<String>,
    /// The HTTP Event Collector's URL (Splunk).
    pub api_url: Option<String>,
    /// The HEC token (Splunk): write-only, never answered. On an update, absent or empty
    /// keeps the stored one.
    pub token: Option<String>,
    pub type_id: Option<i64>,
    /// 1 Active (forwarding), 0 Inactive (paused; the cursor is kept, nothing is skipped).
    pub status_id: Option<i64>,
    /// Forward the whole existing log (true) or only what is recorded from now on.
    pub is_forward_historical_audit_log: Option<bool>,
    pub server_address: Option<String>,
    /// 1 to 65535, as a string (as the contract has it).
    pub port: Option<String>,
    /// `UDP`, `TCP` or `TLS`.
    pub connection_type: Option<String>,
    /// PEM certificates of the CAs that may sign the receiver's certificate (TLS syslog,
    /// https HEC). Absent: the public web PKI roots.
    pub ca_certificate: Option<String>,
    /// CEF Device Vendor (default `Keepnet Labs`, which existing SIEM rules match on).
    pub cef_vendor: Option<String>,
    /// CEF Device Product (default `Latchkey`).
    pub cef_product: Option<String>,
}

/// Body of `POST /api/companies/siem-settings/test`: a destination to try, or with
/// `resourceId` a saved setting whose stored token stands in for an absent one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TestSiemSettingRequest {
    pub resource_id: Option<String>,
    pub api_url: Option<String>,
    pub token: Option<String>,
    pub type_id: Option<i64>,
    pub server_address: Option<String>,
    pub port: Option<String>,
    pub connection_type: Option<String>,
    pub ca_certificate: Option<String>,
}

/// How forwarding to a destination is going.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiemDeliveryDto {
    /// `Active` (delivering, nothing failing), `Retrying` (the last attempt failed; it is
    /// retried with backoff, never given up) or `Inactive` (paused by its status).
    pub state: String,
    /// Records of the company's log not yet delivered.
    pub backlog: i64,
    /// Records delivered since the setting was created (a record resent after a failure
    /// counts again).
    pub delivered_count: i64,
    /// The sequence number of the last record delivered (0: none yet).
    pub delivered_sequence: i64,
    pub last_delivery_time: Option<String>,
    pub last_error: Option<String>,
    pub last_error_time: Option<String>,
    /// Consecutive failed attempts.
    pub failed_attempts: i64,
    pub next_attempt_time: Option<String>,
}

/// `SIEMSettingDto`, without the token: it is write-only here.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiemSettingDto {
    pub resource_id: String,
    pub name: String,
    pub api_url: Option<String>,
    /// Always null: the token is never answered (see `hasToken`).
    pub token: Option<String>,
    pub has_token: bool,
    pub type_id: i64,
    pub type_name: String,
    pub status_id: i64,
    pub status_name: String,
    pub is_forward_historical_audit_log: bool,
    pub server_address: Option<String>,
    pub port: Option<String>,
    pub connection_type: Option<String>,
    pub ca_certificate: Option<String>,
    pub cef_vendor: String,
    pub cef_product: String,
    pub delivery: SiemDeliveryDto,
}

/// `SearchSIEMSettingsDto`, with the delivery state.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchSiemSettingsDto {
    pub resource_id: String,
    pub name: String,
    pub api_url: Option<String>,
    pub type_name: String,
    pub status_name: String,
    pub create_time: String,
    pub delivery: SiemDeliveryDto,
}
