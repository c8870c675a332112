//! Target users: the people a company's awareness programme is for, and the rules every way of
//! writing one follows.
//!
//! A tour:
//! - The enumerations the wire names and the store numbers ([`Priority`], [`TargetUserStatus`],
//!   [`FieldDataType`], [`FieldOwner`]): parsed by name ignoring case, printed by name.
//! - [`TargetUserInput`]: a target user as raw text, the way a JSON body or a spreadsheet row
//!   gives it.
//! - [`TargetUserRules`]: what checking one needs to know beyond the text: the company's custom
//!   fields and target groups, the time zones and languages. The store builds it once per
//!   request or import (`Store::target_user_rules`).
//! - [`validate`]: the one function from input to a [`TargetUserDraft`] or a list of
//!   [`FieldError`]s. The API's create and update and the spreadsheet import call it for every
//!   user, so a row is accepted or refused for the same reasons everywhere.
//!
//! What validation cannot see is checked where the user is written: whether the email belongs
//! to a live user already, the licence, and that required fields hold a value after the write.

use std::collections::{HashMap, HashSet};

use crate::user::{Email, parse_phone};

/// Declares an enumeration that the store keeps as a number and the wire names: `code` and
/// `from_code` for the store, `name` and `parse` (any case) for the wire, `NAMES` for the
/// search engine.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Each name with its stored code.
            pub const NAMES: &'static [(&'static str, i64)] = &[$((stringify!($variant), $code)),+];

            pub const fn code(self) -> i64 {
                match self { $($name::$variant => $code),+ }
            }

            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }

            pub fn from_code(code: i64) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            /// By name, ignoring case and surrounding spaces.
            pub fn parse(raw: &str) -> Option<Self> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|v| v.name().eq_ignore_ascii_case(raw))
            }

            /// The names, for messages: `VeryLow, Low, …`.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

wire_enum! {
    /// A target user's or group's priority (DESIGN.md decision 11); Medium when none is given.
    #[derive(Default)]
    Priority { VeryLow = 1, Low = 2, #[default] Medium = 3, High = 4, VeryHigh = 5 }
}

wire_enum! {
    /// `status_id`: a deleted user keeps its row (and stays readable) but frees its email.
    TargetUserStatus { Inactive = 0, Active = 1, Deleted = 2 }
}

wire_enum! {
    /// What a custom field holds.
    FieldDataType { Text = 1, Number = 2, Date = 3, Boolean = 4 }
}

wire_enum! {
    /// Whose a custom field is: every target user's, or the users' of one target group.
    FieldOwner { TargetUser = 1, TargetGroup = 2 }
}

/// First and last names, department and the manager's names: the create request's 256, for
/// updates and imports too. The spec's update request says 40 and 64, which would refuse to
/// update a user the create accepted; one rule for every write keeps a read-modify-write of any
/// stored user valid.
pub const NAME_MAX: usize = 256;
/// A custom field's name, as the contract gives it.
pub const FIELD_NAME_MAX: usize = 64;
/// A text custom field's value.
pub const TEXT_VALUE_MAX: usize = 1000;

impl FieldDataType {
    /// The stored form of `raw` as a value of this type, or why it is not one. Numbers are
    /// written back in their shortest form (`1.50` → `1.5`), dates as `2026-11-23` or an
    /// RFC 3339 instant in UTC, booleans as `true` / `false` (also read from yes/no, 1/0).
    pub fn canonical(self, raw: &str) -> Result<String, String> {
        let v = raw.trim();
        match self {
            FieldDataType::Text => {
                if v.chars().count() > TEXT_VALUE_MAX {
                    Err(format!("is longer than {TEXT_VALUE_MAX} characters"))
                } else if v.chars().any(|c| c.is_control() && c != '\t') {
                    Err("must not contain control characters".to_owned())
                } else {
                    Ok(v.to_owned())
                }
            }
            FieldDataType::Number => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    // Whole numbers print without a fraction; others as Rust's shortest
                    // round-trip form (never with an exponent).
                    if n.fract() == 0.0 && n.abs() < 1e15 {
                        Ok(format!("{}", n as i64))
                    } else {
                        Ok(format!("{n}"))
                    }
                }
                _ => Err(format!("'{}' is not a number", shown(v))),
            },
            FieldDataType::Date => match crate::time::parse_date(v) {
                Some((ms, true)) => Ok(crate::time::millis_to_rfc3339(ms)[..10].to_owned()),
                Some((ms, false)) => Ok(crate::time::millis_to_rfc3339(ms)),
                None => Err(format!(
                    "'{}' is not a date (2026-11-23 or 2026-11-23T10:00:00Z)",
                    shown(v)
                )),
            },
            FieldDataType::Boolean => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Ok("true".to_owned()),
                "false" | "no" | "n" | "0" => Ok("false".to_owned()),
                _ => Err(format!("'{}' is not true or false", shown(v))),
            },
        }
    }
}

