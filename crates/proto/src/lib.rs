//! Wire types of the Latchkey API: what goes over HTTP, and nothing else.
//!
//! - [`envelope`]: the `{data, status, message, validationMessages, isSuccess}` body that every
//!   `/api` response carries, and the one table of `status` strings with their HTTP codes.
//! - [`limits`]: the one table of how much a request may ask for (page, list and filter sizes).
//! - [`oauth`]: the token endpoint's success body and its RFC 6749 §5.2 error body.
//! - [`discovery`]: OpenID provider metadata and the JWKS document.
//! - [`companies`]: company DTOs, named and shaped as in the Keepnet contract.
//! - [`system_users`]: system users ("People"), their roles and passwords.
//! - [`system_info`]: the server's version, and the licence and profile of a company.
//! - [`target_groups`]: target groups, their members and counts; [`tags`]: company tags.
//! - [`audit_logs`]: the audit log's records.
//! - [`jobs`] and [`target_user_import`]: background jobs, and the spreadsheet import that
//!   runs as jobs.
//! - [`target_users`] and [`custom_fields`]: the people simulations are for, and the fields a
//!   company adds to them; [`scim`]: SCIM integrations (the management API).
//! - [`siem`]: SIEM integrations, where the audit log is forwarded, and their delivery state.
//!
//! Field names follow the contract (camelCase on `/api`, snake_case in OAuth bodies); the
//! structs are the single place where that spelling is decided.

pub mod audit_logs;
pub mod available_for;
pub mod clients;
pub mod companies;
pub mod company_groups;
pub mod custom_fields;
pub mod discovery;
pub mod envelope;
pub mod jobs;
pub mod limits;
pub mod lookups;
pub mod oauth;
pub mod roles;
pub mod scim;
pub mod search;
pub mod siem;
pub mod system_info;
pub mod system_users;
pub mod tags;
pub mod target_groups;
pub mod target_user_import;
pub mod target_users;

pub use envelope::{ResultStatus, ServiceResult};
