//! Search over people as it scales: the target-user counts company search shows (kept per
//! company by the database, not counted per search), and target-user text search through the
//! indexes (trigrams for substrings, a b-tree for the email's `=` and `StartsWith`), with
//! values of every length and the characters that are special to `LIKE` and to FTS5.
//!
//! That the indexed search finds exactly what the plain `LIKE` search finds is checked inside
//! the store, value by value (`crates/store/src/search/trigram_tests.rs`); these tests check
//! the answers through HTTP.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data};
use crate::target_users::{create_user, emails, search};

fn item(field: &str, op: &str, value: &str) -> Value {
    json!({"pageSize": 100, "orderBy": "Email", "ascending": true, "filter": {"filterGroups": [
        {"filterItems": [{"fieldName": field, "operator": op, "value": value}]}]}})
}

fn text(value: &str) -> Value {
    json!({"pageSize": 100, "orderBy": "Email", "ascending": true,
        "filter": {"searchInputTextValue": value}})
}

async fn company_row(app: &TestApp, token: &str, name: &str) -> Value {
    let page = expect_data(
        call(
            app,
            Method::POST,
            "/api/companies/search",
            token,
            None,
            Some(
                json!({"pageNumber": 1, "pageSize": 20, "orderBy": "Name", "ascending": true,
                "filter": {"filterGroups": [{"filterItems": [
                    {"fieldName": "Name", "operator": "=", "value": name}]}]}}),
            ),
        )
        .await,
    )
    .await;
    page["results"][0].clone()
}

#[tokio::test]
async fn company_search_shows_each_companys_target_user_counts() {
    let app = TestApp::spawn().await;
    let reseller = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Counted A", Some(&reseller), false);
    let b = create_company(&app, "Counted B", Some(&reseller), false);
    let token = app.reseller_token().await;
    let (at, bt) = (Some(a.as_str()), Some(b.as_str()));
    create_user(&app, &token, at, json!({"email": "active@a.example"})).await;
    create_user(
        &app,
        &token,
        at,
        json!({"email": "inactive@a.example", "isActive": false}),
    )
    .await;
    let gone = create_user(&app, &token, at, json!({"email": "gone@a.example"})).await;
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/target-users/{gone}"),
            &token,
            at,
            None,
        )
        .await,
    )
    .await;
    create_user(&app, &token, bt, json!({"email": "one@b.example"})).await;

    // Live users (what the licence counts), and beside them the inactive, the deleted, and
    // the active ones changed this month.
    let row = company_row(&app, &token, "Counted A").await;
    assert_eq!(row["targetUserCount"], 2, "{row}");
    assert_eq!(row["inactiveTargetUserCount"], 1, "{row}");
    assert_eq!(row["deletedTargetUserCount"], 1, "{row}");
    assert_eq!(row["monthlyActiveUserCount"], 1, "{row}");
    let row = company_row(&app, &token, "Counted B").await;
    assert_eq!(
        (
            &row["targetUserCount"],
            &row["inactiveTargetUserCount"],
            &row["deletedTargetUserCount"],
            &row["monthlyActiveUserCount"]
        ),
        (&json!(1), &json!(0), &json!(0), &json!(1)),
        "{row}"
    );
    // The same numbers where the company itself is read.
    let licence = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{a}/license-check"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (&licence["activeUserCount"], &licence["totalUserCount"]),
        (&json!(1), &json!(2))
    );
    let summary = expect_data(
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
    assert_eq!(
        summary,
        json!({"activeUserCount": 1, "inactiveUserCount": 1, "deletedUserCount": 1,
            "monthlyActiveUserCount": 1})
    );
    // Deactivating the last active user moves it between the counts at once.
    let active = search(&app, &token, at, item("Email", "=", "active@a.example")).await;
    let id = active["results"][0]["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            at,
            Some(json!({"email": "active@a.example", "isActive": false})),
        )
        .await,
    )
    .await;
    let row = company_row(&app, &token, "Counted A").await;
    assert_eq!(
        (
            &row["targetUserCount"],
            &row["inactiveTargetUserCount"],
            &row["monthlyActiveUserCount"]
        ),
        (&json!(2), &json!(2), &json!(0)),
        "{row}"
    );
    // The unfiltered total of a user search is the kept live count.
    let all = search(&app, &token, at, json!({"pageSize": 1})).await;
    assert_eq!(all["totalNumberOfRecords"], 2);
    assert_eq!(all["totalNumberOfPages"], 2);
}

