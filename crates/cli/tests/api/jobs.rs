//! Durable jobs: a job cut by `kill -9` resumes when a server takes it back, or ends
//! `FinishedWithError` with the reason once it was interrupted too often; it never stays
//! Running. Replicas on one database run each job once.

use std::time::{Duration, Instant};

use latchkey_testkit::{TestApp, fresh_database_url};
use reqwest::Method;
use serde_json::{Value, json};

use crate::binary::{serve_with_env, terminate};
use crate::target_user_import::{map, upload, wait};

/// A CSV of `n` users.
fn people(n: usize) -> Vec<u8> {
    let mut csv = String::from("Email,First Name,Last Name\n");
    for i in 0..n {
        csv.push_str(&format!("user{i}@example.com,First{i},Last{i}\n"));
    }
    csv.into_bytes()
}

async fn token(http: &reqwest::Client, base: &str, data: &std::path::Path) -> String {
    let creds: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("initial-credentials.json")).expect("credentials"),
    )
    .expect("json");
    let body: Value = http
        .post(format!("{base}/connect/token"))
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

async fn get(http: &reqwest::Client, base: &str, token: &str, path: &str) -> Value {
    let body: Value = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "SUCCESS", "{path}: {body}");
    body["data"].clone()
}

async fn post(http: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let body: Value = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "SUCCESS", "{path}: {body}");
    body["data"].clone()
}

