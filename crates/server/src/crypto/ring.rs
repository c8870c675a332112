//! The key ring: the active signing key, and every key whose tokens may still be valid.
//!
//! Rotation adds a new active key and retires the old one. A retired key is trusted only until
//! the last token it can have signed has expired: `retired_at + token_lifetime + leeway`
//! ([`trusted_until`]). Past that moment the ring refuses its tokens at once (checked on every
//! verification) and drops it from the verifiers and the JWKS when the change-watch loop calls
//! [`KeyRing::expire`] at [`KeyRing::next_expiry`], in every process and without a restart;
//! whatever else the key might still sign, a leaked retired key included, is refused from then
//! on. Servers reload the ring when the store's key revision changes, so a rotation or a
//! revocation done by the admin CLI or another replica is picked up within `change_poll_ms`.
//!
//! Tokens are also refused when they claim more than this server issues: a lifetime
//! (`exp - iat`) beyond `token_lifetime_seconds` plus the leeway, an `iat` in the future, or no
//! `iat` at all: whoever signed a token, it cannot claim a longer life than the token endpoint
//! gives. `latchkey admin keys revoke` ends a key's trust at once ([`revoke`]).

use latchkey_domain::audit::Actor;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context;
use arc_swap::ArcSwap;
use jsonwebtoken::{DecodingKey, Validation};
use latchkey_domain::time::{now_millis, now_secs};
use latchkey_store::keys::{Revoked, StoredKey};
use latchkey_store::{Store, StoreError};
use serde::Deserialize;

use super::keys::{Algorithm, SigningKey};
use super::seal::Sealer;

/// How long tokens live and how much clock skew is tolerated; together they fix how long a
/// retired key stays trusted.
#[derive(Debug, Clone, Copy)]
pub struct TokenTimes {
    pub lifetime_seconds: u64,
    /// Clock skew tolerated between replicas (and the admin CLI) when checking `exp`, `nbf`
    /// and `iat`, and the grace a retired key gets beyond its last token's lifetime.
    pub leeway_seconds: u64,
}

impl TokenTimes {
    fn trust_window_ms(self) -> i64 {
        let seconds = self.lifetime_seconds.saturating_add(self.leeway_seconds);
        i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}

/// The moment (Unix milliseconds) a key retired at `retired_at` stops being trusted: its last
/// genuine token, signed just before retirement, has expired by then even on a clock that is
/// `leeway` behind.
pub fn trusted_until(retired_at: i64, times: TokenTimes) -> i64 {
    retired_at.saturating_add(times.trust_window_ms())
}

/// Deletes from the store the retired keys no longer trusted at `now`.
pub async fn prune(store: &Store, times: TokenTimes, now: i64) -> anyhow::Result<u64> {
    // `prune_signing_keys` deletes keys retired strictly before the cutoff; the `+ 1` makes
    // that "trust ended at or before now", the same test as [`Verifier::trusted_at`].
    let cutoff = now
        .saturating_sub(times.trust_window_ms())
        .saturating_add(1);
    Ok(store.prune_signing_keys(cutoff).await?)
}

#[derive(Clone)]
struct Verifier {
    kid: String,
    key: DecodingKey,
    validation: Validation,
    /// `None` for the active key; for a retired key, when its trust ends.
    trusted_until: Option<i64>,
    /// The public JWK as stored (JSON text, checked when the ring was built), for the JWKS.
    jwk: Arc<str>,
}

impl Verifier {
    fn trusted_at(&self, now: i64) -> bool {
        self.trusted_until.is_none_or(|until| now < until)
    }
}

struct Keys {
    active: Arc<SigningKey>,
    /// Newest first. A ring holds a handful of keys, so a scan beats hashing the `kid`.
    verifiers: Vec<Verifier>,
    jwks: Arc<[u8]>,
}

impl Keys {
    fn find(&self, kid: &str) -> Option<&Verifier> {
        self.verifiers.iter().find(|v| v.kid == kid)
    }
}

pub struct KeyRing {
    keys: ArcSwap<Keys>,
    issuer: String,
    audience: String,
    times: TokenTimes,
    /// The store's key revision these keys reflect.
    revision: AtomicI64,
}

/// The claims every token must carry and the API reads. Everything else is checked by
/// [`Validation`] or not needed to authorize.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifiedClaims {
    pub sub: String,
    pub client_id: String,
    pub exp: i64,
    /// Optional here so that its absence gets its own answer rather than "malformed".
    pub iat: Option<i64>,
    /// The key that signed the token (from the header), so that a remembered verification can
    /// be dropped once that key is no longer trusted.
    #[serde(skip)]
    pub kid: String,
}

