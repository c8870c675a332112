//! The spreadsheet import of target users (`import-target-users-from-excel-for-customer`):
//! upload, summary, template, mapping job, preview, re-mapping and the four import types, the
//! file formats and encodings, bad files and mappings, expiry, the licence, and isolation
//! between companies.

use std::time::{Duration, Instant};

use latchkey_testkit::TestApp;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{call, expect_data, expect_envelope};
use crate::target_users::insert_group;

/// A customer of the bootstrap reseller with `users` licensed target users; its id.
pub async fn customer(app: &TestApp, token: &str, name: &str, users: i64) -> String {
    let r = reference(app, token).await;
    expect_data(post_company(app, token, None, form(&r, name, users)).await).await["resourceId"]
        .as_str()
        .expect("company id")
        .to_owned()
}

/// `POST /api/target-users/upload` with `bytes` as the file `name`.
pub async fn upload(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    upload_to(app, "/api/target-users/upload", token, company, name, bytes).await
}

async fn upload_to(
    app: &TestApp,
    path: &str,
    token: &str,
    company: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().part("File", Part::bytes(bytes).file_name(name.to_owned()));
    let mut req = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form);
    if let Some(c) = company {
        req = req.header("X-KEEPNET-Company-Id", c);
    }
    req.send().await.expect("upload")
}

/// Uploads and returns `data` (`UploadFileDto`).
pub async fn uploaded(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    expect_data(upload(app, token, company, name, bytes).await).await
}

pub fn tid(data: &Value) -> String {
    data["transactionId"]
        .as_str()
        .expect("transactionId")
        .to_owned()
}

/// The mappings `[(excelColumnName, fieldName)]` as a body.
fn mappings(tid: &str, pairs: &[(&str, &str)], groups: &[&str]) -> Value {
    json!({
        "transactionId": tid,
        "targetGroupResourceIds": groups,
        "fieldMappings": pairs.iter().map(|(c, f)| json!({"excelColumnName": c, "fieldName": f})).collect::<Vec<_>>(),
    })
}

/// Maps and waits for the mapping job; returns the job's final status body.
pub async fn map(app: &TestApp, token: &str, company: Option<&str>, body: Value) -> Value {
    let job = start_mapping(app, token, company, body).await;
    wait(
        app,
        token,
        company,
        &format!("/api/target-users/mapping-job/{job}"),
        |d| d["status"] == "Finished" || d["status"] == "FinishedWithError",
    )
    .await
}

