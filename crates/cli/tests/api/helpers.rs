use std::path::Path;

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
