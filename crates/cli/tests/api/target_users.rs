//! `/api/target-users` (all but the import): create, read, update, delete, searches, lookups,
//! counts, the licence, a reseller acting on a customer, and isolation between companies.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

/// Creates a target user; returns its resource id.
pub async fn create_user(app: &TestApp, token: &str, company: Option<&str>, body: Value) -> String {
    expect_data(
        call(
            app,
            Method::POST,
            "/api/target-users",
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

pub async fn get_user(app: &TestApp, token: &str, company: Option<&str>, id: &str) -> Value {
    expect_data(
        call(
            app,
            Method::GET,
            &format!("/api/target-users/{id}"),
            token,
            company,
            None,
        )
        .await,
    )
    .await
}

pub async fn delete_user(app: &TestApp, token: &str, company: Option<&str>, id: &str) {
    expect_data(
        call(
            app,
            Method::DELETE,
            &format!("/api/target-users/{id}"),
            token,
            company,
            None,
        )
        .await,
    )
    .await;
}

pub async fn search(app: &TestApp, token: &str, company: Option<&str>, body: Value) -> Value {
    expect_data(
        call(
            app,
            Method::POST,
            "/api/target-users/search",
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await
}

pub fn emails(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["email"].as_str().expect("email").to_owned())
        .collect()
}

fn filter(items: Value) -> Value {
    json!({"filterGroups": [{"condition": "AND", "filterItems": items}]})
}

async fn first_language(app: &TestApp, token: &str) -> (String, String) {
    let langs =
        expect_data(call(app, Method::GET, "/api/lookups/21", token, None, None).await).await;
    let english = langs
        .as_array()
        .expect("languages")
        .iter()
        .find(|l| l["code"] == "en")
        .expect("English");
    (
        english["resourceId"].as_str().expect("id").to_owned(),
        english["name"].as_str().expect("name").to_owned(),
    )
}

#[tokio::test]
async fn a_user_is_created_read_updated_deleted_and_stays_readable() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (english, english_name) = first_language(&app, &token).await;
    let id = create_user(
        &app,
        &token,
        None,
        json!({"email": "Jane.Doe@Example.com", "firstName": " Jane ", "lastName": "Doe",
               "department": "Finance", "phoneNumber": "+1 (555) 123-4567", "priority": "veryhigh",
               "timeZoneId": "europe/istanbul", "preferredLanguageId": english,
               "managerFirstName": "Max", "managerLastName": "Boss", "managerEmail": "max@example.com"}),
    )
    .await;
    let dto = get_user(&app, &token, None, &id).await;
    assert_eq!(
        dto,
        json!({"resourceId": id, "email": "Jane.Doe@Example.com", "firstName": "Jane",
               "lastName": "Doe", "department": "Finance", "priority": "VeryHigh", "isActive": true,
               "customFieldValues": [], "phoneNumber": "+1 (555) 123-4567",
               "timeZoneId": "Europe/Istanbul", "preferredLanguageId": english,
               "managerFirstName": "Max", "managerLastName": "Boss",
               "managerEmail": "max@example.com", "managerFullName": "Max Boss"})
    );

    // An update: absent fields keep their values, an empty string clears one.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            Some(
                json!({"email": "jane@example.com", "firstName": "Janet", "department": "",
                        "isActive": false, "priority": "Low"}),
            ),
        )
        .await,
    )
    .await;
    let dto = get_user(&app, &token, None, &id).await;
    assert_eq!(
        (
            &dto["email"],
            &dto["firstName"],
            &dto["lastName"],
            &dto["department"],
            &dto["phoneNumber"],
            &dto["isActive"],
            &dto["priority"]
        ),
        (
            &json!("jane@example.com"),
            &json!("Janet"),
            &json!("Doe"),
            &Value::Null,
            &json!("+1 (555) 123-4567"),
            &json!(false),
            &json!("Low")
        )
    );
    let page = search(&app, &token, None, json!({})).await;
    assert_eq!(page["totalNumberOfRecords"], 1);
    let row = &page["results"][0];
    assert_eq!(
        (&row["status"], &row["timeZone"], &row["preferredLanguage"]),
        (
            &json!("Inactive"),
            &json!("Europe/Istanbul"),
            &json!(english_name)
        )
    );

    delete_user(&app, &token, None, &id).await;
    expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    let ids = json!({"targetUserResourceIds": [id]});
    let live = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/by-resource-ids",
            &token,
            None,
            Some(ids.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(live, json!([]));
    let all = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/include-deleted/by-resource-ids",
            &token,
            None,
            Some(ids),
        )
        .await,
    )
    .await;
    assert_eq!(all[0]["resourceId"], id);
    assert_eq!(all[0]["email"], "jane@example.com");
    assert_eq!(
        (&all[0]["isDeleted"], &all[0]["status"]),
        (&json!(true), &json!(2))
    );
    assert!(all[0]["id"].as_i64().is_some_and(|n| n > 0));

    // The email is free again; the deleted user is found only by asking for Deleted.
    let again = create_user(&app, &token, None, json!({"email": "JANE@example.com"})).await;
    assert_ne!(again, id);
    let page = search(&app, &token, None, json!({})).await;
    assert_eq!(emails(&page), ["JANE@example.com"]);
    let deleted = search(
        &app,
        &token,
        None,
        json!({"filter": filter(json!([{"fieldName": "Status", "operator": "=", "value": "deleted"}]))}),
    )
    .await;
    assert_eq!(emails(&deleted), ["jane@example.com"]);
}

