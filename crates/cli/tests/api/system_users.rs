//! `/api/system-users`: people, their roles, one-time password links and the email that
//! carries them, the sign-in service the console uses, and the operator paths without email
//! (the admin CLI and the first administrator's link file).
//!
//! Mail goes to an SMTP sink started by the test; links are read from the captured messages.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;

use latchkey_domain::authz::Principal;
use latchkey_proto::system_users::{ChangePasswordRequest, SetSystemUserSettingsRequest};
use latchkey_server::api::system_users::{change_password_as, settings_as, update_settings_as};
use latchkey_server::auth::password::{SignInError, sign_in, user_caller};
use latchkey_testkit::TestApp;
use latchkey_testkit::smtp::SmtpSink;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    api_create_client, binary, call, create_client, create_company, expect_data, expect_envelope,
};

const ADMIN: &str = "RoleCompAdmn";
const RESELLER: &str = "RoleReseller";
const PASSWORD: &str = "correct horse battery staple";
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn user_body(email: &str, roles: &[&str]) -> Value {
    json!({"firstName": "Jane", "lastName": "Doe", "email": email, "phoneNumber": "+15551234567",
           "roleResourceIdList": roles})
}

/// Creates a user through the API; returns their resource id.
async fn create_user(
    app: &TestApp,
    token: &str,
    company: Option<&str>,
    email: &str,
    roles: &[&str],
) -> String {
    let data = expect_data(
        call(
            app,
            Method::POST,
            "/api/system-users",
            token,
            company,
            Some(user_body(email, roles)),
        )
        .await,
    )
    .await;
    data["resourceId"].as_str().expect("resourceId").to_owned()
}

async fn add_role(app: &TestApp, token: &str, user: &str, role: &str) -> reqwest::Response {
    call(
        app,
        Method::POST,
        &format!("/api/system-users/{user}/role"),
        token,
        None,
        Some(json!({"userResourceId": user, "roleResourceId": role})),
    )
    .await
}

async fn remove_role(app: &TestApp, token: &str, user: &str, role: &str) -> reqwest::Response {
    call(
        app,
        Method::DELETE,
        &format!("/api/system-users/{user}/role/{role}"),
        token,
        None,
        None,
    )
    .await
}

/// `POST` without a bearer token, as the console's password page calls.
async fn post_public(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("request")
}

fn token_of(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the link carries a token")
        .to_owned()
}

fn password_body(token: &str, password: &str) -> Value {
    json!({"token": token, "newPassword": password, "confirmNewPassword": password})
}

async fn search(app: &TestApp, token: &str, company: Option<&str>, body: Value) -> Value {
    expect_data(
        call(
            app,
            Method::POST,
            "/api/system-users/search",
            token,
            company,
            Some(body),
        )
        .await,
    )
    .await
}

fn messages(body: &Value) -> Vec<String> {
    body["validationMessages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|s| s.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn database(app: &TestApp) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&app.database_url)
        .await
        .expect("database")
}

/// Runs `latchkey admin …` without blocking the test's runtime, which serves the API.
async fn admin(app: &TestApp, args: &[&str]) -> Value {
    let out = tokio::process::Command::new(binary())
        .arg("--data-dir")
        .arg(app.data_dir.path())
        .arg("--database-url")
        .arg(&app.database_url)
        .arg("admin")
        .args(args)
        .env_remove("LATCHKEY_CONFIG")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run latchkey admin");
    assert!(
        out.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("admin output is JSON")
}

#[tokio::test]
async fn an_invitation_link_sets_the_password_once_and_the_user_signs_in() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let r = call(
        &app,
        Method::POST,
        "/api/system-users",
        &token,
        None,
        Some(user_body("Jane.Doe@Example.com", &[ADMIN])),
    )
    .await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["status"], "SUCCESS", "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("was sent to Jane.Doe@Example.com"),
        "{body}"
    );
    let user = body["data"]["resourceId"].as_str().expect("id").to_owned();

    let mail = sink.next_mail_to("Jane.Doe@Example.com").await;
    assert_eq!(mail.from, "latchkey@localhost");
    assert!(
        mail.header("subject")
            .expect("subject")
            .contains("set your password"),
        "{mail:?}"
    );
    let link = mail.password_link().expect("a link in the mail");
    let prefix = format!("{}/console/password?token=", app.base);
    assert!(link.starts_with(&prefix), "{link}");
    assert!(link.ends_with("&purpose=create"), "{link}");
    let secret = token_of(&link);
    assert_eq!(secret.len(), 43);

    // The policy, in words.
    let err = expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&secret, "short"),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        messages(&err),
        ["The password must be between 12 and 128 characters long"]
    );
    let err = expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&secret, "jane.doe@example.com"),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        messages(&err),
        ["The password must not be your email address"]
    );
    let err = expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            json!({"token": secret, "newPassword": PASSWORD, "confirmNewPassword": "something else"}),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        messages(&err),
        ["The new password and its confirmation do not match"]
    );
    // A reset endpoint does not take an invitation's token.
    expect_envelope(
        post_public(
            &app,
            "/api/system-users/reset-password",
            password_body(&secret, PASSWORD),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;

    // Failed attempts did not use the link up; the first good one does.
    let done = expect_data(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&secret, PASSWORD),
        )
        .await,
    )
    .await;
    assert_eq!(done, json!({"email": "Jane.Doe@Example.com"}));
    let again = expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&secret, PASSWORD),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(messages(&again)[0].contains("already been used"), "{again}");

    // The stored password is a hash, and the token only a digest.
    let pool = database(&app).await;
    let (hash,): (String,) =
        sqlx::query_as("SELECT password_hash FROM system_users WHERE resource_id = $1")
            .bind(&user)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
    pool.close().await;

    // The console's sign-in: any case of the email; the caller is the user, with exactly what a
    // client with the same role in the same company gets.
    let caller = sign_in(
        &app.state,
        "jane.doe@EXAMPLE.com",
        PASSWORD,
        LOCALHOST,
        None,
    )
    .await
    .expect("signed in");
    assert!(
        matches!(&caller.principal(), Principal::User { resource_id, .. } if resource_id.as_str() == user)
    );
    assert_eq!(
        caller.company().resource_id.as_str(),
        app.initial.company_resource_id
    );
    let (_, id, client_secret) =
        api_create_client(&app, &token, None, "same role", &[ADMIN], None).await;
    let response: Value = app
        .token_post(&id, &client_secret)
        .await
        .json()
        .await
        .expect("json");
    let client_permissions: Vec<String> = response["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("p").to_owned())
        .collect();
    assert_eq!(caller.permissions().to_vec(), client_permissions);
    assert!(caller.permissions().contains("system-users/search|POST"));
    assert!(!caller.reseller_access());

    // Unknown email and wrong password: one answer.
    assert_eq!(
        sign_in(&app.state, "nobody@example.com", PASSWORD, LOCALHOST, None)
            .await
            .err(),
        Some(SignInError::InvalidCredentials)
    );
    assert_eq!(
        sign_in(
            &app.state,
            "jane.doe@example.com",
            "wrong password!!",
            LOCALHOST,
            None
        )
        .await
        .err(),
        Some(SignInError::InvalidCredentials)
    );
}