/// Why a bearer token was refused; the text goes into `error_description`.
#[derive(Debug, thiserror::Error)]
pub enum TokenRejected {
    #[error("The token is malformed")]
    Malformed,
    #[error("The token's signing key is unknown, retired or revoked")]
    UnknownKey,
    #[error("The token type must be at+jwt")]
    WrongType,
    #[error("The token has expired")]
    Expired,
    #[error("The token is not valid yet")]
    NotYetValid,
    #[error("The token has no iat (issued at) claim")]
    NoIssuedAt,
    #[error("The token's iat (issued at) lies in the future")]
    IssuedInTheFuture,
    #[error("The token's lifetime (exp - iat) exceeds the {0} seconds this server issues")]
    LifetimeTooLong(u64),
    #[error("The token is invalid")]
    Invalid,
}

impl KeyRing {
    /// Loads the stored keys, creating (and activating) a key for `alg` when none is active, and
    /// pruning keys whose tokens have all expired.
    pub async fn load(
        store: &Store,
        sealer: &Sealer,
        alg: Algorithm,
        times: TokenTimes,
        issuer: String,
        audience: String,
    ) -> anyhow::Result<Self> {
        prune(store, times, now_millis()).await?;
        let stored = store.signing_keys().await?;
        let has_active = stored
            .iter()
            .any(|k| k.retired_at.is_none() && k.algorithm == alg.as_str());
        if !has_active {
            rotate(store, sealer, alg, Actor::system("server start")).await?;
        }
        // Read the revision before the keys: a rotation racing this load then moves the revision
        // past what we record, and the next poll reloads.
        let (_, revision) = store.revisions().await?;
        let keys = build(
            &store.signing_keys().await?,
            sealer,
            &issuer,
            &audience,
            times,
        )?;
        Ok(Self {
            keys: ArcSwap::from_pointee(keys),
            issuer,
            audience,
            times,
            revision: AtomicI64::new(revision),
        })
    }

    /// Re-reads the keys from the store.
    pub async fn reload(&self, store: &Store, sealer: &Sealer) -> anyhow::Result<()> {
        let (_, revision) = store.revisions().await?;
        let keys = build(
            &store.signing_keys().await?,
            sealer,
            &self.issuer,
            &self.audience,
            self.times,
        )?;
        self.keys.store(Arc::new(keys));
        self.revision.store(revision, Ordering::Release);
        Ok(())
    }

    /// The store's key revision the ring reflects.
    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    /// The token lifetime and leeway the ring enforces.
    pub fn times(&self) -> TokenTimes {
        self.times
    }

    /// The next moment (Unix milliseconds) a key of the ring stops being trusted, if any key
    /// is retired. [`KeyRing::expire`] should run then.
    pub fn next_expiry(&self) -> Option<i64> {
        self.keys
            .load()
            .verifiers
            .iter()
            .filter_map(|v| v.trusted_until)
            .min()
    }

