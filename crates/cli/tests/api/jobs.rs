//! Durable jobs: a job cut by `kill -9` resumes when a server takes it back, or ends
//! `FinishedWithError` with the reason once it was interrupted too often; it never stays
//! Running. Replicas on one database run each job once.

use std::time::{Duration, Instant};

use latchkey_testkit::{TestApp, fresh_database_url};
use serde_json::{Value, json};

use crate::binary::{Running, serve_with_env, terminate};
use crate::helpers::expect_data;
use crate::target_user_import::{map, start_mapping, tid, upload, wait};

/// A CSV of `n` users.
fn people(n: usize) -> Vec<u8> {
    let mut csv = String::from("Email,First Name,Last Name\n");
    for i in 0..n {
        csv.push_str(&format!("user{i}@example.com,First{i},Last{i}\n"));
    }
    csv.into_bytes()
}

/// The real binary on a data directory and database that outlive it.
struct Binary {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    url: String,
    http: reqwest::Client,
    server: Running,
    token: String,
}

impl Binary {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let url = fresh_database_url(dir.path()).await;
        let server = serve_with_env(&data, &url, LEASE).await;
        let mut binary = Self {
            _dir: dir,
            data,
            url,
            http: reqwest::Client::new(),
            server,
            token: String::new(),
        };
        binary.token = binary.token().await;
        binary
    }

    async fn token(&self) -> String {
        self.server.initial_token(&self.data).await
    }

    /// `data` of a successful answer.
    async fn send(&self, request: reqwest::RequestBuilder) -> Value {
        let body: Value = request
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert_eq!(body["status"], "SUCCESS", "{body}");
        body["data"].clone()
    }

    async fn get(&self, path: &str) -> Value {
        self.send(self.http.get(format!("{}{path}", self.server.base)))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.send(
            self.http
                .post(format!("{}{path}", self.server.base))
                .json(&body),
        )
        .await
    }

    /// Uploads `rows` people and starts their mapping: `(transactionId, job)`.
    async fn upload_and_map(&self, rows: usize) -> (String, String) {
        let form = reqwest::multipart::Form::new().part(
            "File",
            reqwest::multipart::Part::bytes(people(rows)).file_name("people.csv"),
        );
        let up = self
            .send(
                self.http
                    .post(format!("{}/api/target-users/upload", self.server.base))
                    .multipart(form),
            )
            .await;
        let tid = up["transactionId"].as_str().expect("tid").to_owned();
        let job = self
            .post(
                "/api/target-users/create-mapping",
                json!({"transactionId": tid, "fieldMappings": [
                    {"excelColumnName": "Email", "fieldName": "email"},
                    {"excelColumnName": "First Name", "fieldName": "firstName"}]}),
            )
            .await["resourceId"]
            .as_str()
            .expect("job")
            .to_owned();
        (tid, job)
    }

    /// Kills the server with SIGKILL once `job` runs, and starts it again.
    async fn kill_while_running(&mut self, job: &str) {
        let started = Instant::now();
        loop {
            let j = self.get(&format!("/api/jobs/{job}")).await;
            match j["status"].as_i64() {
                Some(1) => break,
                Some(0) => {}
                _ => panic!("the job finished before it could be interrupted: {j}"),
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the job never started"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.server.child.start_kill().expect("SIGKILL");
        self.server.child.wait().await.expect("killed");
    }

    async fn restart(&mut self) {
        self.server = serve_with_env(&self.data, &self.url, LEASE).await;
        self.token = self.token().await;
    }

    /// Waits until `job` has finished, and returns it.
    async fn finished(&self, job: &str) -> Value {
        let started = Instant::now();
        loop {
            let j = self.get(&format!("/api/jobs/{job}")).await;
            if j["isFinished"] == true {
                return j;
            }
            // A bound on a hang, not a speed test: a loaded machine runs a 20,000-row
            // import on PostgreSQL for well over a minute.
            assert!(
                started.elapsed() < Duration::from_secs(360),
                "the job never finished after the restart: {j}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        sql_i64(&self.url, sql).await
    }
}

async fn sql_i64(url: &str, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("db");
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.expect("query");
    pool.close().await;
    n
}

const LEASE: &[(&str, &str)] = &[("LATCHKEY_JOB_LEASE_SECONDS", "2")];

#[tokio::test]
async fn a_job_cut_by_kill_9_resumes_on_the_next_start() {
    let rows = 20_000;
    let mut node = Binary::start().await;
    let (tid, job) = node.upload_and_map(rows).await;

    // Killed while the mapping runs: no chance to hand the job back.
    node.kill_while_running(&job).await;
    node.restart().await;
    let done = node.finished(&job).await;
    assert_eq!(done["status"], 2, "{done}");
    let status = node
        .get(&format!("/api/target-users/mapping-job/{job}"))
        .await;
    assert_eq!(status["newUserCount"], rows, "{status}");
    // Resumed from the top: the rows of the cut run are not counted twice.
    assert_eq!(
        node.count("SELECT COUNT(*) FROM import_users").await,
        rows as i64
    );
    assert_eq!(node.count("SELECT attempts FROM jobs").await, 2);

    // The import is cut too, and resumes where it was: every user once.
    let import = node
        .post(
            &format!("/api/target-users/{tid}/import"),
            json!({"importType": "All"}),
        )
        .await["resourceId"]
        .as_str()
        .expect("job")
        .to_owned();
    node.kill_while_running(&import).await;
    node.restart().await;
    let done = node.finished(&import).await;
    assert_eq!(done["status"], 2, "{done}");
    assert_eq!(done["processResults"][0]["currentCount"], rows, "{done}");
    assert_eq!(
        node.count("SELECT COUNT(*) FROM target_users").await,
        rows as i64
    );
    assert_eq!(
        node.count("SELECT COUNT(*) FROM import_users WHERE import_time IS NULL")
            .await,
        0
    );
    assert_eq!(
        node.count("SELECT target_user_count FROM companies WHERE is_reseller = 1 AND is_root = 0")
            .await,
        rows as i64
    );
    terminate(node.server).await;
}

#[tokio::test]
async fn a_job_interrupted_too_often_ends_with_the_reason() {
    let mut node = Binary::start().await;
    let (_, job) = node.upload_and_map(20_000).await;
    node.kill_while_running(&job).await;

    // As if this were its last allowed attempt.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&node.url).await.expect("db");
    sqlx::query("UPDATE jobs SET attempts = 3")
        .execute(&pool)
        .await
        .expect("update");
    pool.close().await;

    node.restart().await;
    let done = node.finished(&job).await;
    assert_eq!(done["status"], 3, "{done}");
    assert!(
        done["errorMessage"]
            .as_str()
            .expect("reason")
            .contains("interrupted 3 times"),
        "{done}"
    );
    assert!(done["endTime"].is_string());
    let status = node
        .get(&format!("/api/target-users/mapping-job/{job}"))
        .await;
    assert_eq!(status["status"], "FinishedWithError");
    terminate(node.server).await;
}

/// Uploads `rows` people to `app` and starts their mapping; the mapping job's id.
async fn upload_and_map(app: &TestApp, token: &str, rows: usize) -> String {
    let up = expect_data(upload(app, token, None, "p.csv", people(rows)).await).await;
    start_mapping(
        app,
        token,
        None,
        json!({"transactionId": tid(&up),
            "fieldMappings": [{"excelColumnName": "Email", "fieldName": "email"}]}),
    )
    .await
}

#[tokio::test]
async fn replicas_run_each_job_once() {
    let a = TestApp::spawn_with(|c| c.job_workers = 4).await;
    let b = a.replica(|c| c.job_workers = 4).await;
    // Each replica is its own issuer: each verifies the tokens it issued.
    let (ta, tb) = (a.reseller_token().await, b.reseller_token().await);
    let mut jobs = Vec::new();
    for i in 0..12 {
        let (app, token) = if i % 2 == 0 { (&a, &ta) } else { (&b, &tb) };
        jobs.push(upload_and_map(app, token, 50).await);
    }
    for job in &jobs {
        let done = wait(&b, &tb, None, &format!("/api/jobs/{job}"), |d| {
            d["isFinished"] == true
        })
        .await;
        assert_eq!(done["status"], 2, "{done}");
    }
    // Each claimed once (a second claim counts an attempt), each file's rows mapped once.
    let url = &a.database_url;
    assert_eq!(
        sql_i64(
            url,
            "SELECT COUNT(*) FROM jobs WHERE attempts = 1 AND status = 2"
        )
        .await,
        12
    );
    assert_eq!(
        sql_i64(url, "SELECT COUNT(*) FROM import_users").await,
        12 * 50
    );

    // A job queued on one replica is seen finished through the other.
    let up = expect_data(upload(&b, &tb, None, "p.csv", people(3)).await).await;
    let status = map(
        &a,
        &ta,
        None,
        json!({"transactionId": tid(&up),
        "fieldMappings": [{"excelColumnName": "Email", "fieldName": "email"}]}),
    )
    .await;
    assert_eq!(status["newUserCount"], 3);
}

#[tokio::test]
async fn a_graceful_stop_hands_running_jobs_back() {
    let app = TestApp::spawn_with(|c| c.job_lease_seconds = 60).await;
    let token = app.reseller_token().await;
    let job = upload_and_map(&app, &token, 20_000).await;
    wait(&app, &token, None, &format!("/api/jobs/{job}"), |d| {
        d["status"] != 0
    })
    .await;
    let url = app.database_url.clone();
    // A replica with a long lease would wait a minute for a dead server's job; a stopped one
    // hands it back at once.
    let other = app.replica(|c| c.job_lease_seconds = 60).await;
    let other_token = other.reseller_token().await;
    app.stop().await;
    let done = wait(
        &other,
        &other_token,
        None,
        &format!("/api/jobs/{job}"),
        |d| d["isFinished"] == true,
    )
    .await;
    assert_eq!(done["status"], 2, "{done}");
    // Handed back, the attempt was not counted: a job stopped gracefully is not "interrupted".
    assert_eq!(sql_i64(&url, "SELECT attempts FROM jobs").await, 1);
}
