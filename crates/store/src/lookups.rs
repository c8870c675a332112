//! Reference data: code types, their lookups, what each licence type includes, time zones, and
//! date and time formats.
//!
//! All of it is seeded by `migrations/*/0002_reference_data.sql` and is the same for every
//! tenant, so nothing here takes a scope. Companies refer to a lookup by its resource id, which
//! the migration fixes forever; [`Store::lookup`] is how a form checks that an id names a lookup
//! of the right type. Date and time formats are lookups of their own types ([`DATE_FORMAT`],
//! [`TIME_FORMAT`]) whose `code` is the format string; time zones have their own table, keyed by
//! IANA name. Per-country suggestions for the company form ([`Store::country_defaults`]) come
//! from `0010_country_defaults.sql`, generated from CLDR.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// Countries and territories (ISO 3166-1); `code` is the alpha-2 code.
pub const COUNTRY: i64 = 1;
/// Industries.
pub const INDUSTRY: i64 = 2;
/// Licence types; [`Store::licenses`] adds the modules each includes.
pub const LICENSE_TYPE: i64 = 3;
/// Licence period types.
pub const LICENSE_PERIOD_TYPE: i64 = 4;
/// Where a company's notification templates come from.
pub const NOTIFICATION_TEMPLATE_TYPE: i64 = 5;
/// Which training content a company sees.
pub const TRAINING_CONTENT_TYPE: i64 = 6;
/// Which mail servers send a company's email.
pub const SMTP_CONFIGURATION_TYPE: i64 = 7;
/// Languages (ISO 639-1 in `code`).
pub const PREFERRED_LANGUAGE_TYPE: i64 = 21;
/// Product modules a licence can include.
pub const LICENSE_MODULE: i64 = 101;
/// Date display formats; `code` (and `name`) is the format string, e.g. `dd/MM/yyyy`.
pub const DATE_FORMAT: i64 = 102;
/// Time display formats; `code` (and `name`) is the format string, e.g. `HH:mm`.
pub const TIME_FORMAT: i64 = 103;

/// The conventions of one country, as the company form suggests them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryDefaults {
    /// ISO 3166-1 alpha-2, the `code` of the country's lookup.
    pub country_code: String,
    /// One of the [`DATE_FORMAT`] codes.
    pub date_format: String,
    /// One of the [`TIME_FORMAT`] codes.
    pub time_format: String,
    /// `12h` or `24h`.
    pub clock_format: String,
    /// The ITU calling code, `+90`; none for uninhabited territories.
    pub phone_code: Option<String>,
    /// None for territories without a population of their own.
    pub time_zone_id: Option<String>,
    /// A [`PREFERRED_LANGUAGE_TYPE`] lookup: the country's most spoken official language among
    /// those, English otherwise.
    pub language_resource_id: String,
    pub language_code: Option<String>,
    pub language_name: String,
}

/// A kind of lookup (`GenericCodeTypeDto`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeType {
    pub id: i64,
    /// A PascalCase name such as `Country`; unique, matched ignoring case.
    pub name: String,
    pub description: String,
}

/// One entry of a code type (`LookupDto`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub resource_id: String,
    pub code_type_id: i64,
    pub code_type_name: String,
    pub name: String,
    pub code: Option<String>,
    pub description: Option<String>,
    pub order_number: i64,
    pub iso_code: Option<String>,
    pub iso_friendly_name: Option<String>,
}

/// A licence type and the modules it includes, in module order.
#[derive(Debug, Clone)]
pub struct LicenseType {
    pub license: Lookup,
    pub modules: Vec<Lookup>,
}

/// What `GET /api/lookups/licenses` shows: every licence type with its modules, and every
/// module.
#[derive(Debug, Clone)]
pub struct Licenses {
    pub types: Vec<LicenseType>,
    pub modules: Vec<Lookup>,
}

/// An IANA time zone with a display name that shows its standard offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    pub id: String,
    pub display_name: String,
}

const LOOKUP_COLUMNS: &str = "l.resource_id, l.code_type_id, t.name AS code_type_name, l.name, \
     l.code, l.description, l.order_number, l.iso_code, l.iso_friendly_name";
const LOOKUP_FROM: &str = "lookups l JOIN code_types t ON t.id = l.code_type_id";

fn lookup_row(row: &AnyRow) -> Result<Lookup, sqlx::Error> {
    Ok(Lookup {
        resource_id: row.try_get("resource_id")?,
        code_type_id: row.try_get("code_type_id")?,
        code_type_name: row.try_get("code_type_name")?,
        name: row.try_get("name")?,
        code: row.try_get("code")?,
        description: row.try_get("description")?,
        order_number: row.try_get("order_number")?,
        iso_code: row.try_get("iso_code")?,
        iso_friendly_name: row.try_get("iso_friendly_name")?,
    })
}

fn code_type_row(row: &AnyRow) -> Result<CodeType, sqlx::Error> {
    Ok(CodeType {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
    })
}

impl Store {
    /// Every code type, by id.
    pub async fn code_types(&self) -> Result<Vec<CodeType>, StoreError> {
        let rows = sqlx::query("SELECT id, name, description FROM code_types ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(code_type_row)
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// The code type with this id, if there is one.
    pub async fn code_type(&self, id: i64) -> Result<Option<CodeType>, StoreError> {
        let row = sqlx::query("SELECT id, name, description FROM code_types WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(code_type_row).transpose()?)
    }

    /// The code type with this name, ignoring case (`country` finds `Country`).
    pub async fn code_type_by_name(&self, name: &str) -> Result<Option<CodeType>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, description FROM code_types WHERE LOWER(name) = LOWER($1)",
        )
        .bind(name.trim())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(code_type_row).transpose()?)
    }

