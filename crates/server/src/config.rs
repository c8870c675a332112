//! Configuration: defaults → TOML file → `LATCHKEY_*` environment → command-line flags, each
//! layer overriding the one before. Secrets may come from files: `LATCHKEY_DATABASE_URL_FILE`,
//! `LATCHKEY_MASTER_KEY_FILE`, `LATCHKEY_SMTP_URL_FILE`. Unknown `LATCHKEY_*` variables are
//! reported, because a typo in a variable name otherwise fails silently.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::crypto::keys::Algorithm;
use crate::crypto::ring::TokenTimes;

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where the SQLite database, the master key and the first-start credentials live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `<data_dir>/latchkey.db`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// The `iss` of issued tokens and the base of discovery URLs; empty means
    /// `http://<listen address>`.
    pub issuer: String,
    /// The `aud` of issued tokens.
    pub audience: String,
    pub token_lifetime_seconds: u64,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, and the grace a retired signing key gets
    /// beyond its tokens' lifetime: it is trusted until `retired_at + token_lifetime_seconds +
    /// token_leeway_seconds`. Keep it above the time a rotation takes to reach every replica.
    pub token_leeway_seconds: u64,
    pub signing_algorithm: Algorithm,
    /// Token requests per second allowed to one client (0 = unlimited), and the burst.
    pub rate_limit_token_per_second: u32,
    pub rate_limit_token_burst: u32,
    /// Failed token requests per second allowed from one address before it is slowed down.
    pub rate_limit_token_failures_per_second: u32,
    /// API requests per second allowed to one client (0 = unlimited), and the burst.
    pub rate_limit_api_per_second: u32,
    pub rate_limit_api_burst: u32,
    /// Peers whose `X-Forwarded-For` is believed (load balancers, reverse proxies).
    pub trusted_proxies: Vec<IpNet>,
    /// How often to look for changes made by other processes or replicas (milliseconds).
    pub change_poll_ms: u64,
    /// Hex-encoded 32-byte key that digests client secrets and seals signing keys; empty means
    /// `<data_dir>/master.key`, created on first start. Replicas must share it.
    pub master_key: String,
    /// `json` (default) or `pretty`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `latchkey_server=debug`.
    pub log: String,
    /// The mail server for system users' set-password and information emails:
    /// `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host` (TLS). Empty: no mail is sent, and operators hand out links
    /// with `latchkey admin user password-link`.
    pub smtp_url: String,
    /// The `From` of those emails.
    pub smtp_from: String,
    /// The base URL of links in emails (`{public_url}/console/password?token=…`); empty means
    /// the issuer.
    pub public_url: String,
    /// The email of the first platform administrator, created on the first start.
    pub bootstrap_admin_email: String,
    /// Sign-in and password-link attempts per second allowed from one address (0 = unlimited),
    /// and the burst. Every attempt costs an Argon2 hash.
    pub rate_limit_sign_in_per_second: u32,
    pub rate_limit_sign_in_burst: u32,
    /// Seconds within which a request head (request line and headers) must arrive in full,
    /// counted from the accept for a connection's first request and from the first byte of
    /// every later one. Real clients send a head in one write; 10 s leaves room for a lossy
    /// mobile link while bounding how long a client that never finishes its head holds a
    /// connection and its file descriptor.
    pub http_header_read_timeout_seconds: u64,
    /// Seconds within which a request body must arrive in full, counted from its head. The
    /// largest body the API takes is 2 MiB, so 30 s asks for about 70 KB/s; a body that stalls
    /// or trickles in more slowly is cut off, answered `408` and its connection closed.
    pub http_body_read_timeout_seconds: u64,
    /// Seconds a keep-alive connection may wait for its next request (an HTTP/2 connection:
    /// with no stream open). Longer than the 60 s idle timeout of common load balancers, so
    /// that the balancer closes an idle pooled connection first and never sends a request on
    /// one that Latchkey is closing at the same moment.
    pub http_keep_alive_idle_seconds: u64,
    /// The most connections served at once; further ones are closed right after accept.
    /// Lowered at start to what the descriptor limit allows after a reserve for the database
    /// pool and files, so that connections can never exhaust the descriptors the server needs.
    pub http_max_connections: u32,
    /// The most connections at once from one TCP peer address (0 = no cap). Peers in
    /// `trusted_proxies` are exempt: behind a proxy every connection comes from its address,
    /// and the proxy, not each client, is what connects. 256 is far above what a browser or an
    /// integration opens, and below what lets one host fill `http_max_connections` alone.
    pub http_max_connections_per_address: u32,
    /// Seconds a server's claim on a running job lasts unless renewed (it renews every third of
    /// it). A job whose server died is taken back this long after its last renewal.
    pub job_lease_seconds: u64,
    /// Jobs one server runs at once.
    pub job_workers: u32,
    /// The largest spreadsheet `…/upload` takes, in MiB (413 beyond).
    pub import_max_file_mib: u64,
    /// Seconds an uploaded file (`transactionId`) is kept; after that it answers 404 and is
    /// purged.
    pub import_transaction_seconds: u64,
    /// Seconds a server's claim on a SIEM destination lasts unless renewed (it renews every
    /// fifth of it). Another replica takes over a destination this long after its server died.
    pub siem_lease_seconds: u64,
    /// The longest wait between two attempts to reach a failing SIEM destination; waits
    /// double from one second up to it, and attempts never stop.
    pub siem_retry_max_seconds: u64,
    /// How often an idle destination looks for new records (milliseconds): the bound on the
    /// time from a commit to its forwarding when nothing else wakes it.
    pub siem_poll_ms: u64,
    /// Records sent to a destination per batch (one write or one HEC request).
    pub siem_batch_size: u32,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &latchkey_store::redact_url(&self.database_url),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_lifetime_seconds", &self.token_lifetime_seconds)
            .field("token_leeway_seconds", &self.token_leeway_seconds)
            .field("signing_algorithm", &self.signing_algorithm)
            .field(
                "master_key",
                &if self.master_key.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("smtp_url", &latchkey_store::redact_url(&self.smtp_url))
            .field("smtp_from", &self.smtp_from)
            .field("public_url", &self.public_url)
            .field("bootstrap_admin_email", &self.bootstrap_admin_email)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./latchkey-data"),
            database_url: String::new(),
            database_max_connections: 16,
            issuer: String::new(),
            audience: "api1".into(),
            token_lifetime_seconds: 3600,
            token_leeway_seconds: 30,
            signing_algorithm: Algorithm::ES256,
            rate_limit_token_per_second: 10,
            rate_limit_token_burst: 50,
            rate_limit_token_failures_per_second: 20,
            rate_limit_api_per_second: 100,
            rate_limit_api_burst: 200,
            trusted_proxies: Vec::new(),
            change_poll_ms: 1000,
            master_key: String::new(),
            log_format: "json".into(),
            log: "info".into(),
            smtp_url: String::new(),
            smtp_from: "Latchkey <latchkey@localhost>".into(),
            public_url: String::new(),
            bootstrap_admin_email: "admin@localhost".into(),
            rate_limit_sign_in_per_second: 1,
            rate_limit_sign_in_burst: 10,
            http_header_read_timeout_seconds: 10,
            http_body_read_timeout_seconds: 30,
            http_keep_alive_idle_seconds: 75,
            http_max_connections: 10_000,
            http_max_connections_per_address: 256,
            job_lease_seconds: 30,
            job_workers: 2,
            import_max_file_mib: 32,
            import_transaction_seconds: 24 * 3600,
            siem_lease_seconds: 15,
            siem_retry_max_seconds: 60,
            siem_poll_ms: 100,
            siem_batch_size: 500,
        }
    }
}

