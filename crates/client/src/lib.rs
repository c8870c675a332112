//! A typed client of the Latchkey API: the one the `latchkey api` commands and the integration
//! tests both use, so that what the tests prove is what operators run.
//!
//! - [`Client`] holds the base URL, the credentials and the current token. [`Client::call`]
//!   sends any operation and decodes the envelope into its `data`; [`Client::call_any`] also
//!   takes answers that are not the envelope (files, the import preview). The typed methods
//!   of `ops.rs` (companies, clients, the target-user import, jobs, system info) sit on top.
//! - [`token`]: the client-credentials grant (`client_secret_post` or `client_secret_basic`)
//!   and the token kept until shortly before it expires. A token the API refuses (401) is
//!   replaced once and the request sent again: a rotated signing key or a server restart
//!   with new keys does not fail a command.
//! - [`Error`]: the envelope's `status`, `message` and `validationMessages`
//!   ([`ApiError`]), or the token endpoint's OAuth error ([`OAuthError`]).
//! - [`Form`]: a multipart body that can be sent again.

mod error;
mod form;
mod ops;
pub mod token;

use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::{ApiError, Error, OAuthError, Result};
pub use form::Form;
pub use ops::{ExportFormat, lookup_types};
pub use reqwest::Method;
pub use token::{AuthMethod, Credentials, Token};

/// The header that names the company a request acts on.
pub const COMPANY_HEADER: &str = "X-KEEPNET-Company-Id";

/// A connection to one Latchkey server, as one API client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    token: Mutex<Option<Token>>,
}

#[derive(Debug)]
enum Auth {
    /// Tokens are requested, and replaced, with these.
    Credentials(Credentials),
    /// One token given from outside, used as it is.
    Bearer,
}

/// The body of a request.
#[derive(Debug, Clone, Default)]
pub enum Body {
    #[default]
    Empty,
    Json(Value),
    Form(Form),
}

impl Body {
    /// A JSON body from any serializable value.
    pub fn json(value: &impl Serialize) -> Result<Self> {
        serde_json::to_value(value)
            .map(Body::Json)
            .map_err(|e| Error::Config(format!("the request body cannot be encoded: {e}")))
    }
}

impl From<Value> for Body {
    fn from(value: Value) -> Self {
        Body::Json(value)
    }
}

impl From<()> for Body {
    fn from((): ()) -> Self {
        Body::Empty
    }
}

impl From<Form> for Body {
    fn from(form: Form) -> Self {
        Body::Form(form)
    }
}

/// A successful answer of any kind.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The envelope's `data`.
    Data(Value),
    /// JSON that is not the envelope (the import preview is sent unwrapped).
    Json(Value),
    /// Anything else: an export's file.
    File(Download),
}

/// A file the API sent (an export, a template).
#[derive(Debug, Clone)]
pub struct Download {
    pub content_type: Option<String>,
    /// From `Content-Disposition`, when the server named the file.
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Sets up a [`Client`]: the server, and either credentials or a token.
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    auth: Option<Auth>,
    token: Option<Token>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Tokens are requested, and replaced when they expire or are refused, with these.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.auth = Some(Auth::Credentials(credentials));
        self
    }

    /// Sends this token as it is, and never replaces it.
    pub fn token(mut self, access_token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Bearer);
        self.token = Some(Token {
            access_token: access_token.into(),
            expires_at: u64::MAX,
            lifetime: u64::MAX,
            permissions: Vec::new(),
        });
        self
    }

    /// Sends every request through `http` (tests share one connection pool).
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    pub fn build(self) -> Result<Client> {
        let base = self.base_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|e| {
            Error::Config(format!(
                "the server URL {:?} is not valid: {e}",
                self.base_url
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "the server URL {:?} must start with http:// or https://",
                self.base_url
            )));
        }
        let Some(auth) = self.auth else {
            return Err(Error::Config(
                "the client needs credentials or a token".into(),
            ));
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(concat!("latchkey-client/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Config(format!("the HTTP client cannot start: {e}")))?,
        };
        Ok(Client {
            http,
            base,
            auth,
            token: Mutex::new(self.token),
        })
    }
}

