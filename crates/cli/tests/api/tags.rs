//! `POST /api/tags/search`: the distinct tags on the companies in the caller's reach.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

fn names(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|t| {
            assert_eq!(t["resourceId"], t["name"], "a tag is its text");
            t["name"].as_str().expect("name")
        })
        .collect()
}

#[tokio::test]
async fn tags_of_the_companies_in_reach_are_searched_and_paged() {
    let app = TestApp::spawn().await;
    let reseller = app.reseller_token().await;
    let r = reference(&app, &reseller).await;
    let mut customers = Vec::new();
    for (name, tags) in [
        ("Acme", vec!["gold", "emea"]),
        ("Bolt", vec!["gold", "nordics"]),
        ("Core", vec![]),
    ] {
        let mut f = form(&r, name, 10);
        for t in tags {
            f = f.text("Tags", t);
        }
        let id = expect_data(post_company(&app, &reseller, None, f).await).await["resourceId"]
            .as_str()
            .expect("id")
            .to_owned();
        customers.push(id);
    }
    // Another reseller's customer, whose tags nobody here may see.
    let other = create_company(&app, "Other MSSP", None, true);
    let (oid, osecret) = create_client(&app, &other, "Reseller", &[]);
    app.await_client_view().await;
    let other_token = app.token_for(&oid, &osecret).await;
    let mut f = form(&r, "Theirs", 10);
    f = f.text("Tags", "secret-tag").text("Tags", "gold");
    expect_data(post_company(&app, &other_token, None, f).await).await;

    let search = |token: String, company: Option<String>, body: Value| {
        let app = &app;
        async move {
            call(
                app,
                Method::POST,
                "/api/tags/search",
                &token,
                company.as_deref(),
                Some(body),
            )
            .await
        }
    };
    let all = expect_data(
        search(
            reseller.clone(),
            None,
            json!({"pageNumber": 1, "pageSize": 20, "orderBy": "Name", "ascending": true,
                   "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
        )
        .await,
    )
    .await;
    assert_eq!(names(&all), ["emea", "gold", "nordics"]);
    assert_eq!(all["totalNumberOfRecords"], 3);

    // Free text, a filter, paging, the count of companies.
    let text = expect_data(
        search(
            reseller.clone(),
            None,
            json!({"filter": {"SearchInputTextValue": "OR"}}),
        )
        .await,
    )
    .await;
    assert_eq!(names(&text), ["nordics"]);
    let popular = expect_data(
        search(
            reseller.clone(),
            None,
            json!({"filter": {"filterGroups": [{"filterItems": [
                {"fieldName": "CompanyCount", "operator": ">=", "value": "2"}]}]}}),
        )
        .await,
    )
    .await;
    assert_eq!(names(&popular), ["gold"]);
    let second = expect_data(
        search(
            reseller.clone(),
            None,
            json!({"pageNumber": 2, "pageSize": 2, "orderBy": "Name", "ascending": true}),
        )
        .await,
    )
    .await;
    assert_eq!(names(&second), ["nordics"]);
    assert_eq!(second["totalNumberOfPages"], 2);

    // Naming a customer narrows to its tags; naming a company not managed is refused.
    let acme = expect_data(
        search(
            reseller.clone(),
            Some(customers[0].clone()),
            json!({"orderBy": "Name", "ascending": true}),
        )
        .await,
    )
    .await;
    assert_eq!(names(&acme), ["emea", "gold"]);
    let theirs = expect_data(search(other_token.clone(), None, json!({})).await).await;
    assert_eq!(
        names(&theirs),
        ["secret-tag", "gold"],
        "by name, descending unless asked"
    );
    expect_envelope(
        search(reseller.clone(), Some(other.clone()), json!({})).await,
        403,
        "FORBIDDEN",
    )
    .await;
    let bad = search(reseller.clone(), None, json!({"orderBy": "Colour"})).await;
    let body = expect_envelope(bad, 400, "INPUT_ERROR").await;
    assert!(
        body["validationMessages"].to_string().contains("Name"),
        "{body}"
    );
}
