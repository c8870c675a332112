//! How much one request may ask for: the one table of input limits.
//!
//! Every limit here is enforced where the input enters (the JSON extractor, the company form,
//! the search engine) and named in the `INPUT_ERROR` that refuses it, so a caller learns the
//! bound from the answer. They keep a request's cost, and its number of SQL bind values, well
//! inside what both stores accept: SQLite allows 32,766 bind values in a statement, PostgreSQL
//! 65,535, and a filter within these limits binds at most about 1,600.

/// `pageNumber` is 1-based and, as on the platform, a 32-bit integer: with [`MAX_PAGE_SIZE`]
/// the offset it implies always fits the stores' 64-bit `OFFSET`.
pub const MAX_PAGE_NUMBER: i64 = i32::MAX as i64;

/// `pageSize` runs from 1 to this.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// `pageSize` when a search does not give one.
pub const DEFAULT_PAGE_SIZE: i64 = 20;

/// Entries in any one list of a request: a JSON array at any depth (`items`,
/// `excludedItems`, `companyResourceIdArray`, `companyGroupResourceIds`, `filterGroups`,
/// `filterItems`, …), and the values of a repeated or comma-separated form field.
pub const MAX_LIST_LENGTH: usize = 1000;

/// `filterItems` in one filter, all groups together.
pub const MAX_FILTER_ITEMS: usize = 200;

/// `filterGroups` in one filter, at every depth together.
pub const MAX_FILTER_GROUPS: usize = 100;

/// How deep `filterGroups` may nest (a group directly under `filter` is at depth 1).
pub const MAX_FILTER_DEPTH: usize = 8;

/// Values of `Include` (comma-separated) in one filter, all items together.
pub const MAX_INCLUDE_VALUES: usize = 1000;
