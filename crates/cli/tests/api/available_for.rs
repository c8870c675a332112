//! `POST /api/available-for/search`: the role form's "Make available for" picker.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

fn names(list: &Value) -> Vec<&str> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["companyName"]
                .as_str()
                .or(r["name"].as_str())
                .expect("name")
        })
        .collect()
}

#[tokio::test]
async fn lists_managed_companies_and_own_groups_by_name_without_the_picked_ones() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let north = create_company(&app, "Acme North", Some(&mine), false);
    create_company(&app, "Acme South", Some(&mine), false);
    create_company(&app, "Beta", Some(&mine), false);
    let sub = create_company(&app, "Sub MSSP", Some(&mine), true);
    create_company(&app, "Acme West", Some(&sub), false);
    let stranger = create_company(&app, "Other MSSP", None, true);
    create_company(&app, "Acme Elsewhere", Some(&stranger), false);
    let token = app.reseller_token().await;
    let group = |name: &'static str, members: Vec<String>| {
        let (app, token) = (&app, &token);
        async move {
            expect_data(
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
            .await["resourceId"]
                .as_str()
                .expect("id")
                .to_owned()
        }
    };
    let acme_group = group("Acme accounts", vec![north.clone()]).await;
    group("Beta accounts", vec![]).await;

    let search = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            expect_data(
                call(
                    app,
                    Method::POST,
                    "/api/available-for/search",
                    token,
                    None,
                    Some(body),
                )
                .await,
            )
            .await
        }
    };
    let found = search(json!({"name": "acme", "pageNumber": 1, "pageSize": 20})).await;
    assert_eq!(
        names(&found["companies"]),
        ["Acme North", "Acme South", "Acme West"],
        "the whole subtree by name, A to Z, and no stranger's company: {found}"
    );
    assert_eq!(names(&found["groups"]), ["Acme accounts"]);
    assert_eq!(found["groups"]["results"][0]["companyCount"], 1);
    assert_eq!(
        found["companies"]["results"][0]["companyResourceId"],
        north.as_str()
    );

    let rest = search(
        json!({"Name": "ACME", "PageSize": 20, "SelectedCompanyGroup": [
        {"ResourceId": north, "TypeName": "Company"},
        {"ResourceId": acme_group, "TypeName": "CompanyGroup"}]}),
    )
    .await;
    assert_eq!(
        (names(&rest["companies"]), names(&rest["groups"])),
        (vec!["Acme South", "Acme West"], vec![]),
        "picked entries are left out: {rest}"
    );

    let page =
        search(json!({"pageNumber": 2, "pageSize": 2, "orderBy": "Name", "ascending": false}))
            .await;
    assert_eq!(page["companies"]["totalNumberOfRecords"], 5, "{page}");
    assert_eq!(page["companies"]["totalNumberOfPages"], 3);
    assert_eq!(
        names(&page["companies"]),
        ["Acme West", "Acme South"],
        "Z to A: Sub MSSP, Beta | Acme West, Acme South | Acme North"
    );
    assert_eq!(page["groups"]["totalNumberOfRecords"], 2);
    assert_eq!(
        names(&page["groups"]),
        Vec::<&str>::new(),
        "past the last page"
    );

    let within_sub = expect_data(
        call(
            &app,
            Method::POST,
            "/api/available-for/search",
            &token,
            Some(&sub),
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(names(&within_sub["companies"]), ["Acme West"]);
    assert_eq!(within_sub["groups"]["totalNumberOfRecords"], 0);
}

#[tokio::test]
async fn bad_requests_are_input_errors_and_only_resellers_may_ask() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let stranger = create_company(&app, "Other MSSP", None, true);
    let (id, secret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let token = app.reseller_token().await;
    for (body, says) in [
        (
            json!({"orderBy": "NumberOfUsers"}),
            "orderBy 'NumberOfUsers' is not one of: Name, CreateTime",
        ),
        (
            json!({"selectedCompanyGroup": [{"resourceId": customer, "typeName": "Planet"}]}),
            "selectedCompanyGroup typeName 'Planet' must be Company or CompanyGroup",
        ),
        (
            json!({"selectedCompanyGroup": [{"resourceId": "not an id!", "typeName": "Company"}]}),
            "selectedCompanyGroup resourceId 'not an id!' is not a resource id",
        ),
        (
            json!({"pageSize": 0}),
            "pageSize must be between 1 and 1000",
        ),
    ] {
        let r = call(
            &app,
            Method::POST,
            "/api/available-for/search",
            &token,
            None,
            Some(body.clone()),
        )
        .await;
        let envelope = expect_envelope(r, 400, "INPUT_ERROR").await;
        assert!(
            envelope["validationMessages"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m == says)),
            "{body} -> {envelope}"
        );
    }
    // The contract's JSON Patch media type is read as JSON.
    let r = app
        .http
        .post(app.url("/api/available-for/search"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json-patch+json")
        .body(r#"{"name":"cust"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(names(&expect_data(r).await["companies"]), ["Customer"]);

    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/available-for/search",
            &token,
            Some(&stranger),
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    let admin = app.token_for(&id, &secret).await;
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/available-for/search",
            &admin,
            None,
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
}
