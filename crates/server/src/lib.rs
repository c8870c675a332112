//! The Latchkey server: an axum application over the domain and the store.
//!
//! A request's path through the code:
//! - [`Application::build`] binds the listener, opens the store, loads the signing keys
//!   ([`crypto`]) and the live client view ([`auth::registry`]), and assembles the router.
//! - `POST /connect/token` is [`token`]; discovery documents are [`discovery`].
//! - Every `/api` route comes from the table in [`routes`] and passes the authorization step in
//!   [`auth::bearer`] before its handler in [`api`] runs; failures become the envelope in
//!   [`error`].
//! - [`mcp`] offers the table's operations to AI assistants as MCP tools at `/mcp`.
//! - [`scim`] is the SCIM 2.0 service at `/scim/v2`, authenticated by integration tokens.
//! - [`ops`] serves `/healthz`, `/readyz` and `/metrics`.
//! - [`jobs`] runs queued jobs in the background (the imports of [`import`], which read files
//!   with [`spreadsheet`]).
//! - [`listener`] accepts connections and keeps slow, idle and too many clients from holding
//!   them.

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod console;
pub mod crypto;
pub mod discovery;
pub mod docs;
pub mod error;
pub mod import;
pub mod jobs;
pub mod listener;
pub mod mail;
pub mod mcp;
pub mod openapi;
pub mod ops;
pub mod routes;
pub mod scim;
pub mod siem;
pub mod spreadsheet;
pub mod state;
pub mod telemetry;
pub mod token;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::routing::{get, post};
use latchkey_proto::ResultStatus;
use latchkey_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use config::Config;

use crate::auth::bearer::{Authenticator, BearerToken};
use crate::auth::rate::{FailureBudget, Limiter};
use crate::auth::registry::ClientRegistry;
use crate::crypto::ring::KeyRing;
use crate::crypto::seal::MasterKey;
use crate::error::ApiError;
use crate::state::{AppState, Inner};