/// A custom field as validation sees it. `key` is the store's row id, opaque here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldDef {
    pub key: i64,
    pub resource_id: String,
    pub name: String,
    pub data_type: FieldDataType,
    pub owner: FieldOwner,
    /// The group a [`FieldOwner::TargetGroup`] field belongs to (the store's key).
    pub target_group: Option<i64>,
    pub is_active: bool,
    pub is_required: bool,
}

/// A PreferredLanguageType lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    pub resource_id: String,
    pub name: String,
    /// ISO 639-1.
    pub code: Option<String>,
}

/// Everything beyond the text that checking a target user needs: the company's custom fields
/// and target groups (so that ids of another company's are unknown here), the time zones and the
/// languages.
#[derive(Debug, Clone, Default)]
pub struct TargetUserRules {
    pub fields: Vec<CustomFieldDef>,
    /// Folded id → id as listed.
    time_zones: HashMap<String, String>,
    /// Folded resource id, name or code → resource id.
    languages: HashMap<String, String>,
    /// Resource id → the store's key.
    groups: HashMap<String, i64>,
}

impl TargetUserRules {
    pub fn new(
        fields: Vec<CustomFieldDef>,
        time_zones: impl IntoIterator<Item = String>,
        languages: impl IntoIterator<Item = Language>,
        groups: impl IntoIterator<Item = (String, i64)>,
    ) -> Self {
        let mut by_name = HashMap::new();
        for l in languages {
            // Resource ids first, so that a language's name never shadows another's id.
            by_name
                .entry(l.name.to_lowercase())
                .or_insert_with(|| l.resource_id.clone());
            if let Some(code) = &l.code {
                by_name
                    .entry(code.to_lowercase())
                    .or_insert_with(|| l.resource_id.clone());
            }
            by_name.insert(l.resource_id.to_lowercase(), l.resource_id);
        }
        Self {
            fields,
            time_zones: time_zones
                .into_iter()
                .map(|t| (t.to_lowercase(), t))
                .collect(),
            languages: by_name,
            groups: groups.into_iter().collect(),
        }
    }

    /// A custom field by resource id, or else by name ignoring case.
    pub fn field(&self, reference: &str) -> Option<&CustomFieldDef> {
        let r = reference.trim();
        self.fields.iter().find(|f| f.resource_id == r).or_else(|| {
            let folded = r.to_lowercase();
            self.fields.iter().find(|f| f.name.to_lowercase() == folded)
        })
    }

    /// The store's key of one of the company's target groups.
    pub fn group(&self, resource_id: &str) -> Option<i64> {
        self.groups.get(resource_id.trim()).copied()
    }

    /// Whether any active required field exists: only then must a write check that users hold
    /// values for them.
    pub fn has_required_fields(&self) -> bool {
        self.fields.iter().any(|f| f.is_active && f.is_required)
    }
}

