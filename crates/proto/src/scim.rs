//! SCIM integration DTOs (`/api/scim`): the management API. The SCIM service itself speaks
//! RFC 7644 at `/scim/v2` and has no types here.

use serde::{Deserialize, Serialize};

/// One field mapping: an IdP attribute (a `resourceId` of `GET /api/scim/fields`) written to a
/// custom field of the company.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ScimFieldMappingRequest {
    pub custom_field_resource_id: Option<String>,
    pub scim_field_resource_id: Option<String>,
}

/// Body of `POST /api/scim`. Every field is optional on the wire so that a missing one gets a
/// validation message rather than a parse error.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateScimIntegrationRequest {
    /// 1 to 30 characters, unique in the company (ignoring case).
    pub name: Option<String>,
    /// The target group provisioned users land in; none: under People.
    pub group_resource_id: Option<String>,
    /// Group By: a `resourceId` of `GET /api/scim/fields`, the department or a field this body
    /// maps. Each value then names the target group a provisioned user joins (created when
    /// missing); users without a value join `groupResourceId`.
    #[serde(rename = "groupBySCIMFieldResourceId")]
    pub group_by_scim_field_resource_id: Option<String>,
    pub field_mappings: Option<Vec<ScimFieldMappingRequest>>,
    pub sync_platform_group: Option<bool>,
}

/// Body of `PUT /api/scim/{resourceId}`: the name only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateScimIntegrationRequest {
    pub name: Option<String>,
}

/// `SCIMIntegrationTokenDto`, with the SCIM service's URL: the token is shown here once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimIntegrationTokenDto {
    /// The bearer token for the identity provider.
    pub token: String,
    /// The SCIM service's base URL (its `/Users`, `/Groups`, … are below it).
    pub base_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimFieldDto {
    pub resource_id: String,
    /// The SCIM attribute path, e.g. `addresses[type eq "work"].country`.
    pub name: String,
}

/// `SCIMFieldListDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimFieldListDto {
    pub fields: Vec<ScimFieldDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimMappingDetailDto {
    pub scim_path: String,
    pub custom_field_name: String,
}

/// `SCIMDetailDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimDetailDto {
    pub resource_id: String,
    pub name: String,
    pub group_name: Option<String>,
    pub group_resource_id: Option<String>,
    /// The Group By: the custom field its path fills, or `Department`; null without one.
    pub group_by_custom_field_name: Option<String>,
    pub mapping_details: Vec<ScimMappingDetailDto>,
    pub sync_platform_group: bool,
    /// The SCIM service's base URL.
    pub base_url: String,
}

/// `SCIMSettingSearchView`: a row of `POST /api/scim/search`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimSettingSearchView {
    pub resource_id: String,
    pub name: String,
    pub group_name: Option<String>,
    pub group_by_custom_field_name: Option<String>,
    pub create_time: String,
}
