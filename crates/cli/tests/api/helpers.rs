use std::path::Path;

use latchkey_client::{Body, Client, Credentials};
use latchkey_testkit::TestApp;
use serde_json::Value;

pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_latchkey"))
}

/// Creates a client with `latchkey admin client create`; returns `(clientId, clientSecret)`.
pub fn create_client(app: &TestApp, company: &str, role: &str, allow: &[&str]) -> (String, String) {
    let mut args = vec![
        "client",
        "create",
        "--company",
        company,
        "--role",
        role,
        "--name",
        "test client",
    ];
    for a in allow {
        args.push("--allow-ip");
        args.push(a);
    }
    let out = app.admin(binary(), &args).json();
    (
        out["clientId"].as_str().expect("clientId").to_owned(),
        out["clientSecret"]
            .as_str()
            .expect("clientSecret")
            .to_owned(),
    )
}

/// Creates a company with `latchkey admin company create`; returns its resource id.
pub fn create_company(app: &TestApp, name: &str, parent: Option<&str>, reseller: bool) -> String {
    let mut args = vec!["company", "create", "--name", name];
    if let Some(p) = parent {
        args.push("--parent");
        args.push(p);
    }
    if reseller {
        args.push("--reseller");
    }
    app.admin(binary(), &args).json()["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

/// Asserts the five-field envelope of a failure and returns the body.
pub async fn expect_envelope(response: reqwest::Response, http: u16, status: &str) -> Value {
    let code = response.status().as_u16();
    let body: Value = response.json().await.expect("envelope is JSON");
    assert_eq!(code, http, "unexpected HTTP status; body: {body}");
    assert_eq!(body["status"], status, "body: {body}");
    assert_eq!(body["isSuccess"], false, "body: {body}");
    assert!(body["message"].is_string(), "body: {body}");
    assert!(
        body.get("data").is_some() && body.get("validationMessages").is_some(),
        "body: {body}"
    );
    body
}

/// The API client the CLI uses, sending `token` as it is.
pub fn api_client(app: &TestApp, token: &str) -> Client {
    Client::builder(&app.base)
        .token(token)
        .http(app.http.clone())
        .build()
        .expect("API client")
}

/// The API client the CLI uses, getting its own tokens with these credentials.
pub fn api_client_for(app: &TestApp, client_id: &str, secret: &str) -> Client {
    Client::builder(&app.base)
        .credentials(Credentials::new(client_id, secret))
        .http(app.http.clone())
        .build()
        .expect("API client")
}

/// Sends `method path` with a bearer token, an optional company header and an optional JSON
/// body; the raw answer, for tests that look at status and headers.
pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    company: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    api_client(app, token)
        .send(
            method,
            path,
            company,
            &body.map(Body::Json).unwrap_or_default(),
        )
        .await
        .expect("request")
}

/// Asserts a successful envelope and returns `data`.
pub async fn expect_data(response: reqwest::Response) -> Value {
    latchkey_client::envelope(response)
        .await
        .unwrap_or_else(|e| panic!("expected a successful envelope: {e}"))
}

/// Generates credentials and creates a client through the API; returns
/// `(resourceId, clientId, clientSecret)`.
pub async fn api_create_client(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    name: &str,
    roles: &[&str],
    allow: Option<&[&str]>,
) -> (String, String, String) {
    let creds = expect_data(
        call(
            app,
            reqwest::Method::GET,
            "/api/companies/clients/generate-client-credentials",
            token,
            company,
            None,
        )
        .await,
    )
    .await;
    let (id, secret) = (
        creds["clientId"].as_str().expect("id").to_owned(),
        creds["clientSecret"].as_str().expect("secret").to_owned(),
    );
    let body = serde_json::json!({
        "name": name, "clientId": id, "clientSecret": secret, "statusId": 1,
        "hasIpAddressRestriction": allow.is_some(),
        "allowedIpAddresses": allow.unwrap_or(&[]),
        "roleResourceIdList": roles,
    });
    let data = expect_data(
        call(
            app,
            reqwest::Method::POST,
            "/api/companies/clients",
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await;
    (
        data["resourceId"].as_str().expect("resourceId").to_owned(),
        id,
        secret,
    )
}

/// Creates a company group of the caller's company through the API; returns its resource id.
pub async fn create_group(app: &TestApp, token: &str, name: &str, members: &[&str]) -> String {
    expect_data(
        call(
            app,
            reqwest::Method::POST,
            "/api/company-groups",
            token,
            None,
            Some(serde_json::json!({"name": name, "companyResourceIdArray": members})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("group id")
        .to_owned()
}
