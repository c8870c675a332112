//! The company form of `POST /api/companies` and `PUT /api/companies/{resourceId}`.
//!
//! The contract sends it as `multipart/form-data` with PascalCase fields (`Name`,
//! `CountryResourceId`, …) and arrays as repeated keys; we also take
//! `application/x-www-form-urlencoded` and JSON, and `Field[0]`-style array keys. Field names
//! match ignoring case. The nine required fields are checked against the reference data. A
//! logo comes as the multipart file `File`: at most [`MAX_LOGO_BYTES`] of PNG, JPEG, GIF or WebP,
//! recognized by its first bytes (never SVG, which can carry script).
//!
//! Whatever the encoding, every text value must be UTF-8 without U+0000, and a field that is not
//! one of the form's is refused by name, never ignored: a client that sends
//! `ParentCompanyResourceId` learns that it does nothing here. Multipart text parts are read as
//! UTF-8 whatever charset they claim (the multipart reader would otherwise take `FF FE` for a
//! UTF-16 byte-order mark and store what it decoded).

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use latchkey_proto::limits::MAX_LIST_LENGTH;
use latchkey_store::companies::{CompanyDetails, Logo};
use percent_encoding::percent_decode_str;
use time::macros::format_description;

use crate::error::ApiError;
use crate::state::AppState;

/// The submitted fields, keys lower-cased, in order, repeats kept, and the logo file if one
/// came.
pub struct CompanyForm {
    fields: Vec<(String, String)>,
    /// Each lower-cased key as the client first spelled it, for messages.
    spelled: HashMap<String, String>,
    logo: Option<Logo>,
}

/// Which operation the form is for: each has its own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `POST /api/companies`.
    Create,
    /// `PUT /api/companies/{resourceId}`.
    Update,
    /// `PUT /api/companies/limited`, once [`limited_resource_id`] has checked its fields.
    Limited,
}

/// A text value of field `name`, if it is UTF-8 without U+0000.
fn text_value(name: &str, bytes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{name} must be UTF-8 text"))?;
    if text.contains('\0') {
        return Err(format!(
            "{name} must not contain the NUL character (U+0000)"
        ));
    }
    Ok(text.to_owned())
}

/// `application/x-www-form-urlencoded` pairs, decoded strictly: a value that is not UTF-8 is
/// refused, where the usual parsers replace what they cannot decode.
fn url_encoded_pairs(body: &[u8]) -> Result<Vec<(String, String)>, Vec<String>> {
    let body = std::str::from_utf8(body)
        .map_err(|_| vec!["The form body must be UTF-8 text".to_owned()])?;
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode =
            |raw: &str| -> Vec<u8> { percent_decode_str(&raw.replace('+', " ")).collect() };
        let key = match text_value("A field name", &decode(key)) {
            Ok(key) => key,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match text_value(key.trim(), &decode(value)) {
            Ok(value) => pairs.push((key, value)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(pairs)
    } else {
        Err(errors)
    }
}

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;

/// `bytes` as a logo, if it is a PNG, JPEG, GIF or WebP image of at most [`MAX_LOGO_BYTES`].
fn logo(file_name: Option<&str>, bytes: &[u8]) -> Result<Logo, ApiError> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(ApiError::input(vec![format!(
            "File must be at most {} KiB",
            MAX_LOGO_BYTES / 1024
        )]));
    }
    let image = bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
        || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()));
    if !image {
        return Err(ApiError::input(vec![
            "File must be a PNG, JPEG, GIF or WebP image".into(),
        ]));
    }
    let file_name = file_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
        .filter(|n| !n.is_empty())
        .unwrap_or("logo");
    Ok(Logo {
        file_name: file_name.chars().take(255).collect(),
        content: bytes.to_vec(),
    })
}

fn normalize(key: &str) -> String {
    let key = key.trim();
    let key = match key.find('[') {
        Some(i) => &key[..i],
        None => key,
    };
    key.to_ascii_lowercase()
}