impl Client {
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            auth: None,
            token: None,
            http: None,
        }
    }

    /// A client that gets its own tokens with `credentials`.
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self> {
        Self::builder(base_url).credentials(credentials).build()
    }

    /// A client that sends a token it was given.
    pub fn with_token(base_url: &str, access_token: impl Into<String>) -> Result<Self> {
        Self::builder(base_url).token(access_token).build()
    }

    /// The server's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `{base}/connect/token`.
    pub fn token_url(&self) -> String {
        format!("{}/connect/token", self.base)
    }

    /// The client id, when the client has credentials.
    pub fn client_id(&self) -> Option<&str> {
        match &self.auth {
            Auth::Credentials(c) => Some(&c.client_id),
            Auth::Bearer => None,
        }
    }

    /// The token held now, fresh or not (to save it for the next process).
    pub fn cached_token(&self) -> Option<Token> {
        self.lock().clone()
    }

    /// Starts from a token saved earlier; it is used while it is fresh.
    pub fn set_token(&self, token: Token) {
        *self.lock() = Some(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Token>> {
        // A panic elsewhere while the lock was held cannot leave the token half-written: it
        // is replaced whole.
        self.token.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh token: the one held, or a new one from `/connect/token`.
    pub async fn token(&self) -> Result<Token> {
        Ok(self.bearer().await?.0)
    }

    /// Requests a new token, whatever is held.
    pub async fn fetch_token(&self) -> Result<Token> {
        let Auth::Credentials(credentials) = &self.auth else {
            return Err(Error::Config(
                "this client was given a token and has no credentials to get another".into(),
            ));
        };
        let token = token::request(&self.http, &self.token_url(), credentials).await?;
        *self.lock() = Some(token.clone());
        Ok(token)
    }

    /// The token to send, and whether it was just issued.
    async fn bearer(&self) -> Result<(Token, bool)> {
        let held = self.lock().clone();
        match (held, &self.auth) {
            (Some(t), Auth::Bearer) => Ok((t, false)),
            (Some(t), _) if t.is_fresh(token::now()) => Ok((t, false)),
            _ => Ok((self.fetch_token().await?, true)),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.base)
        } else {
            format!("{}/{path}", self.base)
        }
    }

    /// Sends a request with a token and the company header, and returns the raw answer. A
    /// held token that is refused (401) is replaced once and the request sent again.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        company: Option<&str>,
        body: &Body,
    ) -> Result<reqwest::Response> {
        let (token, just_issued) = self.bearer().await?;
        let response = self.send_with(&method, path, company, body, &token).await?;
        let can_renew = matches!(self.auth, Auth::Credentials(_)) && !just_issued;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED && can_renew {
            let token = self.fetch_token().await?;
            return self.send_with(&method, path, company, body, &token).await;
        }
        Ok(response)
    }

    async fn send_with(
        &self,
        method: &Method,
        path: &str,
        company: Option<&str>,
        body: &Body,
        token: &Token,
    ) -> Result<reqwest::Response> {
        let url = self.url(path);
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&token.access_token);
        if let Some(c) = company {
            request = request.header(COMPANY_HEADER, c);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(v) => request.json(v),
            Body::Form(f) => request.multipart(f.to_multipart()),
        };
        request
            .send()
            .await
            .map_err(|source| Error::Transport { url, source })
    }

    /// Sends an operation and returns the envelope's `data` as `T` (`serde_json::Value` for
    /// any shape, `()` to ignore it).
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        company: Option<&str>,
        body: impl Into<Body>,
    ) -> Result<T> {
        let response = self.send(method, path, company, &body.into()).await?;
        envelope(response).await
    }

    /// Sends an operation and returns whatever it answered with success.
    pub async fn call_any(
        &self,
        method: Method,
        path: &str,
        company: Option<&str>,
        body: impl Into<Body>,
    ) -> Result<Answer> {
        let response = self.send(method, path, company, &body.into()).await?;
        answer(response).await
    }

    /// Sends an operation whose success is a file.
    pub async fn download(
        &self,
        method: Method,
        path: &str,
        company: Option<&str>,
        body: impl Into<Body>,
    ) -> Result<Download> {
        let url = self.url(path);
        match self.call_any(method, path, company, body).await? {
            Answer::File(d) => Ok(d),
            Answer::Data(v) | Answer::Json(v) => Err(Error::Http {
                http: 200,
                url,
                body: format!(
                    "expected a file, got JSON: {}",
                    snippet(v.to_string().as_bytes())
                ),
            }),
        }
    }
}

