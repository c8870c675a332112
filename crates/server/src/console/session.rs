//! Console sign-in sessions.
//!
//! Signing in with a system user's email and password creates a session: a 256-bit random token
//! in a cookie that is `HttpOnly`, `SameSite=Strict`, scoped to `/console` and `Secure` when the
//! server is reached over TLS. The database keeps only a keyed digest of the token. A session
//! ends when the user signs out, after 30 idle minutes, 12 hours after sign-in, or as soon as the
//! user is deactivated or deleted (checked on every request).
//!
//! Requests that change state must also carry `X-CSRF-Token`, a value derived from the session
//! token that only the console's own script can read (it is returned by the session endpoints,
//! never put in a cookie), and must not come from another site (`Sec-Fetch-Site`, `Origin`).
//!
//! The console calls the API at `/console/api/...`: the same route table, handlers, permission
//! checks and per-caller rate limit as `/api/...`, with the caller established here instead of
//! from a token.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use futures_util::future::BoxFuture;
use latchkey_domain::authz::{Caller, Principal};
use latchkey_domain::secret::{ClientSecret, SecretDigest};
use latchkey_domain::time::now_millis;
use latchkey_proto::ServiceResult;
use serde::{Deserialize, Serialize};

use crate::api::json::JsonBody;
use crate::auth::bearer::Authenticator;
use crate::auth::client_ip::client_ip;
use crate::auth::password::{sign_in, user_caller};
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

pub const COOKIE: &str = "latchkey_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const COOKIE_PATH: &str = "/console";
pub const IDLE_MS: i64 = 30 * 60 * 1000;
const LIFETIME_MS: i64 = 12 * 60 * 60 * 1000;
/// Activity is recorded at most this often, to keep reads from turning into writes.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// What the console needs to know about its session.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDto {
    /// Send back as `X-CSRF-Token` on every request that changes state.
    pub csrf_token: String,
    pub user_resource_id: String,
    pub company_resource_id: String,
    pub company_name: String,
    pub reseller_access: bool,
    pub permissions: Vec<String>,
}

/// `POST /console/session`: sign in.
pub async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignInRequest>,
) -> ApiResult<Response> {
    refuse_cross_site(&headers)?;
    let mut missing = Vec::new();
    if body.email.trim().is_empty() {
        missing.push("Email is required".to_owned());
    }
    if body.password.is_empty() {
        missing.push("Password is required".to_owned());
    }
    if !missing.is_empty() {
        return Err(ApiError::input(missing));
    }
    let ip = client_ip(peer, &headers, &state.config.trusted_proxies);
    let caller = sign_in(
        &state,
        body.email.trim(),
        &body.password,
        ip,
        crate::auth::bearer::user_agent(&headers),
    )
    .await?;
    let Some(user_key) = caller.principal().user_key() else {
        return Err(ApiError::internal(
            "sign-in returned a caller that is not a user",
        ));
    };
    let token = ClientSecret::generate();
    let now = now_millis();
    state
        .store
        .create_session(
            &digest_hex(&state, token.expose()),
            user_key,
            now,
            now + LIFETIME_MS,
        )
        .await?;
    let cookie = session_cookie(&state, &headers, token.expose().to_owned());
    let body = ok(session_dto(&state, token.expose(), &caller));
    let mut response = body.into_response();
    set_cookie(&mut response, &cookie);
    Ok(response)
}

/// `GET /console/session`: who is signed in, and the CSRF token to use.
pub async fn current(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<ServiceResult<SessionDto>>> {
    let (token, caller) = session_caller(&state, &headers).await?;
    Ok(ok(session_dto(&state, &token, &caller)))
}

/// `DELETE /console/session`: sign out.
pub async fn delete(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let jar = CookieJar::from_headers(&headers);
    if let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned()) {
        check_csrf(&state, &headers, &token)?;
        state
            .store
            .delete_session(&digest_hex(&state, &token))
            .await?;
    }
    let mut response = ok(()).into_response();
    let mut cookie = session_cookie(&state, &headers, String::new());
    cookie.set_max_age(time::Duration::ZERO);
    set_cookie(&mut response, &cookie);
    Ok(response)
}

/// The authorization step for `/console/api/...`: the session stands where a bearer token
/// stands for `/api/...`; the permission check is the same.
/// `/console/api/...`: the session cookie of a signed-in system user, with the CSRF checks for
/// requests that change anything.
pub struct SessionCookie;

