//! Company group DTOs (`/api/company-groups`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CompanyGroupRequest {
    pub name: Option<String>,
    pub company_resource_id_array: Option<Vec<String>>,
}

/// `CompanyGroupDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyGroupDto {
    pub resource_id: String,
    pub name: String,
    pub added_time: String,
    pub company_count: i64,
}

/// A row of `POST /api/company-groups/search`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyGroupSearchDto {
    pub resource_id: String,
    pub name: String,
    pub company_count: i64,
    pub create_time: String,
}

/// A row of `POST /api/company-groups/{id}/companies/search`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupCompanyDto {
    pub company_name: String,
    pub company_resource_id: String,
    pub industry_resource_id: Option<String>,
    pub industry_name: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: i64,
    pub license_end_date: Option<String>,
    pub create_time: String,
    pub company_status_id: i64,
    pub company_status_name: String,
}

/// `POST /api/companies/get-with-groups`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct GetCompaniesByGroupResourceIdsRequest {
    pub company_group_resource_ids: Option<Vec<String>>,
}
