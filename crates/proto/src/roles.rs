//! Roles and permissions (`/api/roles`, `/api/roleswithavailable`, `/api/permissions/all`).

use serde::{Deserialize, Serialize};

/// `[{resourceId, name}]` of `GET /api/roles`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleSummaryDto {
    pub resource_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AvailableForRequest {
    /// `Company` or `CompanyGroup` (or 1 / 2).
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    pub target_type: Option<serde_json::Value>,
    pub resource_id: Option<String>,
}

/// Body of create and update.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub permission_resource_id_list: Option<Vec<String>>,
    pub available_for_requests: Option<Vec<AvailableForRequest>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableForDto {
    pub resource_id: String,
    pub owner_company_resource_id: Option<String>,
    pub type_name: String,
    pub target_resource_id: String,
    pub target_name: String,
    pub owner_company_name: Option<String>,
}

/// `GetSystemRoleDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetSystemRoleDto {
    pub resource_id: String,
    pub name: String,
    pub description: String,
    pub available_for_list: Vec<AvailableForDto>,
    pub permission_resource_id_list: Vec<String>,
}

/// `SystemRoleSearchDto`. `userCount` counts the REST API clients holding the role;
/// `tenantUserCount` those of them in other companies than the role's owner.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemRoleSearchDto {
    pub role_name: String,
    pub role_description: String,
    pub resource_id: String,
    pub company_resource_id: Option<String>,
    pub company_name: Option<String>,
    pub create_time: String,
    pub user_count: i64,
    pub tenant_user_count: i64,
    pub type_name: String,
    pub is_owner: bool,
}

/// A node of `GET /api/permissions/all`: a module with its operations as `children`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDto {
    pub module_name: String,
    pub permission_resource_id: String,
    pub permission_name: String,
    pub permission_description: String,
    pub group_name: String,
    pub parent_group_name: Option<String>,
    pub is_disabled: bool,
    #[schema(no_recursion)]
    pub children: Vec<PermissionDto>,
}
