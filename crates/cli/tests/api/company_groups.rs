//! `/api/company-groups`.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    api_create_client, call, create_client, create_company, expect_data, expect_envelope,
};

async fn new_group(app: &TestApp, token: &str, name: &str, members: &[&str]) -> String {
    let data = expect_data(
        call(
            app,
            Method::POST,
            "/api/company-groups",
            token,
            None,
            Some(json!({"name": name, "companyResourceIdArray": members})),
        )
        .await,
    )
    .await;
    data["resourceId"].as_str().expect("id").to_owned()
}

fn names(page: &Value, key: &str) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r[key].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn groups_are_created_renamed_filled_emptied_and_deleted() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Acme", Some(&reseller), false);
    let b = create_company(&app, "Bolt", Some(&reseller), false);
    let c = create_company(&app, "Core", Some(&reseller), false);
    let group = new_group(&app, &token, "Demo Group", &[&a]).await;

    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/company-groups/{group}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (dto["name"].as_str(), dto["companyCount"].as_i64()),
        (Some("Demo Group"), Some(1))
    );

    // Participants: the contract's object body, then the guides' bare array.
    let path = format!("/api/company-groups/{group}/participants");
    expect_data(
        call(
            &app,
            Method::PUT,
            &path,
            &token,
            None,
            Some(json!({"companyResourceIdArray": [b]})),
        )
        .await,
    )
    .await;
    expect_data(call(&app, Method::PUT, &path, &token, None, Some(json!([c, a]))).await).await;
    let members = expect_data(
        call(
            &app,
            Method::POST,
            &format!("/api/company-groups/{group}/companies/search"),
            &token,
            None,
            Some(json!({"orderBy": "CompanyName", "ascending": true})),
        )
        .await,
    )
    .await;
    assert_eq!(names(&members, "companyName"), vec!["Acme", "Bolt", "Core"]);
    assert_eq!(members["results"][0]["companyStatusName"], "Active");
    expect_data(
        call(
            &app,
            Method::DELETE,
            &path,
            &token,
            None,
            Some(json!({"companyResourceIdArray": [b]})),
        )
        .await,
    )
    .await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/company-groups/{group}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["companyCount"], 2);

    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/company-groups/{group}"),
            &token,
            None,
            Some(json!({"name": "Renamed"})),
        )
        .await,
    )
    .await;
    let list =
        expect_data(call(&app, Method::GET, "/api/company-groups", &token, None, None).await).await;
    assert_eq!(list[0]["name"], "Renamed");

    let other = new_group(&app, &token, "Other", &[]).await;
    let page = expect_data(call(&app, Method::POST, "/api/company-groups/search", &token, None,
        Some(json!({"orderBy": "Name", "ascending": true, "filter": {"SearchInputTextValue": "re"}}))).await).await;
    assert_eq!(names(&page, "name"), vec!["Renamed"]);
    let csv = call(
        &app,
        Method::POST,
        "/api/company-groups/search/export",
        &token,
        None,
        Some(json!({"exportType": "CSV"})),
    )
    .await
    .text()
    .await
    .expect("csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");

    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/company-groups/{other}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    expect_data(
        call(
            &app,
            Method::DELETE,
            "/api/company-groups/bulk-delete",
            &token,
            None,
            Some(json!({"items": [], "selectAll": true, "excludedItems": [], "filter": null})),
        )
        .await,
    )
    .await;
    let list =
        expect_data(call(&app, Method::GET, "/api/company-groups", &token, None, None).await).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn members_must_be_managed_companies() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let stranger = create_company(&app, "Stranger", None, false);
    let r = call(
        &app,
        Method::POST,
        "/api/company-groups",
        &token,
        None,
        Some(json!({"name": "x", "companyResourceIdArray": [stranger]})),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
    let r = call(
        &app,
        Method::POST,
        "/api/company-groups",
        &token,
        None,
        Some(json!({"name": ""})),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
}

#[tokio::test]
async fn a_role_shared_with_a_group_reaches_its_members() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let member = create_company(
        &app,
        "Member",
        Some(&app.initial.company_resource_id),
        false,
    );
    let group = new_group(&app, &token, "Shared", &[]).await;
    let role = expect_data(
        call(
            &app,
            Method::POST,
            "/api/roles",
            &token,
            None,
            Some(json!({
        "name": "Group role", "description": "for the group", "permissionResourceIdList": [],
        "availableForRequests": [{"type": "CompanyGroup", "resourceId": group}]})),
        )
        .await,
    )
    .await;
    let role_id = role["resourceId"].as_str().expect("id").to_owned();
    let offered = |app: &TestApp| {
        let token = token.clone();
        let member = member.clone();
        let app_url = app.url("/api/roleswithavailable");
        let http = app.http.clone();
        async move {
            let body: Value = http
                .get(app_url)
                .bearer_auth(&token)
                .header("X-KEEPNET-Company-Id", &member)
                .send()
                .await
                .expect("r")
                .json()
                .await
                .expect("json");
            body["data"].to_string().contains("Group role")
        }
    };
    assert!(
        !offered(&app).await,
        "not offered before the company joins the group"
    );
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/company-groups/{group}/participants"),
            &token,
            None,
            Some(json!([member])),
        )
        .await,
    )
    .await;
    assert!(offered(&app).await);
    api_create_client(&app, &token, Some(&member), "via group", &[&role_id], None).await;
}