    /// Drops the keys no longer trusted at `now` from the verifiers and the JWKS, without
    /// touching the store (so it works while the database is away). Returns the dropped kids.
    /// It cannot fail: a deadline that stayed due would keep waking the change-watch loop.
    ///
    /// Only the change-watch loop replaces the ring's keys, so this read-modify-write cannot
    /// lose a concurrent reload.
    pub fn expire(&self, now: i64) -> Vec<String> {
        let keys = self.keys.load();
        let (kept, dropped): (Vec<&Verifier>, Vec<&Verifier>) =
            keys.verifiers.iter().partition(|v| v.trusted_at(now));
        if dropped.is_empty() {
            return Vec::new();
        }
        let verifiers: Vec<Verifier> = kept.into_iter().cloned().collect();
        let jwks = jwks_document(&verifiers);
        let dropped = dropped.into_iter().map(|v| v.kid.clone()).collect();
        self.keys.store(Arc::new(Keys {
            active: keys.active.clone(),
            verifiers,
            jwks,
        }));
        dropped
    }

    /// Whether the ring still trusts the key `kid`: a remembered verification of a token it
    /// signed counts only while this holds.
    pub fn trusts(&self, kid: &str) -> bool {
        let now = now_millis();
        self.keys
            .load()
            .find(kid)
            .is_some_and(|v| v.trusted_at(now))
    }

    pub fn active(&self) -> Arc<SigningKey> {
        self.keys.load().active.clone()
    }

    /// The JWKS document, serialized once per reload.
    pub fn jwks(&self) -> Arc<[u8]> {
        self.keys.load().jwks.clone()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Verifies a compact JWS access token: a known and still trusted `kid`, the algorithm of
    /// that key and no other (which defeats `alg: none` and HMAC-with-the-public-key
    /// forgeries), `typ: at+jwt`, the signature, `iss`, `aud`, `exp` and `nbf`, then `iat` and
    /// the lifetime the token claims.
    pub fn verify(&self, token: &str) -> Result<VerifiedClaims, TokenRejected> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejected::Malformed)?;
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
        {
            return Err(TokenRejected::WrongType);
        }
        let keys = self.keys.load();
        // Checked here as well as by `expire`: trust ends on time even if the loop is late.
        let now = now_millis();
        let verifier = header
            .kid
            .as_deref()
            .and_then(|kid| keys.find(kid))
            .filter(|v| v.trusted_at(now))
            .ok_or(TokenRejected::UnknownKey)?;
        let mut claims =
            jsonwebtoken::decode::<VerifiedClaims>(token, &verifier.key, &verifier.validation)
                .map(|data| data.claims)
                .map_err(|e| match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenRejected::Expired,
                    jsonwebtoken::errors::ErrorKind::ImmatureSignature => {
                        TokenRejected::NotYetValid
                    }
                    _ => TokenRejected::Invalid,
                })?;
        self.check_issued_at(&claims)?;
        claims.kid = verifier.kid.clone();
        Ok(claims)
    }

    /// `iat` must be present, not in the future, and no further from `exp` than the lifetime
    /// this server gives its tokens. The token endpoint writes `iat = nbf = now` and
    /// `exp = now + lifetime`, so every genuine token passes.
    fn check_issued_at(&self, claims: &VerifiedClaims) -> Result<(), TokenRejected> {
        let iat = claims.iat.ok_or(TokenRejected::NoIssuedAt)?;
        let leeway = i64::try_from(self.times.leeway_seconds).unwrap_or(i64::MAX);
        let lifetime = i64::try_from(self.times.lifetime_seconds).unwrap_or(i64::MAX);
        if iat > now_secs().saturating_add(leeway) {
            return Err(TokenRejected::IssuedInTheFuture);
        }
        if claims.exp.saturating_sub(iat) > lifetime.saturating_add(leeway) {
            return Err(TokenRejected::LifetimeTooLong(self.times.lifetime_seconds));
        }
        Ok(())
    }
}

/// Generates a key for `alg`, stores it sealed, and makes it the active key.
pub async fn rotate(
    store: &Store,
    sealer: &Sealer,
    alg: Algorithm,
    actor: Actor,
) -> anyhow::Result<String> {
    let key = generate(sealer, alg)?;
    store.activate_signing_key(actor, &key).await?;
    Ok(key.kid)
}

