//! `/api` handlers, one file per resource, named like the URL.

pub mod companies;
pub mod json;
pub mod reference;
