//! Importing target users from a spreadsheet, Keepnet's documented flow:
//!
//! 1. [`upload`]: the file (`multipart` field `File`) is read by [`crate::spreadsheet`] and
//!    kept as a transaction (`transactionId`): its rows in the database, not in memory, until
//!    the transaction expires (`import_transaction_seconds`).
//! 2. `create-mapping` ties the file's columns to target-user fields ([`Mapping`]) and queues
//!    the mapping job ([`mapping`]), which validates every row into the preview: New, Exists
//!    or Error with the reasons.
//! 3. The import ([`apply`]) writes the chosen preview rows as target users, in batches, as a
//!    job with per-row errors.
//!
//! The template (`example-file`) is [`template`]. The handlers are in
//! `crate::api::target_user_import` and `crate::api::target_group_upload`.

pub mod apply;
pub mod mapping;
pub mod template;
pub mod upload;

use serde::{Deserialize, Serialize};

/// The job kind of a mapping job.
pub const MAPPING_JOB: &str = "target-user-mapping";
/// The job kind of an import job.
pub const IMPORT_JOB: &str = "target-user-import";

/// A target-user field a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserField {
    Email,
    FirstName,
    LastName,
    Department,
    PhoneNumber,
    Priority,
    TimeZone,
    PreferredLanguage,
    ManagerFirstName,
    ManagerLastName,
    ManagerEmail,
}

impl UserField {
    pub const ALL: [UserField; 11] = [
        UserField::FirstName,
        UserField::LastName,
        UserField::Email,
        UserField::PhoneNumber,
        UserField::Department,
        UserField::TimeZone,
        UserField::Priority,
        UserField::PreferredLanguage,
        UserField::ManagerFirstName,
        UserField::ManagerLastName,
        UserField::ManagerEmail,
    ];

    /// The field's name in the API (`fieldName`, `validationDetail[].fieldName`).
    pub fn api_name(self) -> &'static str {
        match self {
            UserField::Email => "email",
            UserField::FirstName => "firstName",
            UserField::LastName => "lastName",
            UserField::Department => "department",
            UserField::PhoneNumber => "phoneNumber",
            UserField::Priority => "priority",
            UserField::TimeZone => "timeZone",
            UserField::PreferredLanguage => "preferredLanguage",
            UserField::ManagerFirstName => "managerFirstName",
            UserField::ManagerLastName => "managerLastName",
            UserField::ManagerEmail => "managerEmail",
        }
    }

    /// The column header of the template.
    pub fn header(self) -> &'static str {
        match self {
            UserField::Email => "Email",
            UserField::FirstName => "First Name",
            UserField::LastName => "Last Name",
            UserField::Department => "Department",
            UserField::PhoneNumber => "Phone Number",
            UserField::Priority => "Priority",
            UserField::TimeZone => "Time Zone",
            UserField::PreferredLanguage => "Preferred Language",
            UserField::ManagerFirstName => "Manager First Name",
            UserField::ManagerLastName => "Manager Last Name",
            UserField::ManagerEmail => "Manager Email",
        }
    }

    /// A `fieldName` as clients send it: camelCase (`firstName`), PascalCase (`FirstName`),
    /// any case, with or without spaces, `_` or `-`, and the create request's `timeZoneId` and
    /// `preferredLanguageId`.
    pub fn parse(name: &str) -> Option<Self> {
        let folded = fold(name);
        let folded = folded
            .strip_suffix("id")
            .filter(|f| matches!(*f, "timezone" | "preferredlanguage"))
            .unwrap_or(&folded);
        UserField::ALL
            .into_iter()
            .find(|f| fold(f.api_name()) == folded)
    }
}

/// A name folded for matching: lower case, letters and digits only.
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a mapped column goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    Field(UserField),
    /// A custom field of the company, by resource id.
    Custom(String),
}

/// A stored mapping: which sheet, which column fills what, and the groups every imported user
/// joins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub sheet: usize,
    pub columns: Vec<(usize, Target)>,
    pub target_group_resource_ids: Vec<String>,
}

impl Mapping {
    /// The mapping create-mapping stored on `transaction`.
    pub fn of(transaction: &latchkey_store::imports::TransactionRow) -> Result<Self, String> {
        transaction
            .mapping
            .clone()
            .and_then(|m| serde_json::from_value(m).ok())
            .ok_or_else(|| {
                "The transaction has no mapping: map its columns first (POST /api/target-users/create-mapping)"
                    .to_owned()
            })
    }

    /// The column that fills `field`.
    pub fn column_of(&self, field: UserField) -> Option<usize> {
        self.columns
            .iter()
            .find(|(_, t)| *t == Target::Field(field))
            .map(|(c, _)| *c)
    }

    pub fn has_custom_fields(&self) -> bool {
        self.columns
            .iter()
            .any(|(_, t)| matches!(t, Target::Custom(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_match_in_any_spelling() {
        for (name, field) in [
            ("email", UserField::Email),
            ("Email", UserField::Email),
            ("EMAIL", UserField::Email),
            ("firstName", UserField::FirstName),
            ("FirstName", UserField::FirstName),
            ("first_name", UserField::FirstName),
            ("TimeZone", UserField::TimeZone),
            ("timeZoneId", UserField::TimeZone),
            ("PreferredLanguageId", UserField::PreferredLanguage),
            ("ManagerEmail", UserField::ManagerEmail),
        ] {
            assert_eq!(UserField::parse(name), Some(field), "{name}");
        }
        assert_eq!(UserField::parse("emailId"), None);
        assert_eq!(UserField::parse("password"), None);
    }
}
