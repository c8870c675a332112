//! Company DTOs.

use serde::{Deserialize, Serialize};

/// `GetMyCompaniesDto`: one row of `GET /api/companies/my`; a reseller's row nests the
/// companies it manages in `children`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetMyCompaniesDto {
    pub name: String,
    pub resource_id: String,
    pub logo_url: Option<String>,
    pub privacy_duration_id: i32,
    pub licence_expired: bool,
    pub privacy_duration_start_time: Option<String>,
    pub privacy_duration_end_time: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<GetMyCompaniesDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedRef {
    pub resource_id: String,
    pub name: Option<String>,
}

/// `CompanyDto`: `GET /api/companies/{resourceId}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyDto {
    pub resource_id: String,
    pub name: String,
    pub description: Option<String>,
    pub industry_resource_id: Option<String>,
    pub industry_name: Option<String>,
    pub country_resource_id: Option<String>,
    pub country_name: Option<String>,
    pub country_code: Option<String>,
    pub address: Option<String>,
    pub website_url: Option<String>,
    pub logo_url: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub license_period_type_resource_id: Option<String>,
    pub license_period_type_name: Option<String>,
    pub license_start_date: Option<String>,
    pub license_end_date: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: i64,
    pub notification_template_type_resource_id: Option<String>,
    pub notification_template_type_name: Option<String>,
    pub training_content_type_resource_id: Option<String>,
    pub training_content_type_name: Option<String>,
    pub smtp_configuration_type_resource_id: Option<String>,
    pub smtp_configuration_type_name: Option<String>,
    pub preferred_language_type_resource_id: Option<String>,
    pub preferred_language_type_name: Option<String>,
    pub is_version_visible: bool,
    pub is_release_notes_visible: bool,
    pub release_notes_url: Option<String>,
    pub company_groups: Vec<NamedRef>,
    pub parent_id: Option<i64>,
    pub base_man_hour_cost: i64,
    pub base_man_hour: i64,
    pub status_id: i64,
    pub status_name: String,
    pub license_modules: Vec<NamedRef>,
    pub target_user_count: i64,
    pub time_zone_id: Option<String>,
    pub call_back_number_booking_count: i64,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub tags: Vec<String>,
    pub has_agentic_ai_license: bool,
}

/// `SearchCompanyDto`. Both `companyResourceId` (the contract's name) and `resourceId` (what
/// most of the platform's guides read) carry the same id; `numberOfUsers` is a string, as in
/// the contract.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchCompanyDto {
    pub company_name: String,
    pub company_resource_id: String,
    pub resource_id: String,
    pub reseller_name: Option<String>,
    pub industry_name: Option<String>,
    pub industry_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: String,
    pub privacy_duration_id: i32,
    pub licence_expired: bool,
    pub license_end_date: Option<String>,
    pub create_time: String,
    pub target_user_count: i64,
    #[schema(no_recursion)]
    pub children: Vec<SearchCompanyDto>,
    pub tags: Vec<String>,
    pub deleted_target_user_count: i64,
    pub inactive_target_user_count: i64,
    pub monthly_active_user_count: i64,
}

/// `CustomCompanyPagedResults`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompanyPagedResults {
    pub limit_exceeded_company_count: i64,
    pub page_number: i64,
    pub page_size: i64,
    pub total_number_of_pages: i64,
    pub total_number_of_records: i64,
    pub results: Vec<SearchCompanyDto>,
}

/// `CheckCompanyLicenseDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckCompanyLicenseDto {
    pub is_limited: bool,
    pub license_limit: i64,
    pub active_user_count: i64,
    pub total_user_count: i64,
    pub is_license_exceeded: bool,
}

/// `GetCompanyLogoServiceResponse`: the uploaded logo, base64 in `fileContent`; both null when
/// the company has none.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetCompanyLogoServiceResponse {
    pub file_name: Option<String>,
    #[schema(format = Byte)]
    pub file_content: Option<String>,
}