    /// The lookups of the given types, by type id and then by order number. Ids that name no
    /// type contribute nothing; an empty slice gives an empty list.
    pub async fn lookups_of_types(&self, type_ids: &[i64]) -> Result<Vec<Lookup>, StoreError> {
        if type_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=type_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {LOOKUP_COLUMNS} FROM {LOOKUP_FROM} WHERE l.code_type_id IN ({}) \
             ORDER BY l.code_type_id, l.order_number, l.id",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in type_ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(lookup_row)
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// The lookup with this resource id if it is of type `type_id`: `None` both for an unknown
    /// id and for a lookup of another type (a country's id offered as an industry).
    pub async fn lookup(
        &self,
        type_id: i64,
        resource_id: &str,
    ) -> Result<Option<Lookup>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {LOOKUP_COLUMNS} FROM {LOOKUP_FROM} \
             WHERE l.resource_id = $1 AND l.code_type_id = $2"
        ))
        .bind(resource_id)
        .bind(type_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(lookup_row).transpose()?)
    }

    /// The lookup of type `type_id` whose code is exactly `code` (case matters: `MM` is months,
    /// `mm` minutes).
    pub async fn lookup_by_code(
        &self,
        type_id: i64,
        code: &str,
    ) -> Result<Option<Lookup>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {LOOKUP_COLUMNS} FROM {LOOKUP_FROM} \
             WHERE l.code_type_id = $1 AND l.code = $2"
        ))
        .bind(type_id)
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(lookup_row).transpose()?)
    }

    /// Every licence type with the modules it includes, and every module.
    pub async fn licenses(&self) -> Result<Licenses, StoreError> {
        let types = self.lookups_of_types(&[LICENSE_TYPE]).await?;
        let modules = self.lookups_of_types(&[LICENSE_MODULE]).await?;
        let pairs = sqlx::query(
            "SELECT ltm.license_type_resource_id, ltm.module_resource_id \
             FROM license_type_modules ltm",
        )
        .fetch_all(self.pool())
        .await?;
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("license_type_resource_id")?,
                    r.try_get("module_resource_id")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()?;
        let types = types
            .into_iter()
            .map(|license| {
                // `modules` is in module order, so filtering it keeps that order.
                let included = modules
                    .iter()
                    .filter(|m| {
                        pairs
                            .iter()
                            .any(|(t, mid)| *t == license.resource_id && *mid == m.resource_id)
                    })
                    .cloned()
                    .collect();
                LicenseType {
                    license,
                    modules: included,
                }
            })
            .collect();
        Ok(Licenses { types, modules })
    }

    /// Every time zone, by standard offset and then by id.
    pub async fn time_zones(&self) -> Result<Vec<TimeZone>, StoreError> {
        let rows = sqlx::query("SELECT id, display_name FROM time_zones ORDER BY order_number")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(TimeZone {
                    id: r.try_get("id")?,
                    display_name: r.try_get("display_name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// What the company form suggests for each country, in the countries' display order.
    pub async fn country_defaults(&self) -> Result<Vec<CountryDefaults>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.country_code, d.date_format, d.time_format, d.clock_format, d.phone_code, \
             d.time_zone_id, l.resource_id AS language_resource_id, l.code AS language_code, \
             l.name AS language_name \
             FROM country_defaults d \
             JOIN lookups l ON l.resource_id = d.language_resource_id \
             JOIN lookups c ON c.code_type_id = $1 AND c.code = d.country_code \
             ORDER BY c.order_number",
        )
        .bind(COUNTRY)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(CountryDefaults {
                    country_code: r.try_get("country_code")?,
                    date_format: r.try_get("date_format")?,
                    time_format: r.try_get("time_format")?,
                    clock_format: r.try_get("clock_format")?,
                    phone_code: r.try_get("phone_code")?,
                    time_zone_id: r.try_get("time_zone_id")?,
                    language_resource_id: r.try_get("language_resource_id")?,
                    language_code: r.try_get("language_code")?,
                    language_name: r.try_get("language_name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Whether `id` is one of the time zones, exactly as listed (`Europe/Istanbul`).
    pub async fn time_zone_exists(&self, id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM time_zones WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// The date formats, in display order (`dd/MM/yyyy`, …).
    pub async fn date_formats(&self) -> Result<Vec<String>, StoreError> {
        self.format_strings(DATE_FORMAT).await
    }

    /// The time formats, in display order (`HH:mm`, `hh:mm tt`, …).
    pub async fn time_formats(&self) -> Result<Vec<String>, StoreError> {
        self.format_strings(TIME_FORMAT).await
    }

    /// Whether `format` is one of the date formats, exactly (case matters).
    pub async fn is_date_format(&self, format: &str) -> Result<bool, StoreError> {
        Ok(self.lookup_by_code(DATE_FORMAT, format).await?.is_some())
    }

    /// Whether `format` is one of the time formats, exactly (case matters).
    pub async fn is_time_format(&self, format: &str) -> Result<bool, StoreError> {
        Ok(self.lookup_by_code(TIME_FORMAT, format).await?.is_some())
    }

    async fn format_strings(&self, type_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lookups_of_types(&[type_id])
            .await?
            .into_iter()
            .filter_map(|l| l.code)
            .collect())
    }
}
