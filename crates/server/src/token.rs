//! `POST /connect/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
//!
//! Clients authenticate with `client_secret_post` (credentials in the form body) or
//! `client_secret_basic` (HTTP Basic). Errors use the RFC 6749 §5.2 body. Bad credentials
//! answer `400 invalid_client` when they came in the body (as the platform documents) and
//! `401` with `WWW-Authenticate: Basic` when they came in the header (RFC 6749 §5.2). An unknown
//! client id and a wrong secret give the same answer after the same work.
//!
//! Nothing here touches the database: clients come from the live client view and the token is
//! signed with a key held in memory.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use latchkey_domain::secret::ClientSecret;
use latchkey_domain::time::now_secs;
use latchkey_proto::oauth::{OAuthError, OAuthErrorCode};
use latchkey_proto::{ResultStatus, ServiceResult};

use crate::auth::client_ip::client_ip;
use crate::auth::registry::ClientEntry;
use crate::state::AppState;

const SCOPE: &str = "api1";

pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ip = client_ip(peer, &headers, &state.config.trusted_proxies);
    match issue(&state, ip, &headers, &body) {
        Ok(response) => {
            metrics::counter!("latchkey_tokens_issued_total").increment(1);
            response
        }
        Err(mut e) => {
            if matches!(e.error, OAuthErrorCode::InvalidClient) {
                metrics::counter!("latchkey_token_auth_failures_total").increment(1);
            }
            if let Some((entry, reason)) = e.refused.take() {
                record_refusal(&state, &entry, reason, ip, &headers).await;
            }
            e.into_response()
        }
    }
}

/// Records a refused token request of a known client in its company's audit log, at most once
/// per client and minute: this server remembers the minute it last recorded for each client
/// (so an attack costs no database write after the first), and the store's row for the
/// minute keeps other replicas from recording it again.
async fn record_refusal(
    state: &AppState,
    entry: &ClientEntry,
    reason: &str,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
) {
    let minute = now_secs().div_euclid(60);
    {
        let mut last = state
            .token_refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.get(&entry.key) == Some(&minute) {
            return;
        }
        last.insert(entry.key, minute);
    }
    let scope = entry
        .caller
        .clone()
        .from_origin(
            Some(ip.to_string()),
            crate::auth::bearer::user_agent(headers),
        )
        .own_scope();
    if let Err(e) = state
        .store
        .record_token_refusal(
            &scope,
            entry.key,
            entry.resource_id.as_str(),
            minute,
            reason,
        )
        .await
    {
        tracing::warn!(error = %e, "recording a refused token request failed");
    }
}

/// A token endpoint failure.
struct TokenError {
    status: StatusCode,
    error: OAuthErrorCode,
    description: Cow<'static, str>,
    basic_challenge: bool,
    retry_after: Option<u64>,
    /// The known client whose request was refused, and why: a security event for the audit
    /// log.
    refused: Option<(Arc<ClientEntry>, &'static str)>,
}

impl TokenError {
    fn new(error: OAuthErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            basic_challenge: false,
            retry_after: None,
            refused: None,
        }
    }

    fn of_client(mut self, entry: &Arc<ClientEntry>, reason: &'static str) -> Self {
        self.refused = Some((entry.clone(), reason));
        self
    }

    fn bad_credentials(via_basic: bool) -> Self {
        let mut e = Self::new(
            OAuthErrorCode::InvalidClient,
            "Client authentication failed",
        );
        if via_basic {
            e.status = StatusCode::UNAUTHORIZED;
            e.basic_challenge = true;
        }
        e
    }

    fn too_many(retry_after: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(retry_after),
            ..Self::new(
                OAuthErrorCode::SlowDown,
                ResultStatus::TooManyRequests.default_message(),
            )
        }
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let body = if self.status == StatusCode::TOO_MANY_REQUESTS {
            // OAuth clients read `error`; clients written against the envelope read `status`.
            let envelope = ServiceResult::<()>::failure(
                ResultStatus::TooManyRequests,
                self.description.clone(),
                None,
            );
            let mut value = serde_json::to_value(envelope).unwrap_or_default();
            if let Some(obj) = value.as_object_mut() {
                obj.insert("error".into(), serde_json::json!(self.error));
                obj.insert(
                    "error_description".into(),
                    serde_json::json!(self.description),
                );
            }
            value
        } else {
            serde_json::to_value(OAuthError {
                error: self.error,
                error_description: Some(self.description.into_owned()),
            })
            .unwrap_or_default()
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if self.basic_challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"latchkey\", charset=\"UTF-8\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The parsed form: each parameter at most once (RFC 6749 §3.2).
struct Form<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Form<'a> {
    fn parse(body: &'a [u8]) -> Result<Self, TokenError> {
        let pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = form_urlencoded_pairs(body);
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(TokenError::new(
                    OAuthErrorCode::InvalidRequest,
                    format!("The parameter '{name}' is given more than once"),
                ));
            }
        }
        Ok(Self(pairs))
    }

    /// A parameter; an empty value counts as absent (RFC 6749 §3.1).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
            .filter(|v| !v.is_empty())
    }
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    // `serde_urlencoded` is form_urlencoded underneath; its parser percent-decodes and maps
    // `+` to a space as the form encoding requires.
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|v| {
            v.into_iter()
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                .collect()
        })
        .unwrap_or_default()
}

