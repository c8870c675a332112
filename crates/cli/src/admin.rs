//! `latchkey admin`: operator commands that work on the database directly.
//!
//! They run with the operator's own access to the data directory and database, the same trust
//! as the bootstrap, and so build their company scopes with `operator_scope`, whose actor (the
//! command) is what the audit log records for their changes.

use clap::Subcommand;
use latchkey_domain::audit::Actor;
use latchkey_domain::authz::{CompanyRef, operator_scope};
use latchkey_domain::ids::{ClientId, ResourceId};
use latchkey_domain::ip::IpAllowList;
use latchkey_domain::password::{OneTimeToken, TokenPurpose};
use latchkey_domain::role::BuiltInRole;
use latchkey_domain::secret::ClientSecret;
use latchkey_domain::time::{millis_to_rfc3339, now_millis};
use latchkey_domain::user::{Email, parse_name, parse_phone};
use latchkey_server::Config;
use latchkey_server::crypto::keys::Algorithm;
use latchkey_server::crypto::ring;
use latchkey_server::crypto::seal::MasterKey;
use latchkey_server::mail::password_link;
use latchkey_store::Store;
use latchkey_store::clients::{NewClient, STATUS_ACTIVE, STATUS_INACTIVE};
use latchkey_store::companies::NewCompany;
use latchkey_store::roles::AvailableRole;
use latchkey_store::system_users::NewUser;
use serde_json::json;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Companies.
    Company {
        #[command(subcommand)]
        command: CompanyCommand,
    },
    /// REST API clients.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// System users: the people who sign in to the console.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every company's hash chain: each record's hash must be the one its content and
    /// the previous record's hash give, with no record missing. Names the first broken link
    /// of each broken chain and exits non-zero when there is one.
    Verify,
}

#[derive(Subcommand)]
pub enum CompanyCommand {
    /// Create a company (a reseller with --reseller) under a parent (default: the platform root).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        reseller: bool,
        /// Resource id of the parent company.
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Create an API client and print its credentials (the secret is shown only here).
    Create {
        /// Resource id of the client's company.
        #[arg(long)]
        company: String,
        #[arg(long, default_value = "API client")]
        name: String,
        /// `Reseller` or `Company Admin`.
        #[arg(long, default_value = "Company Admin")]
        role: String,
        /// Allowed address or CIDR range; repeat for several. Without it, any address may call.
        #[arg(long = "allow-ip")]
        allow_ip: Vec<String>,
    },
    /// Let a client get tokens and call the API again.
    Activate { client_id: String },
    /// Stop a client: its tokens are refused at once.
    Deactivate { client_id: String },
    /// Delete a client: its tokens are refused at once.
    Delete { client_id: String },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user and print a one-time link with which they set their password (valid for
    /// 7 days). No email is sent.
    Create {
        /// Resource id of the user's company.
        #[arg(long)]
        company: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        phone: Option<String>,
        /// A role available to the company, by name or resource id; repeat for several.
        /// [default: Company Admin]
        #[arg(long)]
        role: Vec<String>,
    },
    /// Print a one-time link with which a user sets a new password: valid for 1 hour (7 days
    /// if they never set one). Earlier links of the user stop working.
    PasswordLink {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a new signing key and make it active; the old key stays published until its
    /// tokens have expired.
    Rotate {
        /// ES256, RS256 or EdDSA [default: the configured signing_algorithm].
        #[arg(long)]
        algorithm: Option<String>,
    },
    /// List the signing keys with their state: active, retired (and until when its tokens are
    /// trusted) or expired (no longer trusted; pruned at the next expiry or start).
    List,
    /// Remove a signing key at once: running servers refuse its tokens and drop it from the
    /// JWKS within change_poll_ms. Revoking the active key rotates to a fresh key in the same
    /// step, so servers keep signing; every token of the revoked key stops working.
    Revoke {
        /// The key's kid, as `keys list` shows it. A kid is a base64url thumbprint and may
        /// begin with `-`, so it is taken as a value even then.
        #[arg(allow_hyphen_values = true)]
        kid: String,
        /// The replacement's algorithm when the active key is revoked: ES256, RS256 or EdDSA
        /// [default: the configured signing_algorithm].
        #[arg(long)]
        algorithm: Option<String>,
    },
}

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = Store::open(&config.database_url, 2).await?;
    let master = MasterKey::load_or_create(&config.master_key, &config.data_dir)?;
    let result = match command {
        AdminCommand::Company { command } => company(&store, command).await,
        AdminCommand::Client { command } => client(&store, &master, command).await,
        AdminCommand::User { command } => user(&store, &master, &config, command).await,
        AdminCommand::Keys { command } => keys(&store, &master, &config, command).await,
        AdminCommand::Audit { command } => audit(&store, command).await,
    };
    store.close().await;
    result
}

async fn company_by_id(store: &Store, id: &str) -> anyhow::Result<CompanyRef> {
    let id =
        ResourceId::parse(id).ok_or_else(|| anyhow::anyhow!("{id} is not a valid company id"))?;
    store
        .find_company(&id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("company {id} not found"))
}

async fn company(store: &Store, command: CompanyCommand) -> anyhow::Result<()> {
    let CompanyCommand::Create {
        name,
        reseller,
        parent,
    } = command;
    let name = name.trim().to_owned();
    anyhow::ensure!(
        !name.is_empty() && name.len() <= 64,
        "--name must be 1 to 64 characters"
    );
    let parent = match parent {
        Some(id) => company_by_id(store, &id).await?,
        None => store.root_company().await?.ok_or_else(|| {
            anyhow::anyhow!("the database has no platform root yet: start the server once")
        })?,
    };
    let new = NewCompany {
        name,
        is_reseller: reseller,
        industry_name: None,
        description: None,
    };
    let company = store
        .create_company(
            &operator_scope(parent, Actor::admin("company create")),
            &new,
        )
        .await?;
    println!(
        "{}",
        json!({"resourceId": company.resource_id.as_str(), "name": company.name, "isReseller": reseller})
    );
    Ok(())
}

async fn client(store: &Store, master: &MasterKey, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Create {
            company,
            name,
            role,
            allow_ip,
        } => {
            let company = company_by_id(store, &company).await?;
            let role = BuiltInRole::ALL
                .into_iter()
                .find(|r| r.name().eq_ignore_ascii_case(&role) || r.resource_id() == role)
                .ok_or_else(|| anyhow::anyhow!("--role must be 'Reseller' or 'Company Admin'"))?;
            anyhow::ensure!(
                role != BuiltInRole::Reseller || company.is_reseller,
                "the Reseller role is only for reseller companies"
            );
            let allowed = IpAllowList::parse(&allow_ip)
                .map_err(|bad| anyhow::anyhow!("invalid --allow-ip: {}", bad.join(", ")))?;
            let client_id = ClientId::generate();
            let secret = ClientSecret::generate();
            let new = NewClient {
                name,
                client_id: client_id.clone(),
                secret_digest: master.secret_hasher().digest(&secret),
                status_id: STATUS_ACTIVE,
                has_ip_restriction: !allowed.is_empty(),
                allowed_ips: allowed.to_strings(),
                role_keys: vec![store.built_in_role_key(role).await?],
            };
            let (_, resource_id) = store
                .create_client(
                    &operator_scope(company.clone(), Actor::admin("client create")),
                    &new,
                )
                .await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "resourceId": resource_id.as_str(),
                    "clientId": client_id.as_str(),
                    "clientSecret": secret.expose(),
                    "companyResourceId": company.resource_id.as_str(),
                    "role": role.name(),
                }))?
            );
            eprintln!("The client secret is shown only now; store it safely.");
            Ok(())
        }
        ClientCommand::Activate { client_id } => set_status(store, &client_id, STATUS_ACTIVE).await,
        ClientCommand::Deactivate { client_id } => {
            set_status(store, &client_id, STATUS_INACTIVE).await
        }
        ClientCommand::Delete { client_id } => {
            let (resource_id, company) = find_client(store, &client_id).await?;
            store
                .delete_client(
                    &operator_scope(company, Actor::admin("client delete")),
                    &resource_id,
                )
                .await?;
            println!("deleted client {client_id}");
            Ok(())
        }
    }
}

