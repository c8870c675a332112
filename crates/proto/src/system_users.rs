//! System user DTOs (`/api/system-users`): the console's "People".
//!
//! Request bodies have every field optional on the wire, so that a missing one gets a
//! validation message rather than a parse error. Bodies that carry passwords or one-time tokens
//! print as `<redacted>` in `Debug`, so that no log line can show them.

use serde::{Deserialize, Serialize};

/// `POST /api/system-users`. `companyResourceId` names the company, like
/// `X-KEEPNET-Company-Id`; without either the user joins the caller's own company.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateSystemUserRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    /// 1 (Active, the default) or 0 (Inactive: cannot sign in).
    pub status_id: Option<i64>,
    pub role_resource_id_list: Option<Vec<String>>,
    pub company_resource_id: Option<String>,
}

/// `PUT /api/system-users/{resourceId}`. `roleResourceIdList: null` keeps the user's roles.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateSystemUserRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub status_id: Option<i64>,
    pub role_resource_id_list: Option<Vec<String>>,
}

/// `SystemUserSearchDto`: a row of the user list.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserSearchDto {
    pub resource_id: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub company_resource_id: String,
    /// Role names, comma-separated.
    pub roles: Option<String>,
    pub phone_number: Option<String>,
    pub status_id: i64,
    pub status_name: String,
    pub create_time: String,
    pub email: String,
    /// Whether the caller may change this user: they hold every permission the user holds.
    pub is_editable: bool,
}

/// `DELETE /api/system-users/bulk-delete`: the listed users, or with `selectAll` every user the
/// filter matches except `excludedItems`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SystemUserDeleteRequest {
    pub items: Option<Vec<String>>,
    pub select_all: Option<bool>,
    pub excluded_items: Option<Vec<String>>,
    pub filter: Option<crate::search::Filter>,
}

/// `POST /api/system-users/{resourceId}/role`. `userResourceId`, when sent, must be the user of
/// the path.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AddToRoleRequest {
    pub user_resource_id: Option<String>,
    pub role_resource_id: Option<String>,
}

/// `POST /api/system-users/send-reset-password-link`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SendPasswordResetLinkRequest {
    pub email: Option<String>,
}

/// `POST /api/system-users/reset-password` and `POST /api/system-users/create-password`: the
/// `token` of the emailed link and the new password, twice.
#[derive(Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordWithTokenRequest {
    pub token: Option<String>,
    pub new_password: Option<String>,
    pub confirm_new_password: Option<String>,
}

impl std::fmt::Debug for PasswordWithTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordWithTokenRequest(<redacted>)")
    }
}

/// `PUT /api/system-users/change-password`, for the signed-in user.
#[derive(Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangePasswordRequest {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
    pub confirm_new_password: Option<String>,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest(<redacted>)")
    }
}

/// `CreatePasswordServiceResult`: whose password was set, so the sign-in page can fill it in.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePasswordServiceResult {
    pub email: String,
}

/// `SystemUserSettingsDto`: the signed-in user's display settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemUserSettingsDto {
    pub time_zone_id: Option<String>,
    pub time_zone_name: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
}

/// `PUT /api/system-users/settings`. A null field keeps (or returns to) the company's setting.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SetSystemUserSettingsRequest {
    pub time_zone_id: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
}
