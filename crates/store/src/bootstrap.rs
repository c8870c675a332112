//! The first start: an empty database gets its platform root, one reseller and that reseller's
//! first API client, and the first platform administrator with a link to set their password,
//! all in one transaction, so a crash leaves either everything or nothing.

use latchkey_domain::authz::CompanyRef;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::password::TokenPurpose;
use latchkey_domain::secret::SecretDigest;
use latchkey_domain::time::now_millis;
use sqlx::Row;

use crate::clients::{NewClient, insert_client};
use crate::companies::insert_company;
use crate::error::OnUnique;
use crate::meta::{CLIENTS_REVISION, bump};
use crate::system_users::{NewUser, insert_password_token, insert_user};
use crate::{Store, StoreError};

pub struct Bootstrapped {
    pub root: CompanyRef,
    pub reseller: CompanyRef,
    pub client: ResourceId,
    /// The administrator's resource id and when their set-password link expires.
    pub admin: Option<(ResourceId, i64)>,
}

/// The first platform administrator: a user of the root company with the Reseller role
/// (`user.role_keys` is ignored), and the digest of their set-password link's token.
pub struct BootstrapAdmin {
    pub user: NewUser,
    pub token_digest: SecretDigest,
}

impl Store {
    /// Creates the initial tenancy unless the database already has a root (then `None`).
    /// `client.role_keys` is ignored: the client gets the built-in Reseller role.
    pub async fn bootstrap(
        &self,
        root_name: &str,
        reseller_name: &str,
        client: NewClient,
        admin: Option<BootstrapAdmin>,
    ) -> Result<Option<Bootstrapped>, StoreError> {
        if self.root_company().await?.is_some() {
            return Ok(None);
        }
        let mut tx = self.pool().begin().await?;
        let root = match insert_company(&mut tx, None, root_name, true, true, None, None).await {
            Ok(root) => root,
            // Another replica bootstrapped between our check and our insert.
            Err(StoreError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let reseller =
            insert_company(&mut tx, Some(&root), reseller_name, true, false, None, None).await?;
        let role: i64 = sqlx::query("SELECT id FROM roles WHERE resource_id = $1")
            .bind(latchkey_domain::role::BuiltInRole::Reseller.resource_id())
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
        let client = NewClient {
            role_keys: vec![role],
            ..client
        };
        let (_, client) = insert_client(&mut tx, reseller.id, &client).await?;
        let admin = match admin {
            Some(admin) => {
                let user = NewUser {
                    role_keys: vec![role],
                    ..admin.user
                };
                let (key, id) = insert_user(&mut tx, root.id, &user).await?;
                let expires_at = insert_password_token(
                    &mut tx,
                    key,
                    &admin.token_digest,
                    TokenPurpose::Create,
                    now_millis(),
                )
                .await?;
                Some((id, expires_at))
            }
            None => None,
        };
        bump(&mut *tx, CLIENTS_REVISION).await?;
        let committed = tx.commit().await.on_unique("the platform root");
        match committed {
            Ok(()) => Ok(Some(Bootstrapped {
                root,
                reseller,
                client,
                admin,
            })),
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
