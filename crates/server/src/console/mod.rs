//! The admin console at `/console`: a page and its script and style sheet, compiled into the
//! binary (nothing is fetched from elsewhere), the sign-in session endpoints, and the API for
//! the page's script at `/console/api/...`.
//!
//! The console has no data access of its own. Its script calls `/console/api/...`, which is the
//! route table mounted a second time (by the application, with [`session::SessionCookie`]):
//! the same handlers, validation, permission checks and tenant scoping as `/api/...`, with the
//! caller taken from the session instead of a bearer token.

pub mod session;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;

use crate::state::AppState;

const INDEX: &str = include_str!("../../assets/console/index.html");
const SCRIPT: &str = include_str!("../../assets/console/app.js");
const STYLE: &str = include_str!("../../assets/console/app.css");

/// Only the console's own files may run or style the page; nothing may frame it; the password
/// page's one-time token never leaves in a `Referer`.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// The console's pages and session endpoints, with `api` (the route table mounted for the
/// console) under `/console`.
pub fn router(api: Router<AppState>) -> Router<AppState> {
    let pages = Router::new()
        .route("/console", get(page))
        .route("/console/", get(page))
        .route("/console/password", get(page))
        .route(
            "/console/assets/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/assets/app.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/session",
            get(session::current)
                .post(session::create)
                .delete(session::delete),
        )
        .layer(CompressionLayer::new());
    pages.nest("/console", api)
}

fn hardened(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn page() -> Response {
    let mut response = INDEX.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    hardened(response)
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Assets change with the binary; revalidation is cheap and avoids a stale console after
    // an upgrade.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    hardened(response)
}
