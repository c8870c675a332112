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
async fn an_address_that_spent_its_failure_budget_is_refused_even_with_the_right_secret() {
    // 1 failure a second, a burst of 5.
    let app = TestApp::spawn_with(|c| c.rate_limit_token_failures_per_second = 1).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            app.token_post("no-such-client", "guess")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..5], [400; 5], "{statuses:?}");
    assert_eq!(&statuses[5..], [429; 3], "{statuses:?}");

    // While the address is barred, the right secret is refused too: otherwise a guesser would
    // still learn at full speed which guess was right.
    let r = app
        .token_post(&app.initial.client_id, &app.initial.client_secret)
        .await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "slow_down", "{body}");

    // Once the budget refills, good credentials work again, and do not spend the budget.
    tokio::time::sleep(std::time::Duration::from_millis(1_100 * wait)).await;
    for _ in 0..10 {
        assert_eq!(
            app.token_post(&app.initial.client_id, &app.initial.client_secret)
                .await
                .status(),
            200
        );
    }
}
