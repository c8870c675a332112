//! The console and Swagger UI in a real browser: Debian's Chromium, headless, driven by
//! Playwright (`tests/browser`). This test prepares a fresh server and its data, then runs the
//! browser scripts against it; their steps are listed in `tests/browser/*.test.mjs`.
//!
//! Screenshots are kept in `target/browser-artifacts/<store>/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use latchkey_testkit::{TestApp, on_postgres};
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

use crate::helpers::{api_create_client, call, create_client, create_company, expect_data};

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

#[tokio::test]
async fn the_console_and_swagger_ui_work_in_chromium() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Northwind Traders", Some(&reseller), false);
    let other = create_company(&app, "Contoso Pharmaceuticals", Some(&reseller), false);
    // Enough clients in the other company for the REST API page to have two pages.
    for n in 0..21 {
        api_create_client(
            &app,
            &token,
            Some(&other),
            &format!("Contoso client {n:02}"),
            &["RoleCompAdmn"],
            None,
        )
        .await;
    }
    let email = "it-admin@northwind.example";
    expect_data(
        call(&app, Method::POST, "/api/system-users", &token, Some(&customer),
            Some(json!({"firstName": "Nancy", "lastName": "Davolio", "email": email, "phoneNumber": "+15550123",
                        "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"], "companyResourceId": customer})))
        .await,
    )
    .await;
    let company_admin_link = sink
        .next_mail_to(email)
        .await
        .password_link()
        .expect("the welcome mail carries a link");

    run_scripts(
        &app,
        &["console.test.mjs", "docs.test.mjs"],
        &[
            ("LATCHKEY_ADMIN_LINK", app.initial_admin_link()),
            ("LATCHKEY_ADMIN_EMAIL", "admin@localhost".into()),
            ("LATCHKEY_CUSTOMER_ID", customer),
            ("LATCHKEY_CUSTOMER_NAME", "Northwind Traders".into()),
            ("LATCHKEY_OTHER_ID", other),
            ("LATCHKEY_COMPANY_ADMIN_LINK", company_admin_link),
            ("LATCHKEY_COMPANY_ADMIN_EMAIL", email.into()),
            ("LATCHKEY_CLIENT_ID", app.initial.client_id.clone()),
            ("LATCHKEY_CLIENT_SECRET", app.initial.client_secret.clone()),
            ("LATCHKEY_RESELLER_ID", reseller),
        ],
    )
    .await;
}

/// The people pages: target users, custom fields, target groups, the import wizard and the
/// Job Log (`tests/browser/people.test.mjs`), on a customer with enough users for two pages.
#[tokio::test]
async fn the_people_pages_work_in_chromium() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Northwind Traders", Some(&reseller), false);
    for n in 0..24 {
        expect_data(
            call(&app, Method::POST, "/api/target-users", &token, Some(&customer),
                Some(json!({"email": format!("employee{n:02}@northwind.example"), "firstName": "Employee",
                            "lastName": format!("{n:02}"), "department": if n % 2 == 0 { "Sales" } else { "Finance" }})))
            .await,
        )
        .await;
    }
    let workbook = std::env::temp_dir().join(format!("latchkey-{}.xlsx", uuid::Uuid::new_v4()));
    std::fs::write(&workbook, two_sheet_workbook()).expect("workbook");
    run_scripts(
        &app,
        &["console-lib.test.mjs", "people.test.mjs"],
        &[
            ("LATCHKEY_ADMIN_LINK", app.initial_admin_link()),
            ("LATCHKEY_ADMIN_EMAIL", "admin@localhost".into()),
            ("LATCHKEY_CUSTOMER_ID", customer),
            ("LATCHKEY_WORKBOOK", workbook.display().to_string()),
        ],
    )
    .await;
    let _ = std::fs::remove_file(&workbook);
}

/// The SIEM Integrations and Audit Log pages (`tests/browser/siem.test.mjs`): a syslog
/// integration is tested and saved against a TCP receiver listening here, a Splunk one against
/// a closed port (Test Connection's failure, delivery Retrying), and the records they leave
/// are found, filtered and exported on the Audit Log page.
#[tokio::test]
async fn the_siem_and_audit_log_pages_work_in_chromium() {
    let app = TestApp::spawn().await;
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a syslog receiver");
    let port = receiver.local_addr().expect("its address").port();
    // Bound and let go at once: nothing listens there afterwards.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let accepting = tokio::spawn(async move {
        while let Ok((mut socket, _)) = receiver.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut buffer = [0u8; 8192];
                while let Ok(n @ 1..) = socket.read(&mut buffer).await {
                    sink.lock().await.extend_from_slice(&buffer[..n]);
                }
            });
        }
    });
    run_scripts(
        &app,
        &["siem.test.mjs"],
        &[
            ("LATCHKEY_ADMIN_LINK", app.initial_admin_link()),
            ("LATCHKEY_ADMIN_EMAIL", "admin@localhost".into()),
            ("LATCHKEY_SIEM_PORT", port.to_string()),
            ("LATCHKEY_SIEM_CLOSED_PORT", closed.to_string()),
        ],
    )
    .await;
    accepting.abort();
    let received = String::from_utf8_lossy(&received.lock().await).into_owned();
    assert!(
        received.contains("CEF:0|Keepnet Labs|Latchkey|"),
        "the test events reached the receiver: {received}"
    );
}

