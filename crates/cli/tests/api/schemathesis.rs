//! Schemathesis, an independent schema-driven fuzzer, against our own `/openapi.json`: every
//! operation gets generated requests (valid and invalid), and no answer may be a server error
//! or break the response schema the document declares for it. The Python side is
//! `tests/python/schemathesis_check.py` (pinned in `requirements.txt`); see there for what it
//! runs and the one thing it protects (the client whose token it sends).

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{binary, call, create_client, create_company, expect_data};

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();

    // Resources for the operations that need an existing id to get past their 404.
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let reseller = create_company(&app, "Sub-reseller", Some(&mine), true);
    let mut known = vec![customer.clone(), reseller];
    known.push(crate::helpers::create_group(&app, &token, "Group", &[&customer]).await);
    let role = expect_data(
        call(
            &app,
            Method::POST,
            "/api/roles",
            &token,
            None,
            Some(json!({"name": "Custom", "description": "d", "permissionResourceIdList": []})),
        )
        .await,
    )
    .await;
    known.push(role["resourceId"].as_str().expect("role").to_owned());
    known.push("RoleCompAdmn".into());
    app.admin(
        binary(),
        &[
            "user",
            "create",
            "--company",
            &mine,
            "--email",
            "jane@example.com",
            "--first-name",
            "Jane",
            "--last-name",
            "Doe",
        ],
    )
    .json();
    let users = expect_data(
        call(
            &app,
            Method::POST,
            "/api/system-users/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    known.extend(
        users["results"]
            .as_array()
            .expect("users")
            .iter()
            .filter_map(|u| u["resourceId"].as_str().map(str::to_owned)),
    );
    create_client(&app, &mine, "Company Admin", &[]);
    app.await_client_view().await;
    let clients = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/clients/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    known.extend(
        clients["results"]
            .as_array()
            .expect("clients")
            .iter()
            .filter(|c| c["clientId"] != app.initial.client_id.as_str())
            .filter_map(|c| c["resourceId"].as_str().map(str::to_owned)),
    );

    // scripts/test provides the virtualenv with the pinned schemathesis; without it the check
    // cannot run, and that is a failure, not a skip.
    let python = std::env::var("LATCHKEY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = latchkey_testkit::python_check_script().with_file_name("schemathesis_check.py");
    let run = tokio::process::Command::new(&python)
        .arg(script)
        .env("BASE_URL", &app.base)
        .env("CLIENT_ID", &app.initial.client_id)
        .env("CLIENT_SECRET", &app.initial.client_secret)
        .env("KNOWN_IDS", known.join(","))
        .kill_on_drop(true)
        .output();
    // Generous: the run takes well under a minute here, on a loaded 2-core machine more.
    let out = tokio::time::timeout(std::time::Duration::from_secs(600), run)
        .await
        .expect("schemathesis finished within 10 minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("schemathesis: "))
        .unwrap_or("schemathesis: no summary");
    println!("{summary}");
    assert!(
        out.status.success(),
        "schemathesis found problems (run via scripts/test for its virtualenv):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The run kept its own access to the end (its hooks protect the client whose token it
    // sends): a run that lost it would have met nothing but 401s.
    expect_data(app.companies_my(&token).await).await;
    // The run reached every operation of the document.
    let document: serde_json::Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let operations: usize = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| item.as_object().map_or(0, |m| m.len()))
        .sum();
    assert!(
        summary.starts_with(&format!("schemathesis: {operations} operations,")),
        "{summary}, of {operations} operations in the document"
    );
}