#[tokio::test]
async fn company_admins_and_other_resellers_cannot_touch_groups() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let a = create_company(
        &app,
        "Company A",
        Some(&app.initial.company_resource_id),
        false,
    );
    let group = new_group(&app, &token, "Mine", &[&a]).await;
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let (aid, asecret) = create_client(&app, &a, "Company Admin", &[]);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&aid, &asecret).await;
    let other = app.token_for(&oid, &osecret).await;
    let path = format!("/api/company-groups/{group}");
    // Reseller-only operations: a company admin is refused by permission.
    expect_envelope(
        call(&app, Method::GET, &path, &admin, None, None).await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_envelope(
        call(&app, Method::GET, "/api/company-groups", &admin, None, None).await,
        403,
        "FORBIDDEN",
    )
    .await;
    // Another reseller: not found by path, forbidden by header.
    expect_envelope(
        call(&app, Method::GET, &path, &other, None, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &path,
            &other,
            None,
            Some(json!({"name": "pwned"})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(&app, Method::DELETE, &path, &other, None, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("{path}/participants"),
            &other,
            None,
            Some(json!([other_mssp])),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    let reseller = app.initial.company_resource_id.clone();
    expect_envelope(
        call(&app, Method::GET, &path, &other, Some(&reseller), None).await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::DELETE,
            "/api/company-groups/bulk-delete",
            &other,
            None,
            Some(json!({"items": [group]})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/company-groups/search",
            &other,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 0);
    // The group is intact.
    let dto = expect_data(call(&app, Method::GET, &path, &token, None, None).await).await;
    assert_eq!(
        (dto["name"].as_str(), dto["companyCount"].as_i64()),
        (Some("Mine"), Some(1))
    );
}

#[tokio::test]
async fn companies_of_several_groups_are_listed_once_each() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let a = create_company(&app, "A", Some(&mine), false);
    let b = create_company(&app, "B", Some(&mine), false);
    let c = create_company(&app, "C", Some(&mine), false);
    create_company(&app, "Not grouped", Some(&mine), false);
    let g1 = new_group(&app, &token, "One", &[&a, &b]).await;
    let g2 = new_group(&app, &token, "Two", &[&b, &c]).await;
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let theirs = create_company(&app, "Theirs", Some(&other_mssp), false);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    let (cid, csecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let owner = app.token_for(&oid, &osecret).await;
    let their_group = new_group(&app, &owner, "Theirs", &[&theirs]).await;

    let ask = |token: String, groups: Value| {
        let app = &app;
        async move {
            call(
                app,
                Method::POST,
                "/api/companies/get-with-groups",
                &token,
                None,
                Some(json!({"companyGroupResourceIds": groups})),
            )
            .await
        }
    };
    let ids = expect_data(ask(token.clone(), json!([g1, g2])).await).await;
    assert_eq!(ids, json!([a, b, c]), "B is in both groups and listed once");
    assert_eq!(
        expect_data(ask(token.clone(), json!([])).await).await,
        json!([])
    );
    expect_envelope(
        ask(token.clone(), json!([g1, their_group])).await,
        404,
        "NOT_FOUND",
    )
    .await;
    let admin = app.token_for(&cid, &csecret).await;
    expect_envelope(ask(admin, json!([g1])).await, 403, "FORBIDDEN").await;
}