/// The multipart form of `POST /api/companies`, for the OpenAPI document (the server reads the
/// form field by field, see `company_form`). Field names match ignoring case.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyCreateForm {
    /// The logo: PNG, JPEG, GIF or WebP, at most 1 MiB.
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<Vec<u8>>,
    #[schema(max_length = 64)]
    pub name: String,
    #[schema(max_length = 300)]
    pub description: Option<String>,
    /// From `GET /api/lookups/2`.
    pub industry_resource_id: String,
    /// From `GET /api/lookups/1`.
    pub country_resource_id: String,
    #[schema(max_length = 200)]
    pub address: Option<String>,
    #[schema(max_length = 2000)]
    pub website_url: Option<String>,
    /// From `GET /api/lookups/licenses`.
    pub license_type_resource_id: String,
    /// Repeat the key for each module.
    pub license_module_resource_id_array: Option<Vec<String>>,
    /// From `GET /api/lookups/4`.
    pub license_period_type_resource_id: String,
    #[schema(format = DateTime)]
    pub license_start_date: Option<String>,
    #[schema(format = DateTime)]
    pub license_end_date: Option<String>,
    pub is_number_of_users_limited: Option<bool>,
    pub number_of_users: i32,
    pub notification_template_type_resource_id: Option<String>,
    pub training_content_type_resource_id: Option<String>,
    pub smtp_configuration_type_resource_id: Option<String>,
    pub preferred_language_type_resource_id: Option<String>,
    pub is_version_visible: Option<bool>,
    pub is_release_notes_visible: Option<bool>,
    #[schema(max_length = 2000)]
    pub release_notes_url: Option<String>,
    pub base_man_hour_cost: Option<i32>,
    pub base_man_hour: Option<i32>,
    /// 1 Active (default) or 0 Inactive.
    pub status_id: Option<i32>,
    /// An id from `GET /api/timezone/timezones`.
    pub time_zone_id: String,
    /// One of `dateFormatList`.
    pub date_format: String,
    /// One of `timeFormatList`.
    pub time_format: String,
    pub call_back_number_booking_count: Option<i32>,
    /// Repeat the key for each tag; at most 64 characters each.
    pub tags: Option<Vec<String>>,
}

/// The multipart form of `PUT /api/companies/{resourceId}`: any field of the create form but the
/// man-hour costs, plus `LogoUrl`. Fields not sent are kept, the logo included.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyUpdateForm {
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<Vec<u8>>,
    #[schema(max_length = 64)]
    pub name: Option<String>,
    #[schema(max_length = 300)]
    pub description: Option<String>,
    pub industry_resource_id: Option<String>,
    pub country_resource_id: Option<String>,
    #[schema(max_length = 200)]
    pub address: Option<String>,
    #[schema(max_length = 2000)]
    pub website_url: Option<String>,
    #[schema(max_length = 2000)]
    pub logo_url: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub license_module_resource_id_array: Option<Vec<String>>,
    pub license_period_type_resource_id: Option<String>,
    #[schema(format = DateTime)]
    pub license_start_date: Option<String>,
    #[schema(format = DateTime)]
    pub license_end_date: Option<String>,
    pub is_number_of_users_limited: Option<bool>,
    pub number_of_users: Option<i32>,
    pub notification_template_type_resource_id: Option<String>,
    pub training_content_type_resource_id: Option<String>,
    pub smtp_configuration_type_resource_id: Option<String>,
    pub preferred_language_type_resource_id: Option<String>,
    pub is_version_visible: Option<bool>,
    pub is_release_notes_visible: Option<bool>,
    #[schema(max_length = 2000)]
    pub release_notes_url: Option<String>,
    pub status_id: Option<i32>,
    pub time_zone_id: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub call_back_number_booking_count: Option<i32>,
    pub tags: Option<Vec<String>>,
}

/// The multipart form of `PUT /api/companies/limited`: a company's profile without its licence.
/// Other company form fields are refused.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyLimitedForm {
    /// The company to change: the caller's own or one it manages.
    pub resource_id: String,
    #[schema(max_length = 64)]
    pub name: String,
    pub industry_resource_id: String,
    pub country_resource_id: String,
    #[schema(max_length = 300)]
    pub description: Option<String>,
    #[schema(max_length = 200)]
    pub address: Option<String>,
    #[schema(max_length = 2000)]
    pub website_url: Option<String>,
    pub preferred_language_type_resource_id: Option<String>,
    pub time_zone_id: Option<String>,
    /// The logo: PNG, JPEG, GIF or WebP, at most 1 MiB.
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<Vec<u8>>,
}