/// Waits until the job is Running (status 1); panics if it finishes first.
async fn until_running(http: &reqwest::Client, base: &str, token: &str, job: &str) {
    let started = Instant::now();
    loop {
        let j = get(http, base, token, &format!("/api/jobs/{job}")).await;
        match j["status"].as_i64() {
            Some(1) => return,
            Some(0) => {}
            _ => panic!("the job finished before it could be interrupted: {j}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until the job has finished, and returns it.
async fn until_finished(http: &reqwest::Client, base: &str, token: &str, job: &str) -> Value {
    let started = Instant::now();
    loop {
        let j = get(http, base, token, &format!("/api/jobs/{job}")).await;
        if j["isFinished"] == true {
            return j;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the job never finished after the restart: {j}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
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
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let url = fresh_database_url(dir.path()).await;
    let http = reqwest::Client::new();
    let rows = 20_000;

    let mut server = serve_with_env(&data, &url, LEASE).await;
    let token = token(&http, &server.base, &data).await;
    let form = reqwest::multipart::Form::new().part(
        "File",
        reqwest::multipart::Part::bytes(people(rows)).file_name("people.csv"),
    );
    let up: Value = http
        .post(format!("{}/api/target-users/upload", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let tid = up["data"]["transactionId"]
        .as_str()
        .expect("tid")
        .to_owned();
    let job = post(
        &http,
        &server.base,
        &token,
        "/api/target-users/create-mapping",
        json!({"transactionId": tid, "fieldMappings": [
            {"excelColumnName": "Email", "fieldName": "email"},
            {"excelColumnName": "First Name", "fieldName": "firstName"}]}),
    )
    .await["resourceId"]
        .as_str()
        .expect("job")
        .to_owned();

    // Killed while the mapping runs: no chance to hand the job back.
    until_running(&http, &server.base, &token, &job).await;
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("killed");

    let server = serve_with_env(&data, &url, LEASE).await;
    let token = self::token(&http, &server.base, &data).await;
    let done = until_finished(&http, &server.base, &token, &job).await;
    assert_eq!(done["status"], 2, "{done}");
    let status = get(
        &http,
        &server.base,
        &token,
        &format!("/api/target-users/mapping-job/{job}"),
    )
    .await;
    assert_eq!(status["newUserCount"], rows, "{status}");
    // Resumed from the top: the rows of the cut run are not counted twice.
    assert_eq!(
        sql_i64(&url, "SELECT COUNT(*) FROM import_users").await,
        rows as i64
    );
    assert_eq!(sql_i64(&url, "SELECT attempts FROM jobs").await, 2);

    // The import is cut too, and resumes where it was: every user once.
    let import = post(
        &http,
        &server.base,
        &token,
        &format!("/api/target-users/{tid}/import"),
        json!({"importType": "All"}),
    )
    .await["resourceId"]
        .as_str()
        .expect("job")
        .to_owned();
    let mut server = server;
    until_running(&http, &server.base, &token, &import).await;
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("killed");
    let server = serve_with_env(&data, &url, LEASE).await;
    let token = self::token(&http, &server.base, &data).await;
    let done = until_finished(&http, &server.base, &token, &import).await;
    assert_eq!(done["status"], 2, "{done}");
    assert_eq!(done["processResults"][0]["currentCount"], rows, "{done}");
    assert_eq!(
        sql_i64(&url, "SELECT COUNT(*) FROM target_users").await,
        rows as i64
    );
    assert_eq!(
        sql_i64(
            &url,
            "SELECT COUNT(*) FROM import_users WHERE import_time IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        sql_i64(
            &url,
            "SELECT target_user_count FROM companies WHERE is_reseller = 1 AND is_root = 0"
        )
        .await,
        rows as i64
    );
    terminate(server).await;
}

#[tokio::test]
async fn a_job_interrupted_too_often_ends_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let url = fresh_database_url(dir.path()).await;
    let http = reqwest::Client::new();

    let mut server = serve_with_env(&data, &url, LEASE).await;
    let token = token(&http, &server.base, &data).await;
    let form = reqwest::multipart::Form::new().part(
        "File",
        reqwest::multipart::Part::bytes(people(20_000)).file_name("people.csv"),
    );
    let up: Value = http
        .post(format!("{}/api/target-users/upload", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let tid = up["data"]["transactionId"]
        .as_str()
        .expect("tid")
        .to_owned();
    let job = post(&http, &server.base, &token, "/api/target-users/create-mapping",
        json!({"transactionId": tid, "fieldMappings": [{"excelColumnName": "Email", "fieldName": "email"}]}))
        .await["resourceId"]
        .as_str()
        .expect("job")
        .to_owned();
    until_running(&http, &server.base, &token, &job).await;
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("killed");

    // As if this were its last allowed attempt.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("db");
    sqlx::query("UPDATE jobs SET attempts = 3")
        .execute(&pool)
        .await
        .expect("update");
    pool.close().await;

    let server = serve_with_env(&data, &url, LEASE).await;
    let token = self::token(&http, &server.base, &data).await;
    let done = until_finished(&http, &server.base, &token, &job).await;
    assert_eq!(done["status"], 3, "{done}");
    assert!(
        done["errorMessage"]
            .as_str()
            .expect("reason")
            .contains("interrupted 3 times"),
        "{done}"
    );
    assert!(done["endTime"].is_string());
    let status = get(
        &http,
        &server.base,
        &token,
        &format!("/api/target-users/mapping-job/{job}"),
    )
    .await;
    assert_eq!(status["status"], "FinishedWithError");
    terminate(server).await;
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
        let up: Value = upload(app, token, None, "p.csv", people(50))
            .await
            .json()
            .await
            .expect("json");
        let tid = up["data"]["transactionId"]
            .as_str()
            .expect("tid")
            .to_owned();
        let started = crate::helpers::expect_data(
            crate::helpers::call(app, Method::POST, "/api/target-users/create-mapping", token, None,
                Some(json!({"transactionId": tid, "fieldMappings": [{"excelColumnName": "Email", "fieldName": "email"}]}))).await,
        )
        .await;
        jobs.push(started["resourceId"].as_str().expect("job").to_owned());
    }
    for job in &jobs {
        let done = wait(&b, &tb, None, &format!("/api/jobs/{job}"), |d| {
            d["isFinished"] == true
        })
        .await;
        assert_eq!(done["status"], 2, "{done}");
    }
    assert_eq!(
        sql_i64(
            &a.database_url,
            "SELECT COUNT(*) FROM jobs WHERE attempts = 1 AND status = 2"
        )
        .await,
        12
    );
    assert_eq!(
        sql_i64(&a.database_url, "SELECT COUNT(*) FROM import_users").await,
        12 * 50
    );

    // And one more through the mapping helper, which polls the other replica.
    let up: Value = upload(&b, &tb, None, "p.csv", people(3))
        .await
        .json()
        .await
        .expect("json");
    let tid = up["data"]["transactionId"]
        .as_str()
        .expect("tid")
        .to_owned();
    let status = map(
        &a,
        &ta,
        None,
        json!({"transactionId": tid,
        "fieldMappings": [{"excelColumnName": "Email", "fieldName": "email"}]}),
    )
    .await;
    assert_eq!(status["newUserCount"], 3);
}

#[tokio::test]
async fn a_graceful_stop_hands_running_jobs_back() {
    let app = TestApp::spawn_with(|c| c.job_lease_seconds = 60).await;
    let token = app.reseller_token().await;
    let up: Value = upload(&app, &token, None, "p.csv", people(20_000))
        .await
        .json()
        .await
        .expect("json");
    let tid = up["data"]["transactionId"]
        .as_str()
        .expect("tid")
        .to_owned();
    let started = crate::helpers::expect_data(
        crate::helpers::call(&app, Method::POST, "/api/target-users/create-mapping", &token, None,
            Some(json!({"transactionId": tid, "fieldMappings": [{"excelColumnName": "Email", "fieldName": "email"}]}))).await,
    )
    .await;
    let job = started["resourceId"].as_str().expect("job").to_owned();
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
