//! Bearer authentication on `/api` (RFC 6750), and the forgeries it must refuse.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use latchkey_testkit::{TestApp, jwt_parts};
use serde_json::{Value, json};

use crate::helpers::expect_envelope;

async fn refused(app: &TestApp, token: &str) -> Value {
    let response = app.companies_my(token).await;
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("text").to_owned())
        .expect("WWW-Authenticate on 401");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    expect_envelope(response, 401, "UNAUTHORIZED").await
}

/// A token with the given claims, signed by the server's own active key: only the claim checks
/// stand between it and acceptance.
fn signed(app: &TestApp, claims: &Value) -> String {
    app.state
        .keys
        .active()
        .sign(&serde_json::to_vec(claims).expect("json"))
        .expect("sign")
}

/// The claims of a genuine token, to alter one at a time.
fn valid_claims(token: &str) -> Value {
    jwt_parts(token).1
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[tokio::test]
async fn missing_or_malformed_credentials_get_401() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(app.url("/api/companies/my"))
        .send()
        .await
        .expect("request");
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        challenge.starts_with("Bearer realm=\"latchkey\", error=\"invalid_token\""),
        "{challenge}"
    );
    expect_envelope(r, 401, "UNAUTHORIZED").await;
    let r = app
        .http
        .get(app.url("/api/companies/my"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("request");
    expect_envelope(r, 401, "UNAUTHORIZED").await;
    refused(&app, "not-a-jwt").await;
    refused(&app, "a.b.c").await;
}

#[tokio::test]
async fn a_genuine_token_is_accepted_and_a_signed_copy_with_our_claims_too() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    assert_eq!(app.companies_my(&token).await.status(), 200);
    // Control for the forgery tests below: re-signing the same claims is accepted, so each
    // refusal below is caused by the one thing that test changes.
    let resigned = signed(&app, &valid_claims(&token));
    assert_eq!(app.companies_my(&resigned).await.status(), 200);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (mut header, claims) = jwt_parts(&token);
    header["alg"] = json!("none");
    let forged = format!(
        "{}.{}.",
        B64.encode(serde_json::to_vec(&header).expect("json")),
        B64.encode(serde_json::to_vec(&claims).expect("json"))
    );
    refused(&app, &forged).await;
}

#[tokio::test]
async fn hs256_signed_with_our_public_key_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (header, claims) = jwt_parts(&token);
    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let public = serde_json::to_vec(&jwks["keys"][0]).expect("jwk");
    let mut forged_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    forged_header.kid = header["kid"].as_str().map(String::from);
    forged_header.typ = Some("at+jwt".into());
    let forged = jsonwebtoken::encode(
        &forged_header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .expect("encode");
    refused(&app, &forged).await;
}

#[tokio::test]
async fn an_unknown_kid_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (mut header, _) = jwt_parts(&token);
    header["kid"] = json!("someone-elses-key");
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[0] = B64.encode(serde_json::to_vec(&header).expect("json"));
    refused(&app, &parts.join(".")).await;
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (_, mut claims) = jwt_parts(&token);
    claims["user_company_resourceid"] = json!("AAAAAAAAAAAA");
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[1] = B64.encode(serde_json::to_vec(&claims).expect("json"));
    refused(&app, &parts.join(".")).await;
    // And a flipped signature byte.
    let mut sig = B64
        .decode(token.rsplit('.').next().expect("sig"))
        .expect("b64");
    sig[10] ^= 0x01;
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    parts[2] = B64.encode(sig);
    refused(&app, &parts.join(".")).await;
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let base = valid_claims(&token);
    let mut expired = base.clone();
    expired["iat"] = json!(now() - 7200);
    expired["nbf"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let body = refused(&app, &signed(&app, &expired)).await;
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("expired"),
        "{body}"
    );
    let mut early = base.clone();
    early["nbf"] = json!(now() + 3600);
    early["exp"] = json!(now() + 7200);
    refused(&app, &signed(&app, &early)).await;
}

#[tokio::test]
async fn wrong_issuer_audience_or_type_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let base = valid_claims(&token);
    let mut wrong_iss = base.clone();
    wrong_iss["iss"] = json!("https://evil.example");
    refused(&app, &signed(&app, &wrong_iss)).await;
    let mut wrong_aud = base.clone();
    wrong_aud["aud"] = json!("another-api");
    refused(&app, &signed(&app, &wrong_aud)).await;

    // typ other than at+jwt (an ID token, say) is not an access token.
    let (mut header, claims) = jwt_parts(&token);
    header["typ"] = json!("JWT");
    let input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(&header).expect("json")),
        B64.encode(serde_json::to_vec(&claims).expect("json"))
    );
    let forged = format!("{input}.{}", token.rsplit('.').next().expect("sig"));
    refused(&app, &forged).await;
}

#[tokio::test]
async fn a_token_naming_another_client_resource_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mut claims = valid_claims(&token);
    claims["sub"] = json!("AAAAAAAAAAAA");
    refused(&app, &signed(&app, &claims)).await;
}
