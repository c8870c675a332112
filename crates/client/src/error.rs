//! What a call can fail with, typed: the API's refusal as its envelope says it, the token
//! endpoint's OAuth error, or the reasons no such answer came.

use std::fmt;

/// Every failure of the client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with an envelope that is not a success.
    #[error("{0}")]
    Api(ApiError),
    /// `/connect/token` refused the credentials or the request.
    #[error("{0}")]
    OAuth(OAuthError),
    /// An answer that is neither the envelope nor an OAuth error, such as a proxy's error page.
    #[error("HTTP {http} from {url}: {body}")]
    Http {
        http: u16,
        url: String,
        body: String,
    },
    /// The server could not be reached, or the connection failed.
    #[error("cannot reach {url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A successful answer whose body did not have the expected shape.
    #[error("unexpected answer from {url}: {source}")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// The client is not set up to make the call (a base URL that does not parse, a body that
    /// cannot be encoded).
    #[error("{0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The envelope's refusal, when that is what came back.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The token endpoint's refusal, when that is what came back.
    pub fn oauth(&self) -> Option<&OAuthError> {
        match self {
            Error::OAuth(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.http),
            Error::OAuth(e) => Some(e.http),
            Error::Http { http, .. } => Some(*http),
            _ => None,
        }
    }
}

/// A failed envelope: `{data, status, message, validationMessages, isSuccess: false}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status it came with.
    pub http: u16,
    /// The envelope's `status`, e.g. `INPUT_ERROR`. Kept as sent, so that a status this
    /// client does not know (the platform's `FAILED`) still reads.
    pub status: String,
    pub message: Option<String>,
    /// One message per offending field; empty when the envelope had none.
    pub validation_messages: Vec<String>,
}

impl ApiError {
    /// Whether the status is `status`, e.g. `ResultStatus::NotFound`.
    pub fn is(&self, status: latchkey_proto::ResultStatus) -> bool {
        self.status == status.as_str()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.status, self.http)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        for m in &self.validation_messages {
            write!(f, "\n  - {m}")?;
        }
        Ok(())
    }
}

/// The RFC 6749 §5.2 body of a refused token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub http: u16,
    /// The `error` code, e.g. `invalid_client`. Kept as sent, for codes beyond RFC 6749's.
    pub error: String,
    pub description: Option<String>,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        write!(f, " (HTTP {})", self.http)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_error_reads_with_its_validation_messages() {
        let e = Error::Api(ApiError {
            http: 400,
            status: "INPUT_ERROR".into(),
            message: Some("Invalid request".into()),
            validation_messages: vec!["Name is required".into(), "Role should be selected".into()],
        });
        assert_eq!(
            e.to_string(),
            "INPUT_ERROR (HTTP 400): Invalid request\n  - Name is required\n  - Role should be selected"
        );
        assert_eq!(e.http_status(), Some(400));
        assert!(
            e.api()
                .is_some_and(|a| a.is(latchkey_proto::ResultStatus::InputError))
        );
    }

    #[test]
    fn an_oauth_error_reads_with_its_code_first() {
        let e = Error::OAuth(OAuthError {
            http: 400,
            error: "invalid_client".into(),
            description: Some("Client authentication failed".into()),
        });
        assert_eq!(
            e.to_string(),
            "invalid_client: Client authentication failed (HTTP 400)"
        );
        assert!(e.api().is_none());
    }
}
