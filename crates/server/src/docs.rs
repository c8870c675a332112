//! Swagger UI at `/docs`, over `/openapi.json`.
//!
//! The assets are swagger-ui-dist (see `assets/swagger-ui/VERSION`), compiled into the binary:
//! no CDN, nothing fetched at run time. The page's script lives in its own file so the page can
//! carry a strict Content-Security-Policy (`script-src 'self'`). "Authorize" offers the OAuth2
//! client-credentials flow against this server's own `/connect/token`.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;

use crate::state::AppState;

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Latchkey API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/swagger-initializer.js"></script>
</body>
</html>
"#;

/// Tags start collapsed, with a filter box: the API has well over a hundred operations, and
/// Swagger UI (5.35) drawing them all expanded stops after the first few tags once a document
/// passes about 130 operations; collapsed, every tag is listed and opens on a click.
const INITIALIZER: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: true,
    docExpansion: "none",
    filter: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
});
"##;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

async fn page() -> Response {
    let mut response = PAGE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/", get(page))
        .route(
            "/docs/swagger-initializer.js",
            get(|| async { asset(INITIALIZER.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/docs/swagger-ui-bundle.js",
            get(|| async {
                asset(
                    include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
                    "text/javascript; charset=utf-8",
                )
            }),
        )
        .route(
            "/docs/swagger-ui-standalone-preset.js",
            get(|| async {
                asset(
                    include_bytes!("../assets/swagger-ui/swagger-ui-standalone-preset.js"),
                    "text/javascript; charset=utf-8",
                )
            }),
        )
        .route(
            "/docs/swagger-ui.css",
            get(|| async {
                asset(
                    include_bytes!("../assets/swagger-ui/swagger-ui.css"),
                    "text/css; charset=utf-8",
                )
            }),
        )
        .layer(CompressionLayer::new())
}
