//! `GET /api/companies/my` and naming a company by header or query.

use latchkey_testkit::TestApp;
use serde_json::Value;

use crate::helpers::{create_client, create_company, expect_envelope};

async fn my(
    app: &TestApp,
    token: &str,
    header: Option<(&str, &str)>,
    query: &str,
) -> reqwest::Response {
    let mut req = app
        .http
        .get(app.url(&format!("/api/companies/my{query}")))
        .bearer_auth(token);
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    req.send().await.expect("request")
}

fn names(node: &Value) -> Vec<String> {
    let mut out = vec![node["name"].as_str().expect("name").to_owned()];
    for child in node["children"].as_array().expect("children") {
        out.extend(names(child));
    }
    out
}

#[tokio::test]
async fn a_reseller_sees_its_managed_companies_nested() {
    let app = TestApp::spawn().await;
    let reseller = app.initial.company_resource_id.clone();
    let acme = create_company(&app, "Acme", Some(&reseller), false);
    let sub = create_company(&app, "Sub Reseller", Some(&reseller), true);
    create_company(&app, "Sub Customer", Some(&sub), false);
    create_company(&app, "Elsewhere", None, false);
    let token = app.reseller_token().await;
    let body: Value = my(&app, &token, None, "").await.json().await.expect("json");
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 1, "{body}");
    assert_eq!(data[0]["resourceId"], reseller);
    let children = data[0]["children"].as_array().expect("children");
    assert_eq!(children.len(), 2, "{body}");
    assert_eq!(
        names(&data[0]),
        vec!["Default Reseller", "Acme", "Sub Reseller", "Sub Customer"]
    );
    assert!(
        !names(&data[0]).contains(&"Elsewhere".to_owned()),
        "another reseller's company leaked"
    );
    let _ = acme;
}

#[tokio::test]
async fn a_company_admin_sees_only_its_company() {
    let app = TestApp::spawn().await;
    let acme = create_company(&app, "Acme", Some(&app.initial.company_resource_id), false);
    create_company(&app, "Acme Child", Some(&acme), false);
    let (id, secret) = create_client(&app, &acme, "Company Admin", &[]);
    app.await_client_view().await;
    let token = app.token_for(&id, &secret).await;
    let body: Value = my(&app, &token, None, "").await.json().await.expect("json");
    assert_eq!(names(&body["data"][0]), vec!["Acme"], "{body}");
    assert_eq!(body["data"].as_array().expect("data").len(), 1);
}

#[tokio::test]
async fn a_reseller_scopes_to_a_customer_by_header_or_query() {
    let app = TestApp::spawn().await;
    let acme = create_company(&app, "Acme", Some(&app.initial.company_resource_id), false);
    let token = app.reseller_token().await;
    for (header, query) in [
        (Some(("X-KEEPNET-Company-Id", acme.as_str())), String::new()),
        (Some(("x-ir-company-id", acme.as_str())), String::new()),
        (None, format!("?companyId={acme}")),
    ] {
        let body: Value = my(&app, &token, header, &query)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            body["data"][0]["resourceId"],
            acme.as_str(),
            "{header:?} {query}: {body}"
        );
        assert_eq!(body["data"].as_array().expect("data").len(), 1);
    }
}

#[tokio::test]
async fn unmanaged_companies_are_forbidden_and_unknown_ones_not_found() {
    let app = TestApp::spawn().await;
    let other_reseller = create_company(&app, "Other MSSP", None, true);
    let theirs = create_company(&app, "Their customer", Some(&other_reseller), false);
    let token = app.reseller_token().await;
    for id in [&other_reseller, &theirs] {
        let r = my(&app, &token, Some(("X-KEEPNET-Company-Id", id)), "").await;
        expect_envelope(r, 403, "FORBIDDEN").await;
        let r = my(&app, &token, None, &format!("?companyId={id}")).await;
        expect_envelope(r, 403, "FORBIDDEN").await;
    }
    let r = my(
        &app,
        &token,
        Some(("X-KEEPNET-Company-Id", "ZZZZZZZZZZZZ")),
        "",
    )
    .await;
    expect_envelope(r, 404, "NOT_FOUND").await;
    let r = my(&app, &token, Some(("X-KEEPNET-Company-Id", "bad id!")), "").await;
    expect_envelope(r, 400, "INPUT_ERROR").await;

    // A company admin cannot reach even its own parent reseller.
    let acme = create_company(&app, "Acme", Some(&app.initial.company_resource_id), false);
    let (id, secret) = create_client(&app, &acme, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&id, &secret).await;
    let r = my(
        &app,
        &admin,
        Some(("X-KEEPNET-Company-Id", &app.initial.company_resource_id)),
        "",
    )
    .await;
    expect_envelope(r, 403, "FORBIDDEN").await;
}