#[tokio::test]
async fn invalid_users_are_refused_naming_each_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let body = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            None,
            Some(
                json!({"email": "not an email", "phoneNumber": "call me", "priority": "Urgent",
                        "timeZoneId": "Mars/Olympus", "preferredLanguageId": "Klingon",
                        "firstName": "x".repeat(257), "managerEmail": "boss@"}),
            ),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let messages = body["validationMessages"].to_string();
    for expected in [
        "Email 'not an email' is not a valid email address",
        "Phone number 'call me'",
        "Priority 'Urgent' is not one of: VeryLow, Low, Medium, High, VeryHigh",
        "Time zone 'Mars/Olympus'",
        "Preferred language 'Klingon'",
        "First name must be at most 256 characters",
        "Manager email 'boss@' is not a valid email address",
    ] {
        assert!(messages.contains(expected), "{expected} in {messages}");
    }
    for bad in [
        json!({}),
        json!({"email": ""}),
        json!({"email": "a@b.c", "isActive": "yes"}),
    ] {
        expect_envelope(
            call(
                &app,
                Method::POST,
                "/api/target-users",
                &token,
                None,
                Some(bad),
            )
            .await,
            400,
            "INPUT_ERROR",
        )
        .await;
    }
    assert_eq!(
        search(&app, &token, None, json!({})).await["totalNumberOfRecords"],
        0
    );
    // A phone number is optional (DESIGN.md decision 5), the priority Medium by default.
    let id = create_user(&app, &token, None, json!({"email": "ok@example.com"})).await;
    let dto = get_user(&app, &token, None, &id).await;
    assert_eq!(
        (&dto["phoneNumber"], &dto["priority"]),
        (&Value::Null, &json!("Medium"))
    );
    // An update that breaks a rule changes nothing.
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            None,
            Some(json!({"email": "ok@example.com", "firstName": "Kept?", "phoneNumber": "x"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        get_user(&app, &token, None, &id).await["firstName"],
        Value::Null
    );
}

#[tokio::test]
async fn emails_are_unique_among_live_users_ignoring_case() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    create_user(&app, &token, None, json!({"email": "a@example.com"})).await;
    let b = create_user(&app, &token, None, json!({"email": "b@example.com"})).await;
    let conflict = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            None,
            Some(json!({"email": "A@EXAMPLE.COM"})),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;
    assert!(
        conflict["message"]
            .as_str()
            .is_some_and(|m| m.contains("email")),
        "{conflict}"
    );
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{b}"),
            &token,
            None,
            Some(json!({"email": "A@example.com"})),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;
    assert_eq!(
        get_user(&app, &token, None, &b).await["email"],
        "b@example.com"
    );
    // Changing only the case of one's own email is no conflict.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{b}"),
            &token,
            None,
            Some(json!({"email": "B@Example.com"})),
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn search_filters_orders_pages_and_exports() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for (email, first, priority, active) in [
        ("carol@example.com", "Carol", "High", true),
        ("alice@example.com", "=HYPERLINK(\"x\")", "Low", true),
        ("bob@sample.org", "Bob", "high", false),
    ] {
        create_user(
            &app,
            &token,
            None,
            json!({"email": email, "firstName": first, "priority": priority, "isActive": active,
                   "department": "Sales"}),
        )
        .await;
    }
    let gone = create_user(&app, &token, None, json!({"email": "dave@example.com"})).await;
    delete_user(&app, &token, None, &gone).await;

    let page = search(
        &app,
        &token,
        None,
        json!({"orderBy": "Email", "ascending": true}),
    )
    .await;
    assert_eq!(
        emails(&page),
        ["alice@example.com", "bob@sample.org", "carol@example.com"]
    );
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": filter(json!([{"fieldName": "Priority", "operator": "=", "value": "HIGH"}])),
               "orderBy": "email", "ascending": false}),
    )
    .await;
    assert_eq!(emails(&page), ["carol@example.com", "bob@sample.org"]);
    let page = search(
        &app,
        &token,
        None,
        json!({"Filter": {"FilterGroups": [{"FilterItems": [
            {"FieldName": "Status", "Operator": "Include", "Value": "Active,Deleted"}]}]},
            "OrderBy": "Email", "Ascending": true}),
    )
    .await;
    assert_eq!(
        emails(&page),
        ["alice@example.com", "carol@example.com", "dave@example.com"]
    );
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": {"searchInputTextValue": "CAR"}}),
    )
    .await;
    assert_eq!(emails(&page), ["carol@example.com"]);
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": filter(json!([{"fieldName": "Email", "operator": "EndsWith", "value": ".ORG"}]))}),
    )
    .await;
    assert_eq!(emails(&page), ["bob@sample.org"]);
    let page = search(
        &app,
        &token,
        None,
        json!({"pageNumber": 2, "pageSize": 2, "orderBy": "Email", "ascending": true}),
    )
    .await;
    assert_eq!(
        (emails(&page), &page["totalNumberOfPages"]),
        (vec!["carol@example.com".to_owned()], &json!(2))
    );
    for bad in [
        json!({"orderBy": "Password"}),
        json!({"filter": filter(json!([{"fieldName": "Priority", "operator": "=", "value": "Urgent"}]))}),
        json!({"filter": filter(json!([{"fieldName": "Secret", "operator": "=", "value": "x"}]))}),
    ] {
        expect_envelope(
            call(
                &app,
                Method::POST,
                "/api/target-users/search",
                &token,
                None,
                Some(bad),
            )
            .await,
            400,
            "INPUT_ERROR",
        )
        .await;
    }

    // search-email: contains, ignoring case, live users only, as user details.
    let found = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/search-email",
            &token,
            None,
            Some(json!({"email": "EXAMPLE.com", "pageNumber": 1, "pageSize": 10, "orderBy": "Email", "ascending": true})),
        )
        .await,
    )
    .await;
    assert_eq!(emails(&found), ["alice@example.com", "carol@example.com"]);
    assert_eq!(found["results"][1]["priority"], "High");

    let csv = call(
        &app,
        Method::POST,
        "/api/target-users/search/export",
        &token,
        None,
        Some(json!({"exportType": "Csv", "reportAllPages": true, "orderBy": "Email", "ascending": true})),
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/csv"))
    );
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("Email,First Name,Last Name,Department"),
        "{text}"
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[1].starts_with("alice@example.com,\"'=HYPERLINK(\"\"x\"\")\""),
        "{text}"
    );
    let xlsx = call(
        &app,
        Method::POST,
        "/api/target-users/search/export",
        &token,
        None,
        Some(json!({"exportType": "Excel"})),
    )
    .await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.expect("xlsx").starts_with(b"PK"));
}

