//! Target user DTOs (`/api/target-users`): the people simulations and training are for.
//!
//! Request fields are all optional on the wire, so that a missing one gets a validation message
//! naming it rather than a parse error. Enumerations travel by name: priority `VeryLow` …
//! `VeryHigh`, status `Active`, `Inactive`, `Deleted`, custom field data types `Text`,
//! `Number`, `Date`, `Boolean`.

use serde::{Deserialize, Serialize};

/// `CreateTargetUserRequest` and `UpdateTargetUserRequest`. On an update a field that is
/// absent or null keeps its value and an empty string clears it; `customFields` changes only
/// the fields it names, and `targetGroupResourceIds`, when given, becomes the user's groups.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetUserRequest {
    /// Required; unique among the company's live users, ignoring case.
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    /// `VeryLow`, `Low`, `Medium` (the default), `High` or `VeryHigh`, any case.
    pub priority: Option<String>,
    /// Active (the default) or Inactive.
    pub is_active: Option<bool>,
    pub custom_fields: Option<Vec<TargetUserCustomFieldValueDto>>,
    /// Optional; digits, spaces and `+ - ( ) .`, at most 20 characters.
    pub phone_number: Option<String>,
    pub target_group_resource_ids: Option<Vec<String>>,
    /// An id of `GET /api/timezone/timezones`.
    pub time_zone_id: Option<String>,
    /// A PreferredLanguageType lookup (`GET /api/lookups/21`): its resource id, name or code.
    pub preferred_language_id: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
}

/// `TargetUserCustomFieldValueDto`: a value of a custom field. In a request the field is named
/// by `resourceId` or, without one, by `name`; a Date may come as `value` or `timestampValue`;
/// an empty value clears the field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetUserCustomFieldValueDto {
    pub resource_id: Option<String>,
    pub name: Option<String>,
    /// `Text`, `Number`, `Date` or `Boolean` (ignored in requests: the field decides).
    pub data_type: Option<String>,
    pub value: Option<String>,
    /// Date fields: the value as an RFC 3339 instant.
    pub timestamp_value: Option<String>,
}

/// `TargetUserDto`: one user.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetUserDto {
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub priority: String,
    pub is_active: bool,
    pub custom_field_values: Vec<TargetUserCustomFieldValueDto>,
    pub phone_number: Option<String>,
    pub time_zone_id: Option<String>,
    pub preferred_language_id: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
    pub manager_full_name: Option<String>,
}

/// `TargetUserSearchView`: a row of the user list.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetUserSearchView {
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub priority: String,
    /// `Active`, `Inactive` or `Deleted`.
    pub status: String,
    pub custom_field_values: Vec<TargetUserCustomFieldValueDto>,
    pub create_time: String,
    pub update_time: Option<String>,
    pub is_editable: bool,
    pub scim_setting_name: Option<String>,
    pub ldap_config_name: Option<String>,
    pub phone_number: Option<String>,
    /// The time zone id.
    pub time_zone: Option<String>,
    /// The language's name.
    pub preferred_language: Option<String>,
}

/// `TargetUserEmailDTO`: a user as the enrollment and id lookups list it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetUserEmailDto {
    /// The user's number.
    pub id: i64,
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub is_deleted: bool,
    /// 1 Active, 0 Inactive, 2 Deleted.
    pub status: i64,
}

/// `POST /api/target-users/by-resource-ids` (and `include-deleted/…`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetUserIdsRequest {
    pub target_user_resource_ids: Option<Vec<String>>,
}

/// `POST /api/target-users/search-email`: users whose email contains `email`, paged.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetUserByEmailRequest {
    pub email: Option<String>,
    #[schema(minimum = 1, maximum = 2147483647)]
    pub page_number: Option<i64>,
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    pub order_by: Option<String>,
    pub ascending: Option<bool>,
}

/// `POST /api/target-users/enrollment-emails` (and `/count`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct EnrollmentEmailsRequest {
    pub with_target_groups: Option<bool>,
    /// No campaigns exist yet: any id here is unknown (404).
    pub phishing_campaign_resource_id: Option<String>,
    pub condition_types: Option<Vec<serde_json::Value>>,
    /// The groups whose active members are listed; all active users when empty.
    pub target_group_resource_ids: Option<Vec<String>>,
}

/// `POST /api/target-users/scorm-email`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ScormEmailRequest {
    pub email: Option<String>,
    /// The company's number (the token's `user_company_id` claim; `parentId` of its children
    /// in `GET /api/companies/{id}`); the company the request acts on when absent or 0.
    pub company_id: Option<i64>,
}

/// `GET /api/target-users/count-summary`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetUserCountSummary {
    pub active_user_count: i64,
    pub inactive_user_count: i64,
    pub deleted_user_count: i64,
    /// Active users created or changed in the current calendar month (UTC).
    pub monthly_active_user_count: i64,
}

/// A row of `POST /api/target-users/{resourceId}/groups`: one of the user's target groups (the
/// spec names user rows here; the operation lists groups).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetUserGroupView {
    pub resource_id: String,
    pub name: String,
    pub priority: String,
    /// Live members.
    pub user_count: i64,
    pub create_time: String,
    pub update_time: Option<String>,
    pub is_editable: bool,
    pub is_scim_group: bool,
    pub is_google_group: bool,
    pub is_created_by_system: bool,
}
