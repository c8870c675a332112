//! Where `latchkey api` finds its server and credentials, and where it keeps its token.
//!
//! Settings come from, in rising priority: the profile file, `LATCHKEY_*` variables, and
//! flags (clap reads the last two). The profile is TOML, readable by its owner only:
//!
//! ```toml
//! url = "https://latchkey.example.com"
//! client_id = "…"
//! client_secret = "…"
//! auth_method = "client_secret_basic"   # optional; client_secret_post by default
//! ```
//!
//! `latchkey api configure` writes it (mode 0600, its folder 0700). The token is cached in
//! another file of mode 0600, keyed by the server, the client id and a digest of the secret,
//! so that a changed secret never reuses a token it did not earn.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use latchkey_client::{AuthMethod, Credentials, Token};
use serde::{Deserialize, Serialize};

use super::ConnectionArgs;

/// The profile file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<AuthMethod>,
}

/// The settings in force, and where the profile is.
#[derive(Debug)]
pub struct Settings {
    pub profile_path: Option<PathBuf>,
    pub profile: Profile,
}

impl Settings {
    /// Reads the profile and lays the environment and flags over it. A profile named with
    /// `--profile` must exist unless it is about to be `created`; the default one may not.
    pub fn resolve(args: &ConnectionArgs, created: bool) -> anyhow::Result<Self> {
        let (profile_path, mut profile) = match &args.profile {
            Some(path) if created && !path.exists() => (Some(path.clone()), Profile::default()),
            Some(path) => (Some(path.clone()), read_profile(path)?),
            None => match default_profile_path() {
                Some(path) if path.exists() => (Some(path.clone()), read_profile(&path)?),
                other => (other, Profile::default()),
            },
        };
        if let Some(url) = &args.url {
            profile.url = Some(url.clone());
        }
        if let Some(id) = &args.client_id {
            profile.client_id = Some(id.clone());
        }
        if let Some(secret) = &args.client_secret {
            profile.client_secret = Some(secret.clone());
        }
        if let Some(file) = &args.client_secret_file {
            let secret = std::fs::read_to_string(file)
                .with_context(|| format!("reading the client secret from {}", file.display()))?;
            profile.client_secret = Some(secret.trim().to_owned());
        }
        if let Some(method) = args.auth_method {
            profile.auth_method = Some(method.into());
        }
        Ok(Self {
            profile_path,
            profile,
        })
    }

    /// The server's URL and the credentials, or what is missing.
    pub fn connection(&self) -> anyhow::Result<(String, Credentials)> {
        let p = &self.profile;
        let missing = |what: &str, flag: &str, var: &str| {
            anyhow::anyhow!(
                "no {what}: give {flag}, set {var}, or save it with `latchkey api configure`"
            )
        };
        let url = p
            .url
            .clone()
            .ok_or_else(|| missing("server URL", "--url", "LATCHKEY_URL"))?;
        let id = p
            .client_id
            .clone()
            .ok_or_else(|| missing("client id", "--client-id", "LATCHKEY_CLIENT_ID"))?;
        let secret = p.client_secret.clone().ok_or_else(|| {
            missing(
                "client secret",
                "--client-secret-file",
                "LATCHKEY_CLIENT_SECRET",
            )
        })?;
        let credentials =
            Credentials::new(id, secret).with_method(p.auth_method.unwrap_or_default());
        Ok((url, credentials))
    }

    /// Writes the settings to the profile file, readable by its owner only.
    pub fn save(&self) -> anyhow::Result<PathBuf> {
        let Some(path) = &self.profile_path else {
            bail!("no profile file: give --profile FILE (HOME is not set)");
        };
        let text = toml::to_string(&self.profile).context("encoding the profile")?;
        write_private(path, text.as_bytes())?;
        Ok(path.clone())
    }
}

fn read_profile(path: &Path) -> anyhow::Result<Profile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the profile {}", path.display()))?;
    warn_if_shared(path);
    toml::from_str(&text).with_context(|| format!("the profile {} is not valid", path.display()))
}

/// A profile holds a secret: say so when others may read it, as ssh does for its keys.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: {} is readable by others (mode {mode:o}); run chmod 600 on it",
                    path.display()
                );
            }
        }
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `$XDG_<kind>_HOME/latchkey/<file>`, else `~/<fallback>/latchkey/<file>`.
fn xdg_path(variable: &str, fallback: &str, file: &str) -> Option<PathBuf> {
    let base = std::env::var_os(variable)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(fallback)))?;
    Some(base.join("latchkey").join(file))
}

pub fn default_profile_path() -> Option<PathBuf> {
    xdg_path("XDG_CONFIG_HOME", ".config", "profile.toml")
}

/// Tokens kept between commands, one per server, client and secret.
pub struct TokenCache {
    path: PathBuf,
    key: String,
}

impl TokenCache {
    /// The cache for these credentials at `LATCHKEY_TOKEN_CACHE`, or in the user's cache
    /// folder; none without a home.
    pub fn open(url: &str, credentials: &Credentials) -> Option<Self> {
        let path = std::env::var_os("LATCHKEY_TOKEN_CACHE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| xdg_path("XDG_CACHE_HOME", ".cache", "tokens.json"))?;
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            credentials.client_secret.as_bytes(),
        );
        let digest: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let key = format!(
            "{} {} {digest}",
            url.trim_end_matches('/'),
            credentials.client_id
        );
        Some(Self { path, key })
    }

    fn entries(&self) -> BTreeMap<String, Token> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// The cached token, if there is one.
    pub fn load(&self) -> Option<Token> {
        self.entries().remove(&self.key)
    }

    /// Saves `token`, and drops every token that has expired.
    pub fn store(&self, token: &Token) -> anyhow::Result<()> {
        let now = latchkey_client::token::now();
        let mut entries = self.entries();
        entries.retain(|_, t| t.expires_at > now);
        entries.insert(self.key.clone(), token.clone());
        let bytes = serde_json::to_vec_pretty(&entries).context("encoding the token cache")?;
        write_private(&self.path, &bytes)
    }
}

/// Writes `bytes` to `path` with mode 0600 (its new folders 0700), whole or not at all: a
/// file beside it is written and renamed over it.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&temp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.with_context(|| format!("writing {}", path.display()))
}
