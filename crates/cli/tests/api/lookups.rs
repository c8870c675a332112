//! Reference data: `/api/codetypes`, `/api/lookups…`, `/api/timezone/timezones`.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

/// The lookups of one type, through `GET /api/lookups/{typeId}`.
async fn of_type(app: &TestApp, token: &str, type_id: i64) -> Vec<Value> {
    let data = expect_data(app.get(&format!("/api/lookups/{type_id}"), token).await).await;
    data.as_array().expect("list").clone()
}

fn find<'a>(items: &'a [Value], field: &str, value: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value} in {items:?}"))
}

#[tokio::test]
async fn code_types_are_listed() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let data = expect_data(app.get("/api/codetypes", &token).await).await;
    let types = data.as_array().expect("list");
    for (id, name) in [
        (1, "Country"),
        (2, "Industry"),
        (3, "LicenseType"),
        (4, "LicensePeriodType"),
        (5, "NotificationTemplateType"),
        (6, "TrainingContentType"),
        (7, "SmtpConfigurationType"),
        (21, "PreferredLanguageType"),
        (101, "LicenseModule"),
        (102, "DateFormat"),
        (103, "TimeFormat"),
    ] {
        let t = types
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("type {id} in {data}"));
        assert_eq!(t["name"], name);
        assert!(t["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(t.as_object().expect("object").len(), 3, "{t}");
    }
}

#[tokio::test]
async fn countries_carry_iso_codes_and_stable_ids() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let countries = of_type(&app, &token, 1).await;
    assert_eq!(countries.len(), 249, "the whole ISO 3166-1 list");
    let turkey = find(&countries, "code", "TR");
    assert_eq!(turkey["name"], "Turkey");
    assert_eq!(turkey["isoCode"], "TR");
    assert_eq!(turkey["isoFriendlyName"], "Türkiye");
    // Fixed by the migration: integrations may hard-code them.
    assert_eq!(turkey["resourceId"], "YI6o6lu3NCau");
    let us = find(&countries, "code", "US");
    assert_eq!(us["name"], "United States");
    assert_eq!(us["resourceId"], "JZOe9dxhKSD3");
    assert_eq!(us["genericCodeTypeId"], 1);
    assert_eq!(us["genericCodeTypeName"], "Country");
    let keys: Vec<&str> = us
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code",
            "description",
            "genericCodeTypeId",
            "genericCodeTypeName",
            "isoCode",
            "isoFriendlyName",
            "name",
            "orderNumber",
            "resourceId"
        ]
    );
    let orders: Vec<i64> = countries
        .iter()
        .map(|c| c["orderNumber"].as_i64().expect("orderNumber"))
        .collect();
    assert!(orders.windows(2).all(|w| w[0] < w[1]), "in display order");
}

#[tokio::test]
async fn every_form_type_has_entries() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for type_id in [2, 3, 4, 5, 6, 7, 21, 101, 102, 103] {
        let items = of_type(&app, &token, type_id).await;
        assert!(!items.is_empty(), "type {type_id}");
        for item in &items {
            assert_eq!(item["genericCodeTypeId"], type_id);
            assert_eq!(item["resourceId"].as_str().expect("id").len(), 12);
        }
    }
    let languages = of_type(&app, &token, 21).await;
    assert_eq!(find(&languages, "isoCode", "tr")["name"], "Turkish");
}

#[tokio::test]
async fn several_types_in_one_post() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    // PascalCase keys, as ASP.NET clients send them.
    let body = json!({"TypeIdList": [1, 2], "TypeName": "industry"});
    let data =
        expect_data(call(&app, Method::POST, "/api/lookups", &token, None, Some(body)).await).await;
    let items = data.as_array().expect("list");
    let count = |t: i64| items.iter().filter(|i| i["genericCodeTypeId"] == t).count();
    assert_eq!(count(1), 249);
    assert!(count(2) > 10);
    assert_eq!(items.len(), count(1) + count(2), "each type once");

    // The media type the platform's own playground sends.
    let response = app
        .http
        .post(app.url("/api/lookups"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json-patch+json")
        .body(r#"{"typeName": "LicensePeriodType"}"#)
        .send()
        .await
        .expect("request");
    let data = expect_data(response).await;
    let items = data.as_array().expect("list");
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["genericCodeTypeId"] == 4), "{data}");

    // The lower-case keys the platform's web UI sends.
    let body = json!({"typeidlist": [102]});
    let data =
        expect_data(call(&app, Method::POST, "/api/lookups", &token, None, Some(body)).await).await;
    assert_eq!(data[0]["name"], "dd/MM/yyyy");
}