fn issue(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, TokenError> {
    check_content_type(headers)?;
    let form = Form::parse(body)?;

    let basic = basic_credentials(headers)?;
    let via_basic = basic.is_some();
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if form.get("client_secret").is_some() {
                return Err(TokenError::new(
                    OAuthErrorCode::InvalidRequest,
                    "Use one client authentication method: HTTP Basic or client_secret in the body, not both",
                ));
            }
            if form.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(TokenError::new(
                    OAuthErrorCode::InvalidRequest,
                    "client_id differs from the HTTP Basic user",
                ));
            }
            (Cow::Owned(id), Cow::Owned(secret))
        }
        None => {
            let id = form.get("client_id").ok_or_else(|| {
                TokenError::new(OAuthErrorCode::InvalidRequest, "client_id is required")
            })?;
            let secret = form.get("client_secret").ok_or_else(|| {
                TokenError::new(
                    OAuthErrorCode::InvalidRequest,
                    "client_secret is required (or use HTTP Basic authentication)",
                )
            })?;
            (Cow::Borrowed(id), Cow::Borrowed(secret))
        }
    };
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| TokenError::new(OAuthErrorCode::InvalidRequest, "grant_type is required"))?;

    // An address that has spent its failure budget is refused before any credential work,
    // right secret or not, until the budget refills: guessing stops, and so does its cost.
    state
        .token_failures
        .check_barred(&ip)
        .map_err(TokenError::too_many)?;
    // Authenticate: the same digest and comparison whether or not the client exists. Only
    // failures count against the budget, so an address using good credentials is never barred.
    let entry = state.clients.get(&client_id);
    let presented = ClientSecret::presented(&secret);
    let authenticated = state
        .hasher
        .verify(&presented, entry.as_ref().map(|e| &e.secret_digest));
    let entry = match entry {
        Some(entry) if authenticated => entry,
        known => {
            let refused = |e: TokenError| match &known {
                Some(entry) => e.of_client(entry, "wrong client secret"),
                None => e,
            };
            if let Err(wait) = state.token_failures.record_failure(&ip) {
                return Err(refused(TokenError::too_many(wait)));
            }
            return Err(refused(TokenError::bad_credentials(via_basic)));
        }
    };
    if !entry.active {
        return Err(
            TokenError::new(OAuthErrorCode::InvalidClient, "The client is inactive")
                .of_client(&entry, "the client is inactive"),
        );
    }
    if let Some(allowed) = &entry.allowed_ips
        && !allowed.contains(ip)
    {
        return Err(TokenError::new(
            OAuthErrorCode::UnauthorizedClient,
            format!("Token requests from {ip} are not allowed for this client"),
        )
        .of_client(&entry, "the address is not on the client's allow-list"));
    }
    if grant_type != "client_credentials" {
        return Err(TokenError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "Only the client_credentials grant is supported",
        ));
    }
    if let Some(scope) = form.get("scope")
        && scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .any(|s| s != SCOPE)
    {
        return Err(TokenError::new(
            OAuthErrorCode::InvalidScope,
            "The only scope is api1",
        ));
    }
    state
        .token_limiter
        .check(&entry.key)
        .map_err(TokenError::too_many)?;

    let lifetime = state.config.token_lifetime_seconds;
    let now = now_secs();
    let mut claims = String::with_capacity(entry.claims_prefix.len() + 96);
    claims.push_str(&entry.claims_prefix);
    claims.push_str(&format!(
        "\"exp\":{},\"iat\":{now},\"jti\":\"{}\",\"nbf\":{now}}}",
        now + lifetime as i64,
        uuid::Uuid::new_v4().simple()
    ));
    let token = state.keys.active().sign(claims.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "token signing failed");
        TokenError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            ..TokenError::new(OAuthErrorCode::ServerError, "The token could not be issued")
        }
    })?;
    let body = format!(
        "{{\"access_token\":\"{token}\",\"expires_in\":{lifetime},\"token_type\":\"Bearer\",\"scope\":\"{SCOPE}\",\"permissions\":{}}}",
        entry.permissions_json
    );
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    no_store(response.headers_mut());
    Ok(response)
}

fn check_content_type(headers: &HeaderMap) -> Result<(), TokenError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Ok(());
    }
    let got = if essence.is_empty() {
        "no Content-Type".to_owned()
    } else {
        essence.to_owned()
    };
    Err(TokenError::new(
        OAuthErrorCode::InvalidRequest,
        format!(
            "The token request must be sent as application/x-www-form-urlencoded (RFC 6749 §4.4.2), not {got}"
        ),
    ))
}

/// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || TokenError::bad_credentials(true);
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::new(
            OAuthErrorCode::InvalidRequest,
            "Only HTTP Basic client authentication is supported in the Authorization header",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |s: &str| -> Result<String, TokenError> {
        let plus_as_space = s.replace('+', " ");
        percent_encoding::percent_decode_str(&plus_as_space)
            .decode_utf8()
            .map(Cow::into_owned)
            .map_err(|_| malformed())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}
