//! Signing keys lose trust on time: a retired key only until its last genuine token can have
//! expired (`retired_at + token_lifetime + leeway`), a revoked key at once, on every replica and
//! without a restart; and no token may claim a longer life than the server issues.
//!
//! Forged tokens are signed with the server's own keys (taken from `app.state`), as someone
//! holding a leaked key would sign them: only the ring's trust in the key stands in their way.

use std::time::{Duration, Instant};

use latchkey_domain::time::{now_millis, now_secs};
use latchkey_server::crypto::keys::SigningKey;
use latchkey_testkit::{TestApp, jwt_parts, on_postgres};
use serde_json::{Value, json};

use crate::helpers::{binary, expect_envelope};

/// `claims` signed by `key`.
fn sign(key: &SigningKey, claims: &Value) -> String {
    key.sign(&serde_json::to_vec(claims).expect("json"))
        .expect("sign")
}

/// The claims of a genuine token, issued now with `lifetime`: what a leaked key would sign.
fn fresh_claims(genuine: &str, lifetime: i64) -> Value {
    let mut claims = jwt_parts(genuine).1;
    let now = now_secs();
    claims["iat"] = json!(now);
    claims["nbf"] = json!(now);
    claims["exp"] = json!(now + lifetime);
    claims
}

fn kid_of(token: &str) -> String {
    jwt_parts(token).0["kid"].as_str().expect("kid").to_owned()
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str().map(String::from))
        .collect()
}