async fn find_client(store: &Store, client_id: &str) -> anyhow::Result<(ResourceId, CompanyRef)> {
    store
        .find_client_by_client_id(client_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no client with client id {client_id}"))
}

async fn set_status(store: &Store, client_id: &str, status: i64) -> anyhow::Result<()> {
    let (resource_id, company) = find_client(store, client_id).await?;
    store
        .set_client_status(
            &operator_scope(company, Actor::admin("client status")),
            &resource_id,
            status,
        )
        .await?;
    println!(
        "client {client_id} is now {}",
        if status == STATUS_ACTIVE {
            "active"
        } else {
            "inactive"
        }
    );
    Ok(())
}

async fn user(
    store: &Store,
    master: &MasterKey,
    config: &Config,
    command: UserCommand,
) -> anyhow::Result<()> {
    let hasher = master.secret_hasher();
    match command {
        UserCommand::Create {
            company,
            email,
            first_name,
            last_name,
            phone,
            role,
        } => {
            let company = company_by_id(store, &company).await?;
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let first_name =
                parse_name(Some(&first_name), "--first-name").map_err(|e| anyhow::anyhow!(e))?;
            let last_name =
                parse_name(Some(&last_name), "--last-name").map_err(|e| anyhow::anyhow!(e))?;
            let phone_number = phone
                .map(|p| parse_phone(Some(&p)).map_err(|e| anyhow::anyhow!("--phone: {e}")))
                .transpose()?;
            let wanted = if role.is_empty() {
                vec![BuiltInRole::CompanyAdmin.name().to_owned()]
            } else {
                role
            };
            let scope = operator_scope(company.clone(), Actor::admin("user create"));
            let available = store.available_roles(&scope).await?;
            let mut roles: Vec<&AvailableRole> = Vec::new();
            for want in &wanted {
                let found = available
                    .iter()
                    .find(|r| {
                        r.name.eq_ignore_ascii_case(want.trim()) || r.resource_id == want.trim()
                    })
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--role {want} is not available to {}; available: {}",
                            company.name,
                            available
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?;
                if !roles.iter().any(|r| r.key == found.key) {
                    roles.push(found);
                }
            }
            let new = NewUser {
                first_name,
                last_name,
                email: email.clone(),
                phone_number,
                status_id: latchkey_domain::user::STATUS_ACTIVE,
                role_keys: roles.iter().map(|r| r.key).collect(),
            };
            let (key, resource_id) = store.create_user(&scope, &new).await?;
            let token = OneTimeToken::generate();
            let expires_at = store
                .issue_password_token(&scope, key, &token.digest(&hasher), TokenPurpose::Create)
                .await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "resourceId": resource_id.as_str(),
                    "email": email.as_str(),
                    "companyResourceId": company.resource_id.as_str(),
                    "roles": roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
                    "link": password_link(&config.public_base(), &token, TokenPurpose::Create),
                    "expiresAt": millis_to_rfc3339(expires_at),
                }))?
            );
            eprintln!("Give the link to the user: it works once, to set their password.");
            Ok(())
        }
        UserCommand::PasswordLink { email } => {
            let user = store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user with the email {}", email.trim()))?;
            let purpose = if user.credentials.password_hash.is_some() {
                TokenPurpose::Reset
            } else {
                TokenPurpose::Create
            };
            let token = OneTimeToken::generate();
            let scope = operator_scope(user.company.clone(), Actor::admin("user password-link"));
            let expires_at = store
                .issue_password_token(&scope, user.key, &token.digest(&hasher), purpose)
                .await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "resourceId": user.resource_id.as_str(),
                    "email": user.email.as_str(),
                    "purpose": purpose.as_str(),
                    "link": password_link(&config.public_base(), &token, purpose),
                    "expiresAt": millis_to_rfc3339(expires_at),
                }))?
            );
            eprintln!("Give the link to the user: it works once; earlier links no longer work.");
            Ok(())
        }
    }
}

