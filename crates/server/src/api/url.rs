//! The URL of every `/api` request, checked once before routing reaches a handler: its path
//! and query, percent-decoded, must be UTF-8 text without U+0000.
//!
//! Handlers read path parameters (`/api/companies/{resourceId}`) and `?companyId=` as text;
//! a NUL there reached the database (PostgreSQL cannot store it), and invalid UTF-8 in a path
//! got axum's plain-text 400 instead of the envelope. Here both are `INPUT_ERROR` naming the
//! part of the URL.

use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use crate::error::ApiError;

/// Middleware: refuses a request whose URL [`check`] refuses.
pub async fn refuse_bad_urls(request: Request, next: Next) -> Response {
    match check(request.uri()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// Every problem of `uri`'s path and query parameters, as one `INPUT_ERROR`.
pub fn check(uri: &Uri) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    if let Some(why) = problem(uri.path()) {
        problems.push(format!("The URL path {why}"));
    }
    for pair in uri.query().unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if let Some(why) = problem(key) {
            problems.push(format!("A query parameter name {why}"));
        } else if let Some(why) = problem(value) {
            // The name decodes (checked just above); it is decoded again only for the message.
            let name = percent_decode_str(&key.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            problems.push(format!("Query parameter '{name}' {why}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::input(problems))
    }
}

/// What is wrong with a percent-encoded URL part, if anything. This runs on every API request:
/// text without escapes is checked without copying (`decode_utf8` borrows it), and `+` (a space
/// in a query) can change neither the UTF-8 validity nor a NUL, so it is not replaced here.
fn problem(raw: &str) -> Option<&'static str> {
    match percent_decode_str(raw).decode_utf8() {
        Err(_) => Some("must be UTF-8 text"),
        Ok(text) if text.contains('\0') => Some("must not contain the NUL character (U+0000)"),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(uri: &str) -> Vec<String> {
        let uri: Uri = uri.parse().expect("uri");
        match check(&uri) {
            Ok(()) => Vec::new(),
            Err(e) => e.validation_messages.unwrap_or_default(),
        }
    }

    #[test]
    fn text_passes() {
        assert!(problems("/api/companies/abc?companyId=x%20y&q=%C3%A9+z&flag").is_empty());
    }

    #[test]
    fn nul_and_invalid_utf8_are_named() {
        assert_eq!(
            problems("/api/companies/a%00b"),
            ["The URL path must not contain the NUL character (U+0000)"]
        );
        assert_eq!(
            problems("/api/companies/%FF%FE"),
            ["The URL path must be UTF-8 text"]
        );
        assert_eq!(
            problems("/api/companies/my?companyId=%00&x=%E2%82&%FF=1"),
            [
                "Query parameter 'companyId' must not contain the NUL character (U+0000)",
                "Query parameter 'x' must be UTF-8 text",
                "A query parameter name must be UTF-8 text",
            ]
        );
    }
}
