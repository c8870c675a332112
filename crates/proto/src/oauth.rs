//! Bodies of `POST /connect/token` (RFC 6749 §5.1 and §5.2).

use serde::{Deserialize, Serialize};

/// The success body. `permissions` is the documented Keepnet extension: the `path|METHOD` keys
/// the token may call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
    pub token_type: String,
    pub scope: String,
    pub permissions: Vec<String>,
}

/// The `error` codes of RFC 6749 §5.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// Not in §5.2, but the conventional code for a token endpoint under rate limiting.
    SlowDown,
    ServerError,
}

/// The error body: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: OAuthErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}
