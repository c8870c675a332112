//! Inputs refused at the edge, once for every endpoint: NUL characters anywhere (JSON, forms,
//! URLs), invalid UTF-8, page numbers whose offset overflows, lists past the limits of
//! `latchkey_proto::limits`, and unknown company form fields. Each is an `INPUT_ERROR` that
//! says what is wrong, never a 500 and never a silently wrong answer.

use latchkey_proto::limits::{
    MAX_FILTER_DEPTH, MAX_FILTER_GROUPS, MAX_FILTER_ITEMS, MAX_INCLUDE_VALUES, MAX_LIST_LENGTH,
    MAX_PAGE_NUMBER,
};
use latchkey_testkit::TestApp;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::companies::{api_create_company, form, post_company, reference};
use crate::helpers::{call, expect_data, expect_envelope};

/// The validation messages of a 400 `INPUT_ERROR`.
async fn refused(response: reqwest::Response) -> Vec<String> {
    let body = expect_envelope(response, 400, "INPUT_ERROR").await;
    let messages: Vec<String> = body["validationMessages"]
        .as_array()
        .unwrap_or_else(|| panic!("validationMessages: {body}"))
        .iter()
        .map(|m| m.as_str().expect("text").to_owned())
        .collect();
    assert!(!messages.is_empty(), "{body}");
    messages
}

fn assert_says(messages: &[String], says: &str) {
    assert!(
        messages.iter().any(|m| m.contains(says)),
        "expected a message containing {says:?} in {messages:?}"
    );
}

fn name_filter(op: &str, value: &str) -> Value {
    json!({"filter": {"filterGroups": [{"filterItems": [
        {"fieldName": "Name", "operator": op, "value": value}]}]}})
}

async fn total(app: &TestApp, token: &str, path: &str, body: Value) -> i64 {
    expect_data(call(app, Method::POST, path, token, None, Some(body)).await).await
        ["totalNumberOfRecords"]
        .as_i64()
        .expect("total")
}

#[tokio::test]
async fn a_nul_in_any_json_string_or_key_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    api_create_company(&app, &token, &r, "Acme").await;
    api_create_company(&app, &token, &r, "Bravo").await;

    for (path, body, says) in [
        (
            "/api/companies/search",
            name_filter("Contains", "\0"),
            "filter.filterGroups[0].filterItems[0].value: must not contain the NUL character (U+0000)",
        ),
        (
            "/api/companies/search",
            json!({"filter": {"searchInputTextValue": "ac\u{0}me"}}),
            "filter.searchInputTextValue: must not contain the NUL character",
        ),
        (
            "/api/companies/search",
            json!({"orderBy": "Name\0"}),
            "orderBy: must not contain the NUL character",
        ),
        (
            "/api/companies/clients/search",
            json!({"filter": {"filterGroups": [{"filterItems": [
                {"fieldName": "Na\0me", "operator": "=", "value": "x"}]}]}}),
            "filter.filterGroups[0].filterItems[0].fieldName: must not contain",
        ),
        (
            "/api/company-groups",
            json!({"name": "Group\0One"}),
            "name: must not contain the NUL character",
        ),
        (
            "/api/roles",
            json!({"name": "Role", "description": "a\0b", "permissionResourceIdList": []}),
            "description: must not contain the NUL character",
        ),
        (
            "/api/system-users",
            json!({"firstName": "\0", "lastName": "Doe", "email": "jane@example.com"}),
            "firstName: must not contain the NUL character",
        ),
        (
            "/api/companies/search",
            json!({"pageSize": 10, "x\0y": 1}),
            "x\\u0000y: a property name must not contain the NUL character",
        ),
    ] {
        let messages =
            refused(call(&app, Method::POST, path, &token, None, Some(body)).await).await;
        assert_says(&messages, says);
    }
    // Nothing was stored, and the same searches without the NUL answer as before: a NUL never
    // reaches SQLite's LIKE, where `Contains "\0"` matched every row.
    let groups =
        expect_data(call(&app, Method::GET, "/api/company-groups", &token, None, None).await).await;
    assert_eq!(groups, json!([]));
    assert_eq!(
        total(
            &app,
            &token,
            "/api/companies/search",
            name_filter("Contains", "acme")
        )
        .await,
        1
    );
}