/// Exports carry custom field values: a column per active field of the company, and for a
/// group's members also the group's fields, each user's value under its field (empty where the
/// user has none).
#[tokio::test]
async fn exports_carry_custom_field_values() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let group = insert_group(&app, &mine, "Sales").await;
    let field = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            expect_data(
                call(
                    app,
                    Method::POST,
                    "/api/custom-fields",
                    token,
                    None,
                    Some(body),
                )
                .await,
            )
            .await["resourceId"]
                .as_str()
                .expect("id")
                .to_owned()
        }
    };
    let floor =
        field(json!({"name": "Floor", "ownerType": "TargetUser", "fieldDataType": "Number"})).await;
    let badge =
        field(json!({"name": "Badge", "ownerType": "TargetUser", "fieldDataType": "Text"})).await;
    field(json!({"name": "Retired", "ownerType": "TargetUser", "fieldDataType": "Text", "isActive": false})).await;
    let desk = field(
        json!({"name": "Desk", "ownerType": "TargetGroup", "fieldDataType": "Text",
        "targetGroupResourceId": group}),
    )
    .await;
    create_user(
        &app,
        &token,
        None,
        json!({"email": "a@example.com", "targetGroupResourceIds": [group],
            "customFields": [{"resourceId": floor, "value": "3"}, {"resourceId": badge, "value": "=1+1"},
                             {"resourceId": desk, "value": "D12"}]}),
    )
    .await;
    create_user(
        &app,
        &token,
        None,
        json!({"email": "b@example.com", "customFields": [{"resourceId": badge, "value": "B-7"}]}),
    )
    .await;

    let export = |path: String| {
        let (app, token) = (&app, &token);
        async move {
            let response = call(app, Method::POST, &path, token, None,
                Some(json!({"exportType": "Csv", "reportAllPages": true, "orderBy": "Email", "ascending": true}))).await;
            assert_eq!(response.status(), 200);
            let text = response.text().await.expect("csv");
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let headers: Vec<String> = reader
                .headers()
                .expect("headers")
                .iter()
                .map(str::to_owned)
                .collect();
            let rows: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.expect("row").iter().map(str::to_owned).collect())
                .collect();
            (headers, rows)
        }
    };
    let (headers, rows) = export("/api/target-users/search/export".into()).await;
    assert_eq!(headers[..2], ["Email", "First Name"]);
    assert_eq!(headers[11..], ["Badge", "Floor"], "{headers:?}");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0][0].as_str(), &rows[0][11..]),
        ("a@example.com", &["'=1+1".to_owned(), "3".to_owned()][..])
    );
    assert_eq!(
        (rows[1][0].as_str(), &rows[1][11..]),
        ("b@example.com", &["B-7".to_owned(), String::new()][..])
    );

    let (headers, rows) = export(format!("/api/target-groups/{group}/users/export")).await;
    assert_eq!(headers[11..], ["Badge", "Desk", "Floor"], "{headers:?}");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][11..], ["'=1+1", "D12", "3"]);
}

