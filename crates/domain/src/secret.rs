//! Client secrets.
//!
//! Generated secrets carry 256 bits from the OS CSPRNG. They are stored as HMAC-SHA256 under a
//! server key (the "pepper"), never in the clear: a slow password hash would buy nothing for
//! 256-bit random strings and would cap the token endpoint at tens of requests per second per
//! core, while the keyed digest makes a stolen database useless without the key file.
//! Comparison is constant-time.

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::ids::random_base62;

/// A secret in the clear. It exists only between generation (or receipt) and hashing, and its
/// `Debug` output is redacted so that it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// Why a caller-chosen secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakSecret {
    #[error("Client secret must be between 32 and 100 characters")]
    Length,
    #[error("Client secret may contain only printable ASCII characters without spaces")]
    Charset,
    #[error(
        "Client secret is too predictable: use at least 12 different characters, or generate one"
    )]
    Variety,
}

impl ClientSecret {
    /// 43 base62 characters = 256.03 bits.
    pub const GENERATED_LEN: usize = 43;
    pub const MIN_LEN: usize = 32;
    pub const MAX_LEN: usize = 100;

    pub fn generate() -> Self {
        Self(random_base62(Self::GENERATED_LEN))
    }

    /// A secret chosen by the caller (the contract lets `POST /api/companies/clients` carry one).
    /// It must be long and varied enough that it cannot be guessed.
    pub fn parse_chosen(raw: &str) -> Result<Self, WeakSecret> {
        if raw.len() < Self::MIN_LEN || raw.len() > Self::MAX_LEN {
            return Err(WeakSecret::Length);
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(WeakSecret::Charset);
        }
        let mut distinct = raw.bytes().collect::<Vec<_>>();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 12 {
            return Err(WeakSecret::Variety);
        }
        Ok(Self(raw.to_owned()))
    }

    /// A secret as presented to the token endpoint: any string, only ever digested.
    pub fn presented(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The clear text, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The key under which secrets are digested.
#[derive(Clone)]
pub struct SecretHasher {
    key: hmac::Key,
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher(<redacted>)")
    }
}

/// A stored digest: 32 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretDigest([u8; 32]);

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

impl SecretDigest {
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality.
    pub fn matches(&self, other: &SecretDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl SecretHasher {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    pub fn digest(&self, secret: &ClientSecret) -> SecretDigest {
        let tag = hmac::sign(&self.key, secret.0.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        SecretDigest(out)
    }

    /// Checks `presented` against `stored`, or against a throw-away digest when the client is
    /// unknown, so that an unknown client id and a wrong secret cost the same time.
    pub fn verify(&self, presented: &ClientSecret, stored: Option<&SecretDigest>) -> bool {
        const UNKNOWN: SecretDigest = SecretDigest([0u8; 32]);
        let digest = self.digest(presented);
        let matched = digest.matches(stored.unwrap_or(&UNKNOWN));
        matched && stored.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_keyed_and_verifies() {
        let a = SecretHasher::new(b"key-a");
        let b = SecretHasher::new(b"key-b");
        let s = ClientSecret::generate();
        assert_eq!(s.expose().len(), 43);
        let d = a.digest(&s);
        assert!(a.verify(&s, Some(&d)));
        assert!(!b.verify(&s, Some(&d)), "another key must not verify");
        assert!(!a.verify(&ClientSecret::presented("wrong"), Some(&d)));
        assert!(!a.verify(&s, None));
    }

    #[test]
    fn chosen_secrets_must_be_strong() {
        assert_eq!(ClientSecret::parse_chosen("short"), Err(WeakSecret::Length));
        assert_eq!(
            ClientSecret::parse_chosen(&"ab".repeat(20)),
            Err(WeakSecret::Variety)
        );
        assert_eq!(
            ClientSecret::parse_chosen("with space 0123456789abcdefghijklmnop"),
            Err(WeakSecret::Charset)
        );
        assert!(ClientSecret::parse_chosen("Q7v2m9XkP4tL8wZr1bN6cJ3hF5dS0gYa").is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = ClientSecret::generate();
        assert!(!format!("{s:?}").contains(s.expose()));
    }
}
