//! REST API client DTOs (`/api/companies/clients`).

use serde::{Deserialize, Serialize};

/// Body of create and update. Every field is optional on the wire so that a missing one gets a
/// validation message rather than a parse error.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientRequest {
    pub name: Option<String>,
    pub client_id: Option<String>,
    /// On create: the secret from `generate-client-credentials` (or one of your own, if strong
    /// enough). On update: a new secret to rotate to, or null to keep the current one.
    pub client_secret: Option<String>,
    pub status_id: Option<i64>,
    pub has_ip_address_restriction: Option<bool>,
    pub allowed_ip_addresses: Option<Vec<String>>,
    pub role_resource_id_list: Option<Vec<String>>,
}

/// `ClientDto`: one client. `clientSecret` is always null: the secret is shown only when it is
/// generated.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientDto {
    pub resource_id: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub status_id: i64,
    pub status_name: String,
    pub has_ip_address_restriction: bool,
    pub allowed_ip_addresses: Vec<String>,
    pub role_resource_id_list: Vec<String>,
}

/// `SearchClientDto`: a row of the client list.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchClientDto {
    pub resource_id: String,
    pub client_name: String,
    pub client_id: String,
    pub create_time: String,
    pub status_id: i64,
    pub status_name: String,
}

/// `ClientCredentialDto`: a freshly generated pair.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredentialDto {
    pub client_id: String,
    pub client_secret: String,
}

pub fn status_name(status_id: i64) -> &'static str {
    if status_id == 1 { "Active" } else { "Inactive" }
}
