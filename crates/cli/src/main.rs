//! `latchkey`: the server and its offline administration.
//!
//! - `latchkey serve` runs the server.
//! - `latchkey admin …` works on the database directly (no server needed, and safe while one
//!   runs: servers pick the changes up within one poll interval).
//! - `latchkey api …` is a client of a running server, as a REST API client.

mod admin;
mod api;

/// mimalloc: the token endpoint allocates a few small buffers per request on both worker
/// threads, and glibc's malloc spent about 10% of the server's CPU on them under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use latchkey_server::{Application, Config, shutdown_signal, telemetry};

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hosted Keepnet-compatible API platform"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Settings shared by every command. Each also reads `LATCHKEY_*` variables and the config file.
#[derive(Args)]
struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, short = 'c', env = "LATCHKEY_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, master key, first-start credentials). [default: ./latchkey-data]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `sqlite://FILE` or `postgres://USER@HOST/DB`. [default: SQLite in the data directory]
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on. [default: 127.0.0.1:8080]
        #[arg(long)]
        listen: Option<String>,
    },
    /// Offline administration on the database.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Call a running server's API as a REST API client.
    Api(Box<api::ApiArgs>),
}

impl GlobalArgs {
    fn load(&self, extra: Vec<(&'static str, String)>) -> anyhow::Result<Config> {
        let mut overrides = extra;
        if let Some(dir) = &self.data_dir {
            overrides.push(("data_dir", dir.display().to_string()));
        }
        if let Some(url) = &self.database_url {
            overrides.push(("database_url", url.clone()));
        }
        Config::load(self.config.as_deref(), overrides)
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen } => {
                let config = cli
                    .global
                    .load(listen.map(|l| vec![("listen", l)]).unwrap_or_default())?;
                serve(config).await
            }
            Command::Admin { command } => {
                let config = cli.global.load(Vec::new())?;
                telemetry::init("pretty", "warn");
                admin::run(config, command).await
            }
            Command::Api(args) => {
                if let Err(e) = api::run(*args).await {
                    // The envelope's message and validation messages, or the OAuth error,
                    // as they came; the exit status tells scripts it failed.
                    eprintln!("error: {e:#}");
                    std::process::exit(1);
                }
                Ok(())
            }
        }
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    telemetry::init(&config.log_format, &config.log);
    for key in Config::unknown_env_keys() {
        tracing::warn!(variable = %key, "unknown setting in the environment; ignored");
    }
    tracing::info!(?config, "starting");
    let app = Application::build(config)
        .await
        .context("starting the server")?;
    let shutdown = shutdown_signal();
    if let Some(path) = &app.initial_credentials {
        tracing::warn!(
            file = %path.display(),
            "first start: created the platform, a reseller and its API client; its credentials are in this file (shown once, mode 0600)"
        );
    }
    if let Some(path) = &app.initial_admin_link {
        tracing::warn!(
            file = %path.display(),
            "first start: created the platform administrator; the link to set their password is in this file (valid 7 days, mode 0600)"
        );
    }
    tracing::info!(address = %app.local_addr(), issuer = %app.issuer(), "listening");
    app.run(shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}
