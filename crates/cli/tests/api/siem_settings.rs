//! `/api/companies/siem-settings`: the seven operations, their validation, the write-only
//! token, what the audit log says of them, and another tenant's settings out of reach.
//! Forwarding to real receivers is `siem_forwarding`.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

const SETTINGS: &str = "/api/companies/siem-settings";

fn syslog(name: &str, port: &str, kind: &str) -> Value {
    json!({"name": name, "typeId": 2, "statusId": 1, "isForwardHistoricalAuditLog": false,
        "serverAddress": "127.0.0.1", "port": port, "connectionType": kind})
}

fn splunk(name: &str, token: &str) -> Value {
    json!({"name": name, "typeId": 1, "statusId": 1, "isForwardHistoricalAuditLog": true,
        "apiUrl": "https://hec.example.com:8088", "token": token})
}

async fn create(app: &TestApp, token: &str, company: Option<&str>, body: Value) -> String {
    expect_data(call(app, Method::POST, SETTINGS, token, company, Some(body)).await).await
        ["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

async fn get(app: &TestApp, token: &str, id: &str) -> Value {
    expect_data(
        call(
            app,
            Method::GET,
            &format!("{SETTINGS}/{id}"),
            token,
            None,
            None,
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn settings_are_validated_stored_and_the_token_is_never_answered() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;

    let syslog_id = create(&app, &token, None, syslog("Syslog TLS", "6514", "tls")).await;
    let dto = get(&app, &token, &syslog_id).await;
    assert_eq!(dto["typeId"], 2);
    assert_eq!(dto["typeName"], "Syslog");
    assert_eq!(dto["statusName"], "Active");
    assert_eq!(dto["connectionType"], "TLS", "stored in one spelling");
    assert_eq!(dto["port"], "6514");
    assert_eq!(dto["cefVendor"], "Keepnet Labs");
    assert_eq!(dto["hasToken"], false);

    let secret = "8a3c1f2e-hec-token-do-not-show";
    let splunk_id = create(&app, &token, None, splunk("Splunk", secret)).await;
    let dto = get(&app, &token, &splunk_id).await;
    assert_eq!(dto["token"], Value::Null, "write-only");
    assert_eq!(dto["hasToken"], true);
    assert_eq!(dto["typeName"], "Splunk");
    assert_eq!(dto["isForwardHistoricalAuditLog"], true);

    // An update without a token keeps the stored one; the name must stay unique.
    let mut renamed = splunk("Splunk Cloud", "");
    renamed["cefVendor"] = json!("Acme");
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("{SETTINGS}/{splunk_id}"),
            &token,
            None,
            Some(renamed),
        )
        .await,
    )
    .await;
    let dto = get(&app, &token, &splunk_id).await;
    assert_eq!(
        (dto["name"].as_str(), dto["hasToken"].as_bool()),
        (Some("Splunk Cloud"), Some(true))
    );
    assert_eq!(dto["cefVendor"], "Acme");
    expect_envelope(
        call(
            &app,
            Method::POST,
            SETTINGS,
            &token,
            None,
            Some(syslog("SPLUNK CLOUD", "514", "udp")),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;

    // Every problem of a body in one answer.
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            SETTINGS,
            &token,
            None,
            Some(json!({"typeId": 2, "port": "70000", "connectionType": "relp"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let messages = err["validationMessages"].to_string();
    for expected in [
        "Name must be",
        "statusId is required",
        "isForwardHistoricalAuditLog is required",
        "serverAddress is required",
        "port '70000' must be a number from 1 to 65535",
        "connectionType 'relp' must be UDP, TCP or TLS",
    ] {
        assert!(messages.contains(expected), "{expected}: {messages}");
    }
    for (body, expected) in [
        (syslog("x", "0", "TCP"), "port '0'"),
        (syslog("x", "abc", "TCP"), "port 'abc'"),
        (
            json!({"name": "x", "typeId": 3, "statusId": 1, "isForwardHistoricalAuditLog": false}),
            "typeId 3",
        ),
        (splunk("x", ""), "token is required"),
        (
            json!({"name": "x", "typeId": 1, "statusId": 1, "isForwardHistoricalAuditLog": false,
                "apiUrl": "ftp://hec", "token": "t"}),
            "apiUrl 'ftp://hec'",
        ),
        (
            {
                let mut b = syslog("x", "6514", "TLS");
                b["caCertificate"] = json!("not a certificate");
                b
            },
            "caCertificate",
        ),
    ] {
        let err = expect_envelope(
            call(&app, Method::POST, SETTINGS, &token, None, Some(body)).await,
            400,
            "INPUT_ERROR",
        )
        .await;
        assert!(
            err["validationMessages"].to_string().contains(expected),
            "{expected}: {err}"
        );
    }

    // Search, filtered and exported; each row says how delivery is going.
    let page = expect_data(
        call(
            &app,
            Method::POST,
            &format!("{SETTINGS}/search"),
            &token,
            None,
            Some(json!({"filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "TypeId", "Operator": "=", "Value": "Syslog"}]}]}})),
        )
        .await,
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 1, "{page}");
    assert_eq!(page["results"][0]["name"], "Syslog TLS");
    assert!(page["results"][0]["delivery"]["state"].is_string());
    let csv = call(
        &app,
        Method::POST,
        &format!("{SETTINGS}/search/export"),
        &token,
        None,
        Some(json!({"exportType": "Csv", "reportAllPages": true})),
    )
    .await
    .text()
    .await
    .expect("csv");
    assert!(
        csv.starts_with("Integration Name,Integration Type,Status,Date Created")
            && csv.contains("Splunk Cloud,Splunk,Active")
            && csv.contains("Syslog TLS,Syslog,Active"),
        "{csv}"
    );

    // The audit log records each change, and never the token.
    let log = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &token,
            None,
            Some(
                json!({"pageSize": 100, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "EntityName", "Operator": "=", "Value": "SiemSetting"}]}]}}),
            ),
        )
        .await,
    )
    .await;
    let operations: Vec<&str> = log["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["operation"].as_str())
        .collect();
    assert_eq!(operations.len(), 3, "{log}");
    assert!(operations.contains(&"Update"));
    assert!(!log.to_string().contains(secret), "{log}");

    // Deleted: gone.
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("{SETTINGS}/{syslog_id}"),
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
            &format!("{SETTINGS}/{syslog_id}"),
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
async fn test_connection_reports_what_the_receiver_said() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    // A port nothing listens on: TCP cannot connect, and says why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
        .to_string();
    let test = |body: Value| {
        let (app, token) = (&app, &token);
        async move {
            call(
                app,
                Method::POST,
                &format!("{SETTINGS}/test"),
                token,
                None,
                Some(body),
            )
            .await
        }
    };
    let err = expect_envelope(
        test(json!({"typeId": 2, "serverAddress": "127.0.0.1", "port": closed, "connectionType": "tcp"}))
            .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        err["validationMessages"][0]
            .as_str()
            .expect("message")
            .contains("The test event was not delivered: connecting to 127.0.0.1"),
        "{err}"
    );
    // A listening TCP receiver takes the event, framed with its length.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let received = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut text = String::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_to_string(&mut text),
        )
        .await;
        text
    });
    let answer = test(
        json!({"typeId": 2, "serverAddress": "127.0.0.1", "port": port, "connectionType": "TCP"}),
    )
    .await;
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["status"], "SUCCESS", "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("written"),
        "{body}"
    );
    let text = received.await.expect("receiver");
    let (length, message) = text.split_once(' ').expect("octet-counted frame");
    assert!(
        message.len() >= length.parse::<usize>().expect("length")
            && message.starts_with("<110>1 ")
            && message.contains("CEF:0|Keepnet Labs|Latchkey|"),
        "{text}"
    );
    // UDP leaves without an answer, and says that only the receiver can confirm it.
    let body: Value = test(
        json!({"typeId": 2, "serverAddress": "127.0.0.1", "port": closed, "connectionType": "Udp"}),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(body["status"], "SUCCESS", "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("UDP cannot confirm"),
        "{body}"
    );
}

#[tokio::test]
async fn another_tenants_siem_settings_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let _a = create_company(&app, "Company A", Some(&mine), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    app.await_client_view().await;
    let owner = app.token_for(&oid, &osecret).await;
    let reseller = app.reseller_token().await;
    let theirs = create(
        &app,
        &owner,
        Some(&b),
        splunk("Their Splunk", "their-secret"),
    )
    .await;
    let mine_id = create(&app, &reseller, None, syslog("Mine", "514", "UDP")).await;

    // Naming their company, by header or query: refused outright.
    for (method, path, body) in [
        (
            Method::POST,
            SETTINGS.to_owned(),
            syslog("Into B", "514", "UDP"),
        ),
        (Method::POST, format!("{SETTINGS}/search"), json!({})),
        (
            Method::POST,
            format!("{SETTINGS}/search/export"),
            json!({"exportType": "Csv"}),
        ),
        (
            Method::POST,
            format!("{SETTINGS}/test"),
            json!({"resourceId": theirs, "typeId": 1, "apiUrl": "http://127.0.0.1:9"}),
        ),
        (Method::GET, format!("{SETTINGS}/{theirs}"), Value::Null),
        (
            Method::PUT,
            format!("{SETTINGS}/{theirs}"),
            splunk("Taken", "x"),
        ),
        (Method::DELETE, format!("{SETTINGS}/{theirs}"), Value::Null),
    ] {
        let body = (!body.is_null()).then_some(body);
        expect_envelope(
            call(
                &app,
                method.clone(),
                &path,
                &reseller,
                Some(&b),
                body.clone(),
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
        let query = format!(
            "{path}{}companyId={b}",
            if path.contains('?') { '&' } else { '?' }
        );
        expect_envelope(
            call(&app, method, &query, &reseller, None, body).await,
            403,
            "FORBIDDEN",
        )
        .await;
    }
    // Their id in our own scope, in the path or in a test's body: not found.
    for (method, path, body) in [
        (Method::GET, format!("{SETTINGS}/{theirs}"), Value::Null),
        (
            Method::PUT,
            format!("{SETTINGS}/{theirs}"),
            splunk("Taken", "x"),
        ),
        (Method::DELETE, format!("{SETTINGS}/{theirs}"), Value::Null),
        (
            Method::POST,
            format!("{SETTINGS}/test"),
            json!({"resourceId": theirs, "typeId": 1, "apiUrl": "http://127.0.0.1:9"}),
        ),
    ] {
        let body = (!body.is_null()).then_some(body);
        expect_envelope(
            call(&app, method, &path, &reseller, None, body).await,
            404,
            "NOT_FOUND",
        )
        .await;
    }
    // Our search never lists theirs; theirs is untouched, ours is ours.
    let page = expect_data(
        call(
            &app,
            Method::POST,
            &format!("{SETTINGS}/search"),
            &reseller,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 1, "{page}");
    assert_eq!(page["results"][0]["resourceId"], mine_id.as_str());
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("{SETTINGS}/{theirs}"),
            &owner,
            Some(&b),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["name"], "Their Splunk");
    assert_eq!(dto["hasToken"], true);
}
