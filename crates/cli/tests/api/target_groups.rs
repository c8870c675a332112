//! `/api/target-groups`: groups, their searches, their members and counts, and isolation.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

/// Creates a target group in `company` (the caller's own when `None`); returns its id.
pub async fn new_group(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    name: &str,
    priority: &str,
) -> String {
    let data = expect_data(
        call(
            app,
            Method::POST,
            "/api/target-groups",
            token,
            company,
            Some(json!({"name": name, "priority": priority})),
        )
        .await,
    )
    .await;
    data["resourceId"].as_str().expect("id").to_owned()
}

async fn get_group(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    call(
        app,
        Method::GET,
        &format!("/api/target-groups/{id}"),
        token,
        None,
        None,
    )
    .await
}

fn column(page: &Value, key: &str) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r[key].as_str().expect("text").to_owned())
        .collect()
}

async fn search(app: &TestApp, token: &str, path: &str, company: Option<&str>, body: Value) -> Value {
    expect_data(call(app, Method::POST, path, token, company, Some(body)).await).await
}

#[tokio::test]
async fn groups_are_created_read_updated_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    // Priority by name, any case; keys in PascalCase bind too.
    let id = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups",
            &token,
            None,
            Some(json!({"Name": "  Finance  ", "Priority": "veryhigh"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let dto = expect_data(get_group(&app, &token, &id).await).await;
    assert_eq!(dto["resourceId"], id.as_str());
    assert_eq!(dto["name"], "Finance", "trimmed");
    assert_eq!(dto["priority"], "VeryHigh");
    assert_eq!(
        (&dto["isEditable"], &dto["isScimGroup"], &dto["isGoogleGroup"]),
        (&json!(true), &json!(false), &json!(false))
    );
    assert!(dto["createDate"].as_str().expect("date").ends_with('Z'));

    let other = new_group(&app, &token, None, "Sales", "Low").await;
    let list =
        expect_data(call(&app, Method::GET, "/api/target-groups", &token, None, None).await).await;
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|g| g["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Sales", "Finance"], "newest first");

    let updated = expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-groups/{id}"),
            &token,
            None,
            Some(json!({"name": "Finance EMEA", "priority": "Low", "isActive": false})),
        )
        .await,
    )
    .await;
    assert_eq!(updated["resourceId"], id.as_str());
    let dto = expect_data(get_group(&app, &token, &id).await).await;
    assert_eq!((&dto["name"], &dto["priority"]), (&json!("Finance EMEA"), &json!("Low")));
    let inactive = search(
        &app,
        &token,
        "/api/target-groups/search",
        None,
        json!({"filter": {"filterGroups": [{"filterItems": [
            {"fieldName": "IsActive", "operator": "=", "value": "false"}]}]}}),
    )
    .await;
    assert_eq!(column(&inactive, "name"), ["Finance EMEA"]);

    let deleted = expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/target-groups/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(deleted["resourceId"], id.as_str());
    expect_envelope(get_group(&app, &token, &id).await, 404, "NOT_FOUND").await;
    let list =
        expect_data(call(&app, Method::GET, "/api/target-groups", &token, None, None).await).await;
    assert_eq!(list.as_array().expect("list").len(), 1);
    assert_eq!(list[0]["resourceId"], other.as_str());
}

