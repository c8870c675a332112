//! SCIM provisioning: the management API (`/api/scim`) and the SCIM service at `/scim/v2`,
//! checked by scim2-tester and by replaying what Entra ID and Okta send.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{call, create_client, create_company, expect_data, expect_envelope};

const SCIM_JSON: &str = "application/scim+json";

/// Creates an integration through the API; returns `(resourceId, token, baseUrl)`.
async fn integration(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    body: Value,
) -> (String, String, String) {
    let data =
        expect_data(call(app, Method::POST, "/api/scim", token, company, Some(body)).await).await;
    let scim_token = data["token"].as_str().expect("token").to_owned();
    let base = data["baseUrl"].as_str().expect("baseUrl").to_owned();
    let id = scim_token.split('.').next().expect("id").to_owned();
    (id, scim_token, base)
}

/// One SCIM request; answers the status and the body (Null when empty).
async fn scim(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, app.url(&format!("/scim/v2{path}")))
        .bearer_auth(token);
    if let Some(b) = body {
        request = request
            .header("content-type", SCIM_JSON)
            .body(b.to_string());
    }
    let response = request.send().await.expect("SCIM request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("body");
    if text.is_empty() {
        return (status, Value::Null);
    }
    assert!(
        content_type.starts_with(SCIM_JSON),
        "{content_type}: {text}"
    );
    (status, serde_json::from_str(&text).expect("JSON body"))
}