/// One custom-field value of an input: the field by resource id or name, and the value as
/// text (empty clears it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldInput {
    pub field: String,
    pub value: Option<String>,
}

/// A target user as raw text. `None` means the input does not mention the field: an existing
/// user keeps its value, a new one gets the default (Medium priority, Active). `Some("")`
/// clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetUserInput {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub phone_number: Option<String>,
    pub priority: Option<String>,
    /// An id of `GET /api/timezone/timezones`, any case.
    pub time_zone: Option<String>,
    /// A PreferredLanguageType lookup: its resource id, name or ISO code, any case.
    pub preferred_language: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
    pub is_active: Option<bool>,
    /// Only the fields named change; the others keep their values.
    pub custom_fields: Vec<CustomFieldInput>,
    /// Target group resource ids; `None` leaves memberships alone.
    pub target_groups: Option<Vec<String>>,
    /// With `target_groups`: the user's groups become exactly those (an update through the
    /// API) instead of being added to (create, import).
    pub replace_groups: bool,
}

/// One problem with one field, as the import preview shows it (`validationDetail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The wire name (`email`, `phoneNumber`) or the custom field's name.
    pub field_name: String,
    /// A sentence that names the field too, for `validationMessages`.
    pub message: String,
    pub kind: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The value breaks a rule.
    Invalid,
    /// An id that names nothing of the company's (a target group, a custom field): the API
    /// answers 404, as for any id of another tenant.
    NotFound,
}

impl FieldError {
    fn invalid(field_name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field_name: field_name.into(),
            message: message.into(),
            kind: Problem::Invalid,
        }
    }

    fn not_found(field_name: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field_name: field_name.into(),
            message: message.into(),
            kind: Problem::NotFound,
        }
    }
}

/// A field of a draft: left as it is, or set (to `None`: cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    Keep,
    Set(T),
}

impl<T: Clone> Change<T> {
    /// The value after the change, given the current one.
    pub fn apply(&self, current: T) -> T {
        match self {
            Change::Keep => current,
            Change::Set(v) => v.clone(),
        }
    }
}

/// What a write does to the user's target groups (store keys of the company's groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChange {
    Keep,
    Add(Vec<i64>),
    Replace(Vec<i64>),
}

/// A valid target user, ready to be written. Only [`validate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetUserDraft {
    pub email: Email,
    pub first_name: Change<Option<String>>,
    pub last_name: Change<Option<String>>,
    pub department: Change<Option<String>>,
    pub phone_number: Change<Option<String>>,
    pub priority: Change<Priority>,
    /// Active or Inactive; never Deleted.
    pub status: Change<TargetUserStatus>,
    pub time_zone_id: Change<Option<String>>,
    pub preferred_language_id: Change<Option<String>>,
    pub manager_first_name: Change<Option<String>>,
    pub manager_last_name: Change<Option<String>>,
    pub manager_email: Change<Option<String>>,
    /// Field key and stored value (`None` clears it), each field once.
    pub custom_values: Vec<(i64, Option<String>)>,
    pub groups: GroupChange,
}

