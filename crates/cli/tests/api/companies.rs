//! `/api/companies`: search, export, read, create, update, delete, licence check.

use latchkey_testkit::TestApp;
use reqwest::Method;
use reqwest::multipart::Form;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

/// Valid values for the nine required fields, read from the server's reference data.
pub struct Reference {
    pub industry: String,
    pub country: String,
    pub license_type: String,
    pub license_period: String,
    pub time_zone: String,
    pub date_format: String,
    pub time_format: String,
}

async fn first_of_type(app: &TestApp, token: &str, type_name: &str) -> String {
    let types =
        expect_data(call(app, Method::GET, "/api/codetypes", token, None, None).await).await;
    let id = types
        .as_array()
        .expect("types")
        .iter()
        .find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(type_name))
        })
        .unwrap_or_else(|| panic!("code type {type_name} in {types}"))["id"]
        .as_i64()
        .expect("id");
    let items = expect_data(
        call(
            app,
            Method::GET,
            &format!("/api/lookups/{id}"),
            token,
            None,
            None,
        )
        .await,
    )
    .await;
    items[0]["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

pub async fn reference(app: &TestApp, token: &str) -> Reference {
    let tz = expect_data(
        call(
            app,
            Method::GET,
            "/api/timezone/timezones",
            token,
            None,
            None,
        )
        .await,
    )
    .await;
    let text = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            other => other
                .get("name")
                .or_else(|| other.get("id"))
                .or_else(|| other.get("value"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }
    };
    Reference {
        industry: first_of_type(app, token, "Industry").await,
        country: first_of_type(app, token, "Country").await,
        license_type: first_of_type(app, token, "LicenseType").await,
        license_period: first_of_type(app, token, "LicensePeriodType").await,
        time_zone: tz["timeZoneList"][0]["id"]
            .as_str()
            .expect("tz id")
            .to_owned(),
        date_format: text(&tz["dateFormatList"][0]),
        time_format: text(&tz["timeFormatList"][0]),
    }
}

pub fn form(r: &Reference, name: &str, users: i64) -> Form {
    Form::new()
        .text("Name", name.to_owned())
        .text("IndustryResourceId", r.industry.clone())
        .text("CountryResourceId", r.country.clone())
        .text("LicenseTypeResourceId", r.license_type.clone())
        .text("LicensePeriodTypeResourceId", r.license_period.clone())
        .text("NumberOfUsers", users.to_string())
        .text("IsNumberOfUsersLimited", "true")
        .text("TimeZoneId", r.time_zone.clone())
        .text("DateFormat", r.date_format.clone())
        .text("TimeFormat", r.time_format.clone())
}

pub async fn post_company(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    form: Form,
) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/api/companies"))
        .bearer_auth(token)
        .multipart(form);
    if let Some(c) = company {
        req = req.header("X-KEEPNET-Company-Id", c);
    }
    req.send().await.expect("request")
}

