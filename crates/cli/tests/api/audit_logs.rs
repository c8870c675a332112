//! The audit log over HTTP: every change recorded with its actor, address, user agent and
//! redacted old and new values; search, paging and export (with the hash chain); records
//! that the database refuses to change; `latchkey admin audit verify` on an intact chain and
//! after tampering; security events; and concurrent writers keeping one chain per company.

use latchkey_testkit::{TestApp, on_postgres};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    api_create_client, binary, call, create_client, create_company, expect_data, expect_envelope,
};

const AGENT: &str = "audit-test-agent/1.0";

/// `POST /api/audit-logs/search` for `filter` (a list of `[field, operator, value]`).
async fn search(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    items: &[(&str, &str, &str)],
    extra: Value,
) -> Value {
    let filter_items: Vec<Value> = items
        .iter()
        .map(|(f, o, v)| json!({"fieldName": f, "operator": o, "value": v}))
        .collect();
    let mut body = json!({
        "pageNumber": 1, "pageSize": 100, "orderBy": "Sequence", "ascending": true,
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": filter_items}]},
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    expect_data(
        call(
            app,
            Method::POST,
            "/api/audit-logs/search",
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await
}

/// A token of a new Company Admin client of the platform root, whose log has the platform's
/// own events.
async fn root_token(app: &TestApp) -> String {
    let root = app
        .state
        .store
        .root_company()
        .await
        .expect("read")
        .expect("root");
    let (id, secret) = create_client(app, root.resource_id.as_str(), "Company Admin", &[]);
    app.await_client_view().await;
    app.token_for(&id, &secret).await
}

fn results(page: &Value) -> Vec<Value> {
    page["results"].as_array().cloned().unwrap_or_default()
}

/// Sends a JSON request with our own user agent, as a browser or integration would.
async fn send_as_agent(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.http
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("User-Agent", AGENT)
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn client_changes_are_recorded_with_actor_origin_and_no_secret() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let roles = expect_data(app.get("/api/roles", &token).await).await;
    let role = roles[0]["resourceId"].as_str().expect("role").to_owned();
    let creds = expect_data(
        app.get("/api/companies/clients/generate-client-credentials", &token)
            .await,
    )
    .await;
    let secret = creds["clientSecret"].as_str().expect("secret").to_owned();
    let created = expect_data(
        send_as_agent(
            &app,
            Method::POST,
            "/api/companies/clients",
            &token,
            json!({"name": "Audited", "clientId": creds["clientId"], "clientSecret": secret,
                   "statusId": 1, "hasIpAddressRestriction": false, "roleResourceIdList": [role]}),
        )
        .await,
    )
    .await;
    let id = created["resourceId"].as_str().expect("id").to_owned();
    let rotated = expect_data(
        app.get("/api/companies/clients/generate-client-credentials", &token)
            .await,
    )
    .await["clientSecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    expect_data(
        send_as_agent(
            &app,
            Method::PUT,
            &format!("/api/companies/clients/{id}"),
            &token,
            json!({"name": "Audited 2", "clientId": creds["clientId"], "clientSecret": rotated,
                   "statusId": 0, "hasIpAddressRestriction": false, "roleResourceIdList": [role]}),
        )
        .await,
    )
    .await;
    expect_data(
        send_as_agent(
            &app,
            Method::DELETE,
            &format!("/api/companies/clients/{id}"),
            &token,
            json!(null),
        )
        .await,
    )
    .await;

    let page = search(
        &app,
        &token,
        None,
        &[("EntityResourceId", "=", &id)],
        json!({}),
    )
    .await;
    let rows = results(&page);
    let operations: Vec<&str> = rows
        .iter()
        .map(|r| r["operation"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(operations, ["Create", "Update", "Delete"], "{page}");
    for row in &rows {
        assert_eq!(row["userName"], "Initial reseller client", "{row}");
        assert_eq!(row["entityName"], "Client", "{row}");
        assert_eq!(row["ip"], "127.0.0.1", "{row}");
        assert_eq!(row["userAgent"], AGENT, "{row}");
        assert!(
            row["logDate"].as_str().is_some_and(|d| d.ends_with('Z')),
            "{row}"
        );
        assert!(
            row["auditDescription"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    let created_new: Value =
        serde_json::from_str(rows[0]["newValue"].as_str().expect("new value")).expect("JSON");
    assert_eq!(created_new["name"], "Audited");
    assert!(rows[0]["oldValue"].is_null());
    let old: Value =
        serde_json::from_str(rows[1]["oldValue"].as_str().expect("old")).expect("JSON");
    let new: Value =
        serde_json::from_str(rows[1]["newValue"].as_str().expect("new")).expect("JSON");
    assert_eq!(
        (old["name"].clone(), new["name"].clone()),
        (json!("Audited"), json!("Audited 2"))
    );
    assert_eq!(
        (old["statusId"].clone(), new["statusId"].clone()),
        (json!(1), json!(0))
    );
    assert!(
        rows[1]["auditDescription"]
            .as_str()
            .is_some_and(|d| d.contains("secret rotated"))
    );
    assert!(rows[2]["newValue"].is_null() && rows[2]["oldValue"].is_string());

    // Neither secret, nor anything derived from it, is anywhere in the log.
    let csv = call(
        &app,
        Method::POST,
        "/api/audit-logs/search/export",
        &token,
        None,
        Some(json!({"exportType": "Csv", "reportAllPages": true})),
    )
    .await
    .text()
    .await
    .expect("csv");
    let text = format!("{page}{csv}");
    for leaked in [
        secret.as_str(),
        rotated.as_str(),
        "secret_digest",
        "secretDigest",
    ] {
        assert!(!text.contains(leaked), "{leaked} leaked into the audit log");
    }
}

#[tokio::test]
async fn system_user_records_hold_no_password_hash_or_link() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let email = "audited.user@example.com";
    let created = expect_data(
        call(&app, Method::POST, "/api/system-users", &token, None,
            Some(json!({"firstName": "Aud", "lastName": "Ited", "email": email, "phoneNumber": "+15550100",
                        "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]})))
        .await,
    )
    .await;
    let user = created["resourceId"].as_str().expect("id").to_owned();
    let link = sink
        .next_mail_to(email)
        .await
        .password_link()
        .expect("link");
    let link_token = reqwest::Url::parse(&link)
        .expect("URL")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token");
    let password = "a long enough audited passphrase";
    expect_data(
        app.http
            .post(app.url("/api/system-users/create-password"))
            .header("User-Agent", AGENT)
            .json(&json!({"token": link_token, "newPassword": password, "confirmNewPassword": password}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    let page = search(
        &app,
        &token,
        None,
        &[("EntityResourceId", "=", &user)],
        json!({}),
    )
    .await;
    let rows = results(&page);
    let entities: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["entityName"].as_str().unwrap_or(""),
                r["operation"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        entities,
        [
            ("SystemUser", "Create"),
            ("PasswordLink", "Create"),
            ("Password", "Update")
        ],
        "{page}"
    );
    // The password was set by the user following the link, from where they were.
    assert_eq!(rows[2]["userName"], email);
    assert_eq!(rows[2]["userAgent"], AGENT);
    let text = page.to_string();
    for leaked in [
        "argon2",
        password,
        link_token.as_str(),
        "passwordHash",
        "password_hash",
    ] {
        assert!(
            !text.contains(leaked),
            "{leaked} leaked into the audit log: {text}"
        );
    }
}

#[tokio::test]
async fn search_filters_pages_and_lists() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for i in 0..5 {
        expect_data(
            call(
                &app,
                Method::POST,
                "/api/target-groups",
                &token,
                None,
                Some(json!({"name": format!("Audit group {i}"), "priority": "Medium"})),
            )
            .await,
        )
        .await;
    }
    let groups = [
        ("EntityName", "=", "TargetGroup"),
        ("Operation", "=", "Create"),
    ];
    let first = search(&app, &token, None, &groups, json!({"pageSize": 2})).await;
    assert_eq!(first["totalNumberOfRecords"], 5, "{first}");
    assert_eq!(first["totalNumberOfPages"], 3);
    assert_eq!(results(&first).len(), 2);
    let last = search(
        &app,
        &token,
        None,
        &groups,
        json!({"pageSize": 2, "pageNumber": 3}),
    )
    .await;
    assert_eq!(results(&last).len(), 1);
    assert!(
        results(&last)[0]["auditDescription"]
            .as_str()
            .is_some_and(|d| d.contains("Audit group 4"))
    );
    let named = search(
        &app,
        &token,
        None,
        &[
            ("AuditDescription", "Contains", "group 3"),
            ("UserName", "StartsWith", "initial"),
        ],
        json!({}),
    )
    .await;
    assert_eq!(named["totalNumberOfRecords"], 1, "{named}");
    let none = search(
        &app,
        &token,
        None,
        &[("Operation", "Include", "Delete,DeleteMany")],
        json!({}),
    )
    .await;
    assert_eq!(none["totalNumberOfRecords"], 0);
    // Free text, and an unknown field refused with the allowed ones.
    let text = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &token,
            None,
            Some(json!({"filter": {"searchInputTextValue": "Audit group 2"}})),
        )
        .await,
    )
    .await;
    assert_eq!(text["totalNumberOfRecords"], 1, "{text}");
    let refused = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &token,
            None,
            Some(json!({"orderBy": "Secret"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(refused.to_string().contains("LogDate"), "{refused}");

    // `POST /api/audit-logs`: the contract's AuditLogDto, newest first.
    let listed = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs",
            &token,
            None,
            Some(json!({"pageNumber": 1, "pageSize": 3})),
        )
        .await,
    )
    .await;
    let rows = results(&listed);
    assert_eq!(rows.len(), 3, "{listed}");
    let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
    for key in [
        "logId",
        "userId",
        "logDate",
        "entityResourceId",
        "entityName",
        "companyId",
        "operation",
        "oldValue",
        "newValue",
    ] {
        assert!(
            keys.iter().any(|k| k.as_str() == key),
            "{key} missing: {listed}"
        );
    }
    assert!(rows[0]["auditDescription"].is_null());
    assert!(rows[0]["entityName"] == "TargetGroup", "{listed}");
}

#[tokio::test]
async fn the_export_carries_the_chain() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for i in 0..3 {
        expect_data(
            call(
                &app,
                Method::POST,
                "/api/target-groups",
                &token,
                None,
                Some(json!({"name": format!("Exported {i}"), "priority": "High"})),
            )
            .await,
        )
        .await;
    }
    let csv = call(
        &app,
        Method::POST,
        "/api/audit-logs/search/export",
        &token,
        None,
        Some(json!({"exportType": "Csv", "reportAllPages": true, "orderBy": "Sequence", "ascending": true})),
    )
    .await
    .text()
    .await
    .expect("csv");
    let mut lines = csv.lines();
    let header = lines.next().expect("header");
    assert!(
        header.starts_with("Log Date,User Name,Entity Name")
            && header.ends_with("Record ID,Sequence,Previous Hash,Hash"),
        "{header}"
    );
    // Rows in chain order: each one's previous hash is the hash of the row before it.
    let mut previous: Option<String> = None;
    let mut count = 0;
    for line in lines {
        let cells: Vec<&str> = line.rsplitn(4, ',').collect();
        let (hash, prev, seq) = (cells[0], cells[1], cells[2]);
        assert_eq!(hash.len(), 64, "{line}");
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        if let Some(p) = &previous {
            assert_eq!(prev, p, "{line}");
        }
        count += 1;
        assert_eq!(seq, count.to_string(), "{line}");
        previous = Some(hash.to_owned());
    }
    assert!(count >= 5, "{csv}");
    let xlsx = call(
        &app,
        Method::POST,
        "/api/audit-logs/search/export",
        &token,
        None,
        Some(json!({"exportType": "Excel"})),
    )
    .await;
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.expect("bytes").starts_with(b"PK"));
}

async fn database(app: &TestApp) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&app.database_url)
        .await
        .expect("database")
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_a_record() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    api_create_client(&app, &token, None, "Immutable", &["RoleCompAdmn"], None).await;
    let db = database(&app).await;
    let changed = sqlx::query("UPDATE audit_logs SET description = 'rewritten'")
        .execute(&db)
        .await;
    assert!(changed.is_err(), "an update of the log went through");
    let deleted = sqlx::query("DELETE FROM audit_logs").execute(&db).await;
    assert!(deleted.is_err(), "a delete from the log went through");
    if on_postgres() {
        let truncated = sqlx::query("TRUNCATE audit_logs").execute(&db).await;
        assert!(truncated.is_err(), "a truncate of the log went through");
    }
    let n: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) AS n FROM audit_logs WHERE description = 'rewritten'")
            .fetch_one(&db)
            .await
            .expect("count"),
        "n",
    )
    .expect("n");
    assert_eq!(n, 0);
}

#[tokio::test]
async fn verify_passes_on_an_intact_chain_and_names_the_tampered_record() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for i in 0..4 {
        expect_data(
            call(
                &app,
                Method::POST,
                "/api/target-groups",
                &token,
                None,
                Some(json!({"name": format!("Chained {i}"), "priority": "Low"})),
            )
            .await,
        )
        .await;
    }
    let intact = app.admin(binary(), &["audit", "verify"]);
    assert!(
        intact.status.success(),
        "{} {}",
        intact.stdout,
        intact.stderr
    );
    assert!(
        intact.stdout.contains("\"intact\":true"),
        "{}",
        intact.stdout
    );

    let page = search(
        &app,
        &token,
        None,
        &[("AuditDescription", "Contains", "Chained 2")],
        json!({}),
    )
    .await;
    let victim = results(&page)[0]["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let db = database(&app).await;
    // Whoever can write the database directly can get past the trigger; the chain still tells.
    if on_postgres() {
        sqlx::query("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_change")
            .execute(&db)
            .await
            .expect("disable trigger");
    } else {
        sqlx::query("DROP TRIGGER audit_logs_no_update")
            .execute(&db)
            .await
            .expect("drop trigger");
    }
    sqlx::query(
        "UPDATE audit_logs SET description = 'nothing happened here' WHERE resource_id = $1",
    )
    .bind(&victim)
    .execute(&db)
    .await
    .expect("tamper");
    let broken = app.admin(binary(), &["audit", "verify"]);
    assert!(
        !broken.status.success(),
        "verify passed a tampered chain: {}",
        broken.stdout
    );
    assert!(broken.stdout.contains(&victim), "{}", broken.stdout);
    assert!(broken.stdout.contains("altered"), "{}", broken.stdout);

    // Removing a record breaks the chain at the one after it.
    let later = search(
        &app,
        &token,
        None,
        &[("AuditDescription", "Contains", "Chained 3")],
        json!({}),
    )
    .await;
    let after = results(&later)[0]["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    if on_postgres() {
        sqlx::query("DELETE FROM audit_logs WHERE resource_id = $1")
            .bind(&victim)
            .execute(&db)
            .await
            .expect("delete");
    } else {
        sqlx::query("DROP TRIGGER audit_logs_no_delete")
            .execute(&db)
            .await
            .expect("drop trigger");
        sqlx::query("DELETE FROM audit_logs WHERE resource_id = $1")
            .bind(&victim)
            .execute(&db)
            .await
            .expect("delete");
    }
    let gap = app.admin(binary(), &["audit", "verify"]);
    assert!(!gap.status.success());
    assert!(gap.stdout.contains(&after), "{}", gap.stdout);
}

#[tokio::test]
async fn concurrent_writers_keep_each_chain_whole() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (base, http, token) = (app.base.clone(), app.http.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            http.post(format!("{base}/api/target-groups"))
                .bearer_auth(token)
                .json(&json!({"name": format!("Concurrent {i}"), "priority": "Medium"}))
                .send()
                .await
                .expect("request")
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }
    let page = search(
        &app,
        &token,
        None,
        &[("AuditDescription", "StartsWith", "Target group 'Concurrent")],
        json!({}),
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 24, "{page}");
    let verified = app.admin(binary(), &["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{} {}",
        verified.stdout,
        verified.stderr
    );
}

#[tokio::test]
async fn admin_commands_and_key_rotation_are_recorded() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Audited Customer", Some(&mine), false);
    let (cid, _) = create_client(&app, &customer, "Company Admin", &[]);
    let token = app.reseller_token().await;
    // The company's creation is in the reseller's log; the client's in the customer's, which
    // the reseller reads by naming the customer.
    let made = search(
        &app,
        &token,
        None,
        &[("EntityResourceId", "=", &customer)],
        json!({}),
    )
    .await;
    assert_eq!(
        results(&made)[0]["userName"],
        "latchkey admin company create",
        "{made}"
    );
    let client = search(
        &app,
        &token,
        Some(&customer),
        &[("EntityName", "=", "Client")],
        json!({}),
    )
    .await;
    let rows = results(&client);
    assert_eq!(rows.len(), 1, "{client}");
    assert_eq!(rows[0]["userName"], "latchkey admin client create");
    assert!(
        rows[0]["newValue"]
            .as_str()
            .is_some_and(|v| v.contains(&cid))
    );
    assert!(rows[0]["ip"].is_null());

    let rotated = app.admin(binary(), &["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", rotated.stderr);
    let kid = rotated.json()["kid"].as_str().expect("kid").to_owned();
    // Keys are the platform's: the root's log has it.
    let root_token = root_token(&app).await;
    let keys = search(
        &app,
        &root_token,
        None,
        &[("EntityName", "=", "SigningKey")],
        json!({}),
    )
    .await;
    let rows = results(&keys);
    assert!(
        rows.iter().any(|r| r["entityResourceId"] == kid.as_str()
            && r["userName"] == "latchkey admin keys rotate"),
        "{keys}"
    );
    let revoked = app.admin(binary(), &["keys", "revoke", &kid]);
    assert!(revoked.status.success(), "{}", revoked.stderr);
    let keys = search(
        &app,
        &root_token,
        None,
        &[
            ("EntityName", "=", "SigningKey"),
            ("Operation", "=", "Delete"),
        ],
        json!({}),
    )
    .await;
    assert_eq!(
        results(&keys)[0]["entityResourceId"],
        kid.as_str(),
        "{keys}"
    );
}

#[tokio::test]
async fn console_sign_ins_failures_and_lockouts_are_recorded() {
    let app = TestApp::spawn().await;
    let link = app.initial_admin_link();
    let link_token = reqwest::Url::parse(&link)
        .expect("URL")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token");
    let password = "the platform administrator's passphrase";
    expect_data(
        app.http
            .post(app.url("/api/system-users/create-password"))
            .json(&json!({"token": link_token, "newPassword": password, "confirmNewPassword": password}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    let sign_in = |pw: &'static str| {
        app.http
            .post(app.url("/console/session"))
            .header("User-Agent", AGENT)
            .json(&json!({"email": "admin@localhost", "password": pw}))
            .send()
    };
    assert_eq!(
        sign_in("the platform administrator's passphrase")
            .await
            .expect("sign in")
            .status(),
        200
    );
    for _ in 0..5 {
        assert!(
            !sign_in("not the passphrase at all")
                .await
                .expect("sign in")
                .status()
                .is_success()
        );
    }
    let root_token = root_token(&app).await;
    let events = search(
        &app,
        &root_token,
        None,
        &[("EntityName", "Include", "SignIn,Password")],
        json!({}),
    )
    .await;
    let descriptions: Vec<String> = results(&events)
        .iter()
        .map(|r| r["auditDescription"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        descriptions[0].contains("set with a one-time link"),
        "{descriptions:?}"
    );
    assert!(descriptions[1].contains("signed in"), "{descriptions:?}");
    assert_eq!(
        descriptions
            .iter()
            .filter(|d| d.starts_with("Console sign-in of"))
            .count(),
        5,
        "{descriptions:?}"
    );
    assert!(
        descriptions
            .last()
            .is_some_and(|d| d.contains("locked out")),
        "{descriptions:?}"
    );
    for row in results(&events).iter().skip(1) {
        assert_eq!(row["userName"], "admin@localhost");
        assert_eq!(row["userAgent"], AGENT);
        assert_eq!(row["ip"], "127.0.0.1");
    }
}

#[tokio::test]
async fn a_company_sees_its_own_records_and_a_reseller_its_customers_by_naming_them() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Company A", Some(&mine), false);
    let (aid, asecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let reseller = app.reseller_token().await;
    let admin = app.token_for(&aid, &asecret).await;
    // The reseller changes something of its own, and something of A's.
    expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups",
            &reseller,
            None,
            Some(json!({"name": "Reseller's own", "priority": "Medium"})),
        )
        .await,
    )
    .await;
    expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups",
            &reseller,
            Some(&a),
            Some(json!({"name": "Made for A", "priority": "Medium"})),
        )
        .await,
    )
    .await;
    let groups = [("EntityName", "=", "TargetGroup")];
    let own = search(&app, &reseller, None, &groups, json!({})).await;
    assert_eq!(own["totalNumberOfRecords"], 1, "{own}");
    assert!(own.to_string().contains("Reseller's own"));
    let of_a = search(&app, &reseller, Some(&a), &groups, json!({})).await;
    assert_eq!(of_a["totalNumberOfRecords"], 1, "{of_a}");
    assert!(of_a.to_string().contains("Made for A"));
    // A's admin sees A's log (the reseller's change to A included), never the reseller's.
    let seen_by_a = search(&app, &admin, None, &[], json!({})).await;
    let text = seen_by_a.to_string();
    assert!(
        text.contains("Made for A") && !text.contains("Reseller's own"),
        "{text}"
    );
    // A's admin cannot name the reseller.
    for path in [
        "/api/audit-logs",
        "/api/audit-logs/search",
        "/api/audit-logs/search/export",
    ] {
        expect_envelope(
            call(
                &app,
                Method::POST,
                path,
                &admin,
                Some(&mine),
                Some(json!({})),
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;
    }
}

#[tokio::test]
async fn refused_token_requests_of_a_known_client_are_recorded_once_a_minute() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    // Start early in a minute, so that the attempts below fall into one.
    while latchkey_domain::time::now_secs().rem_euclid(60) > 45 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    for _ in 0..10 {
        let r = app
            .token_post(
                &app.initial.client_id,
                "not the secret of this client at all",
            )
            .await;
        assert_eq!(r.status(), 400);
    }
    // An unknown client id is nobody's event.
    let r = app.token_post("nosuchclient", "whatever secret").await;
    assert_eq!(r.status(), 400);
    let page = search(
        &app,
        &token,
        None,
        &[("EntityName", "=", "TokenRequest")],
        json!({}),
    )
    .await;
    let rows = results(&page);
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(rows[0]["userName"], "Initial reseller client");
    assert_eq!(rows[0]["ip"], "127.0.0.1");
    assert!(
        rows[0]["auditDescription"]
            .as_str()
            .is_some_and(|d| d.contains("wrong client secret")),
        "{page}"
    );
}
