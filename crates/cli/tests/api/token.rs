//! `POST /connect/token`.

use latchkey_testkit::{TestApp, jwt_parts};
use serde_json::Value;

#[tokio::test]
async fn client_secret_post_issues_a_bearer_token() {
    let app = TestApp::spawn().await;
    let response = app
        .token_post(&app.initial.client_id, &app.initial.client_secret)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "api1");
    let permissions = body["permissions"].as_array().expect("permissions");
    assert!(
        permissions.iter().any(|p| p == "companies/my|GET"),
        "{permissions:?}"
    );
    let (_, claims) = jwt_parts(body["access_token"].as_str().expect("token"));
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        3600
    );
}

#[tokio::test]
async fn client_secret_basic_issues_a_token_and_scope_defaults_to_api1() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .post(app.url("/connect/token"))
        .basic_auth(&app.initial.client_id, Some(&app.initial.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["scope"], "api1");
}

#[tokio::test]
async fn lifetime_is_configurable() {
    let app = TestApp::spawn_with(|c| c.token_lifetime_seconds = 600).await;
    let body: Value = app
        .token_post(&app.initial.client_id, &app.initial.client_secret)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["expires_in"], 600);
    let (_, claims) = jwt_parts(body["access_token"].as_str().expect("token"));
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        600
    );
}

async fn oauth_error(response: reqwest::Response, http: u16, error: &str) -> Value {
    let code = response.status().as_u16();
    let cache = response.headers().get("cache-control").cloned();
    let body: Value = response.json().await.expect("RFC 6749 error body is JSON");
    assert_eq!(code, http, "body: {body}");
    assert_eq!(body["error"], error, "body: {body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "body: {body}"
    );
    assert_eq!(
        cache.as_ref().map(|v| v.to_str().unwrap_or("")),
        Some("no-store")
    );
    body
}

#[tokio::test]
async fn wrong_secret_and_unknown_client_answer_identically() {
    let app = TestApp::spawn().await;
    let wrong = app
        .token_post(&app.initial.client_id, "not-the-secret")
        .await;
    let wrong = oauth_error(wrong, 400, "invalid_client").await;
    let unknown = app.token_post("no-such-client", "not-the-secret").await;
    let unknown = oauth_error(unknown, 400, "invalid_client").await;
    assert_eq!(
        wrong, unknown,
        "the answers must not tell which part was wrong"
    );
}

#[tokio::test]
async fn bad_basic_credentials_get_401_with_a_basic_challenge() {
    let app = TestApp::spawn().await;
    for (id, secret) in [
        (app.initial.client_id.as_str(), "wrong"),
        ("no-such-client", "wrong"),
    ] {
        let response = app.token_basic(id, secret).await;
        let challenge = response
            .headers()
            .get("www-authenticate")
            .cloned()
            .expect("WWW-Authenticate");
        assert!(
            challenge.to_str().expect("text").starts_with("Basic"),
            "{challenge:?}"
        );
        oauth_error(response, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn request_errors_use_rfc6749_codes() {
    let app = TestApp::spawn().await;
    let (id, secret) = (
        app.initial.client_id.as_str(),
        app.initial.client_secret.as_str(),
    );
    let post = |form: Vec<(&'static str, String)>| {
        let req = app.http.post(app.url("/connect/token")).form(&form);
        async move { req.send().await.expect("request") }
    };
    // grant_type missing
    let r = post(vec![
        ("client_id", id.into()),
        ("client_secret", secret.into()),
    ])
    .await;
    oauth_error(r, 400, "invalid_request").await;
    // another grant
    let r = post(vec![
        ("grant_type", "password".into()),
        ("client_id", id.into()),
        ("client_secret", secret.into()),
    ])
    .await;
    oauth_error(r, 400, "unsupported_grant_type").await;
    // another scope
    let r = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", id.into()),
        ("client_secret", secret.into()),
        ("scope", "admin".into()),
    ])
    .await;
    oauth_error(r, 400, "invalid_scope").await;
    // no credentials at all
    let r = post(vec![("grant_type", "client_credentials".into())]).await;
    oauth_error(r, 400, "invalid_request").await;
    // a parameter twice (RFC 6749 §3.2)
    let body = format!(
        "grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=api1&scope=api1"
    );
    let r = app
        .http
        .post(app.url("/connect/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    oauth_error(r, 400, "invalid_request").await;
    // two authentication methods at once
    let r = app
        .http
        .post(app.url("/connect/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", secret),
        ])
        .send()
        .await
        .expect("request");
    oauth_error(r, 400, "invalid_request").await;
}

#[tokio::test]
async fn a_json_body_or_wrong_content_type_is_a_clear_400_not_a_500() {
    let app = TestApp::spawn().await;
    let json = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": app.initial.client_id,
        "client_secret": app.initial.client_secret,
        "scope": "api1"
    });
    let r = app
        .http
        .post(app.url("/connect/token"))
        .json(&json)
        .send()
        .await
        .expect("request");
    let body = oauth_error(r, 400, "invalid_request").await;
    assert!(
        body["error_description"]
            .as_str()
            .expect("description")
            .contains("application/x-www-form-urlencoded"),
        "{body}"
    );
    let r = app
        .http
        .post(app.url("/connect/token"))
        .header("content-type", "text/plain")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("request");
    oauth_error(r, 400, "invalid_request").await;
    let r = app
        .http
        .post(app.url("/connect/token"))
        .send()
        .await
        .expect("request");
    oauth_error(r, 400, "invalid_request").await;
}

#[tokio::test]
async fn only_post_is_allowed() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/connect/token"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 405);
}
