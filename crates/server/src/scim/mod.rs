//! The SCIM 2.0 service (RFC 7643, RFC 7644) at `/scim/v2`, where identity providers (Entra ID,
//! Okta, OneLogin, JumpCloud) provision a company's target users and groups.
//!
//! A tour:
//! - [`authenticate`]: every request carries an integration's bearer token
//!   (`<integration id>.<secret>`, from `POST /api/scim`). Its keyed digest is compared in
//!   constant time with the stored one; a match yields the integration and a scope of its
//!   company, so everything after it is confined to that company.
//! - [`schema`]: the schemas, declared once; `/Schemas`, `/ResourceTypes` and
//!   `/ServiceProviderConfig` are rendered from them.
//! - [`filter`]: the filter and PATCH path grammar, and filter evaluation.
//! - [`resource`]: request bodies into stored documents, PATCH, the attribute projection.
//! - [`users`] and [`groups`]: the resources, written through the target-user and target-group
//!   store functions the `/api` handlers use. A SCIM User is a target user (its `id` is the
//!   target user's resource id), a SCIM Group a target group marked `isScimGroup`.
//!
//! Errors are SCIM Error bodies with `scimType`; every body is `application/scim+json`.

pub mod filter;
pub mod groups;
pub mod resource;
pub mod schema;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use latchkey_domain::audit::{Actor, ActorKind};
use latchkey_domain::authz::{CompanyScope, scim_scope};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::secret::{ClientSecret, SecretDigest};
use latchkey_store::StoreError;
use latchkey_store::scim::IntegrationRow;
use serde_json::{Value, json};

use crate::state::AppState;

/// Where the service is mounted.
pub const BASE_PATH: &str = "/scim/v2";
/// The most resources one list answers (`count` is lowered to it).
pub const MAX_COUNT: i64 = 1000;
const SCIM_JSON: &str = "application/scim+json";

/// The authenticated integration and the company it is confined to.
#[derive(Debug, Clone)]
pub struct ScimContext {
    pub integration: IntegrationRow,
    pub scope: CompanyScope,
    /// The absolute URL of the service, for `meta.location` and `$ref`.
    pub base: String,
}

/// The service's routes, behind [`authenticate`].
pub fn router(state: AppState) -> Router<AppState> {
    let service = Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema_by_id))
        .route("/Users", get(users::list).post(users::create))
        .route("/Users/.search", post(users::search))
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route("/Groups/.search", post(groups::search))
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route("/.search", post(not_implemented))
        .route("/Bulk", post(not_implemented))
        .route("/Me", get(not_implemented))
        .fallback(|| async { ScimError::not_found("No SCIM endpoint at this path") })
        .method_not_allowed_fallback(|| async {
            ScimError::new(405, None, "This method is not allowed here")
        })
        .layer(axum::middleware::from_fn_with_state(state, authenticate))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024));
    Router::new().nest(BASE_PATH, service)
}

/// Finds the integration the bearer token names and checks the token.
async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let Some(token) = presented else {
        return ScimError::unauthorized("A bearer token is required").into_response();
    };
    let owner = match token
        .split_once('.')
        .and_then(|(id, _)| ResourceId::parse(id))
    {
        Some(id) => match state.store.scim_token_owner(&id).await {
            Ok(owner) => owner,
            Err(e) => return ScimError::from(e).into_response(),
        },
        None => None,
    };
    let stored = owner
        .as_ref()
        .and_then(|o| SecretDigest::from_bytes(&o.token_digest));
    // Verified against a throw-away digest when no integration matched, so that an unknown
    // integration and a wrong secret take the same time.
    if !state
        .scim_hasher
        .verify(&ClientSecret::presented(token), stored.as_ref())
    {
        return ScimError::unauthorized("The bearer token is not valid").into_response();
    }
    let Some(owner) = owner else {
        return ScimError::unauthorized("The bearer token is not valid").into_response();
    };
    // What the integration changes is audited as its doing, from where the request came.
    let (ip, agent) = match request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        Some(peer) => crate::auth::bearer::origin(&state, peer.0, request.headers()),
        None => (None, crate::auth::bearer::user_agent(request.headers())),
    };
    let actor = Actor::new(
        ActorKind::Scim,
        owner.integration.key,
        format!("SCIM {}", owner.integration.name),
    )
    .from_origin(ip, agent);
    let base = format!("{}{BASE_PATH}", state.config.public_url_for(&state.issuer));
    request.extensions_mut().insert(Arc::new(ScimContext {
        integration: owner.integration,
        scope: scim_scope(owner.company, actor),
        base,
    }));
    next.run(request).await
}

/// A SCIM Error response (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
    pub fn value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }
    pub fn syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }
    pub fn path(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidPath"), detail)
    }
    pub fn filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidFilter"), detail)
    }
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some("uniqueness"), detail)
    }
    fn unauthorized(detail: &str) -> Self {
        Self::new(401, None, detail)
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ScimError::not_found("The resource was not found"),
            StoreError::Conflict(what) => ScimError::uniqueness(format!("{what} already exists")),
            StoreError::Invalid(messages) => ScimError::value(messages.join("; ")),
            StoreError::Refused(why) => ScimError::value(why),
            other => {
                tracing::error!(error = %other, "SCIM request failed");
                ScimError::new(500, None, "Internal server error")
            }
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [schema::ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::String(t.to_owned());
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = scim_json(status, &body);
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"SCIM\""),
            );
        }
        response
    }
}

