//! Custom field DTOs (`/api/custom-fields`). Owner types `TargetUser` and `TargetGroup`, data
//! types `Text`, `Number`, `Date` and `Boolean`, by name in any case.

use serde::{Deserialize, Serialize};

/// `CreateTargetUserCustomFieldRequest`, `UpdateTargetUserCustomFieldRequest` and an item of
/// `bulk-update`. On an update an absent field keeps its value.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomFieldRequest {
    /// Bulk update: the field to update; none creates one.
    pub resource_id: Option<String>,
    /// 1–64 characters, unique in the company ignoring case.
    pub name: Option<String>,
    /// `TargetUser` or `TargetGroup`.
    pub owner_type: Option<String>,
    /// `Text`, `Number`, `Date` or `Boolean`.
    pub field_data_type: Option<String>,
    /// Required for a `TargetGroup` field: one of the company's target groups.
    pub target_group_resource_id: Option<String>,
    pub is_active: Option<bool>,
    pub sort_order: Option<i32>,
    pub is_required: Option<bool>,
}

/// `POST /api/custom-fields/bulk-update`: the company's fields, all of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkUpdateCustomFieldsRequest {
    pub target_user_custom_fields: Option<Vec<CustomFieldRequest>>,
}

/// `TargetUserCustomFieldDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetUserCustomFieldDto {
    pub resource_id: String,
    pub name: String,
    pub owner_type: String,
    pub field_data_type: String,
    pub target_group_resource_id: Option<String>,
    pub is_active: bool,
    pub sort_order: i64,
    pub is_required: bool,
    pub is_editable: bool,
}