/// Checks one target user against every rule that the text and `rules` can decide, and
/// answers the draft to write or every problem found (not only the first).
pub fn validate(
    input: &TargetUserInput,
    rules: &TargetUserRules,
) -> Result<TargetUserDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = match Email::parse(input.email.as_deref().unwrap_or("")) {
        Ok(e) => Some(e),
        Err(message) => {
            errors.push(FieldError::invalid("email", message));
            None
        }
    };
    let mut text = |raw: &Option<String>, field: &str, label: &str| {
        change(raw, |v| match name_like(v, label) {
            Ok(v) => Some(v),
            Err(m) => {
                errors.push(FieldError::invalid(field, m));
                None
            }
        })
    };
    let first_name = text(&input.first_name, "firstName", "First name");
    let last_name = text(&input.last_name, "lastName", "Last name");
    let department = text(&input.department, "department", "Department");
    let manager_first_name = text(
        &input.manager_first_name,
        "managerFirstName",
        "Manager first name",
    );
    let manager_last_name = text(
        &input.manager_last_name,
        "managerLastName",
        "Manager last name",
    );
    let phone_number = change(&input.phone_number, |v| match parse_phone(Some(v)) {
        Ok(p) => Some(p),
        Err(m) => {
            errors.push(FieldError::invalid("phoneNumber", m));
            None
        }
    });
    let manager_email = change(&input.manager_email, |v| match Email::parse(v) {
        Ok(e) => Some(e.as_str().to_owned()),
        Err(m) => {
            let m = m.replacen("Email", "Manager email", 1);
            errors.push(FieldError::invalid("managerEmail", m));
            None
        }
    });
    let priority = match input.priority.as_deref().map(str::trim) {
        None => Change::Keep,
        Some("") => Change::Set(Priority::default()),
        Some(raw) => match Priority::parse(raw) {
            Some(p) => Change::Set(p),
            None => {
                errors.push(FieldError::invalid(
                    "priority",
                    format!(
                        "Priority '{}' is not one of: {}",
                        shown(raw),
                        Priority::names()
                    ),
                ));
                Change::Keep
            }
        },
    };
    let time_zone_id = change(&input.time_zone, |v| {
        match rules.time_zones.get(&v.to_lowercase()) {
            Some(id) => Some(id.clone()),
            None => {
                errors.push(FieldError::invalid(
                    "timeZoneId",
                    format!(
                        "Time zone '{}' is not one of GET /api/timezone/timezones",
                        shown(v)
                    ),
                ));
                None
            }
        }
    });
    let preferred_language_id = change(&input.preferred_language, |v| {
        match rules.languages.get(&v.to_lowercase()) {
            Some(id) => Some(id.clone()),
            None => {
                errors.push(FieldError::invalid(
                    "preferredLanguageId",
                    format!(
                        "Preferred language '{}' is not a PreferredLanguageType lookup (GET /api/lookups/21)",
                        shown(v)
                    ),
                ));
                None
            }
        }
    });
    let groups = match &input.target_groups {
        None => GroupChange::Keep,
        Some(ids) => {
            let mut keys = Vec::new();
            for id in ids {
                match rules.group(id) {
                    Some(k) if !keys.contains(&k) => keys.push(k),
                    Some(_) => {}
                    None => errors.push(FieldError::not_found(
                        "targetGroupResourceIds",
                        format!("Target group '{}' was not found", shown(id)),
                    )),
                }
            }
            if input.replace_groups {
                GroupChange::Replace(keys)
            } else {
                GroupChange::Add(keys)
            }
        }
    };
    let custom_values = custom_values(&input.custom_fields, rules, &mut errors);
    let status = match input.is_active {
        None => Change::Keep,
        Some(true) => Change::Set(TargetUserStatus::Active),
        Some(false) => Change::Set(TargetUserStatus::Inactive),
    };
    match email {
        Some(email) if errors.is_empty() => Ok(TargetUserDraft {
            email,
            first_name,
            last_name,
            department,
            phone_number,
            priority,
            status,
            time_zone_id,
            preferred_language_id,
            manager_first_name,
            manager_last_name,
            manager_email,
            custom_values,
            groups,
        }),
        _ => Err(errors),
    }
}