#[tokio::test]
async fn scim2_tester_finds_nothing_wrong() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (_, scim_token, base) = integration(&app, &token, None, json!({"name": "Tester"})).await;
    let python = std::env::var("LATCHKEY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/scim_check.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .env("SCIM_URL", &base)
        .env("SCIM_TOKEN", &scim_token)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "scim2-tester reported failures (run via scripts/test for its virtualenv):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `GET /api/target-users/{id}` as the caller sees it.
async fn target_user(app: &TestApp, token: &str, company: Option<&str>, id: &str) -> Value {
    expect_data(
        call(
            app,
            Method::GET,
            &format!("/api/target-users/{id}"),
            token,
            company,
            None,
        )
        .await,
    )
    .await
}

fn list_ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

fn query(filter: &str) -> String {
    format!("/Users?filter={}", percent_encode(filter))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn integrations_are_managed_through_the_api() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let other = create_company(&app, "Customer A", Some(&mine), false);

    let fields =
        expect_data(call(&app, Method::GET, "/api/scim/fields", &token, None, None).await).await;
    let fields = fields["fields"].as_array().expect("fields").clone();
    let country = fields
        .iter()
        .find(|f| f["name"] == "addresses[type eq \"work\"].country")
        .expect("country is mappable");
    let title = fields.iter().find(|f| f["name"] == "title").expect("title");

    let field = expect_data(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(json!({"name": "Job Title", "ownerType": "TargetUser", "fieldDataType": "Text"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("field")
        .to_owned();
    let group = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups",
            &token,
            None,
            Some(json!({"name": "From Entra", "priority": "Medium"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("group")
        .to_owned();
    let theirs = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups",
            &token,
            Some(&other),
            Some(json!({"name": "Theirs", "priority": "Medium"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("group")
        .to_owned();

    let (id, scim_token, base) = integration(
        &app,
        &token,
        None,
        json!({"name": "Acme Entra ID Sync", "groupResourceId": group, "syncPlatformGroup": true,
        "fieldMappings": [
            {"customFieldResourceId": field, "scimFieldResourceId": title["resourceId"]},
            {"customFieldResourceId": field, "scimFieldResourceId": country["resourceId"]},
        ]}),
    )
    .await;
    assert!(
        base.ends_with("/scim/v2") && base.starts_with("http"),
        "{base}"
    );
    let secret = scim_token.split_once('.').expect("id.secret").1;
    assert_eq!(secret.len(), 43, "256 bits of base62");

    let detail = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/scim/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["name"], "Acme Entra ID Sync");
    assert_eq!(detail["groupName"], "From Entra");
    assert_eq!(detail["syncPlatformGroup"], true);
    assert_eq!(
        detail["mappingDetails"].as_array().map(Vec::len),
        Some(2),
        "{detail}"
    );
    assert!(
        detail.get("token").is_none(),
        "the token is never shown again"
    );

    // Names: 1 to 30 characters, unique ignoring case; another company's group is not found.
    for (body, http, status) in [
        (json!({"name": "acme entra id sync"}), 409, "CONFLICT"),
        (json!({"name": ""}), 400, "INPUT_ERROR"),
        (json!({"name": "x".repeat(31)}), 400, "INPUT_ERROR"),
        (
            json!({"name": "Other", "groupResourceId": theirs}),
            404,
            "NOT_FOUND",
        ),
        (
            json!({"name": "Other", "groupBySCIMFieldResourceId": title["resourceId"]}),
            400,
            "INPUT_ERROR",
        ),
        (
            json!({"name": "Other", "fieldMappings": [{"customFieldResourceId": field, "scimFieldResourceId": "nope"}]}),
            400,
            "INPUT_ERROR",
        ),
    ] {
        expect_envelope(
            call(&app, Method::POST, "/api/scim", &token, None, Some(body)).await,
            http,
            status,
        )
        .await;
    }
    // The same name is free in another company.
    integration(
        &app,
        &token,
        Some(&other),
        json!({"name": "Acme Entra ID Sync"}),
    )
    .await;

    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/scim/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(page["totalNumberOfRecords"], 1, "{page}");
    assert_eq!(page["results"][0]["groupName"], "From Entra");

    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/scim/{id}"),
            &token,
            None,
            Some(json!({"name": "Renamed"})),
        )
        .await,
    )
    .await;
    let detail = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/scim/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["name"], "Renamed");

    // Revoking: the old token stops at once, the new one works.
    assert_eq!(
        scim(&app, &scim_token, Method::GET, "/Users", None).await.0,
        200
    );
    let revoked = expect_data(
        call(
            &app,
            Method::POST,
            &format!("/api/scim/{id}/revoke"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let new_token = revoked["results"][0]["token"]
        .as_str()
        .expect("new token")
        .to_owned();
    assert_ne!(new_token, scim_token);
    let (status, body) = scim(&app, &scim_token, Method::GET, "/Users", None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(
        scim(&app, &new_token, Method::GET, "/Users", None).await.0,
        200
    );
    assert_eq!(
        scim(&app, "garbage", Method::GET, "/Users", None).await.0,
        401
    );

    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/scim/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        scim(&app, &new_token, Method::GET, "/Users", None).await.0,
        401
    );
    expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/scim/{id}"),
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
async fn users_are_target_users_with_filters_and_scim_errors() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let field = expect_data(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(json!({"name": "Country", "ownerType": "TargetUser", "fieldDataType": "Text"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("field")
        .to_owned();
    let group = expect_data(
        call(
            &app,
            Method::POST,
            "/api/target-groups",
            &token,
            None,
            Some(json!({"name": "Provisioned", "priority": "High"})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("group")
        .to_owned();
    let (_, t, _) = integration(
        &app,
        &token,
        None,
        json!({"name": "Okta", "groupResourceId": group, "fieldMappings": [
            {"customFieldResourceId": field, "scimFieldResourceId": "scimFld00013"}]}),
    )
    .await;

    let (status, ada) = scim(&app, &t, Method::POST, "/Users", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "Ada@Example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        "addresses": [{"type": "work", "country": "GB"}],
        "phoneNumbers": [{"type": "work", "value": "+44 20 7946 0000"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"},
    }))).await;
    assert_eq!(status, 201, "{ada}");
    let ada_id = ada["id"].as_str().expect("id").to_owned();
    assert_eq!(ada["meta"]["resourceType"], "User");
    let tu = target_user(&app, &token, None, &ada_id).await;
    assert_eq!(
        (
            tu["email"].as_str(),
            tu["firstName"].as_str(),
            tu["lastName"].as_str()
        ),
        (Some("ada@example.com"), Some("Ada"), Some("Lovelace"))
    );
    assert_eq!(tu["department"], "Engineering");
    assert_eq!(tu["phoneNumber"], "+44 20 7946 0000");
    assert_eq!(tu["isActive"], true);
    assert!(
        tu["customFieldValues"]
            .as_array()
            .expect("values")
            .iter()
            .any(|v| v["value"] == "GB"),
        "{tu}"
    );
    let groups = expect_data(
        call(
            &app,
            Method::POST,
            &format!("/api/target-users/{ada_id}/groups"),
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(
        groups["results"][0]["resourceId"],
        group.as_str(),
        "{groups}"
    );

    let (_, grace) = scim(&app, &t, Method::POST, "/Users", Some(json!({
        "userName": "grace", "emails": [{"value": "grace@navy.mil"}], "title": "Rear Admiral", "active": false,
    }))).await;
    let grace_id = grace["id"].as_str().expect("id").to_owned();
    assert_eq!(
        target_user(&app, &token, None, &grace_id).await["isActive"],
        false
    );

    // userName is unique ignoring case; a user needs an email.
    let (status, e) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({"userName": "ADA@example.com", "emails": [{"value": "x@example.com"}]})),
    )
    .await;
    assert_eq!(
        (status, e["scimType"].as_str()),
        (409, Some("uniqueness")),
        "{e}"
    );
    let (status, e) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({"userName": "nomail"})),
    )
    .await;
    assert_eq!(
        (status, e["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{e}"
    );
    let (status, e) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({"emails": [{"value": "a@b.c"}]})),
    )
    .await;
    assert_eq!(
        (status, e["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{e}"
    );

    // Filters.
    for (filter, expected) in [
        ("userName eq \"ada@example.com\"", vec![&ada_id]),
        ("userName Eq \"GRACE\"", vec![&grace_id]),
        ("userName co \"@\"", vec![&ada_id]),
        (
            "userName sw \"gr\" or userName ew \".com\"",
            vec![&ada_id, &grace_id],
        ),
        ("not (userName sw \"gr\")", vec![&ada_id]),
        ("title pr", vec![&grace_id]),
        ("active eq false", vec![&grace_id]),
        (
            "emails[type eq \"work\"].value eq \"ADA@example.com\"",
            vec![&ada_id],
        ),
        (
            "emails[type eq \"work\" and value co \"ada\"]",
            vec![&ada_id],
        ),
        (
            "(userName eq \"grace\" or userName eq \"nobody\") and active eq false",
            vec![&grace_id],
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"engineering\"",
            vec![&ada_id],
        ),
        (
            "meta.created gt \"2000-01-01T00:00:00Z\"",
            vec![&ada_id, &grace_id],
        ),
        ("userName eq \"nobody\"", vec![]),
    ] {
        let (status, list) = scim(&app, &t, Method::GET, &query(filter), None).await;
        assert_eq!(status, 200, "{filter}: {list}");
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(list_ids(&list), expected, "{filter}");
        assert_eq!(list["totalResults"], expected.len(), "{filter}");
    }
    for bad in [
        "userName",
        "userName zz \"a\"",
        "(userName eq \"a\"",
        "userName eq 'a'",
    ] {
        let (status, e) = scim(&app, &t, Method::GET, &query(bad), None).await;
        assert_eq!(
            (status, e["scimType"].as_str()),
            (400, Some("invalidFilter")),
            "{bad}: {e}"
        );
    }

    // Paging and projection.
    let (_, page) = scim(&app, &t, Method::GET, "/Users?startIndex=2&count=1", None).await;
    assert_eq!(
        (
            page["totalResults"].as_i64(),
            page["startIndex"].as_i64(),
            page["itemsPerPage"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(list_ids(&page), vec![grace_id.clone()]);
    let (status, e) = scim(&app, &t, Method::GET, "/Users?count=many", None).await;
    assert_eq!(
        (status, e["scimType"].as_str()),
        (400, Some("invalidValue"))
    );
    let (_, only) = scim(
        &app,
        &t,
        Method::GET,
        &format!("/Users/{ada_id}?attributes=name.givenName"),
        None,
    )
    .await;
    assert_eq!(only["name"], json!({"givenName": "Ada"}), "{only}");
    assert!(only.get("emails").is_none() && only["id"] == ada_id.as_str());
    let (_, without) = scim(
        &app,
        &t,
        Method::GET,
        &format!("/Users/{ada_id}?excludedAttributes=emails"),
        None,
    )
    .await;
    assert!(
        without.get("emails").is_none() && without["userName"] == "Ada@Example.com",
        "{without}"
    );

    // PATCH errors name the problem.
    for (op, scim_type) in [
        (
            json!({"op": "replace", "path": "id", "value": "x"}),
            "mutability",
        ),
        (
            json!({"op": "replace", "path": "nickName[", "value": "x"}),
            "invalidPath",
        ),
        (
            json!({"op": "replace", "path": "shoeSize", "value": "x"}),
            "invalidPath",
        ),
        (
            json!({"op": "replace", "path": "active", "value": "perhaps"}),
            "invalidValue",
        ),
        (
            json!({"op": "launch", "path": "active", "value": true}),
            "invalidSyntax",
        ),
    ] {
        let (status, e) = scim(
            &app,
            &t,
            Method::PATCH,
            &format!("/Users/{ada_id}"),
            Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]})),
        )
        .await;
        assert_eq!(
            (status, e["scimType"].as_str()),
            (400, Some(scim_type)),
            "{e}"
        );
    }
    let (status, e) = scim(&app, &t, Method::GET, "/Users/nope", None).await;
    assert_eq!((status, e["status"].as_str()), (404, Some("404")));
    let (status, _) = scim(&app, &t, Method::POST, "/Bulk", Some(json!({}))).await;
    assert_eq!(status, 501);
    let (_, spc) = scim(&app, &t, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(
        (
            spc["patch"]["supported"].as_bool(),
            spc["bulk"]["supported"].as_bool(),
            spc["etag"]["supported"].as_bool(),
            spc["sort"]["supported"].as_bool()
        ),
        (Some(true), Some(false), Some(false), Some(false))
    );

    // A change through /api shows through SCIM.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/target-users/{ada_id}"),
            &token,
            None,
            Some(
                json!({"email": "ada@example.com", "firstName": "Augusta", "lastName": "Lovelace"}),
            ),
        )
        .await,
    )
    .await;
    let (_, ada) = scim(&app, &t, Method::GET, &format!("/Users/{ada_id}"), None).await;
    assert_eq!(ada["name"]["givenName"], "Augusta");

    // Groups become target groups marked isScimGroup.
    let (status, g) = scim(
        &app,
        &t,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "Analysts", "members": [{"value": ada_id}]})),
    )
    .await;
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("id");
    let tg = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/target-groups/{gid}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (tg["name"].as_str(), tg["isScimGroup"].as_bool()),
        (Some("Analysts"), Some(true))
    );
    let (status, e) = scim(
        &app,
        &t,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "analysts"})),
    )
    .await;
    assert_eq!((status, e["scimType"].as_str()), (409, Some("uniqueness")));
}

/// A provisioning cycle as Entra ID sends it (default behaviour and `aadOptscim062020`).
#[tokio::test]
async fn an_entra_id_provisioning_cycle_replays() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (_, t, _) = integration(&app, &token, None, json!({"name": "Entra ID"})).await;

    // Matching probe, then create.
    let (status, probe) = scim(
        &app,
        &t,
        Method::GET,
        "/Users?filter=userName+eq+%22alice%40contoso.com%22",
        None,
    )
    .await;
    assert_eq!(
        (
            status,
            probe["totalResults"].as_i64(),
            probe["Resources"].clone()
        ),
        (200, Some(0), json!([]))
    );
    let (status, alice) = scim(&app, &t, Method::POST, "/Users", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "alice", "userName": "alice@contoso.com", "active": true,
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
        "roles": [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance", "employeeNumber": "42"},
    }))).await;
    assert_eq!(status, 201, "{alice}");
    let uid = alice["id"].as_str().expect("id").to_owned();
    let (_, found) = scim(
        &app,
        &t,
        Method::GET,
        "/Users?filter=externalId+eq+%22alice%22",
        None,
    )
    .await;
    assert_eq!(list_ids(&found), vec![uid.clone()]);

    // Updates, capitalised ops, a path-less replace with dotted keys.
    let patch = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (status, alice) = scim(&app, &t, Method::PATCH, &format!("/Users/{uid}"), Some(patch(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice.smith@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Smith-Jones"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
    ])))).await;
    assert_eq!(status, 200, "{alice}");
    assert_eq!(
        alice["emails"],
        json!([{"primary": true, "type": "work", "value": "alice.smith@contoso.com"}])
    );
    let (status, _) = scim(&app, &t, Method::PATCH, &format!("/Users/{uid}"), Some(patch(json!([
        {"op": "replace", "value": {"displayName": "Alice S-J", "name.givenName": "Alicia",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Treasury"}},
    ])))).await;
    assert_eq!(status, 200);
    let tu = target_user(&app, &token, None, &uid).await;
    assert_eq!(
        (
            tu["email"].as_str(),
            tu["firstName"].as_str(),
            tu["lastName"].as_str(),
            tu["department"].as_str(),
            tu["phoneNumber"].as_str()
        ),
        (
            Some("alice.smith@contoso.com"),
            Some("Alicia"),
            Some("Smith-Jones"),
            Some("Treasury"),
            Some("+1 555 0100")
        )
    );

    // Group push: created empty, members added with `$ref: null`.
    let (_, none) = scim(
        &app,
        &t,
        Method::GET,
        "/Groups?excludedAttributes=members&filter=displayName+eq+%22Finance%22",
        None,
    )
    .await;
    assert_eq!(none["totalResults"], 0);
    let (status, g) = scim(&app, &t, Method::POST, "/Groups", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "fin", "displayName": "Finance", "members": [],
    }))).await;
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("id").to_owned();
    let add =
        patch(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": uid}]}]));
    assert_eq!(
        scim(
            &app,
            &t,
            Method::PATCH,
            &format!("/Groups/{gid}"),
            Some(add.clone())
        )
        .await
        .0,
        200
    );
    let (_, g) = scim(&app, &t, Method::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(g["members"][0]["value"], uid.as_str(), "{g}");
    let (_, listed) = scim(
        &app,
        &t,
        Method::GET,
        &format!("/Groups?filter=members[value+eq+%22{uid}%22]"),
        None,
    )
    .await;
    assert_eq!(listed["totalResults"], 1);
    // Removal, both ways Entra ID sends it.
    scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(patch(
            json!([{"op": "Remove", "path": "members", "value": [{"value": uid}]}]),
        )),
    )
    .await;
    let (_, g) = scim(&app, &t, Method::GET, &format!("/Groups/{gid}"), None).await;
    assert!(g.get("members").is_none(), "{g}");
    scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(add),
    )
    .await;
    scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{uid}\"]")}]),
        )),
    )
    .await;
    let (_, g) = scim(&app, &t, Method::GET, &format!("/Groups/{gid}"), None).await;
    assert!(g.get("members").is_none(), "{g}");

    // Disable with the string "False": the target user becomes Inactive and is still found.
    let (status, alice) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Users/{uid}"),
        Some(patch(
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )),
    )
    .await;
    assert_eq!((status, alice["active"].as_bool()), (200, Some(false)));
    assert_eq!(
        target_user(&app, &token, None, &uid).await["isActive"],
        false
    );
    let (_, found) = scim(
        &app,
        &t,
        Method::GET,
        "/Users?filter=userName+eq+%22alice%40contoso.com%22",
        None,
    )
    .await;
    assert_eq!(found["Resources"][0]["active"], false);
    scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Users/{uid}"),
        Some(patch(
            json!([{"op": "replace", "path": "active", "value": true}]),
        )),
    )
    .await;
    assert_eq!(
        target_user(&app, &token, None, &uid).await["isActive"],
        true
    );

    // Delete: the target user is deleted.
    assert_eq!(
        scim(&app, &t, Method::DELETE, &format!("/Users/{uid}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        scim(&app, &t, Method::GET, &format!("/Users/{uid}"), None)
            .await
            .0,
        404
    );
    expect_envelope(
        call(
            &app,
            Method::GET,
            &format!("/api/target-users/{uid}"),
            &token,
            None,
            None,
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        scim(&app, &t, Method::DELETE, &format!("/Groups/{gid}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        scim(&app, &t, Method::GET, &format!("/Groups/{gid}"), None)
            .await
            .0,
        404
    );
    // The userName is free again, also after a delete through /api.
    let (status, again) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({"userName": "alice@contoso.com"})),
    )
    .await;
    assert_eq!(status, 201);
    let again = again["id"].as_str().expect("id");
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/target-users/{again}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        scim(&app, &t, Method::GET, &format!("/Users/{again}"), None)
            .await
            .0,
        404
    );
    let (status, body) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({"userName": "Alice@contoso.com"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// A provisioning cycle as Okta sends it: PUT for profile updates, a path-less PATCH to
/// deactivate, Push Groups; and OneLogin's string `active` and `id: null`.
#[tokio::test]
async fn an_okta_provisioning_cycle_replays() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (_, t, _) = integration(&app, &token, None, json!({"name": "Okta"})).await;

    let (status, probe) = scim(
        &app,
        &t,
        Method::GET,
        "/Users?filter=userName%20eq%20%22bob%40okta.local%22&startIndex=1&count=100",
        None,
    )
    .await;
    assert_eq!(
        (
            status,
            probe["totalResults"].as_i64(),
            probe["startIndex"].as_i64()
        ),
        (200, Some(0), Some(1))
    );
    let (status, bob) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "bob@okta.local", "name": {"givenName": "Bob", "familyName": "Jones"},
            "emails": [{"primary": true, "value": "bob@okta.local", "type": "work"}],
            "displayName": "Bob Jones", "locale": "en-US", "externalId": "00u1", "groups": [],
            "password": "1mP@ssw0rd", "active": true,
        })),
    )
    .await;
    assert_eq!(status, 201, "{bob}");
    assert!(bob.get("password").is_none());
    let uid = bob["id"].as_str().expect("id").to_owned();

    // Profile update: GET, then PUT the whole object back.
    let (_, mut full) = scim(&app, &t, Method::GET, &format!("/Users/{uid}"), None).await;
    full["name"]["familyName"] = json!("Jones-Smith");
    let (status, bob) = scim(
        &app,
        &t,
        Method::PUT,
        &format!("/Users/{uid}"),
        Some(full.clone()),
    )
    .await;
    assert_eq!(
        (status, bob["name"]["familyName"].as_str()),
        (200, Some("Jones-Smith"))
    );
    assert_eq!(
        target_user(&app, &token, None, &uid).await["lastName"],
        "Jones-Smith"
    );

    // Deactivate and reactivate.
    let (status, bob) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Users/{uid}"),
        Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert_eq!((status, bob["active"].as_bool()), (200, Some(false)));
    assert_eq!(
        target_user(&app, &token, None, &uid).await["isActive"],
        false
    );
    full["active"] = json!(true);
    scim(&app, &t, Method::PUT, &format!("/Users/{uid}"), Some(full)).await;
    assert_eq!(
        target_user(&app, &token, None, &uid).await["isActive"],
        true
    );

    // Push Groups: create, rename with the id in the value, membership in one PATCH, full push.
    let (_, carol) = scim(
        &app,
        &t,
        Method::POST,
        "/Users",
        Some(json!({"userName": "carol@okta.local", "active": true})),
    )
    .await;
    let cid = carol["id"].as_str().expect("id").to_owned();
    let (status, g) = scim(&app, &t, Method::POST, "/Groups", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Okta Push", "members": []}))).await;
    assert_eq!(status, 201);
    let gid = g["id"].as_str().expect("id").to_owned();
    let op = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (status, g) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(op(json!([
        {"op": "replace", "value": {"id": gid, "displayName": "Okta Pushed"}}]))),
    )
    .await;
    assert_eq!(
        (status, g["displayName"].as_str()),
        (200, Some("Okta Pushed"))
    );
    scim(&app, &t, Method::PATCH, &format!("/Groups/{gid}"), Some(op(json!([
        {"op": "add", "path": "members", "value": [{"value": uid, "display": "bob@okta.local"}, {"value": cid, "display": "carol"}]}])))).await;
    let (_, g) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(op(json!([
        {"op": "remove", "path": format!("members[value eq \"{uid}\"]")},
        {"op": "add", "path": "members", "value": [{"value": uid, "display": "bob"}]},
        {"op": "remove", "path": format!("members[value eq \"{cid}\"]")}]))),
    )
    .await;
    assert_eq!(
        g["members"],
        json!([{"value": uid, "$ref": format!("{}/scim/v2/Users/{uid}", app.base)}]),
        "{g}"
    );
    let (_, g) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(op(json!([
        {"op": "replace", "path": "members", "value": [{"value": cid}]}]))),
    )
    .await;
    assert_eq!(g["members"][0]["value"], cid.as_str());
    assert_eq!(g["members"].as_array().map(Vec::len), Some(1));
    let tg = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/target-groups/{gid}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        (tg["name"].as_str(), tg["isScimGroup"].as_bool()),
        (Some("Okta Pushed"), Some(true))
    );

    // Import: pages of users.
    let (_, page) = scim(&app, &t, Method::GET, "/Users?count=2&startIndex=1", None).await;
    assert_eq!(
        (page["totalResults"].as_i64(), page["itemsPerPage"].as_i64()),
        (Some(2), Some(2))
    );

    // Unlink: the group goes, its users stay.
    assert_eq!(
        scim(&app, &t, Method::DELETE, &format!("/Groups/{gid}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        target_user(&app, &token, None, &cid).await["isActive"],
        true
    );

    // OneLogin: `active` as a string, `id: null`, a non-standard manager.
    let (status, dan) = scim(&app, &t, Method::POST, "/Users", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": null, "userName": "dan@onelogin.test", "active": "false",
        "emails": [{"type": "work", "primary": true, "value": "dan@onelogin.test"}],
        "name": {"givenName": "Dan", "familyName": "Brown"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"managerId": "1", "displayName": "Boss"}, "department": "Ops"},
    }))).await;
    assert_eq!(
        (status, dan["active"].as_bool()),
        (201, Some(false)),
        "{dan}"
    );
    let did = dan["id"].as_str().expect("id").to_owned();
    assert_eq!(
        target_user(&app, &token, None, &did).await["isActive"],
        false
    );
}