/// Decodes an envelope into its `data`, or its refusal into [`Error::Api`].
pub async fn envelope<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let url = response.url().to_string();
    match answer(response).await? {
        Answer::Data(data) => {
            serde_json::from_value(data).map_err(|source| Error::Decode { url, source })
        }
        Answer::Json(v) => Err(Error::Http {
            http: 200,
            url,
            body: format!("not the envelope: {}", snippet(v.to_string().as_bytes())),
        }),
        Answer::File(d) => Err(Error::Http {
            http: 200,
            url,
            body: format!(
                "a file ({}), not the envelope",
                d.content_type.as_deref().unwrap_or("no content type")
            ),
        }),
    }
}

/// Reads any answer: a failed envelope becomes [`Error::Api`], a successful one its `data`.
pub async fn answer(response: reqwest::Response) -> Result<Answer> {
    let url = response.url().to_string();
    let http = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let disposition = header(reqwest::header::CONTENT_DISPOSITION);
    let bytes = response
        .bytes()
        .await
        .map_err(|source| Error::Transport {
            url: url.clone(),
            source,
        })?
        .to_vec();
    let is_json = content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json") || c.contains("+json"));
    let json = is_json
        .then(|| serde_json::from_slice::<Value>(&bytes).ok())
        .flatten();
    let ok = (200..300).contains(&http);
    match json {
        // A refusal in the envelope, or in the unwrapped shape of the import preview
        // (`status` and `message` without `data`).
        Some(Value::Object(map)) if !ok && map.get("status").is_some_and(Value::is_string) => {
            Err(Error::Api(api_error(http, &map)))
        }
        Some(Value::Object(map)) if is_envelope(&map) => {
            let success = map
                .get("isSuccess")
                .and_then(Value::as_bool)
                .unwrap_or_else(|| map.get("status").and_then(Value::as_str) == Some("SUCCESS"));
            if success {
                Ok(Answer::Data(
                    map.get("data").cloned().unwrap_or(Value::Null),
                ))
            } else {
                Err(Error::Api(api_error(http, &map)))
            }
        }
        _ if !ok => Err(Error::Http {
            http,
            url,
            body: snippet(&bytes),
        }),
        Some(other) => Ok(Answer::Json(other)),
        None => Ok(Answer::File(Download {
            content_type,
            file_name: disposition.as_deref().and_then(file_name),
            bytes,
        })),
    }
}

fn api_error(http: u16, map: &serde_json::Map<String, Value>) -> ApiError {
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
    ApiError {
        http,
        status: text("status").unwrap_or_else(|| format!("HTTP_{http}")),
        message: text("message"),
        validation_messages: map
            .get("validationMessages")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The envelope has `status` and at least one of `data` and `isSuccess`; the unwrapped
/// import preview has `status` and `items`, and is not one.
fn is_envelope(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("status") && (map.contains_key("data") || map.contains_key("isSuccess"))
}

/// `filename="x.csv"` (or unquoted) from a `Content-Disposition` value.
fn file_name(disposition: &str) -> Option<String> {
    disposition.split(';').find_map(|part| {
        let value = part.trim().strip_prefix("filename=")?;
        Some(value.trim_matches('"').to_owned())
    })
}

/// The start of a body, for an error message.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_comes_from_the_disposition() {
        assert_eq!(
            file_name("attachment; filename=\"companies.csv\"").as_deref(),
            Some("companies.csv")
        );
        assert_eq!(
            file_name("attachment; filename=x.xlsx").as_deref(),
            Some("x.xlsx")
        );
        assert_eq!(file_name("inline"), None);
    }

    #[test]
    fn the_preview_is_not_taken_for_the_envelope() {
        let preview = serde_json::json!({"status": "SUCCESS", "message": null, "items": {}});
        let envelope = serde_json::json!({"status": "SUCCESS", "data": null});
        assert!(!is_envelope(preview.as_object().expect("object")));
        assert!(is_envelope(envelope.as_object().expect("object")));
    }

    #[test]
    fn a_base_url_must_be_http() {
        let e = Client::with_token("ftp://example.com", "t").expect_err("refused");
        assert!(e.to_string().contains("http://"), "{e}");
        let c = Client::with_token("http://127.0.0.1:8080/", "t").expect("valid");
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
        assert_eq!(c.url("api/x"), "http://127.0.0.1:8080/api/x");
    }
}
