//! Deactivation and deletion apply to tokens already issued.
//!
//! Here the change is made by `latchkey admin` in another process, so the server sees it at
//! its next poll of the store (`change_poll_ms`, 100 ms in tests). Changes made through the API
//! apply before the API call returns.

use latchkey_testkit::TestApp;

use crate::helpers::{binary, create_client, create_company, expect_envelope};

#[tokio::test]
async fn deactivating_a_client_stops_its_live_tokens_and_reactivating_restores_them() {
    let app = TestApp::spawn().await;
    let company = create_company(
        &app,
        "Customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let (id, secret) = create_client(&app, &company, "Company Admin", &[]);
    app.await_client_view().await;
    let token = app.token_for(&id, &secret).await;
    assert_eq!(app.companies_my(&token).await.status(), 200);

    app.admin(binary(), &["client", "deactivate", &id]);
    app.await_client_view().await;
    let body = expect_envelope(app.companies_my(&token).await, 401, "UNAUTHORIZED").await;
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("inactive"),
        "{body}"
    );
    let r = app.token_post(&id, &secret).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["error"],
        "invalid_client"
    );

    app.admin(binary(), &["client", "activate", &id]);
    app.await_client_view().await;
    assert_eq!(
        app.companies_my(&token).await.status(),
        200,
        "the same token works again"
    );
}

#[tokio::test]
async fn deleting_a_client_stops_its_live_tokens() {
    let app = TestApp::spawn().await;
    let (id, secret) = create_client(
        &app,
        &app.initial.company_resource_id.clone(),
        "Reseller",
        &[],
    );
    app.await_client_view().await;
    let token = app.token_for(&id, &secret).await;
    assert_eq!(app.companies_my(&token).await.status(), 200);
    let out = app.admin(binary(), &["client", "delete", &id]);
    assert!(out.status.success(), "{}", out.stderr);
    app.await_client_view().await;
    expect_envelope(app.companies_my(&token).await, 401, "UNAUTHORIZED").await;
    let r = app.token_post(&id, &secret).await;
    assert_eq!(r.status(), 400);
}
