//! System user passwords, the one-time links that set them, and sign-in lockout.
//!
//! - Passwords are hashed with Argon2id at OWASP's parameters (19 MiB, two passes, one lane).
//!   Unlike client secrets (see [`crate::secret`]), people choose passwords, so a slow hash is
//!   what stands between a stolen database and their other accounts. A hash takes tens of
//!   milliseconds of CPU: callers run [`hash`] and [`verify`] on a blocking thread.
//! - The policy is NIST SP 800-63B's: length is what counts (12 to 128 characters), no
//!   composition rules, and not the user's own email address.
//! - One-time tokens (the `token` of a set-password link) carry 256 bits from the CSPRNG and
//!   are stored only as a keyed digest, like client secrets; they expire and work once.
//! - Five wrong passwords in a row lock the account for fifteen minutes ([`after_failure`]).

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::secret::{ClientSecret, SecretDigest, SecretHasher};

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

/// A password in the clear, as received. Its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// A password presented for checking (sign-in, the current password): any string.
    pub fn presented(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// A new password for the user whose email is `email`, checked against the policy. Every
    /// problem is one message, for `validationMessages`.
    pub fn new_for(raw: &str, email: &str) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let len = raw.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            problems.push(format!(
                "The password must be between {MIN_LEN} and {MAX_LEN} characters long"
            ));
        }
        if raw.chars().any(char::is_control) {
            problems.push("The password must not contain control characters".to_owned());
        }
        if !email.is_empty() && raw.trim().eq_ignore_ascii_case(email.trim()) {
            problems.push("The password must not be your email address".to_owned());
        }
        if problems.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(problems)
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// OWASP's first Argon2id configuration: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(
        Params::DEFAULT_M_COST,
        Params::DEFAULT_T_COST,
        Params::DEFAULT_P_COST,
        None,
    )
    // The defaults are valid by construction; `Params::DEFAULT` is the same value.
    .unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password could not be hashed (the operating system's random generator failed).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) of `password`, with a fresh
/// random salt. CPU-heavy: call it on a blocking thread.
pub fn hash(password: &Password) -> Result<String, HashError> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `stored`. With no stored hash (an unknown user, or one who has
/// not set a password yet) a throw-away hash is checked instead and the answer is `false`, so
/// that the time taken says nothing about whether the account exists. CPU-heavy.
pub fn verify(password: &Password, stored: Option<&str>) -> bool {
    let (target, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let matched = argon2()
        .verify_password(password.as_bytes(), target)
        .is_ok();
    matched && real
}

/// A hash of a random password, made once per process with the current parameters.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash(&Password(ClientSecret::generate().expose().to_owned())).unwrap_or_else(|_| {
            // Only reachable when the OS random generator fails; a fixed valid hash keeps the
            // timing equal all the same (its password is not guessable: 32 random bytes).
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
             Hf2uPJwU1ZlH7yNE0Ww7YIBLe4cjXdDOoAT3GbSmvz8"
                .to_owned()
        })
    })
}

/// What a one-time link is for. The two differ only in lifetime and in which endpoint accepts
/// them: a link made for one cannot be used at the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// A new user's first password (`create-password`).
    Create,
    /// A forgotten password (`reset-password`).
    Reset,
}

impl TokenPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Create => "create",
            TokenPurpose::Reset => "reset",
        }
    }

    /// How long a link stays valid: a week to accept an invitation, an hour for a reset.
    pub const fn lifetime_ms(self) -> i64 {
        match self {
            TokenPurpose::Create => 7 * 24 * 3600 * 1000,
            TokenPurpose::Reset => 3600 * 1000,
        }
    }
}

/// The secret of a one-time link. Shown only inside the link, never logged (`Debug` is
/// redacted); stored as [`OneTimeToken::digest`].
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeToken(ClientSecret);

impl std::fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeToken(<redacted>)")
    }
}

impl OneTimeToken {
    /// 43 base62 characters: 256 bits.
    pub fn generate() -> Self {
        Self(ClientSecret::generate())
    }

