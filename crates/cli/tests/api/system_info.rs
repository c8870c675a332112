//! `/api/system-info`: the build's version, and the summary of the company a request acts on,
//! through the typed client.

use latchkey_client::{Error, Method};
use latchkey_proto::ResultStatus;
use latchkey_testkit::TestApp;
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{api_client, api_client_for, create_client, create_company, expect_data};

/// HEAD of the checkout the tests run from, when there is one.
fn git_head() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--verify", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[tokio::test]
async fn the_version_is_the_build_s() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let version = api_client(&app, &token).version().await.expect("version");
    assert_eq!(version.name, "Latchkey");
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));
    if let Some(commit) = &version.commit {
        assert!(
            commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{commit}"
        );
    }
    // Built from this checkout, without LATCHKEY_GIT_COMMIT: the commit is its HEAD.
    if std::env::var_os("LATCHKEY_GIT_COMMIT").is_none()
        && let Some(head) = git_head()
    {
        assert_eq!(version.commit.as_deref(), Some(head.as_str()));
    }

    // On the wire: the envelope, with the fields camelCase.
    let body: Value = app
        .get("/api/system-info/version", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["isSuccess"], true);
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["data"].get("commit").is_some(), "{body}");

    let anonymous = app
        .http
        .get(app.url("/api/system-info/version"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn the_summary_is_of_the_company_the_request_acts_on() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let r = reference(&app, &token).await;
    let acme = expect_data(post_company(&app, &token, None, form(&r, "Acme Corp", 2)).await).await
        ["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let reseller = api_client(&app, &token);
    let _: Value = reseller
        .call(
            Method::POST,
            "/api/target-users",
            Some(&acme),
            json!({"email": "ann@example.com", "firstName": "Ann"}),
        )
        .await
        .expect("target user");

    let summary = reseller.system_summary(Some(&acme)).await.expect("summary");
    let version = reseller.version().await.expect("version");
    assert_eq!(summary.version_info.data.as_ref(), Some(&version));
    for status in [
        summary.version_info.status,
        summary.company_license.status,
        summary.company.status,
    ] {
        assert_eq!(status, ResultStatus::Success);
    }
    let company = summary.company.data.expect("company");
    assert_eq!(company.resource_id, acme);
    assert_eq!(company.name, "Acme Corp");
    assert!(company.country_name.is_some());
    let license = summary.company_license.data.expect("licence");
    assert!(license.check.is_limited);
    assert_eq!(license.check.license_limit, 2);
    assert_eq!(license.check.active_user_count, 1);
    assert!(!license.check.is_license_exceeded);
    assert!(license.license_type_name.is_some());
    assert!(!license.licence_expired);

    // The parts keep the contract's DataResponse shape: no isSuccess inside.
    let body: Value = app
        .http
        .get(app.url("/api/system-info/summary"))
        .bearer_auth(&token)
        .header("X-KEEPNET-Company-Id", &acme)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let part = &body["data"]["companyLicense"];
    assert_eq!(part["status"], "SUCCESS", "{body}");
    assert_eq!(part["data"]["isLimited"], true);
    assert!(part.get("isSuccess").is_none(), "{part}");

    // Without a company named: the caller's own.
    let own = reseller.system_summary(None).await.expect("summary");
    assert_eq!(
        own.company.data.expect("company").resource_id,
        app.initial.company_resource_id
    );

    // The customer's own administrator sees the same company.
    let (id, secret) = create_client(&app, &acme, "Company Admin", &[]);
    app.await_client_view().await;
    let admin = api_client_for(&app, &id, &secret);
    let theirs = admin.system_summary(None).await.expect("summary");
    assert_eq!(theirs.company.data.expect("company").resource_id, acme);
}

#[tokio::test]
async fn a_summary_of_a_company_out_of_reach_is_refused() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer", Some(&mine), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let theirs = create_company(&app, "Their customer", Some(&other_mssp), false);
    let (id, secret) = create_client(&app, &customer, "Company Admin", &[]);
    app.await_client_view().await;
    let reseller = api_client(&app, &app.reseller_token().await);
    let admin = api_client_for(&app, &id, &secret);

    let refused = |e: Error, http: u16, status: ResultStatus| {
        let api = e.api().unwrap_or_else(|| panic!("an envelope: {e}"));
        assert_eq!(api.http, http, "{api}");
        assert!(api.is(status), "{api}");
    };
    for (client, company) in [(&reseller, &theirs), (&admin, &mine), (&admin, &theirs)] {
        let e = client
            .system_summary(Some(company))
            .await
            .expect_err("another tenant");
        refused(e, 403, ResultStatus::Forbidden);
    }
    let e = reseller
        .system_summary(Some("NoSuchCompny"))
        .await
        .expect_err("unknown");
    refused(e, 404, ResultStatus::NotFound);
}
