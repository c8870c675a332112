//! `/api` handlers, one file per resource, named like the URL.

pub mod audit_logs;
pub mod available_for;
pub mod clients;
pub mod companies;
pub mod company_form;
pub mod company_groups;
pub mod custom_fields;
pub mod export;
pub mod jobs;
pub mod json;
pub mod permissions;
pub mod reference;
pub mod roles;
pub mod scim;
pub mod siem_settings;
pub mod system_info;
pub mod system_users;
pub mod tags;
pub mod target_group_upload;
pub mod target_groups;
pub mod target_user_import;
pub mod target_users;
pub mod url;
