//! JSON request bodies, with the contract's leniencies and none of its pitfalls.
//!
//! - Any JSON media type is JSON: `application/json`, `text/json`, and every
//!   `application/*+json`, including the `application/json-patch+json` that the platform's own
//!   playground sends and then rejects.
//! - Property names bind whether written camelCase or PascalCase, as ASP.NET binds them.
//! - A body that is not JSON, or a field of the wrong type, is `INPUT_ERROR` with a message
//!   naming the field, never a 500 and never a plain-text 4xx.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        if let Some(ct) = &content_type
            && !is_json(ct)
        {
            return Err(ApiError::input(vec![format!(
                "Content-Type must be application/json (got {ct})"
            )]));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            ApiError::input(vec![format!("The request body could not be read: {e}")])
        })?;
        parse(&bytes).map(JsonBody)
    }
}

fn is_json(content_type: &str) -> bool {
    content_type == "application/json"
        || content_type == "text/json"
        || (content_type.starts_with("application/") && content_type.ends_with("+json"))
}

/// Parses a body into `T`, reporting where it went wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::input(vec![
            "A JSON request body is required".into(),
        ]));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::input(vec![format!("The request body is not valid JSON: {e}")]))?;
    from_value(camel_case_keys(value))
}

/// Deserializes an already-normalized value, naming the offending field on failure.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." || path.is_empty() {
            ApiError::input(vec![inner])
        } else {
            ApiError::input(vec![format!("{path}: {inner}")])
        }
    })
}

/// `PageNumber` → `pageNumber`, at every depth of objects and arrays.
pub fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = match chars.next() {
                        Some(first) => first.to_lowercase().chain(chars).collect(),
                        None => k,
                    };
                    (key, camel_case_keys(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        page_number: i32,
        filter: Option<Filter>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Filter {
        search_input_text_value: Option<String>,
    }

    #[test]
    fn pascal_and_camel_case_bind_alike() {
        let a: Page = parse(br#"{"PageNumber": 2, "Filter": {"SearchInputTextValue": "x"}}"#)
            .expect("pascal");
        let b: Page =
            parse(br#"{"pageNumber": 2, "filter": {"searchInputTextValue": "x"}}"#).expect("camel");
        assert_eq!(a.page_number, b.page_number);
        assert_eq!(
            a.filter.and_then(|f| f.search_input_text_value),
            Some("x".into())
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = parse::<Page>(br#"{"pageNumber": "two"}"#).expect_err("wrong type");
        let messages = err.validation_messages.expect("messages");
        assert!(messages[0].starts_with("pageNumber:"), "{messages:?}");
        assert!(parse::<Page>(b"").is_err());
        assert!(parse::<Page>(b"{not json").is_err());
    }

    #[test]
    fn json_media_types() {
        for ct in [
            "application/json",
            "text/json",
            "application/json-patch+json",
            "application/problem+json",
        ] {
            assert!(is_json(ct), "{ct}");
        }
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