/// `create-mapping`; returns the mapping job's id.
pub async fn start_mapping(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    body: Value,
) -> String {
    let started = expect_data(
        call(
            app,
            Method::POST,
            "/api/target-users/create-mapping",
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await;
    started["resourceId"].as_str().expect("job id").to_owned()
}

/// `GET path` for `data`.
pub async fn get(app: &TestApp, token: &str, company: Option<&str>, path: &str) -> Value {
    expect_data(call(app, Method::GET, path, token, company, None).await).await
}

/// Polls `path` until `done` holds of its `data` (at most 60 s).
pub async fn wait(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let data = expect_data(call(app, Method::GET, path, token, company, None).await).await;
        if done(&data) {
            return data;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{path} never finished: {data}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The preview (not wrapped in the envelope).
pub async fn preview(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    tid: &str,
    body: Value,
) -> Value {
    let r = call(
        app,
        Method::POST,
        &format!("/api/target-users/{tid}/search"),
        token,
        company,
        Some(body),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["status"], "SUCCESS", "{v}");
    assert!(
        v.get("isSuccess").is_none(),
        "the preview is not the envelope: {v}"
    );
    v
}

fn all_rows() -> Value {
    json!({"pageNumber": 1, "pageSize": 100, "orderBy": "RowNumber", "ascending": true})
}

/// Starts an import and waits for its job; returns the job's detail.
pub async fn import(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    tid: &str,
    body: Value,
) -> Value {
    let started = expect_data(
        call(
            app,
            Method::POST,
            &format!("/api/target-users/{tid}/import"),
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await;
    let job = started["resourceId"].as_str().expect("job id").to_owned();
    wait(app, token, company, &format!("/api/jobs/{job}"), |d| {
        d["isFinished"] == true
    })
    .await
}

/// Target users of the company, by email, with their fields.
async fn users(app: &TestApp, token: &str, company: Option<&str>) -> Vec<Value> {
    let page = expect_data(
        call(
            app,
            Method::POST,
            "/api/target-users/search",
            token,
            company,
            Some(json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "Email", "ascending": true})),
        )
        .await,
    )
    .await;
    page["results"].as_array().expect("results").clone()
}

/// The users' emails, lower-cased and sorted.
fn emails(users: &[Value]) -> Vec<String> {
    let mut all: Vec<String> = users
        .iter()
        .map(|u| u["email"].as_str().expect("email").to_lowercase())
        .collect();
    all.sort();
    all
}

/// The user with `email` (any case).
fn user<'a>(users: &'a [Value], email: &str) -> &'a Value {
    users
        .iter()
        .find(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .unwrap_or_else(|| panic!("no user {email}"))
}

async fn members(app: &TestApp, group: &str) -> Vec<String> {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.expect("db");
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT u.email FROM target_users u JOIN target_group_members m ON m.user_id = u.id \
         JOIN target_groups g ON g.id = m.group_id WHERE g.resource_id = $1 ORDER BY u.email",
    )
    .bind(group)
    .fetch_all(&pool)
    .await
    .expect("members");
    pool.close().await;
    rows.into_iter().map(|r| r.0).collect()
}

const PEOPLE: &str = "Email,First Name,Last Name,Department\n\
    ada@example.com,Ada,Lovelace,Research\n\
    alan@example.com,Alan,Turing,Research\n\
    grace@example.com,Grace,Hopper,Navy\n";

#[tokio::test]
async fn the_documented_flow_for_a_customer() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let acme = customer(&app, &token, "Acme Corp", 100).await;
    let c = Some(acme.as_str());

    // The template names the columns the import understands.
    let r = call(
        &app,
        Method::POST,
        "/api/target-users/example-file",
        &token,
        c,
        Some(json!({"exportType": "Excel"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("type")
            .contains("spreadsheetml")
    );
    let bytes = r.bytes().await.expect("xlsx");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let template = uploaded(&app, &token, c, "template.xlsx", {
        // The template has headers only; a row makes it an uploadable file.
        let r = call(
            &app,
            Method::POST,
            "/api/target-users/example-file",
            &token,
            c,
            Some(json!({"exportType": "csv"})),
        )
        .await;
        let mut csv = r.bytes().await.expect("csv").to_vec();
        csv.extend_from_slice(b"Jane,Doe,jane@example.com\n");
        csv
    })
    .await;
    let summary = get(
        &app,
        &token,
        c,
        &format!("/api/target-users/upload/{}", tid(&template)),
    )
    .await;
    let headers = summary["fileFieldNames"].as_array().expect("names");
    assert_eq!(
        &headers[..3],
        &[json!("First Name"), json!("Last Name"), json!("Email")]
    );
    assert!(headers.contains(&json!("Phone Number")) && headers.contains(&json!("Time Zone")));

    // Upload: a transaction with the file's counts.
    let up = uploaded(&app, &token, c, "people.csv", PEOPLE.as_bytes().to_vec()).await;
    assert_eq!(up["rowCount"], 3);
    assert_eq!(up["columnCount"], 4);
    assert_eq!(up["duplicateCount"], 0);
    let t = tid(&up);

    // The file's summary.
    let summary = get(&app, &token, c, &format!("/api/target-users/upload/{t}")).await;
    assert_eq!(summary["fileType"], "Csv");
    assert_eq!(summary["sheetNames"], json!(["people"]));
    assert_eq!(
        summary["fileFieldNames"],
        json!(["Email", "First Name", "Last Name", "Department"])
    );
    assert_eq!(summary["data"][1]["First Name"], "Alan");
    assert_eq!(summary["data"].as_array().expect("rows").len(), 3);

    // Mapping, as the guide writes it, and its job.
    let group = insert_group(&app, &acme, "Imported").await;
    let status = map(
        &app,
        &token,
        c,
        mappings(
            &t,
            &[
                ("Email", "email"),
                ("First Name", "firstName"),
                ("Last Name", "lastName"),
                ("Department", "department"),
            ],
            &[&group],
        ),
    )
    .await;
    assert_eq!(status["status"], "Finished", "{status}");
    assert_eq!(
        (
            status["newUserCount"].as_i64(),
            status["existingUserCount"].as_i64(),
            status["invalidUserCount"].as_i64(),
            status["totalRowCount"].as_i64()
        ),
        (Some(3), Some(0), Some(0), Some(3))
    );

    // The preview, unwrapped, with the counts.
    let p = preview(
        &app,
        &token,
        c,
        &t,
        json!({"pageNumber": 1, "pageSize": 20, "orderBy": "Email",
        "ascending": false, "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
    )
    .await;
    assert_eq!(p["newUserCount"], 3);
    let rows = p["items"]["results"].as_array().expect("rows");
    assert_eq!(rows[0]["email"], "grace@example.com");
    assert_eq!(rows[0]["status"], "New");
    assert_eq!(rows[0]["transactionId"], t.as_str());
    assert_eq!(p["items"]["totalNumberOfRecords"], 3);

    // Import all; the job shows its steps and counts.
    let job = import(
        &app,
        &token,
        c,
        &t,
        json!({"importType": "All", "selectedResourceIds": []}),
    )
    .await;
    assert_eq!(job["status"], 2, "{job}");
    assert_eq!(job["progress"], 100.0);
    let steps = job["processResults"].as_array().expect("steps");
    assert_eq!(steps[0]["name"], "Target User Add/Update");
    assert_eq!(
        (
            steps[0]["currentCount"].as_i64(),
            steps[0]["targetCount"].as_i64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(steps[1]["name"], "Target User Group Add/Update");
    assert_eq!(steps[0]["processErrors"], json!([]));

    let imported = users(&app, &token, c).await;
    assert_eq!(
        emails(&imported),
        ["ada@example.com", "alan@example.com", "grace@example.com"]
    );
    assert_eq!(imported[0]["department"], "Research");
    assert_eq!(
        members(&app, &group).await,
        ["ada@example.com", "alan@example.com", "grace@example.com"]
    );

    // Both jobs are listed for the customer, newest first, and not for the reseller itself.
    let jobs = get(&app, &token, c, "/api/jobs").await;
    let names: Vec<&str> = jobs
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Target User Import", "Target User Import Mapping"]);
    assert!(
        jobs.as_array()
            .expect("jobs")
            .iter()
            .all(|j| j["isFinished"] == true && j["status"] == 2)
    );
    let own = get(&app, &token, None, "/api/jobs").await;
    assert_eq!(own, json!([]));

    // The import's records in the customer's log name the client that queued it.
    let log = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &token,
            c,
            Some(
                json!({"pageSize": 100, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Operation", "Operator": "=", "Value": "CreateMany"}]}]}}),
            ),
        )
        .await,
    )
    .await;
    let rows = log["results"].as_array().expect("results");
    assert!(!rows.is_empty(), "{log}");
    for row in rows {
        assert_eq!(row["userName"], "Initial reseller client", "{row}");
        assert_eq!(row["ip"], "127.0.0.1", "{row}");
    }
}

#[tokio::test]
async fn csv_encodings_and_delimiters_are_read_from_the_bytes() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "bom",
            b"\xEF\xBB\xBFEmail,First Name\r\njos\xC3\xA9@example.com,Jos\xC3\xA9\r\n".to_vec(),
        ),
        (
            "latin1",
            b"Email;First Name\njos\xE9@example.com;Jos\xE9\n".to_vec(),
        ),
        (
            "semicolon-utf8",
            "Email;First Name\njosé@example.com;José\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "tab",
            "Email\tFirst Name\njosé@example.com\tJosé\n"
                .as_bytes()
                .to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let up = uploaded(&app, &token, None, &format!("{name}.csv"), bytes).await;
        assert_eq!(up["columnCount"], 2, "{name}");
        let summary = get(
            &app,
            &token,
            None,
            &format!("/api/target-users/upload/{}", tid(&up)),
        )
        .await;
        assert_eq!(
            summary["fileFieldNames"],
            json!(["Email", "First Name"]),
            "{name}"
        );
        assert_eq!(summary["data"][0]["First Name"], "José", "{name}");
    }
    // Duplicates are counted ignoring case.
    let up = uploaded(
        &app,
        &token,
        None,
        "dups.csv",
        b"Email\na@example.com\nA@Example.com\nb@example.com\na@EXAMPLE.com\n".to_vec(),
    )
    .await;
    assert_eq!(
        (up["rowCount"].as_i64(), up["duplicateCount"].as_i64()),
        (Some(4), Some(2))
    );
}

fn two_sheets() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet().set_name("Staff").expect("name");
    for (col, h) in ["E-mail", "First Name", "Phone"].iter().enumerate() {
        s.write_string(0, col as u16, *h).expect("w");
    }
    s.write_string(1, 0, "kim@example.com").expect("w");
    s.write_string(1, 1, "Kim").expect("w");
    s.write_number(1, 2, 14155550123.0).expect("w");
    s.write_string(2, 0, "lee@example.com").expect("w");
    s.write_string(2, 1, "Lee").expect("w");
    let s = book.add_worksheet().set_name("Contractors").expect("name");
    s.write_string(0, 0, "Mail").expect("w");
    s.write_string(0, 1, "Name").expect("w");
    s.write_string(1, 0, "max@example.com").expect("w");
    s.write_string(1, 1, "Max").expect("w");
    book.save_to_buffer().expect("xlsx")
}

#[tokio::test]
async fn an_xlsx_with_two_sheets() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let up = uploaded(&app, &token, None, "staff.xlsx", two_sheets()).await;
    assert_eq!(
        (up["rowCount"].as_i64(), up["columnCount"].as_i64()),
        (Some(2), Some(3))
    );
    let t = tid(&up);
    let summary = get(&app, &token, None, &format!("/api/target-users/upload/{t}")).await;
    assert_eq!(summary["fileType"], "Xlsx");
    assert_eq!(summary["sheetNames"], json!(["Staff", "Contractors"]));
    assert_eq!(summary["data"][0]["Phone"], "14155550123");

    // The group upload reads the same file and shows any sheet by name.
    let g = expect_data(
        upload_to(
            &app,
            "/api/target-groups/upload",
            &token,
            None,
            "staff.xlsx",
            two_sheets(),
        )
        .await,
    )
    .await;
    let gt = tid(&g);
    let second = get(
        &app,
        &token,
        None,
        &format!("/api/target-groups/upload/{gt}/search?sheetName=contractors"),
    )
    .await;
    assert_eq!(second["fileFieldNames"], json!(["Mail", "Name"]));
    assert_eq!(second["data"][0]["Name"], "Max");
    let first = get(
        &app,
        &token,
        None,
        &format!("/api/target-groups/upload/{gt}"),
    )
    .await;
    assert_eq!(
        first["fileFieldNames"],
        json!(["E-mail", "First Name", "Phone"])
    );
    let unknown = expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/target-groups/upload/{gt}/search?sheetName=Nope"),
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
        unknown["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("'Staff', 'Contractors'"),
        "{unknown}"
    );

    // The second sheet is imported when the mapping names it.
    let status = map(&app, &token, None, json!({"transactionId": t, "sheetName": "Contractors",
        "fieldMappings": [{"excelColumnName": "mail", "fieldName": "Email"}, {"excelColumnName": "Name", "fieldName": "FirstName"}]})).await;
    assert_eq!(
        (
            status["newUserCount"].as_i64(),
            status["totalRowCount"].as_i64()
        ),
        (Some(1), Some(1)),
        "{status}"
    );
    import(&app, &token, None, &t, json!({"importType": "importall"})).await;
    let u = users(&app, &token, None).await;
    assert_eq!(emails(&u), ["max@example.com"]);
    assert_eq!(u[0]["firstName"], "Max");
}

/// A company with one existing user, and a file with that user, two new ones and a bad row;
/// mapped and ready. Returns `(transactionId, preview rows by email)`.
async fn mixed(app: &TestApp, token: &str, company: Option<&str>) -> (String, Vec<Value>) {
    expect_data(
        call(
            app,
            Method::POST,
            "/api/target-users",
            token,
            company,
            Some(json!({"email": "old@example.com", "firstName": "Old", "lastName": "Timer"})),
        )
        .await,
    )
    .await;
    let file = "Email,First Name,Last Name\n\
        OLD@example.com,Renewed,Timer\n\
        new1@example.com,New,One\n\
        new2@example.com,New,Two\n\
        not-an-email,Bad,Row\n";
    let t = tid(&uploaded(app, token, company, "mixed.csv", file.as_bytes().to_vec()).await);
    let status = map(
        app,
        token,
        company,
        mappings(
            &t,
            &[
                ("Email", "Email"),
                ("First Name", "FirstName"),
                ("Last Name", "LastName"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(
        (
            status["newUserCount"].as_i64(),
            status["existingUserCount"].as_i64(),
            status["invalidUserCount"].as_i64()
        ),
        (Some(2), Some(1), Some(1)),
        "{status}"
    );
    let p = preview(app, token, company, &t, all_rows()).await;
    let rows = p["items"]["results"].as_array().expect("rows").clone();
    (t, rows)
}

fn row_id(rows: &[Value], email: &str) -> String {
    rows.iter()
        .find(|r| {
            r["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .unwrap_or_else(|| panic!("no row {email}"))["resourceId"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn the_four_import_types() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;

    // OnlyNew: the two new users; the existing one keeps its name.
    let a = customer(&app, &token, "Only New", 100).await;
    let (t, _) = mixed(&app, &token, Some(&a)).await;
    import(&app, &token, Some(&a), &t, json!({"ImportType": "ONLYNEW"})).await;
    let u = users(&app, &token, Some(&a)).await;
    assert_eq!(
        emails(&u),
        ["new1@example.com", "new2@example.com", "old@example.com"]
    );
    assert_eq!(user(&u, "old@example.com")["firstName"], "Old");
    // Then OnlyUpdateExisting on the same transaction: the existing user is renamed.
    let job = import(
        &app,
        &token,
        Some(&a),
        &t,
        json!({"importType": "OnlyUpdateExisting"}),
    )
    .await;
    assert_eq!(job["processResults"][0]["targetCount"], 1);
    let u = users(&app, &token, Some(&a)).await;
    assert_eq!(user(&u, "old@example.com")["firstName"], "Renewed");
    assert_eq!(u.len(), 3);
    // Everything of those kinds is written: importing them again has nothing to do.
    let again = call(
        &app,
        Method::POST,
        &format!("/api/target-users/{t}/import"),
        &token,
        Some(&a),
        Some(json!({"importType": "All"})),
    )
    .await;
    let body = expect_envelope(again, 400, "INPUT_ERROR").await;
    assert!(
        body["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("Nothing to import"),
        "{body}"
    );

    // Selected (in the UI's spelling): one new row, and the bad row, which the job reports.
    let b = customer(&app, &token, "Selected", 100).await;
    let (t, rows) = mixed(&app, &token, Some(&b)).await;
    let chosen = [
        row_id(&rows, "new2@example.com"),
        row_id(&rows, "not-an-email"),
    ];
    let job = import(
        &app,
        &token,
        Some(&b),
        &t,
        json!({"importType": "ImportSelected", "selectedResourceIds": chosen}),
    )
    .await;
    assert_eq!(job["status"], 2);
    let errors = job["processResults"][0]["processErrors"]
        .as_array()
        .expect("errors");
    assert_eq!(errors.len(), 1, "{job}");
    assert!(
        errors[0]["errorMessage"]
            .as_str()
            .expect("m")
            .to_lowercase()
            .contains("email"),
        "{job}"
    );
    let input: Value =
        serde_json::from_str(errors[0]["inputData"].as_str().expect("input")).expect("json");
    assert_eq!(input["email"], "not-an-email");
    assert_eq!(input["row"], 5);
    assert_eq!(
        emails(&users(&app, &token, Some(&b)).await),
        ["new2@example.com", "old@example.com"]
    );

    // All: new and existing, not the bad row.
    let c = customer(&app, &token, "All", 100).await;
    let (t, _) = mixed(&app, &token, Some(&c)).await;
    let job = import(&app, &token, Some(&c), &t, json!({"importType": "all"})).await;
    assert_eq!(job["processResults"][0]["currentCount"], 3);
    let u = users(&app, &token, Some(&c)).await;
    assert_eq!(
        emails(&u),
        ["new1@example.com", "new2@example.com", "old@example.com"]
    );
    assert_eq!(user(&u, "old@example.com")["firstName"], "Renewed");

    // Bad import types and selections.
    for (body, says) in [
        (json!({}), "importType is required"),
        (json!({"importType": "Some"}), "is not one of"),
        (
            json!({"importType": "Selected", "selectedResourceIds": []}),
            "selectedResourceIds is required",
        ),
    ] {
        let r = call(
            &app,
            Method::POST,
            &format!("/api/target-users/{t}/import"),
            &token,
            Some(&c),
            Some(body),
        )
        .await;
        let e = expect_envelope(r, 400, "INPUT_ERROR").await;
        assert!(
            e["validationMessages"][0]
                .as_str()
                .expect("m")
                .contains(says),
            "{e}"
        );
    }
}

#[tokio::test]
async fn the_preview_filters_by_status_and_exports() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (t, rows) = mixed(&app, &token, None).await;
    let bad = rows
        .iter()
        .find(|r| r["status"] == "Error")
        .expect("bad row");
    assert_eq!(bad["validationDetail"][0]["fieldName"], "email", "{bad}");
    let only_errors = preview(
        &app,
        &token,
        None,
        &t,
        json!({"pageNumber": 1, "pageSize": 10,
        "filter": {"FilterGroups": [{"Condition": "AND", "FilterItems": [
            {"FieldName": "Status", "Operator": "Include", "Value": "Error"}]}]}}),
    )
    .await;
    assert_eq!(only_errors["items"]["totalNumberOfRecords"], 1);
    assert_eq!(
        only_errors["invalidUserCount"], 1,
        "the counts are the transaction's"
    );
    let known = preview(
        &app,
        &token,
        None,
        &t,
        json!({"filter": {"filterGroups": [{"filterItems": [
        {"fieldName": "status", "operator": "Include", "value": "New,Exists,SCIM"}]}]}}),
    )
    .await;
    assert_eq!(known["items"]["totalNumberOfRecords"], 3);

    // A bad search is refused with the failure envelope, naming what is wrong.
    let r = call(
        &app,
        Method::POST,
        &format!("/api/target-users/{t}/search"),
        &token,
        None,
        Some(json!({"orderBy": "Password"})),
    )
    .await;
    let v = expect_envelope(r, 400, "INPUT_ERROR").await;
    assert!(
        v["validationMessages"].to_string().contains("orderBy"),
        "{v}"
    );

    let r = call(&app, Method::POST, &format!("/api/target-users/{t}/search/export"), &token, None,
        Some(json!({"exportType": "Csv", "reportAllPages": true, "orderBy": "RowNumber", "ascending": true}))).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Row,Status,Email,First Name,Last Name,Department,Phone Number,Priority,Time Zone,Errors"
    );
    assert_eq!(lines.len(), 5);
    assert!(lines[4].starts_with("5,Error,not-an-email"), "{text}");
}

#[tokio::test]
async fn bad_files_and_mappings_are_named() {
    let app = TestApp::spawn_with(|c| c.import_max_file_mib = 1).await;
    let token = app.reseller_token().await;
    for (name, bytes, says) in [
        ("empty.csv", Vec::new(), "The file is empty"),
        ("blank.csv", b"\r\n \r\n".to_vec(), "The file is empty"),
        (
            "logo.csv",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "not a spreadsheet",
        ),
        ("header.csv", b"Email,Name\n".to_vec(), "no rows under it"),
        (
            "fake.xlsx",
            b"PK\x03\x04 not really a workbook".to_vec(),
            "not an Excel workbook",
        ),
    ] {
        let e = expect_envelope(
            upload(&app, &token, None, name, bytes).await,
            400,
            "INPUT_ERROR",
        )
        .await;
        let m = e["validationMessages"][0].as_str().expect("message");
        assert!(m.starts_with("File: ") && m.contains(says), "{name}: {e}");
    }
    // Over the size limit: 413 with the envelope, naming the limit.
    let big = "a@example.com,x\n".repeat(70_000).into_bytes();
    let e = expect_envelope(
        upload(&app, &token, None, "big.csv", big).await,
        413,
        "PAYLOAD_TOO_LARGE",
    )
    .await;
    assert!(
        e["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("1 MiB"),
        "{e}"
    );
    // No file, or another field.
    let r = app
        .http
        .post(app.url("/api/target-users/upload"))
        .bearer_auth(&token)
        .multipart(Form::new().text("Name", "x"))
        .send()
        .await
        .expect("send");
    expect_envelope(r, 400, "INPUT_ERROR").await;
    let r = app
        .http
        .post(app.url("/api/target-users/upload"))
        .bearer_auth(&token)
        .json(&json!({"File": "x"}))
        .send()
        .await
        .expect("send");
    expect_envelope(r, 400, "INPUT_ERROR").await;

    // Mappings: a column not in the file, no email, an unknown field; all named at once.
    let t = tid(&uploaded(&app, &token, None, "p.csv", PEOPLE.as_bytes().to_vec()).await);
    let r = call(
        &app,
        Method::POST,
        "/api/target-users/create-mapping",
        &token,
        None,
        Some(mappings(
            &t,
            &[("Mail", "email"), ("First Name", "password")],
            &[],
        )),
    )
    .await;
    let e = expect_envelope(r, 400, "INPUT_ERROR").await;
    let all = e["validationMessages"].to_string();
    assert!(
        all.contains("'Mail' is not a column of the file") && all.contains("'Email', 'First Name'"),
        "{e}"
    );
    assert!(all.contains("'password' is not a target-user field"), "{e}");
    assert!(all.contains("must map a column to email"), "{e}");

    // A file without a header row: the mapping says what is wrong.
    let t = tid(&uploaded(
        &app,
        &token,
        None,
        "nohead.csv",
        b"ann@example.com,Ann\nbob@example.com,Bob\n".to_vec(),
    )
    .await);
    let r = call(
        &app,
        Method::POST,
        "/api/target-users/create-mapping",
        &token,
        None,
        Some(mappings(&t, &[("Email", "email")], &[])),
    )
    .await;
    let e = expect_envelope(r, 400, "INPUT_ERROR").await;
    assert!(
        e["validationMessages"]
            .to_string()
            .contains("needs a header row"),
        "{e}"
    );

    // Rows: invalid values, a repeated email (the first counts), a required custom field.
    expect_data(call(&app, Method::POST, "/api/custom-fields", &token, None, Some(json!({
        "name": "Badge", "ownerType": "TargetUser", "fieldDataType": "Number", "isRequired": true}))).await).await;
    let file = "Email,First Name,Badge,Priority\n\
        one@example.com,One,7,High\n\
        ONE@example.com,Again,8,Low\n\
        two@example.com,Two,,Medium\n\
        three@example.com,Three,x,Urgent\n";
    let t = tid(&uploaded(&app, &token, None, "rows.csv", file.as_bytes().to_vec()).await);
    let status = map(
        &app,
        &token,
        None,
        mappings(
            &t,
            &[
                ("Email", "email"),
                ("First Name", "firstName"),
                ("Badge", "badge"),
                ("Priority", "Priority"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(
        (
            status["newUserCount"].as_i64(),
            status["invalidUserCount"].as_i64()
        ),
        (Some(1), Some(3)),
        "{status}"
    );
    let p = preview(&app, &token, None, &t, all_rows()).await;
    let rows = p["items"]["results"].as_array().expect("rows");
    let detail = |i: usize| rows[i]["validationDetail"].to_string();
    assert_eq!(rows[0]["status"], "New");
    assert_eq!(rows[0]["customFields"][0]["value"], "7");
    assert!(
        detail(1).contains("appears earlier in the file (row 2)"),
        "{}",
        detail(1)
    );
    assert!(detail(2).contains("Badge is required"), "{}", detail(2));
    assert!(
        detail(3).contains("not a number") && detail(3).contains("Urgent"),
        "{}",
        detail(3)
    );
}

#[tokio::test]
async fn transactions_expire_and_are_purged() {
    let app = TestApp::spawn_with(|c| c.import_transaction_seconds = 1).await;
    let token = app.reseller_token().await;
    let t = tid(&uploaded(&app, &token, None, "p.csv", PEOPLE.as_bytes().to_vec()).await);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for (method, path, body) in [
        (Method::GET, format!("/api/target-users/upload/{t}"), None),
        (
            Method::POST,
            "/api/target-users/create-mapping".to_owned(),
            Some(mappings(&t, &[("Email", "email")], &[])),
        ),
        (Method::PUT, format!("/api/target-users/{t}/update"), None),
        (
            Method::POST,
            format!("/api/target-users/{t}/import"),
            Some(json!({"importType": "All"})),
        ),
    ] {
        let e = expect_envelope(
            call(&app, method, &path, &token, None, body).await,
            404,
            "NOT_FOUND",
        )
        .await;
        assert!(
            e["message"]
                .as_str()
                .expect("m")
                .contains("upload the file again"),
            "{e}"
        );
    }
    let pool = sqlx::AnyPool::connect(&app.database_url).await.expect("db");
    let started = Instant::now();
    loop {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM import_rows")
            .fetch_one(&pool)
            .await
            .expect("count");
        if n == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "expired rows were never purged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pool.close().await;
}

#[tokio::test]
async fn a_transaction_is_reissued_for_remapping() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let t = tid(&uploaded(&app, &token, None, "p.csv", PEOPLE.as_bytes().to_vec()).await);
    map(&app, &token, None, mappings(&t, &[("Email", "email")], &[])).await;
    // Mapped once: a second mapping is refused and points at the re-issue.
    let r = call(
        &app,
        Method::POST,
        "/api/target-users/create-mapping",
        &token,
        None,
        Some(mappings(&t, &[("Email", "email")], &[])),
    )
    .await;
    let e = expect_envelope(r, 400, "INPUT_ERROR").await;
    assert!(
        e["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("/update"),
        "{e}"
    );

    let re = expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{t}/update"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(re["oldTransactionId"], t.as_str());
    let new = re["transactionId"].as_str().expect("id").to_owned();
    assert_ne!(new, t);
    expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/target-users/upload/{t}"),
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    let summary = get(
        &app,
        &token,
        None,
        &format!("/api/target-users/upload/{new}"),
    )
    .await;
    assert_eq!(summary["data"].as_array().expect("rows").len(), 3);
    // Mapped again, differently, without another upload.
    let status = map(
        &app,
        &token,
        None,
        mappings(&new, &[("Email", "email"), ("Last Name", "firstName")], &[]),
    )
    .await;
    assert_eq!(status["newUserCount"], 3);
    let p = preview(&app, &token, None, &new, all_rows()).await;
    assert_eq!(p["items"]["results"][0]["firstName"], "Lovelace");
}

#[tokio::test]
async fn an_import_past_the_licence_is_refused_with_the_numbers() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let small = customer(&app, &token, "Small", 2).await;
    let c = Some(small.as_str());
    expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-users",
            &token,
            c,
            Some(json!({"email": "ada@example.com"})),
        )
        .await,
    )
    .await;
    let t = tid(&uploaded(&app, &token, c, "p.csv", PEOPLE.as_bytes().to_vec()).await);
    map(
        &app,
        &token,
        c,
        mappings(&t, &[("Email", "email"), ("First Name", "firstName")], &[]),
    )
    .await;
    let r = call(
        &app,
        Method::POST,
        &format!("/api/target-users/{t}/import"),
        &token,
        c,
        Some(json!({"importType": "All"})),
    )
    .await;
    let e = expect_envelope(r, 400, "INPUT_ERROR").await;
    let m = e["validationMessages"][0].as_str().expect("m");
    assert!(
        m.contains("allows 2")
            && m.contains("has 1")
            && m.contains("adds 2")
            && m.contains("1 over"),
        "{m}"
    );
    assert_eq!(emails(&users(&app, &token, c).await), ["ada@example.com"]);
    // Updating the existing user adds nobody: allowed.
    import(
        &app,
        &token,
        c,
        &t,
        json!({"importType": "OnlyUpdateExisting"}),
    )
    .await;
    assert_eq!(users(&app, &token, c).await[0]["firstName"], "Ada");
}

#[tokio::test]
async fn another_companys_transactions_jobs_groups_and_rows_are_not_found() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let a = customer(&app, &token, "Alpha", 100).await;
    let b = customer(&app, &token, "Beta", 100).await;
    let (ta, rows_a) = mixed(&app, &token, Some(&a)).await;
    let job_a = get(&app, &token, Some(&a), "/api/jobs").await[0]["resourceId"]
        .as_str()
        .expect("job")
        .to_owned();
    let group_a = insert_group(&app, &a, "Alpha people").await;

    // Beta cannot see or use Alpha's transaction or job.
    for (method, path, body) in [
        (Method::GET, format!("/api/target-users/upload/{ta}"), None),
        (Method::GET, format!("/api/target-groups/upload/{ta}"), None),
        (
            Method::GET,
            format!("/api/target-groups/upload/{ta}/search?sheetName=mixed"),
            None,
        ),
        (
            Method::POST,
            format!("/api/target-users/{ta}/search/export"),
            Some(json!({})),
        ),
        (Method::PUT, format!("/api/target-users/{ta}/update"), None),
        (
            Method::POST,
            format!("/api/target-users/{ta}/import"),
            Some(json!({"importType": "All"})),
        ),
        (
            Method::POST,
            "/api/target-users/create-mapping".to_owned(),
            Some(mappings(&ta, &[("Email", "email")], &[])),
        ),
        (Method::GET, format!("/api/jobs/{job_a}"), None),
        (
            Method::GET,
            format!("/api/target-users/mapping-job/{job_a}"),
            None,
        ),
    ] {
        let r = call(&app, method.clone(), &path, &token, Some(&b), body).await;
        expect_envelope(r, 404, "NOT_FOUND").await;
    }
    let r = call(
        &app,
        Method::POST,
        &format!("/api/target-users/{ta}/search"),
        &token,
        Some(&b),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(get(&app, &token, Some(&b), "/api/jobs").await, json!([]));

    // Alpha's group in Beta's mapping: not found, and nothing is queued.
    let tb = tid(&uploaded(&app, &token, Some(&b), "p.csv", PEOPLE.as_bytes().to_vec()).await);
    let r = call(
        &app,
        Method::POST,
        "/api/target-users/create-mapping",
        &token,
        Some(&b),
        Some(mappings(&tb, &[("Email", "email")], &[&group_a])),
    )
    .await;
    expect_envelope(r, 404, "NOT_FOUND").await;
    assert_eq!(get(&app, &token, Some(&b), "/api/jobs").await, json!([]));

    // Rows of another transaction (Alpha's) in Beta's selection: not found.
    map(
        &app,
        &token,
        Some(&b),
        mappings(&tb, &[("Email", "email")], &[]),
    )
    .await;
    let r = call(&app, Method::POST, &format!("/api/target-users/{tb}/import"), &token, Some(&b),
        Some(json!({"importType": "Selected", "selectedResourceIds": [row_id(&rows_a, "new1@example.com")]}))).await;
    expect_envelope(r, 404, "NOT_FOUND").await;
    assert!(users(&app, &token, Some(&b)).await.is_empty());

    // A company of another reseller, named in the header: not managed, 403 everywhere.
    let other_mssp = crate::helpers::create_company(&app, "Other MSSP", None, true);
    let theirs = crate::helpers::create_company(&app, "Theirs", Some(&other_mssp), false);
    let e = expect_envelope(
        upload(
            &app,
            &token,
            Some(&theirs),
            "p.csv",
            PEOPLE.as_bytes().to_vec(),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert!(e["data"].is_null());
    for (method, path) in [
        (Method::GET, "/api/jobs".to_owned()),
        (Method::GET, format!("/api/jobs/{job_a}")),
        (Method::GET, format!("/api/target-users/upload/{ta}")),
    ] {
        let r = call(&app, method, &path, &token, Some(&theirs), None).await;
        expect_envelope(r, 403, "FORBIDDEN").await;
    }

    // A Company Admin of Beta, with its own token, does not reach Alpha either.
    let (id, secret) = crate::helpers::create_client(&app, &b, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&id, &secret).await;
    let r = call(
        &app,
        Method::GET,
        &format!("/api/target-users/upload/{ta}"),
        &admin,
        None,
        None,
    )
    .await;
    expect_envelope(r, 404, "NOT_FOUND").await;
    let r = call(
        &app,
        Method::GET,
        &format!("/api/target-users/upload/{ta}"),
        &admin,
        Some(&a),
        None,
    )
    .await;
    expect_envelope(r, 403, "FORBIDDEN").await;
}