#[tokio::test]
async fn company_forms_refuse_nul_invalid_utf8_and_fields_they_do_not_have() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;

    // Multipart: a NUL in a text field, and bytes that are not UTF-8 (FF FE once read as a
    // UTF-16 byte-order mark and stored as what it decoded).
    let messages = refused(post_company(&app, &token, None, form(&r, "Nul\0Corp", 10)).await).await;
    assert_eq!(
        messages,
        ["Name must not contain the NUL character (U+0000)"]
    );
    let utf16 = form(&r, "x", 10).part("Address", Part::bytes(vec![0xFF, 0xFE, b'A', 0x00]));
    assert_eq!(
        refused(post_company(&app, &token, None, utf16).await).await,
        ["Address must be UTF-8 text"]
    );
    // URL-encoded and JSON forms are held to the same.
    let urlencoded = app
        .http
        .post(app.url("/api/companies"))
        .bearer_auth(&token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("Name=Caf%FF&Description=a%00b")
        .send()
        .await
        .expect("post");
    assert_eq!(
        refused(urlencoded).await,
        [
            "Name must be UTF-8 text",
            "Description must not contain the NUL character (U+0000)"
        ]
    );
    let messages = refused(
        call(
            &app,
            Method::POST,
            "/api/companies",
            &token,
            None,
            Some(json!({"Name": "a\0"})),
        )
        .await,
    )
    .await;
    assert_says(&messages, "name: must not contain the NUL character");

    // Fields the form does not have are refused by name, not ignored.
    let parent = api_create_company(&app, &token, &r, "Parent").await;
    let messages = refused(
        post_company(
            &app,
            &token,
            None,
            form(&r, "Child", 10).text("ParentCompanyResourceId", parent.clone()),
        )
        .await,
    )
    .await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_says(
        &messages,
        "ParentCompanyResourceId is not a field of the company form: a company is created under the caller's company, or under the reseller named by X-KEEPNET-Company-Id",
    );
    let messages = refused(
        post_company(
            &app,
            &token,
            None,
            form(&r, "Child", 10).text("Colour", "red"),
        )
        .await,
    )
    .await;
    assert_says(
        &messages,
        "Colour is not a field of the company form, whose fields are: Name,",
    );
    let update = |form: Form| {
        let (app, token, parent) = (&app, &token, &parent);
        async move {
            app.http
                .put(app.url(&format!("/api/companies/{parent}")))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .expect("put")
        }
    };
    let messages = refused(
        update(
            Form::new()
                .text("Name", "Renamed")
                .text("parentCompanyResourceId", "x"),
        )
        .await,
    )
    .await;
    assert_says(
        &messages,
        "parentCompanyResourceId is not a field of the company form",
    );
    let messages = refused(update(Form::new().text("ResourceId", parent.clone())).await).await;
    assert_says(
        &messages,
        "ResourceId is not a field of this form: the company is the one in the path",
    );
    let other_file = Form::new().part("Logo", Part::bytes(b"GIF89a".to_vec()).file_name("a.gif"));
    assert_says(
        &refused(update(other_file).await).await,
        "Logo: the form's only file is File",
    );
    // Nothing of the refused requests was stored.
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{parent}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["name"], "Parent");
    assert_eq!(
        total(&app, &token, "/api/companies/search", json!({})).await,
        1
    );
    // A form with only its own fields still works.
    expect_data(update(Form::new().text("Name", "Renamed")).await).await;
}

