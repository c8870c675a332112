//! `POST /api/available-for/search`: the companies and company groups a reseller may make a
//! role available for.

use serde::{Deserialize, Serialize};

use crate::companies::SearchCompanyDto;
use crate::company_groups::CompanyGroupSearchDto;
use crate::search::PagedResults;

/// `AvailableForSearchRequest`. The same page, order and name apply to both lists.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AvailableForSearchRequest {
    /// Part of a company's or group's name, any case.
    pub name: Option<String>,
    pub page_number: Option<i64>,
    pub page_size: Option<i64>,
    /// `Name` (the default) or `CreateTime`.
    pub order_by: Option<String>,
    /// Default `true` (A to Z).
    pub ascending: Option<bool>,
    /// Entries already picked; they are left out of the lists.
    pub selected_company_group: Option<Vec<SelectedCompanyGroupDto>>,
}

/// `SelectedCompanyGroupDto`: one picked entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectedCompanyGroupDto {
    pub resource_id: Option<String>,
    /// `Company` or `CompanyGroup`.
    pub type_name: Option<String>,
}

/// `SearchCompanyGroupResultDto`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchCompanyGroupResultDto {
    pub companies: PagedResults<SearchCompanyDto>,
    pub groups: PagedResults<CompanyGroupSearchDto>,
}