impl<S: Send + Sync> FromRequest<S> for CompanyForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut spelled: HashMap<String, String> = HashMap::new();
        let mut spell = |raw: &str| {
            let key = normalize(raw);
            let name = raw.trim();
            let name = name.find('[').map_or(name, |i| &name[..i]);
            spelled
                .entry(key.clone())
                .or_insert_with(|| name.to_owned());
            key
        };
        let mut errors = Vec::new();
        let mut logo_file = None;
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, state).await.map_err(|e| {
                ApiError::input(vec![format!("The multipart body could not be read: {e}")])
            })?;
            while let Some(field) = multipart.next_field().await.map_err(|e| {
                ApiError::input(vec![format!("The multipart body could not be read: {e}")])
            })? {
                let raw_name = field.name().unwrap_or("").to_owned();
                if let Err(e) = text_value("A field name", raw_name.as_bytes()) {
                    errors.push(e);
                    continue;
                }
                let name = spell(&raw_name);
                if field.file_name().is_some() || name == "file" {
                    let file_name = field.file_name().map(str::to_owned);
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| ApiError::input(vec![e.to_string()]))?;
                    if name != "file" {
                        errors.push(format!("{}: the form's only file is File", raw_name.trim()));
                        continue;
                    }
                    if file_name.as_deref().is_some_and(|n| n.contains('\0')) {
                        errors.push(
                            "File: the file name must not contain the NUL character (U+0000)"
                                .into(),
                        );
                        continue;
                    }
                    // An empty part is a form sent without a file.
                    if !bytes.is_empty() {
                        logo_file = Some(logo(file_name.as_deref(), &bytes)?);
                    }
                    continue;
                }
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::input(vec![e.to_string()]))?;
                match text_value(raw_name.trim(), &bytes) {
                    Ok(value) => fields.push((name, value)),
                    Err(e) => errors.push(e),
                }
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let bytes = axum::body::Bytes::from_request(request, state)
                .await
                .map_err(|e| ApiError::input(vec![e.to_string()]))?;
            let pairs = url_encoded_pairs(&bytes).map_err(ApiError::input)?;
            fields.extend(pairs.into_iter().map(|(k, v)| (spell(&k), v)));
        } else {
            let super::json::JsonBody(value) =
                super::json::JsonBody::<serde_json::Value>::from_request(request, state).await?;
            let object = value.as_object().ok_or_else(|| {
                ApiError::input(vec!["The company form must be an object".into()])
            })?;
            for (k, v) in object {
                let values = match v {
                    serde_json::Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                for item in values {
                    let text = match item {
                        serde_json::Value::Null => continue,
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    fields.push((spell(k), text));
                }
            }
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (key, _) in &fields {
            *counts.entry(key.as_str()).or_default() += 1;
        }
        let mut repeated: Vec<&str> = counts
            .into_iter()
            .filter(|(_, n)| *n > MAX_LIST_LENGTH)
            .map(|(key, _)| key)
            .collect();
        repeated.sort_unstable();
        for key in repeated {
            errors.push(format!(
                "{}: a field may be repeated at most {MAX_LIST_LENGTH} times",
                spelled.get(key).map_or(key, String::as_str)
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::input(errors));
        }
        Ok(Self {
            fields,
            spelled,
            logo: logo_file,
        })
    }
}

impl CompanyForm {
    fn one(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.is_empty())
            .collect()
    }

    fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }

    /// `key` as the client spelled it.
    fn spelled<'a>(&'a self, key: &'a str) -> &'a str {
        self.spelled.get(key).map_or(key, String::as_str)
    }
}

/// The fields of `PUT /api/companies/limited`, lower-cased: a company's profile without its
/// licence, which its own administrators may change.
pub const LIMITED_FIELDS: [&str; 9] = [
    "resourceid",
    "name",
    "industryresourceid",
    "countryresourceid",
    "description",
    "address",
    "websiteurl",
    "preferredlanguagetyperesourceid",
    "timezoneid",
];