#[tokio::test]
async fn urls_with_nul_or_invalid_utf8_are_input_errors() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for (path, says) in [
        (
            "/api/companies/ab%00cd",
            "The URL path must not contain the NUL character (U+0000)",
        ),
        ("/api/companies/%FF%FE", "The URL path must be UTF-8 text"),
        (
            "/api/company-groups/%00",
            "The URL path must not contain the NUL character (U+0000)",
        ),
        (
            "/api/companies/my?companyId=%00",
            "Query parameter 'companyId' must not contain the NUL character (U+0000)",
        ),
        (
            "/api/companies/my?companyId=%E2%82",
            "Query parameter 'companyId' must be UTF-8 text",
        ),
        (
            "/console/api/companies/a%00",
            "The URL path must not contain the NUL character (U+0000)",
        ),
    ] {
        let response = app
            .http
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(refused(response).await, [says], "{path}");
    }
    // An id that is text but names nothing is still a 404.
    let response = call(
        &app,
        Method::GET,
        "/api/companies/nosuchcompany",
        &token,
        None,
        None,
    )
    .await;
    expect_envelope(response, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn page_numbers_are_bounded_so_the_offset_cannot_overflow() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    api_create_company(&app, &token, &r, "Acme").await;
    let range = format!("pageNumber must be between 1 and {MAX_PAGE_NUMBER}");
    for path in [
        "/api/companies/search",
        "/api/companies/clients/search",
        "/api/company-groups/search",
        "/api/system-users/search",
        "/api/roles/search",
    ] {
        for page in [
            json!(4_611_686_018_427_387_904_i64),
            json!(i64::MAX),
            json!(MAX_PAGE_NUMBER + 1),
            json!(0),
            json!(-1),
        ] {
            let messages = refused(
                call(
                    &app,
                    Method::POST,
                    path,
                    &token,
                    None,
                    Some(json!({"pageNumber": page})),
                )
                .await,
            )
            .await;
            assert_eq!(messages, std::slice::from_ref(&range), "{path} {page}");
        }
        // The last page is a page, empty here.
        let data = expect_data(
            call(
                &app,
                Method::POST,
                path,
                &token,
                None,
                Some(json!({"pageNumber": MAX_PAGE_NUMBER, "pageSize": 1000})),
            )
            .await,
        )
        .await;
        assert_eq!(data["results"], json!([]), "{path}");
        assert_eq!(data["pageNumber"], MAX_PAGE_NUMBER, "{path}");
        // Page sizes keep their documented range.
        for size in [0, -5, 1001] {
            let messages = refused(
                call(
                    &app,
                    Method::POST,
                    path,
                    &token,
                    None,
                    Some(json!({"pageSize": size})),
                )
                .await,
            )
            .await;
            assert_eq!(
                messages,
                ["pageSize must be between 1 and 1000"],
                "{path} {size}"
            );
        }
    }
    // Exports page the same way.
    let messages = refused(
        call(
            &app,
            Method::POST,
            "/api/companies/search/export",
            &token,
            None,
            Some(json!({"exportType": "Csv", "pageNumber": i64::MAX})),
        )
        .await,
    )
    .await;
    assert_eq!(messages, [range]);
}

