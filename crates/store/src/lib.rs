//! Persistence: one set of SQL over SQLite (the embedded default) and PostgreSQL (production).
//!
//! The backend is chosen by the URL scheme and reached through sqlx's `Any` driver, so every
//! query is written once. That shapes the schema (see `migrations/`): only integer, text and
//! blob columns, times as Unix milliseconds, flags as 0/1, and `$1` placeholders, which
//! SQLite accepts too. Migrations live in parallel folders with identical names and run at
//! start-up.
//!
//! Every change goes through [`audit`]'s one write path, which commits it with its audit record.
//!
//! One file per resource: [`companies`], [`clients`], [`roles`], [`system_users`], [`keys`],
//! [`target_users`] and [`custom_fields`], [`scim`] (SCIM provisioning),
//! and [`meta`] for counters that tell other processes something changed. Functions that touch
//! tenant data take a [`latchkey_domain::authz::CompanyScope`] or
//! [`latchkey_domain::authz::Reach`], which only the authorization step can build.

pub mod audit;
pub mod bootstrap;
pub mod clients;
pub mod companies;
pub mod company_groups;
pub mod custom_fields;
mod error;
pub mod imports;
pub mod jobs;
pub mod keys;
pub mod lookups;
pub mod meta;
pub mod roles;
pub mod scim;
pub mod search;
pub mod sessions;
pub mod siem;
pub mod system_users;
pub mod tags;
pub mod target_groups;
pub mod target_users;

pub use error::StoreError;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Rows one multi-row statement should carry when each row binds `binds_per_row` values.
    ///
    /// Binding costs SQLite time quadratic in a statement's parameters: sqlx looks each `$N`
    /// up by name (`sqlite3_bind_parameter_name`), a walk of the statement's list of named
    /// parameters. A 100,000-row import in statements of 9,500 binds spent two thirds of its
    /// time there; about 250 binds a statement keeps the walk negligible, and SQLite runs the
    /// extra statements in-process at little cost. PostgreSQL pays a round trip per statement
    /// instead, so it gets large ones (its limit is 65,535 binds).
    pub fn rows_per_statement(self, binds_per_row: usize) -> usize {
        let binds = match self {
            Backend::Sqlite => 250,
            Backend::Postgres => 16_000,
        };
        (binds / binds_per_row.max(1)).max(1)
    }

    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The database handle shared by the whole server. Cloning is cheap.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Kept for the change listener's own connection; never printed (it may hold a password).
    url: std::sync::Arc<str>,
    /// SQLite's writers take turns here, in this process (see `Store::open_write`).
    writer_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The time zones and languages that target users are checked against: reference data
    /// that only migrations change, read once.
    reference: std::sync::Arc<tokio::sync::OnceCell<target_users::Reference>>,
    /// Where new SCIM users queue to be written together (`scim::provisioner`), started on
    /// first use.
    provisioner:
        std::sync::Arc<tokio::sync::OnceCell<tokio::sync::mpsc::UnboundedSender<scim::Pending>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens the database at `url` (creating an SQLite file if needed) and applies pending
    /// migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Config(format!(
                "unsupported database URL scheme (want sqlite: or postgres://): {}",
                redact_url(url)
            ))
        })?;
        let url = match backend {
            // `mode=rwc` creates the file on first start: the zero set-up default.
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside the writer; busy_timeout makes concurrent
                    // writers (another replica, the admin CLI) wait instead of failing.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        let store = Self {
            pool,
            backend,
            url: url.as_str().into(),
            writer_turn: Default::default(),
            reference: Default::default(),
            provisioner: Default::default(),
        };
        store.migrate().await?;
        store.refresh_statistics().await?;
        Ok(store)
    }

    /// Brings the query planner's statistics up to date where the database does not do it by
    /// itself: SQLite (PostgreSQL's autovacuum analyzes changed tables). Cheap when nothing
    /// changed much; the server calls it at start and every minute.
    ///
    /// Without statistics SQLite answers a company search over a reseller's whole subtree by
    /// walking the path index and fetching every row by rowid, twice as slow as a plain scan;
    /// with them (its bundled build keeps STAT4 samples) it estimates each range from the
    /// bound values and scans or uses the index accordingly.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            // 0x10002: analyze every table never analyzed or whose size changed many times
            // over since, not only those this connection has read. No `analysis_limit`: an
            // approximate analysis leaves out the STAT4 samples that range estimates need.
            self.pool.execute("PRAGMA optimize = 0x10002;").await?;
        }
        Ok(())
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A trivial round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Converts a stored 0/1 flag.
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}

/// A store on a fresh database for the crate's own tests: SQLite in a temporary directory, or,
/// when `LATCHKEY_TEST_DATABASE_URL` names a PostgreSQL server, a new database on it (as the
/// integration tests do).
#[cfg(test)]
pub(crate) async fn test_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = match std::env::var("LATCHKEY_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            use sqlx::Connection;
            let name = format!("latchkey_store_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&server)
                .await
                .expect("LATCHKEY_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("a test database");
            let (base, _) = server.rsplit_once('/').unwrap_or((&server, ""));
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.path().join("store.db").display()),
    };
    (Store::open(&url, 2).await.expect("store"), dir)
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://app:s3cret@db:5432/latchkey"),
            "postgres://app:***@db:5432/latchkey"
        );
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