#[tokio::test]
async fn count_summary_and_enrollment_answer_from_the_users() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mut active = Vec::new();
    for email in ["a@example.com", "b@example.com"] {
        active.push(
            create_user(
                &app,
                &token,
                None,
                json!({"email": email, "phoneNumber": "123"}),
            )
            .await,
        );
    }
    create_user(
        &app,
        &token,
        None,
        json!({"email": "c@example.com", "isActive": false}),
    )
    .await;
    let gone = create_user(&app, &token, None, json!({"email": "d@example.com"})).await;
    delete_user(&app, &token, None, &gone).await;
    let counts = expect_data(
        call(
            &app,
            Method::GET,
            "/api/target-users/count-summary",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        counts,
        json!({"activeUserCount": 2, "inactiveUserCount": 1, "deletedUserCount": 1,
               "monthlyActiveUserCount": 2})
    );

    let listed = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/enrollment-emails",
            &token,
            None,
            Some(json!({"withTargetGroups": false})),
        )
        .await,
    )
    .await;
    let ids: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["resourceId"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, active.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(listed[0]["status"], 1);
    assert_eq!(listed[0]["phoneNumber"], "123");
    let count = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/enrollment-emails/count",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(count, 2);
    // No campaigns exist: naming one finds nothing.
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users/enrollment-emails",
            &token,
            None,
            Some(json!({"phishingCampaignResourceId": "xC5kfGz7w2Nz"})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn the_licence_limits_new_users_and_says_by_how_much() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let customer = expect_data(post_company(&app, &token, None, form(&r, "Small Co", 2)).await)
        .await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let at = Some(customer.as_str());
    let first = create_user(&app, &token, at, json!({"email": "one@example.com"})).await;
    create_user(&app, &token, at, json!({"email": "two@example.com"})).await;
    let refused = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            at,
            Some(json!({"email": "three@example.com"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        refused["validationMessages"],
        json!(["The company's licence allows 2 target users; it has 2, and adding 1 would make 3"])
    );
    // Updating an existing user needs no new place.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{first}"),
            &token,
            at,
            Some(json!({"email": "one@example.com", "firstName": "Uno"})),
        )
        .await,
    )
    .await;
    let check = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{customer}/license-check"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(check["totalUserCount"], 2);
    assert_eq!(check["isLicenseExceeded"], false);
    // Deleting a user frees its place.
    delete_user(&app, &token, at, &first).await;
    create_user(&app, &token, at, json!({"email": "three@example.com"})).await;
    let page = search(
        &app,
        &token,
        at,
        json!({"orderBy": "Email", "ascending": true}),
    )
    .await;
    assert_eq!(emails(&page), ["three@example.com", "two@example.com"]);
}

/// The documented reseller flows: add a customer's users, then list and export them, naming
/// the customer by header; the customer's own admin sees the same users.
#[tokio::test]
async fn a_reseller_acts_on_a_customer_by_header() {
    let app = TestApp::spawn().await;
    let reseller = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&reseller), false);
    let (aid, asecret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&aid, &asecret).await;
    let token = app.reseller_token().await;
    let at = Some(customer.as_str());
    let id = create_user(
        &app,
        &token,
        at,
        json!({"email": "user@example.com", "firstName": "Jane", "lastName": "Doe"}),
    )
    .await;
    assert_eq!(
        emails(&search(&app, &token, at, json!({"pageNumber": 1, "pageSize": 20})).await),
        ["user@example.com"]
    );
    assert_eq!(
        search(&app, &token, None, json!({})).await["totalNumberOfRecords"],
        0,
        "the reseller's own users are another list"
    );
    assert_eq!(
        emails(&search(&app, &admin, None, json!({})).await),
        ["user@example.com"]
    );
    let export = call(
        &app,
        Method::POST,
        "/api/target-users/search/export",
        &token,
        at,
        Some(json!({"exportType": "Csv"})),
    )
    .await;
    assert!(
        export
            .text()
            .await
            .expect("csv")
            .contains("user@example.com")
    );
    assert_eq!(get_user(&app, &admin, None, &id).await["firstName"], "Jane");
    let counts = expect_data(
        call(
            &app,
            Method::GET,
            "/api/target-users/count-summary",
            &token,
            at,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(counts["activeUserCount"], 1);
    // SCORM finds the user by email in the company the body numbers (here without a header).
    let (_, claims) = latchkey_testkit::jwt_parts(&admin);
    let number = claims["user_company_id"].as_i64().expect("company number");
    let scorm = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/scorm-email",
            &token,
            None,
            Some(json!({"email": "USER@example.com", "companyId": number})),
        )
        .await,
    )
    .await;
    assert_eq!(scorm["resourceId"], id);
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users/scorm-email",
            &token,
            None,
            Some(json!({"email": "USER@example.com"})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
}

