//! The console's server side over HTTP: sign-in sessions and their cookie, CSRF and cross-site
//! refusal, sessions ending (sign-out, deactivation, lockout), and `/console/api`, which is
//! authorized exactly like `/api`. The pages themselves are driven in Chromium by
//! `console_browser`.

use latchkey_testkit::TestApp;
use latchkey_testkit::smtp::SmtpSink;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{call, create_company, expect_data, expect_envelope};

const ADMIN: &str = "RoleCompAdmn";
const RESELLER: &str = "RoleReseller";
const PASSWORD: &str = "a long enough console passphrase";

/// Creates a system user through the API and sets their password from the emailed link.
/// Returns the user's resource id.
async fn user_with_password(
    app: &TestApp,
    sink: &SmtpSink,
    token: &str,
    company: &str,
    role: &str,
    email: &str,
) -> String {
    let created = expect_data(
        call(app, Method::POST, "/api/system-users", token, Some(company),
            Some(json!({"firstName": "Con", "lastName": "Sole", "email": email, "phoneNumber": "+15550100",
                        "statusId": 1, "roleResourceIdList": [role], "companyResourceId": company})))
        .await,
    )
    .await;
    let link = sink
        .next_mail_to(email)
        .await
        .password_link()
        .expect("the mail carries a link");
    let link_token = reqwest::Url::parse(&link)
        .expect("link is a URL")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token in link");
    expect_data(
        app.http
            .post(app.url("/api/system-users/create-password"))
            .json(&json!({"token": link_token, "newPassword": PASSWORD, "confirmNewPassword": PASSWORD}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    created["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

/// A browser's view of a console session: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
    data: Value,
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("latchkey_session="))
        .map(str::to_owned)
}

async fn sign_in_response(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/console/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request")
}

async fn sign_in(app: &TestApp, email: &str) -> Session {
    let response = sign_in_response(app, email, PASSWORD).await;
    let set_cookie = session_cookie(response.headers()).expect("a session cookie");
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();
    let data = expect_data(response).await;
    Session {
        cookie,
        csrf: data["csrfToken"].as_str().expect("csrfToken").to_owned(),
        data,
    }
}

impl Session {
    fn request(&self, app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
        app.http
            .request(method, app.url(path))
            .header("Cookie", &self.cookie)
    }

    /// A state-changing call as the console's script makes it.
    fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        company: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .request(app, method, path)
            .header("X-CSRF-Token", &self.csrf);
        if let Some(c) = company {
            request = request.header("X-KEEPNET-Company-Id", c);
        }
        request
    }
}

async fn status_of(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.expect("request").status()
}

fn client_body(name: &str) -> Value {
    json!({"name": name, "clientId": "ConsoleClient00000001", "clientSecret": "s3cret-Value-that-is-long-enough-XYZ-0123456789",
           "statusId": 1, "hasIpAddressRestriction": false, "roleResourceIdList": [ADMIN]})
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_for_the_console_only() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    user_with_password(&app, &sink, &token, &reseller, RESELLER, "ops@example.com").await;

    let response = sign_in_response(&app, "OPS@example.com", PASSWORD).await;
    let set_cookie = session_cookie(response.headers()).expect("Set-Cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing: {set_cookie}"
        );
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().ok()),
        Some(Some("no-store"))
    );
    let session = sign_in(&app, "ops@example.com").await;
    assert_eq!(session.data["companyResourceId"], reseller.as_str());
    assert_eq!(session.data["resellerAccess"], true);
    assert!(
        session.data["permissions"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );

    let current = expect_data(
        session
            .request(&app, Method::GET, "/console/session")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(current["csrfToken"], session.csrf.as_str());
    let my = expect_data(
        session
            .request(&app, Method::GET, "/console/api/companies/my")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(my[0]["resourceId"], reseller.as_str());

    // No cookie, a made-up cookie, and the cookie sent to the bearer API: all refused.
    expect_envelope(
        app.http
            .get(app.url("/console/api/companies/my"))
            .send()
            .await
            .expect("request"),
        401,
        "UNAUTHORIZED",
    )
    .await;
    expect_envelope(
        app.http
            .get(app.url("/console/api/companies/my"))
            .header("Cookie", "latchkey_session=forged")
            .send()
            .await
            .expect("request"),
        401,
        "UNAUTHORIZED",
    )
    .await;
    expect_envelope(
        session
            .request(&app, Method::GET, "/api/companies/my")
            .send()
            .await
            .expect("request"),
        401,
        "UNAUTHORIZED",
    )
    .await;
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_console_is_reached_over_tls() {
    let (app, sink) =
        TestApp::spawn_with_smtp(|c| c.public_url = "https://latchkey.example".into()).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    user_with_password(&app, &sink, &token, &reseller, RESELLER, "tls@example.com").await;
    let via_proxy = app
        .http
        .post(app.url("/console/session"))
        .header("X-Forwarded-Proto", "https")
        .json(&json!({"email": "tls@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert!(
        session_cookie(via_proxy.headers())
            .expect("cookie")
            .contains("Secure")
    );
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_a_same_site_request() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    user_with_password(&app, &sink, &token, &reseller, RESELLER, "csrf@example.com").await;
    let s = sign_in(&app, "csrf@example.com").await;
    let path = "/console/api/companies/clients";

    let no_token = s.request(&app, Method::POST, path).json(&client_body("a"));
    assert_eq!(status_of(no_token).await, StatusCode::FORBIDDEN);
    let wrong_token = s
        .request(&app, Method::POST, path)
        .header("X-CSRF-Token", "00".repeat(32))
        .json(&client_body("b"));
    assert_eq!(status_of(wrong_token).await, StatusCode::FORBIDDEN);
    let cross_site = s
        .send(&app, Method::POST, path, None)
        .header("Sec-Fetch-Site", "cross-site")
        .json(&client_body("c"));
    assert_eq!(status_of(cross_site).await, StatusCode::FORBIDDEN);
    let foreign_origin = s
        .send(&app, Method::POST, path, None)
        .header("Origin", "http://evil.example")
        .json(&client_body("d"));
    assert_eq!(status_of(foreign_origin).await, StatusCode::FORBIDDEN);
    let clients = expect_data(
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
    assert_eq!(
        clients["totalNumberOfRecords"], 1,
        "only the initial client: {clients}"
    );

    let created = s
        .send(&app, Method::POST, path, None)
        .json(&client_body("made in the console"));
    let created = expect_data(created.send().await.expect("request")).await;
    assert!(created["resourceId"].is_string());
    // Sign-out is a state change too.
    assert_eq!(
        status_of(s.request(&app, Method::DELETE, "/console/session")).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_console_api_is_authorized_like_the_api() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer A", Some(&reseller), false);
    let other = create_company(&app, "Customer B", Some(&reseller), false);
    user_with_password(&app, &sink, &token, &customer, ADMIN, "admin-a@example.com").await;
    user_with_password(&app, &sink, &token, &reseller, RESELLER, "mssp@example.com").await;

    let admin = sign_in(&app, "admin-a@example.com").await;
    assert_eq!(admin.data["resellerAccess"], false);
    for (method, path, company) in [
        (Method::POST, "/console/api/companies/search", None),
        (
            Method::GET,
            &*format!("/console/api/companies/{other}"),
            None,
        ),
        (
            Method::POST,
            "/console/api/companies/clients/search",
            Some(other.as_str()),
        ),
    ] {
        let response = admin
            .send(&app, method, path, company)
            .json(&json!({}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let own = admin
        .send(
            &app,
            Method::POST,
            "/console/api/companies/clients/search",
            None,
        )
        .json(&json!({}));
    assert_eq!(
        expect_data(own.send().await.expect("request")).await["totalNumberOfRecords"],
        0
    );

    // A reseller's user acts on its customers by header, like a reseller's client.
    let mssp = sign_in(&app, "mssp@example.com").await;
    let created = mssp
        .send(
            &app,
            Method::POST,
            "/console/api/companies/clients",
            Some(&customer),
        )
        .json(&client_body("for customer A"));
    expect_data(created.send().await.expect("request")).await;
    let listed = admin
        .send(
            &app,
            Method::POST,
            "/console/api/companies/clients/search",
            None,
        )
        .json(&json!({}));
    let listed = expect_data(listed.send().await.expect("request")).await;
    assert_eq!(listed["results"][0]["clientName"], "for customer A");
}

/// Status, the headers a client could tell apart (all but the per-response ones), and body.
async fn answer(response: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    headers.sort();
    (status, headers, response.text().await.expect("body"))
}

#[tokio::test]
async fn a_locked_account_answers_exactly_like_a_wrong_password_and_an_unknown_email() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    user_with_password(&app, &sink, &token, &reseller, RESELLER, "lock@example.com").await;

    let unknown = answer(sign_in_response(&app, "nobody@example.com", PASSWORD).await).await;
    let wrong = answer(sign_in_response(&app, "lock@example.com", "not the password").await).await;
    assert_eq!(unknown.0, 401);
    assert_eq!(unknown, wrong);
    // Four more wrong passwords: the fifth in a row locks the account, and says nothing of it.
    for _ in 0..4 {
        let more =
            answer(sign_in_response(&app, "lock@example.com", "still not the password").await)
                .await;
        assert_eq!(more, wrong);
    }
    // While the lock holds, the right password gets the same answer as a wrong one, and as an
    // email nobody has.
    let locked_right = answer(sign_in_response(&app, "lock@example.com", PASSWORD).await).await;
    let locked_wrong = answer(sign_in_response(&app, "lock@example.com", "wrong").await).await;
    assert_eq!(
        locked_right, wrong,
        "a locked account must not be told apart"
    );
    assert_eq!(locked_wrong, wrong);
    assert_eq!(
        answer(sign_in_response(&app, "nobody@example.com", PASSWORD).await).await,
        wrong
    );
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_when_the_user_is_deactivated() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    let user =
        user_with_password(&app, &sink, &token, &reseller, RESELLER, "bye@example.com").await;

    let first = sign_in(&app, "bye@example.com").await;
    let out = first
        .send(&app, Method::DELETE, "/console/session", None)
        .send()
        .await
        .expect("request");
    let cleared = session_cookie(out.headers()).expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    expect_data(out).await;
    expect_envelope(
        first
            .request(&app, Method::GET, "/console/api/companies/my")
            .send()
            .await
            .expect("request"),
        401,
        "UNAUTHORIZED",
    )
    .await;

    let second = sign_in(&app, "bye@example.com").await;
    expect_data(
        call(&app, Method::PUT, &format!("/api/system-users/{user}"), &token, None,
            Some(json!({"firstName": "Con", "lastName": "Sole", "email": "bye@example.com", "phoneNumber": "+15550100",
                        "statusId": 0, "roleResourceIdList": [RESELLER]})))
        .await,
    )
    .await;
    expect_envelope(
        second
            .request(&app, Method::GET, "/console/api/companies/my")
            .send()
            .await
            .expect("request"),
        401,
        "UNAUTHORIZED",
    )
    .await;
    let inactive = expect_envelope(
        sign_in_response(&app, "bye@example.com", PASSWORD).await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert!(
        inactive["message"]
            .as_str()
            .is_some_and(|m| m.contains("inactive")),
        "{inactive}"
    );
}

#[tokio::test]
async fn the_console_is_served_from_the_binary_with_a_strict_policy() {
    let app = TestApp::spawn().await;
    let assets = latchkey_server::console::ASSETS
        .iter()
        .map(|(path, _)| format!("/console/assets/{path}"));
    let pages = [
        "/console",
        "/console/",
        "/console/password?token=x&purpose=create",
    ];
    for path in pages.into_iter().map(str::to_owned).chain(assets) {
        let response = app.http.get(app.url(&path)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let kind = match path.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            _ => "text/html",
        };
        assert!(header("content-type").starts_with(kind), "{path}");
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("referrer-policy"), "no-referrer");
        let body = response.text().await.expect("body");
        if kind == "text/javascript" {
            assert!(
                !body.contains("innerHTML") && !body.contains("eval("),
                "{path}: server text is only ever inserted as text"
            );
        }
    }
    let page = app
        .http
        .get(app.url("/console/"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing is loaded from elsewhere"
    );
    // Every file the page names (style sheet, module preloads, the shell) is one it serves.
    for named in page
        .split("href=\"/console/assets/")
        .skip(1)
        .chain(page.split("src=\"/console/assets/").skip(1))
    {
        let path = named.split('"').next().unwrap_or_default();
        assert!(
            latchkey_server::console::ASSETS
                .iter()
                .any(|(p, _)| *p == path),
            "index.html names {path}, which is not served"
        );
    }
}

#[tokio::test]
async fn assets_revalidate_by_etag_and_unknown_ones_are_404() {
    let app = TestApp::spawn().await;
    let first = app
        .http
        .get(app.url("/console/assets/lib/table.js"))
        .send()
        .await
        .expect("request");
    let etag = first
        .headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .expect("ascii")
        .to_owned();
    let again = app
        .http
        .get(app.url("/console/assets/lib/table.js"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let other = app
        .http
        .get(app.url("/console/assets/app.css"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), StatusCode::OK, "another file's tag");
    for missing in [
        "/console/assets/nope.js",
        "/console/assets/../Cargo.toml",
        "/console/assets/lib/",
    ] {
        let response = app
            .http
            .get(app.url(missing))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn a_signed_in_user_has_the_api_rate_limit_of_a_client() {
    let (app, sink) = TestApp::spawn_with_smtp(|c| {
        c.rate_limit_api_per_second = 1;
        c.rate_limit_api_burst = 3;
    })
    .await;
    let token = app.reseller_token().await;
    let reseller = app.initial.company_resource_id.clone();
    user_with_password(&app, &sink, &token, &reseller, RESELLER, "busy@example.com").await;
    let s = sign_in(&app, "busy@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(status_of(s.request(&app, Method::GET, "/console/api/companies/my")).await);
    }
    assert!(statuses[0].is_success(), "{statuses:?}");
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The user's bucket is their own: the reseller's client is not slowed down by it.
    let r = call(&app, Method::GET, "/api/companies/my", &token, None, None).await;
    assert!(r.status().is_success());
}