pub async fn api_create_company(app: &TestApp, token: &str, r: &Reference, name: &str) -> String {
    let data = expect_data(post_company(app, token, None, form(r, name, 100)).await).await;
    data["resourceId"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_reseller_creates_reads_updates_and_deletes_a_company() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let f = form(&r, "Acme Corp", 100)
        .text("Description", "Customer since 2026")
        .text("LicenseStartDate", "2026-01-01")
        .text("LicenseEndDate", "2027-01-01")
        .text("Tags", "gold")
        .text("Tags", "emea")
        .text("Tags", "gold");
    let id = expect_data(post_company(&app, &token, None, f).await).await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(id.len(), 12);

    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["name"], "Acme Corp");
    assert_eq!(dto["industryResourceId"], r.industry.as_str());
    assert!(
        dto["industryName"].is_string()
            && dto["countryName"].is_string()
            && dto["licenseTypeName"].is_string(),
        "{dto}"
    );
    assert_eq!(dto["numberOfUsers"], 100);
    assert_eq!(dto["isNumberOfUsersLimited"], true);
    assert_eq!(dto["tags"], json!(["emea", "gold"]), "tags are a set");
    assert!(
        dto["licenseEndDate"]
            .as_str()
            .expect("date")
            .starts_with("2027-01-01")
    );

    let update = app
        .http
        .put(app.url(&format!("/api/companies/{id}")))
        .bearer_auth(&token)
        .multipart(
            Form::new()
                .text("NumberOfUsers", "250")
                .text("Name", "Acme Corporation"),
        )
        .send()
        .await
        .expect("put");
    expect_data(update).await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (dto["name"].as_str(), dto["numberOfUsers"].as_i64()),
        (Some("Acme Corporation"), Some(250))
    );
    assert_eq!(
        dto["industryResourceId"],
        r.industry.as_str(),
        "fields not sent are kept"
    );

    let check = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{id}/license-check"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        check,
        json!({"isLimited": true, "licenseLimit": 250, "activeUserCount": 0, "totalUserCount": 0, "isLicenseExceeded": false})
    );

    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{id}"),
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn the_form_is_validated_against_the_reference_data() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let err = expect_envelope(
        post_company(&app, &token, None, Form::new().text("Name", "x")).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let messages = err["validationMessages"].as_array().expect("messages");
    assert_eq!(
        messages.len(),
        8,
        "eight required fields missing: {messages:?}"
    );
    let r = reference(&app, &token).await;
    // A country id where an industry belongs, and ids that exist nowhere.
    let bad = form(
        &Reference {
            industry: r.country.clone(),
            ..reference(&app, &token).await
        },
        "x",
        10,
    )
    .text("LicenseModuleResourceIdArray", "NoSuchModule")
    .text("TimeZoneId", "Mars/Olympus");
    let err = expect_envelope(
        post_company(&app, &token, None, bad).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let text = err["validationMessages"].to_string();
    assert!(text.contains("IndustryResourceId"), "{text}");
    assert!(text.contains("TimeZoneId"), "{text}");
    assert!(text.contains("NoSuchModule"), "{text}");
    let err = expect_envelope(
        post_company(&app, &token, None, form(&r, "x", -5)).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        err["validationMessages"]
            .to_string()
            .contains("NumberOfUsers"),
        "{err}"
    );
}

#[tokio::test]
async fn search_orders_by_every_listed_field_and_matches_names_ignoring_case() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    for name in ["ALPHA Corp", "alphabet soup", "Bravo"] {
        api_create_company(&app, &token, &r, name).await;
    }
    let fields = [
        "Name",
        "CompanyName",
        "ResourceId",
        "CompanyResourceId",
        "IndustryResourceId",
        "LicenseTypeResourceId",
        "CountryResourceId",
        "NumberOfUsers",
        "IsNumberOfUsersLimited",
        "TargetUserCount",
        "IsReseller",
        "StatusId",
        "LicenseEndDate",
        "RenewalDate",
        "LicenseStartDate",
        "CreateTime",
    ];
    for field in fields {
        for ascending in [true, false] {
            let page = expect_data(
                call(
                    &app,
                    Method::POST,
                    "/api/companies/search",
                    &token,
                    None,
                    Some(json!({"orderBy": field, "ascending": ascending})),
                )
                .await,
            )
            .await;
            assert_eq!(page["totalNumberOfRecords"], 3, "orderBy {field}: {page}");
        }
    }
    for (op, value, expected) in [
        ("Contains", "lPhA", 2),
        ("StartsWith", "ALPHABET", 1),
        ("=", "bravo", 1),
        ("Include", "BRAVO,alpha corp", 2),
    ] {
        let page = expect_data(call(&app, Method::POST, "/api/companies/search", &token, None,
            Some(json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "Name", "operator": op, "value": value}]}]}}))).await).await;
        assert_eq!(
            page["totalNumberOfRecords"], expected,
            "Name {op} {value}: {page}"
        );
    }
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            None,
            Some(json!({"filter": {"searchInputTextValue": "ALPHAB"}})),
        )
        .await,
    )
    .await;
    assert_eq!(page["results"][0]["companyName"], "alphabet soup", "{page}");
    assert_eq!(page["totalNumberOfRecords"], 1);
}

