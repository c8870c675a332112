//! Roles and the permission catalog.

use latchkey_testkit::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    api_create_client, call, create_client, create_company, expect_data, expect_envelope,
};

async fn permission_ids(app: &TestApp, token: &str, keys: &[&str]) -> Vec<String> {
    let tree =
        expect_data(call(app, Method::GET, "/api/permissions/all", token, None, None).await).await;
    let mut ids = Vec::new();
    for key in keys {
        let id = tree
            .as_array()
            .expect("modules")
            .iter()
            .flat_map(|m| m["children"].as_array().expect("children").iter())
            .find(|p| p["permissionName"] == *key)
            .unwrap_or_else(|| panic!("{key} is in the catalog"))["permissionResourceId"]
            .as_str()
            .expect("id")
            .to_owned();
        ids.push(id);
    }
    ids
}

async fn create_role(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    name: &str,
    permissions: &[String],
    share: Value,
) -> reqwest::Response {
    call(app, Method::POST, "/api/roles", token, company,
         Some(json!({"name": name, "description": "test role", "permissionResourceIdList": permissions, "availableForRequests": share}))).await
}

fn role_names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[tokio::test]
async fn the_catalog_is_generated_from_the_route_table() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let tree = expect_data(
        call(
            &app,
            Method::GET,
            "/api/permissions/all",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let module = tree
        .as_array()
        .expect("modules")
        .iter()
        .find(|m| m["moduleName"] == "Company Rest Api Client")
        .expect("clients module");
    let keys: Vec<&str> = module["children"]
        .as_array()
        .expect("children")
        .iter()
        .map(|c| c["permissionName"].as_str().expect("k"))
        .collect();
    for key in [
        "companies/clients|POST",
        "companies/clients/search|POST",
        "companies/clients/{resourceId}|DELETE",
    ] {
        assert!(keys.contains(&key), "{key}: {keys:?}");
    }
    // The token lists exactly what the catalog offers this client.
    let body: Value = app
        .token_post(&app.initial.client_id, &app.initial.client_secret)
        .await
        .json()
        .await
        .expect("json");
    let all: usize = tree
        .as_array()
        .expect("m")
        .iter()
        .map(|m| m["children"].as_array().expect("c").len())
        .sum();
    assert_eq!(
        body["permissions"].as_array().expect("permissions").len(),
        all
    );
    // Ids are derived from the keys, so every server agrees on them.
    let other = TestApp::spawn().await;
    let other_token = other.reseller_token().await;
    assert_eq!(
        permission_ids(&app, &token, &["roles|POST"]).await,
        permission_ids(&other, &other_token, &["roles|POST"]).await
    );
}

#[tokio::test]
async fn built_in_roles_are_offered_by_company_kind_and_cannot_change() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let customer = create_company(
        &app,
        "Customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let own = expect_data(call(&app, Method::GET, "/api/roles", &token, None, None).await).await;
    assert_eq!(role_names(&own), vec!["Company Admin", "Reseller"]);
    let theirs = expect_data(
        call(
            &app,
            Method::GET,
            "/api/roles",
            &token,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(role_names(&theirs), vec!["Company Admin"]);
    let r = call(
        &app,
        Method::PUT,
        "/api/roles/RoleReseller",
        &token,
        None,
        Some(json!({"name": "x", "description": "y"})),
    )
    .await;
    expect_envelope(r, 403, "FORBIDDEN").await;
    expect_envelope(
        call(
            &app,
            Method::DELETE,
            "/api/roles/RoleCompAdmn",
            &token,
            None,
            None,
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            "/api/roles/RoleCompAdmn",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["name"], "Company Admin");
    assert!(
        !dto["permissionResourceIdList"]
            .as_array()
            .expect("ids")
            .is_empty()
    );
}

#[tokio::test]
async fn a_custom_role_limits_its_clients_and_changes_apply_at_once() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let narrow = permission_ids(&app, &token, &["companies/my|GET"]).await;
    let role =
        expect_data(create_role(&app, &token, None, "Read only", &narrow, json!([])).await).await;
    let role_id = role["resourceId"].as_str().expect("id").to_owned();
    let (_, id, secret) = api_create_client(&app, &token, None, "reader", &[&role_id], None).await;
    let body: Value = app
        .token_post(&id, &secret)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["permissions"], json!(["companies/my|GET"]));
    let live = body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.companies_my(&live).await.status(), 200);
    let r = call(
        &app,
        Method::POST,
        "/api/companies/clients/search",
        &live,
        None,
        Some(json!({})),
    )
    .await;
    expect_envelope(r, 403, "FORBIDDEN").await;

    // Widen the role: the same token may search now.
    let wider = permission_ids(
        &app,
        &token,
        &["companies/my|GET", "companies/clients/search|POST"],
    )
    .await;
    let r = call(&app, Method::PUT, &format!("/api/roles/{role_id}"), &token, None,
                 Some(json!({"name": "Read only", "description": "test role", "permissionResourceIdList": wider}))).await;
    expect_data(r).await;
    expect_data(
        call(
            &app,
            Method::POST,
            "/api/companies/clients/search",
            &live,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;

    // A holder of the role cannot mint a role above it.
    let roles_post = permission_ids(
        &app,
        &token,
        &["roles|POST", "permissions/all|GET", "companies/my|GET"],
    )
    .await;
    let maker =
        expect_data(create_role(&app, &token, None, "Role maker", &roles_post, json!([])).await)
            .await;
    let (_, mid, msecret) = api_create_client(
        &app,
        &token,
        None,
        "maker",
        &[maker["resourceId"].as_str().expect("id")],
        None,
    )
    .await;
    let maker_token = app.token_for(&mid, &msecret).await;
    let escalate = permission_ids(&app, &token, &["companies/clients|POST"]).await;
    let err = expect_envelope(
        create_role(&app, &maker_token, None, "Escalate", &escalate, json!([])).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        err["validationMessages"][0]
            .as_str()
            .expect("m")
            .contains("cannot grant"),
        "{err}"
    );
}

#[tokio::test]
async fn a_role_in_use_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let perms = permission_ids(&app, &token, &["companies/my|GET"]).await;
    let role = expect_data(create_role(&app, &token, None, "Temp", &perms, json!([])).await).await;
    let role_id = role["resourceId"].as_str().expect("id").to_owned();
    let (client, _, _) = api_create_client(&app, &token, None, "holder", &[&role_id], None).await;
    let err = expect_envelope(
        call(
            &app,
            Method::DELETE,
            &format!("/api/roles/{role_id}"),
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
            .contains("assigned"),
        "{err}"
    );
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/companies/clients/{client}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/roles/{role_id}"),
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
            &format!("/api/roles/{role_id}"),
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
async fn a_reseller_shares_a_role_with_a_customer() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let customer = create_company(
        &app,
        "Customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let perms = permission_ids(&app, &token, &["companies/my|GET"]).await;
    let shared = expect_data(
        create_role(
            &app,
            &token,
            None,
            "Shared reader",
            &perms,
            json!([{"type": "Company", "resourceId": customer}]),
        )
        .await,
    )
    .await;
    let shared_id = shared["resourceId"].as_str().expect("id").to_owned();
    let dto = expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/roles/{shared_id}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(dto["availableForList"][0]["targetResourceId"], customer);
    assert_eq!(dto["availableForList"][0]["typeName"], "Company");

    let available = expect_data(
        call(
            &app,
            Method::GET,
            "/api/roleswithavailable",
            &token,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    assert!(
        role_names(&available).contains(&"Shared reader".to_owned()),
        "{available}"
    );
    let own = expect_data(
        call(
            &app,
            Method::GET,
            "/api/roles",
            &token,
            Some(&customer),
            None,
        )
        .await,
    )
    .await;
    assert!(!role_names(&own).contains(&"Shared reader".to_owned()));
    api_create_client(
        &app,
        &token,
        Some(&customer),
        "customer reader",
        &[&shared_id],
        None,
    )
    .await;

    // The customer's own admin sees the role but cannot change it.
    let (aid, asecret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = app.token_for(&aid, &asecret).await;
    expect_data(
        call(
            &app,
            Method::GET,
            &format!("/api/roles/{shared_id}"),
            &admin,
            None,
            None,
        )
        .await,
    )
    .await;
    let r = call(
        &app,
        Method::PUT,
        &format!("/api/roles/{shared_id}"),
        &admin,
        None,
        Some(json!({"name": "mine", "description": "now"})),
    )
    .await;
    expect_envelope(r, 403, "FORBIDDEN").await;
    // And a company admin cannot share roles at all.
    let r = create_role(
        &app,
        &admin,
        None,
        "Sneaky",
        &[],
        json!([{"type": "Company", "resourceId": app.initial.company_resource_id}]),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
    // Sharing with a company outside the reseller's tree is refused.
    let stranger = create_company(&app, "Stranger", None, false);
    let r = create_role(
        &app,
        &token,
        None,
        "Leak",
        &perms,
        json!([{"type": "Company", "resourceId": stranger}]),
    )
    .await;
    expect_envelope(r, 400, "INPUT_ERROR").await;
}

#[tokio::test]
async fn role_search_and_validation() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    expect_data(create_role(&app, &token, None, "Auditor", &[], json!([])).await).await;
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/roles/search",
            &token,
            None,
            Some(json!({"orderBy": "Name", "ascending": true, "filter": null})),
        )
        .await,
    )
    .await;
    let rows = page["results"].as_array().expect("rows");
    let summary: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["roleName"].as_str().expect("n").to_owned(),
                r["typeName"].as_str().expect("t").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Auditor".into(), "Custom".into()),
            ("Company Admin".into(), "System".into()),
            ("Reseller".into(), "System".into())
        ]
    );
    assert_eq!(rows[0]["isOwner"], true);
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/roles",
            &token,
            None,
            Some(json!({"name": "", "permissionResourceIdList": ["nope"]})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        err["validationMessages"].as_array().expect("m").len(),
        3,
        "{err}"
    );
}

#[tokio::test]
async fn other_tenants_roles_cannot_be_read_changed_or_deleted() {
    let app = TestApp::spawn().await;
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let a = create_company(
        &app,
        "Company A",
        Some(&app.initial.company_resource_id),
        false,
    );
    let (bid, bsecret) = create_client(&app, &b, "Company Admin", &[]);
    let (aid, asecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let b_token = app.token_for(&bid, &bsecret).await;
    let a_token = app.token_for(&aid, &asecret).await;
    let reseller = app.reseller_token().await;
    let role = expect_data(create_role(&app, &b_token, None, "B only", &[], json!([])).await).await;
    let path = format!("/api/roles/{}", role["resourceId"].as_str().expect("id"));
    for attacker in [&a_token, &reseller] {
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
                Some(json!({"name": "x", "description": "y"})),
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
        expect_envelope(
            call(&app, Method::GET, &path, attacker, Some(&b), None).await,
            403,
            "FORBIDDEN",
        )
        .await;
        expect_envelope(
            call(&app, Method::GET, "/api/roles", attacker, Some(&b), None).await,
            403,
            "FORBIDDEN",
        )
        .await;
        expect_envelope(
            create_role(&app, attacker, Some(&b), "Planted", &[], json!([])).await,
            403,
            "FORBIDDEN",
        )
        .await;
        let page = expect_data(
            call(
                &app,
                Method::POST,
                "/api/roles/search",
                attacker,
                None,
                Some(json!({})),
            )
            .await,
        )
        .await;
        assert!(!page.to_string().contains("B only"));
    }
    assert_eq!(
        expect_data(call(&app, Method::GET, &path, &b_token, None, None).await).await["name"],
        "B only"
    );
}

#[tokio::test]
async fn role_search_counts_the_users_and_clients_holding_each_role() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let customer = create_company(
        &app,
        "Counted customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let auditor =
        expect_data(create_role(&app, &token, None, "Auditor", &[], json!([])).await).await;
    let auditor = auditor["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();
    api_create_client(&app, &token, None, "audit client", &[&auditor], None).await;
    for (email, company, role) in [
        ("auditor@example.com", None, auditor.as_str()),
        (
            "admin@customer.example",
            Some(customer.as_str()),
            "RoleCompAdmn",
        ),
    ] {
        expect_data(call(&app, Method::POST, "/api/system-users", &token, company,
            Some(json!({"firstName": "Role", "lastName": "Holder", "email": email, "phoneNumber": "+15550100",
                        "roleResourceIdList": [role]}))).await).await;
    }
    let page = expect_data(
        call(
            &app,
            Method::POST,
            "/api/roles/search",
            &token,
            None,
            Some(json!({})),
        )
        .await,
    )
    .await;
    let counts = |name: &str| {
        let row = page["results"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["roleName"] == name)
            .unwrap_or_else(|| panic!("{name}: {page}"));
        (
            row["userCount"].as_i64().expect("n"),
            row["tenantUserCount"].as_i64().expect("n"),
        )
    };
    assert_eq!(
        counts("Auditor"),
        (2, 0),
        "a user and a client of the owner company"
    );
    assert_eq!(
        counts("Company Admin"),
        (1, 1),
        "built-in roles belong to no company"
    );
    // The initial client and the first platform administrator.
    assert_eq!(counts("Reseller"), (2, 2));
}