impl Authenticator for SessionCookie {
    fn authenticate<'a>(
        &'a self,
        state: &'a AppState,
        _peer: SocketAddr,
        method: &'a Method,
        headers: &'a HeaderMap,
        permission: &'a str,
    ) -> BoxFuture<'a, ApiResult<Caller>> {
        Box::pin(authenticate(state, headers, method, permission))
    }
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    permission: &str,
) -> ApiResult<Caller> {
    let (token, caller) = session_caller(state, headers).await?;
    state
        .api_limiter
        .check(&caller.principal().key())
        .map_err(ApiError::too_many_requests)?;
    if !method.is_safe() {
        refuse_cross_site(headers)?;
        check_csrf(state, headers, &token)?;
    }
    caller.require(permission)?;
    Ok(caller)
}

/// The session's token and its user as a caller, or 401.
async fn session_caller(state: &AppState, headers: &HeaderMap) -> ApiResult<(String, Caller)> {
    let jar = CookieJar::from_headers(headers);
    let token = jar
        .get(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::signed_out("Sign in to continue"))?;
    let digest = digest_hex(state, &token);
    let ended = || ApiError::signed_out("Your session has ended. Sign in again.");
    let session = state.store.find_session(&digest).await?.ok_or_else(ended)?;
    let now = now_millis();
    if session.expires_at <= now || session.last_seen_at + IDLE_MS <= now {
        state.store.delete_session(&digest).await?;
        return Err(ended());
    }
    let Some(caller) = user_caller(state, session.user_key).await? else {
        state.store.delete_user_sessions(session.user_key).await?;
        return Err(ended());
    };
    if now - session.last_seen_at >= TOUCH_EVERY_MS {
        state.store.touch_session(&digest, now).await?;
    }
    Ok((token, caller))
}

fn session_dto(state: &AppState, token: &str, caller: &Caller) -> SessionDto {
    let user_resource_id = match &caller.principal() {
        Principal::User { resource_id, .. } => resource_id.as_str().to_owned(),
        Principal::Client { .. } => String::new(),
    };
    SessionDto {
        csrf_token: csrf_token(state, token),
        user_resource_id,
        company_resource_id: caller.company().resource_id.as_str().to_owned(),
        company_name: caller.company().name.clone(),
        reseller_access: caller.reseller_access(),
        permissions: caller.permissions().to_vec(),
    }
}

fn digest(state: &AppState, label: &str, token: &str) -> SecretDigest {
    state
        .session_hasher
        .digest(&ClientSecret::presented(&format!("{label} {token}")))
}

fn digest_hex(state: &AppState, token: &str) -> String {
    hex::encode(digest(state, "session", token).as_bytes())
}

/// The CSRF token of a session: a keyed digest of the session token, so it needs no storage
/// and cannot be computed without the server's key.
fn csrf_token(state: &AppState, token: &str) -> String {
    hex::encode(digest(state, "csrf", token).as_bytes())
}

fn check_csrf(state: &AppState, headers: &HeaderMap, token: &str) -> ApiResult<()> {
    let expected = digest(state, "csrf", token);
    let presented = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v).ok())
        .and_then(|bytes| SecretDigest::from_bytes(&bytes));
    match presented {
        Some(p) if p.matches(&expected) => Ok(()),
        _ => Err(ApiError::forbidden(
            "This request is missing a valid X-CSRF-Token header",
        )),
    }
}

/// Refuses requests a browser marks as coming from another site, and those whose `Origin`
/// names another host than the one they were sent to.
fn refuse_cross_site(headers: &HeaderMap) -> ApiResult<()> {
    let refused = || ApiError::forbidden("Cross-site requests are not accepted by the console");
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(refused());
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        if origin_host.is_none() || origin_host != host {
            return Err(refused());
        }
    }
    Ok(())
}

/// The session cookie with its attributes: only the console's script's requests carry it, and
/// only over TLS when the console is reached that way.
fn session_cookie(state: &AppState, headers: &HeaderMap, value: String) -> Cookie<'static> {
    Cookie::build((COOKIE, value))
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(state, headers))
        .build()
}

/// Whether the browser reached us over TLS: the public URL is `https`, or a trusted proxy
/// says so.
fn over_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .config
        .public_url_for(&state.issuer)
        .starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn set_cookie(response: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