/// The active required fields that `draft` would leave without a value, for a user who holds
/// values of `stored_fields` and is in `stored_groups` (both empty for a new user): every
/// TargetUser field, and the TargetGroup fields of the groups the user is in after the write.
/// The store refuses such a write; the import's preview calls this to mark the row first.
pub fn missing_required(
    draft: &TargetUserDraft,
    rules: &TargetUserRules,
    stored_fields: &[i64],
    stored_groups: &[i64],
) -> Vec<FieldError> {
    let in_group = |g: i64| match &draft.groups {
        GroupChange::Keep => stored_groups.contains(&g),
        GroupChange::Add(added) => stored_groups.contains(&g) || added.contains(&g),
        GroupChange::Replace(groups) => groups.contains(&g),
    };
    rules
        .fields
        .iter()
        .filter(|f| f.is_active && f.is_required)
        .filter(|f| match f.owner {
            FieldOwner::TargetUser => true,
            FieldOwner::TargetGroup => f.target_group.is_some_and(in_group),
        })
        .filter(
            |f| match draft.custom_values.iter().find(|(k, _)| *k == f.key) {
                Some((_, value)) => value.is_none(),
                None => !stored_fields.contains(&f.key),
            },
        )
        .map(|f| {
            FieldError::invalid(
                f.name.clone(),
                format!("Custom field {} is required", f.name),
            )
        })
        .collect()
}

/// `None` → keep; empty → clear; otherwise what `parse` makes of the trimmed text.
fn change(
    raw: &Option<String>,
    mut parse: impl FnMut(&str) -> Option<String>,
) -> Change<Option<String>> {
    match raw.as_deref().map(str::trim) {
        None => Change::Keep,
        Some("") => Change::Set(None),
        Some(v) => Change::Set(parse(v)),
    }
}

fn name_like(v: &str, label: &str) -> Result<String, String> {
    if v.chars().count() > NAME_MAX {
        Err(format!("{label} must be at most {NAME_MAX} characters"))
    } else if v.chars().any(char::is_control) {
        Err(format!("{label} must not contain control characters"))
    } else {
        Ok(v.to_owned())
    }
}

fn custom_values(
    inputs: &[CustomFieldInput],
    rules: &TargetUserRules,
    errors: &mut Vec<FieldError>,
) -> Vec<(i64, Option<String>)> {
    let mut values: Vec<(i64, Option<String>)> = Vec::new();
    for input in inputs {
        let Some(field) = rules.field(&input.field) else {
            errors.push(FieldError::not_found(
                "customFields",
                format!("Custom field '{}' was not found", shown(&input.field)),
            ));
            continue;
        };
        if values.iter().any(|(k, _)| *k == field.key) {
            errors.push(FieldError::invalid(
                field.name.clone(),
                format!("Custom field {} is given more than once", field.name),
            ));
            continue;
        }
        let raw = input.value.as_deref().map(str::trim).unwrap_or("");
        if raw.is_empty() {
            if field.is_active && field.is_required && field.owner == FieldOwner::TargetUser {
                errors.push(FieldError::invalid(
                    field.name.clone(),
                    format!("Custom field {} is required", field.name),
                ));
            }
            values.push((field.key, None));
            continue;
        }
        match field.data_type.canonical(raw) {
            Ok(v) => values.push((field.key, Some(v))),
            Err(why) => errors.push(FieldError::invalid(
                field.name.clone(),
                format!(
                    "Custom field {} ({}): {why}",
                    field.name,
                    field.data_type.name()
                ),
            )),
        }
    }
    values
}

