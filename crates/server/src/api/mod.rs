//! `/api` handlers, one file per resource, named like the URL.

pub mod clients;
pub mod companies;
pub mod export;
pub mod json;
pub mod permissions;
pub mod reference;
pub mod roles;
