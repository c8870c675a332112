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
