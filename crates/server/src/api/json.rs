//! JSON request bodies, with the contract's leniencies and none of its pitfalls.
//!
//! - Any JSON media type is JSON: `application/json`, `text/json`, and every
//!   `application/*+json`, including the `application/json-patch+json` that the platform's own
//!   playground sends and then rejects.
//! - Property names bind whether written camelCase or PascalCase, as ASP.NET binds them.
//! - A body that is not JSON, or a field of the wrong type, is `INPUT_ERROR` with a message
//!   naming the field, never a 500 and never a plain-text 4xx.
//! - What no field may hold is refused here, for every body at once, before any handler sees
//!   it ([`refuse_what_no_field_may_hold`]): a string or property name with U+0000 (PostgreSQL
//!   cannot store it and answered 500; SQLite stored it, and its `LIKE` matched every row for
//!   a pattern cut short at it), and a list longer than
//!   [`MAX_LIST_LENGTH`](latchkey_proto::limits::MAX_LIST_LENGTH) (a statement with one bind
//!   value per entry exceeded both stores' limits).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use latchkey_proto::limits::MAX_LIST_LENGTH;
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
    let value = camel_case_keys(value);
    refuse_what_no_field_may_hold(&value)?;
    from_value(value)
}

/// At most this many problems are listed; a body with more has the same mistake throughout.
const MAX_REPORTED: usize = 10;

/// Refuses a body with a string or property name containing U+0000, or a list of more than
/// [`MAX_LIST_LENGTH`] entries, anywhere in it, naming where (`filter.filterGroups[0].value`,
/// as deserialization errors name fields).
pub fn refuse_what_no_field_may_hold(value: &Value) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    walk(value, &mut String::new(), &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::input(problems))
    }
}

fn walk(value: &Value, path: &mut String, problems: &mut Vec<String>) {
    if problems.len() >= MAX_REPORTED {
        return;
    }
    let here = |path: &str| {
        if path.is_empty() {
            "The request body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => problems.push(format!(
            "{}: must not contain the NUL character (U+0000)",
            here(path)
        )),
        Value::Array(items) => {
            if items.len() > MAX_LIST_LENGTH {
                problems.push(format!(
                    "{}: a list may have at most {MAX_LIST_LENGTH} entries (this one has {})",
                    here(path),
                    items.len()
                ));
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, problems);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                if key.contains('\0') {
                    path.push_str(&key.replace('\0', "\\u0000"));
                    problems.push(format!(
                        "{path}: a property name must not contain the NUL character (U+0000)"
                    ));
                } else {
                    path.push_str(key);
                    walk(item, path, problems);
                }
                path.truncate(len);
                if problems.len() >= MAX_REPORTED {
                    return;
                }
            }
        }
        _ => {}
    }
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
    fn nul_characters_are_refused_where_they_are() {
        let err = parse::<serde_json::Value>(
            br#"{"Filter": {"filterGroups": [{"filterItems": [{"value": "a\u0000b"}]}]}, "x\u0000": 1}"#,
        )
        .expect_err("NUL");
        let messages = err.validation_messages.expect("messages");
        assert_eq!(
            messages,
            [
                "filter.filterGroups[0].filterItems[0].value: must not contain the NUL character (U+0000)",
                "x\\u0000: a property name must not contain the NUL character (U+0000)",
            ]
        );
        let err = parse::<serde_json::Value>(br#""\u0000""#).expect_err("NUL");
        assert_eq!(
            err.validation_messages.expect("messages"),
            ["The request body: must not contain the NUL character (U+0000)"]
        );
        // Other control characters are text like any other.
        assert!(parse::<serde_json::Value>(br#"{"name": "a\u0001\t"}"#).is_ok());
    }

    #[test]
    fn lists_are_bounded() {
        let at = serde_json::to_vec(&serde_json::json!({"items": vec![1; MAX_LIST_LENGTH]}))
            .expect("json");
        assert!(parse::<serde_json::Value>(&at).is_ok());
        let over = serde_json::to_vec(&serde_json::json!({"Items": vec![1; MAX_LIST_LENGTH + 1]}))
            .expect("json");
        let err = parse::<serde_json::Value>(&over).expect_err("too long");
        assert_eq!(
            err.validation_messages.expect("messages"),
            [format!(
                "items: a list may have at most {MAX_LIST_LENGTH} entries (this one has {})",
                MAX_LIST_LENGTH + 1
            )]
        );
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