#[tokio::test]
async fn links_expire_a_new_link_voids_the_old_and_reset_works() {
    let (app, sink) = TestApp::spawn_with_smtp(|_| {}).await;
    let token = app.reseller_token().await;
    let user = create_user(&app, &token, None, "ray@example.com", &[ADMIN]).await;
    let first = token_of(
        &sink
            .next_mail_to("ray@example.com")
            .await
            .password_link()
            .expect("link"),
    );

    // An expired invitation is refused (the clock is moved by editing the stored expiry).
    let pool = database(&app).await;
    let (lifetime,): (i64,) =
        sqlx::query_as("SELECT expires_at - create_time FROM password_tokens")
            .fetch_one(&pool)
            .await
            .expect("token row");
    assert_eq!(lifetime, 7 * 24 * 3600 * 1000, "invitations last a week");
    sqlx::query("UPDATE password_tokens SET expires_at = 0")
        .execute(&pool)
        .await
        .expect("expire");
    let err = expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&first, PASSWORD),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(messages(&err)[0].contains("expired"), "{err}");

    // A user without a password gets a fresh invitation from send-information-email.
    let r = call(
        &app,
        Method::POST,
        &format!("/api/system-users/{user}/send-information-email"),
        &token,
        None,
        None,
    )
    .await;
    expect_data(r).await;
    let second = sink
        .next_mail_to("ray@example.com")
        .await
        .password_link()
        .expect("link");
    assert!(second.ends_with("&purpose=create"));

    // A reset link voids the invitation and lasts an hour.
    let r = call(
        &app,
        Method::POST,
        "/api/system-users/send-reset-password-link",
        &token,
        None,
        Some(json!({"email": "RAY@example.com"})),
    )
    .await;
    assert_eq!(expect_data(r).await, json!({"resourceId": user}));
    let mail = sink.next_mail_to("ray@example.com").await;
    assert!(mail.header("subject").expect("subject").contains("Reset"));
    let reset = mail.password_link().expect("link");
    assert!(reset.ends_with("&purpose=reset"), "{reset}");
    let (lifetime,): (i64,) =
        sqlx::query_as("SELECT expires_at - create_time FROM password_tokens")
            .fetch_one(&pool)
            .await
            .expect("one token row: the newest");
    assert_eq!(lifetime, 3600 * 1000, "reset links last an hour");
    expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&token_of(&second), PASSWORD),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let done = expect_data(
        post_public(
            &app,
            "/api/system-users/reset-password",
            password_body(&token_of(&reset), PASSWORD),
        )
        .await,
    )
    .await;
    assert_eq!(done, json!({"resourceId": user}));
    expect_envelope(
        post_public(
            &app,
            "/api/system-users/reset-password",
            password_body(&token_of(&reset), "another fine password"),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM password_tokens")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 0, "a used link is gone");
    pool.close().await;
    sign_in(&app.state, "ray@example.com", PASSWORD, LOCALHOST, None)
        .await
        .expect("the reset password signs in");

    // With a password, the information email says where to sign in and carries no link.
    expect_data(
        call(
            &app,
            Method::POST,
            &format!("/api/system-users/{user}/send-information-email"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let info = sink.next_mail_to("ray@example.com").await;
    assert!(info.password_link().is_none());
    assert!(info.body().contains(&format!("{}/console", app.base)));

    // An unknown email is not found; a missing one is an input error.
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/system-users/send-reset-password-link",
            &token,
            None,
            Some(json!({"email": "nobody@example.com"})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/system-users/send-reset-password-link",
            &token,
            None,
            Some(json!({})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
}

#[tokio::test]
async fn the_first_administrator_signs_in_with_the_link_file_and_is_locked_out_after_five_failures()
{
    let app = TestApp::spawn().await;
    let file = app.data_dir.path().join("initial-admin-link.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("link file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the link is readable by the owner only");
    }
    let link = app.initial_admin_link();
    assert!(
        link.starts_with(&format!("{}/console/password?token=", app.base))
            && link.ends_with("&purpose=create"),
        "{link}"
    );
    let done = expect_data(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&token_of(&link), PASSWORD),
        )
        .await,
    )
    .await;
    assert_eq!(done, json!({"email": "admin@localhost"}));

    // The platform administrator: root company, Reseller role, everything a reseller holds.
    let caller = sign_in(&app.state, "admin@localhost", PASSWORD, LOCALHOST, None)
        .await
        .expect("signed in");
    assert!(caller.root_access() && caller.reseller_access());
    assert!(caller.permissions().contains("companies/search|POST"));

    for _ in 0..4 {
        assert_eq!(
            sign_in(
                &app.state,
                "admin@localhost",
                "not the password",
                LOCALHOST,
                None
            )
            .await
            .err(),
            Some(SignInError::InvalidCredentials)
        );
    }
    assert_eq!(
        sign_in(
            &app.state,
            "admin@localhost",
            "not the password",
            LOCALHOST,
            None
        )
        .await
        .err(),
        Some(SignInError::InvalidCredentials),
        "the fifth failure locks the account without saying so"
    );
    let pool = database(&app).await;
    let (locked_until,): (Option<i64>,) =
        sqlx::query_as("SELECT locked_until FROM system_users WHERE email = 'admin@localhost'")
            .fetch_one(&pool)
            .await
            .expect("row");
    let remaining = locked_until.expect("locked") - latchkey_domain::time::now_millis();
    assert!(
        (890_000..=900_000).contains(&remaining),
        "locked for 15 minutes: {remaining} ms"
    );
    assert_eq!(
        sign_in(&app.state, "admin@localhost", PASSWORD, LOCALHOST, None)
            .await
            .err(),
        Some(SignInError::InvalidCredentials),
        "the right password is refused while the lock holds"
    );

    // Fifteen minutes later (the stored lock is moved into the past) the password works, and
    // the count starts again.
    sqlx::query("UPDATE system_users SET locked_until = 1")
        .execute(&pool)
        .await
        .expect("unlock");
    sign_in(&app.state, "admin@localhost", PASSWORD, LOCALHOST, None)
        .await
        .expect("signed in after the lock");
    let (failures,): (i64,) = sqlx::query_as("SELECT failed_sign_ins FROM system_users")
        .fetch_one(&pool)
        .await
        .expect("row");
    assert_eq!(failures, 0);
    pool.close().await;
}

#[tokio::test]
async fn change_password_and_settings_are_for_signed_in_users() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let body =
        json!({"currentPassword": "x", "newPassword": PASSWORD, "confirmNewPassword": PASSWORD});
    let err = expect_envelope(
        call(
            &app,
            Method::PUT,
            "/api/system-users/change-password",
            &token,
            None,
            Some(body),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert!(
        err["message"]
            .as_str()
            .expect("m")
            .contains("REST API client"),
        "{err}"
    );
    expect_envelope(
        call(
            &app,
            Method::GET,
            "/api/system-users/settings",
            &token,
            None,
            None,
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;

    // As the signed-in administrator.
    expect_data(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&token_of(&app.initial_admin_link()), PASSWORD),
        )
        .await,
    )
    .await;
    let caller = sign_in(&app.state, "admin@localhost", PASSWORD, LOCALHOST, None)
        .await
        .expect("signed in");
    let change = |current: &str, new: &str, confirm: &str| ChangePasswordRequest {
        current_password: Some(current.into()),
        new_password: Some(new.into()),
        confirm_new_password: Some(confirm.into()),
    };
    let err = change_password_as(
        &app.state,
        &caller,
        &change("wrong", "a brand new password", "a brand new password"),
    )
    .await
    .expect_err("wrong current password");
    assert_eq!(
        err.validation_messages,
        Some(vec!["The current password is incorrect".to_owned()])
    );
    let err = change_password_as(&app.state, &caller, &change(PASSWORD, "short", "short"))
        .await
        .expect_err("too short");
    assert!(err.validation_messages.is_some());
    change_password_as(
        &app.state,
        &caller,
        &change(PASSWORD, "a brand new password", "a brand new password"),
    )
    .await
    .expect("changed");
    assert_eq!(
        sign_in(&app.state, "admin@localhost", PASSWORD, LOCALHOST, None)
            .await
            .err(),
        Some(SignInError::InvalidCredentials)
    );
    sign_in(
        &app.state,
        "admin@localhost",
        "a brand new password",
        LOCALHOST,
        None,
    )
    .await
    .expect("the new password signs in");

    // Display settings: the company's until the user picks their own from the reference data.
    let reference = expect_data(
        call(
            &app,
            Method::GET,
            "/api/timezone/timezones",
            &token,
            None,
            None,
        )
        .await,
    )
    .await;
    let zone = reference["timeZoneList"][0]["id"]
        .as_str()
        .expect("zone")
        .to_owned();
    let date = reference["dateFormatList"][0]
        .as_str()
        .expect("date")
        .to_owned();
    let time = reference["timeFormatList"][0]
        .as_str()
        .expect("time")
        .to_owned();
    let before = settings_as(&app.state, &caller).await.expect("settings");
    assert_eq!(
        before.time_zone_id, None,
        "the platform root has no settings"
    );
    let set = |zone: &str, date: &str, time: &str| SetSystemUserSettingsRequest {
        time_zone_id: Some(zone.into()),
        date_format: Some(date.into()),
        time_format: Some(time.into()),
    };
    let err = update_settings_as(&app.state, &caller, &set("Mars/Olympus", "yy", &time))
        .await
        .expect_err("unknown zone and format");
    assert_eq!(
        err.validation_messages,
        Some(vec![
            "timeZoneId 'Mars/Olympus' is not a known time zone".to_owned(),
            "dateFormat 'yy' is not one of the date formats".to_owned(),
        ])
    );
    update_settings_as(&app.state, &caller, &set(&zone, &date, &time))
        .await
        .expect("settings saved");
    let after = settings_as(&app.state, &caller).await.expect("settings");
    assert_eq!(after.time_zone_id.as_deref(), Some(zone.as_str()));
    assert!(after.time_zone_name.is_some());
    assert_eq!(
        (after.date_format.as_deref(), after.time_format.as_deref()),
        (Some(date.as_str()), Some(time.as_str()))
    );

    // A deactivated user cannot sign in, and a live session of theirs ends.
    let key = caller.principal().user_key().expect("a user");
    assert!(
        user_caller(&app.state, key)
            .await
            .expect("lookup")
            .is_some()
    );
    let pool = database(&app).await;
    sqlx::query("UPDATE system_users SET status_id = 0")
        .execute(&pool)
        .await
        .expect("deactivate");
    pool.close().await;
    assert_eq!(
        sign_in(
            &app.state,
            "admin@localhost",
            "a brand new password",
            LOCALHOST,
            None
        )
        .await
        .err(),
        Some(SignInError::Inactive)
    );
    assert!(
        user_caller(&app.state, key)
            .await
            .expect("lookup")
            .is_none()
    );
}

#[tokio::test]
async fn bad_input_gets_validation_messages_never_a_500() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let post = |body: Value| {
        call(
            &app,
            Method::POST,
            "/api/system-users",
            &token,
            None,
            Some(body),
        )
    };

    let err = expect_envelope(post(json!({})).await, 400, "INPUT_ERROR").await;
    assert_eq!(
        messages(&err),
        [
            "First name must be between 1 and 40 characters",
            "Last name must be between 1 and 40 characters",
            "Phone number must be between 1 and 20 characters",
            "Email must be between 1 and 320 characters",
        ]
    );
    let err = expect_envelope(
        post(json!({"firstName": "x".repeat(41), "lastName": "Doe", "email": "not-an-email",
                    "phoneNumber": "1".repeat(21), "statusId": 7, "roleResourceIdList": ["NoSuchRole1"]}))
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    let m = messages(&err);
    assert!(
        m.contains(&"First name must be between 1 and 40 characters".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"Phone number must be between 1 and 20 characters".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"Email 'not-an-email' is not a valid email address".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"statusId must be 1 (Active) or 0 (Inactive), not 7".to_owned()),
        "{m:?}"
    );
    assert!(
        m.contains(&"Role NoSuchRole1 is not available to this company".to_owned()),
        "{m:?}"
    );
    let err = expect_envelope(
        post(json!({"firstName": "A", "lastName": "B", "email": "a@example.com", "phoneNumber": "call me"})).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        messages(&err)[0].contains("may contain only digits"),
        "{err}"
    );
    // Wrong types, a non-JSON body and a bad company id are input errors too.
    expect_envelope(post(json!({"firstName": 5})).await, 400, "INPUT_ERROR").await;
    let r = app
        .http
        .post(app.url("/api/system-users"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("r");
    expect_envelope(r, 400, "INPUT_ERROR").await;
    let mut bad_company = user_body("c@example.com", &[ADMIN]);
    bad_company["companyResourceId"] = json!("a' OR 1=1");
    expect_envelope(post(bad_company).await, 400, "INPUT_ERROR").await;

    // The minimal documented body works (no role: none is given), and without a mail server
    // the answer says so.
    let r = post(
        json!({"email": "admin@example.com", "firstName": "Jane", "lastName": "Doe",
                        "phoneNumber": "+15551234567"}),
    )
    .await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["status"], "SUCCESS", "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("m")
            .contains("No mail server is configured"),
        "{body}"
    );
    // Email addresses are unique ignoring case.
    let dup = expect_envelope(
        post(user_body("ADMIN@example.com", &[ADMIN])).await,
        409,
        "CONFLICT",
    )
    .await;
    assert!(
        dup["message"].as_str().expect("m").contains("email"),
        "{dup}"
    );

    // The Reseller role is not available to a customer company.
    let customer = create_company(
        &app,
        "Customer",
        Some(&app.initial.company_resource_id),
        false,
    );
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/system-users",
            &token,
            Some(&customer),
            Some(user_body("r@example.com", &[RESELLER])),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        messages(&err),
        ["Role RoleReseller is not available to this company"]
    );

    // Public endpoints: missing fields are input errors, not 401s.
    let err = expect_envelope(
        post_public(&app, "/api/system-users/reset-password", json!({})).await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        messages(&err),
        [
            "token is required: use the link from the email",
            "newPassword is required"
        ]
    );
    expect_envelope(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body("forged", PASSWORD),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
}

#[tokio::test]
async fn search_export_roles_and_bulk_delete() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    let mine = app.initial.company_resource_id.clone();
    let customer = create_company(&app, "Customer Co", Some(&mine), false);
    let alice = create_user(&app, &token, None, "alice@example.com", &[ADMIN]).await;
    let bob = create_user(&app, &token, None, "bob@example.com", &[ADMIN, RESELLER]).await;
    let carol = create_user(&app, &token, Some(&customer), "carol@example.com", &[ADMIN]).await;

    // Without a company: the reseller's whole reach, newest first; the admin from the first
    // start lives in the platform root, outside it.
    let page = search(&app, &token, None, json!({})).await;
    assert_eq!(page["totalNumberOfRecords"], 3, "{page}");
    let first = &page["results"][0];
    assert_eq!(first["resourceId"], carol.as_str());
    assert_eq!(first["companyName"], "Customer Co");
    assert_eq!(first["companyResourceId"], customer.as_str());
    assert_eq!(first["statusId"], 1);
    assert_eq!(first["statusName"], "Active");
    assert_eq!(first["isEditable"], true);
    assert_eq!(first["phoneNumber"], "+15551234567");
    let bob_row = page["results"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["resourceId"] == bob.as_str())
        .expect("bob");
    assert_eq!(bob_row["roles"], "Company Admin, Reseller");

    // Named company, free text, filters and order.
    let page = search(&app, &token, Some(&customer), json!({})).await;
    assert_eq!(page["totalNumberOfRecords"], 1);
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": {"searchInputTextValue": "ALICE"}}),
    )
    .await;
    assert_eq!(page["results"][0]["resourceId"], alice.as_str());
    assert_eq!(page["totalNumberOfRecords"], 1);
    let page = search(&app, &token, None, json!({"orderBy": "Email", "ascending": true,
        "filter": {"filterGroups": [{"filterItems": [{"fieldName": "email", "operator": "EndsWith", "value": "EXAMPLE.COM"}]}]}})).await;
    let emails: Vec<&str> = page["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["email"].as_str().expect("email"))
        .collect();
    assert_eq!(
        emails,
        ["alice@example.com", "bob@example.com", "carol@example.com"]
    );
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/system-users/search",
            &token,
            None,
            Some(json!({"orderBy": "PasswordHash"})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(messages(&err)[0].contains("FirstName"), "{err}");

    // Export as CSV and as XLSX.
    let r = call(&app, Method::POST, "/api/system-users/search/export", &token, None,
                 Some(json!({"exportType": "Csv", "orderBy": "Email", "ascending": true, "reportAllPages": true}))).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    let csv = r.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "First Name,Last Name,Email,Phone Number,Company,Roles,Status,Date Created"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[2].starts_with("Jane,Doe,bob@example.com,'+15551234567,"),
        "{csv}"
    );
    assert!(
        lines[2].contains("\"Company Admin, Reseller\",Active,"),
        "{csv}"
    );
    let r = call(
        &app,
        Method::POST,
        "/api/system-users/search/export",
        &token,
        None,
        Some(json!({"exportType": "Excel"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(&r.bytes().await.expect("xlsx")[..2], b"PK");

    // Add and remove a role: a custom role of the company, then a built-in one.
    let role = expect_data(
        call(
            &app,
            Method::POST,
            "/api/roles",
            &token,
            None,
            Some(json!({"name": "Auditors", "description": "reads users",
                         "permissionResourceIdList": ["system-users/search|POST"]})),
        )
        .await,
    )
    .await["resourceId"]
        .as_str()
        .expect("role")
        .to_owned();
    assert_eq!(
        expect_data(add_role(&app, &token, &alice, &role).await).await,
        json!({"resourceId": alice})
    );
    expect_data(add_role(&app, &token, &alice, &role).await).await; // again: no change
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": {"searchInputTextValue": "alice"}}),
    )
    .await;
    assert_eq!(page["results"][0]["roles"], "Auditors, Company Admin");
    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            &format!("/api/system-users/{alice}/role"),
            &token,
            None,
            Some(json!({"userResourceId": bob, "roleResourceId": role})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert_eq!(
        messages(&err),
        ["userResourceId must be the user of the path"]
    );
    // The customer cannot be given the Reseller role, nor the reseller's own custom role.
    for r in [RESELLER, role.as_str()] {
        expect_envelope(add_role(&app, &token, &carol, r).await, 400, "INPUT_ERROR").await;
    }
    // A role held by a user cannot be deleted.
    let err = expect_envelope(
        call(
            &app,
            Method::DELETE,
            &format!("/api/roles/{role}"),
            &token,
            None,
            None,
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(messages(&err)[0].contains("user"), "{err}");
    expect_data(remove_role(&app, &token, &alice, &role).await).await;
    expect_envelope(
        remove_role(&app, &token, &alice, &role).await,
        404,
        "NOT_FOUND",
    )
    .await;
    expect_data(remove_role(&app, &token, &bob, RESELLER).await).await;
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": {"searchInputTextValue": "bob"}}),
    )
    .await;
    assert_eq!(page["results"][0]["roles"], "Company Admin");
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/roles/{role}"),
            &token,
            None,
            None,
        )
        .await,
    )
    .await;

    // Update: names, phone, status; roles kept when the list is absent.
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/system-users/{bob}"),
            &token,
            None,
            Some(
                json!({"firstName": "Robert", "lastName": "Doe", "email": "Robert@Example.com",
                         "phoneNumber": "555 0100", "statusId": 0}),
            ),
        )
        .await,
    )
    .await;
    let page = search(
        &app,
        &token,
        None,
        json!({"filter": {"searchInputTextValue": "robert"}}),
    )
    .await;
    let row = &page["results"][0];
    assert_eq!(
        (
            row["firstName"].as_str(),
            row["email"].as_str(),
            row["statusName"].as_str(),
            row["roles"].as_str()
        ),
        (
            Some("Robert"),
            Some("Robert@Example.com"),
            Some("Inactive"),
            Some("Company Admin")
        )
    );
    // Taking another user's email, in any case, conflicts.
    expect_envelope(
        call(
            &app,
            Method::PUT,
            &format!("/api/system-users/{bob}"),
            &token,
            None,
            Some(user_body("ALICE@example.com", &[ADMIN])),
        )
        .await,
        409,
        "CONFLICT",
    )
    .await;

    // Bulk delete: listed ids are all or nothing; selectAll follows the filter and exclusions.
    expect_envelope(
        call(
            &app,
            Method::DELETE,
            "/api/system-users/bulk-delete",
            &token,
            None,
            Some(json!({"items": [alice, "NoSuchUser12"]})),
        )
        .await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        search(&app, &token, None, json!({})).await["totalNumberOfRecords"],
        3
    );
    let deleted = expect_data(
        call(&app, Method::DELETE, "/api/system-users/bulk-delete", &token, None,
             Some(json!({"selectAll": true, "excludedItems": [carol],
                         "filter": {"filterGroups": [{"filterItems": [{"fieldName": "Email", "operator": "Contains", "value": "example"}]}]}}))).await,
    )
    .await;
    assert_eq!(deleted, json!({"resourceId": "2"}));
    let page = search(&app, &token, None, json!({})).await;
    assert_eq!(page["totalNumberOfRecords"], 1);
    assert_eq!(page["results"][0]["resourceId"], carol.as_str());
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/system-users/{carol}"),
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
            Method::DELETE,
            &format!("/api/system-users/{carol}"),
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
async fn nobody_gives_or_touches_more_than_they_hold() {
    let app = TestApp::spawn().await;
    let token = app.reseller_token().await;
    // A client whose custom role may manage users but holds nothing else.
    let keys = [
        "system-users|POST",
        "system-users/search|POST",
        "system-users/{resourceId}|PUT",
        "system-users/{resourceId}|DELETE",
        "system-users/{resourceId}/role|POST",
    ];
    let role = expect_data(
        call(&app, Method::POST, "/api/roles", &token, None,
             Some(json!({"name": "User managers", "description": "users only", "permissionResourceIdList": keys}))).await,
    )
    .await["resourceId"]
        .as_str()
        .expect("role")
        .to_owned();
    let (_, id, secret) = api_create_client(&app, &token, None, "limited", &[&role], None).await;
    let limited = app.token_for(&id, &secret).await;

    let err = expect_envelope(
        call(
            &app,
            Method::POST,
            "/api/system-users",
            &limited,
            None,
            Some(user_body("up@example.com", &[ADMIN])),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    assert!(
        messages(&err)[0].starts_with("You cannot give the role Company Admin: it grants"),
        "{err}"
    );
    // Its own role, it may give.
    let peer = create_user(&app, &limited, None, "peer@example.com", &[&role]).await;
    let boss = create_user(&app, &token, None, "boss@example.com", &[ADMIN]).await;
    let page = search(
        &app,
        &limited,
        None,
        json!({"orderBy": "Email", "ascending": true}),
    )
    .await;
    let editable: Vec<(String, bool)> = page["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["email"].as_str().expect("e").to_owned(),
                r["isEditable"].as_bool().expect("b"),
            )
        })
        .collect();
    assert_eq!(
        editable,
        [
            ("boss@example.com".to_owned(), false),
            ("peer@example.com".to_owned(), true)
        ]
    );
    // A user holding more cannot be changed, deleted or have roles changed by it.
    for (method, path, body) in [
        (
            Method::PUT,
            format!("/api/system-users/{boss}"),
            Some(user_body("mine@example.com", &[&role])),
        ),
        (Method::DELETE, format!("/api/system-users/{boss}"), None),
        (
            Method::POST,
            format!("/api/system-users/{boss}/role"),
            Some(json!({"roleResourceId": role})),
        ),
    ] {
        let err = expect_envelope(
            call(&app, method, &path, &limited, None, body).await,
            403,
            "FORBIDDEN",
        )
        .await;
        assert!(
            err["message"]
                .as_str()
                .expect("m")
                .contains("boss@example.com"),
            "{err}"
        );
    }
    // Nor raised to more than it holds.
    expect_envelope(
        call(
            &app,
            Method::POST,
            &format!("/api/system-users/{peer}/role"),
            &limited,
            None,
            Some(json!({"roleResourceId": ADMIN})),
        )
        .await,
        400,
        "INPUT_ERROR",
    )
    .await;
    expect_data(
        call(
            &app,
            Method::PUT,
            &format!("/api/system-users/{peer}"),
            &limited,
            None,
            Some(user_body("peer@example.com", &[&role])),
        )
        .await,
    )
    .await;
    expect_data(
        call(
            &app,
            Method::DELETE,
            &format!("/api/system-users/{peer}"),
            &limited,
            None,
            None,
        )
        .await,
    )
    .await;
}

#[tokio::test]
async fn another_tenants_users_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let a = create_company(&app, "Company A", Some(&mine), false);
    let other_mssp = create_company(&app, "Other MSSP", None, true);
    let b = create_company(&app, "Company B", Some(&other_mssp), false);
    let (oid, osecret) = create_client(&app, &other_mssp, "Reseller", &[]);
    let (aid, asecret) = create_client(&app, &a, "Company Admin", &[]);
    app.await_client_view().await;
    let owner = app.token_for(&oid, &osecret).await;
    let reseller = app.reseller_token().await;
    let admin_a = app.token_for(&aid, &asecret).await;
    let victim = create_user(&app, &owner, Some(&b), "victim@b.example", &[ADMIN]).await;
    let before = search(&app, &owner, Some(&b), json!({})).await;

    for attacker in [&admin_a, &reseller] {
        // The company named by header, query or body: 403.
        for (path, header, body) in [
            ("/api/system-users/search", Some(b.as_str()), json!({})),
            (
                "/api/system-users/search/export",
                Some(b.as_str()),
                json!({"exportType": "Csv"}),
            ),
            (
                "/api/system-users",
                Some(b.as_str()),
                user_body("new@b.example", &[ADMIN]),
            ),
            (
                "/api/system-users/send-reset-password-link",
                Some(b.as_str()),
                json!({"email": "victim@b.example"}),
            ),
        ] {
            expect_envelope(
                call(&app, Method::POST, path, attacker, header, Some(body)).await,
                403,
                "FORBIDDEN",
            )
            .await;
        }
        let r = app
            .http
            .post(app.url(&format!("/api/system-users/search?companyId={b}")))
            .bearer_auth(attacker)
            .json(&json!({}))
            .send()
            .await
            .expect("r");
        expect_envelope(r, 403, "FORBIDDEN").await;
        let mut body = user_body("new@b.example", &[ADMIN]);
        body["companyResourceId"] = json!(b);
        expect_envelope(
            call(
                &app,
                Method::POST,
                "/api/system-users",
                attacker,
                None,
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
                Method::DELETE,
                "/api/system-users/bulk-delete",
                attacker,
                Some(&b),
                Some(json!({"selectAll": true})),
            )
            .await,
            403,
            "FORBIDDEN",
        )
        .await;

        // The user named by path or body: 404, as if it did not exist.
        for (method, path, body) in [
            (
                Method::PUT,
                format!("/api/system-users/{victim}"),
                Some(user_body("mine@a.example", &[ADMIN])),
            ),
            (Method::DELETE, format!("/api/system-users/{victim}"), None),
            (
                Method::POST,
                format!("/api/system-users/{victim}/role"),
                Some(json!({"roleResourceId": ADMIN})),
            ),
            (
                Method::DELETE,
                format!("/api/system-users/{victim}/role/{ADMIN}"),
                None,
            ),
            (
                Method::POST,
                format!("/api/system-users/{victim}/send-information-email"),
                None,
            ),
            (
                Method::DELETE,
                "/api/system-users/bulk-delete".to_owned(),
                Some(json!({"items": [victim]})),
            ),
            (
                Method::POST,
                "/api/system-users/send-reset-password-link".to_owned(),
                Some(json!({"email": "victim@b.example"})),
            ),
        ] {
            expect_envelope(
                call(&app, method, &path, attacker, None, body).await,
                404,
                "NOT_FOUND",
            )
            .await;
        }
        // Their own searches and bulk deletions never include it.
        let page = search(
            &app,
            attacker,
            None,
            json!({"filter": {"searchInputTextValue": "victim"}}),
        )
        .await;
        assert_eq!(page["totalNumberOfRecords"], 0);
        expect_data(
            call(
                &app,
                Method::DELETE,
                "/api/system-users/bulk-delete",
                attacker,
                None,
                Some(json!({"selectAll": true})),
            )
            .await,
        )
        .await;
    }
    // B's user is as it was.
    assert_eq!(search(&app, &owner, Some(&b), json!({})).await, before);
    assert_eq!(before["results"][0]["email"], "victim@b.example");
    assert_eq!(before["results"][0]["roles"], "Company Admin");
}

#[tokio::test]
async fn the_admin_cli_prints_links_that_work_without_a_mail_server() {
    let app = TestApp::spawn().await;
    let mine = app.initial.company_resource_id.clone();
    let out = admin(
        &app,
        &[
            "user",
            "create",
            "--company",
            &mine,
            "--email",
            "ops@example.com",
            "--first-name",
            "Olga",
            "--last-name",
            "Ops",
            "--role",
            "Company Admin",
            "--role",
            "reseller",
        ],
    )
    .await;
    assert_eq!(out["email"], "ops@example.com");
    assert_eq!(out["companyResourceId"], mine.as_str());
    assert_eq!(out["roles"], json!(["Company Admin", "Reseller"]));
    let link = out["link"].as_str().expect("link");
    assert!(
        link.contains("/console/password?token=") && link.ends_with("&purpose=create"),
        "{link}"
    );
    expect_data(
        post_public(
            &app,
            "/api/system-users/create-password",
            password_body(&token_of(link), PASSWORD),
        )
        .await,
    )
    .await;
    let caller = sign_in(&app.state, "ops@example.com", PASSWORD, LOCALHOST, None)
        .await
        .expect("signed in");
    assert!(caller.reseller_access());

    // With a password set, password-link hands out a reset link.
    let out = admin(
        &app,
        &["user", "password-link", "--email", "OPS@example.com"],
    )
    .await;
    assert_eq!(out["purpose"], "reset");
    let link = out["link"].as_str().expect("link");
    assert!(link.ends_with("&purpose=reset"), "{link}");
    expect_data(
        post_public(
            &app,
            "/api/system-users/reset-password",
            password_body(&token_of(link), "the operator's new password"),
        )
        .await,
    )
    .await;
    sign_in(
        &app.state,
        "ops@example.com",
        "the operator's new password",
        LOCALHOST,
        None,
    )
    .await
    .expect("signed in with the reset password");

    // The first administrator's link can be printed again too.
    let out = admin(
        &app,
        &["user", "password-link", "--email", "admin@localhost"],
    )
    .await;
    assert_eq!(out["purpose"], "create");
}

#[tokio::test]
async fn sign_in_and_link_attempts_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_sign_in_per_second = 1;
        c.rate_limit_sign_in_burst = 1;
    })
    .await;
    // One attempt per second: the next ones, well within that second, are refused.
    assert_eq!(
        sign_in(
            &app.state,
            "admin@localhost",
            "not the password",
            LOCALHOST,
            None
        )
        .await
        .err(),
        Some(SignInError::InvalidCredentials)
    );
    assert!(matches!(
        sign_in(&app.state, "admin@localhost", "not the password", LOCALHOST, None).await,
        Err(SignInError::RateLimited { retry_after_secs }) if retry_after_secs >= 1
    ));
    // The one-time-link endpoints share the budget of the address.
    let r = post_public(
        &app,
        "/api/system-users/create-password",
        password_body(&token_of(&app.initial_admin_link()), PASSWORD),
    )
    .await;
    assert!(r.headers().contains_key("retry-after"));
    expect_envelope(r, 429, "TOO_MANY_REQUESTS").await;
    // Another address is not affected.
    assert_eq!(
        sign_in(
            &app.state,
            "admin@localhost",
            "not the password",
            "192.0.2.1".parse().expect("ip"),
            None
        )
        .await
        .err(),
        Some(SignInError::InvalidCredentials)
    );
}

/// The real binary, with mail: tokens, links and passwords reach the mailbox and nowhere in
/// the log, even at debug level.
#[tokio::test]
async fn no_token_link_or_password_is_ever_logged() {
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, BufReader};

    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let url = latchkey_testkit::fresh_database_url(dir.path()).await;
    let mut child = tokio::process::Command::new(binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--database-url")
        .arg(&url)
        .env_remove("LATCHKEY_CONFIG")
        .env("LATCHKEY_SMTP_URL", sink.url())
        .env("LATCHKEY_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn latchkey serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut log = Vec::new();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read log") {
            let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            log.push(line);
            if event["message"] == "listening" {
                let address = event["address"].as_str().expect("address");
                return format!("http://{address}");
            }
        }
        panic!("server exited before listening: {log:?}");
    })
    .await
    .expect("listening within 30 s");
    let collector = tokio::spawn(async move {
        let mut rest = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push(line);
        }
        rest
    });

    let http = reqwest::Client::new();
    let creds: Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("initial-credentials.json")).expect("credentials"),
    )
    .expect("json");
    let admin_link = std::fs::read_to_string(data.join("initial-admin-link.txt")).expect("link");
    let token: Value = http
        .post(format!("{base}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", creds["clientId"].as_str().expect("id")),
            (
                "client_secret",
                creds["clientSecret"].as_str().expect("secret"),
            ),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let bearer = token["access_token"].as_str().expect("access token");
    let created: Value = http
        .post(format!("{base}/api/system-users"))
        .bearer_auth(bearer)
        .json(&user_body("logged@example.com", &[ADMIN]))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    assert_eq!(created["status"], "SUCCESS", "{created}");
    let link = sink
        .next_mail_to("logged@example.com")
        .await
        .password_link()
        .expect("link");
    let secret = token_of(&link);
    // The browser opens the link: the console page's request carries the token in its query.
    let page = http.get(&link).send().await.expect("password page");
    assert!(page.status().is_success());
    let set: Value = http
        .post(format!("{base}/api/system-users/create-password"))
        .json(&password_body(&secret, PASSWORD))
        .send()
        .await
        .expect("create-password")
        .json()
        .await
        .expect("json");
    assert_eq!(set["status"], "SUCCESS", "{set}");

    let pid = child.id().expect("pid").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("wait");
    log.extend(collector.await.expect("log"));

    assert!(
        log.iter().any(|l| l.contains("initial-admin-link.txt")),
        "the log names the link file"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("password set with a one-time link")),
        "the log records what happened"
    );
    for secret in [secret.as_str(), token_of(&admin_link).as_str(), PASSWORD] {
        assert!(
            !log.iter().any(|l| l.contains(secret)),
            "a secret reached the log"
        );
    }
}
