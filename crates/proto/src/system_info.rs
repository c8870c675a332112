//! `/api/system-info`: which server answers, and the licence and profile of the company a
//! request acts on.
//!
//! The contract types the version as a free-form object and the summary as three
//! `DataResponse` parts (`versionInfo`, `companyLicense`, `company`), each shaped like the
//! envelope without `isSuccess`, so that a part could fail alone. The platform's own console
//! reads `versionInfo.data.version`, `companyLicense.data.isLimited` and `isLicenseExceeded`,
//! and `company.data.countryName`; the parts carry those under those names.

use serde::{Deserialize, Serialize};

use crate::ResultStatus;
use crate::companies::{CheckCompanyLicenseDto, CompanyDto};

/// `GET /api/system-info/version`, and the summary's `versionInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// `Latchkey`.
    pub name: String,
    /// The release the server was built as, e.g. `0.1.0`.
    pub version: String,
    /// The git commit the server was built from, when the build knew it.
    pub commit: Option<String>,
}

/// `DataResponse`: one part of the summary.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataResponse<T> {
    pub data: Option<T>,
    pub status: ResultStatus,
    pub message: Option<String>,
    pub validation_messages: Option<Vec<String>>,
}

impl<T> DataResponse<T> {
    pub fn success(data: T) -> Self {
        Self {
            data: Some(data),
            status: ResultStatus::Success,
            message: None,
            validation_messages: None,
        }
    }
}

/// The summary's `companyLicense`: `GET /api/companies/{id}/license-check` with the licence's
/// type and dates.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfoLicense {
    #[serde(flatten)]
    pub check: CheckCompanyLicenseDto,
    pub license_type_name: Option<String>,
    pub license_start_date: Option<String>,
    pub license_end_date: Option<String>,
    /// The end date has passed.
    pub licence_expired: bool,
}

/// `SystemInfoSummaryData`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemInfoSummaryData {
    pub version_info: DataResponse<VersionInfo>,
    pub company_license: DataResponse<SystemInfoLicense>,
    pub company: DataResponse<CompanyDto>,
}
