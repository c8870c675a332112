//! Per-client rate limits: 429 with `Retry-After` and the envelope.

use latchkey_testkit::TestApp;
use serde_json::Value;

use crate::helpers::expect_envelope;

#[tokio::test]
async fn the_token_endpoint_limits_each_client() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_token_per_second = 1;
        c.rate_limit_token_burst = 2;
    })
    .await;
    let (id, secret) = (
        app.initial.client_id.clone(),
        app.initial.client_secret.clone(),
    );
    assert_eq!(app.token_post(&id, &secret).await.status(), 200);
    assert_eq!(app.token_post(&id, &secret).await.status(), 200);
    let r = app.token_post(&id, &secret).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["status"], "TOO_MANY_REQUESTS");
    assert_eq!(body["isSuccess"], false);
    assert_eq!(body["error"], "slow_down");
}

#[tokio::test]
async fn the_api_limits_each_client() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_api_per_second = 1;
        c.rate_limit_api_burst = 3;
    })
    .await;
    let token = app.reseller_token().await;
    for _ in 0..3 {
        assert_eq!(app.companies_my(&token).await.status(), 200);
    }
    let r = app.companies_my(&token).await;
    assert!(r.headers().contains_key("retry-after"));
    expect_envelope(r, 429, "TOO_MANY_REQUESTS").await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_slowed_down() {
    let app = TestApp::spawn_with(|c| c.rate_limit_token_failures_per_second = 2).await;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(
            app.token_post("no-such-client", "guess")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        statuses.contains(&400) && statuses.contains(&429),
        "{statuses:?}"
    );
    // A client with the right secret is not locked out by someone else's guessing.
    assert_eq!(
        app.token_post(&app.initial.client_id, &app.initial.client_secret)
            .await
            .status(),
        200
    );
}
