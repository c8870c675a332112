//! `latchkey-client` against a real server: tokens kept and replaced, both ways of sending
//! the credentials, and refusals decoded into typed errors.

use latchkey_client::{AuthMethod, Client, Credentials, Error, Method, Token, token};
use latchkey_proto::ResultStatus;
use latchkey_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::{api_client, api_client_for, binary, create_client, create_company};

fn client_with(app: &TestApp, credentials: Credentials) -> Client {
    Client::builder(&app.base)
        .credentials(credentials)
        .http(app.http.clone())
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_token_is_kept_until_shortly_before_it_expires() {
    let app = TestApp::spawn().await;
    let client = api_client_for(&app, &app.initial.client_id, &app.initial.client_secret);
    let first = client.token().await.expect("token");
    assert_eq!(first.lifetime, 3600);
    assert!(
        first
            .permissions
            .contains(&"companies/search|POST".to_owned())
    );
    assert_eq!(client.token().await.expect("token"), first, "kept");

    // Less than a minute left: replaced before it is sent.
    client.set_token(Token {
        expires_at: token::now() + 30,
        ..first.clone()
    });
    let second = client.token().await.expect("token");
    assert_ne!(second.access_token, first.access_token);
    assert!(second.expires_at >= token::now() + 3500);

    // Both ways of sending the credentials work.
    for method in [AuthMethod::ClientSecretPost, AuthMethod::ClientSecretBasic] {
        let c = client_with(
            &app,
            Credentials::new(&app.initial.client_id, &app.initial.client_secret)
                .with_method(method),
        );
        let my: Value = c
            .call(Method::GET, "/api/companies/my", None, ())
            .await
            .expect("companies/my");
        assert_eq!(
            my[0]["resourceId"],
            app.initial.company_resource_id.as_str()
        );
    }
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_a_refused_client_says_why() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let (id, secret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let client = api_client_for(&app, &id, &secret);
    let good = client.token().await.expect("token");

    // A token the server does not accept (as after its keys were revoked) is replaced.
    client.set_token(Token {
        access_token: "not.a.token".into(),
        ..good.clone()
    });
    let my: Value = client
        .call(Method::GET, "/api/companies/my", None, ())
        .await
        .expect("the request is sent again with a new token");
    assert_eq!(my[0]["resourceId"], customer.as_str());
    assert_ne!(
        client.cached_token().expect("held").access_token,
        "not.a.token"
    );

    // Deactivated: its token is refused, and so is a new one, with the OAuth error.
    let out = app.admin(binary(), &["client", "deactivate", &id]);
    assert!(out.status.success(), "{}", out.stderr);
    app.await_client_view().await;
    let e = client
        .call::<Value>(Method::GET, "/api/companies/my", None, ())
        .await
        .expect_err("deactivated");
    let oauth = e.oauth().unwrap_or_else(|| panic!("an OAuth error: {e}"));
    assert_eq!(oauth.error, "invalid_client");
    assert_eq!(oauth.http, 400);
}

#[tokio::test]
async fn refusals_are_typed() {
    let app = TestApp::spawn().await;
    // A wrong secret: 400 in the form, 401 with HTTP Basic (DESIGN.md, decision 2).
    for (method, http) in [
        (AuthMethod::ClientSecretPost, 400),
        (AuthMethod::ClientSecretBasic, 401),
    ] {
        let c = client_with(
            &app,
            Credentials::new(&app.initial.client_id, "wrong-secret").with_method(method),
        );
        let e = c.token().await.expect_err("wrong secret");
        let oauth = e.oauth().unwrap_or_else(|| panic!("an OAuth error: {e}"));
        assert_eq!((oauth.error.as_str(), oauth.http), ("invalid_client", http));
        assert!(e.to_string().starts_with("invalid_client"), "{e}");
    }

    let client = api_client(&app, &app.reseller_token().await);
    let e = client
        .call::<Value>(Method::POST, "/api/companies/clients", None, json!({}))
        .await
        .expect_err("no role");
    let api = e.api().unwrap_or_else(|| panic!("an envelope: {e}"));
    assert!(api.is(ResultStatus::InputError), "{api}");
    assert_eq!(api.http, 400);
    assert!(
        api.validation_messages
            .contains(&"Role should be selected".to_owned()),
        "{api}"
    );
    assert!(
        e.to_string().contains("\n  - Role should be selected"),
        "{e}"
    );

    let e = client
        .call::<Value>(Method::GET, "/api/companies/NoSuchCompny", None, ())
        .await
        .expect_err("unknown");
    assert!(e.api().is_some_and(|a| a.is(ResultStatus::NotFound)), "{e}");
    assert_eq!(e.http_status(), Some(404));

    // A body of the wrong shape for the type asked for is a decode error, not a panic.
    let e = client
        .call::<Vec<String>>(Method::GET, "/api/companies/my", None, ())
        .await
        .expect_err("not strings");
    assert!(matches!(e, Error::Decode { .. }), "{e}");
}
