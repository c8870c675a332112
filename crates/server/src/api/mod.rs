//! `/api` handlers, one file per resource, named like the URL.

pub mod companies;