#[tokio::test]
async fn bad_type_ids_are_named() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let body = expect_envelope(app.get("/api/lookups/999", &token).await, 404, "NOT_FOUND").await;
    assert!(
        body["message"].as_str().expect("message").contains("999"),
        "{body}"
    );
    let body = expect_envelope(
        app.get("/api/lookups/abc", &token).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        body["validationMessages"][0]
            .as_str()
            .expect("message")
            .contains("typeId"),
        "{body}"
    );
    for body in [
        json!({"typeIdList": [1, 999]}),
        json!({"typeName": "Planet"}),
    ] {
        expect_envelope(
            call(&app, Method::POST, "/api/lookups", &token, None, Some(body)).await,
            404,
            "NOT_FOUND",
        )
        .await;
    }
    for body in [json!({}), json!({"typeIdList": "1"})] {
        expect_envelope(
            call(&app, Method::POST, "/api/lookups", &token, None, Some(body)).await,
            400,
            "INPUT_ERROR",
        )
        .await;
    }
}

#[tokio::test]
async fn licences_list_their_modules() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let data = expect_data(app.get("/api/lookups/licenses", &token).await).await;
    let all = data["allLicenseModules"].as_array().expect("modules");
    assert_eq!(all.len(), 9, "{data}");
    let phishing = find(all, "name", "Phishing Simulator");
    assert_eq!(phishing["isAvailable"], true);
    assert_eq!(phishing.as_object().expect("object").len(), 3);
    let licenses = data["licenses"].as_array().expect("licenses");
    let types = of_type(&app, &token, 3).await;
    assert_eq!(licenses.len(), types.len());
    let mssp = find(licenses, "name", "MSSP");
    assert_eq!(
        mssp["resourceId"],
        find(&types, "name", "MSSP")["resourceId"]
    );
    assert_eq!(mssp["licenseModules"].as_array().expect("modules").len(), 9);
    let trial = find(licenses, "name", "Trial");
    let trial_modules = trial["licenseModules"].as_array().expect("modules");
    assert!(
        !trial_modules.is_empty() && trial_modules.len() < 9,
        "{trial}"
    );
    for m in trial_modules {
        let id = m["resourceId"].as_str().expect("id");
        assert!(
            all.iter().any(|a| a["resourceId"] == id),
            "{m} is a known module"
        );
    }
}

#[tokio::test]
async fn time_zones_and_formats() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let data = expect_data(app.get("/api/timezone/timezones", &token).await).await;
    let zones = data["timeZoneList"].as_array().expect("zones");
    assert!(zones.len() > 300, "{}", zones.len());
    assert_eq!(
        find(zones, "id", "Europe/Istanbul")["displayName"],
        "(UTC+03:00) Europe/Istanbul"
    );
    assert_eq!(find(zones, "id", "UTC")["displayName"], "(UTC+00:00) UTC");
    assert_eq!(
        find(zones, "id", "America/New_York")["displayName"],
        "(UTC-05:00) America/New_York",
        "standard offset, not daylight time"
    );
    assert!(
        zones[0]["displayName"]
            .as_str()
            .expect("name")
            .starts_with("(UTC-")
    );
    let dates: Vec<&str> = data["dateFormatList"]
        .as_array()
        .expect("dates")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for f in ["dd/MM/yyyy", "MM/dd/yyyy", "yyyy-MM-dd", "dd.MM.yyyy"] {
        assert!(dates.contains(&f), "{f} in {dates:?}");
    }
    let times = data["timeFormatList"].as_array().expect("times");
    assert!(
        times.contains(&json!("HH:mm")) && times.contains(&json!("hh:mm tt")),
        "{data}"
    );
}