/// The SCIM Settings page (`tests/browser/scim.test.mjs`): create with a mapping, a group and
/// Group By, the token shown once and tried at the SCIM service, rename, revoke, delete.
#[tokio::test]
async fn the_scim_settings_page_works_in_chromium() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    for (path, body) in [
        (
            "/api/custom-fields",
            json!({"name": "Cost Center", "ownerType": "TargetUser", "fieldDataType": "Text"}),
        ),
        (
            "/api/target-groups",
            json!({"name": "Provisioned", "priority": "Medium"}),
        ),
    ] {
        expect_data(call(&app, Method::POST, path, &token, None, Some(body)).await).await;
    }
    run_scripts(
        &app,
        &["scim.test.mjs"],
        &[
            ("LATCHKEY_ADMIN_LINK", app.initial_admin_link()),
            ("LATCHKEY_ADMIN_EMAIL", "admin@localhost".into()),
            (
                "LATCHKEY_COMPANY_ID",
                app.initial.company_resource_id.clone(),
            ),
        ],
    )
    .await;
}

/// The Companies and Company Groups pages (`tests/browser/companies.test.mjs`): customers to
/// group, one over its licence limit, two to delete together, and a Company Admin of a
/// customer, who must see neither page.
#[tokio::test]
async fn the_company_pages_work_in_chromium() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Northwind Traders", Some(&reseller), false);
    create_company(&app, "Contoso Pharmaceuticals", Some(&reseller), false);
    create_company(&app, "Bulk Delete One", Some(&reseller), false);
    create_company(&app, "Bulk Delete Two", Some(&reseller), false);
    // Two target users on a licence for two, then the licence cut to one: over the limit.
    let over = expect_data(
        call(&app, Method::POST, "/api/companies", &token, None,
            Some(json!({"Name": "Fabrikam Over Limit", "IndustryResourceId": "ZmfBjR6tzqEU",
                        "CountryResourceId": "WaUpx8Ha0JRk", "LicenseTypeResourceId": "Tsme6dZ97zO4",
                        "LicensePeriodTypeResourceId": "aGLCEghNy1cs", "TimeZoneId": "Europe/London",
                        "DateFormat": "dd/MM/yyyy", "TimeFormat": "HH:mm", "NumberOfUsers": 2,
                        "IsNumberOfUsersLimited": true})))
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("the new company's id")
        .to_owned();
    for n in 0..2 {
        expect_data(
            call(
                &app,
                Method::POST,
                "/api/target-users",
                &token,
                Some(&over),
                Some(json!({"email": format!("user{n}@fabrikam.example"), "firstName": "User"})),
            )
            .await,
        )
        .await;
    }
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/companies/{over}"),
            &token,
            None,
            Some(json!({"NumberOfUsers": 1})),
        )
        .await,
    )
    .await;
    let email = "it-admin@northwind.example";
    expect_data(
        call(&app, Method::POST, "/api/system-users", &token, Some(&customer),
            Some(json!({"firstName": "Nancy", "lastName": "Davolio", "email": email, "phoneNumber": "+15550123",
                        "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"], "companyResourceId": customer})))
        .await,
    )
    .await;
    let company_admin_link = sink
        .next_mail_to(email)
        .await
        .password_link()
        .expect("the welcome mail carries a link");
    run_scripts(
        &app,
        &["companies.test.mjs"],
        &[
            ("LATCHKEY_ADMIN_LINK", app.initial_admin_link()),
            ("LATCHKEY_ADMIN_EMAIL", "admin@localhost".into()),
            ("LATCHKEY_COMPANY_ADMIN_LINK", company_admin_link),
            ("LATCHKEY_COMPANY_ADMIN_EMAIL", email.into()),
        ],
    )
    .await;
}

