//! The envelope on every `/api` answer, including unknown routes and wrong methods.

use latchkey_testkit::TestApp;

use crate::helpers::expect_envelope;

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_the_envelope() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = app.get("/api/no/such/thing", &token).await;
    expect_envelope(r, 404, "NOT_FOUND").await;
    let r = app
        .http
        .delete(app.url("/api/companies/my"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    expect_envelope(r, 405, "METHOD_NOT_ALLOWED").await;
}

#[tokio::test]
async fn success_has_all_five_fields() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let body: serde_json::Value = app.companies_my(&token).await.json().await.expect("json");
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["isSuccess"], true);
    assert!(body["message"].is_null() && body["validationMessages"].is_null());
    assert!(body["data"].is_array());
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("request");
    assert_eq!(r.headers()["x-request-id"], "trace-me-123");
    let r = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert!(r.headers()["x-request-id"].len() >= 32);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("r")
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("r")
            .status(),
        200
    );
    let token = app.reseller_token().await;
    app.companies_my(&token).await;
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("r")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("latchkey_tokens_issued_total"),
        "{metrics}"
    );
    assert!(metrics.contains("latchkey_http_requests_total{method=\"GET\",route=\"/api/companies/my\",status=\"200\"}"), "{metrics}");
    assert!(
        metrics.contains("latchkey_http_request_duration_seconds"),
        "{metrics}"
    );
}