/// The company form's fields as the contract spells them, for messages: those of create and
/// update together (create alone has `BaseManHour` and `BaseManHourCost`, update alone
/// `LogoUrl`; both are taken by both), and `IsReseller`, with which a reseller creates a
/// reseller under it.
const FORM_FIELDS: [&str; 31] = [
    "Name",
    "Description",
    "IndustryResourceId",
    "CountryResourceId",
    "Address",
    "WebsiteUrl",
    "LogoUrl",
    "LicenseTypeResourceId",
    "LicenseModuleResourceIdArray",
    "LicensePeriodTypeResourceId",
    "LicenseStartDate",
    "LicenseEndDate",
    "IsNumberOfUsersLimited",
    "NumberOfUsers",
    "NotificationTemplateTypeResourceId",
    "TrainingContentTypeResourceId",
    "SmtpConfigurationTypeResourceId",
    "PreferredLanguageTypeResourceId",
    "IsVersionVisible",
    "IsReleaseNotesVisible",
    "ReleaseNotesUrl",
    "CompanyGroupResourceIdArray",
    "BaseManHourCost",
    "BaseManHour",
    "StatusId",
    "TimeZoneId",
    "DateFormat",
    "TimeFormat",
    "CallBackNumberBookingCount",
    "Tags",
    "IsReseller",
];

/// Every field of the form that is not one of `purpose`'s, by name.
fn unknown_fields(form: &CompanyForm, purpose: Purpose) -> Vec<String> {
    let mut errors: Vec<String> = Vec::new();
    for (key, _) in &form.fields {
        let known = FORM_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key))
            || (purpose == Purpose::Limited && key == "resourceid");
        if known {
            continue;
        }
        let name = form.spelled(key);
        let error = match key.as_str() {
            "parentcompanyresourceid" => format!(
                "{name} is not a field of the company form: a company is created under the caller's company, or under the reseller named by X-KEEPNET-Company-Id, and stays there"
            ),
            "resourceid" => {
                format!("{name} is not a field of this form: the company is the one in the path")
            }
            _ => format!(
                "{name} is not a field of the company form, whose fields are: {}, File",
                FORM_FIELDS.join(", ")
            ),
        };
        if !errors.contains(&error) {
            errors.push(error);
        }
    }
    errors
}