/// Ids of another company's users and custom fields, in paths, headers and bodies, are refused
/// (404, or 403 for a company the caller does not manage) and change nothing.
#[tokio::test]
async fn another_companys_users_and_fields_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let reseller = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Company A", Some(&reseller), false);
    let b = create_company(&app, "Company B", Some(&reseller), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let c = create_company(&app, "Company C", Some(&other_mssp), false);
    let (cid, csecret) = create_client(&app, &c, "Company Admin", &[]);
    app.await_client_view().await;
    let token = app.reseller_token().await;
    let their_admin = app.token_for(&cid, &csecret).await;
    let (at_a, at_b) = (Some(a.as_str()), Some(b.as_str()));
    let user_b = create_user(&app, &token, at_b, json!({"email": "b@example.com"})).await;
    let field_b = expect_data(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            at_b,
            Some(json!({"name": "Office", "ownerType": "TargetUser", "fieldDataType": "Text"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    create_user(
        &app,
        &token,
        at_b,
        json!({"email": "b2@example.com", "customFields": [{"resourceId": field_b, "value": "HQ"}]}),
    )
    .await;

    let attempts: Vec<(Method, String, Value)> = vec![
        (
            Method::GET,
            format!("/api/target-users/{user_b}"),
            Value::Null,
        ),
        (
            Method::PUT,
            format!("/api/target-users/{user_b}"),
            json!({"email": "hijack@example.com"}),
        ),
        (
            Method::DELETE,
            format!("/api/target-users/{user_b}"),
            Value::Null,
        ),
        (
            Method::DELETE,
            "/api/target-users/bulk-delete".into(),
            json!({"items": [user_b]}),
        ),
        (
            Method::POST,
            "/api/target-users/by-resource-ids".into(),
            json!({"targetUserResourceIds": [user_b]}),
        ),
        (
            Method::POST,
            "/api/target-users/include-deleted/by-resource-ids".into(),
            json!({"targetUserResourceIds": [user_b]}),
        ),
        (
            Method::POST,
            format!("/api/target-users/{user_b}/groups"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/target-users".into(),
            json!({"email": "new@example.com", "customFields": [{"resourceId": field_b, "value": "x"}]}),
        ),
        (
            Method::POST,
            "/api/target-users".into(),
            json!({"email": "new@example.com", "targetGroupResourceIds": ["xC5kfGz7w2Nz"]}),
        ),
        (
            Method::GET,
            format!("/api/custom-fields/{field_b}"),
            Value::Null,
        ),
        (
            Method::PUT,
            format!("/api/custom-fields/{field_b}"),
            json!({"name": "Stolen", "fieldDataType": "Number"}),
        ),
        (
            Method::POST,
            "/api/custom-fields/bulk-update".into(),
            json!({"targetUserCustomFields": [{"resourceId": field_b, "name": "Stolen", "fieldDataType": "Text"}]}),
        ),
        (
            Method::POST,
            "/api/target-users/scorm-email".into(),
            json!({"email": "b@example.com"}),
        ),
    ];
    for (method, path, body) in &attempts {
        let body = (!body.is_null()).then(|| body.clone());
        let r = call(&app, method.clone(), path, &token, at_a, body).await;
        expect_envelope(r, 404, "NOT_FOUND").await;
    }
    // Company B is as it was: its user, its field and its value.
    let page = search(
        &app,
        &token,
        at_b,
        json!({"orderBy": "Email", "ascending": true}),
    )
    .await;
    assert_eq!(emails(&page), ["b2@example.com", "b@example.com"]);
    assert_eq!(page["results"][0]["customFieldValues"][0]["value"], "HQ");
    let fields = expect_data(
        call(
            &app,
            Method::GET,
            "/api/custom-fields/company",
            &token,
            at_b,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(fields[0]["name"], "Office");
    assert_eq!(fields[0]["fieldDataType"], "Text");
    assert_eq!(
        search(&app, &token, at_a, json!({})).await["totalNumberOfRecords"],
        0
    );

    // Another reseller's customer, by header or by number, is not managed: 403.
    for (method, path, body) in [
        (Method::POST, "/api/target-users/search", json!({})),
        (
            Method::POST,
            "/api/target-users",
            json!({"email": "x@example.com"}),
        ),
        (Method::GET, "/api/custom-fields/company", Value::Null),
    ] {
        let body = (!body.is_null()).then_some(body);
        let r = call(&app, method, path, &token, Some(c.as_str()), body).await;
        expect_envelope(r, 403, "FORBIDDEN").await;
    }
    let (_, claims) = latchkey_testkit::jwt_parts(&their_admin);
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users/scorm-email",
            &token,
            None,
            Some(json!({"email": "b@example.com", "companyId": claims["user_company_id"]})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    // And a company admin cannot reach the reseller's other customers at all.
    for path in [
        "/api/target-users/search",
        "/api/target-users/count-summary",
    ] {
        let method = if path.ends_with("search") {
            Method::POST
        } else {
            Method::GET
        };
        let body = (method == Method::POST).then(|| json!({}));
        let r = call(&app, method, path, &their_admin, at_b, body).await;
        expect_envelope(r, 403, "FORBIDDEN").await;
    }
}

/// A target group of `company` (the reseller's own or one of its customers), made through
/// the API; its id.
pub async fn insert_group(app: &TestApp, company: &str, name: &str) -> String {
    let token = app.reseller_token().await;
    crate::target_groups::new_group(app, &token, Some(company), name, "Medium").await
}

async fn user_groups(app: &TestApp, token: &str, user: &str, body: Value) -> Value {
    expect_data(
        call(
            app,
            Method::POST,
            &format!("/api/target-users/{user}/groups"),
            token,
            None,
            Some(body),
        )
        .await,
    )
    .await
}

fn group_names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|g| g["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn users_join_target_groups_and_list_them() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let other = create_company(&app, "Other", Some(&mine), false);
    let sales = insert_group(&app, &mine, "Sales").await;
    let support = insert_group(&app, &mine, "Support").await;
    let theirs = insert_group(&app, &other, "Theirs").await;

    let ann = create_user(
        &app,
        &token,
        None,
        json!({"email": "ann@example.com", "targetGroupResourceIds": [sales, support, sales]}),
    )
    .await;
    let bob = create_user(
        &app,
        &token,
        None,
        json!({"email": "bob@example.com", "targetGroupResourceIds": [support]}),
    )
    .await;
    let page = user_groups(
        &app,
        &token,
        &ann,
        json!({"orderBy": "Name", "ascending": true}),
    )
    .await;
    assert_eq!(group_names(&page), ["Sales", "Support"]);
    assert_eq!(
        (
            &page["results"][1]["userCount"],
            &page["results"][1]["priority"]
        ),
        (&json!(2), &json!("Medium"))
    );
    let filtered = user_groups(
        &app,
        &token,
        &ann,
        json!({"filter": {"filterGroups": [{"filterItems": [
            {"fieldName": "Name", "operator": "StartsWith", "value": "sup"}]}]}}),
    )
    .await;
    assert_eq!(group_names(&filtered), ["Support"]);

    // Another company's group in the body: 404, and nothing is written.
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            None,
            Some(json!({"email": "eve@example.com", "targetGroupResourceIds": [sales, theirs]})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{ann}"),
            &token,
            None,
            Some(json!({"email": "ann@example.com", "targetGroupResourceIds": [theirs]})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        emails(
            &search(
                &app,
                &token,
                None,
                json!({"orderBy": "Email", "ascending": true})
            )
            .await
        ),
        ["ann@example.com", "bob@example.com"]
    );

    // An update's list becomes the user's groups; without one they stay.
    let put = |body: Value| {
        let (app, token, ann) = (&app, token.clone(), ann.clone());
        async move {
            expect_data(
                call(
                    app,
                    Method::PUT,
                    &format!("/api/target-users/{ann}"),
                    &token,
                    None,
                    Some(body),
                )
                .await,
            )
            .await
        }
    };
    put(json!({"email": "ann@example.com", "targetGroupResourceIds": [sales]})).await;
    assert_eq!(
        group_names(&user_groups(&app, &token, &ann, json!({})).await),
        ["Sales"]
    );
    put(json!({"email": "ann@example.com", "firstName": "Ann"})).await;
    assert_eq!(
        group_names(&user_groups(&app, &token, &ann, json!({})).await),
        ["Sales"]
    );

    // Enrollment lists the active members of the named groups, each once.
    let enrolled = |groups: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            let list = expect_data(
                call(
                    app,
                    Method::POST,
                    "/api/target-users/enrollment-emails",
                    &token,
                    None,
                    Some(json!({"withTargetGroups": true, "targetGroupResourceIds": groups})),
                )
                .await,
            )
            .await;
            list.as_array()
                .expect("list")
                .iter()
                .map(|u| u["resourceId"].as_str().expect("id").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        enrolled(json!([sales, support])).await,
        [ann.clone(), bob.clone()]
    );
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/target-users/enrollment-emails/count",
            &token,
            None,
            Some(json!({"targetGroupResourceIds": [theirs]})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    // A deleted user leaves its groups.
    expect_data(
        call(
            &app,
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &token,
            None,
            Some(json!({"selectAll": true, "excludedItems": [ann],
                        "filter": {"searchInputTextValue": "example.com"}})),
        )
        .await,
    )
    .await;
    assert_eq!(enrolled(json!([support])).await, Vec::<String>::new());
    assert_eq!(enrolled(json!([sales])).await, [ann.as_str()]);
    assert_eq!(
        user_groups(&app, &token, &ann, json!({})).await["results"][0]["userCount"],
        1
    );
}

/// The store's write path as the spreadsheet import calls it: hundreds of rows in one call,
/// created or updated by email, with custom values and groups, or none of them.
#[tokio::test]
async fn a_batch_write_creates_and_updates_by_email_all_or_nothing() {
    use latchkey_domain::authz::operator_scope;
    use latchkey_domain::ids::ResourceId;
    use latchkey_domain::target_user::{CustomFieldInput, TargetUserInput, validate};
    use latchkey_store::target_users::{Match, TargetUserWrite};

    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let sales = insert_group(&app, &mine, "Sales").await;
    expect_data(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(json!({"name": "Floor", "ownerType": "TargetUser", "fieldDataType": "Number"})),
        )
        .await,
    )
    .await;
    let kept = create_user(
        &app,
        &token,
        None,
        json!({"email": "user7@example.com", "firstName": "Kept", "department": "Ops"}),
    )
    .await;
    let store = &app.state.store;
    let company = store
        .find_company(&ResourceId::parse(&mine).expect("id"))
        .await
        .expect("read")
        .expect("company");
    let scope = operator_scope(company, latchkey_domain::audit::Actor::admin("test"));
    let rules = store.target_user_rules(&scope).await.expect("rules");
    let row = |i: usize, floor: &str| TargetUserInput {
        email: Some(format!("USER{i}@example.com")),
        last_name: Some(format!("Row {i}")),
        custom_fields: vec![CustomFieldInput {
            field: "floor".into(),
            value: Some(floor.into()),
        }],
        target_groups: Some(vec![sales.clone()]),
        ..Default::default()
    };
    let writes = |floor: &str| -> Vec<TargetUserWrite> {
        (0..450)
            .map(|i| TargetUserWrite {
                draft: validate(&row(i, floor), &rules).expect("valid row"),
                matching: Match::Email,
            })
            .collect()
    };
    let report = store
        .write_target_users(&scope, &writes("2"))
        .await
        .expect("written");
    assert_eq!((report.created, report.updated), (449, 1));
    assert_eq!(report.resource_ids[7], kept);
    let user = get_user(&app, &token, None, &kept).await;
    assert_eq!(
        (
            &user["email"],
            &user["firstName"],
            &user["lastName"],
            &user["department"]
        ),
        (
            &json!("USER7@example.com"),
            &json!("Kept"),
            &json!("Row 7"),
            &json!("Ops")
        )
    );
    assert_eq!(user["customFieldValues"][0]["value"], "2");
    let counts = expect_data(
        call(
            &app,
            Method::GET,
            "/api/target-users/count-summary",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(counts["activeUserCount"], 450);
    let in_sales = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users/enrollment-emails/count",
            &token,
            None,
            Some(json!({"targetGroupResourceIds": [sales]})),
        )
        .await,
    )
    .await;
    assert_eq!(in_sales, 450);

    // Again: every row now updates; an email twice refuses the whole batch.
    let report = store
        .write_target_users(&scope, &writes("3"))
        .await
        .expect("written");
    assert_eq!((report.created, report.updated), (0, 450));
    let mut twice = writes("4");
    twice.push(twice[0].clone());
    assert!(store.write_target_users(&scope, &twice).await.is_err());
    let user = get_user(&app, &token, None, &report.resource_ids[449]).await;
    assert_eq!(user["customFieldValues"][0]["value"], "3");
    let drafts: Vec<_> = twice.iter().take(2).map(|w| &w.draft).collect();
    let existing = store
        .existing_target_users(&scope, &drafts)
        .await
        .expect("read");
    let first = existing[0].as_ref().expect("row 0 exists");
    assert_eq!(first.resource_id, report.resource_ids[0]);
    assert_eq!((first.fields.len(), first.groups.len()), (1, 1));
    // A new row beyond the licence refuses the batch, updates included.
    let r = reference(&app, &token).await;
    let small = expect_data(post_company(&app, &token, None, form(&r, "Small Co", 1)).await).await
        ["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let small_scope = operator_scope(
        store
            .find_company(&ResourceId::parse(&small).expect("id"))
            .await
            .expect("read")
            .expect("company"),
        latchkey_domain::audit::Actor::admin("test"),
    );
    let rules = store.target_user_rules(&small_scope).await.expect("rules");
    let two: Vec<TargetUserWrite> = ["x@example.com", "y@example.com"]
        .iter()
        .map(|e| TargetUserWrite {
            draft: validate(
                &TargetUserInput {
                    email: Some((*e).into()),
                    ..Default::default()
                },
                &rules,
            )
            .expect("valid"),
            matching: Match::Email,
        })
        .collect();
    let refused = store
        .write_target_users(&small_scope, &two)
        .await
        .expect_err("over the licence");
    assert_eq!(
        refused.to_string(),
        "The company's licence allows 1 target users; it has 0, and adding 2 would make 2"
    );
    assert_eq!(
        search(&app, &token, Some(&small), json!({})).await["totalNumberOfRecords"],
        0
    );
}
