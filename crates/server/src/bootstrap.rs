//! First start: create the initial tenancy and hand its credentials to the operator, once.

use std::path::{Path, PathBuf};

use latchkey_domain::ids::ClientId;
use latchkey_domain::secret::{ClientSecret, SecretHasher};
use latchkey_store::Store;
use latchkey_store::clients::{NewClient, STATUS_ACTIVE};
use serde_json::json;

use crate::crypto::seal::write_private_file;

pub const CREDENTIALS_FILE: &str = "initial-credentials.json";

/// On an empty database, creates the platform root, a reseller under it and a Reseller API
/// client, and writes the client's credentials to `<data_dir>/initial-credentials.json`
/// (mode 0600). Returns the file's path when it did so; later starts create nothing.
pub async fn run(
    store: &Store,
    hasher: &SecretHasher,
    data_dir: &Path,
    issuer: &str,
) -> anyhow::Result<Option<PathBuf>> {
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
    let Some(done) = store
        .bootstrap("Platform", "Default Reseller", client)
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
    Ok(Some(path))
}