/// The limited form's company id, once the form is checked: every field one of
/// [`LIMITED_FIELDS`] (or the logo file), and the four the contract requires present.
pub fn limited_resource_id(form: &CompanyForm) -> Result<String, ApiError> {
    let mut errors: Vec<String> = unknown_fields(form, Purpose::Limited);
    for (key, _) in &form.fields {
        if LIMITED_FIELDS.contains(&key.as_str())
            || !FORM_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key))
        {
            continue;
        }
        let label = FORM_FIELDS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(key))
            .copied()
            .unwrap_or(key.as_str());
        let error = format!(
            "{label} cannot be changed here; the company's reseller changes it with PUT /api/companies/{{resourceId}}"
        );
        if !errors.contains(&error) {
            errors.push(error);
        }
    }
    for (key, label) in [
        ("resourceid", "ResourceId"),
        ("name", "Name"),
        ("industryresourceid", "IndustryResourceId"),
        ("countryresourceid", "CountryResourceId"),
    ] {
        if form.one(key).is_none_or(str::is_empty) {
            errors.push(format!("{label} is required"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    Ok(form.one("resourceid").unwrap_or_default().to_owned())
}

/// Builds the details from the form over `base` (the current details on update, defaults on
/// create), collecting every problem.
pub async fn details(
    state: &AppState,
    form: &CompanyForm,
    base: CompanyDetails,
    purpose: Purpose,
) -> Result<CompanyDetails, ApiError> {
    let creating = purpose == Purpose::Create;
    let mut d = base;
    let mut errors = unknown_fields(form, purpose);

    let text = |key: &str,
                label: &str,
                max: usize,
                required: bool,
                target: &mut String,
                errors: &mut Vec<String>| {
        match form.one(key) {
            Some(v) if !v.is_empty() => {
                if v.chars().count() > max {
                    errors.push(format!("{label} must be at most {max} characters"));
                } else {
                    *target = v.to_owned();
                }
            }
            _ if required && (creating || target.is_empty()) => {
                errors.push(format!("{label} is required"))
            }
            _ => {}
        }
    };
    text("name", "Name", 64, true, &mut d.name, &mut errors);
    text(
        "industryresourceid",
        "IndustryResourceId",
        64,
        true,
        &mut d.industry,
        &mut errors,
    );
    text(
        "countryresourceid",
        "CountryResourceId",
        64,
        true,
        &mut d.country,
        &mut errors,
    );
    text(
        "licensetyperesourceid",
        "LicenseTypeResourceId",
        64,
        true,
        &mut d.license_type,
        &mut errors,
    );
    text(
        "licenseperiodtyperesourceid",
        "LicensePeriodTypeResourceId",
        64,
        true,
        &mut d.license_period_type,
        &mut errors,
    );
    text(
        "timezoneid",
        "TimeZoneId",
        64,
        true,
        &mut d.time_zone_id,
        &mut errors,
    );
    text(
        "dateformat",
        "DateFormat",
        32,
        true,
        &mut d.date_format,
        &mut errors,
    );
    text(
        "timeformat",
        "TimeFormat",
        32,
        true,
        &mut d.time_format,
        &mut errors,
    );

    let optional = |key: &str,
                    label: &str,
                    max: usize,
                    target: &mut Option<String>,
                    errors: &mut Vec<String>| {
        if form.has(key) {
            match form.one(key) {
                Some(v) if v.chars().count() > max => {
                    errors.push(format!("{label} must be at most {max} characters"))
                }
                Some(v) if !v.is_empty() => *target = Some(v.to_owned()),
                _ => *target = None,
            }
        }
    };
    optional(
        "description",
        "Description",
        300,
        &mut d.description,
        &mut errors,
    );
    optional("address", "Address", 200, &mut d.address, &mut errors);
    optional(
        "websiteurl",
        "WebsiteUrl",
        2000,
        &mut d.website_url,
        &mut errors,
    );
    optional(
        "releasenotesurl",
        "ReleaseNotesUrl",
        2000,
        &mut d.release_notes_url,
        &mut errors,
    );
    optional(
        "notificationtemplatetyperesourceid",
        "NotificationTemplateTypeResourceId",
        64,
        &mut d.notification_template_type,
        &mut errors,
    );
    optional(
        "trainingcontenttyperesourceid",
        "TrainingContentTypeResourceId",
        64,
        &mut d.training_content_type,
        &mut errors,
    );
    optional(
        "smtpconfigurationtyperesourceid",
        "SmtpConfigurationTypeResourceId",
        64,
        &mut d.smtp_configuration_type,
        &mut errors,
    );
    optional(
        "preferredlanguagetyperesourceid",
        "PreferredLanguageTypeResourceId",
        64,
        &mut d.preferred_language_type,
        &mut errors,
    );

    let int = |key: &str, label: &str, min: i64, target: &mut i64, errors: &mut Vec<String>| {
        if let Some(v) = form.one(key).filter(|v| !v.is_empty()) {
            match v.parse::<i64>() {
                Ok(n) if n >= min => *target = n,
                _ => errors.push(format!("{label} must be a whole number of at least {min}")),
            }
        }
    };
    if creating && form.one("numberofusers").is_none_or(str::is_empty) {
        errors.push("NumberOfUsers is required".into());
    }
    int(
        "numberofusers",
        "NumberOfUsers",
        0,
        &mut d.number_of_users,
        &mut errors,
    );
    int(
        "basemanhourcost",
        "BaseManHourCost",
        0,
        &mut d.base_man_hour_cost,
        &mut errors,
    );
    int(
        "basemanhour",
        "BaseManHour",
        0,
        &mut d.base_man_hour,
        &mut errors,
    );
    int(
        "callbacknumberbookingcount",
        "CallBackNumberBookingCount",
        0,
        &mut d.call_back_number_booking_count,
        &mut errors,
    );
    int("statusid", "StatusId", 0, &mut d.status_id, &mut errors);
    if d.status_id > 1 {
        errors.push("StatusId must be 1 (Active) or 0 (Inactive)".into());
    }

    let boolean = |key: &str, label: &str, target: &mut bool, errors: &mut Vec<String>| {
        if let Some(v) = form.one(key).filter(|v| !v.is_empty()) {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "on" => *target = true,
                "false" | "0" | "off" => *target = false,
                _ => errors.push(format!("{label} must be true or false")),
            }
        }
    };
    boolean(
        "isnumberofuserslimited",
        "IsNumberOfUsersLimited",
        &mut d.is_number_of_users_limited,
        &mut errors,
    );
    boolean(
        "isversionvisible",
        "IsVersionVisible",
        &mut d.is_version_visible,
        &mut errors,
    );
    boolean(
        "isreleasenotesvisible",
        "IsReleaseNotesVisible",
        &mut d.is_release_notes_visible,
        &mut errors,
    );
    boolean("isreseller", "IsReseller", &mut d.is_reseller, &mut errors);

    let date = |key: &str, label: &str, target: &mut Option<i64>, errors: &mut Vec<String>| {
        if form.has(key) {
            match form.one(key).filter(|v| !v.is_empty()) {
                None => *target = None,
                Some(v) => match parse_date(v) {
                    Some(ms) => *target = Some(ms),
                    None => errors.push(format!("{label} must be a date like 2026-11-23")),
                },
            }
        }
    };
    date(
        "licensestartdate",
        "LicenseStartDate",
        &mut d.license_start_date,
        &mut errors,
    );
    date(
        "licenseenddate",
        "LicenseEndDate",
        &mut d.license_end_date,
        &mut errors,
    );
    if let (Some(start), Some(end)) = (d.license_start_date, d.license_end_date)
        && end < start
    {
        errors.push("LicenseEndDate must not be before LicenseStartDate".into());
    }
    // Both are sets: a repeated value is one value, not a conflict.
    for (key, label) in [
        (
            "licensemoduleresourceidarray",
            "LicenseModuleResourceIdArray",
        ),
        ("tags", "Tags"),
        ("companygroupresourceidarray", "CompanyGroupResourceIdArray"),
    ] {
        if form.all(key).len() > MAX_LIST_LENGTH {
            errors.push(format!("{label} may have at most {MAX_LIST_LENGTH} values"));
        }
    }
    if form.has("licensemoduleresourceidarray") {
        d.license_modules = form.all("licensemoduleresourceidarray");
        d.license_modules.sort();
        d.license_modules.dedup();
    }
    if form.has("tags") {
        d.tags = form.all("tags");
        d.tags.sort();
        d.tags.dedup();
        if d.tags.iter().any(|t| t.chars().count() > 64) {
            errors.push("Tags must be at most 64 characters each".into());
        }
    }
    if form.logo.is_some() {
        d.logo = form.logo.clone();
    }
    if !form.all("companygroupresourceidarray").is_empty() {
        errors.push("CompanyGroupResourceIdArray: add the company to groups with PUT /api/company-groups/{id}/participants".into());
    }

    if errors.is_empty() {
        errors.extend(check_references(state, &d).await?);
    }
    if errors.is_empty() {
        Ok(d)
    } else {
        Err(ApiError::input(errors))
    }
}

fn parse_date(v: &str) -> Option<i64> {
    if let Ok(t) = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let day = v.get(..10)?;
    let date = time::Date::parse(day, format_description!("[year]-[month]-[day]")).ok()?;
    Some((date.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Checks the form's references against the seeded reference data.
async fn check_references(state: &AppState, d: &CompanyDetails) -> Result<Vec<String>, ApiError> {
    Ok(state.store.company_reference_problems(d).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_values_are_strict_utf8_without_nul() {
        assert_eq!(
            url_encoded_pairs(b"Name=Caf%C3%A9+Bar&Tags=a&Tags=b").expect("text"),
            [
                ("Name".to_owned(), "Café Bar".to_owned()),
                ("Tags".to_owned(), "a".to_owned()),
                ("Tags".to_owned(), "b".to_owned())
            ]
        );
        assert_eq!(
            url_encoded_pairs(b"Name=%FF%FEx&Address=a%00b").expect_err("refused"),
            [
                "Name must be UTF-8 text",
                "Address must not contain the NUL character (U+0000)"
            ]
        );
    }
}
