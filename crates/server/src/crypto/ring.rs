//! The key ring: the active signing key, and every key whose tokens may still be valid.
//!
//! Rotation adds a new active key and retires the old one; a retired key stays in the JWKS and
//! keeps verifying until the last token it signed has expired, then it is pruned. Servers
//! reload the ring when the store's key revision changes, so a rotation done by the admin CLI
//! or another replica is picked up without a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::Context;
use arc_swap::ArcSwap;
use jsonwebtoken::{DecodingKey, Validation};
use latchkey_domain::time::now_millis;
use latchkey_store::Store;
use latchkey_store::keys::StoredKey;
use serde::Deserialize;

use super::keys::{Algorithm, SigningKey};
use super::seal::Sealer;

/// Clock skew tolerated between replicas when checking `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

struct Keys {
    active: Arc<SigningKey>,
    verifiers: HashMap<String, Verifier>,
    jwks: Arc<[u8]>,
}

pub struct KeyRing {
    keys: ArcSwap<Keys>,
    issuer: String,
    audience: String,
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
}

/// Why a bearer token was refused; the text goes into `error_description`.
#[derive(Debug, thiserror::Error)]
pub enum TokenRejected {
    #[error("The token is malformed")]
    Malformed,
    #[error("The token's signing key is unknown")]
    UnknownKey,
    #[error("The token type must be at+jwt")]
    WrongType,
    #[error("The token has expired")]
    Expired,
    #[error("The token is not valid yet")]
    NotYetValid,
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
        token_lifetime_seconds: u64,
        issuer: String,
        audience: String,
    ) -> anyhow::Result<Self> {
        let cutoff = now_millis() - (token_lifetime_seconds + LEEWAY_SECONDS) as i64 * 1000;
        store.prune_signing_keys(cutoff).await?;
        let stored = store.signing_keys().await?;
        let has_active = stored
            .iter()
            .any(|k| k.retired_at.is_none() && k.algorithm == alg.as_str());
        if !has_active {
            rotate(store, sealer, alg).await?;
        }
        // Read the revision before the keys: a rotation racing this load then moves the revision
        // past what we record, and the next poll reloads.
        let (_, revision) = store.revisions().await?;
        let keys = build(&store.signing_keys().await?, sealer, &issuer, &audience)?;
        Ok(Self {
            keys: ArcSwap::from_pointee(keys),
            issuer,
            audience,
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
        )?;
        self.keys.store(Arc::new(keys));
        self.revision.store(revision, Ordering::Release);
        Ok(())
    }

    /// The store's key revision the ring reflects.
    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
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

    /// Verifies a compact JWS access token: a known `kid`, the algorithm of that key and no
    /// other (which defeats `alg: none` and HMAC-with-the-public-key forgeries), `typ: at+jwt`,
    /// the signature, `iss`, `aud`, `exp` and `nbf`.
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
        let verifier = header
            .kid
            .as_deref()
            .and_then(|kid| keys.verifiers.get(kid))
            .ok_or(TokenRejected::UnknownKey)?;
        jsonwebtoken::decode::<VerifiedClaims>(token, &verifier.key, &verifier.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenRejected::Expired,
                jsonwebtoken::errors::ErrorKind::ImmatureSignature => TokenRejected::NotYetValid,
                _ => TokenRejected::Invalid,
            })
    }
}

/// Generates a key for `alg`, stores it sealed, and makes it the active key.
pub async fn rotate(store: &Store, sealer: &Sealer, alg: Algorithm) -> anyhow::Result<String> {
    let (key, pkcs8) = SigningKey::generate(alg)?;
    let stored = StoredKey {
        kid: key.kid.clone(),
        algorithm: alg.as_str().to_owned(),
        sealed_private_key: sealer.seal(&pkcs8, &key.kid)?,
        public_jwk: serde_json::to_string(&key.jwk)?,
        created_at: now_millis(),
        retired_at: None,
    };
    store.activate_signing_key(&stored).await?;
    Ok(key.kid)
}

fn build(
    stored: &[StoredKey],
    sealer: &Sealer,
    issuer: &str,
    audience: &str,
) -> anyhow::Result<Keys> {
    let mut active = None;
    let mut verifiers = HashMap::new();
    let mut jwks = Vec::new();
    for key in stored {
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
        validation.leeway = LEEWAY_SECONDS;
        verifiers.insert(
            key.kid.clone(),
            Verifier {
                key: DecodingKey::from_jwk(&jwk)?,
                validation,
            },
        );
        jwks.push(serde_json::from_str::<serde_json::Value>(&key.public_jwk)?);
        // Keys come newest first; the newest unretired one signs.
        if active.is_none() && key.retired_at.is_none() {
            let pkcs8 = sealer.open(&key.sealed_private_key, &key.kid)?;
            active = Some(Arc::new(SigningKey::from_pkcs8(alg, &pkcs8)?));
        }
    }
    let active = active.context("no active signing key")?;
    let jwks = serde_json::to_vec(&latchkey_proto::discovery::JwkSet { keys: jwks })?;
    Ok(Keys {
        active,
        verifiers,
        jwks: jwks.into(),
    })
}
