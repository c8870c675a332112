//! Tokens: the client-credentials grant at `/connect/token`, and how long a token is kept.
//!
//! A token is used until shortly before it expires ([`Token::is_fresh`]), then replaced; the
//! margin keeps a request from leaving with a token that expires on the way.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use latchkey_proto::oauth::TokenResponse;
use serde::{Deserialize, Serialize};

use crate::error::{Error, OAuthError, Result};

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// `client_id` and `client_secret` in the form body, as the platform documents it.
    #[default]
    ClientSecretPost,
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
}

/// A REST API client's id and secret. `Debug` does not show the secret.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub method: AuthMethod,
}

impl Credentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            method: AuthMethod::default(),
        }
    }

    pub fn with_method(mut self, method: AuthMethod) -> Self {
        self.method = method;
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("method", &self.method)
            .finish()
    }
}

/// An access token and when it stops working. `Debug` does not show the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub access_token: String,
    /// Unix seconds at which the server stops accepting it.
    pub expires_at: u64,
    /// Its lifetime when issued (`expires_in`), in seconds.
    pub lifetime: u64,
    /// The `path|METHOD` keys it may call.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// How long before expiry a token is replaced: a minute, or a tenth of a short lifetime.
const MARGIN_SECONDS: u64 = 60;

impl Token {
    pub fn from_response(response: TokenResponse, now: u64) -> Self {
        Self {
            access_token: response.access_token,
            expires_at: now.saturating_add(response.expires_in),
            lifetime: response.expires_in,
            permissions: response.permissions,
        }
    }

    /// Whether the token may still be sent at `now` (Unix seconds).
    pub fn is_fresh(&self, now: u64) -> bool {
        let margin = MARGIN_SECONDS.min(self.lifetime / 10);
        now.saturating_add(margin) < self.expires_at
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `POST {token_url}` with the client-credentials grant.
pub(crate) async fn request(
    http: &reqwest::Client,
    token_url: &str,
    credentials: &Credentials,
) -> Result<Token> {
    let mut form = vec![("grant_type", "client_credentials"), ("scope", "api1")];
    let mut request = http.post(token_url);
    match credentials.method {
        AuthMethod::ClientSecretPost => {
            form.push(("client_id", &credentials.client_id));
            form.push(("client_secret", &credentials.client_secret));
        }
        AuthMethod::ClientSecretBasic => {
            request = request.basic_auth(&credentials.client_id, Some(&credentials.client_secret));
        }
    }
    let transport = |source| Error::Transport {
        url: token_url.to_owned(),
        source,
    };
    let response = request.form(&form).send().await.map_err(transport)?;
    let http_status = response.status().as_u16();
    let body = response.bytes().await.map_err(transport)?;
    if (200..300).contains(&http_status) {
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|source| Error::Decode {
                url: token_url.to_owned(),
                source,
            })?;
        return Ok(Token::from_response(parsed, now()));
    }
    #[derive(Deserialize)]
    struct Refusal {
        error: String,
        error_description: Option<String>,
    }
    match serde_json::from_slice::<Refusal>(&body) {
        Ok(r) => Err(Error::OAuth(OAuthError {
            http: http_status,
            error: r.error,
            description: r.error_description,
        })),
        Err(_) => Err(Error::Http {
            http: http_status,
            url: token_url.to_owned(),
            body: crate::snippet(&body),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(lifetime: u64, issued: u64) -> Token {
        Token::from_response(
            TokenResponse {
                access_token: "tok-123".into(),
                expires_in: lifetime,
                token_type: "Bearer".into(),
                scope: "api1".into(),
                permissions: Vec::new(),
            },
            issued,
        )
    }

    #[test]
    fn an_hour_token_is_replaced_a_minute_before_it_expires() {
        let t = token(3600, 1_000);
        assert!(t.is_fresh(1_000));
        assert!(t.is_fresh(1_000 + 3600 - 61));
        assert!(!t.is_fresh(1_000 + 3600 - 60));
        assert!(!t.is_fresh(1_000 + 3600 + 5));
    }

    #[test]
    fn a_short_token_keeps_most_of_its_life() {
        let t = token(20, 1_000);
        assert!(t.is_fresh(1_017));
        assert!(!t.is_fresh(1_018));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = Credentials::new("id", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
        let t = token(10, 0);
        assert!(!format!("{t:?}").contains("tok-123"));
    }
}
