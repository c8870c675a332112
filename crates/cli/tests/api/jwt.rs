//! The access token: header, claims, discovery, JWKS, algorithms and key rotation.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use latchkey_server::crypto::keys::Algorithm;
use latchkey_testkit::{TestApp, jwt_parts};
use serde_json::Value;

use crate::helpers::{binary, create_client, create_company};

/// Verifies `token` the way a third-party resource server would: discovery → JWKS → kid.
async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let discovery: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    let jwks_uri = discovery["jwks_uri"].as_str().expect("jwks_uri");
    let jwks: JwkSet = app
        .http
        .get(jwks_uri)
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    let header = jsonwebtoken::decode_header(token).expect("header");
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[discovery["issuer"].as_str().expect("issuer")]);
    validation.set_audience(&["api1"]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_jwk(jwk).expect("key"),
        &validation,
    )
    .expect("token verifies against the published JWKS")
    .claims
}

#[tokio::test]
async fn discovery_names_the_token_endpoint_and_jwks() {
    let app = TestApp::spawn().await;
    let d: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("d")
        .json()
        .await
        .expect("json");
    assert_eq!(d["issuer"], app.base);
    assert_eq!(d["token_endpoint"], app.url("/connect/token"));
    assert_eq!(d["jwks_uri"], app.url("/.well-known/jwks.json"));
    assert_eq!(
        d["grant_types_supported"],
        serde_json::json!(["client_credentials"])
    );
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post", "client_secret_basic"])
    );
}

#[tokio::test]
async fn a_reseller_token_carries_the_documented_claims() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (header, _) = jwt_parts(&token);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "at+jwt");
    assert!(header["kid"].is_string());
    let claims = verify_with_jwks(&app, &token).await;
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "client_id",
        "scope",
    ] {
        assert!(claims.get(claim).is_some(), "missing {claim}: {claims}");
    }
    assert_eq!(claims["client_id"], app.initial.client_id);
    assert_eq!(claims["scope"], serde_json::json!(["api1"]));
    assert_eq!(
        claims["user_company_resourceid"],
        app.initial.company_resource_id
    );
    assert_eq!(claims["user_company_name"], "Default Reseller");
    assert!(claims["user_company_id"].is_i64());
    assert!(claims["user_company_logopath"].is_string());
    assert!(claims["user_company_industry_name"].is_string());
    assert_eq!(claims["user_company_parentcompany_name"], "Platform");
    assert!(
        claims["user_company_parentcompany_resourceid"]
            .as_str()
            .is_some_and(|s| s.len() == 12)
    );
    assert_eq!(claims["role"], "Reseller");
    assert_eq!(claims["company_admin_access"], true);
    assert_eq!(claims["reseller_access"], true);
    assert_eq!(claims["root_access"], false);
}

#[tokio::test]
async fn a_company_admin_token_has_no_reseller_claims() {
    let app = TestApp::spawn().await;
    let customer = create_company(
        &app,
        "Acme Corp",
        Some(&app.initial.company_resource_id),
        false,
    );
    let (id, secret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let claims = verify_with_jwks(&app, &app.token_for(&id, &secret).await).await;
    assert_eq!(claims["user_company_resourceid"], customer);
    assert_eq!(claims["user_company_name"], "Acme Corp");
    assert_eq!(claims["role"], "Company Admin");
    assert_eq!(claims["reseller_access"], false);
    assert_eq!(claims["company_admin_access"], true);
    assert_eq!(claims["user_company_parentcompany_resourceid"], "");
}

async fn algorithm_is_selectable(alg: Algorithm) {
    let app = TestApp::spawn_with(|c| c.signing_algorithm = alg).await;
    let token = app.reseller_token().await;
    assert_eq!(jwt_parts(&token).0["alg"], alg.as_str());
    verify_with_jwks(&app, &token).await;
    assert_eq!(app.companies_my(&token).await.status(), 200);
}

#[tokio::test]
async fn rs256_is_selectable() {
    algorithm_is_selectable(Algorithm::RS256).await;
}

#[tokio::test]
async fn eddsa_is_selectable() {
    algorithm_is_selectable(Algorithm::EdDSA).await;
}

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_and_publishes_both_keys() {
    let app = TestApp::spawn().await;
    let old = app.reseller_token().await;
    let old_kid = jwt_parts(&old).0["kid"].as_str().expect("kid").to_owned();

    let rotated = app.admin(binary(), &["keys", "rotate"]).json();
    let new_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_ne!(new_kid, old_kid);

    // Servers follow the store's key revision; wait for the new key to sign.
    let mut fresh = String::new();
    for _ in 0..400 {
        fresh = app.reseller_token().await;
        if jwt_parts(&fresh).0["kid"] == new_kid.as_str() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        jwt_parts(&fresh).0["kid"],
        new_kid.as_str(),
        "the new key signs after rotation"
    );

    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{kids:?}"
    );
    assert_eq!(
        app.companies_my(&old).await.status(),
        200,
        "tokens of the retired key stay valid"
    );
    assert_eq!(app.companies_my(&fresh).await.status(), 200);
    verify_with_jwks(&app, &old).await;
}

#[tokio::test]
async fn keys_persist_across_restarts() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let data_dir = app.data_dir.path().to_path_buf();
    let url = app.database_url.clone();
    let kid = jwt_parts(&token).0["kid"].clone();
    // Start a second server on the same database and data directory.
    let config = latchkey_testkit::test_config(&data_dir, &url);
    let second = latchkey_server::Application::build(config)
        .await
        .expect("second server");
    let second_kid = second.state().keys.active().kid.clone();
    assert_eq!(
        kid,
        second_kid.as_str(),
        "the stored key is reused, not replaced"
    );
    assert!(
        second.initial_credentials.is_none(),
        "a later start creates nothing"
    );
}