#[tokio::test]
async fn search_pages_filters_and_nests_children() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    for name in ["Alpha", "Bravo", "Charlie"] {
        api_create_company(&app, &token, &r, name).await;
    }
    let sub = create_company(
        &app,
        "Sub MSSP",
        Some(&app.initial.company_resource_id),
        true,
    );
    create_company(&app, "Sub customer", Some(&sub), false);
    let body = json!({"pageNumber": 1, "pageSize": 2, "orderBy": "Name", "ascending": true,
                      "filter": {"Condition": "AND", "SearchInputTextValue": ""}});
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            None,
            Some(body),
        )
        .await,
    )
    .await;
    assert_eq!(
        page["totalNumberOfRecords"], 5,
        "the reseller's own company is not its customer: {page}"
    );
    assert_eq!(page["totalNumberOfPages"], 3);
    assert_eq!(page["limitExceededCompanyCount"], 0);
    let first = &page["results"][0];
    assert_eq!(first["companyName"], "Alpha");
    assert_eq!(first["companyResourceId"], first["resourceId"]);
    assert_eq!(first["resellerName"], "Default Reseller");
    assert_eq!(first["numberOfUsers"], "100");
    assert!(first["licenseTypeName"].is_string());

    let sub_page = expect_data(call(&app, Method::POST, "/api/companies/search", &token, None,
        Some(json!({"filter": {"filterGroups": [{"filterItems": [{"FieldName": "Name", "Operator": "=", "Value": "sub mssp"}]}]}}))).await).await;
    assert_eq!(
        sub_page["results"][0]["children"][0]["companyName"], "Sub customer",
        "{sub_page}"
    );

    let over = expect_data(call(&app, Method::POST, "/api/companies/search", &token, None,
        Some(json!({"isTargetUserCountExceededLimit": true, "pageSize": 20, "orderBy": "CreateTime", "ascending": false}))).await).await;
    assert_eq!(over["totalNumberOfRecords"], 0);

    let r = call(&app, Method::POST, "/api/companies/search/export", &token, None, Some(json!({"exportType": "Csv", "reportAllPages": true, "orderBy": "Name", "ascending": true}))).await;
    let csv = r.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(
        csv.lines().nth(1).expect("row").starts_with("Alpha,"),
        "{csv}"
    );
}

/// Searches read a narrow copy of each company kept by the database; every write must reach it
/// in the same request.
#[tokio::test]
async fn search_sees_every_change_to_a_company_at_once() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let id = api_create_company(&app, &token, &r, "Zephyr Ltd").await;
    let search = |name: &'static str, min_users: i64| {
        json!({"pageNumber": 1, "pageSize": 20, "filter": {"filterGroups": [{"filterItems": [
            {"fieldName": "Name", "operator": "Contains", "value": name},
            {"fieldName": "NumberOfUsers", "operator": ">=", "value": min_users.to_string()}]}]}})
    };
    let find = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            expect_data(
                call(
                    app,
                    Method::POST,
                    "/api/companies/search",
                    token,
                    None,
                    Some(body),
                )
                .await,
            )
            .await
        }
    };
    let page = find(search("zephyr", 100)).await;
    assert_eq!(page["totalNumberOfRecords"], 1, "{page}");
    assert_eq!(page["results"][0]["resourceId"], id.as_str());

    let update = app
        .http
        .put(app.url(&format!("/api/companies/{id}")))
        .bearer_auth(&token)
        .multipart(
            Form::new()
                .text("Name", "Boreal Ltd")
                .text("NumberOfUsers", "250")
                .text("LicenseEndDate", "2030-06-30")
                .text("Tags", "nordics")
                .text("Tags", "gold"),
        )
        .send()
        .await
        .expect("put");
    expect_data(update).await;
    let gone = find(search("zephyr", 0)).await;
    assert_eq!(gone["totalNumberOfRecords"], 0, "old name: {gone}");
    let page = find(search("BOREAL", 200)).await;
    assert_eq!(page["totalNumberOfRecords"], 1, "new name and size: {page}");
    let row = &page["results"][0];
    assert_eq!(
        (&row["companyName"], &row["numberOfUsers"], &row["tags"]),
        (
            &json!("Boreal Ltd"),
            &json!("250"),
            &json!(["gold", "nordics"])
        )
    );
    assert!(
        row["licenseEndDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("2030-06-30")),
        "{row}"
    );

    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let page = find(search("boreal", 0)).await;
    assert_eq!(page["totalNumberOfRecords"], 0, "deleted: {page}");
}