#[tokio::test]
async fn names_are_unique_in_a_company_ignoring_case() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let customer = create_company(&app, "Acme", Some(&app.initial.company_resource_id), false);
    let id = new_group(&app, &token, None, "Engineering", "Medium").await;
    let r = call(
        &app,
        Method::POST,
        "/api/target-groups",
        &token,
        None,
        Some(json!({"name": "ENGINEERING", "priority": "High"})),
    )
    .await;
    let body = expect_envelope(r, 409, "CONFLICT").await;
    assert!(
        body["message"].as_str().expect("message").contains("name"),
        "{body}"
    );
    // Another company may use the name.
    new_group(&app, &token, Some(&customer), "engineering", "High").await;
    // A rename onto another group's name conflicts; a change of case of its own does not.
    let second = new_group(&app, &token, None, "Ops", "Medium").await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/target-groups/{second}"),
        &token,
        None,
        Some(json!({"name": "engineering", "priority": "Medium"})),
    )
    .await;
    expect_envelope(r, 409, "CONFLICT").await;
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-groups/{id}"),
            &token,
            None,
            Some(json!({"name": "ENGINEERING", "priority": "Medium"})),
        )
        .await,
    )
    .await;
    let list =
        expect_data(call(&app, Method::GET, "/api/target-groups", &token, None, None).await).await;
    assert_eq!(list.as_array().expect("list").len(), 2, "{list}");
    assert_eq!(
        expect_data(get_group(&app, &token, &second).await).await["name"],
        "Ops"
    );
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let long = "x".repeat(65);
    for (body, says) in [
        (json!({"priority": "Low"}), vec!["name"]),
        (json!({"name": "   ", "priority": "Low"}), vec!["name"]),
        (json!({"name": long, "priority": "Low"}), vec!["name"]),
        (json!({"name": "Ok"}), vec!["priority"]),
        (json!({"name": "Ok", "priority": "Urgent"}), vec!["priority"]),
        (json!({"priority": 3}), vec!["priority"]),
        (json!({}), vec!["name", "priority"]),
    ] {
        let r = call(
            &app,
            Method::POST,
            "/api/target-groups",
            &token,
            None,
            Some(body.clone()),
        )
        .await;
        let answer = expect_envelope(r, 400, "INPUT_ERROR").await;
        let messages = answer["validationMessages"].to_string().to_lowercase();
        for field in says {
            assert!(messages.contains(field), "{body} → {answer}");
        }
    }
    let id = new_group(&app, &token, None, "Kept", "Low").await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/target-groups/{id}"),
        &token,
        None,
        Some(json!({"name": "Changed", "priority": "Sometimes"})),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
    let list =
        expect_data(call(&app, Method::GET, "/api/target-groups", &token, None, None).await).await;
    assert_eq!(list.as_array().expect("list").len(), 1, "{list}");
    assert_eq!(list[0]["name"], "Kept");
    // A search with an unknown field names the allowed ones.
    let r = call(
        &app,
        Method::POST,
        "/api/target-groups/search",
        &token,
        None,
        Some(json!({"orderBy": "Secret"})),
    )
    .await;
    let answer = expect_envelope(r, 400, "INPUT_ERROR").await;
    assert!(answer["validationMessages"].to_string().contains("UserCount"), "{answer}");
    // There are no scenarios to count against.
    let r = call(
        &app,
        Method::POST,
        "/api/target-groups/targetgroupusercountdetailext",
        &token,
        None,
        Some(json!({"targetGroupResourceIds": [id], "scenarioResourceIds": ["Scenario0001"]})),
    )
    .await;
    expect_envelope(r, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn searches_filter_sort_page_and_export() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for (name, priority) in [
        ("Alpha team", "Low"),
        ("Beta team", "High"),
        ("Gamma", "VeryHigh"),
        ("=HYPERLINK(\"x\")", "Medium"),
    ] {
        new_group(&app, &token, None, name, priority).await;
    }
    let page = search(
        &app,
        &token,
        "/api/target-groups/search",
        None,
        json!({"pageNumber": 1, "pageSize": 2, "orderBy": "Name", "ascending": true,
               "filter": {"Condition": "AND", "SearchInputTextValue": "TEAM"}}),
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 2);
    assert_eq!(column(&page, "name"), ["Alpha team", "Beta team"]);
    let row = &page["results"][0];
    assert_eq!(row["companyName"], "Default Reseller");
    assert_eq!((&row["userCount"], &row["userCountWithPhoneNumber"]), (&json!(0), &json!(0)));
    assert_eq!((&row["isSelected"], &row["isEditable"]), (&json!(false), &json!(true)));
    assert_eq!(row["priority"], "Low");

    // Priority sorts by rank, not by name.
    let by_priority = search(
        &app,
        &token,
        "/api/target-groups/search",
        None,
        json!({"orderBy": "Priority", "ascending": false}),
    )
    .await;
    assert_eq!(
        column(&by_priority, "priority"),
        ["VeryHigh", "High", "Medium", "Low"]
    );
    // The platform keeps no groups of its own here.
    let system = search(
        &app,
        &token,
        "/api/target-groups/search",
        None,
        json!({"systemGeneratedGroups": true}),
    )
    .await;
    assert_eq!(system["totalNumberOfRecords"], 0);

    let named = search(
        &app,
        &token,
        "/api/target-groups/search-name",
        None,
        json!({"groupName": "gAmMa", "pageNumber": 1, "pageSize": 10}),
    )
    .await;
    assert_eq!(column(&named, "name"), ["Gamma"]);
    assert_eq!(named["results"][0]["priority"], "VeryHigh");
    let current = search(
        &app,
        &token,
        "/api/target-groups/search/current-company",
        None,
        json!({"pageNumber": 1, "pageSize": 20, "orderBy": "Name", "ascending": true,
               "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
    )
    .await;
    assert_eq!(current["totalNumberOfRecords"], 4);
    assert_eq!(current["results"][0]["name"], "=HYPERLINK(\"x\")");
    assert_eq!(current["results"][0]["userCount"], 0);

    let csv = call(
        &app,
        Method::POST,
        "/api/target-groups/search/export",
        &token,
        None,
        Some(json!({"exportType": "Csv", "orderBy": "Name", "ascending": true, "reportAllPages": true})),
    )
    .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("Group Name,Group ID,Priority,Users"), "{text}");
    assert!(lines[1].starts_with("\"'=HYPERLINK(\"\"x\"\")\""), "formula neutralized: {text}");
    let xlsx = call(
        &app,
        Method::POST,
        "/api/target-groups/search/export",
        &token,
        None,
        Some(json!({"exportType": "Excel"})),
    )
    .await;
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.expect("xlsx");
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip");
}

/// `list-and-create-target-groups-for-customer`, and `search/all` over a reseller's reach.
#[tokio::test]
async fn a_reseller_lists_and_creates_groups_for_its_customers() {
    let app = TestApp::spawn().await;
    let reseller = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let acme = create_company(&app, "Acme", Some(&mine), false);
    let bolt = create_company(&app, "Bolt", Some(&mine), false);

    // The documented flow, scoped by the header.
    let listed = expect_data(
        call(&app, Method::GET, "/api/target-groups", &reseller, Some(&acme), None).await,
    )
    .await;
    assert_eq!(listed, json!([]));
    let created = new_group(&app, &reseller, Some(&acme), "Acme Staff", "Medium").await;
    let page = search(
        &app,
        &reseller,
        "/api/target-groups/search",
        Some(&acme),
        json!({"pageNumber": 1, "pageSize": 20, "orderBy": "CreateTime", "ascending": false,
               "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
    )
    .await;
    assert_eq!(column(&page, "resourceId"), [created.clone()]);
    assert_eq!(page["results"][0]["companyName"], "Acme");
    let listed = expect_data(
        call(&app, Method::GET, "/api/target-groups", &reseller, Some(&acme), None).await,
    )
    .await;
    assert_eq!(listed[0]["resourceId"], created.as_str());
    // Not the reseller's own group, nor Bolt's.
    let own =
        expect_data(call(&app, Method::GET, "/api/target-groups", &reseller, None, None).await)
            .await;
    assert_eq!(own, json!([]));

    new_group(&app, &reseller, Some(&bolt), "Bolt Staff", "Low").await;
    new_group(&app, &reseller, None, "MSSP Staff", "High").await;
    let all = search(
        &app,
        &reseller,
        "/api/target-groups/search/all",
        None,
        json!({"orderBy": "Name", "ascending": true}),
    )
    .await;
    assert_eq!(all["totalNumberOfRecords"], 3);
    assert_eq!(column(&all, "companyName"), ["Acme", "Bolt", "Default Reseller"]);
    assert_eq!(all["results"][0]["isCreatedBySystem"], false);
    let by_company = search(
        &app,
        &reseller,
        "/api/target-groups/search/all",
        None,
        json!({"filter": {"filterGroups": [{"filterItems": [
            {"fieldName": "CompanyName", "operator": "=", "value": "bolt"}]}]}}),
    )
    .await;
    assert_eq!(column(&by_company, "name"), ["Bolt Staff"]);
    // Named, the reach starts at the customer.
    let acme_only = search(
        &app,
        &reseller,
        "/api/target-groups/search/all",
        Some(&acme),
        json!({}),
    )
    .await;
    assert_eq!(column(&acme_only, "name"), ["Acme Staff"]);
    // A reseller reads a customer's group by id without naming the customer.
    let dto = expect_data(get_group(&app, &reseller, &created).await).await;
    assert_eq!(dto["name"], "Acme Staff");

    // A Company Admin of Acme sees Acme's groups only, by every search.
    let (id, secret) = create_client(&app, &acme, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&id, &secret).await;
    for path in ["/api/target-groups/search", "/api/target-groups/search/all"] {
        let page = search(&app, &admin, path, None, json!({})).await;
        assert_eq!(column(&page, "name"), ["Acme Staff"], "{path}");
    }
}
