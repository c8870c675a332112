//! Tenant isolation across the endpoints not covered by their own modules' isolation tests:
//! exports, nested searches, participant removal and SCIM integrations. Another reseller's
//! group G, company B and B's SCIM integration are attacked by path, header and query; all
//! answers are 403 or 404, and nothing changes.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

#[tokio::test]
async fn every_remaining_tenant_endpoint_refuses_another_tenant() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Company A", Some(&mine), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    let (aid, asecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let owner = app.token_for(&oid, &osecret).await;
    let reseller = app.reseller_token().await;
    let admin = app.token_for(&aid, &asecret).await;
    let group = expect_data(
        call(
            &app,
            Method::POST,
            "/api/company-groups",
            &owner,
            None,
            Some(json!({"name": "Theirs", "companyResourceIdArray": [b]})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();

    let integration = expect_data(
        call(
            &app,
            Method::POST,
            "/api/scim",
            &owner,
            Some(&b),
            Some(json!({"name": "Their SCIM"})),
        )
        .await,
    )
    .await["token"]
        .as_str()
        .and_then(|t| t.split('.').next())
        .expect("integration id")
        .to_owned();

    let header_b = Some(b.as_str());
    let header_other = Some(other_mssp.as_str());
    let forbidden: Vec<(Method, String, Option<&str>, serde_json::Value)> = vec![
        (
            Method::POST,
            "/api/companies/search/export".into(),
            header_b,
            json!({"exportType": "Csv"}),
        ),
        (
            Method::POST,
            "/api/companies/search/export".into(),
            header_other,
            json!({"exportType": "Excel"}),
        ),
        (
            Method::POST,
            "/api/company-groups/search-with-parent".into(),
            header_other,
            json!({}),
        ),
        (
            Method::POST,
            "/api/company-groups/search/export".into(),
            header_other,
            json!({}),
        ),
        (
            Method::GET,
            "/api/company-groups".into(),
            header_other,
            json!(null),
        ),
        (
            Method::GET,
            "/api/roleswithavailable".into(),
            header_b,
            json!(null),
        ),
        (
            Method::POST,
            "/api/roles/search".into(),
            header_b,
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/company-groups/{group}/companies/search"),
            header_other,
            json!({}),
        ),
        (
            Method::GET,
            "/api/companies/my".into(),
            header_b,
            json!(null),
        ),
        (
            Method::POST,
            "/api/available-for/search".into(),
            header_other,
            json!({"name": "Company"}),
        ),
        (Method::POST, "/api/audit-logs".into(), header_b, json!({})),
        (
            Method::POST,
            "/api/audit-logs".into(),
            header_other,
            json!({}),
        ),
        (
            Method::POST,
            "/api/audit-logs/search".into(),
            header_b,
            json!({}),
        ),
        (
            Method::POST,
            "/api/audit-logs/search".into(),
            header_other,
            json!({}),
        ),
        (
            Method::POST,
            "/api/audit-logs/search/export".into(),
            header_b,
            json!({"exportType": "Csv"}),
        ),
        (
            Method::POST,
            "/api/audit-logs/search/export".into(),
            header_other,
            json!({"exportType": "Excel"}),
        ),
        (
            Method::POST,
            "/api/scim".into(),
            header_b,
            json!({"name": "Mine"}),
        ),
        (Method::POST, "/api/scim/search".into(), header_b, json!({})),
        (
            Method::GET,
            "/api/scim/fields".into(),
            header_b,
            json!(null),
        ),
        (
            Method::GET,
            format!("/api/scim/{integration}"),
            header_b,
            json!(null),
        ),
        (
            Method::POST,
            format!("/api/scim/{integration}/revoke"),
            header_b,
            json!(null),
        ),
    ];
    for (method, path, header, body) in &forbidden {
        let body = (!body.is_null()).then(|| body.clone());
        let r = call(&app, method.clone(), path, &reseller, *header, body).await;
        expect_envelope(r, 403, "FORBIDDEN").await;
    }
    let not_found: Vec<(Method, String, serde_json::Value)> = vec![
        (
            Method::POST,
            format!("/api/company-groups/{group}/companies/search"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/company-groups/{group}/companies/search/export"),
            json!({"exportType": "Csv"}),
        ),
        (
            Method::DELETE,
            format!("/api/company-groups/{group}/participants"),
            json!([b]),
        ),
        (
            Method::PUT,
            format!("/api/company-groups/{group}/participants"),
            json!([a]),
        ),
        (Method::GET, format!("/api/scim/{integration}"), json!(null)),
        (
            Method::PUT,
            format!("/api/scim/{integration}"),
            json!({"name": "Taken"}),
        ),
        (
            Method::DELETE,
            format!("/api/scim/{integration}"),
            json!(null),
        ),
        (
            Method::POST,
            format!("/api/scim/{integration}/revoke"),
            json!(null),
        ),
    ];
    for (method, path, body) in &not_found {
        let body = (!body.is_null()).then(|| body.clone());
        let r = call(&app, method.clone(), path, &reseller, None, body).await;
        expect_envelope(r, 404, "NOT_FOUND").await;
    }
    // A company admin is refused reseller-only exports outright.
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/search/export",
            &admin,
            None,
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/company-groups/search/export",
            &admin,
            None,
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;

    // Our own exports and searches never contain their rows.
    let csv = call(
        &app,
        Method::POST,
        "/api/companies/search/export",
        &reseller,
        None,
        Some(json!({"exportType": "Csv", "reportAllPages": true})),
    )
    .await
    .text()
    .await
    .expect("csv");
    assert!(
        csv.contains("Company A") && !csv.contains("Company B") && !csv.contains("Other MSSP"),
        "{csv}"
    );
    let groups = expect_data(
        call(
            &app,
            Method::POST,
            "/api/company-groups/search-with-parent",
            &reseller,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(groups["totalNumberOfRecords"], 0, "{groups}");

    // Their group is untouched.
    let members = expect_data(
        call(
            &app,
            Method::POST,
            &format!("/api/company-groups/{group}/companies/search"),
            &owner,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(members["totalNumberOfRecords"], 1);
    assert_eq!(members["results"][0]["companyResourceId"], b.as_str());

    // Our audit log, searched and exported, never shows their group or their companies.
    let log = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &reseller,
            None,
            Some(json!({"pageSize": 1000})),
        )
        .await,
    )
    .await
    .to_string();
    let exported = call(
        &app,
        Method::POST,
        "/api/audit-logs/search/export",
        &reseller,
        None,
        Some(json!({"exportType": "Csv", "reportAllPages": true})),
    )
    .await
    .text()
    .await
    .expect("csv");
    for theirs in [group.as_str(), b.as_str(), "Theirs"] {
        assert!(
            !log.contains(theirs) && !exported.contains(theirs),
            "{theirs} leaked"
        );
    }

    // Their SCIM integration is untouched.
    let theirs = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/scim/{integration}"),
            &owner,
            Some(&b),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(theirs["name"], "Their SCIM");
}
