//! Test harness: each test gets a fresh database and the real server on a free port.
//!
//! The database is SQLite in a temporary directory, or, when `LATCHKEY_TEST_DATABASE_URL`
//! names a PostgreSQL server, a new database created on it for this test alone. The same tests
//! run on both (`scripts/test` runs them twice).
//!
//! [`TestApp`] has one method per endpoint the tests use; they return the raw
//! [`reqwest::Response`] so that tests assert on status, headers and body themselves.
//!
//! The other ends the server talks to are real too: [`smtp`] is a mail sink, [`hec`] a Splunk
//! HTTP Event Collector, [`rsyslog`] Debian's rsyslogd listening on TCP, UDP and TLS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use latchkey_server::state::AppState;
use latchkey_server::{Application, Config};
use serde::Deserialize;
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::oneshot;

pub use reqwest;

pub mod hec;
pub mod rsyslog;
pub mod smtp;

/// `initial-credentials.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub company_resource_id: String,
    pub token_url: String,
}

pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub database_url: String,
    /// Shared with replicas started by [`TestApp::replica`].
    pub data_dir: std::sync::Arc<tempfile::TempDir>,
    pub http: reqwest::Client,
    pub initial: Credentials,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// A URL for a database no other test uses.
pub async fn fresh_database_url(data_dir: &Path) -> String {
    match std::env::var("LATCHKEY_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let name = format!("latchkey_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to LATCHKEY_TEST_DATABASE_URL: {e}"));
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
            let _ = admin.close().await;
            let (base, _) = server.rsplit_once('/').unwrap_or((&server, ""));
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", data_dir.join("latchkey.db").display()),
    }
}

/// True when the suite runs against PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("LATCHKEY_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// The base configuration of a test server: loopback, port 0, quick change polling, and no
/// rate limits unless a test sets them.
pub fn test_config(data_dir: &Path, database_url: &str) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: data_dir.to_path_buf(),
        database_url: database_url.to_owned(),
        database_max_connections: 5,
        change_poll_ms: 100,
        rate_limit_token_per_second: 0,
        rate_limit_api_per_second: 0,
        rate_limit_token_failures_per_second: 0,
        rate_limit_sign_in_per_second: 0,
        ..Config::default()
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `configure` has adjusted the test configuration.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database_url = fresh_database_url(data_dir.path()).await;
        let mut config = test_config(data_dir.path(), &database_url);
        configure(&mut config);
        let app = Application::build(config).await.expect("server builds");
        let addr = app.local_addr();
        let base = app.issuer().to_owned();
        let state = app.state();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        let text = std::fs::read_to_string(data_dir.path().join("initial-credentials.json"))
            .expect("first start writes initial-credentials.json");
        let initial: Credentials = serde_json::from_str(&text).expect("credentials file is JSON");
        Self {
            base,
            addr,
            database_url,
            data_dir: std::sync::Arc::new(data_dir),
            http: reqwest::Client::builder().build().expect("http client"),
            initial,
            state,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// A server that sends its email to a new [`smtp::SmtpSink`], after `configure`.
    pub async fn spawn_with_smtp(configure: impl FnOnce(&mut Config)) -> (Self, smtp::SmtpSink) {
        let sink = smtp::SmtpSink::start().await;
        let url = sink.url();
        let app = Self::spawn_with(move |config| {
            config.smtp_url = url;
            configure(config);
        })
        .await;
        (app, sink)
    }

    /// The first administrator's set-password link, from `initial-admin-link.txt`.
    pub fn initial_admin_link(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("initial-admin-link.txt"))
            .expect("first start writes initial-admin-link.txt")
            .trim()
            .to_owned()
    }

    /// Another server on the same database and data directory (so the same master key), as a
    /// second replica behind a load balancer would be.
    pub async fn replica(&self, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = test_config(self.data_dir.path(), &self.database_url);
        configure(&mut config);
        let app = Application::build(config).await.expect("replica builds");
        let state = app.state();
        let (tx, rx) = oneshot::channel::<()>();
        let base = app.issuer().to_owned();
        let addr = app.local_addr();
        let server = tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        Self {
            base,
            addr,
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            http: reqwest::Client::builder().build().expect("http client"),
            initial: self.initial.clone(),
            state,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /connect/token` with `client_secret_post`.
    pub async fn token_post(&self, client_id: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(self.url("/connect/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", "api1"),
            ])
            .send()
            .await
            .expect("token request")
    }

    /// `POST /connect/token` with `client_secret_basic`.
    pub async fn token_basic(&self, client_id: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(self.url("/connect/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", "api1")])
            .send()
            .await
            .expect("token request")
    }

    /// A token for `client_id`, asserting success.
    pub async fn token_for(&self, client_id: &str, secret: &str) -> String {
        let response = self.token_post(client_id, secret).await;
        let status = response.status();
        let body: Value = response.json().await.expect("token response is JSON");
        assert_eq!(status, 200, "token request failed: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A token for the bootstrap reseller client.
    pub async fn reseller_token(&self) -> String {
        self.token_for(&self.initial.client_id, &self.initial.client_secret)
            .await
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    /// `GET /api/companies/my`.
    pub async fn companies_my(&self, token: &str) -> reqwest::Response {
        self.get("/api/companies/my", token).await
    }

    /// Runs `latchkey admin …` (the real binary at `binary`) against this server's database.
    pub fn admin(&self, binary: &Path, args: &[&str]) -> AdminOutput {
        run_admin(binary, self.data_dir.path(), &self.database_url, args)
    }

    /// Waits until the server's client view reflects the store (after an admin command).
    pub async fn await_client_view(&self) {
        // Bounded at 10 s: generous for a loaded CI machine, where the poll is every 100 ms.
        for _ in 0..400 {
            let (revision, _) = self.state.store.revisions().await.expect("revisions");
            if self.state.clients.revision() == revision {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the server did not pick up the client change within 10 s");
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server ran cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct AdminOutput {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl AdminOutput {
    /// stdout as JSON, asserting the command succeeded.
    pub fn json(&self) -> Value {
        assert!(
            self.status.success(),
            "admin command failed: {}",
            self.stderr
        );
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("admin output is not JSON ({e}): {}", self.stdout))
    }
}

pub fn run_admin(binary: &Path, data_dir: &Path, database_url: &str, args: &[&str]) -> AdminOutput {
    let output = std::process::Command::new(binary)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url)
        .arg("admin")
        .args(args)
        .env_remove("LATCHKEY_CONFIG")
        .output()
        .expect("run latchkey admin");
    AdminOutput {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Decodes a JWT's header and payload without verifying it.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    use base64::Engine;
    let mut parts = token.split('.');
    let mut decode = || -> Value {
        let part = parts.next().expect("JWT part");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    (decode(), decode())
}

/// Where the Python OAuth client check lives.
pub fn python_check_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/oauth_client_check.py")
}
