//! Target group DTOs (`/api/target-groups`).
//!
//! Request bodies have every field optional on the wire, so that a missing one gets a
//! validation message rather than a parse error. Searches carry the common search body
//! ([`SearchRequest`]) plus their own extras, flattened into one object as on the platform.

use serde::{Deserialize, Serialize};

use crate::search::{Filter, SearchRequest};

/// `POST /api/target-groups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateTargetGroupRequest {
    /// 1 to 64 characters; unique in the company, ignoring case.
    pub name: Option<String>,
    /// `VeryLow`, `Low`, `Medium`, `High` or `VeryHigh`, any case.
    pub priority: Option<String>,
}

/// `PUT /api/target-groups/{resourceId}`. `isActive: null` keeps the group's state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateTargetGroupRequest {
    pub name: Option<String>,
    pub priority: Option<String>,
    pub is_active: Option<bool>,
}

/// `TargetGroupDto`: `GET /api/target-groups`, `GET /api/target-groups/{resourceId}` and the
/// rows of `search-name`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupDto {
    pub resource_id: String,
    pub name: String,
    pub priority: String,
    pub create_date: String,
    /// False for groups the platform or an identity provider keeps.
    pub is_editable: bool,
    pub is_scim_group: bool,
    pub is_google_group: bool,
}

/// `POST /api/target-groups/search` and `search/all`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetGroupSearchRequest {
    #[serde(flatten)]
    pub search: SearchRequest,
    /// Target user resource ids, comma-separated: a row's `isSelected` says whether the group
    /// holds every one of them.
    pub select_target_user_resource_ids: Option<String>,
    /// `true`: only the groups the platform keeps by itself; otherwise only the others.
    pub system_generated_groups: Option<bool>,
}

/// `TargetGroupSearchView`: a row of `POST /api/target-groups/search`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupSearchView {
    pub resource_id: String,
    pub name: String,
    pub company_name: String,
    /// Members that are not deleted.
    pub user_count: i64,
    /// Of those, the ones with a phone number.
    pub user_count_with_phone_number: i64,
    pub priority: String,
    pub create_time: String,
    pub update_time: Option<String>,
    pub is_editable: bool,
    pub scim_setting_name: Option<String>,
    pub ldap_config_name: Option<String>,
    pub is_selected: bool,
    pub is_scim_group: bool,
    pub is_google_group: bool,
}

/// `TargetGroupSearchForOwnerCompanyView`: a row of `POST /api/target-groups/search/all`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupSearchForOwnerCompanyView {
    pub resource_id: String,
    pub name: String,
    pub company_name: String,
    pub user_count: i64,
    pub priority: String,
    pub create_time: String,
    pub update_time: Option<String>,
    pub is_created_by_system: bool,
}

/// `TargetGroupSearchCompanyModel`: a row of `POST /api/target-groups/search/current-company`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupSearchCompanyModel {
    pub resource_id: String,
    pub name: String,
    pub company_name: String,
    pub user_count: i64,
    pub priority: String,
    pub create_time: String,
    pub update_time: Option<String>,
}

/// `POST /api/target-groups/search-name`: groups whose name contains `groupName`, ignoring
/// case.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct GetTargetGroupByNameRequest {
    pub group_name: Option<String>,
    #[schema(minimum = 1, maximum = 2147483647)]
    pub page_number: Option<i64>,
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    pub order_by: Option<String>,
    pub ascending: Option<bool>,
}

/// `POST /api/target-groups/targetgroupusercountdetailext`. Latchkey has no phishing
/// scenarios: `scenarioResourceIds` must be empty, and `categoryFilter` and
/// `sendUserPreferredLanguage` have nothing to act on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct GetTargetGroupUserCountDetailRequest {
    pub target_group_resource_ids: Option<Vec<String>>,
    pub scenario_resource_ids: Option<Vec<String>>,
    pub category_filter: Option<Filter>,
    pub send_user_preferred_language: Option<serde_json::Value>,
}

/// `TargetGroupUserCountDetailDto`: how many of a group's users have a status, and, nested,
/// how those split by phone number, preferred language, time zone and email domain. In a
/// nested entry `status` names the bucket (`True`/`False`, a time zone id, a domain).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupUserCountDetailDto {
    pub status: Option<String>,
    pub company_preferred_language: Option<String>,
    pub count: i64,
    #[schema(no_recursion)]
    pub domain_allow_list: Option<Vec<TargetGroupUserCountDetailDto>>,
    #[schema(no_recursion)]
    pub has_phone_number: Option<Vec<TargetGroupUserCountDetailDto>>,
    #[schema(no_recursion)]
    pub has_preferred_language: Option<Vec<TargetGroupUserCountDetailDto>>,
    #[schema(no_recursion)]
    pub has_company_preferred_language: Option<Vec<TargetGroupUserCountDetailDto>>,
    pub target_group_name: Option<String>,
    #[schema(no_recursion)]
    pub time_zone: Option<Vec<TargetGroupUserCountDetailDto>>,
    #[schema(no_recursion)]
    pub has_random_language: Option<Vec<TargetGroupUserCountDetailDto>>,
}

/// `PUT /api/target-groups/users`: adds the listed users, or with `selectAll` every target user
/// the filter matches except `excludedResourceIdList`, to every listed group.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateTargetGroupUsersRequest {
    pub target_user_resource_ids: Option<Vec<String>>,
    pub target_group_resource_ids: Option<Vec<String>>,
    pub select_all: Option<bool>,
    pub filter: Option<Filter>,
    pub excluded_resource_id_list: Option<Vec<String>>,
}

/// What `PUT /api/target-groups/users` answers, one per group.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupUsersAdded {
    pub target_group_resource_id: String,
    /// Users that were not members before.
    pub added_user_count: i64,
    /// Members afterwards (deleted users aside).
    pub user_count: i64,
}

/// `DELETE /api/target-groups/{resourceId}/users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteTargetGroupUsersRequest {
    pub target_user_resource_ids: Option<Vec<String>>,
}

/// `POST /api/target-groups/{resourceId}/users` and `…/users/export`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetGroupUsersSearchRequest {
    #[serde(flatten)]
    pub search: SearchRequest,
    /// `true`: the company's target users that are *not* in the group (to pick users to add).
    pub exclude_group_users: Option<bool>,
}
