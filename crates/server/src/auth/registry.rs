//! The in-memory client view.
//!
//! Every token request and every `/api` call reads this map, never the database: that keeps
//! the token endpoint at signing speed, and it is what lets a deactivation, deletion, role or
//! allow-list change apply to tokens already issued, at once. The map is rebuilt from the store
//! when this process changes a client, and when the store's client revision moves (a change
//! made by the admin CLI or another replica), checked every `change_poll_ms`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use arc_swap::ArcSwap;
use latchkey_domain::authz::{Caller, CompanyRef, Principal};
use latchkey_domain::ids::{ClientId, ResourceId};
use latchkey_domain::ip::IpAllowList;
use latchkey_domain::permission::{Catalog, PermissionSet, Tier};
use latchkey_domain::role::BuiltInRole;
use latchkey_domain::secret::SecretDigest;
use latchkey_store::Store;
use latchkey_store::clients::{ClientAuthRow, RoleGrant, STATUS_ACTIVE};
use serde_json::{Map, Value, json};

/// One client, ready to authenticate and to have a token minted.
pub struct ClientEntry {
    pub key: i64,
    pub client_id: ClientId,
    pub resource_id: ResourceId,
    pub secret_digest: SecretDigest,
    pub active: bool,
    /// `None` when the client may call from anywhere.
    pub allowed_ips: Option<IpAllowList>,
    pub caller: Caller,
    /// The token's claims as a JSON object without its closing brace and with a trailing
    /// comma; the token endpoint appends the time-dependent claims.
    pub claims_prefix: String,
    /// The `permissions` array of the token response, serialized.
    pub permissions_json: String,
}

pub struct ClientRegistry {
    by_client_id: ArcSwap<HashMap<String, Arc<ClientEntry>>>,
    catalog: Arc<Catalog>,
    issuer: String,
    audience: String,
    revision: AtomicI64,
}

impl ClientRegistry {
    pub fn new(catalog: Arc<Catalog>, issuer: String, audience: String) -> Self {
        Self {
            by_client_id: ArcSwap::from_pointee(HashMap::new()),
            catalog,
            issuer,
            audience,
            revision: AtomicI64::new(-1),
        }
    }

    pub fn get(&self, client_id: &str) -> Option<Arc<ClientEntry>> {
        self.by_client_id.load().get(client_id).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_client_id.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store revision this view reflects.
    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    /// Rebuilds the view from the store. The revision is read first, so a change that lands
    /// during the reload moves the revision past it and triggers another reload.
    pub async fn reload(&self, store: &Store) -> anyhow::Result<()> {
        let (revision, _) = store.revisions().await?;
        let rows = store.client_auth_rows().await?;
        let mut map = HashMap::with_capacity(rows.len());
        for row in rows {
            match self.entry(row) {
                Ok(entry) => {
                    map.insert(entry.client_id.as_str().to_owned(), Arc::new(entry));
                }
                Err(e) => {
                    tracing::error!(error = %e, "skipping a client whose stored data is invalid")
                }
            }
        }
        self.by_client_id.store(Arc::new(map));
        self.revision.store(revision, Ordering::Release);
        Ok(())
    }

    fn entry(&self, row: ClientAuthRow) -> anyhow::Result<ClientEntry> {
        let allowed_ips = if row.has_ip_restriction {
            Some(
                IpAllowList::parse(&row.allowed_ips)
                    .map_err(|bad| anyhow::anyhow!("bad stored ranges {bad:?}"))?,
            )
        } else {
            None
        };

        let Grant {
            permissions,
            reseller_access,
        } = grant(&self.catalog, &row.roles, &row.company, row.company_is_root);

        let role_names: Vec<&str> = row.roles.iter().map(|r| r.name.as_str()).collect();
        let role = match role_names.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        let claims: Map<String, Value> = [
            ("iss", json!(self.issuer)),
            ("aud", json!(self.audience)),
            ("sub", json!(row.resource_id.as_str())),
            ("client_id", json!(row.client_id.as_str())),
            ("scope", json!(["api1"])),
            (
                "user_company_resourceid",
                json!(row.company.resource_id.as_str()),
            ),
            ("user_company_name", json!(row.company.name)),
            ("user_company_id", json!(row.company.id)),
            (
                "user_company_logopath",
                json!(row.company_logo_url.clone().unwrap_or_default()),
            ),
            (
                "user_company_industry_name",
                json!(row.company_industry_name.clone().unwrap_or_default()),
            ),
            (
                "user_company_parentcompany_resourceid",
                json!(if reseller_access {
                    row.parent_resource_id.clone().unwrap_or_default()
                } else {
                    String::new()
                }),
            ),
            (
                "user_company_parentcompany_name",
                json!(if reseller_access {
                    row.parent_name.clone().unwrap_or_default()
                } else {
                    String::new()
                }),
            ),
            ("role", role),
            ("company_admin_access", json!(true)),
            ("reseller_access", json!(reseller_access)),
            ("root_access", json!(row.company_is_root)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut claims_prefix = serde_json::to_string(&claims)?;
        claims_prefix.pop(); // the closing brace
        claims_prefix.push(',');

        let permissions_json = serde_json::to_string(&permissions.to_vec())?;
        let client_id = ClientId::from_stored(row.client_id.as_str().to_owned());
        Ok(ClientEntry {
            key: row.key,
            client_id: client_id.clone(),
            resource_id: row.resource_id,
            secret_digest: row.secret_digest,
            active: row.status_id == STATUS_ACTIVE,
            allowed_ips,
            caller: Caller::authenticated(
                Principal::Client {
                    key: row.key,
                    client_id,
                },
                &row.name,
                row.company,
                reseller_access,
                row.company_is_root,
                permissions,
            ),
            claims_prefix,
            permissions_json,
        })
    }
}

/// What a set of roles grants in a company.
pub struct Grant {
    pub permissions: PermissionSet,
    /// The holder may act on the companies below its own.
    pub reseller_access: bool,
}

/// The permissions `roles` grant a client or a system user of `company`. Built-in roles grant
/// whole tiers of the route table; custom roles grant the keys they list that still name a
/// route. A reseller-tier grant means something only in a reseller's (or the platform's) company.
pub fn grant(catalog: &Catalog, roles: &[RoleGrant], company: &CompanyRef, is_root: bool) -> Grant {
    let may_resell = company.is_reseller || is_root;
    let mut keys = std::collections::BTreeSet::new();
    let mut reseller_tier = roles
        .iter()
        .any(|r| r.built_in.is_some_and(BuiltInRole::reseller_access));
    for role in roles {
        for entry in catalog.entries() {
            let granted = match role.built_in {
                Some(built_in) => built_in.grants(entry.tier),
                None => role.permissions.iter().any(|k| k == &entry.key),
            };
            if granted {
                if entry.tier == Tier::Reseller && !may_resell {
                    continue;
                }
                reseller_tier |= entry.tier == Tier::Reseller;
                keys.insert(entry.key.clone());
            }
        }
    }
    Grant {
        permissions: PermissionSet::new(keys),
        reseller_access: reseller_tier && may_resell,
    }
}
