//! The admin console at `/console`: a page and its scripts and style sheet, compiled into the
//! binary (nothing is fetched from elsewhere), the sign-in session endpoints, and the API for
//! the page's scripts at `/console/api/...`.
//!
//! The console has no data access of its own. Its scripts call `/console/api/...`, which is the
//! route table mounted a second time (by the application, with [`session::SessionCookie`]):
//! the same handlers, validation, permission checks and tenant scoping as `/api/...`, with the
//! caller taken from the session instead of a bearer token.
//!
//! # Structure of the scripts
//!
//! The console is native ES modules without dependencies and without a build step: a shell
//! (`app.js`: session, company switcher, navigation and the route table), a few shared modules
//! (`lib/`: the one API client, the one list component `dataTable` with paging, sorting and
//! empty and error states, form helpers that show the API's `validationMessages` at their
//! fields, dialogs, progress bars) and one module per area (`pages/`), loaded with `import()`
//! when its page is first shown. [`ASSETS`] lists every file; each is compiled in with
//! `include_str!` and served under the same strict Content-Security-Policy (`script-src
//! 'self'` admits same-origin modules, nothing inline).
//!
//! Why modules in the browser rather than server-rendered templates (askama with htmx, as
//! kanidm's admin pages do): the console must stay a client of the API and nothing more, so
//! that what it shows is exactly what an integration gets. Rendering on the server would mean
//! a second presentation path beside every handler, and htmx a vendored script to keep up to
//! date; modules keep every page a plain file a reader finds by its URL, with no toolchain
//! beyond the browser. Why no bundler or framework: the pages are forms and tables, a few
//! hundred lines each, and a compiled bundle could not be read or reviewed in the repository.

pub mod session;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;

use crate::state::AppState;

const INDEX: &str = include_str!("../../assets/console/index.html");

/// `assets!["app.js", …]`: each file of `assets/console/` with its text, compiled in.
macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../assets/console/", $path)))),*]
    };
}

/// Every file the page loads, by its path under `/console/assets/` (a unit test checks that
/// this list and the folder agree).
pub const ASSETS: &[(&str, &str)] = assets![
    "app.css",
    "app.js",
    "lib/api.js",
    "lib/dialog.js",
    "lib/dom.js",
    "lib/form.js",
    "lib/nav.js",
    "lib/people.js",
    "lib/progress.js",
    "lib/table.js",
    "pages/audit-log.js",
    "pages/companies.js",
    "pages/company-groups.js",
    "pages/custom-fields.js",
    "pages/import.js",
    "pages/job-log.js",
    "pages/profile.js",
    "pages/rest-api.js",
    "pages/roles.js",
    "pages/scim.js",
    "pages/session.js",
    "pages/siem.js",
    "pages/system-users.js",
    "pages/target-groups.js",
    "pages/target-users.js",
];

/// A validator for each asset, so that `no-cache` costs a 304 rather than the file. A hash of
/// the content: it changes exactly when the file does.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, body)| {
            let mut hasher = DefaultHasher::new();
            body.hash(&mut hasher);
            HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
                .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
        })
        .collect()
});

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
        .route("/console/assets/{*path}", get(asset))
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

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|(p, _)| *p == path) else {
        return hardened(StatusCode::NOT_FOUND.into_response());
    };
    let body = ASSETS[index].1;
    let etag = &ETAGS[index];
    let content_type = if path.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::ETAG, etag.clone());
    // Assets change with the binary; revalidation is cheap and avoids a stale console after
    // an upgrade.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    hardened(response)
}

#[cfg(test)]
mod tests {
    use super::ASSETS;
    use std::path::Path;

    fn files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("the assets folder") {
            let entry = entry.expect("a folder entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                files(&entry.path(), &format!("{name}/"), out);
            } else if name != "index.html" {
                out.push(name);
            }
        }
    }

    /// A module missing from the list would be a 404 in the browser, and only there.
    #[test]
    fn every_file_of_the_assets_folder_is_served() {
        let mut found = Vec::new();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/console");
        files(&dir, "", &mut found);
        found.sort();
        let listed: Vec<String> = ASSETS.iter().map(|(p, _)| (*p).to_owned()).collect();
        assert_eq!(listed, found, "ASSETS must list the assets folder, sorted");
    }
}
