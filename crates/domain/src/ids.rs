//! Identifiers.
//!
//! Resource ids are 12 random base62 characters, as in the platform's examples (`xC5kfGz7w2Nz`).

use rand::Rng;
use std::fmt;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters drawn uniformly from the base62 alphabet by the OS-seeded CSPRNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())]))
        .collect()
}

/// The public id of any stored object.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ResourceId(String);

impl ResourceId {
    pub const LEN: usize = 12;

    pub fn generate() -> Self {
        Self(random_base62(Self::LEN))
    }

    /// Accepts what a client sends as an id: 1–64 characters of `[A-Za-z0-9_-]`. Ids we issue
    /// are 12 base62 characters, but imported data may carry others; anything else cannot name
    /// an object, so it is rejected before it reaches the store.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    /// Wraps an id read back from the store, where it was validated on the way in.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The public half of a client credential (`client_id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    /// The contract allows 1–32 characters; generated ids use 20 base62 characters (119 bits),
    /// so guessing one is hopeless even though a client id is not a secret.
    pub const GENERATED_LEN: usize = 20;
    pub const MAX_LEN: usize = 32;

    pub fn generate() -> Self {
        Self(random_base62(Self::GENERATED_LEN))
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err("Client ID must be 1 to 32 characters");
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err("Client ID may contain only letters, digits, '-', '_' and '.'");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_the_documented_shape() {
        let id = ResourceId::generate();
        assert_eq!(id.as_str().len(), 12);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(ResourceId::generate(), ResourceId::generate());
    }

    #[test]
    fn parse_rejects_what_cannot_be_an_id() {
        assert!(ResourceId::parse("xC5kfGz7w2Nz").is_some());
        assert!(ResourceId::parse("").is_none());
        assert!(ResourceId::parse("a' OR 1=1 --").is_none());
        assert!(ResourceId::parse(&"a".repeat(65)).is_none());
        assert!(ClientId::parse(&"a".repeat(33)).is_err());
        assert!(ClientId::parse("ok-client_1.x").is_ok());
    }
}