/// A built server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    limits: listener::Limits,
    /// Set when this start created the initial tenancy.
    pub initial_credentials: Option<std::path::PathBuf>,
    /// Set when this start created the first administrator: the file with their link.
    pub initial_admin_link: Option<std::path::PathBuf>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let descriptors = match listener::raise_descriptor_limit() {
            Ok((before, after)) => {
                tracing::info!(before, after, "open file limit");
                after
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read or raise the open file limit");
                1024
            }
        };
        let limits = listener::Limits::new(&config, descriptors);
        if limits.max_connections < config.http_max_connections as usize {
            tracing::warn!(
                configured = config.http_max_connections,
                allowed = limits.max_connections,
                open_file_limit = descriptors,
                "http_max_connections lowered to fit the open file limit"
            );
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let issuer = config.issuer_for(listener.local_addr()?);

        let master = MasterKey::load_or_create(&config.master_key, &config.data_dir)?;
        let store = Store::open(&config.database_url, config.database_max_connections)
            .await
            .with_context(|| {
                format!(
                    "opening the database {}",
                    latchkey_store::redact_url(&config.database_url)
                )
            })?;
        let hasher = master.secret_hasher();
        let sealer = master.sealer();
        let public_url = config.public_url_for(&issuer);
        let mailer = mail::Mailer::new(&config, public_url.clone())?;
        let first_start = bootstrap::run(
            &store,
            &hasher,
            &config.data_dir,
            &issuer,
            &config.bootstrap_admin_email,
            &public_url,
        )
        .await?;

        let keys = KeyRing::load(
            &store,
            &sealer,
            config.signing_algorithm,
            config.token_times(),
            issuer.clone(),
            config.audience.clone(),
        )
        .await?;
        let table = routes::table();
        let catalog = Arc::new(routes::catalog(&table));
        // Serialized once: the route table does not change while the server runs.
        let openapi = serde_json::to_vec(&openapi::document(&table, &issuer))?.into();
        let clients = ClientRegistry::new(catalog.clone(), issuer.clone(), config.audience.clone());
        clients.reload(&store).await?;

        let state = AppState::new(Inner {
            token_limiter: Limiter::new(
                config.rate_limit_token_per_second,
                config.rate_limit_token_burst,
            ),
            token_failures: FailureBudget::new(
                config.rate_limit_token_failures_per_second,
                config
                    .rate_limit_token_failures_per_second
                    .saturating_mul(5),
            ),
            api_limiter: Limiter::new(
                config.rate_limit_api_per_second,
                config.rate_limit_api_burst,
            ),
            sign_in_limiter: Limiter::new(
                config.rate_limit_sign_in_per_second,
                config.rate_limit_sign_in_burst,
            ),
            password_work: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
            mailer,
            verified_tokens: quick_cache::sync::Cache::new(100_000),
            metrics: metrics_handle(),
            config,
            issuer,
            store,
            keys,
            sealer,
            clients,
            hasher,
            session_hasher: master.session_hasher(),
            scim_hasher: master.scim_hasher(),
            catalog,
            openapi,
            jobs: jobs::Jobs::new(),
            token_refusals: Default::default(),
        });
        let router = router(table, state.clone());
        Ok(Self {
            listener,
            router,
            state,
            limits,
            initial_credentials: first_start.as_ref().map(|f| f.credentials.clone()),
            initial_admin_link: first_start.map(|f| f.admin_link),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has an address.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// The shared state, e.g. for tests that need the signing key to forge claims.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// Serves until `shutdown` completes, then stops accepting, drains in-flight requests and
    /// closes the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let watcher = tokio::spawn(watch_for_changes(self.state.clone()));
        let runner = tokio::spawn(jobs::run(self.state.clone()));
        let forwarder = tokio::spawn(siem::run(self.state.clone()));
        listener::serve(self.listener, self.router, self.limits, shutdown).await;
        watcher.abort();
        // Stopping the runner stops its jobs; once it is gone, they are handed back.
        runner.abort();
        let _ = runner.await;
        jobs::release(&self.state).await;
        forwarder.abort();
        let _ = forwarder.await;
        siem::release(&self.state).await;
        self.state.store.close().await;
        Ok(())
    }
}

/// The route table as a router, answering unknown paths and methods with the envelope.
fn api_mount(
    table: Vec<routes::ApiRoute>,
    state: AppState,
    authn: Arc<dyn Authenticator>,
) -> Router<AppState> {
    routes::api_router(table, state, authn)
        .fallback(|| async { ApiError::not_found("No API operation at this path") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ResultStatus::MethodNotAllowed,
                ResultStatus::MethodNotAllowed.default_message(),
            )
        })
        // JSON bodies of the API are small; uploads set their own limit.
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(axum::middleware::from_fn(api::url::refuse_bad_urls))
}

fn router(table: Vec<routes::ApiRoute>, state: AppState) -> Router {
    // MCP tool calls run their operations through a mount of their own: the MCP request that
    // carried the call was counted against the client's rate limit already.
    let tool_api = api_mount(
        routes::table(),
        state.clone(),
        Arc::new(BearerToken {
            rate_limited: false,
        }),
    )
    .with_state(state.clone());
    let mcp = mcp::router(&table, state.clone(), tool_api);
    let api = api_mount(
        table,
        state.clone(),
        Arc::new(BearerToken { rate_limited: true }),
    );
    // The console's script calls the same route table, authenticated by its session cookie.
    let console_api = api_mount(
        routes::table(),
        state.clone(),
        Arc::new(console::session::SessionCookie),
    );

    Router::new()
        .route(
            "/connect/token",
            post(token::token).layer(DefaultBodyLimit::max(16 * 1024)),
        )
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi::serve))
        .merge(docs::router())
        .merge(console::router(console_api))
        .merge(api)
        .merge(scim::router(state.clone()))
        .merge(mcp)
        .layer(axum::middleware::from_fn(ops::record))
        .layer(
            TraceLayer::new_for_http()
                // The path only: query strings may carry secrets (the console's set-password
                // links) and must not reach the logs.
                .make_span_with(|request: &axum::http::Request<_>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::DEBUG)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetSensitiveHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .with_state(state)
}

