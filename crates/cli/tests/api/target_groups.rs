//! `/api/target-groups`: groups, their searches, their members and counts, and isolation.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};
use crate::target_users::{create_user, emails, get_user};

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

async fn search(
    app: &TestApp,
    token: &str,
    path: &str,
    company: Option<&str>,
    body: Value,
) -> Value {
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
        (
            &dto["isEditable"],
            &dto["isScimGroup"],
            &dto["isGoogleGroup"]
        ),
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
    assert_eq!(
        (&dto["name"], &dto["priority"]),
        (&json!("Finance EMEA"), &json!("Low"))
    );
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
        (
            json!({"name": "Ok", "priority": "Urgent"}),
            vec!["priority"],
        ),
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
    assert!(
        answer["validationMessages"]
            .to_string()
            .contains("UserCount"),
        "{answer}"
    );
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
    assert_eq!(
        (&row["userCount"], &row["userCountWithPhoneNumber"]),
        (&json!(0), &json!(0))
    );
    assert_eq!(
        (&row["isSelected"], &row["isEditable"]),
        (&json!(false), &json!(true))
    );
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
    assert!(
        lines[0].starts_with("Group Name,Group ID,Priority,Users"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("\"'=HYPERLINK(\"\"x\"\")\""),
        "formula neutralized: {text}"
    );
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
        call(
            &app,
            Method::GET,
            "/api/target-groups",
            &reseller,
            Some(&acme),
            None,
        )
        .await,
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
    assert_eq!(column(&page, "resourceId"), [created.as_str()]);
    assert_eq!(page["results"][0]["companyName"], "Acme");
    let listed = expect_data(
        call(
            &app,
            Method::GET,
            "/api/target-groups",
            &reseller,
            Some(&acme),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(listed[0]["resourceId"], created.as_str());
    // Not the reseller's own group, nor Bolt's.
    let own = expect_data(
        call(
            &app,
            Method::GET,
            "/api/target-groups",
            &reseller,
            None,
            None,
        )
        .await,
    )
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
    assert_eq!(
        column(&all, "companyName"),
        ["Acme", "Bolt", "Default Reseller"]
    );
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
    // By id, a group is read in its company, named as for every other operation.
    expect_envelope(get_group(&app, &reseller, &created).await, 404, "NOT_FOUND").await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/target-groups/{created}"),
            &reseller,
            Some(&acme),
            None,
        )
        .await,
    )
    .await;
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

/// `PUT /api/target-groups/users` in `company`.
async fn add_users(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    body: Value,
) -> reqwest::Response {
    call(
        app,
        Method::PUT,
        "/api/target-groups/users",
        token,
        company,
        Some(body),
    )
    .await
}

/// The emails of a group's members (or, `outside`, of the company's other users), by email.
async fn member_emails(app: &TestApp, token: &str, group: &str, body: Value) -> Vec<String> {
    let page = search(
        app,
        token,
        &format!("/api/target-groups/{group}/users"),
        None,
        body,
    )
    .await;
    emails(&page)
}

fn by_email(extra: Value) -> Value {
    let mut body = json!({"orderBy": "Email", "ascending": true, "pageSize": 100});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

fn email_contains(text: &str) -> Value {
    json!({"filterGroups": [{"filterItems": [
        {"fieldName": "Email", "operator": "Contains", "value": text}]}]})
}

#[tokio::test]
async fn users_join_by_ids_and_by_select_all_leave_and_outlive_their_groups() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mut ids = std::collections::HashMap::new();
    for (email, extra) in [
        ("a@x.com", json!({"phoneNumber": "+15551234567"})),
        ("b@x.com", json!({})),
        ("c@y.org", json!({"isActive": false})),
        ("d@y.org", json!({})),
        ("e@y.org", json!({})),
    ] {
        let mut body = json!({"email": email, "firstName": "F", "lastName": "L"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        ids.insert(email, create_user(&app, &token, None, body).await);
    }
    let id = |e: &str| ids[e].clone();
    let g1 = new_group(&app, &token, None, "One", "Medium").await;
    let g2 = new_group(&app, &token, None, "Two", "Medium").await;

    // By ids, into two groups at once; a repeat adds only the newcomers.
    let added = expect_data(
        add_users(
            &app,
            &token,
            None,
            json!({"targetUserResourceIds": [id("a@x.com"), id("b@x.com")],
                   "targetGroupResourceIds": [g1, g2]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        added,
        json!([
            {"targetGroupResourceId": g1, "addedUserCount": 2, "userCount": 2},
            {"targetGroupResourceId": g2, "addedUserCount": 2, "userCount": 2},
        ])
    );
    let added = expect_data(
        add_users(
            &app,
            &token,
            None,
            json!({"TargetUserResourceIds": [id("a@x.com"), id("c@y.org")],
                   "TargetGroupResourceIds": [g1]}),
        )
        .await,
    )
    .await;
    assert_eq!(added[0]["addedUserCount"], 1);
    assert_eq!(added[0]["userCount"], 3);
    assert_eq!(
        member_emails(&app, &token, &g1, by_email(json!({}))).await,
        ["a@x.com", "b@x.com", "c@y.org"]
    );
    // The target-user search's filters apply to the members and to the users outside.
    assert_eq!(
        member_emails(
            &app,
            &token,
            &g1,
            by_email(json!({"filter": email_contains("y.org")}))
        )
        .await,
        ["c@y.org"]
    );
    assert_eq!(
        member_emails(
            &app,
            &token,
            &g1,
            by_email(json!({"excludeGroupUsers": true}))
        )
        .await,
        ["d@y.org", "e@y.org"]
    );
    let page = search(
        &app,
        &token,
        &format!("/api/target-groups/{g1}/users"),
        None,
        json!({"pageNumber": 2, "pageSize": 2, "orderBy": "Email", "ascending": true}),
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 3);
    assert_eq!(emails(&page), ["c@y.org"]);
    assert_eq!(page["results"][0]["status"], "Inactive");

    // selectAll: every user the filter matches, less the excluded ones.
    let added = expect_data(
        add_users(
            &app,
            &token,
            None,
            json!({"selectAll": true, "filter": email_contains("Y.ORG"),
                   "excludedResourceIdList": [id("e@y.org")], "targetGroupResourceIds": [g2]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (&added[0]["addedUserCount"], &added[0]["userCount"]),
        (&json!(2), &json!(4))
    );
    assert_eq!(
        member_emails(&app, &token, &g2, by_email(json!({}))).await,
        ["a@x.com", "b@x.com", "c@y.org", "d@y.org"]
    );

    // Counts, and which groups hold every one of a set of users.
    let selected = |users: Vec<String>| {
        let app = &app;
        let token = &token;
        async move {
            let page = search(
                app,
                token,
                "/api/target-groups/search",
                None,
                json!({"orderBy": "Name", "ascending": true,
                       "selectTargetUserResourceIds": users.join(",")}),
            )
            .await;
            page["results"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| {
                    (
                        r["name"].as_str().expect("name").to_owned(),
                        r["isSelected"].as_bool().expect("bool"),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        selected(vec![id("a@x.com"), id("b@x.com")]).await,
        [("One".to_owned(), true), ("Two".to_owned(), true)]
    );
    assert_eq!(
        selected(vec![id("a@x.com"), id("d@y.org")]).await,
        [("One".to_owned(), false), ("Two".to_owned(), true)]
    );
    let page = search(
        &app,
        &token,
        "/api/target-groups/search",
        None,
        json!({"orderBy": "UserCount", "ascending": false}),
    )
    .await;
    assert_eq!(column(&page, "name"), ["Two", "One"]);
    assert_eq!(
        (
            &page["results"][1]["userCount"],
            &page["results"][1]["userCountWithPhoneNumber"]
        ),
        (&json!(3), &json!(1))
    );

    // The members export streams the same rows as the listing.
    let csv = call(
        &app,
        Method::POST,
        &format!("/api/target-groups/{g1}/users/export"),
        &token,
        None,
        Some(json!({"exportType": "Csv", "orderBy": "Email", "ascending": true, "reportAllPages": true})),
    )
    .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Email,"), "{text}");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[3].starts_with("c@y.org,"), "{text}");
    let csv = call(
        &app,
        Method::POST,
        &format!("/api/target-groups/{g1}/users/export"),
        &token,
        None,
        Some(json!({"exportType": "Csv", "excludeGroupUsers": true, "reportAllPages": true})),
    )
    .await
    .text()
    .await
    .expect("csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // Removing users ends memberships only.
    let removed = expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/target-groups/{g1}/users"),
            &token,
            None,
            Some(json!({"targetUserResourceIds": [id("b@x.com"), id("d@y.org")]})),
        )
        .await,
    )
    .await;
    assert_eq!(removed["resourceId"], g1.as_str());
    assert_eq!(
        member_emails(&app, &token, &g1, by_email(json!({}))).await,
        ["a@x.com", "c@y.org"]
    );
    assert_eq!(
        get_user(&app, &token, None, &id("b@x.com")).await["email"],
        "b@x.com"
    );

    // Deleting a group keeps its users, and their other memberships; the custom fields the
    // group owns go with it.
    let field = expect_data(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(
                json!({"name": "Desk", "ownerType": "TargetGroup", "fieldDataType": "Text",
                        "targetGroupResourceId": g2}),
            ),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("field id")
        .to_owned();
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/target-groups/{g2}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let all = crate::target_users::search(&app, &token, None, json!({"pageSize": 100})).await;
    assert_eq!(all["totalNumberOfRecords"], 5);
    let r = call(
        &app,
        Method::GET,
        &format!("/api/custom-fields/{field}"),
        &token,
        None,
        None,
    )
    .await;
    expect_envelope(r, 404, "NOT_FOUND").await;
    assert_eq!(
        member_emails(&app, &token, &g1, by_email(json!({}))).await,
        ["a@x.com", "c@y.org"]
    );

    // A deleted user leaves the counts; the list of ids must be users, not nothing.
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/target-users/{}", id("a@x.com")),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        expect_data(get_group(&app, &token, &g1).await).await["name"],
        "One"
    );
    let page = search(&app, &token, "/api/target-groups/search", None, json!({})).await;
    assert_eq!(page["results"][0]["userCount"], 1);
    for body in [
        json!({"targetGroupResourceIds": [g1]}),
        json!({"targetGroupResourceIds": [g1], "targetUserResourceIds": []}),
        json!({"targetUserResourceIds": [id("b@x.com")]}),
    ] {
        expect_envelope(
            add_users(&app, &token, None, body).await,
            400,
            "INPUT_ERROR",
        )
        .await;
    }
    // A deleted user cannot join.
    let r = add_users(
        &app,
        &token,
        None,
        json!({"targetGroupResourceIds": [g1], "targetUserResourceIds": [id("a@x.com")]}),
    )
    .await;
    expect_envelope(r, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn user_count_details_split_each_status_by_what_the_users_have() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let langs =
        expect_data(call(&app, Method::GET, "/api/lookups/21", &token, None, None).await).await;
    let lang = |code: &str| {
        let l = langs
            .as_array()
            .expect("languages")
            .iter()
            .find(|l| l["code"] == code)
            .expect("language");
        (
            l["resourceId"].as_str().expect("id").to_owned(),
            l["name"].as_str().expect("name").to_owned(),
        )
    };
    let (english, english_name) = lang("en");
    let (german, _) = lang("de");
    let f = form(&r, "Acme", 100).text("PreferredLanguageTypeResourceId", english.clone());
    let acme = expect_data(post_company(&app, &token, None, f).await).await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let at = Some(acme.as_str());
    let group = new_group(&app, &token, at, "Everyone", "High").await;
    let mut users = Vec::new();
    for body in [
        json!({"email": "a@acme.com", "phoneNumber": "+15551234567", "preferredLanguageId": english,
               "timeZoneId": "Europe/Istanbul"}),
        json!({"email": "b@acme.com", "preferredLanguageId": german}),
        json!({"email": "c@partner.net"}),
        json!({"email": "d@acme.com", "isActive": false, "phoneNumber": "+15557654321"}),
    ] {
        users.push(create_user(&app, &token, at, body).await);
    }
    // A user outside the group is not counted.
    create_user(&app, &token, at, json!({"email": "z@acme.com"})).await;
    expect_data(
        add_users(
            &app,
            &token,
            at,
            json!({"targetGroupResourceIds": [group], "targetUserResourceIds": users}),
        )
        .await,
    )
    .await;

    let detail = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups/targetgroupusercountdetail",
            &token,
            at,
            Some(json!([group])),
        )
        .await,
    )
    .await;
    let bucket = |status: Value, count: i64| json!({"status": status, "count": count});
    let active = &detail[0];
    assert_eq!(detail.as_array().expect("list").len(), 2, "{detail}");
    assert_eq!(
        (
            &active["status"],
            &active["count"],
            &active["targetGroupName"]
        ),
        (&json!("Active"), &json!(3), &json!("Everyone"))
    );
    assert_eq!(active["companyPreferredLanguage"], english_name.as_str());
    let strip = |list: &Value| -> Value {
        Value::Array(
            list.as_array()
                .expect("list")
                .iter()
                .map(|b| json!({"status": b["status"], "count": b["count"]}))
                .collect(),
        )
    };
    assert_eq!(
        strip(&active["hasPhoneNumber"]),
        json!([bucket(json!("False"), 2), bucket(json!("True"), 1)])
    );
    assert_eq!(
        strip(&active["hasPreferredLanguage"]),
        json!([bucket(json!("False"), 1), bucket(json!("True"), 2)])
    );
    assert_eq!(
        strip(&active["hasCompanyPreferredLanguage"]),
        json!([bucket(json!("False"), 2), bucket(json!("True"), 1)])
    );
    assert_eq!(
        strip(&active["timeZone"]),
        json!([bucket(Value::Null, 2), bucket(json!("Europe/Istanbul"), 1)])
    );
    assert_eq!(
        strip(&active["domainAllowList"]),
        json!([
            bucket(json!("acme.com"), 2),
            bucket(json!("partner.net"), 1)
        ])
    );
    assert_eq!(active["hasRandomLanguage"], json!([]));
    let inactive = &detail[1];
    assert_eq!(
        (&inactive["status"], &inactive["count"]),
        (&json!("Inactive"), &json!(1))
    );
    assert_eq!(
        strip(&inactive["hasPhoneNumber"]),
        json!([bucket(json!("True"), 1)])
    );

    // The extended form answers the same for the same groups.
    let ext = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups/targetgroupusercountdetailext",
            &token,
            at,
            Some(json!({"targetGroupResourceIds": [group], "scenarioResourceIds": []})),
        )
        .await,
    )
    .await;
    assert_eq!(ext, detail);
    // An empty group has both statuses at zero.
    let empty = new_group(&app, &token, at, "Nobody", "Low").await;
    let detail = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups/targetgroupusercountdetail",
            &token,
            at,
            Some(json!([empty])),
        )
        .await,
    )
    .await;
    assert_eq!(
        detail
            .as_array()
            .expect("list")
            .iter()
            .map(|d| (
                d["status"].clone(),
                d["count"].clone(),
                d["hasPhoneNumber"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            (json!("Active"), json!(0), json!([])),
            (json!("Inactive"), json!(0), json!([]))
        ]
    );
}

/// Another company's group ids in paths and bodies, and its user ids in bodies, answer 404 and
/// change nothing; naming a company not managed answers 403.
#[tokio::test]
async fn another_companys_groups_and_users_are_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let reseller = app.reseller_token().await;
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    app.await_client_view().await;
    let owner = app.token_for(&oid, &osecret).await;
    let at_b = Some(b.as_str());
    let their_group = new_group(&app, &owner, at_b, "Theirs", "High").await;
    let their_user = create_user(&app, &owner, at_b, json!({"email": "them@b.com"})).await;
    expect_data(
        add_users(
            &app,
            &owner,
            at_b,
            json!({"targetGroupResourceIds": [their_group], "targetUserResourceIds": [their_user]}),
        )
        .await,
    )
    .await;
    let my_group = new_group(&app, &reseller, None, "Mine", "Low").await;
    let my_user = create_user(&app, &reseller, None, json!({"email": "me@mine.com"})).await;
    // My own customer's group, not named: out of this request's company too.
    let customer = create_company(&app, "My Customer", Some(&mine), false);
    let customer_group = new_group(&app, &reseller, Some(&customer), "Customer's", "Low").await;

    let theirs = format!("/api/target-groups/{their_group}");
    let not_found: Vec<(Method, String, Value)> = vec![
        (Method::GET, theirs.clone(), json!(null)),
        (
            Method::PUT,
            theirs.clone(),
            json!({"name": "Taken", "priority": "Low"}),
        ),
        (Method::DELETE, theirs.clone(), json!(null)),
        (Method::POST, format!("{theirs}/users"), json!({})),
        (
            Method::POST,
            format!("{theirs}/users"),
            json!({"excludeGroupUsers": true}),
        ),
        (
            Method::POST,
            format!("{theirs}/users/export"),
            json!({"exportType": "Csv"}),
        ),
        (
            Method::DELETE,
            format!("{theirs}/users"),
            json!({"targetUserResourceIds": [their_user]}),
        ),
        (
            Method::GET,
            format!("/api/target-groups/{customer_group}"),
            json!(null),
        ),
        (
            Method::POST,
            "/api/target-groups/targetgroupusercountdetail".into(),
            json!([my_group, their_group]),
        ),
        (
            Method::POST,
            "/api/target-groups/targetgroupusercountdetailext".into(),
            json!({"targetGroupResourceIds": [their_group]}),
        ),
        (
            Method::PUT,
            "/api/target-groups/users".into(),
            json!({"targetGroupResourceIds": [their_group], "targetUserResourceIds": [my_user]}),
        ),
        (
            Method::PUT,
            "/api/target-groups/users".into(),
            json!({"targetGroupResourceIds": [my_group, their_group], "targetUserResourceIds": [my_user]}),
        ),
        (
            Method::PUT,
            "/api/target-groups/users".into(),
            json!({"targetGroupResourceIds": [my_group], "targetUserResourceIds": [my_user, their_user]}),
        ),
        (
            Method::PUT,
            "/api/target-groups/users".into(),
            json!({"targetGroupResourceIds": [their_group], "selectAll": true}),
        ),
        (
            Method::DELETE,
            format!("/api/target-groups/{my_group}/users"),
            json!({"targetUserResourceIds": [their_user]}),
        ),
        (
            Method::POST,
            "/api/target-groups/search".into(),
            json!({"selectTargetUserResourceIds": their_user}),
        ),
    ];
    for (method, path, body) in &not_found {
        let body = (!body.is_null()).then(|| body.clone());
        let r = call(&app, method.clone(), path, &reseller, None, body).await;
        let answer = expect_envelope(r, 404, "NOT_FOUND").await;
        assert!(answer["data"].is_null(), "{method} {path}: {answer}");
    }
    // Naming their company is refused before anything is looked up.
    for (method, path, body) in [
        (Method::GET, "/api/target-groups".to_owned(), json!(null)),
        (
            Method::POST,
            "/api/target-groups/search/all".to_owned(),
            json!({}),
        ),
        (Method::GET, theirs.clone(), json!(null)),
        (
            Method::POST,
            "/api/target-groups".to_owned(),
            json!({"name": "Planted", "priority": "Low"}),
        ),
    ] {
        let body = (!body.is_null()).then(|| body.clone());
        let r = call(&app, method.clone(), &path, &reseller, at_b, body).await;
        expect_envelope(r, 403, "FORBIDDEN").await;
    }

    // Nothing changed: their group, its member, and mine still empty.
    let dto = expect_data(call(&app, Method::GET, &theirs, &owner, at_b, None).await).await;
    assert_eq!(dto["name"], "Theirs");
    let members = search(&app, &owner, &format!("{theirs}/users"), at_b, json!({})).await;
    assert_eq!(emails(&members), ["them@b.com"]);
    let groups = search(&app, &owner, "/api/target-groups/search", at_b, json!({})).await;
    assert_eq!(column(&groups, "name"), ["Theirs"], "nothing planted");
    let mine_now = search(
        &app,
        &reseller,
        "/api/target-groups/search",
        None,
        json!({}),
    )
    .await;
    assert_eq!(column(&mine_now, "name"), ["Mine"]);
    assert_eq!(mine_now["results"][0]["userCount"], 0, "no partial write");
    // Their search/all does not reach me, nor mine them.
    let all = search(
        &app,
        &reseller,
        "/api/target-groups/search/all",
        None,
        json!({}),
    )
    .await;
    let mut names = column(&all, "name");
    names.sort();
    assert_eq!(names, ["Customer's", "Mine"]);
}
