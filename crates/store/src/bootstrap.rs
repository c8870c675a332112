//! The first start: an empty database gets its platform root, one reseller and that reseller's
//! first API client, and the first platform administrator with a link to set their password,
//! all in one transaction, so a crash leaves either everything or nothing.

use latchkey_domain::audit::{Actor, Entry, Operation};
use latchkey_domain::authz::{CompanyRef, operator_scope};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::password::TokenPurpose;
use latchkey_domain::secret::SecretDigest;
use latchkey_domain::time::now_millis;
use sqlx::Row;

use crate::clients::{NewClient, insert_client};
use crate::companies::insert_company;
use crate::error::is_unique;
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
        // The root does not exist until this transaction makes it: the records of the first
        // start go to its chain once it does.
        let mut tx = self.housekeeping().await?;
        let root = match insert_company(&mut tx, None, root_name, true, true, None, None).await {
            Ok(root) => root,
            // Another replica bootstrapped between our check and our insert.
            Err(StoreError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        tx.record_as(operator_scope(root.clone(), Actor::system("first start")));
        tx.record(Entry::new(
            "Company",
            root.resource_id.as_str(),
            Operation::Create,
            format!("Platform root '{root_name}' created"),
        ));
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
        tx.record_for(
            reseller.id,
            Entry::new(
                "Company",
                reseller.resource_id.as_str(),
                Operation::Create,
                format!("Reseller '{reseller_name}' created"),
            ),
        );
        let (_, client_id) = insert_client(&mut tx, reseller.id, &client).await?;
        tx.record_for(
            reseller.id,
            Entry::new(
                "Client",
                client_id.as_str(),
                Operation::Create,
                format!("Client '{}' of '{reseller_name}' created", client.name),
            ),
        );
        let client = client_id;
        let admin = match admin {
            Some(admin) => {
                let user = NewUser {
                    role_keys: vec![role],
                    ..admin.user
                };
                let (key, id) = insert_user(&mut tx, root.id, &user).await?;
                tx.record(Entry::new(
                    "SystemUser",
                    id.as_str(),
                    Operation::Create,
                    format!("Platform administrator {} created", user.email.as_str()),
                ));
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
        match tx.commit().await {
            Ok(()) => Ok(Some(Bootstrapped {
                root,
                reseller,
                client,
                admin,
            })),
            // Another replica's root won.
            Err(e) if is_unique(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