/// `(email, first name, last name, department)`.
const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("john.smith@example.com", "John", "Smith", "Sales"),
    ("jane.doe@example.com", "Jane", "O\"Doe", "R&D"),
    ("percent@example.com", "Per", "100%", "a_b"),
    ("plain@example.com", "Pl", "100x", "axb"),
    ("emile@example.fr", "Émile", "Zoë", "Dépôt"),
    ("back@example.org", "Ba", "C:\\dir", "{x y} : \"z\""),
];

#[tokio::test]
async fn target_user_text_search_answers_at_every_value_length() {
    let app = TestApp::spawn().await;
    let customer = create_company(
        &app,
        "Searched",
        Some(&app.initial.company_resource_id),
        false,
    );
    let (id, secret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let token = app.token_for(&id, &secret).await;
    for (email, first, last, department) in PEOPLE {
        create_user(
            &app,
            &token,
            None,
            json!({"email": email, "firstName": first, "lastName": last, "department": department}),
        )
        .await;
    }
    for (request, expected) in [
        // Substrings of three characters or more go through the trigram index, shorter ones
        // are scanned; case is ignored either way.
        (
            item("Email", "Contains", "SMITH"),
            vec!["john.smith@example.com"],
        ),
        (
            item("Email", "Contains", "th@"),
            vec!["john.smith@example.com"],
        ),
        (
            item("Email", "Contains", "e@"),
            vec!["emile@example.fr", "jane.doe@example.com"],
        ),
        (item("Email", "EndsWith", ".FR"), vec!["emile@example.fr"]),
        // The email's b-tree.
        (
            item("Email", "StartsWith", "JOHN."),
            vec!["john.smith@example.com"],
        ),
        (
            item("Email", "=", "Jane.Doe@Example.com"),
            vec!["jane.doe@example.com"],
        ),
        (
            item("Email", "StartsWith", "j"),
            vec!["jane.doe@example.com", "john.smith@example.com"],
        ),
        // `LIKE` wildcards and the FTS5 query syntax are literal text.
        (
            item("LastName", "Contains", "100%"),
            vec!["percent@example.com"],
        ),
        (
            item("LastName", "Contains", "0%"),
            vec!["percent@example.com"],
        ),
        (
            item("Department", "Contains", "a_b"),
            vec!["percent@example.com"],
        ),
        (item("Department", "=", "A_B"), vec!["percent@example.com"]),
        (
            item("LastName", "Contains", "o\"d"),
            vec!["jane.doe@example.com"],
        ),
        (
            item("LastName", "Contains", ":\\d"),
            vec!["back@example.org"],
        ),
        (
            item("Department", "Contains", "} : \""),
            vec!["back@example.org"],
        ),
        (
            item("Department", "Contains", "r&d"),
            vec!["jane.doe@example.com"],
        ),
        // Letters beyond ASCII, as written.
        (
            item("FirstName", "Contains", "Émi"),
            vec!["emile@example.fr"],
        ),
        (item("LastName", "EndsWith", "oë"), vec!["emile@example.fr"]),
        (
            item("Department", "Contains", "pôt"),
            vec!["emile@example.fr"],
        ),
        // Free text: the email and the names.
        (text("smi"), vec!["john.smith@example.com"]),
        (text("JOHN"), vec!["john.smith@example.com"]),
        (text("Ba"), vec!["back@example.org"]),
        (
            text("100"),
            vec!["percent@example.com", "plain@example.com"],
        ),
        (text("0%"), vec!["percent@example.com"]),
        (text("\""), vec!["jane.doe@example.com"]),
        (text("sales"), vec![]),
    ] {
        assert_eq!(
            emails(&search(&app, &token, None, request.clone()).await),
            expected,
            "{request}"
        );
    }
}
