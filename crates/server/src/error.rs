//! `/api` errors: every failure becomes the envelope with a status from the one table in
//! `latchkey_proto::envelope`. Internal errors are logged with their cause and reach the caller
//! only as `INTERNAL_SERVER_ERROR` with a generic message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_domain::authz::Denied;
use latchkey_proto::{ResultStatus, ServiceResult};
use latchkey_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: ResultStatus,
    pub message: String,
    pub validation_messages: Option<Vec<String>>,
    www_authenticate: Option<String>,
    retry_after_seconds: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: ResultStatus, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            validation_messages: None,
            www_authenticate: None,
            retry_after_seconds: None,
        }
    }

    /// `INPUT_ERROR` with one message per offending field.
    pub fn input(validation_messages: Vec<String>) -> Self {
        Self {
            validation_messages: Some(validation_messages),
            ..Self::new(
                ResultStatus::InputError,
                ResultStatus::InputError.default_message(),
            )
        }
    }

    /// 401 with the RFC 6750 challenge. It names `invalid_token` even when no token was sent
    /// (RFC 6750 §3.1 only advises against it): clients then handle every 401 the same way,
    /// by fetching a token.
    pub fn unauthorized(description: Option<&str>) -> Self {
        let challenge = match description {
            Some(d) => format!(
                "Bearer realm=\"latchkey\", error=\"invalid_token\", error_description=\"{}\"",
                d.replace('"', "'")
            ),
            None => "Bearer realm=\"latchkey\"".to_owned(),
        };
        Self {
            www_authenticate: Some(challenge),
            ..Self::new(
                ResultStatus::Unauthorized,
                description.unwrap_or(ResultStatus::Unauthorized.default_message()),
            )
        }
    }

    /// 401 for the console: the session is missing or over. No bearer challenge; the console
    /// answers by showing its sign-in page.
    pub fn signed_out(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ResultStatus::NotFound, message)
    }

    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds.max(1)),
            ..Self::new(
                ResultStatus::TooManyRequests,
                ResultStatus::TooManyRequests.default_message(),
            )
        }
    }

    /// Logs the cause and hides it from the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            ResultStatus::InternalServerError,
            ResultStatus::InternalServerError.default_message(),
        )
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        ApiError::forbidden(denied.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(ResultStatus::NotFound.default_message()),
            StoreError::Conflict(what) => {
                ApiError::new(ResultStatus::Conflict, format!("{what} already exists"))
            }
            StoreError::Refused(why) => ApiError::input(vec![why]),
            StoreError::Invalid(messages) => ApiError::input(messages),
            other => ApiError::internal(other),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(format!("{e:#}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body =
            ServiceResult::<()>::failure(self.status, self.message, self.validation_messages);
        let mut response = (code, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self
            .www_authenticate
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = self.retry_after_seconds {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A successful envelope.
pub fn ok<T: serde::Serialize>(data: T) -> Json<ServiceResult<T>> {
    Json(ServiceResult::success(data))
}
