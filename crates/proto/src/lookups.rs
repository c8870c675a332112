//! Reference-data DTOs: code types, lookups, licences, time zones.

use serde::{Deserialize, Serialize};

/// `GenericCodeTypeDto`: one kind of lookup, from `GET /api/codetypes`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericCodeTypeDto {
    pub id: i32,
    pub name: String,
    pub description: String,
}

/// `LookupDto`: one entry of a code type, such as a country or an industry.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LookupDto {
    pub resource_id: String,
    pub generic_code_type_id: i32,
    pub generic_code_type_name: String,
    pub name: String,
    pub code: Option<String>,
    pub description: Option<String>,
    pub order_number: i32,
    pub iso_code: Option<String>,
    pub iso_friendly_name: Option<String>,
}

/// `LookupRequest`: the body of `POST /api/lookups`; the lookups of every listed type and of
/// the named one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct LookupRequest {
    /// The platform's own UI sends `typename` and `typeidlist`, which ASP.NET binds ignoring
    /// case; the aliases accept them too.
    #[serde(alias = "typename")]
    pub type_name: Option<String>,
    #[serde(alias = "typeidlist")]
    pub type_id_list: Option<Vec<i32>>,
}

/// `License`: the data of `GET /api/lookups/licenses`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct License {
    pub licenses: Vec<LicenseDto>,
    pub all_license_modules: Vec<LicenseModuleDto>,
}

/// `LicenseDto`: a licence type and the modules it includes.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseDto {
    pub resource_id: String,
    pub name: String,
    pub license_modules: Vec<LicenseModuleDto>,
}

/// `LicenseModuleDto`: a product module.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseModuleDto {
    pub resource_id: String,
    pub name: String,
    /// Whether the module can be licensed. Every module this server knows can be.
    pub is_available: bool,
}

/// `GetTimeZonesServiceResult`: the data of `GET /api/timezone/timezones`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetTimeZonesServiceResult {
    pub time_zone_list: Vec<TimeZoneDto>,
    /// Format strings such as `dd/MM/yyyy`, as a company's `dateFormat` holds them.
    pub date_format_list: Vec<String>,
    /// Format strings such as `HH:mm`, as a company's `timeFormat` holds them.
    pub time_format_list: Vec<String>,
}

/// `TimeZoneDto`: an IANA time zone, displayed with its standard offset.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeZoneDto {
    pub id: String,
    pub display_name: String,
}

/// `CountryTimeZoneInfoDto`: what the company form suggests once a country is picked.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CountryTimeZoneInfoDto {
    /// ISO 3166-1 alpha-2, the `code` of the country's lookup.
    pub country_code: String,
    /// A `DateFormat` the company form accepts, e.g. `dd.MM.yyyy`.
    pub date_format: String,
    /// A `TimeFormat` the company form accepts, e.g. `HH:mm`.
    pub time_format: String,
    /// `12h` or `24h`.
    pub clock_format: String,
    /// The calling code, e.g. `+90`; null for uninhabited territories.
    pub phone_number_code: Option<String>,
    /// ISO 639-1.
    pub language_code: Option<String>,
    pub language_name: String,
    /// An IANA id from `GET /api/timezone/timezones`; null for uninhabited territories.
    pub timezone: Option<String>,
    /// A `PreferredLanguageType` lookup, for `PreferredLanguageTypeResourceId`.
    pub language_resource_id: String,
}