async fn keys(
    store: &Store,
    master: &MasterKey,
    config: &Config,
    command: KeysCommand,
) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate { algorithm } => {
            let algorithm = key_algorithm(algorithm, config)?;
            let kid = ring::rotate(
                store,
                &master.sealer(),
                algorithm,
                Actor::admin("keys rotate"),
            )
            .await?;
            println!("{}", json!({"kid": kid, "algorithm": algorithm.as_str()}));
            Ok(())
        }
        KeysCommand::List => {
            let times = config.token_times();
            let now = now_millis();
            for key in store.signing_keys().await? {
                let trusted_until = key.retired_at.map(|at| ring::trusted_until(at, times));
                let state = match trusted_until {
                    None => "active",
                    Some(until) if now < until => "retired",
                    Some(_) => "expired",
                };
                println!(
                    "{}",
                    json!({
                        "kid": key.kid,
                        "algorithm": key.algorithm,
                        "state": state,
                        "createdAt": millis_to_rfc3339(key.created_at),
                        "retiredAt": key.retired_at.map(millis_to_rfc3339),
                        "trustedUntil": trusted_until.map(millis_to_rfc3339),
                    })
                );
            }
            Ok(())
        }
        KeysCommand::Revoke { kid, algorithm } => {
            let algorithm = key_algorithm(algorithm, config)?;
            let replaced_by = ring::revoke(
                store,
                &master.sealer(),
                &kid,
                algorithm,
                Actor::admin("keys revoke"),
            )
            .await?;
            println!(
                "{}",
                json!({
                    "revoked": kid,
                    "wasActive": replaced_by.is_some(),
                    "activeKid": replaced_by,
                })
            );
            match replaced_by {
                Some(new) => eprintln!(
                    "{kid} was the active key; {new} ({}) signs from now on. Every token {kid} signed is refused.",
                    algorithm.as_str()
                ),
                None => eprintln!("Every token {kid} signed is refused."),
            }
            Ok(())
        }
    }
}

fn key_algorithm(given: Option<String>, config: &Config) -> anyhow::Result<Algorithm> {
    match given {
        Some(a) => Algorithm::parse(&a)
            .ok_or_else(|| anyhow::anyhow!("--algorithm must be ES256, RS256 or EdDSA")),
        None => Ok(config.signing_algorithm),
    }
}

async fn audit(store: &Store, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify => {
            let report = store.verify_audit_chains().await?;
            for broken in &report.broken {
                println!(
                    "{}",
                    json!({
                        "companyId": broken.company_id,
                        "brokenAt": broken.resource_id,
                        "sequence": broken.seq,
                        "reason": broken.reason,
                    })
                );
            }
            println!(
                "{}",
                json!({
                    "companies": report.companies,
                    "records": report.records,
                    "brokenChains": report.broken.len(),
                    "intact": report.broken.is_empty(),
                })
            );
            anyhow::ensure!(
                report.broken.is_empty(),
                "{} of {} audit chains are broken",
                report.broken.len(),
                report.companies
            );
            Ok(())
        }
    }
}