pub type ScimResult<T> = Result<T, ScimError>;

/// A JSON body as `application/scim+json`.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// A created resource: 201 with its `Location`.
pub fn created(body: &Value) -> Response {
    let mut response = scim_json(StatusCode::CREATED, body);
    if let Some(location) = body
        .pointer("/meta/location")
        .and_then(Value::as_str)
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A request body as JSON (`application/scim+json`, `application/json`, or unlabeled).
pub fn json_body(headers: &HeaderMap, body: &Bytes) -> ScimResult<Value> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        let ct = ct.to_ascii_lowercase();
        if !(ct.contains("json") || ct.starts_with("text/plain")) {
            return Err(ScimError::new(
                415,
                None,
                "Send the body as application/scim+json",
            ));
        }
    }
    serde_json::from_slice(body)
        .map_err(|e| ScimError::syntax(format!("The body is not valid JSON: {e}")))
}

/// The query parameters of a list (`GET /Users?…`), or the body of a `POST …/.search`.
#[derive(Debug, Default)]
pub struct ListParams {
    pub filter: Option<filter::Filter>,
    pub start_index: i64,
    pub count: i64,
    pub projection: resource::Projection,
}

impl ListParams {
    /// From `?filter=…&startIndex=…&count=…&attributes=…&excludedAttributes=…` (names in any
    /// case). `sortBy` is accepted and ignored, as `/ServiceProviderConfig` declares.
    pub fn from_query(query: Option<&str>) -> ScimResult<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| ScimError::value(format!("The query string is not valid: {e}")))?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let int = |name: &str| -> ScimResult<Option<i64>> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| ScimError::value(format!("{name} must be an integer")))
                })
                .transpose()
        };
        Self::build(
            get("filter"),
            int("startIndex")?,
            int("count")?,
            get("attributes"),
            get("excludedAttributes"),
        )
    }

    /// From a SearchRequest body.
    pub fn from_body(body: &Value) -> ScimResult<Self> {
        let text = |name: &str| -> Option<String> {
            match filter::get_ci(body, name)? {
                Value::String(s) => Some(s.clone()),
                Value::Array(items) => Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            }
        };
        let int = |name: &str| -> ScimResult<Option<i64>> {
            match filter::get_ci(body, name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::value(format!("{name} must be an integer"))),
            }
        };
        Self::build(
            text("filter").as_deref(),
            int("startIndex")?,
            int("count")?,
            text("attributes").as_deref(),
            text("excludedAttributes").as_deref(),
        )
    }

    fn build(
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> ScimResult<Self> {
        let filter = match filter.map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => Some(filter::parse_filter(f).map_err(ScimError::filter)?),
            None => None,
        };
        Ok(Self {
            filter,
            // RFC 7644 §3.4.2.4: below 1 is read as 1, a negative count as 0.
            start_index: start_index.unwrap_or(1).max(1),
            count: count.unwrap_or(100).clamp(0, MAX_COUNT),
            projection: resource::Projection::parse(attributes, excluded)?,
        })
    }

    /// The page of `all` the parameters ask for, as a ListResponse.
    pub fn page(&self, all: Vec<Value>, kind: &'static schema::Kind) -> Value {
        let total = all.len();
        let skip = usize::try_from(self.start_index - 1).unwrap_or(usize::MAX);
        let take = usize::try_from(self.count).unwrap_or(0);
        let resources: Vec<Value> = all
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|r| self.projection.apply(r, kind))
            .collect();
        json!({
            "schemas": [schema::LIST_RESPONSE],
            "totalResults": total,
            "startIndex": self.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        })
    }
}

async fn not_implemented() -> ScimError {
    ScimError::new(
        501,
        None,
        "Not supported by this service (see /ServiceProviderConfig)",
    )
}

type Ctx = axum::Extension<Arc<ScimContext>>;

async fn service_provider_config(ctx: Ctx) -> Response {
    scim_json(StatusCode::OK, &schema::service_provider_config(&ctx.base))
}

fn list_of(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [schema::LIST_RESPONSE],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

async fn resource_types(ctx: Ctx) -> Response {
    scim_json(StatusCode::OK, &list_of(schema::resource_types(&ctx.base)))
}

async fn resource_type(ctx: Ctx, Path(id): Path<String>) -> ScimResult<Response> {
    schema::resource_types(&ctx.base)
        .into_iter()
        .find(|r| {
            r["id"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(&id))
        })
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::not_found(format!("No resource type {id}")))
}

async fn schemas(ctx: Ctx) -> Response {
    let all = schema::all().iter().map(|s| s.to_json(&ctx.base)).collect();
    scim_json(StatusCode::OK, &list_of(all))
}

async fn schema_by_id(ctx: Ctx, Path(id): Path<String>) -> ScimResult<Response> {
    schema::all()
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .map(|s| scim_json(StatusCode::OK, &s.to_json(&ctx.base)))
        .ok_or_else(|| ScimError::not_found(format!("No schema {id}")))
}

/// Unix milliseconds as the RFC 3339 `meta` times.
pub fn time(ms: i64) -> String {
    latchkey_domain::time::millis_to_rfc3339(ms)
}
