//! The `latchkey` binary as an operator runs it: `serve` on a fresh data directory, JSON logs,
//! first-start credentials, restart, and graceful shutdown on SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_testkit::fresh_database_url;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::binary;

pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl Running {
    /// A token of the first-start client whose credentials `data_dir` holds.
    pub(crate) async fn initial_token(&self, data_dir: &Path) -> String {
        let creds: Value = serde_json::from_str(
            &std::fs::read_to_string(data_dir.join("initial-credentials.json"))
                .expect("initial-credentials.json"),
        )
        .expect("credentials are JSON");
        let body: Value = reqwest::Client::new()
            .post(format!("{}/connect/token", self.base))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", creds["clientId"].as_str().expect("id")),
                (
                    "client_secret",
                    creds["clientSecret"].as_str().expect("secret"),
                ),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

/// Starts `latchkey serve` and waits for its "listening" log line.
async fn serve(data_dir: &Path, database_url: &str) -> Running {
    serve_with_env(data_dir, database_url, &[]).await
}

pub(crate) async fn serve_with_env(
    data_dir: &Path,
    database_url: &str,
    env: &[(&str, &str)],
) -> Running {
    let mut child = Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url)
        .env_remove("LATCHKEY_CONFIG")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn latchkey serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let log = Arc::new(Mutex::new(Vec::new()));
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read log") {
            log.lock().expect("log").push(line.clone());
            let event: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
            if event["message"] == "listening" {
                return event["address"].as_str().expect("address").to_owned();
            }
        }
        panic!(
            "server exited before listening: {:?}",
            log.lock().expect("log")
        );
    })
    .await
    .expect("server listens within 30 s");
    let sink = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().expect("log").push(line);
        }
    });
    Running {
        child,
        base: format!("http://{address}"),
        log,
    }
}

pub(crate) async fn terminate(mut running: Running) -> Vec<String> {
    let pid = running.child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(10), running.child.wait())
        .await
        .expect("exits within 10 s of SIGTERM")
        .expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    running.log.lock().expect("log").clone()
}

#[tokio::test]
async fn first_start_writes_credentials_once_and_never_logs_the_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let url = fresh_database_url(dir.path()).await;
    let running = serve(&data, &url).await;

    let file = data.join("initial-credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("credentials file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "credentials are readable by the owner only");
    }
    let creds: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    let secret = creds["clientSecret"].as_str().expect("secret").to_owned();
    assert_eq!(secret.len(), 43);
    assert_eq!(creds["tokenUrl"], format!("{}/connect/token", running.base));

    let http = reqwest::Client::new();
    let token: Value = http
        .post(creds["tokenUrl"].as_str().expect("url"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds["clientId"].as_str().expect("id")),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    assert!(token["access_token"].is_string(), "{token}");

    let log = terminate(running).await;
    assert!(
        log.iter().any(|l| l.contains("initial-credentials.json")),
        "the log names the file"
    );
    assert!(
        !log.iter().any(|l| l.contains(&secret)),
        "the secret must never be logged"
    );

    // The store holds a digest, not the secret.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("db");
    let row: (Vec<u8>,) = sqlx::query_as("SELECT secret_digest FROM api_clients")
        .fetch_one(&pool)
        .await
        .expect("row");
    assert_eq!(row.0.len(), 32);
    assert!(!String::from_utf8_lossy(&row.0).contains(&secret));
    pool.close().await;

    // A second start on the same data creates nothing and keeps the file as it was.
    let before = std::fs::read(&file).expect("read");
    let running = serve(&data, &url).await;
    let log = terminate(running).await;
    assert_eq!(std::fs::read(&file).expect("read"), before);
    assert!(!log.iter().any(|l| l.contains("first start")), "{log:?}");
}

#[tokio::test]
async fn an_unknown_setting_in_the_environment_is_reported_and_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fresh_database_url(dir.path()).await;
    let running = serve_with_env(
        &dir.path().join("data"),
        &url,
        &[
            ("LATCHKEY_NO_SUCH_SETTING", "1"),
            ("LATCHKEY_TOKEN_LIFETIME_SECONDS", "600"),
        ],
    )
    .await;
    let log = terminate(running).await;
    assert!(
        log.iter()
            .any(|l| l.contains("unknown setting") && l.contains("LATCHKEY_NO_SUCH_SETTING")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("starting") && l.contains("token_lifetime_seconds: 600")),
        "known settings still apply: {log:?}"
    );
}
