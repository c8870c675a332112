//! IP allow-lists, enforced at token issuance and on every call.

use std::net::SocketAddr;

use latchkey_testkit::TestApp;
use serde_json::Value;

use crate::helpers::{create_client, expect_envelope};

#[tokio::test]
async fn a_client_outside_its_ranges_gets_no_token() {
    let app = TestApp::spawn().await;
    let company = app.initial.company_resource_id.clone();
    let (inside_id, inside_secret) =
        create_client(&app, &company, "Reseller", &["10.0.0.0/8", "127.0.0.0/24"]);
    let (outside_id, outside_secret) =
        create_client(&app, &company, "Reseller", &["10.0.0.0/8", "2001:db8::/32"]);
    app.await_client_view().await;
    let token = app.token_for(&inside_id, &inside_secret).await;
    assert_eq!(app.companies_my(&token).await.status(), 200);
    let r = app.token_post(&outside_id, &outside_secret).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "unauthorized_client", "{body}");
}

#[tokio::test]
async fn ipv6_addresses_and_ranges_work() {
    let app =
        TestApp::spawn_with(|c| c.listen = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)))
            .await;
    assert!(app.base.starts_with("http://[::1]:"), "{}", app.base);
    let company = app.initial.company_resource_id.clone();
    let (ok_id, ok_secret) = create_client(&app, &company, "Reseller", &["::1"]);
    let (no_id, no_secret) =
        create_client(&app, &company, "Reseller", &["2001:db8::/32", "127.0.0.1"]);
    app.await_client_view().await;
    let token = app.token_for(&ok_id, &ok_secret).await;
    assert_eq!(app.companies_my(&token).await.status(), 200);
    assert_eq!(app.token_post(&no_id, &no_secret).await.status(), 400);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts_on_every_call() {
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")])
            .await;
    let (id, secret) = create_client(
        &app,
        &app.initial.company_resource_id.clone(),
        "Reseller",
        &["203.0.113.0/24"],
    );
    app.await_client_view().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    // From the proxy itself: refused.
    let r = app
        .http
        .post(app.url("/connect/token"))
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);
    // Forwarded for an allowed address: issued.
    let r = app
        .http
        .post(app.url("/connect/token"))
        .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let call = |xff: &'static str| {
        let req = app
            .http
            .get(app.url("/api/companies/my"))
            .bearer_auth(&token)
            .header("x-forwarded-for", xff);
        async move { req.send().await.expect("request") }
    };
    assert_eq!(call("203.0.113.200").await.status(), 200);
    // The same token from an address outside the list stops working on the next call.
    expect_envelope(call("192.0.2.1").await, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn forwarded_headers_from_untrusted_peers_are_ignored() {
    let app = TestApp::spawn().await;
    let (id, secret) = create_client(
        &app,
        &app.initial.company_resource_id.clone(),
        "Reseller",
        &["203.0.113.0/24"],
    );
    app.await_client_view().await;
    let r = app
        .http
        .post(app.url("/connect/token"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.status(),
        400,
        "a client cannot spoof its address without a trusted proxy"
    );
}

#[tokio::test]
async fn invalid_ranges_are_refused_by_the_admin_command() {
    let app = TestApp::spawn().await;
    let out = app.admin(
        crate::helpers::binary(),
        &[
            "client",
            "create",
            "--company",
            &app.initial.company_resource_id,
            "--allow-ip",
            "300.1.1.1",
        ],
    );
    assert!(!out.status.success());
    assert!(out.stderr.contains("300.1.1.1"), "{}", out.stderr);
}