/// Follows changes made by other processes (the admin CLI, other replicas): when the store's
/// revision counters move, reload the client view or the key ring. When a retired key's trust
/// ends, drops it from the ring (and so from the JWKS) at that moment, and prunes it from the
/// store. Every minute, also trims rate-limiter state of idle keys, purges ended console
/// sessions and refreshes the planner's statistics.
async fn watch_for_changes(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_millis(state.config.change_poll_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // On PostgreSQL, notifications wake the loop as soon as another replica commits a change;
    // the poll remains as the fallback while the listener reconnects.
    let changed = Arc::new(tokio::sync::Notify::new());
    let listener = state.store.spawn_change_listener(changed.clone());
    let _stop_listener = AbortOnDrop(listener);
    let mut ticks: u64 = 0;
    loop {
        // No change notice tells a server that a retired key's time is up: it is a deadline
        // each server computes from its own ring, so the loop also wakes for it.
        let key_expiry = state.keys.next_expiry();
        let until_key_expiry = async {
            match key_expiry {
                Some(at) => {
                    let wait = at
                        .saturating_sub(latchkey_domain::time::now_millis())
                        .max(0);
                    tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => ticks += 1,
            () = changed.notified() => {}
            () = until_key_expiry => {}
        }
        match state.store.revisions().await {
            Ok((clients, keys)) => {
                if clients != state.clients.revision()
                    && let Err(e) = state.clients.reload(&state.store).await
                {
                    tracing::error!(error = %format!("{e:#}"), "reloading clients failed");
                }
                if keys != state.keys.revision() {
                    match state.keys.reload(&state.store, &state.sealer).await {
                        Ok(()) => {
                            tracing::info!(kid = %state.keys.active().kid, "signing keys reloaded")
                        }
                        Err(e) => {
                            tracing::error!(error = %format!("{e:#}"), "reloading signing keys failed")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "checking for changes failed"),
        }
        expire_keys(&state).await;
        // The Prometheus recorder keeps histogram samples until upkeep folds them in; without
        // this, memory would grow with every request between scrapes.
        state.metrics.run_upkeep();
        if ticks.is_multiple_of(60) && ticks > 0 {
            state.token_limiter.forget_idle();
            state.token_failures.forget_idle();
            state.api_limiter.forget_idle();
            state.sign_in_limiter.forget_idle();
            let now = latchkey_domain::time::now_millis();
            if let Err(e) = state
                .store
                .purge_sessions(now, now - console::session::IDLE_MS)
                .await
            {
                tracing::warn!(error = %e, "purging ended console sessions failed");
            }
            // Refused-token minutes older than an hour can no longer be recorded twice.
            let minute = latchkey_domain::time::now_secs().div_euclid(60);
            state
                .token_refusals
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .retain(|_, last| *last >= minute - 1);
            if let Err(e) = state.store.purge_token_refusals(minute - 60).await {
                tracing::warn!(error = %e, "purging refused-token minutes failed");
            }
            if let Err(e) = state.store.refresh_statistics().await {
                tracing::warn!(error = %e, "refreshing the planner's statistics failed");
            }
        }
    }
}

/// Drops the retired keys whose trust has ended from the ring, then from the store. The ring
/// goes first and needs no database: trust ends on time even while the store is unreachable.
async fn expire_keys(state: &AppState) {
    let now = latchkey_domain::time::now_millis();
    if state.keys.next_expiry().is_none_or(|at| now < at) {
        return;
    }
    for kid in state.keys.expire(now) {
        tracing::info!(%kid, "retired signing key is no longer trusted");
    }
    // Every replica prunes the same rows; the deletes are idempotent. A later start would prune
    // them too, so a failure here costs nothing but a warning.
    if let Err(e) = crypto::ring::prune(&state.store, state.keys.times(), now).await {
        tracing::warn!(error = %e, "pruning expired signing keys failed");
    }
}

/// Aborts a background task when the owner goes away.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// The Prometheus recorder is process-global; every server in the process shares it.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then metrics go there.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// A future that completes on SIGINT or SIGTERM. The handlers are registered when this is
/// called, not when the future is first polled: a signal that arrives between "listening" and
/// the first poll must still mean "drain and stop", not the default "die at once".
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut terminate, mut interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = term => {},
                () = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: draining requests");
    }
}
