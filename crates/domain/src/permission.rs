//! Permissions.
//!
//! A permission key names one API operation exactly as the token's `permissions` list does:
//! the path after `/api/`, a bar, and the HTTP method (`companies/search|POST`). Path parameters
//! keep their template name (`companies/clients/{resourceId}|GET`). The keys come from the
//! server's route table; this module only knows their shape and who may hold them.

use std::collections::BTreeSet;
use std::sync::Arc;

/// Who an operation is meant for. Built-in roles grant whole tiers; custom roles pick keys, and
/// never beyond what their creator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Work inside one company: every role may be granted it.
    Company,
    /// Work across the companies a reseller manages (creating companies, company search, …).
    Reseller,
    /// Platform operations.
    Root,
    /// Called without a bearer token (the one-time-link password endpoints): no permission
    /// guards them, so they are not permissions and no role lists them.
    Public,
}

/// The key of one operation, e.g. `companies/my|GET`.
pub fn permission_key(path: &str, method: &str) -> String {
    let path = path
        .strip_prefix("/api/")
        .unwrap_or(path.trim_start_matches('/'));
    format!("{path}|{}", method.to_ascii_uppercase())
}

/// A stable 12-character id for a permission, derived from its key so that it is the same on
/// every server and after every restart (roles store keys; clients send these ids).
pub fn permission_resource_id(key: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_bytes());
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    digest.as_ref()[..12]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// The permissions a token holds: sorted, shared between all requests of that client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet(Arc<BTreeSet<String>>);

impl PermissionSet {
    pub fn new(keys: impl IntoIterator<Item = String>) -> Self {
        Self(Arc::new(keys.into_iter().collect()))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_the_documented_format() {
        assert_eq!(
            permission_key("/api/companies/search", "post"),
            "companies/search|POST"
        );
        assert_eq!(
            permission_key("/api/companies/clients/{resourceId}", "GET"),
            "companies/clients/{resourceId}|GET"
        );
    }

    #[test]
    fn permission_ids_are_stable_and_distinct() {
        let a = permission_resource_id("companies/search|POST");
        assert_eq!(a, permission_resource_id("companies/search|POST"));
        assert_eq!(a.len(), 12);
        assert_ne!(a, permission_resource_id("companies/my|GET"));
    }
}

/// The permissions there are: one entry per operation of the route table (which builds it), for
/// the permission catalog, the grants of roles and the `permissions` of tokens.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<CatalogEntry>,
}

#[derive(Debug, Clone)]
pub struct CatalogEntry {
    /// `companies/my|GET`.
    pub key: String,
    pub resource_id: String,
    pub tier: Tier,
    pub method: String,
    /// The contract's path, `/api/companies/my`.
    pub path: String,
    /// The OpenAPI tag: the group the console shows the permission in.
    pub group: String,
    pub summary: String,
}

impl Catalog {
    pub fn new(entries: Vec<CatalogEntry>) -> Self {
        Self { entries }
    }

    pub fn entries(&self) -> &[CatalogEntry] {
        &self.entries
    }
}