/// People, User Roles and My profile (`tests/browser/admin.test.mjs`). Prepared here: two users
/// in the administrator's company (the platform root) for the bulk delete, and in a customer a user whose custom
/// role lets them only look at people and roles (what they are not offered is checked). The
/// mails the pages make the server send (the invitation, a reset link) are read from the SMTP
/// sink afterwards.
#[tokio::test]
async fn the_admin_pages_work_in_chromium() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Northwind Traders", Some(&reseller), false);
    // The administrator's company is the platform root.
    let root = app
        .state
        .store
        .root_company()
        .await
        .expect("read")
        .expect("root")
        .resource_id
        .to_string();
    let (id, secret) = create_client(&app, &root, "Company Admin", &[]);
    app.await_client_view().await;
    let root_token = app.token_for(&id, &secret).await;
    for n in 1..=2 {
        let email = format!("temp{n}@latchkey.example");
        expect_data(
            call(&app, Method::POST, "/api/system-users", &root_token, Some(&root),
                Some(json!({"firstName": "Temporary", "lastName": format!("Worker {n}"), "email": email,
                            "phoneNumber": "+15550100", "roleResourceIdList": []})))
            .await,
        )
        .await;
        sink.next_mail_to(&email).await;
    }
    let looker = expect_data(
        call(&app, Method::POST, "/api/roles", &token, Some(&customer),
            Some(json!({"name": "People Viewer", "description": "Sees people and roles, changes nothing",
                        "permissionResourceIdList": ["system-users/search|POST", "roles/search|POST",
                            "roles/{resourceId}|GET", "permissions/all|GET", "roleswithavailable|GET"]})))
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("the role's id")
        .to_owned();
    let viewer = "viewer@northwind.example";
    expect_data(
        call(&app, Method::POST, "/api/system-users", &token, Some(&customer),
            Some(json!({"firstName": "Vera", "lastName": "Viewer", "email": viewer, "phoneNumber": "+15550199",
                        "roleResourceIdList": [looker]})))
        .await,
    )
    .await;
    let viewer_link = sink
        .next_mail_to(viewer)
        .await
        .password_link()
        .expect("the welcome mail carries a link");

    let invited = "new.hire@latchkey.example";
    run_scripts(
        &app,
        &["admin.test.mjs"],
        &[
            ("LATCHKEY_ADMIN_LINK", app.initial_admin_link()),
            ("LATCHKEY_ADMIN_EMAIL", "admin@localhost".into()),
            ("LATCHKEY_INVITED_EMAIL", invited.into()),
            ("LATCHKEY_VIEWER_LINK", viewer_link),
            ("LATCHKEY_VIEWER_EMAIL", viewer.into()),
        ],
    )
    .await;

    let invitation = sink.next_mail_to(invited).await;
    let link = invitation
        .password_link()
        .expect("the invitation carries a link");
    assert!(link.contains("purpose=create"), "{link}");
    let reset = sink.next_mail_to(invited).await;
    let link = reset
        .password_link()
        .expect("the reset mail carries a link");
    assert!(link.contains("purpose=reset"), "{link}");
}

/// A workbook whose second sheet, "Contractors", holds a new user and one of the customer's
/// users under another name: what the wizard's sheet choice and "Import New Only" are tried on.
fn two_sheet_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let rows: [(&str, &[[&str; 3]]); 2] = [
        (
            "Staff",
            &[
                ["Email", "First Name", "Cost Center"],
                ["staff.one@northwind.example", "Staff", "CC-9"],
            ],
        ),
        (
            "Contractors",
            &[
                ["Mail", "First Name", "Cost Center"],
                ["contractor.one@northwind.example", "Contractor", "CC-7"],
                ["employee01@northwind.example", "Renamed", "CC-8"],
            ],
        ),
    ];
    for (name, cells) in rows {
        let sheet = book.add_worksheet().set_name(name).expect("sheet name");
        for (r, row) in cells.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, *cell).expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

/// Runs browser scripts (`node --test`, one at a time) against `app` with `vars` in their
/// environment, and fails with their output unless every step passed.
async fn run_scripts(app: &TestApp, scripts: &[&str], vars: &[(&str, String)]) {
    let store = if on_postgres() { "postgres" } else { "sqlite" };
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/browser-artifacts")
        .join(store);
    let output = tokio::process::Command::new("node")
        .args(["--test", "--test-concurrency=1"])
        .args(scripts)
        .current_dir(browser_dir())
        .env("LATCHKEY_BASE_URL", &app.base)
        .env("LATCHKEY_ARTIFACTS", &artifacts)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run node (Node.js 20+ and `npm ci` in tests/browser; scripts/test does both)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser tests failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
    println!("{stdout}");
}
