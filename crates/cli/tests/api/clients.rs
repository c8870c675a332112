//! `/api/companies/clients`: the REST API page's operations.

use latchkey_testkit::{TestApp, jwt_parts};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    api_create_client, call, create_client, create_company, expect_data, expect_envelope,
};

const ADMIN: &str = "RoleCompAdmn";
const RESELLER: &str = "RoleReseller";

#[tokio::test]
async fn generated_credentials_are_fresh_strong_and_not_cached() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = call(
        &app,
        Method::GET,
        "/api/companies/clients/generate-client-credentials",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
    let a = expect_data(r).await;
    let b = expect_data(
        call(
            &app,
            Method::GET,
            "/api/companies/clients/generate-client-credentials",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(a["clientId"].as_str().expect("id").len(), 20);
    assert_eq!(a["clientSecret"].as_str().expect("secret").len(), 43);
    assert_ne!(a["clientSecret"], b["clientSecret"]);
}

#[tokio::test]
async fn a_created_client_reads_back_without_its_secret_and_gets_tokens() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (rid, id, secret) = api_create_client(
        &app,
        &token,
        None,
        "SIEM export",
        &[ADMIN],
        Some(&["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"]),
    )
    .await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/clients/{rid}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        dto,
        json!({"resourceId": rid, "name": "SIEM export", "clientId": id, "clientSecret": null, "statusId": 1,
               "statusName": "Active", "hasIpAddressRestriction": true,
               "allowedIpAddresses": ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"], "roleResourceIdList": [ADMIN]})
    );
    let claims = jwt_parts(&app.token_for(&id, &secret).await).1;
    assert_eq!(claims["role"], "Company Admin");
    assert_eq!(
        claims["user_company_resourceid"],
        app.initial.company_resource_id
    );
}

#[tokio::test]
async fn json_patch_content_type_and_pascal_case_are_accepted() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let creds = expect_data(
        call(
            &app,
            Method::GET,
            "/api/companies/clients/generate-client-credentials",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let body = json!({"Name": "Pascal", "ClientId": creds["clientId"], "ClientSecret": creds["clientSecret"],
                      "StatusId": 1, "RoleResourceIdList": [ADMIN]});
    let r = app
        .http
        .post(app.url("/api/companies/clients"))
        .bearer_auth(&token)
        .header("content-type", "application/json-patch+json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    expect_data(r).await;
    let r = app
        .http
        .post(app.url("/api/companies/clients/search"))
        .bearer_auth(&token)
        .header("content-type", "application/json-patch+json")
        .body(r#"{"PageNumber":1,"PageSize":10,"OrderBy":"CreateTime","Ascending":false,"Filter":{"Condition":"AND","SearchInputTextValue":"pasc"}}"#)
        .send()
        .await
        .expect("request");
    let data = expect_data(r).await;
    assert_eq!(data["totalNumberOfRecords"], 1, "{data}");
}

#[tokio::test]
async fn invalid_bodies_get_every_validation_message() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let body = json!({"name": "", "statusId": 7, "hasIpAddressRestriction": true,
                      "allowedIpAddresses": ["300.1.1.1", "10.0.0.0/33"], "roleResourceIdList": []});
    let r = call(
        &app,
        Method::POST,
        "/api/companies/clients",
        &token,
        None,
        Some(body),
    )
    .await;
    let err = expect_envelope(r, 400, "INPUT_ERROR").await;
    let messages: Vec<String> = err["validationMessages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m.as_str().unwrap_or("").to_owned())
        .collect();
    for expected in [
        "Client name",
        "Client ID is required",
        "Client secret is required",
        "statusId must be 1",
        "Role should be selected",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{expected}: {messages:?}"
        );
    }
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.starts_with("Invalid ip address"))
            .count(),
        2,
        "{messages:?}"
    );

    // Restricted with no address at all.
    let body = json!({"name": "x", "clientId": "abcdefghijklmnop", "clientSecret": "Q7v2m9XkP4tL8wZr1bN6cJ3hF5dS0gYa",
                      "statusId": 1, "hasIpAddressRestriction": true, "allowedIpAddresses": [], "roleResourceIdList": [ADMIN]});
    let r = call(
        &app,
        Method::POST,
        "/api/companies/clients",
        &token,
        None,
        Some(body),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;

    // A weak caller-chosen secret.
    let body = json!({"name": "x", "clientId": "abcdefghijklmnop", "clientSecret": "password",
                      "statusId": 1, "roleResourceIdList": [ADMIN]});
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/clients",
            &token,
            None,
            Some(body),
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
            .contains("secret"),
        "{err}"
    );

    // Not JSON at all, and a wrong type.
    let r = app
        .http
        .post(app.url("/api/companies/clients"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("r");
    expect_envelope(r, 400, "INPUT_ERROR").await;
    let r = call(
        &app,
        Method::POST,
        "/api/companies/clients",
        &token,
        None,
        Some(json!({"statusId": "active"})),
    )
    .await;
    let err = expect_envelope(r, 400, "INPUT_ERROR").await;
    assert!(
        err["validationMessages"][0]
            .as_str()
            .expect("m")
            .starts_with("statusId"),
        "{err}"
    );
}

#[tokio::test]
async fn client_ids_are_unique_and_roles_must_be_available() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (_, id, _) = api_create_client(&app, &token, None, "one", &[ADMIN], None).await;
    let body = json!({"name": "two", "clientId": id, "clientSecret": "Q7v2m9XkP4tL8wZr1bN6cJ3hF5dS0gYa", "statusId": 1, "roleResourceIdList": [ADMIN]});
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/clients",
            &token,
            None,
            Some(body),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;

    // A customer company cannot have a Reseller client.
    let customer = create_company(
        &app,
        "Customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let body = json!({"name": "x", "clientId": "customerclient01", "clientSecret": "Q7v2m9XkP4tL8wZr1bN6cJ3hF5dS0gYa", "statusId": 1, "roleResourceIdList": [RESELLER]});
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/clients",
            &token,
            Some(&customer),
            Some(body),
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
            .contains("not available"),
        "{err}"
    );
}

#[tokio::test]
async fn updates_apply_to_live_tokens_before_the_response_returns() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (rid, id, secret) = api_create_client(&app, &token, None, "live", &[RESELLER], None).await;
    let live = app.token_for(&id, &secret).await;
    assert_eq!(app.companies_my(&live).await.status(), 200);
    let path = format!("/api/companies/clients/{rid}");
    let put = |body: Value| call(&app, Method::PUT, &path, &token, None, Some(body));

    // Deactivate: no waiting, the very next call is refused.
    expect_data(put(json!({"name": "live", "clientId": id, "statusId": 0, "roleResourceIdList": [RESELLER]})).await).await;
    expect_envelope(app.companies_my(&live).await, 401, "UNAUTHORIZED").await;
    assert_eq!(app.token_post(&id, &secret).await.status(), 400);

    // Reactivate with an allow-list that excludes this machine.
    expect_data(
        put(
            json!({"name": "live", "clientId": id, "statusId": 1, "hasIpAddressRestriction": true,
                   "allowedIpAddresses": ["192.0.2.0/24"], "roleResourceIdList": [RESELLER]}),
        )
        .await,
    )
    .await;
    expect_envelope(app.companies_my(&live).await, 403, "FORBIDDEN").await;

    // Role narrowed to Company Admin: the reseller's reach shrinks on the same token.
    let child = create_company(&app, "Child", Some(&app.initial.company_resource_id), false);
    expect_data(put(json!({"name": "live", "clientId": id, "statusId": 1, "roleResourceIdList": [RESELLER]})).await).await;
    let r = call(
        &app,
        Method::GET,
        "/api/companies/my",
        &live,
        Some(&child),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    expect_data(
        put(json!({"name": "live", "clientId": id, "statusId": 1, "roleResourceIdList": [ADMIN]}))
            .await,
    )
    .await;
    let r = call(
        &app,
        Method::GET,
        "/api/companies/my",
        &live,
        Some(&child),
        None,
    )
    .await;
    expect_envelope(r, 403, "FORBIDDEN").await;

    // Rotate the secret: the old one stops working, the new one works, live tokens survive.
    let fresh = expect_data(
        call(
            &app,
            Method::GET,
            "/api/companies/clients/generate-client-credentials",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let new_secret = fresh["clientSecret"].as_str().expect("secret");
    expect_data(put(json!({"name": "renamed", "clientId": id, "clientSecret": new_secret, "statusId": 1, "roleResourceIdList": [ADMIN]})).await).await;
    assert_eq!(app.token_post(&id, &secret).await.status(), 400);
    assert_eq!(app.token_post(&id, new_secret).await.status(), 200);
    let dto = expect_data(call(&app, Method::GET, &path, &token, None, None).await).await;
    assert_eq!(dto["name"], "renamed");
    assert!(dto["clientSecret"].is_null());
}

#[tokio::test]
async fn deleting_refuses_live_tokens_and_the_client_is_gone() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (rid, id, secret) = api_create_client(&app, &token, None, "doomed", &[ADMIN], None).await;
    let live = app.token_for(&id, &secret).await;
    let path = format!("/api/companies/clients/{rid}");
    let data = expect_data(call(&app, Method::DELETE, &path, &token, None, None).await).await;
    assert_eq!(data["resourceId"], rid);
    expect_envelope(app.companies_my(&live).await, 401, "UNAUTHORIZED").await;
    expect_envelope(
        call(&app, Method::GET, &path, &token, None, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(&app, Method::DELETE, &path, &token, None, None).await,
        404,
        "NOT_FOUND",
    )
    .await;
}

async fn search(app: &TestApp, token: &str, body: Value) -> Value {
    expect_data(
        call(
            app,
            Method::POST,
            "/api/companies/clients/search",
            token,
            None,
            Some(body),
        )
        .await,
    )
    .await
}

fn names(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["clientName"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn search_filters_sorts_and_pages() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for name in ["Alpha SIEM", "Beta SOAR", "Gamma SIEM"] {
        api_create_client(&app, &token, None, name, &[ADMIN], None).await;
    }
    let (beta, id, _) = api_create_client(&app, &token, None, "Delta off", &[ADMIN], None).await;
    call(&app, Method::PUT, &format!("/api/companies/clients/{beta}"), &token, None,
         Some(json!({"name": "Delta off", "clientId": id, "statusId": 0, "roleResourceIdList": [ADMIN]}))).await;

    let page = search(&app, &token, json!({"pageNumber": 1, "pageSize": 2, "orderBy": "Name", "ascending": true, "filter": null})).await;
    assert_eq!(page["totalNumberOfRecords"], 5);
    assert_eq!(page["totalNumberOfPages"], 3);
    assert_eq!(names(&page), vec!["Alpha SIEM", "Beta SOAR"]);
    let page = search(
        &app,
        &token,
        json!({"pageNumber": 3, "pageSize": 2, "orderBy": "name", "ascending": true}),
    )
    .await;
    assert_eq!(names(&page), vec!["Initial reseller client"]);

    let contains = json!({"filter": {"filterGroups": [{"condition": "AND", "filterItems": [
        {"fieldName": "Name", "operator": "Contains", "value": "siem"}]}]}, "orderBy": "Name", "ascending": true});
    assert_eq!(
        names(&search(&app, &token, contains).await),
        vec!["Alpha SIEM", "Gamma SIEM"]
    );

    let inactive = json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "StatusId", "operator": "Include", "value": "0"}]}]}});
    assert_eq!(
        names(&search(&app, &token, inactive).await),
        vec!["Delta off"]
    );

    let or_group = json!({"orderBy": "Name", "ascending": true, "filter": {"condition": "AND", "filterGroups": [{"condition": "OR", "filterItems": [
        {"fieldName": "Name", "operator": "StartsWith", "value": "beta"},
        {"fieldName": "Name", "operator": "=", "value": "GAMMA SIEM"}]}]}});
    assert_eq!(
        names(&search(&app, &token, or_group).await),
        vec!["Beta SOAR", "Gamma SIEM"]
    );

    let today = time_today();
    let dated = json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "CreateTime", "operator": ">=", "value": today}]}]}});
    assert_eq!(search(&app, &token, dated).await["totalNumberOfRecords"], 5);
    let before = json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "CreateTime", "operator": "<", "value": today}]}]}});
    assert_eq!(
        search(&app, &token, before).await["totalNumberOfRecords"],
        0
    );

    let r = call(&app, Method::POST, "/api/companies/clients/search", &token, None,
                 Some(json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "secret_digest", "operator": "=", "value": "x"}]}]}}))).await;
    let err = expect_envelope(r, 400, "INPUT_ERROR").await;
    assert!(
        err["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("ClientName"),
        "{err}"
    );
    let r = call(
        &app,
        Method::POST,
        "/api/companies/clients/search",
        &token,
        None,
        Some(json!({"orderBy": "secret_digest"})),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
}

fn time_today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let days = secs.div_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[tokio::test]
async fn exports_stream_csv_and_xlsx() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    api_create_client(
        &app,
        &token,
        None,
        "=HYPERLINK(\"http://evil\")",
        &[ADMIN],
        None,
    )
    .await;
    let r = call(&app, Method::POST, "/api/companies/clients/search/export", &token, None,
                 Some(json!({"exportType": "Csv", "reportAllPages": true, "orderBy": "Name", "ascending": true}))).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .expect("cd")
            .contains(".csv")
    );
    let text = r.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Client Name,API Key,Status,Date Created");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("\"'=HYPERLINK"),
        "formulas are neutralised: {text}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "Initial reseller client,{},Active,",
            app.initial.client_id
        )),
        "{text}"
    );

    for export_type in ["Excel", "xlsx", "XLS"] {
        let r = call(
            &app,
            Method::POST,
            "/api/companies/clients/search/export",
            &token,
            None,
            Some(json!({"exportType": export_type, "reportAllPages": true})),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let bytes = r.bytes().await.expect("xlsx");
        assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip archive");
    }
    let r = call(
        &app,
        Method::POST,
        "/api/companies/clients/search/export",
        &token,
        None,
        Some(json!({"exportType": "Pdf"})),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
}

/// Company admin of A and a reseller that does not manage B both try B's client every way.
#[tokio::test]
async fn other_tenants_clients_cannot_be_read_changed_or_deleted() {
    let app = TestApp::spawn().await;
    let reseller = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Company A", Some(&reseller), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let (a_id, a_secret) = create_client(&app, &a, "Company Admin", &[]);
    let (b_id, b_secret) = create_client(&app, &b, "Company Admin", &[]);
    app.await_client_view().await;
    let a_token = app.token_for(&a_id, &a_secret).await;
    let b_token = app.token_for(&b_id, &b_secret).await;
    let reseller_token = app.reseller_token().await;
    let (b_client, _, _) =
        api_create_client(&app, &b_token, None, "B's SIEM", &[ADMIN], None).await;
    let path = format!("/api/companies/clients/{b_client}");
    let update = json!({"name": "pwned", "clientId": "pwnedpwnedpwned1", "statusId": 0, "roleResourceIdList": [ADMIN]});

    for attacker in [&a_token, &reseller_token] {
        // By path alone: not in the caller's reach → 404.
        expect_envelope(
            call(&app, Method::GET, &path, attacker, None, None).await,
            404,
            "NOT_FOUND",
        )
        .await;
        expect_envelope(
            call(
                &app,
                Method::PUT,
                &path,
                attacker,
                None,
                Some(update.clone()),
            )
            .await,
            404,
            "NOT_FOUND",
        )
        .await;
        expect_envelope(
            call(&app, Method::DELETE, &path, attacker, None, None).await,
            404,
            "NOT_FOUND",
        )
        .await;
        // Naming B by header or query: not managed → 403.
        for m in [Method::GET, Method::DELETE] {
            expect_envelope(
                call(&app, m, &path, attacker, Some(&b), None).await,
                403,
                "FORBIDDEN",
            )
            .await;
        }
        expect_envelope(
            call(
                &app,
                Method::PUT,
                &path,
                attacker,
                Some(&b),
                Some(update.clone()),
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
        let r = app
            .http
            .get(app.url(&format!("{path}?companyId={b}")))
            .bearer_auth(attacker)
            .send()
            .await
            .expect("r");
        expect_envelope(r, 403, "FORBIDDEN").await;
        let body = json!({"name": "x", "clientId": "intruderintruder", "clientSecret": "Q7v2m9XkP4tL8wZr1bN6cJ3hF5dS0gYa", "statusId": 1, "roleResourceIdList": [ADMIN]});
        expect_envelope(
            call(
                &app,
                Method::POST,
                "/api/companies/clients",
                attacker,
                Some(&b),
                Some(body),
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
                "/api/companies/clients/search",
                attacker,
                Some(&b),
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
                "/api/companies/clients/search/export",
                attacker,
                Some(&b),
                Some(json!({})),
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
        // Their own searches never list B's client.
        let page = expect_data(
            call(
                &app,
                Method::POST,
                "/api/companies/clients/search",
                attacker,
                None,
                Some(json!({"pageSize": 100})),
            )
            .await,
        )
        .await;
        assert!(!names(&page).contains(&"B's SIEM".to_owned()), "{page}");
    }
    // A company admin cannot reach its reseller's clients either.
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/companies/clients/search",
            &a_token,
            Some(&reseller),
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;

    // B's client is unchanged.
    let dto = expect_data(call(&app, Method::GET, &path, &b_token, None, None).await).await;
    assert_eq!(dto["name"], "B's SIEM");
    assert_eq!(dto["statusId"], 1);
}

#[tokio::test]
async fn a_reseller_manages_a_customers_clients_by_header() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let customer = create_company(
        &app,
        "Customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let (rid, id, secret) = api_create_client(
        &app,
        &token,
        Some(&customer),
        "customer SIEM",
        &[ADMIN],
        None,
    )
    .await;
    let claims = jwt_parts(&app.token_for(&id, &secret).await).1;
    assert_eq!(
        claims["user_company_resourceid"], customer,
        "the client belongs to the customer, not the reseller"
    );
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/clients/search",
            &token,
            Some(&customer),
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(names(&page), vec!["customer SIEM"]);
    // Without a header, the reseller's list covers its customers too.
    let all = expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/clients/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(all["totalNumberOfRecords"], 2);
    expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/companies/clients/{rid}"),
            &token,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
}
