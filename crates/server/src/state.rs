//! What every handler shares.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;

use latchkey_domain::authz::PrincipalKey;
use latchkey_domain::permission::Catalog;
use latchkey_domain::secret::SecretHasher;
use latchkey_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::rate::{FailureBudget, Limiter};
use crate::auth::registry::ClientRegistry;
use crate::config::Config;
use crate::crypto::ring::{KeyRing, VerifiedClaims};
use crate::crypto::seal::Sealer;
use crate::mail::Mailer;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub issuer: String,
    pub store: Store,
    pub keys: KeyRing,
    pub sealer: Sealer,
    pub clients: ClientRegistry,
    pub hasher: SecretHasher,
    /// Digests console session tokens.
    pub session_hasher: SecretHasher,
    /// Digests SCIM integration tokens.
    pub scim_hasher: SecretHasher,
    pub catalog: Arc<Catalog>,
    pub token_limiter: Limiter<i64>,
    /// Failed client authentications per address at the token endpoint.
    pub token_failures: FailureBudget<IpAddr>,
    /// Per REST API client on `/api`, per signed-in user on `/console/api`.
    pub api_limiter: Limiter<PrincipalKey>,
    /// Sign-in and one-time-link attempts, per caller address.
    pub sign_in_limiter: Limiter<IpAddr>,
    /// Argon2 hashes running at once, at most one per core: each takes 19 MiB and tens of
    /// milliseconds, and a burst of sign-ins must queue rather than exhaust memory.
    pub password_work: tokio::sync::Semaphore,
    pub mailer: Mailer,
    /// Tokens whose signature and claims have been verified, by SHA-256 of the token.
    pub verified_tokens: quick_cache::sync::Cache<[u8; 32], VerifiedClaims>,
    pub metrics: PrometheusHandle,
    /// The OpenAPI document, serialized.
    pub openapi: axum::body::Bytes,
    /// The Unix minute this server last recorded a refused token request of each client (by
    /// key): the audit log gets one such record per client and minute.
    pub token_refusals: std::sync::Mutex<std::collections::HashMap<i64, i64>>,
    /// The background job runner's identity and bell.
    pub jobs: crate::jobs::Jobs,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Re-reads clients after this process changed one, so the change applies before the
    /// response is sent rather than at the next poll.
    pub async fn clients_changed(&self) -> anyhow::Result<()> {
        self.clients.reload(&self.store).await
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