/// Waits until `app` signs new tokens with `kid` (it follows the store's key revision), and
/// returns such a token.
async fn await_signing_kid(app: &TestApp, kid: &str) -> String {
    let started = Instant::now();
    loop {
        let token = app.reseller_token().await;
        if kid_of(&token) == kid {
            return token;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{} did not start signing with {kid} within 10 s",
            app.base
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Asserts a 401 whose message contains `why`.
async fn refused(response: reqwest::Response, why: &str) {
    let body = expect_envelope(response, 401, "UNAUTHORIZED").await;
    let message = body["message"].as_str().expect("message");
    assert!(message.contains(why), "expected '{why}' in: {body}");
}

/// `latchkey admin keys list`, one JSON object per key.
fn keys_list(app: &TestApp) -> Vec<Value> {
    let out = app.admin(binary(), &["keys", "list"]);
    assert!(out.status.success(), "keys list failed: {}", out.stderr);
    out.stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("keys list prints JSON lines"))
        .collect()
}

/// Polls `keys list` until it shows exactly the keys `kids`.
async fn await_listed_kids(app: &TestApp, kids: &[&str]) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let listed = keys_list(app);
        let mut got: Vec<&str> = listed.iter().filter_map(|k| k["kid"].as_str()).collect();
        got.sort_unstable();
        let mut want = kids.to_vec();
        want.sort_unstable();
        if got == want {
            return listed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "keys list still shows {got:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_retired_key_is_trusted_until_its_last_token_can_have_expired() {
    // Short enough for a test, long enough that the steps before the deadline fit in it on a
    // loaded machine (they take well under a second).
    const LIFETIME: u64 = 6;
    const LEEWAY: u64 = 1;
    let app = TestApp::spawn_with(|c| {
        c.token_lifetime_seconds = LIFETIME;
        c.token_leeway_seconds = LEEWAY;
    })
    .await;
    let old_key = app.state.keys.active();
    let old_token = app.reseller_token().await;
    assert_eq!(kid_of(&old_token), old_key.kid);
    assert_eq!(app.companies_my(&old_token).await.status(), 200);

    let rotated = app.admin(binary(), &["keys", "rotate"]).json();
    let new_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_ne!(new_kid, old_key.kid);
    let retired_at = app
        .state
        .store
        .signing_keys()
        .await
        .expect("keys")
        .iter()
        .find(|k| k.kid == old_key.kid)
        .and_then(|k| k.retired_at)
        .expect("the old key is retired");
    let deadline = retired_at + ((LIFETIME + LEEWAY) * 1000) as i64;
    let new_token = await_signing_kid(&app, &new_kid).await;

    // Within the window: the old key's genuine token, and one it signs now, are accepted, and
    // both keys are published.
    assert_eq!(
        app.companies_my(&old_token).await.status(),
        200,
        "a retired key's genuine token works until it expires"
    );
    let forged = sign(&old_key, &fresh_claims(&old_token, LIFETIME as i64));
    assert_eq!(
        app.companies_my(&forged).await.status(),
        200,
        "within its window the retired key still verifies"
    );
    let kids = jwks_kids(&app).await;
    assert!(
        kids.contains(&old_key.kid) && kids.contains(&new_kid),
        "{kids:?}"
    );
    let listed = keys_list(&app);
    let old_listed = listed
        .iter()
        .find(|k| k["kid"] == old_key.kid.as_str())
        .expect("old key listed");
    assert_eq!(old_listed["state"], "retired", "{old_listed}");
    assert!(old_listed["trustedUntil"].is_string(), "{old_listed}");
    assert!(
        listed
            .iter()
            .any(|k| k["kid"] == new_kid.as_str() && k["state"] == "active"),
        "{listed:?}"
    );
    assert!(
        now_millis() < deadline,
        "the steps above took past the deadline; nothing was shown about the window"
    );

    // Around the deadline, forge a fresh old-key token for every probe. A probe answered before
    // the deadline must be accepted; one sent after it must be refused (the ring checks the key's
    // trust on every verification, so this holds to the millisecond). The JWKS follows when the
    // change-watch loop wakes for the deadline.
    let wait = (deadline - 500 - now_millis()).max(0);
    tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    let (mut last_accepted, mut first_refused, mut left_jwks) = (None, None, None);
    loop {
        let forged = sign(&old_key, &fresh_claims(&old_token, LIFETIME as i64));
        let sent = now_millis();
        let response = app.companies_my(&forged).await;
        let answered = now_millis();
        match response.status().as_u16() {
            200 => {
                assert!(
                    sent < deadline,
                    "a token of the retired key was accepted {} ms after its trust ended",
                    sent - deadline
                );
                last_accepted = Some(sent - deadline);
            }
            401 => {
                assert!(
                    answered >= deadline,
                    "the retired key was refused {} ms before its trust ended",
                    deadline - answered
                );
                first_refused.get_or_insert(sent - deadline);
                refused(response, "signing key").await;
            }
            other => panic!("unexpected status {other}"),
        }
        let sent = now_millis();
        let published = jwks_kids(&app).await.contains(&old_key.kid);
        let answered = now_millis();
        if !published {
            assert!(
                answered >= deadline,
                "the retired key left the JWKS {} ms early",
                deadline - answered
            );
            left_jwks.get_or_insert(sent - deadline);
        }
        if first_refused.is_some() && left_jwks.is_some() {
            break;
        }
        assert!(
            now_millis() < deadline + 10_000,
            "10 s past its deadline the retired key is still trusted or published \
             (refused: {first_refused:?}, left JWKS: {left_jwks:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "retired key vs retired_at + lifetime + leeway: last accepted probe sent at {:?} ms, \
         first refused probe sent at {:?} ms, first JWKS without it fetched at {:?} ms",
        last_accepted, first_refused, left_jwks
    );

    // After it, with no restart: the old key's tokens are refused, the new key's work, and the
    // expired key is pruned from the store.
    refused(app.companies_my(&old_token).await, "signing key").await;
    assert_eq!(app.companies_my(&new_token).await.status(), 200);
    assert_eq!(jwks_kids(&app).await, vec![new_kid.clone()]);
    let listed = await_listed_kids(&app, &[&new_kid]).await;
    assert_eq!(listed[0]["state"], "active", "{listed:?}");
}

#[tokio::test]
async fn revoking_a_retired_key_ends_its_tokens_on_every_replica() {
    // On PostgreSQL the poll is slowed to a minute, so the revocation can only arrive within the
    // bound below by LISTEN/NOTIFY; SQLite servers poll every 100 ms.
    let poll_ms = if on_postgres() { 60_000 } else { 100 };
    let a = TestApp::spawn_with(|c| c.change_poll_ms = poll_ms).await;
    let b = a.replica(|c| c.change_poll_ms = poll_ms).await;
    let old_key = a.state.keys.active();
    // Each test server is its own issuer (its own address), so each gets its own token; both
    // verify theirs now and remember it: the revocation must reach that cache too.
    let mut old_tokens = Vec::new();
    for app in [&a, &b] {
        let token = app.reseller_token().await;
        assert_eq!(kid_of(&token), old_key.kid);
        assert_eq!(app.companies_my(&token).await.status(), 200);
        old_tokens.push(token);
    }

    let new_kid = a.admin(binary(), &["keys", "rotate"]).json()["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    for (app, old_token) in [&a, &b].into_iter().zip(&old_tokens) {
        await_signing_kid(app, &new_kid).await;
        assert_eq!(
            app.companies_my(old_token).await.status(),
            200,
            "a retired key's tokens work after rotation"
        );
        let forged = sign(&old_key, &fresh_claims(old_token, 3600));
        assert_eq!(app.companies_my(&forged).await.status(), 200);
        assert!(jwks_kids(app).await.contains(&old_key.kid));
    }

    let out = a.admin(binary(), &["keys", "revoke", &old_key.kid]).json();
    assert_eq!(out["revoked"], old_key.kid.as_str(), "{out}");
    assert_eq!(out["wasActive"], false, "{out}");
    assert!(out["activeKid"].is_null(), "{out}");
    let revoked = Instant::now();

    for ((name, app), old_token) in [("A", &a), ("B", &b)].into_iter().zip(&old_tokens) {
        loop {
            let token_refused = app.companies_my(old_token).await.status() == 401;
            let unpublished = !jwks_kids(app).await.contains(&old_key.kid);
            if token_refused && unpublished {
                break;
            }
            assert!(
                revoked.elapsed() < Duration::from_secs(10),
                "replica {name} still trusts the revoked key after 10 s \
                 (token refused: {token_refused}, left JWKS: {unpublished})"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        eprintln!(
            "replica {name} dropped the revoked key {:?} after the command returned",
            revoked.elapsed()
        );
        refused(app.companies_my(old_token).await, "signing key").await;
        let forged = sign(&old_key, &fresh_claims(old_token, 3600));
        refused(app.companies_my(&forged).await, "signing key").await;
        assert_eq!(jwks_kids(app).await, vec![new_kid.clone()]);
        let fresh = app.reseller_token().await;
        assert_eq!(kid_of(&fresh), new_kid, "the active key is untouched");
        assert_eq!(app.companies_my(&fresh).await.status(), 200);
    }
    if on_postgres() {
        assert!(
            revoked.elapsed() < Duration::from_secs(5),
            "took {:?}: the notification did not arrive",
            revoked.elapsed()
        );
    }
    let listed = await_listed_kids(&a, &[&new_kid]).await;
    assert_eq!(listed[0]["state"], "active");

    // Revoked once is gone: a second revocation names an unknown key.
    let again = a.admin(binary(), &["keys", "revoke", &old_key.kid]);
    assert!(!again.status.success(), "{}", again.stdout);
    assert!(
        again.stderr.contains("no signing key with kid"),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn revoking_the_active_key_rotates_to_a_fresh_one_everywhere() {
    let a = TestApp::spawn().await;
    let b = a.replica(|_| {}).await;
    let old_kid = a.state.keys.active().kid.clone();
    let mut old_tokens = Vec::new();
    for app in [&a, &b] {
        let token = app.reseller_token().await;
        assert_eq!(kid_of(&token), old_kid);
        assert_eq!(app.companies_my(&token).await.status(), 200);
        old_tokens.push(token);
    }

    let out = a.admin(binary(), &["keys", "revoke", &old_kid]).json();
    assert_eq!(out["revoked"], old_kid.as_str(), "{out}");
    assert_eq!(out["wasActive"], true, "{out}");
    let new_kid = out["activeKid"].as_str().expect("activeKid").to_owned();
    assert_ne!(new_kid, old_kid);

    for (app, old_token) in [&a, &b].into_iter().zip(&old_tokens) {
        // Signing with the replacement means the server has reloaded the ring.
        let fresh = await_signing_kid(app, &new_kid).await;
        assert_eq!(app.companies_my(&fresh).await.status(), 200);
        refused(app.companies_my(old_token).await, "signing key").await;
        assert_eq!(jwks_kids(app).await, vec![new_kid.clone()]);
    }
    let listed = await_listed_kids(&a, &[&new_kid]).await;
    assert_eq!(listed[0]["state"], "active");
    assert_eq!(listed[0]["algorithm"], "ES256");
}

#[tokio::test]
async fn revoking_an_unknown_kid_fails_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let kid = app.state.keys.active().kid.clone();
    let token = app.reseller_token().await;
    let out = app.admin(binary(), &["keys", "revoke", "no-such-kid"]);
    assert!(!out.status.success(), "{}", out.stdout);
    assert!(
        out.stderr.contains("no signing key with kid no-such-kid"),
        "{}",
        out.stderr
    );
    // Thumbprints are base64url and may begin with '-': still a kid, not an option.
    let out = app.admin(binary(), &["keys", "revoke", "-I0nly-a-kid"]);
    assert!(
        out.stderr.contains("no signing key with kid -I0nly-a-kid"),
        "{}",
        out.stderr
    );
    assert_eq!(await_listed_kids(&app, &[&kid]).await[0]["state"], "active");
    assert_eq!(app.companies_my(&token).await.status(), 200);
    assert_eq!(jwks_kids(&app).await, vec![kid]);
}

#[tokio::test]
async fn a_token_claiming_a_longer_life_than_the_server_issues_is_refused() {
    // Defaults: 3600 s tokens, 30 s leeway.
    let app = TestApp::spawn().await;
    let key = app.state.keys.active();
    let genuine = app.reseller_token().await;
    let now = now_secs();

    let mut claims = fresh_claims(&genuine, 3600 + 30);
    assert_eq!(
        app.companies_my(&sign(&key, &claims)).await.status(),
        200,
        "the configured lifetime plus the leeway is accepted"
    );
    claims["exp"] = json!(now + 3600 + 31);
    refused(
        app.companies_my(&sign(&key, &claims)).await,
        "lifetime (exp - iat) exceeds the 3600 seconds",
    )
    .await;

    // A signer backdating iat to make a far exp look plausible is caught the same way.
    let mut backdated = fresh_claims(&genuine, 3600);
    backdated["iat"] = json!(now - 86_400);
    backdated["exp"] = json!(now + 86_400);
    refused(app.companies_my(&sign(&key, &backdated)).await, "lifetime").await;
}

#[tokio::test]
async fn a_token_issued_in_the_future_or_without_iat_is_refused() {
    let app = TestApp::spawn().await;
    let key = app.state.keys.active();
    let genuine = app.reseller_token().await;
    let now = now_secs();

    let mut skewed = fresh_claims(&genuine, 3600);
    skewed["iat"] = json!(now + 10);
    skewed["exp"] = json!(now + 10 + 3600);
    assert_eq!(
        app.companies_my(&sign(&key, &skewed)).await.status(),
        200,
        "an iat ahead by less than the leeway is clock skew"
    );

    let mut future = fresh_claims(&genuine, 3600);
    future["iat"] = json!(now + 300);
    future["exp"] = json!(now + 300 + 3600);
    refused(
        app.companies_my(&sign(&key, &future)).await,
        "iat (issued at) lies in the future",
    )
    .await;

    let mut no_iat = fresh_claims(&genuine, 3600);
    no_iat.as_object_mut().expect("claims object").remove("iat");
    refused(
        app.companies_my(&sign(&key, &no_iat)).await,
        "no iat (issued at) claim",
    )
    .await;
}