#[tokio::test]
async fn lists_are_capped_and_the_cap_is_named() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let acme = api_create_company(&app, &token, &r, "Acme").await;
    let group = crate::helpers::create_group(&app, &token, "G", &[&acme]).await;

    // 200,000 Include values: "too many SQL variables" on both stores before.
    let huge = vec!["acme"; 200_000].join(",");
    let messages = refused(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            None,
            Some(name_filter("Include", &huge)),
        )
        .await,
    )
    .await;
    assert_eq!(
        messages,
        [format!(
            "a filter may have at most {MAX_INCLUDE_VALUES} Include values"
        )]
    );
    let at_cap = vec!["acme"; MAX_INCLUDE_VALUES].join(",");
    assert_eq!(
        total(
            &app,
            &token,
            "/api/companies/search",
            name_filter("Include", &at_cap)
        )
        .await,
        1
    );

    let too_many = MAX_LIST_LENGTH + 1;
    let ids: Vec<String> = (0..too_many).map(|i| format!("id{i:09}")).collect();
    let list_says = |path: &str| {
        format!(
            "{path}: a list may have at most {MAX_LIST_LENGTH} entries (this one has {too_many})"
        )
    };
    for (method, path, body, says) in [
        (
            Method::DELETE,
            "/api/companies/bulk-delete".to_owned(),
            json!({"items": ids}),
            list_says("items"),
        ),
        (
            Method::DELETE,
            "/api/companies/bulk-delete".to_owned(),
            json!({"selectAll": true, "excludedItems": ids}),
            list_says("excludedItems"),
        ),
        (
            Method::DELETE,
            "/api/company-groups/bulk-delete".to_owned(),
            json!({"items": ids}),
            list_says("items"),
        ),
        (
            Method::DELETE,
            "/api/system-users/bulk-delete".to_owned(),
            json!({"items": ids}),
            list_says("items"),
        ),
        (
            Method::PUT,
            format!("/api/company-groups/{group}/participants"),
            json!({"companyResourceIdArray": ids}),
            list_says("companyResourceIdArray"),
        ),
        (
            Method::PUT,
            format!("/api/company-groups/{group}/participants"),
            json!(ids),
            list_says("The request body"),
        ),
        (
            Method::POST,
            "/api/companies/get-with-groups".to_owned(),
            json!({"companyGroupResourceIds": ids}),
            list_says("companyGroupResourceIds"),
        ),
        (
            Method::POST,
            "/api/companies/search".to_owned(),
            json!({"filter": {"filterGroups": [{"filterItems": vec![json!({"fieldName": "Name", "value": "x"}); too_many]}]}}),
            list_says("filter.filterGroups[0].filterItems"),
        ),
        (
            Method::POST,
            "/api/companies/search".to_owned(),
            json!({"filter": {"filterGroups": [{"filterItems": vec![json!({"fieldName": "Name", "value": "x"}); MAX_FILTER_ITEMS + 1]}]}}),
            format!("a filter may have at most {MAX_FILTER_ITEMS} filterItems"),
        ),
        (
            Method::POST,
            "/api/companies/search".to_owned(),
            json!({"filter": {"filterGroups": vec![json!({}); MAX_FILTER_GROUPS + 1]}}),
            format!("a filter may have at most {MAX_FILTER_GROUPS} filterGroups"),
        ),
        (
            Method::POST,
            "/api/companies/search".to_owned(),
            json!({"filter": (0..=MAX_FILTER_DEPTH).fold(json!({}), |inner, _| json!({"filterGroups": [inner]}))}),
            format!("filterGroups may be nested at most {MAX_FILTER_DEPTH} deep"),
        ),
    ] {
        let messages = refused(call(&app, method, &path, &token, None, Some(body)).await).await;
        assert_eq!(messages, std::slice::from_ref(&says), "{path}");
    }
    // Nothing was deleted or changed by the refused calls.
    assert_eq!(
        total(&app, &token, "/api/companies/search", json!({})).await,
        1
    );
    let members = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/get-with-groups",
            &token,
            None,
            Some(json!({"companyGroupResourceIds": [group]})),
        )
        .await,
    )
    .await;
    assert_eq!(members, json!([acme]));

    // A company form's lists too: repeated fields and comma lists.
    let mut tags = form(&r, "Tagged", 10);
    for i in 0..too_many {
        tags = tags.text("Tags", format!("t{i}"));
    }
    assert_eq!(
        refused(post_company(&app, &token, None, tags).await).await,
        [format!(
            "Tags: a field may be repeated at most {MAX_LIST_LENGTH} times"
        )]
    );
    let commas = (0..too_many)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        refused(
            post_company(
                &app,
                &token,
                None,
                form(&r, "Tagged", 10).text("Tags", commas)
            )
            .await
        )
        .await,
        [format!("Tags may have at most {MAX_LIST_LENGTH} values")]
    );
}
