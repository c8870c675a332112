//! `latchkey api`: the command line as a client of a running server, through
//! `latchkey-client` (the same client the integration tests use).
//!
//! - [`config`]: the profile file, the environment and flags; the token cache.
//! - this file: the commands, `token`, `call` and the conveniences for companies and clients.
//! - [`onboard`]: a customer company, its Company Admin client and optionally SCIM.
//! - [`import`]: the spreadsheet import of target users, with its jobs' progress.
//!
//! Success prints JSON (or a table, for searches) on stdout; a failure prints the envelope's
//! status, message and validation messages, or the OAuth error, on stderr and exits 1.

mod config;
mod import;
mod onboard;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use latchkey_client::{Answer, AuthMethod, Body, Client, ExportFormat, Form, Method};
use latchkey_proto::clients::ClientRequest;
use latchkey_proto::search::{Filter, SearchRequest};
use serde_json::{Value, json};

use config::{Settings, TokenCache};

#[derive(Args)]
pub struct ApiArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(subcommand)]
    command: ApiCommand,
}

/// Where the server is and who calls it. Each falls back to the profile file.
#[derive(Args)]
pub struct ConnectionArgs {
    /// The server's base URL, e.g. https://latchkey.example.com.
    #[arg(long, env = "LATCHKEY_URL", global = true)]
    url: Option<String>,
    /// The REST API client's id.
    #[arg(long, env = "LATCHKEY_CLIENT_ID", global = true)]
    client_id: Option<String>,
    /// The client's secret. Prefer the variable or --client-secret-file: other users of the
    /// machine can read a process's flags.
    #[arg(
        long,
        env = "LATCHKEY_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    client_secret: Option<String>,
    /// A file holding the client's secret.
    #[arg(long, env = "LATCHKEY_CLIENT_SECRET_FILE", global = true)]
    client_secret_file: Option<PathBuf>,
    /// How the credentials go to /connect/token. [default: post]
    #[arg(long, env = "LATCHKEY_AUTH_METHOD", value_enum, global = true)]
    auth_method: Option<AuthMethodArg>,
    /// The profile file. [default: ~/.config/latchkey/profile.toml, or under $XDG_CONFIG_HOME]
    #[arg(long, env = "LATCHKEY_PROFILE", global = true)]
    profile: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AuthMethodArg {
    /// client_secret_post: the id and secret in the form, as the platform documents it.
    Post,
    /// client_secret_basic: HTTP Basic.
    Basic,
}

impl From<AuthMethodArg> for AuthMethod {
    fn from(arg: AuthMethodArg) -> Self {
        match arg {
            AuthMethodArg::Post => AuthMethod::ClientSecretPost,
            AuthMethodArg::Basic => AuthMethod::ClientSecretBasic,
        }
    }
}

#[derive(Subcommand)]
enum ApiCommand {
    /// Check the URL and credentials with a token request, then save them to the profile
    /// file (mode 0600).
    Configure,
    /// Print an access token; it is cached (mode 0600) until shortly before it expires.
    Token {
        /// Print the token with its expiry and permissions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send any operation and print the answer's `data` as JSON.
    Call {
        /// GET, POST, PUT, DELETE, …
        method: String,
        /// The path, e.g. /api/companies/my (with its query string, if any).
        path: String,
        /// The company to act on (X-KEEPNET-Company-Id).
        #[arg(long)]
        company: Option<String>,
        /// A JSON body, or @FILE to read it from a file (@- for stdin).
        #[arg(long, conflicts_with = "form")]
        data: Option<String>,
        /// A multipart form field NAME=VALUE, or NAME=@FILE for a file; repeat for more.
        #[arg(long)]
        form: Vec<String>,
        /// Where to write a file the operation answers with (an export). [default: stdout]
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The server's version and commit, and the licence and profile of a company.
    Info {
        /// The company to describe. [default: your own]
        #[arg(long)]
        company: Option<String>,
    },
    /// Companies you manage.
    Companies {
        #[command(subcommand)]
        command: CompaniesCommand,
    },
    /// REST API clients.
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Onboard a customer: create its company and a Company Admin client (and optionally a
    /// SCIM integration), and print what to hand over.
    Onboard(Box<onboard::OnboardArgs>),
    /// Target users.
    TargetUsers {
        #[command(subcommand)]
        command: TargetUsersCommand,
    },
}

#[derive(Subcommand)]
enum CompaniesCommand {
    /// Search the companies you manage.
    Search {
        #[command(flatten)]
        search: SearchArgs,
        /// Print the page as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Export the companies a search finds, every page, as CSV or Excel.
    Export {
        #[command(flatten)]
        search: SearchArgs,
        #[arg(long, value_enum, default_value = "csv")]
        format: FormatArg,
        /// The file to write. [default: stdout]
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Excel,
}

#[derive(Args)]
struct SearchArgs {
    /// Free text, e.g. part of a name.
    #[arg(long)]
    text: Option<String>,
    /// A filter as the API takes it (`{"filterGroups": […]}`): JSON, or @FILE.
    #[arg(long)]
    filter: Option<String>,
    /// The field to sort by, e.g. CreateTime or Name.
    #[arg(long)]
    order_by: Option<String>,
    /// Sort ascending (the API's default order otherwise).
    #[arg(long)]
    ascending: bool,
    #[arg(long, default_value_t = 1)]
    page: i64,
    #[arg(long, default_value_t = 20)]
    page_size: i64,
    /// Search from this company (a reseller's customer) instead of your own.
    #[arg(long)]
    company: Option<String>,
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Generate credentials and create a client with them; prints the secret, which is not
    /// shown again.
    Create(ClientArgs),
}

#[derive(Args)]
struct ClientArgs {
    /// The company the client belongs to. [default: your own]
    #[arg(long)]
    company: Option<String>,
    #[arg(long)]
    name: String,
    /// A role by name or id; repeat for several.
    #[arg(long = "role", default_value = "Company Admin")]
    roles: Vec<String>,
    /// An address or CIDR range the client may call from; repeat for several. [default: any]
    #[arg(long = "allow-ip")]
    allow_ip: Vec<String>,
    /// Create it inactive.
    #[arg(long)]
    inactive: bool,
}

#[derive(Subcommand)]
enum TargetUsersCommand {
    /// Import target users from a CSV, XLSX or XLS file, showing the jobs' progress.
    Import(import::ImportArgs),
}

/// Runs one `latchkey api` command.
pub async fn run(args: ApiArgs) -> anyhow::Result<()> {
    let configuring = matches!(args.command, ApiCommand::Configure);
    let settings = Settings::resolve(&args.connection, configuring)?;
    let (url, credentials) = settings.connection()?;
    let cache = TokenCache::open(&url, &credentials);
    let client = Client::new(&url, credentials)?;
    if let Some(token) = cache.as_ref().and_then(TokenCache::load) {
        client.set_token(token);
    }
    let held = client.cached_token();
    let result = match args.command {
        ApiCommand::Configure => configure(&client, &settings).await,
        command => dispatch(&client, command).await,
    };
    // Keep a token that was issued during the command, even when the command failed later.
    if let (Some(cache), Some(token)) = (&cache, client.cached_token())
        && Some(&token) != held.as_ref()
        && let Err(e) = cache.store(&token)
    {
        eprintln!("warning: the token was not cached: {e:#}");
    }
    result
}

async fn configure(client: &Client, settings: &Settings) -> anyhow::Result<()> {
    client
        .fetch_token()
        .await
        .context("the credentials were not saved")?;
    let path = settings.save()?;
    eprintln!("Saved to {} (mode 0600).", path.display());
    Ok(())
}

async fn dispatch(client: &Client, command: ApiCommand) -> anyhow::Result<()> {
    match command {
        ApiCommand::Configure => unreachable!("handled by run"),
        ApiCommand::Token { json } => {
            let token = client.token().await?;
            if json {
                print_json(&json!({
                    "accessToken": token.access_token,
                    "expiresAt": token.expires_at,
                    "permissions": token.permissions,
                }))
            } else {
                println!("{}", token.access_token);
                Ok(())
            }
        }
        ApiCommand::Call {
            method,
            path,
            company,
            data,
            form,
            output,
        } => {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| anyhow!("{method:?} is not an HTTP method"))?;
            let body = if !form.is_empty() {
                Body::Form(form_of(&form)?)
            } else if let Some(data) = data {
                Body::Json(json_argument("--data", &data)?)
            } else {
                Body::Empty
            };
            match client
                .call_any(method, &path, company.as_deref(), body)
                .await?
            {
                Answer::Data(v) | Answer::Json(v) => print_json(&v),
                Answer::File(file) => write_output(output.as_deref(), &file.bytes),
            }
        }
        ApiCommand::Info { company } => {
            print_json(&client.system_summary(company.as_deref()).await?)
        }
        ApiCommand::Companies { command } => companies(client, command).await,
        ApiCommand::Clients {
            command: ClientsCommand::Create(args),
        } => {
            let created = create_client(client, &args).await?;
            print_json(&created)
        }
        ApiCommand::Onboard(args) => onboard::run(client, *args).await,
        ApiCommand::TargetUsers {
            command: TargetUsersCommand::Import(args),
        } => import::run(client, args).await,
    }
}

async fn companies(client: &Client, command: CompaniesCommand) -> anyhow::Result<()> {
    match command {
        CompaniesCommand::Search { search, json } => {
            let page = client
                .companies_search(search.company.as_deref(), &search.request()?)
                .await?;
            if json {
                return print_json(&page);
            }
            let rows = page
                .results
                .iter()
                .map(|c| {
                    let limit = if c.is_number_of_users_limited {
                        c.number_of_users.clone()
                    } else {
                        "unlimited".into()
                    };
                    vec![
                        c.company_name.clone(),
                        c.company_resource_id.clone(),
                        c.license_type_name.clone().unwrap_or_default(),
                        format!("{}/{limit}", c.target_user_count),
                        c.create_time.clone(),
                    ]
                })
                .collect();
            print_table(
                &["NAME", "COMPANY ID", "LICENCE", "TARGET USERS", "CREATED"],
                rows,
            );
            println!(
                "page {} of {}, {} companies",
                page.page_number,
                page.total_number_of_pages.max(1),
                page.total_number_of_records
            );
            Ok(())
        }
        CompaniesCommand::Export {
            search,
            format,
            output,
        } => {
            let format = match format {
                FormatArg::Csv => ExportFormat::Csv,
                FormatArg::Excel => ExportFormat::Excel,
            };
            let file = client
                .companies_export(search.company.as_deref(), &search.request()?, format)
                .await?;
            write_output(output.as_deref(), &file.bytes)
        }
    }
}

impl SearchArgs {
    fn request(&self) -> anyhow::Result<SearchRequest> {
        let mut filter: Option<Filter> = match &self.filter {
            Some(f) => Some(
                serde_json::from_value(json_argument("--filter", f)?)
                    .context("--filter is not a filter")?,
            ),
            None => None,
        };
        if let Some(text) = &self.text {
            filter
                .get_or_insert_with(Filter::default)
                .search_input_text_value = Some(text.clone());
        }
        Ok(SearchRequest {
            page_number: Some(self.page),
            page_size: Some(self.page_size),
            order_by: self.order_by.clone(),
            ascending: self.ascending.then_some(true),
            filter,
            ..SearchRequest::default()
        })
    }
}

/// Generates credentials and creates a client with them, with roles named or given by id;
/// answers what to give its user, the secret included.
async fn create_client(client: &Client, args: &ClientArgs) -> anyhow::Result<Value> {
    let company = args.company.as_deref();
    let available = client.available_roles(company).await?;
    let mut role_ids = Vec::new();
    for wanted in &args.roles {
        let role = available
            .iter()
            .find(|r| r.resource_id == *wanted || r.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = available.iter().map(|r| r.name.as_str()).collect();
                anyhow!(
                    "the company cannot give the role {wanted:?}; its roles are: {}",
                    names.join(", ")
                )
            })?;
        role_ids.push(role.resource_id.clone());
    }
    let generated = client.generate_client_credentials(company).await?;
    let created = client
        .create_client(
            company,
            &ClientRequest {
                name: Some(args.name.clone()),
                client_id: Some(generated.client_id.clone()),
                client_secret: Some(generated.client_secret.clone()),
                status_id: Some(if args.inactive { 0 } else { 1 }),
                has_ip_address_restriction: Some(!args.allow_ip.is_empty()),
                allowed_ip_addresses: Some(args.allow_ip.clone()),
                role_resource_id_list: Some(role_ids),
            },
        )
        .await?;
    Ok(json!({
        "resourceId": created.resource_id,
        "name": args.name,
        "clientId": generated.client_id,
        "clientSecret": generated.client_secret,
        "roles": args.roles,
        "tokenUrl": client.token_url(),
        "apiUrl": client.base_url(),
    }))
}

/// `--data`-style arguments: JSON, `@FILE`, or `@-` for stdin.
fn json_argument(flag: &str, raw: &str) -> anyhow::Result<Value> {
    let text = match raw.strip_prefix('@') {
        Some("-") => std::io::read_to_string(std::io::stdin()).context("reading stdin")?,
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        None => raw.to_owned(),
    };
    serde_json::from_str(&text).with_context(|| format!("{flag} is not JSON"))
}

/// `NAME=VALUE` and `NAME=@FILE` pairs as a multipart form.
fn form_of(pairs: &[String]) -> anyhow::Result<Form> {
    let mut form = Form::new();
    for pair in pairs {
        let Some((name, value)) = pair.split_once('=') else {
            bail!("--form {pair:?} must be NAME=VALUE or NAME=@FILE");
        };
        form = match value.strip_prefix('@') {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
                let file_name = std::path::Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.to_owned());
                form.file(name, file_name, bytes)
            }
            None => form.text(name, value),
        };
    }
    Ok(form)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("encoding the answer")?;
    println!("{text}");
    Ok(())
}

fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display())),
        None => std::io::stdout()
            .write_all(bytes)
            .context("writing to stdout"),
    }
}

/// Columns padded to their widest cell.
fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}