/// A token of one company never reaches another company's users or groups: not by id, not
/// by filter, not as a group member.
#[tokio::test]
async fn a_token_is_confined_to_its_company() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Tenant A", Some(&mine), false);
    let b = create_company(&app, "Tenant B", Some(&mine), false);
    let (_, ta, _) = integration(&app, &token, Some(&a), json!({"name": "A"})).await;
    let (bid, tb, _) = integration(&app, &token, Some(&b), json!({"name": "B"})).await;

    let user = |name: &str| json!({"userName": name, "emails": [{"value": name}]});
    let (_, ua) = scim(
        &app,
        &ta,
        Method::POST,
        "/Users",
        Some(user("same@example.com")),
    )
    .await;
    let (status, ub) = scim(
        &app,
        &tb,
        Method::POST,
        "/Users",
        Some(user("same@example.com")),
    )
    .await;
    assert_eq!(
        status, 201,
        "the same userName is free in another company: {ub}"
    );
    let (_, only_b) = scim(
        &app,
        &tb,
        Method::POST,
        "/Users",
        Some(user("b-only@example.com")),
    )
    .await;
    let (ua, ub, only_b) = (
        ua["id"].as_str().expect("a"),
        ub["id"].as_str().expect("b"),
        only_b["id"].as_str().expect("b"),
    );
    let (_, gb) = scim(
        &app,
        &tb,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "B Team", "members": [{"value": ub}]})),
    )
    .await;
    let gb = gb["id"].as_str().expect("group");

    for id in [ub, only_b] {
        for method in [Method::GET, Method::DELETE] {
            assert_eq!(
                scim(&app, &ta, method, &format!("/Users/{id}"), None)
                    .await
                    .0,
                404
            );
        }
        assert_eq!(
            scim(
                &app,
                &ta,
                Method::PUT,
                &format!("/Users/{id}"),
                Some(user("x@example.com"))
            )
            .await
            .0,
            404
        );
        assert_eq!(
            scim(
                &app,
                &ta,
                Method::PATCH,
                &format!("/Users/{id}"),
                Some(json!({"Operations": [{"op": "replace", "path": "active", "value": false}]}))
            )
            .await
            .0,
            404
        );
    }
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(
            scim(&app, &ta, method, &format!("/Groups/{gb}"), None)
                .await
                .0,
            404
        );
    }
    for filter in [
        "userName eq \"b-only@example.com\"",
        "userName pr",
        &format!("id eq \"{only_b}\""),
        "emails.value co \"b-only\"",
    ] {
        let (_, list) = scim(&app, &ta, Method::GET, &query(filter), None).await;
        assert!(
            !list_ids(&list).iter().any(|i| i == ub || i == only_b),
            "{filter}: {list}"
        );
    }
    let (_, all) = scim(&app, &ta, Method::GET, "/Users", None).await;
    assert_eq!(list_ids(&all), vec![ua.to_owned()]);
    let (_, groups) = scim(&app, &ta, Method::GET, "/Groups", None).await;
    assert_eq!(groups["totalResults"], 0);

    // Another company's user cannot be made a member.
    let (status, e) = scim(
        &app,
        &ta,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "A Team", "members": [{"value": only_b}]})),
    )
    .await;
    assert_eq!(
        (status, e["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{e}"
    );
    let (_, ga) = scim(
        &app,
        &ta,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "A Team"})),
    )
    .await;
    let ga = ga["id"].as_str().expect("group");
    let (status, _) = scim(
        &app,
        &ta,
        Method::PATCH,
        &format!("/Groups/{ga}"),
        Some(
            json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": only_b}]}]}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    let (_, ga_now) = scim(&app, &ta, Method::GET, &format!("/Groups/{ga}"), None).await;
    assert!(ga_now.get("members").is_none());

    // B's data is untouched; A's token names B's integration id in vain.
    let (_, gb_now) = scim(&app, &tb, Method::GET, &format!("/Groups/{gb}"), None).await;
    assert_eq!(gb_now["members"][0]["value"], ub);
    let forged = format!("{bid}.{}", ta.split_once('.').expect("token").1);
    assert_eq!(
        scim(&app, &forged, Method::GET, "/Users", None).await.0,
        401
    );

    // Another tenant's integration through /api: not found, or forbidden by header.
    let (oid, osecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let admin_a = app.token_for(&oid, &osecret).await;
    for (method, path) in [
        (Method::GET, format!("/api/scim/{bid}")),
        (Method::PUT, format!("/api/scim/{bid}")),
        (Method::DELETE, format!("/api/scim/{bid}")),
        (Method::POST, format!("/api/scim/{bid}/revoke")),
    ] {
        expect_envelope(
            call(
                &app,
                method,
                &path,
                &admin_a,
                None,
                Some(json!({"name": "Mine"})),
            )
            .await,
            404,
            "NOT_FOUND",
        )
        .await;
    }
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/scim/search",
            &admin_a,
            Some(&b),
            Some(json!({})),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_eq!(scim(&app, &tb, Method::GET, "/Users", None).await.0, 200);
}

/// What an integration changes is in the company's audit log as its doing, and its own
/// management is recorded without its token.
#[tokio::test]
async fn what_an_integration_does_is_audited_as_its_doing() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (id, scim_token, _) = integration(&app, &token, None, json!({"name": "Entra"})).await;
    let (status, created) = scim(
        &app,
        &scim_token,
        Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "active": true
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let revoked = expect_data(
        call(
            &app,
            Method::POST,
            &format!("/api/scim/{id}/revoke"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let new_token = revoked["results"][0]["token"]
        .as_str()
        .expect("new token")
        .to_owned();

    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &token,
            None,
            Some(
                json!({"pageNumber": 1, "pageSize": 100, "orderBy": "Sequence", "ascending": true}),
            ),
        )
        .await,
    )
    .await;
    let text = page.to_string();
    for secret in [&scim_token, &new_token] {
        let random = secret.split_once('.').map_or(secret.as_str(), |(_, r)| r);
        assert!(!text.contains(random), "a SCIM token is in the audit log");
    }
    let rows = page["results"].as_array().expect("results").clone();
    let by_scim: Vec<&Value> = rows
        .iter()
        .filter(|r| r["userName"] == "SCIM Entra")
        .collect();
    assert!(
        by_scim
            .iter()
            .any(|r| r["entityName"] == "TargetUser" && r["operation"] == "Create"),
        "the user the integration created is recorded as its doing: {rows:?}"
    );
    let management: Vec<&str> = rows
        .iter()
        .filter(|r| r["entityName"] == "ScimIntegration")
        .map(|r| r["operation"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(management, ["Create", "Update"], "{rows:?}");
}

/// The names of the target groups user `id` is in, sorted.
async fn group_names(app: &TestApp, token: &str, id: &str) -> Vec<String> {
    let groups = expect_data(
        call(
            app,
            Method::POST,
            &format!("/api/target-users/{id}/groups"),
            token,
            None,
            Some(json!({"pageSize": 100})),
        )
        .await,
    )
    .await;
    let mut names: Vec<String> = groups["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|g| g["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn group_by_sorts_users_into_a_group_per_department_or_mapped_value() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let create_group = |name: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            expect_data(
                call(
                    app,
                    Method::POST,
                    "/api/target-groups",
                    token,
                    None,
                    Some(json!({"name": name, "priority": "Medium"})),
                )
                .await,
            )
            .await["resourceId"]
                .as_str()
                .expect("group")
                .to_owned()
        }
    };
    let fallback = create_group("Everyone else").await;
    // A group the administrator made before: a department of that name joins it, any case.
    create_group("sales").await;
    let (id, t, _) = integration(
        &app,
        &token,
        None,
        json!({"name": "Entra ID", "groupResourceId": fallback,
               "groupBySCIMFieldResourceId": "scimFld00021"}),
    )
    .await;
    let detail = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/scim/{id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["groupByCustomFieldName"], "Department", "{detail}");
    let rows = expect_data(
        call(
            &app,
            Method::POST,
            "/api/scim/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(
        rows["results"][0]["groupByCustomFieldName"], "Department",
        "{rows}"
    );

    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let user = |name: &str, department: Option<&str>| {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
            "userName": format!("{name}@example.com"),
            "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        });
        if let Some(d) = department {
            body[enterprise] = json!({"department": d});
        }
        body
    };
    let mut ids = std::collections::HashMap::new();
    for (name, department) in [
        ("ada", Some("Engineering")),
        ("bob", None),
        ("cyd", Some("SALES")),
        ("dan", Some("  engineering ")),
    ] {
        let (status, u) = scim(
            &app,
            &t,
            Method::POST,
            "/Users",
            Some(user(name, department)),
        )
        .await;
        assert_eq!(status, 201, "{u}");
        ids.insert(name, u["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(
        group_names(&app, &token, &ids["ada"]).await,
        ["Engineering"]
    );
    assert_eq!(
        group_names(&app, &token, &ids["bob"]).await,
        ["Everyone else"]
    );
    assert_eq!(group_names(&app, &token, &ids["cyd"]).await, ["sales"]);
    assert_eq!(
        group_names(&app, &token, &ids["dan"]).await,
        ["Engineering"]
    );

    // A changed department moves the user: Entra ID's path-less replace with a dotted key, and
    // a department removed sends the user back to the integration's group.
    let patch = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (status, body) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Users/{}", ids["ada"]),
        Some(patch(json!([
        {"op": "Replace", "value": {format!("{enterprise}:department"): "Research"}}]))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(group_names(&app, &token, &ids["ada"]).await, ["Research"]);
    let (status, body) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Users/{}", ids["bob"]),
        Some(patch(json!([
        {"op": "add", "path": format!("{enterprise}:department"), "value": "Engineering"}]))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        group_names(&app, &token, &ids["bob"]).await,
        ["Engineering"]
    );
    let (status, body) = scim(
        &app,
        &t,
        Method::PATCH,
        &format!("/Users/{}", ids["dan"]),
        Some(patch(json!([
        {"op": "remove", "path": format!("{enterprise}:department")}]))),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        group_names(&app, &token, &ids["dan"]).await,
        ["Everyone else"]
    );
    // A group joined by hand stays when the department does not change (an Okta PUT).
    let extra = create_group("Pilot").await;
    expect_data(
        call(
            &app,
            Method::PUT,
            "/api/target-groups/users",
            &token,
            None,
            Some(json!({"targetUserResourceIds": [ids["cyd"]], "targetGroupResourceIds": [extra]})),
        )
        .await,
    )
    .await;
    let mut again = user("cyd", Some("Sales"));
    again["name"] = json!({"givenName": "Cyd"});
    let (status, body) = scim(
        &app,
        &t,
        Method::PUT,
        &format!("/Users/{}", ids["cyd"]),
        Some(again),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        group_names(&app, &token, &ids["cyd"]).await,
        ["Pilot", "sales"]
    );

    // By a mapped field: its custom field names the Group By.
    let cost_center = expect_data(
        call(
            &app,
            Method::POST,
            "/api/custom-fields",
            &token,
            None,
            Some(
                json!({"name": "Cost Center", "ownerType": "TargetUser", "fieldDataType": "Text"}),
            ),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("field")
        .to_owned();
    let (id2, t2, _) = integration(
        &app,
        &token,
        None,
        json!({"name": "Okta", "groupBySCIMFieldResourceId": "scimFld00017", "fieldMappings": [
            {"customFieldResourceId": cost_center, "scimFieldResourceId": "scimFld00017"}]}),
    )
    .await;
    let detail = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/scim/{id2}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(detail["groupByCustomFieldName"], "Cost Center", "{detail}");
    let mut eve = user("eve", Some("Finance"));
    eve[enterprise]["costCenter"] = json!("CC-4100");
    let (status, u) = scim(&app, &t2, Method::POST, "/Users", Some(eve)).await;
    assert_eq!(status, 201, "{u}");
    let eve_id = u["id"].as_str().expect("id");
    assert_eq!(group_names(&app, &token, eve_id).await, ["CC-4100"]);
    // Without a value and without a group of the integration, a user stays under People.
    let (status, u) = scim(
        &app,
        &t2,
        Method::POST,
        "/Users",
        Some(user("fay", Some("Finance"))),
    )
    .await;
    assert_eq!(status, 201, "{u}");
    assert!(
        group_names(&app, &token, u["id"].as_str().expect("id"))
            .await
            .is_empty()
    );

    // A field that is neither the department nor mapped cannot sort anyone.
    let e = call(
        &app,
        Method::POST,
        "/api/scim",
        &token,
        None,
        Some(json!({"name": "Bad", "groupBySCIMFieldResourceId": "scimFld00017"})),
    )
    .await;
    let e = expect_envelope(e, 400, "INPUT_ERROR").await;
    assert!(
        e["validationMessages"][0]
            .as_str()
            .expect("message")
            .contains("costCenter"),
        "{e}"
    );
}

/// Creates from many connections at once, as Entra ID and Okta provision, are written together
/// (see `latchkey_store::scim::provisioner`) yet answered one by one: a userName or an email
/// taken twice in the same moment is created once and refused once, a licence that has room for
/// some takes exactly those, and every created user has its own audit record.
#[tokio::test]
async fn concurrent_creates_are_each_answered_and_each_audited() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let (_, t, _) = integration(&app, &token, None, json!({"name": "Entra"})).await;
    let user = |name: String, email: String| {
        json!({"userName": name, "emails": [{"value": email, "type": "work", "primary": true}],
               "name": {"givenName": "Given", "familyName": "Family"}})
    };
    let post_all = |bodies: Vec<Value>| {
        let (app, t) = (&app, &t);
        async move {
            futures_util::future::join_all(
                bodies
                    .into_iter()
                    .map(|b| scim(app, t, Method::POST, "/Users", Some(b))),
            )
            .await
        }
    };
    // Thirty at once, all fine.
    let mut answers = post_all(
        (0..30)
            .map(|n| {
                user(
                    format!("user{n}@example.com"),
                    format!("user{n}@example.com"),
                )
            })
            .collect(),
    )
    .await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    // Then four more with the same userName in another case, and the same email under
    // another userName, among them.
    let mut bodies: Vec<Value> = (30..34)
        .map(|n| {
            user(
                format!("user{n}@example.com"),
                format!("user{n}@example.com"),
            )
        })
        .collect();
    bodies.insert(
        2,
        user("USER3@example.com".into(), "other3@example.com".into()),
    );
    bodies.push(user(
        "someone@example.com".into(),
        "user4@example.com".into(),
    ));
    answers.extend(post_all(bodies).await);
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, b)| b)
        .collect();
    assert_eq!((created.len(), refused.len()), (34, 2), "{answers:?}");
    assert!(
        refused.iter().all(|b| b["scimType"] == "uniqueness"),
        "{refused:?}"
    );
    let ids: std::collections::BTreeSet<&str> = created
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 34, "every user has its own id");
    let (_, list) = scim(&app, &t, Method::GET, "/Users?count=100", None).await;
    assert_eq!(list["totalResults"], 34, "{list}");

    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/audit-logs/search",
            &token,
            None,
            Some(
                json!({"pageNumber": 1, "pageSize": 200, "orderBy": "Sequence", "ascending": true}),
            ),
        )
        .await,
    )
    .await;
    let recorded: std::collections::BTreeSet<&str> = page["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["entityName"] == "TargetUser" && r["operation"] == "Create")
        .map(|r| r["entityResourceId"].as_str().expect("entity id"))
        .collect();
    assert_eq!(
        recorded, ids,
        "one Create record per created user, naming it"
    );

    // A licence with room for three: three of eight concurrent creates succeed, and the
    // others are told why.
    let r = crate::companies::reference(&app, &token).await;
    let small = expect_data(
        crate::companies::post_company(
            &app,
            &token,
            None,
            crate::companies::form(&r, "Small Co", 3),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, small_token, _) =
        integration(&app, &token, Some(&small), json!({"name": "Okta"})).await;
    let answers = futures_util::future::join_all((0..8).map(|n| {
        scim(
            &app,
            &small_token,
            Method::POST,
            "/Users",
            Some(user(
                format!("small{n}@example.com"),
                format!("small{n}@example.com"),
            )),
        )
    }))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{answers:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        5,
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s == 400)
            .all(|(_, b)| b["detail"]
                .as_str()
                .unwrap_or("")
                .contains("licence allows 3")),
        "{answers:?}"
    );
}