/// A value as quoted back in a message: at most 100 characters of it.
fn shown(value: &str) -> String {
    const MAX: usize = 100;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// Emails that appear more than once (ignoring case) among `emails`, each once, in order of
/// their second appearance: a batch must name each user once.
pub fn repeated_emails<'a>(emails: impl IntoIterator<Item = &'a Email>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut repeated = Vec::new();
    for e in emails {
        let folded = e.folded();
        if !seen.insert(folded.clone()) && !repeated.contains(&folded) {
            repeated.push(folded);
        }
    }
    repeated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> TargetUserRules {
        let field = |key, name: &str, data_type, required| CustomFieldDef {
            key,
            resource_id: format!("field{key}"),
            name: name.to_owned(),
            data_type,
            owner: FieldOwner::TargetUser,
            target_group: None,
            is_active: true,
            is_required: required,
        };
        TargetUserRules::new(
            vec![
                field(1, "Office", FieldDataType::Text, true),
                field(2, "Floor", FieldDataType::Number, false),
                field(3, "Hired", FieldDataType::Date, false),
                field(4, "Remote", FieldDataType::Boolean, false),
            ],
            ["Europe/Istanbul".to_owned()],
            [Language {
                resource_id: "LangEnglish1".into(),
                name: "English".into(),
                code: Some("en".into()),
            }],
            [("groupA".to_owned(), 10)],
        )
    }

    fn input(email: &str) -> TargetUserInput {
        TargetUserInput {
            email: Some(email.into()),
            custom_fields: vec![CustomFieldInput {
                field: "office".into(),
                value: Some("HQ".into()),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn enumerations_parse_any_case_and_print_wire_names() {
        assert_eq!(Priority::parse(" veryhigh "), Some(Priority::VeryHigh));
        assert_eq!(Priority::VeryHigh.to_string(), "VeryHigh");
        assert_eq!(Priority::from_code(1), Some(Priority::VeryLow));
        assert_eq!(Priority::parse("urgent"), None);
        assert_eq!(
            TargetUserStatus::parse("DELETED"),
            Some(TargetUserStatus::Deleted)
        );
        assert_eq!(TargetUserStatus::Inactive.code(), 0);
        assert_eq!(
            FieldDataType::parse("boolean"),
            Some(FieldDataType::Boolean)
        );
        assert_eq!(FieldOwner::TargetGroup.code(), 2);
    }

    #[test]
    fn a_full_input_becomes_a_draft() {
        let mut i = input(" Jane@Example.com ");
        i.first_name = Some(" Jane ".into());
        i.phone_number = Some("+90 555 000 11 22".into());
        i.priority = Some("high".into());
        i.time_zone = Some("europe/istanbul".into());
        i.preferred_language = Some("EN".into());
        i.target_groups = Some(vec!["groupA".into(), "groupA".into()]);
        i.custom_fields.push(CustomFieldInput {
            field: "field2".into(),
            value: Some("3.50".into()),
        });
        let d = validate(&i, &rules()).expect("valid");
        assert_eq!(d.email.as_str(), "Jane@Example.com");
        assert_eq!(d.first_name, Change::Set(Some("Jane".into())));
        assert_eq!(d.last_name, Change::Keep);
        assert_eq!(d.priority, Change::Set(Priority::High));
        assert_eq!(d.time_zone_id, Change::Set(Some("Europe/Istanbul".into())));
        assert_eq!(
            d.preferred_language_id,
            Change::Set(Some("LangEnglish1".into()))
        );
        assert_eq!(d.groups, GroupChange::Add(vec![10]));
        assert_eq!(
            d.custom_values,
            vec![(1, Some("HQ".into())), (2, Some("3.5".into()))]
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut i = input("not an email");
        i.phone_number = Some("call me".into());
        i.priority = Some("Urgent".into());
        i.time_zone = Some("Mars/Olympus".into());
        i.first_name = Some("x".repeat(NAME_MAX + 1));
        i.manager_email = Some("boss@".into());
        i.target_groups = Some(vec!["elsewhere".into()]);
        i.custom_fields = vec![
            CustomFieldInput {
                field: "Office".into(),
                value: Some(" ".into()),
            },
            CustomFieldInput {
                field: "Floor".into(),
                value: Some("third".into()),
            },
            CustomFieldInput {
                field: "Nope".into(),
                value: Some("1".into()),
            },
        ];
        let errors = validate(&i, &rules()).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field_name.as_str()).collect();
        assert_eq!(
            fields,
            [
                "email",
                "firstName",
                "phoneNumber",
                "managerEmail",
                "priority",
                "timeZoneId",
                "targetGroupResourceIds",
                "Office",
                "Floor",
                "customFields"
            ]
        );
        let kinds: Vec<Problem> = errors.iter().map(|e| e.kind).collect();
        assert_eq!(kinds[6], Problem::NotFound);
        assert_eq!(kinds[9], Problem::NotFound);
        assert!(errors[3].message.starts_with("Manager email"), "{errors:?}");
    }

    #[test]
    fn absent_means_keep_and_empty_means_clear() {
        let mut i = input("a@example.com");
        i.department = Some("  ".into());
        i.priority = Some(String::new());
        let d = validate(&i, &rules()).expect("valid");
        assert_eq!(d.department, Change::Set(None));
        assert_eq!(d.phone_number, Change::Keep);
        assert_eq!(d.priority, Change::Set(Priority::Medium));
        assert_eq!(d.groups, GroupChange::Keep);
    }

    #[test]
    fn required_fields_count_what_the_user_holds_and_joins() {
        let mut rules = rules();
        rules.fields.push(CustomFieldDef {
            key: 5,
            resource_id: "field5".into(),
            name: "Quota".into(),
            data_type: FieldDataType::Number,
            owner: FieldOwner::TargetGroup,
            target_group: Some(10),
            is_active: true,
            is_required: true,
        });
        let bare = TargetUserInput {
            email: Some("a@example.com".into()),
            ..Default::default()
        };
        let draft = validate(&bare, &rules).expect("valid");
        let missing = |d: &TargetUserDraft, fields: &[i64], groups: &[i64]| -> Vec<String> {
            missing_required(d, &rules, fields, groups)
                .into_iter()
                .map(|e| e.field_name)
                .collect()
        };
        assert_eq!(missing(&draft, &[], &[]), ["Office"]);
        assert_eq!(missing(&draft, &[1], &[]), Vec::<String>::new());
        assert_eq!(missing(&draft, &[1], &[10]), ["Quota"]);
        let mut joining = bare.clone();
        joining.target_groups = Some(vec!["groupA".into()]);
        joining.custom_fields = vec![CustomFieldInput {
            field: "Quota".into(),
            value: Some("4".into()),
        }];
        let draft = validate(&joining, &rules).expect("valid");
        assert_eq!(missing(&draft, &[], &[]), ["Office"]);
        joining.replace_groups = true;
        joining.target_groups = Some(vec![]);
        joining.custom_fields.clear();
        let draft = validate(&joining, &rules).expect("valid");
        assert_eq!(missing(&draft, &[1], &[10]), Vec::<String>::new());
    }

    #[test]
    fn custom_values_are_typed() {
        use FieldDataType::*;
        assert_eq!(Number.canonical("42.0"), Ok("42".into()));
        assert_eq!(Number.canonical("-0.25"), Ok("-0.25".into()));
        assert!(Number.canonical("NaN").is_err());
        assert!(Number.canonical("inf").is_err());
        assert!(Number.canonical("1,5").is_err());
        assert_eq!(Date.canonical("2026-11-23"), Ok("2026-11-23".into()));
        assert_eq!(
            Date.canonical("2026-11-23T03:00:00+02:00"),
            Ok("2026-11-23T01:00:00.000Z".into())
        );
        assert!(Date.canonical("23/11/2026").is_err());
        assert_eq!(Boolean.canonical("Yes"), Ok("true".into()));
        assert_eq!(Boolean.canonical("0"), Ok("false".into()));
        assert!(Boolean.canonical("maybe").is_err());
        assert!(Text.canonical(&"x".repeat(TEXT_VALUE_MAX + 1)).is_err());
    }

    #[test]
    fn repeated_emails_ignore_case() {
        let emails: Vec<Email> = ["a@x.io", "B@x.io", "A@X.io", "b@x.io", "a@x.io"]
            .iter()
            .map(|e| Email::parse(e).expect("valid"))
            .collect();
        assert_eq!(repeated_emails(&emails), ["a@x.io", "b@x.io"]);
    }
}