/// Revokes the key `kid`: it leaves the store at once, and running servers stop trusting it
/// at their next reload (within `change_poll_ms`). Revoking the active key rotates to a fresh
/// `alg` key in the same transaction, since an active key is revoked because it leaked and
/// must not keep signing while the operator rotates by hand. Returns the new active kid when
/// that happened.
pub async fn revoke(
    store: &Store,
    sealer: &Sealer,
    kid: &str,
    alg: Algorithm,
    actor: Actor,
) -> anyhow::Result<Option<String>> {
    let unknown =
        || anyhow::anyhow!("no signing key with kid {kid} (see `latchkey admin keys list`)");
    let stored = store.signing_keys().await?;
    let key = stored.iter().find(|k| k.kid == kid).ok_or_else(unknown)?;
    // A key goes only from active to retired, never back: a replacement is needed only if it
    // is active now, and the store uses it only if it still is when the row is deleted.
    let replacement = match key.retired_at {
        None => Some(generate(sealer, alg)?),
        Some(_) => None,
    };
    match store
        .revoke_signing_key(actor, kid, replacement.as_ref())
        .await
    {
        Ok(Revoked::ActiveReplaced) => Ok(replacement.map(|k| k.kid)),
        Ok(Revoked::Retired) => Ok(None),
        Err(StoreError::NotFound) => Err(unknown()),
        Err(e) => Err(e.into()),
    }
}

/// A new sealed key for `alg`, created now.
fn generate(sealer: &Sealer, alg: Algorithm) -> anyhow::Result<StoredKey> {
    let (key, pkcs8) = SigningKey::generate(alg)?;
    Ok(StoredKey {
        sealed_private_key: sealer.seal(&pkcs8, &key.kid)?,
        public_jwk: serde_json::to_string(&key.jwk)?,
        kid: key.kid,
        algorithm: alg.as_str().to_owned(),
        created_at: now_millis(),
        retired_at: None,
    })
}

/// The ring for the stored keys, leaving out retired keys no longer trusted.
fn build(
    stored: &[StoredKey],
    sealer: &Sealer,
    issuer: &str,
    audience: &str,
    times: TokenTimes,
) -> anyhow::Result<Keys> {
    let now = now_millis();
    let mut active = None;
    let mut verifiers = Vec::new();
    for key in stored {
        let trusted_until = key.retired_at.map(|at| trusted_until(at, times));
        if trusted_until.is_some_and(|until| now >= until) {
            continue;
        }
        let alg = Algorithm::parse(&key.algorithm).with_context(|| {
            format!(
                "stored key {} has unknown algorithm {}",
                key.kid, key.algorithm
            )
        })?;
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&key.public_jwk)
            .with_context(|| format!("stored key {} has an invalid JWK", key.kid))?;
        let mut validation = Validation::new(alg.jwt());
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = times.leeway_seconds;
        verifiers.push(Verifier {
            kid: key.kid.clone(),
            key: DecodingKey::from_jwk(&jwk)?,
            validation,
            trusted_until,
            jwk: key.public_jwk.as_str().into(),
        });
        // Keys come newest first; the newest unretired one signs.
        if active.is_none() && key.retired_at.is_none() {
            let pkcs8 = sealer.open(&key.sealed_private_key, &key.kid)?;
            active = Some(Arc::new(SigningKey::from_pkcs8(alg, &pkcs8)?));
        }
    }
    let active = active.context("no active signing key")?;
    let jwks = jwks_document(&verifiers);
    Ok(Keys {
        active,
        verifiers,
        jwks,
    })
}

/// The JWKS document (`{"keys": [...]}`, the shape of [`latchkey_proto::discovery::JwkSet`]),
/// joined from the stored JWK texts: each parsed as a JWK when the ring was built, so the
/// result is valid JSON and its assembly cannot fail.
fn jwks_document(verifiers: &[Verifier]) -> Arc<[u8]> {
    let keys: Vec<&str> = verifiers.iter().map(|v| &*v.jwk).collect();
    format!("{{\"keys\":[{}]}}", keys.join(","))
        .into_bytes()
        .into()
}
