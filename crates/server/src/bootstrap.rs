//! First start: create the initial tenancy and hand its credentials to the operator, once.

use std::path::{Path, PathBuf};

use latchkey_domain::ids::ClientId;
use latchkey_domain::password::{OneTimeToken, TokenPurpose};
use latchkey_domain::secret::{ClientSecret, SecretHasher};
use latchkey_domain::user::{Email, STATUS_ACTIVE as USER_ACTIVE};
use latchkey_store::Store;
use latchkey_store::bootstrap::BootstrapAdmin;
use latchkey_store::clients::{NewClient, STATUS_ACTIVE};
use latchkey_store::system_users::NewUser;
use serde_json::json;

use crate::crypto::seal::write_private_file;
use crate::mail::password_link;

pub const CREDENTIALS_FILE: &str = "initial-credentials.json";
pub const ADMIN_LINK_FILE: &str = "initial-admin-link.txt";

/// What a first start wrote for the operator.
#[derive(Debug, Clone)]
pub struct FirstStart {
    /// `initial-credentials.json`: the reseller API client's id and secret.
    pub credentials: PathBuf,
    /// `initial-admin-link.txt`: the link with which the first administrator sets a password.
    pub admin_link: PathBuf,
}

/// On an empty database, creates the platform root, a reseller under it with a Reseller API
/// client, and a platform administrator (`admin_email`, Reseller role, in the root company).
/// Writes the client's credentials to `<data_dir>/initial-credentials.json` and the
/// administrator's set-password link (under `public_url`, valid for 7 days) to
/// `<data_dir>/initial-admin-link.txt`, both mode 0600. Later starts create nothing.
pub async fn run(
    store: &Store,
    hasher: &SecretHasher,
    data_dir: &Path,
    issuer: &str,
    admin_email: &str,
    public_url: &str,
) -> anyhow::Result<Option<FirstStart>> {
    let path = data_dir.join(CREDENTIALS_FILE);
    let client_id = ClientId::generate();
    let secret = ClientSecret::generate();
    let client = NewClient {
        name: "Initial reseller client".into(),
        client_id: client_id.clone(),
        secret_digest: hasher.digest(&secret),
        status_id: STATUS_ACTIVE,
        has_ip_restriction: false,
        allowed_ips: Vec::new(),
        role_keys: Vec::new(),
    };
    let email =
        Email::parse(admin_email).map_err(|e| anyhow::anyhow!("bootstrap_admin_email: {e}"))?;
    let token = OneTimeToken::generate();
    let admin = BootstrapAdmin {
        user: NewUser {
            first_name: "Platform".into(),
            last_name: "Administrator".into(),
            email: email.clone(),
            phone_number: None,
            status_id: USER_ACTIVE,
            role_keys: Vec::new(),
        },
        token_digest: token.digest(hasher),
    };
    let Some(done) = store
        .bootstrap("Platform", "Default Reseller", client, Some(admin))
        .await?
    else {
        return Ok(None);
    };
    let credentials = json!({
        "clientId": client_id.as_str(),
        "clientSecret": secret.expose(),
        "companyResourceId": done.reseller.resource_id.as_str(),
        "tokenUrl": format!("{issuer}/connect/token"),
    });
    let text = serde_json::to_string_pretty(&credentials)? + "\n";
    write_private_file(&path, text.as_bytes()).map_err(|e| {
        anyhow::anyhow!(
            "{e:#}. The initial client was created but its secret could not be saved: create another \
             with `latchkey admin client create --company {}`",
            done.reseller.resource_id
        )
    })?;
    let admin_link = data_dir.join(ADMIN_LINK_FILE);
    let link = password_link(public_url, &token, TokenPurpose::Create) + "\n";
    write_private_file(&admin_link, link.as_bytes()).map_err(|e| {
        anyhow::anyhow!(
            "{e:#}. The administrator {} was created but their link could not be saved: print \
             another with `latchkey admin user password-link --email {}`",
            email.as_str(),
            email.as_str()
        )
    })?;
    Ok(Some(FirstStart {
        credentials: path,
        admin_link,
    }))
}
