//! Email to system users: set-password links and account information, over SMTP (`lettre`).
//!
//! The transport comes from `smtp_url`; without one nothing is sent, and the API says so in
//! its `message` (an operator can then print a link with `latchkey admin user password-link`).
//! A link carries a one-time token: neither the token nor the link is ever logged, and the
//! messages say only which user and which purpose.

use std::time::Duration;

use latchkey_domain::password::{OneTimeToken, TokenPurpose};
use latchkey_domain::time::millis_to_rfc3339;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

/// The page of the console that takes a link's token and asks for the new password.
pub const PASSWORD_PAGE: &str = "/console/password";

/// `{public_url}/console/password?token=<token>&purpose=create|reset`. Tokens are base62, so
/// nothing needs escaping.
pub fn password_link(public_url: &str, token: &OneTimeToken, purpose: TokenPurpose) -> String {
    format!(
        "{}{PASSWORD_PAGE}?token={}&purpose={}",
        public_url.trim_end_matches('/'),
        token.expose(),
        purpose.as_str()
    )
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The mail server accepted it.
    Sent,
    /// No `smtp_url` is configured: nothing was sent.
    NotConfigured,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the address {0} cannot receive mail")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Send(String),
}

/// Someone to write to.
pub struct Recipient<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
}

pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    public_url: String,
}

impl Mailer {
    /// The mailer of `config`, with links under `public_url`. A malformed `smtp_url` or
    /// `smtp_from` stops the start rather than the first email.
    pub fn new(config: &Config, public_url: String) -> anyhow::Result<Self> {
        let from: Mailbox = config
            .smtp_from
            .parse()
            .map_err(|e| anyhow::anyhow!("smtp_from '{}': {e}", config.smtp_from))?;
        let transport = if config.smtp_url.trim().is_empty() {
            None
        } else {
            let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.smtp_url.trim())
                .map_err(|e| {
                    anyhow::anyhow!(
                        "smtp_url {}: {e}",
                        latchkey_store::redact_url(&config.smtp_url)
                    )
                })?;
            Some(builder.timeout(Some(Duration::from_secs(15))).build())
        };
        Ok(Self {
            transport,
            from,
            public_url,
        })
    }

    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Sends a set-password link: an invitation (`Create`) or a reset (`Reset`).
    pub async fn send_password_link(
        &self,
        to: &Recipient<'_>,
        token: &OneTimeToken,
        purpose: TokenPurpose,
        expires_at: i64,
    ) -> Result<Delivery, MailError> {
        let link = password_link(&self.public_url, token, purpose);
        let expires = millis_to_rfc3339(expires_at);
        let (subject, body) = match purpose {
            TokenPurpose::Create => (
                "Your Latchkey account: set your password",
                format!(
                    "Hello {},\n\nAn account was created for you ({}). Open this link to choose your \
                     password:\n\n{link}\n\nThe link works once and expires at {expires} (UTC).\n",
                    to.first_name, to.email
                ),
            ),
            TokenPurpose::Reset => (
                "Reset your Latchkey password",
                format!(
                    "Hello {},\n\nA password reset was requested for your account ({}). Open this \
                     link to choose a new password:\n\n{link}\n\nThe link works once and expires at \
                     {expires} (UTC). If you did not expect this email, ignore it: your password \
                     stays as it is.\n",
                    to.first_name, to.email
                ),
            ),
        };
        self.send(to, subject, body).await
    }

    /// Tells a user with a password where and as whom to sign in.
    pub async fn send_information(&self, to: &Recipient<'_>) -> Result<Delivery, MailError> {
        let body = format!(
            "Hello {},\n\nYou have a Latchkey account. Sign in at {}/console with your email \
             address, {}.\n\nIf you forgot your password, ask your administrator for a reset link.\n",
            to.first_name, self.public_url, to.email
        );
        self.send(to, "Your Latchkey account", body).await
    }

    async fn send(
        &self,
        to: &Recipient<'_>,
        subject: &str,
        body: String,
    ) -> Result<Delivery, MailError> {
        let Some(transport) = &self.transport else {
            return Ok(Delivery::NotConfigured);
        };
        let address: Address = to
            .email
            .parse()
            .map_err(|_| MailError::Address(to.email.to_owned()))?;
        let name = format!("{} {}", to.first_name, to.last_name);
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(name), address))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        transport
            .send(message)
            .await
            .map_err(|e| MailError::Send(e.to_string()))?;
        Ok(Delivery::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_have_the_console_shape() {
        let token = OneTimeToken::presented("abcDEF123");
        assert_eq!(
            password_link("https://lk.example.com/", &token, TokenPurpose::Create),
            "https://lk.example.com/console/password?token=abcDEF123&purpose=create"
        );
        assert_eq!(
            password_link("http://127.0.0.1:8080", &token, TokenPurpose::Reset),
            "http://127.0.0.1:8080/console/password?token=abcDEF123&purpose=reset"
        );
    }

    #[test]
    fn a_bad_smtp_url_stops_the_start() {
        let config = Config {
            smtp_url: "ftp://mail.example.com".into(),
            ..Config::default()
        };
        assert!(Mailer::new(&config, "http://x".into()).is_err());
        let config = Config {
            smtp_from: "not an address".into(),
            ..Config::default()
        };
        assert!(Mailer::new(&config, "http://x".into()).is_err());
        let mailer = Mailer::new(&Config::default(), "http://x".into()).expect("no smtp");
        assert!(!mailer.is_configured());
    }
}