#[tokio::test]
async fn company_admins_and_strangers_are_kept_out() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let a = api_create_company(&app, &token, &r, "Company A").await;
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let (aid, asecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&aid, &asecret).await;

    // A company admin reads its own company, and nothing reseller-only.
    expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{a}"),
            &admin,
            None,
            None,
        )
        .await,
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
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
        post_company(&app, &admin, None, form(&r, "Spawn", 1)).await,
        403,
        "FORBIDDEN",
    )
    .await;
    let put = app
        .http
        .put(app.url(&format!("/api/companies/{a}")))
        .bearer_auth(&admin)
        .multipart(Form::new().text("NumberOfUsers", "99999"))
        .send()
        .await
        .expect("put");
    expect_envelope(put, 403, "FORBIDDEN").await;
    expect_envelope(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/{a}"),
            &admin,
            None,
            None,
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;

    // Neither the admin nor the reseller reaches B.
    for attacker in [&admin, &token] {
        expect_envelope(
            call(
                &app,
                Method::GET,
                &format!("/api/companies/{b}"),
                attacker,
                None,
                None,
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
        expect_envelope(
            call(
                &app,
                Method::GET,
                &format!("/api/companies/{b}/license-check"),
                attacker,
                None,
                None,
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
        expect_envelope(
            call(
                &app,
                Method::DELETE,
                &format!("/api/companies/{b}"),
                attacker,
                None,
                None,
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
        let put = app
            .http
            .put(app.url(&format!("/api/companies/{b}")))
            .bearer_auth(attacker)
            .multipart(Form::new().text("Name", "pwned"))
            .send()
            .await
            .expect("put");
        expect_envelope(put, 403, "FORBIDDEN").await;
    }
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            Some(&b),
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_envelope(
        post_company(&app, &token, Some(&other_mssp), form(&r, "Planted", 1)).await,
        403,
        "FORBIDDEN",
    )
    .await;
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/search",
            &token,
            None,
            Some(json!({"pageSize": 100})),
        )
        .await,
    )
    .await;
    assert!(!page.to_string().contains("Company B"));
    expect_envelope(
        call(
            &app,
            Method::GET,
            "/api/companies/ZZZZZZZZZZZZ",
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    // A reseller cannot raise its own licence.
    let own = app.initial.company_resource_id.clone();
    let put = app
        .http
        .put(app.url(&format!("/api/companies/{own}")))
        .bearer_auth(&token)
        .multipart(Form::new().text("NumberOfUsers", "99999"))
        .send()
        .await
        .expect("put");
    expect_envelope(put, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn deleting_a_company_revokes_its_clients_and_refuses_while_it_has_children() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let sub = create_company(
        &app,
        "Sub MSSP",
        Some(&app.initial.company_resource_id),
        true,
    );
    let leaf = create_company(&app, "Leaf", Some(&sub), false);
    let (id, secret) = create_client(&app, &leaf, "Company Admin", &[]);
    app.await_client_view().await;
    let live = app.token_for(&id, &secret).await;
    let err = expect_envelope(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/{sub}"),
            &token,
            None,
            None,
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        err["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("under it"),
        "{err}"
    );
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/{leaf}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    expect_envelope(app.companies_my(&live).await, 401, "UNAUTHORIZED").await;
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/{sub}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn bulk_delete_takes_listed_or_filtered_companies_all_or_none() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let sub = create_company(&app, "Sub MSSP", Some(&mine), true);
    let leaf = create_company(&app, "Leaf", Some(&sub), false);
    let keep = create_company(&app, "Keep 1", Some(&mine), false);
    let drop1 = create_company(&app, "Drop 1", Some(&mine), false);
    let drop2 = create_company(&app, "Drop 2", Some(&mine), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let theirs = create_company(&app, "Theirs", Some(&other_mssp), false);
    let (id, secret) = create_client(&app, &leaf, "Company Admin", &[]);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    app.await_client_view().await;
    let live = app.token_for(&id, &secret).await;
    let owner = app.token_for(&oid, &osecret).await;
    let bulk = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            call(
                app,
                Method::DELETE,
                "/api/companies/bulk-delete",
                token,
                None,
                Some(body),
            )
            .await
        }
    };
    let exists_for = |token: String, id: String| {
        let app = &app;
        async move {
            call(
                app,
                Method::GET,
                &format!("/api/companies/{id}"),
                &token,
                None,
                None,
            )
            .await
            .status()
            .as_u16()
                == 200
        }
    };
    let exists = |id: String| exists_for(token.clone(), id);
    let theirs_exists = || exists_for(owner.clone(), theirs.clone());

    // A reseller without the company under it: refused, and Keep 1 listed beside it stays.
    let err = expect_envelope(
        bulk(json!({"items": [keep, sub]})).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        err["validationMessages"][0],
        "Sub MSSP has 1 company under it; move or delete them first"
    );
    assert!(
        exists(keep.clone()).await,
        "nothing is deleted when one is refused"
    );
    // Another tenant's company or an unknown one: refused before anything is deleted.
    expect_envelope(
        bulk(json!({"items": [keep, theirs]})).await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_envelope(
        bulk(json!({"items": [keep, "NoSuchCompny"]})).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert!(exists(keep.clone()).await && theirs_exists().await);

    // Listed with its child, in any order, the reseller goes; so do its clients' tokens.
    let done = expect_data(bulk(json!({"items": [sub, leaf]})).await).await;
    assert_eq!(done["resourceId"], "2");
    assert!(!exists(sub.clone()).await && !exists(leaf.clone()).await);
    expect_envelope(app.companies_my(&live).await, 401, "UNAUTHORIZED").await;

    // Everything a filter matches, except the excluded ones.
    let done = expect_data(
        bulk(json!({"selectAll": true, "excludedItems": [drop2],
            "filter": {"filterGroups": [{"filterItems": [
                {"fieldName": "Name", "operator": "StartsWith", "value": "drop"}]}]}}))
        .await,
    )
    .await;
    assert_eq!(done["resourceId"], "1");
    assert!(!exists(drop1.clone()).await);
    assert!(exists(drop2.clone()).await && exists(keep.clone()).await);
    assert!(
        exists(mine.clone()).await && theirs_exists().await,
        "never the caller's own company, never another tenant's"
    );
}

#[tokio::test]
async fn a_logo_comes_with_the_form_and_is_read_back() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), b"IHDR and the rest"].concat();
    let file = |bytes: Vec<u8>, name: &str| {
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned())
    };
    let id = expect_data(
        post_company(
            &app,
            &token,
            None,
            form(&r, "Logo Corp", 10).part("File", file(png.clone(), "C:\\art\\logo.png")),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let read = |token: String, id: String| {
        let app = &app;
        async move {
            call(
                app,
                Method::GET,
                &format!("/api/companies/{id}/logo"),
                &token,
                None,
                None,
            )
            .await
        }
    };
    let logo = expect_data(read(token.clone(), id.clone()).await).await;
    assert_eq!(
        logo,
        json!({"fileName": "logo.png", "fileContent": b64(&png)}),
        "the file name without its client-side folders"
    );

    let put = |form: Form| {
        let (app, token, id) = (&app, &token, &id);
        async move {
            app.http
                .put(app.url(&format!("/api/companies/{id}")))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .expect("put")
        }
    };
    let gif = b"GIF89a and pixels".to_vec();
    expect_data(put(Form::new().part("File", file(gif.clone(), "new.gif"))).await).await;
    assert_eq!(
        expect_data(read(token.clone(), id.clone()).await).await["fileContent"],
        b64(&gif)
    );
    for (bytes, says) in [
        (
            b"<svg onload=alert(1)>".to_vec(),
            "File must be a PNG, JPEG, GIF or WebP image",
        ),
        (
            [png.as_slice(), &vec![0; 1024 * 1024]].concat(),
            "File must be at most 1024 KiB",
        ),
    ] {
        let err = expect_envelope(
            put(Form::new().part("File", file(bytes, "x.png"))).await,
            400,
            "INPUT_ERROR",
        )
        .await;
        assert_eq!(err["validationMessages"], json!([says]));
    }
    assert_eq!(
        expect_data(read(token.clone(), id.clone()).await).await["fileContent"],
        b64(&gif),
        "a refused file leaves the logo as it was"
    );
    expect_data(put(Form::new().text("Description", "no file this time")).await).await;
    assert_eq!(
        expect_data(read(token.clone(), id.clone()).await).await["fileName"],
        "new.gif",
        "an update without a file keeps the logo"
    );

    // The company itself may read it; another tenant may not; no logo reads as nulls.
    let (cid, secret) = create_client(&app, &id, "Company Admin", &[]);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    app.await_client_view().await;
    let own = app.token_for(&cid, &secret).await;
    expect_data(read(own, id.clone()).await).await;
    let stranger = app.token_for(&oid, &osecret).await;
    expect_envelope(read(stranger, id.clone()).await, 403, "FORBIDDEN").await;
    let plain = create_company(&app, "Plain", Some(&app.initial.company_resource_id), false);
    assert_eq!(
        expect_data(read(token.clone(), plain).await).await,
        json!({"fileName": null, "fileContent": null})
    );
}

#[tokio::test]
async fn a_company_admin_changes_its_profile_but_not_its_licence() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let id = api_create_company(&app, &token, &r, "Acme").await;
    let other = api_create_company(&app, &token, &r, "Other").await;
    let (cid, secret) = create_client(&app, &id, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&cid, &secret).await;
    let limited = |token: String, form: Form| {
        let app = &app;
        async move {
            app.http
                .put(app.url("/api/companies/limited"))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .expect("put")
        }
    };
    let profile = |company: &str, name: &str| {
        Form::new()
            .text("ResourceId", company.to_owned())
            .text("Name", name.to_owned())
            .text("IndustryResourceId", r.industry.clone())
            .text("CountryResourceId", r.country.clone())
    };
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), b"pixels"].concat();
    let done = expect_data(
        limited(
            admin.clone(),
            profile(&id, "Acme Renamed")
                .text("Address", "1 Main Street")
                .text("TimeZoneId", r.time_zone.clone())
                .part(
                    "File",
                    reqwest::multipart::Part::bytes(png).file_name("a.png"),
                ),
        )
        .await,
    )
    .await;
    assert_eq!(done["resourceId"], id.as_str());
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{id}"),
            &admin,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (&dto["name"], &dto["address"], &dto["numberOfUsers"]),
        (&json!("Acme Renamed"), &json!("1 Main Street"), &json!(100))
    );
    let logo = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{id}/logo"),
            &admin,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(logo["fileName"], "a.png");

    // The licence stays the reseller's; the four required fields must be sent.
    let err = expect_envelope(
        limited(
            admin.clone(),
            profile(&id, "Acme")
                .text("NumberOfUsers", "100000")
                .text("Tags", "a")
                .text("Tags", "b"),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        err["validationMessages"],
        json!([
            "NumberOfUsers cannot be changed here; the company's reseller changes it with PUT /api/companies/{resourceId}",
            "Tags cannot be changed here; the company's reseller changes it with PUT /api/companies/{resourceId}"
        ])
    );
    let err = expect_envelope(
        limited(
            admin.clone(),
            Form::new().text("ResourceId", id.clone()).text("Name", "X"),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        err["validationMessages"],
        json!([
            "IndustryResourceId is required",
            "CountryResourceId is required"
        ])
    );

    // Not another company's profile; the reseller may change its customer's.
    expect_envelope(
        limited(admin.clone(), profile(&other, "Mine now")).await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_data(limited(token.clone(), profile(&other, "Other Renamed")).await).await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/{other}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["name"], "Other Renamed");
}

/// Writes that read before they change (a delete checks the children first) run side by side
/// without failing: on SQLite a write transaction takes the write lock when it begins, so
/// none has to upgrade a read snapshot that another writer has made stale.
#[tokio::test]
async fn concurrent_deletes_and_creates_all_succeed() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let ids: Vec<String> = (0..12)
        .map(|i| create_company(&app, &format!("Doomed {i}"), Some(&mine), false))
        .collect();
    let mut requests = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        let delete = app
            .http
            .delete(app.url(&format!("/api/companies/{id}")))
            .bearer_auth(&token);
        // Creations that only write, beside deletions that read first.
        let create = app
            .http
            .post(app.url("/api/company-groups"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("Group {i}"), "companyResourceIdArray": []}));
        for request in [delete, create] {
            requests.spawn(async move {
                let response = request.send().await.expect("request");
                (
                    response.status().as_u16(),
                    response.text().await.unwrap_or_default(),
                )
            });
        }
    }
    let mut failed = Vec::new();
    while let Some(done) = requests.join_next().await {
        let (status, body) = done.expect("request task");
        if status != 200 {
            failed.push(format!("{status} {body}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