/// The names of the settings, as the file and `LATCHKEY_<KEY>` spell them (lower case).
fn known_keys() -> Vec<String> {
    serde_json::to_value(Config::default())
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default()
}

/// Keys that may be given as `LATCHKEY_<KEY>_FILE`, holding the value in a file.
const FILE_KEYS: &[&str] = &["database_url", "master_key", "smtp_url"];

impl Config {
    /// Loads the layers. `overrides` are the flags given on the command line (already
    /// filtered to those actually set).
    pub fn load(
        file: Option<&Path>,
        overrides: Vec<(&'static str, String)>,
    ) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            anyhow::ensure!(
                file.exists(),
                "config file {} does not exist",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        // Only variables that name a setting: the others are reported by `unknown_env_keys`
        // and ignored, so that a variable of another tool (`LATCHKEY_BIN` in a script) does
        // not stop the server.
        let known = known_keys();
        figment = figment.merge(
            Env::prefixed("LATCHKEY_")
                .ignore(&["CONFIG"])
                .filter(move |k| {
                    known
                        .iter()
                        .any(|known| k.as_str().eq_ignore_ascii_case(known))
                }),
        );
        for key in FILE_KEYS {
            let var = format!("LATCHKEY_{}_FILE", key.to_ascii_uppercase());
            if let Ok(path) = std::env::var(&var) {
                let value = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {var}={path}: {e}"))?;
                figment = figment.merge(Serialized::default(key, value.trim().to_owned()));
            }
        }
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        let mut config: Config = figment.extract()?;
        config.finish()?;
        Ok(config)
    }

    /// `LATCHKEY_*` variables that name no setting.
    pub fn unknown_env_keys() -> Vec<String> {
        let known = known_keys();
        std::env::vars()
            .filter_map(|(k, _)| k.strip_prefix("LATCHKEY_").map(str::to_ascii_lowercase))
            .filter(|k| k != "config" && !k.starts_with("test_"))
            .filter(|k| {
                let base = k
                    .strip_suffix("_file")
                    .filter(|b| FILE_KEYS.contains(b))
                    .unwrap_or(k);
                !known.iter().any(|known| known == base)
            })
            .map(|k| format!("LATCHKEY_{}", k.to_ascii_uppercase()))
            .collect()
    }

    /// Fills derived defaults and checks ranges.
    fn finish(&mut self) -> anyhow::Result<()> {
        if self.database_url.is_empty() {
            self.database_url = format!("sqlite://{}", self.data_dir.join("latchkey.db").display());
        }
        anyhow::ensure!(
            (60..=86_400).contains(&self.token_lifetime_seconds),
            "token_lifetime_seconds must be between 60 and 86400"
        );
        anyhow::ensure!(
            self.token_leeway_seconds <= 300,
            "token_leeway_seconds must be at most 300"
        );
        anyhow::ensure!(!self.audience.is_empty(), "audience must not be empty");
        anyhow::ensure!(
            self.database_max_connections > 0,
            "database_max_connections must be at least 1"
        );
        anyhow::ensure!(
            self.change_poll_ms >= 50,
            "change_poll_ms must be at least 50"
        );
        for (name, seconds) in [
            (
                "http_header_read_timeout_seconds",
                self.http_header_read_timeout_seconds,
            ),
            (
                "http_body_read_timeout_seconds",
                self.http_body_read_timeout_seconds,
            ),
            (
                "http_keep_alive_idle_seconds",
                self.http_keep_alive_idle_seconds,
            ),
        ] {
            anyhow::ensure!(
                (1..=3600).contains(&seconds),
                "{name} must be between 1 and 3600"
            );
        }
        anyhow::ensure!(
            self.http_max_connections > 0,
            "http_max_connections must be at least 1"
        );
        anyhow::ensure!(
            (2..=3600).contains(&self.job_lease_seconds),
            "job_lease_seconds must be between 2 and 3600"
        );
        anyhow::ensure!(
            (1..=64).contains(&self.job_workers),
            "job_workers must be between 1 and 64"
        );
        anyhow::ensure!(
            (1..=1024).contains(&self.import_max_file_mib),
            "import_max_file_mib must be between 1 and 1024"
        );
        anyhow::ensure!(
            self.import_transaction_seconds >= 1,
            "import_transaction_seconds must be at least 1"
        );
        self.issuer = self.issuer.trim_end_matches('/').to_owned();
        self.public_url = self.public_url.trim().trim_end_matches('/').to_owned();
        latchkey_domain::user::Email::parse(&self.bootstrap_admin_email)
            .map_err(|e| anyhow::anyhow!("bootstrap_admin_email: {e}"))?;
        Ok(())
    }

    /// The token lifetime and leeway, as the key ring enforces them.
    pub fn token_times(&self) -> TokenTimes {
        TokenTimes {
            lifetime_seconds: self.token_lifetime_seconds,
            leeway_seconds: self.token_leeway_seconds,
        }
    }

    /// The base of links in emails for a server whose issuer is `issuer`.
    pub fn public_url_for(&self, issuer: &str) -> String {
        if self.public_url.is_empty() {
            issuer.to_owned()
        } else {
            self.public_url.clone()
        }
    }

    /// The base of links for tools that do not bind a listener (`latchkey admin`): the public
    /// URL, else the issuer, else the listen address.
    pub fn public_base(&self) -> String {
        self.public_url_for(&self.issuer_for(self.listen))
    }

    /// The issuer for a server bound to `bound` (known only after binding, for port 0).
    pub fn issuer_for(&self, bound: SocketAddr) -> String {
        if self.issuer.is_empty() {
            format!("http://{bound}")
        } else {
            self.issuer.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_then_overrides() {
        let dir = tempfile_dir();
        let file = dir.path().join("latchkey.toml");
        std::fs::write(
            &file,
            "token_lifetime_seconds = 600\nsigning_algorithm = \"EdDSA\"\n",
        )
        .expect("write");
        let config =
            Config::load(Some(&file), vec![("listen", "127.0.0.1:9999".into())]).expect("load");
        assert_eq!(config.token_lifetime_seconds, 600);
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.signing_algorithm, Algorithm::EdDSA);
        assert!(config.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile_dir();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "token_lifetime = 600\n").expect("write");
        assert!(Config::load(Some(&file), vec![]).is_err());
    }

    #[test]
    fn the_token_leeway_defaults_to_30_seconds_and_is_bounded() {
        let dir = tempfile_dir();
        let file = dir.path().join("latchkey.toml");
        std::fs::write(&file, "").expect("write");
        let config = Config::load(Some(&file), vec![]).expect("load");
        assert_eq!(config.token_leeway_seconds, 30);
        assert_eq!(config.token_times().leeway_seconds, 30);
        std::fs::write(&file, "token_leeway_seconds = 5\n").expect("write");
        let config = Config::load(Some(&file), vec![]).expect("load");
        assert_eq!(config.token_leeway_seconds, 5);
        std::fs::write(&file, "token_leeway_seconds = 301\n").expect("write");
        let error = Config::load(Some(&file), vec![]).expect_err("too large");
        assert!(
            error.to_string().contains("token_leeway_seconds"),
            "{error}"
        );
    }

    fn tempfile_dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary directory")
    }
}
