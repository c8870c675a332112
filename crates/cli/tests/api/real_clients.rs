//! Third-party clients: curl, and a Python OAuth 2.0 client (requests-oauthlib) verifying our
//! tokens with PyJWT against our JWKS.

use latchkey_testkit::{TestApp, python_check_script};
use serde_json::Value;

#[tokio::test]
async fn curl_gets_a_token_and_calls_the_api() {
    let app = TestApp::spawn().await;
    // tokio's Command: a blocking wait would stall the server running on this test's runtime.
    let out = tokio::process::Command::new("curl")
        .args([
            "-sS",
            "-f",
            "-X",
            "POST",
            &app.url("/connect/token"),
            "-d",
            "grant_type=client_credentials",
            "-d",
            "scope=api1",
        ])
        .args([
            "-u",
            &format!("{}:{}", app.initial.client_id, app.initial.client_secret),
        ])
        .output()
        .await
        .expect("curl is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: Value = serde_json::from_slice(&out.stdout).expect("json");
    let access = token["access_token"].as_str().expect("token");
    let out = tokio::process::Command::new("curl")
        .args([
            "-sS",
            "-f",
            &app.url("/api/companies/my"),
            "-H",
            &format!("Authorization: Bearer {access}"),
        ])
        .output()
        .await
        .expect("curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        body["data"][0]["resourceId"],
        app.initial.company_resource_id
    );
}

#[tokio::test]
async fn a_python_oauth_client_and_pyjwt_accept_our_tokens() {
    let app = TestApp::spawn().await;
    // scripts/test provides a virtualenv with the pinned requirements; without it the check
    // cannot run, and that is a failure, not a skip.
    let python = std::env::var("LATCHKEY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = tokio::process::Command::new(&python)
        .arg(python_check_script())
        .env("BASE_URL", &app.base)
        .env("CLIENT_ID", &app.initial.client_id)
        .env("CLIENT_SECRET", &app.initial.client_secret)
        .env(
            "EXPECT_COMPANY_RESOURCE_ID",
            &app.initial.company_resource_id,
        )
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "the Python OAuth client check failed (run via scripts/test for its virtualenv):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
