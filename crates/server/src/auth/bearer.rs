//! The `/api` authorization step.
//!
//! For every route, in this order: bearer token (RFC 6750) → signature and claims, checked once
//! per token and then remembered until it expires or its signing key loses trust → the client
//! still exists, is active and is calling from an allowed address (read from the live client
//! view, so a change applies to tokens already issued) → the client's rate limit → the route's
//! permission. The result, a [`Caller`], is put in the request for the handler; a handler gets
//! it through [`Auth`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use latchkey_domain::authz::{Caller, PrincipalKey};
use latchkey_domain::time::now_secs;

use super::client_ip::client_ip;
use crate::crypto::ring::VerifiedClaims;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The permission key a route demands.
pub struct Permission(pub String);

/// How a mount of the route table establishes its caller: [`BearerToken`] on `/api/...`, the
/// console's session cookie on `/console/api/...` (implemented by the console, which this layer
/// does not know). The permission check is part of it, so that every way in checks it.
pub trait Authenticator: Send + Sync + 'static {
    fn authenticate<'a>(
        &'a self,
        state: &'a AppState,
        peer: SocketAddr,
        method: &'a Method,
        headers: &'a HeaderMap,
        permission: &'a str,
    ) -> BoxFuture<'a, ApiResult<Caller>>;
}

/// `/api/...`: an OAuth bearer token of a REST API client.
pub struct BearerToken {
    /// Whether the request counts against the client's rate limit. Operations that `/mcp`
    /// runs for a tool call do not: the MCP request that carried the call was counted.
    pub rate_limited: bool,
}

impl Authenticator for BearerToken {
    fn authenticate<'a>(
        &'a self,
        state: &'a AppState,
        peer: SocketAddr,
        _method: &'a Method,
        headers: &'a HeaderMap,
        permission: &'a str,
    ) -> BoxFuture<'a, ApiResult<Caller>> {
        let caller = bearer_caller(state, peer, headers, self.rate_limited).and_then(|caller| {
            caller.require(permission)?;
            Ok(caller)
        });
        Box::pin(std::future::ready(caller))
    }
}

/// The authorization step as a route layer: establishes the caller, checks the route's
/// permission, and puts the [`Caller`] in the request for the handler.
pub async fn authorize(
    State((state, permission, authn)): State<(AppState, Arc<Permission>, Arc<dyn Authenticator>)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = authn
        .authenticate(
            &state,
            peer,
            request.method(),
            request.headers(),
            &permission.0,
        )
        .await;
    match caller {
        Ok(caller) => {
            let caller = with_origin(caller, &state, peer, request.headers());
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The caller as seen on this request: its address (through trusted proxies) and user agent
/// go into the audit record of every change it makes.
pub fn with_origin(
    caller: Caller,
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Caller {
    let (ip, agent) = origin(state, peer, headers);
    caller.from_origin(ip, agent)
}

/// Where a request comes from, as an audit record names it: the address (through trusted
/// proxies) and the user agent.
pub fn origin(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let ip = client_ip(peer, headers, &state.config.trusted_proxies);
    (Some(ip.to_string()), user_agent(headers))
}

/// The request's `User-Agent`, when it is text.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The REST API client a bearer token speaks for, before any route's permission is checked:
/// every step of the authorization step but the last. `/mcp` authenticates with this, and
/// then checks each operation's permission as `/api` does.
pub fn bearer_caller(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    rate_limited: bool,
) -> ApiResult<Caller> {
    let token = bearer_token(headers)?;
    let claims = verified_claims(state, token)?;
    let entry = state
        .clients
        .get(&claims.client_id)
        // A client deleted and re-created under the same client id is another client.
        .filter(|e| e.resource_id.as_str() == claims.sub)
        .ok_or_else(|| ApiError::unauthorized(Some("The client of this token no longer exists")))?;
    if !entry.active {
        return Err(ApiError::unauthorized(Some(
            "The client of this token is inactive",
        )));
    }
    if let Some(allowed) = &entry.allowed_ips {
        let ip = client_ip(peer, headers, &state.config.trusted_proxies);
        if !allowed.contains(ip) {
            return Err(ApiError::forbidden(format!(
                "Requests from {ip} are not allowed for this client"
            )));
        }
    }
    if rate_limited {
        state
            .api_limiter
            .check(&PrincipalKey::Client(entry.key))
            .map_err(ApiError::too_many_requests)?;
    }
    Ok(entry.caller.clone())
}

fn bearer_token(headers: &HeaderMap) -> ApiResult<&str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(Some("No bearer token was sent")));
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized(Some("The Authorization header is not valid text")))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        ApiError::unauthorized(Some("The Authorization header must be 'Bearer <token>'"))
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(Some(
            "The Authorization header must be 'Bearer <token>'",
        )));
    }
    Ok(token.trim())
}

/// Verifies the token, or finds it among those already verified. The cache key is a digest of
/// the whole token, so a token altered in any byte is a miss and gets verified. A remembered
/// verification holds only while the token is unexpired and the ring still trusts the key that
/// signed it: a key revoked or past its retirement window ends its tokens here too.
fn verified_claims(state: &AppState, token: &str) -> ApiResult<VerifiedClaims> {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(digest.as_ref());
    if let Some(claims) = state.verified_tokens.get(&key) {
        if claims.exp > now_secs() && state.keys.trusts(&claims.kid) {
            return Ok(claims);
        }
        state.verified_tokens.remove(&key);
    }
    let claims = state
        .keys
        .verify(token)
        .map_err(|e| ApiError::unauthorized(Some(&e.to_string())))?;
    state.verified_tokens.insert(key, claims.clone());
    Ok(claims)
}

/// The authenticated caller, for handlers.
pub struct Auth(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(Auth)
            .ok_or_else(|| ApiError::internal("handler reached without the authorization step"))
    }
}