/// Each country's suggestions are values the company form accepts, and a company created with
/// them keeps them.
#[tokio::test]
async fn country_defaults_are_values_the_company_form_accepts() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let defaults = expect_data(app.get("/api/lookups/country-timezones", &token).await).await;
    let defaults = defaults.as_array().expect("list");
    let countries = of_type(&app, &token, 1).await;
    let languages = of_type(&app, &token, 21).await;
    let formats = expect_data(app.get("/api/timezone/timezones", &token).await).await;
    let listed = |key: &str, value: &Value| {
        formats[key]
            .as_array()
            .expect("list")
            .iter()
            .any(|f| f == value || f["id"] == *value)
    };
    assert_eq!(defaults.len(), countries.len(), "one entry per country");
    for (d, country) in defaults.iter().zip(&countries) {
        assert_eq!(d["countryCode"], country["code"], "in the countries' order");
        assert!(listed("dateFormatList", &d["dateFormat"]), "{d}");
        assert!(listed("timeFormatList", &d["timeFormat"]), "{d}");
        let twelve = d["timeFormat"].as_str().is_some_and(|f| f.contains("tt"));
        assert_eq!(d["clockFormat"], if twelve { "12h" } else { "24h" }, "{d}");
        assert!(
            d["timezone"].is_null() || listed("timeZoneList", &d["timezone"]),
            "{d}"
        );
        let language = find(
            &languages,
            "resourceId",
            d["languageResourceId"].as_str().expect("id"),
        );
        assert_eq!(
            (&language["code"], &language["name"]),
            (&d["languageCode"], &d["languageName"])
        );
    }
    let turkey = find(defaults, "countryCode", "TR");
    assert_eq!(
        (
            &turkey["dateFormat"],
            &turkey["timeFormat"],
            &turkey["phoneNumberCode"],
            &turkey["languageCode"],
            &turkey["timezone"]
        ),
        (
            &json!("dd.MM.yyyy"),
            &json!("HH:mm"),
            &json!("+90"),
            &json!("tr"),
            &json!("Europe/Istanbul")
        )
    );
    let us = find(defaults, "countryCode", "US");
    assert_eq!(
        (&us["dateFormat"], &us["clockFormat"], &us["timezone"]),
        (
            &json!("MM/dd/yyyy"),
            &json!("12h"),
            &json!("America/New_York")
        )
    );

    let r = crate::companies::reference(&app, &token).await;
    let form = reqwest::multipart::Form::new()
        .text("Name", "Istanbul Ltd")
        .text("IndustryResourceId", r.industry.clone())
        .text(
            "CountryResourceId",
            find(&countries, "code", "TR")["resourceId"]
                .as_str()
                .expect("id")
                .to_owned(),
        )
        .text("LicenseTypeResourceId", r.license_type.clone())
        .text("LicensePeriodTypeResourceId", r.license_period.clone())
        .text("NumberOfUsers", "50")
        .text(
            "TimeZoneId",
            turkey["timezone"].as_str().expect("zone").to_owned(),
        )
        .text(
            "DateFormat",
            turkey["dateFormat"].as_str().expect("date").to_owned(),
        )
        .text(
            "TimeFormat",
            turkey["timeFormat"].as_str().expect("time").to_owned(),
        )
        .text(
            "PreferredLanguageTypeResourceId",
            turkey["languageResourceId"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    let id = expect_data(crate::companies::post_company(&app, &token, None, form).await).await
        ["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let company = expect_data(app.get(&format!("/api/companies/{id}"), &token).await).await;
    assert_eq!(
        (
            &company["timeZoneId"],
            &company["dateFormat"],
            &company["preferredLanguageTypeResourceId"]
        ),
        (
            &turkey["timezone"],
            &turkey["dateFormat"],
            &turkey["languageResourceId"]
        ),
        "{company}"
    );
}

#[tokio::test]
async fn a_company_admin_may_read_and_no_token_may_not() {
    let app = TestApp::spawn().await;
    let reseller = app.initial.company_resource_id.clone();
    let acme = create_company(&app, "Acme", Some(&reseller), false);
    let (id, secret) = create_client(&app, &acme, "Company Admin", &[]);
    app.await_client_view().await;
    let token = app.token_for(&id, &secret).await;
    for path in [
        "/api/codetypes",
        "/api/lookups/1",
        "/api/lookups/licenses",
        "/api/lookups/country-timezones",
        "/api/timezone/timezones",
    ] {
        expect_data(app.get(path, &token).await).await;
        let response = app.http.get(app.url(path)).send().await.expect("request");
        expect_envelope(response, 401, "UNAUTHORIZED").await;
    }
    let response = app
        .http
        .post(app.url("/api/lookups"))
        .json(&json!({"typeIdList": [1]}))
        .send()
        .await
        .expect("request");
    expect_envelope(response, 401, "UNAUTHORIZED").await;
}