    /// A token as sent back by the browser: any string, only ever digested.
    pub fn presented(raw: &str) -> Self {
        Self(ClientSecret::presented(raw.trim()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The keyed digest that is stored. The input is prefixed so that a token's digest can never
    /// equal a client secret's, although both use the server key.
    pub fn digest(&self, hasher: &SecretHasher) -> SecretDigest {
        hasher.digest(&ClientSecret::presented(&format!(
            "password-token:{}",
            self.0.expose()
        )))
    }
}

/// Consecutive wrong passwords that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// How long a lock lasts.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

/// The failure counter and lock after one more wrong password, given the counter before it.
/// The fifth consecutive failure locks the account until `now + 15 min` and starts the count
/// again, so that after the lock the user has five more tries.
pub fn after_failure(failures_before: i64, now_ms: i64) -> (i64, Option<i64>) {
    let failures = failures_before.max(0) + 1;
    if failures >= MAX_FAILURES {
        (0, Some(now_ms + LOCKOUT_MS))
    } else {
        (failures, None)
    }
}

/// Whole seconds until `locked_until`, if it is still in the future.
pub fn locked_for_secs(locked_until: Option<i64>, now_ms: i64) -> Option<u64> {
    let remaining = locked_until? - now_ms;
    (remaining > 0).then(|| u64::try_from(remaining).unwrap_or(0).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_with_owasp_parameters() {
        let p = Password::new_for("correct horse battery", "jane@example.com").expect("valid");
        let h = hash(&p).expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&p, Some(&h)));
        assert!(!verify(
            &Password::presented("wrong horse battery"),
            Some(&h)
        ));
        assert!(!verify(&p, None), "no stored hash never verifies");
        assert!(!verify(&p, Some("not a phc string")));
        assert_ne!(hash(&p).expect("hash"), h, "salts differ");
    }

    #[test]
    fn policy_messages() {
        let short = Password::new_for("short", "a@b.c").expect_err("short");
        assert_eq!(
            short,
            vec!["The password must be between 12 and 128 characters long"]
        );
        assert!(Password::new_for(&"x".repeat(129), "a@b.c").is_err());
        assert!(
            Password::new_for(&"é".repeat(128), "a@b.c").is_ok(),
            "characters, not bytes"
        );
        let email =
            Password::new_for("Jane.Doe@Example.com", "jane.doe@example.com").expect_err("email");
        assert_eq!(email, vec!["The password must not be your email address"]);
        assert!(Password::new_for("tab\tinside-the-password", "a@b.c").is_err());
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let now = 1_000_000;
        let mut count = 0;
        for expected in 1..MAX_FAILURES {
            let (c, lock) = after_failure(count, now);
            assert_eq!((c, lock), (expected, None));
            count = c;
        }
        let (c, lock) = after_failure(count, now);
        assert_eq!(c, 0, "the count starts again after a lock");
        assert_eq!(lock, Some(now + 15 * 60 * 1000));
        assert_eq!(locked_for_secs(lock, now), Some(900));
        assert_eq!(locked_for_secs(lock, now + 899_500), Some(1));
        assert_eq!(locked_for_secs(lock, now + 900_000), None);
        assert_eq!(locked_for_secs(None, now), None);
    }

    #[test]
    fn token_digests_are_keyed_and_separated_from_secrets() {
        let hasher = SecretHasher::new(b"key");
        let t = OneTimeToken::generate();
        assert_eq!(t.expose().len(), 43);
        assert_eq!(
            t.digest(&hasher),
            OneTimeToken::presented(&format!(" {} ", t.expose())).digest(&hasher)
        );
        assert_ne!(
            t.digest(&hasher),
            hasher.digest(&ClientSecret::presented(t.expose()))
        );
        assert!(!format!("{t:?}").contains(t.expose()));
        assert_eq!(TokenPurpose::Reset.lifetime_ms(), 3_600_000);
        assert_eq!(TokenPurpose::Create.lifetime_ms(), 604_800_000);
    }
}
