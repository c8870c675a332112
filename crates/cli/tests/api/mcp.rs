//! `/mcp`: the route table's operations as MCP tools. The transport and its gate are checked
//! here with plain JSON-RPC over HTTP; a real client, the official Python SDK
//! (`tests/python/mcp_check.py`), lists and calls tools as a reseller and as a Company Admin.

use std::path::Path;

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{binary, call, create_client, create_company, expect_data};

/// One JSON-RPC request to `/mcp`, as a client without a session sends it.
async fn rpc(
    app: &TestApp,
    token: Option<&str>,
    host: Option<&str>,
    method: &str,
    params: Value,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(host) = host {
        request = request.header("host", host);
    }
    request.send().await.expect("request")
}

/// A `tools/call`, answered: its JSON-RPC `result`.
async fn call_tool(app: &TestApp, token: &str, name: &str, arguments: Value) -> Value {
    let response = rpc(
        app,
        Some(token),
        None,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON-RPC answer");
    body["result"].clone()
}

#[tokio::test]
async fn mcp_answers_401_without_a_valid_token() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (client_id, secret) =
        create_client(&app, &app.initial.company_resource_id, "Company Admin", &[]);
    app.await_client_view().await;
    let deactivated = app.token_for(&client_id, &secret).await;
    app.admin(binary(), &["client", "deactivate", &client_id]);
    app.await_client_view().await;

    for token in [None, Some("not-a-token"), Some(deactivated.as_str())] {
        let response = rpc(&app, token, None, "tools/list", json!({})).await;
        assert_eq!(response.status(), 401, "token {token:?}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .is_ok_and(|c| c.starts_with("Bearer")),
            "{:?}",
            response.headers()
        );
        let body: Value = response.json().await.expect("envelope");
        assert_eq!(body["status"], "UNAUTHORIZED", "{body}");
    }
    let response = rpc(&app, Some(&token), None, "tools/list", json!({})).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn mcp_answers_only_hosts_of_public_url_and_loopback() {
    let app = TestApp::spawn_with(|c| c.public_url = "https://keys.example.com".into()).await;
    let token = app.reseller_token().await;
    for (host, status) in [
        ("keys.example.com", 200),
        ("keys.example.com:443", 200),
        ("localhost", 200),
        ("rebinding.example.net", 403),
    ] {
        let response = rpc(&app, Some(&token), Some(host), "tools/list", json!({})).await;
        assert_eq!(response.status(), status, "Host: {host}");
    }
}

#[tokio::test]
async fn a_tool_answers_what_its_operation_answers() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let body = json!({"pageNumber": 1, "pageSize": 10, "orderBy": "Name"});

    let rest = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            None,
            Some(body.clone()),
        )
        .await,
    )
    .await;
    let tool = call_tool(&app, &token, "post_companies_search", json!({"body": body})).await;
    assert_eq!(tool["isError"], false, "{tool}");
    assert_eq!(tool["structuredContent"], rest);
    assert_eq!(rest["results"][0]["resourceId"], customer.as_str());

    let rest = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{customer}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let tool = call_tool(
        &app,
        &token,
        "get_companies_resourceId",
        json!({"resourceId": customer}),
    )
    .await;
    assert_eq!(tool["structuredContent"], rest);

    // A path argument is one segment: it cannot reach another operation.
    let tool = call_tool(
        &app,
        &token,
        "get_companies_resourceId",
        json!({"resourceId": "../companies/my"}),
    )
    .await;
    assert_eq!(tool["isError"], true, "{tool}");
    assert_eq!(tool["structuredContent"]["status"], "NOT_FOUND", "{tool}");
}

#[tokio::test]
async fn a_tool_call_counts_once_against_the_rate_limit() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_api_per_second = 1;
        c.rate_limit_api_burst = 2;
    })
    .await;
    let token = app.reseller_token().await;
    // Two calls fit a burst of two: the operation a call runs is not counted again.
    for _ in 0..2 {
        let tool = call_tool(&app, &token, "get_companies_my", json!({})).await;
        assert_eq!(tool["isError"], false, "{tool}");
    }
    // The MCP requests themselves are counted: the budget runs out (one a second refills it).
    let mut refused = false;
    for _ in 0..5 {
        let response = rpc(&app, Some(&token), None, "tools/list", json!({})).await;
        if response.status() == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the rate limit never applied");
}

/// Runs `tests/python/mcp_check.py SCENARIO` with `env`; returns its standard output.
async fn python_mcp_check(app: &TestApp, scenario: &str, env: &[(&str, &str)]) -> String {
    // scripts/test provides a virtualenv with the pinned requirements; without it the check
    // cannot run, and that is a failure, not a skip.
    let python = std::env::var("LATCHKEY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/mcp_check.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(scenario)
        .env("BASE_URL", &app.base)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "the Python MCP client check ({scenario}) failed (run via scripts/test for its \
         virtualenv):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_python_sdk_lists_and_calls_tools_as_a_reseller() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let outside = create_company(&app, "Another MSSP", None, true);

    let out = python_mcp_check(
        &app,
        "reseller",
        &[
            ("RESELLER_TOKEN", &token),
            ("CUSTOMER_ID", &customer),
            ("OUTSIDE_ID", &outside),
        ],
    )
    .await;
    let report: Value = serde_json::from_str(out.trim()).expect("the check's report");

    // The user the tool created is the customer's, as the REST API sees it.
    let created = report["created"].as_str().expect("created");
    let user = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/target-users/{created}"),
            &token,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(user["email"], "ada@customer.example");
    // And the refused call to the other reseller wrote nothing there.
    let (other_id, other_secret) = create_client(&app, &outside, "Reseller", &[]);
    app.await_client_view().await;
    let other = app.token_for(&other_id, &other_secret).await;
    let users = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/search",
            &other,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(users["totalNumberOfRecords"], 0, "{users}");
}

#[tokio::test]
async fn the_python_sdk_sees_a_company_admins_narrower_tools() {
    let app = TestApp::spawn().await;
    let reseller = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let (client_id, secret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&client_id, &secret).await;

    python_mcp_check(
        &app,
        "company-admin",
        &[
            ("ADMIN_TOKEN", &admin),
            ("RESELLER_TOKEN", &reseller),
            ("CUSTOMER_ID", &customer),
            ("RESELLER_ID", &mine),
        ],
    )
    .await;
    let users = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/search",
            &reseller,
            Some(&customer),
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(users["results"][0]["email"], "grace@customer.example");
}
