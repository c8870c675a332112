//! The one write path, and the audit log it keeps.
//!
//! Every change of record goes through [`Store::write`]: it takes the [`CompanyScope`], which
//! carries the acting principal, opens the database transaction the change is made in, collects
//! the change's audit entries ([`Write::record`]) and, on [`Write::commit`], appends them to the
//! company's hash chain and commits change and records together. No other code in the store
//! opens a transaction; what a write changes and what the log says about it cannot part.
//!
//! [`Store::housekeeping`] is the same transaction without a record, for the server's own
//! bookkeeping that changes nothing a tenant owns: job leases and progress, an upload's staging
//! rows, sessions' last-seen times, signing-key pruning. It cannot record entries.
//!
//! The chain: each company's records are numbered (`seq`) and each one's `hash` covers the
//! previous one's (see [`latchkey_domain::audit::chain_hash`]). The head of each chain is a
//! row of `audit_chain_heads` that a writer updates before appending: on PostgreSQL that locks
//! the row until commit, so writers of one company append one after the other even across
//! replicas; on SQLite the write transaction already excludes other writers.

use latchkey_domain::audit::{ChainedFields, Entry, GENESIS, Operation, chain_hash};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::now_millis;
use latchkey_proto::search::SearchRequest;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Backend, Store, StoreError};

/// A change in progress: the transaction, who makes it, and what the audit log will say.
pub(crate) struct Write {
    tx: Transaction<'static, Any>,
    scope: Option<CompanyScope>,
    /// Each entry with the company whose log it goes to.
    entries: Vec<(i64, Entry)>,
    backend: Backend,
    /// On SQLite, this process's turn to write, held until the transaction ends (declared
    /// after `tx`, so it is given up only once the transaction is).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for Write {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Store {
    /// Starts a change made by the scope's actor in the scope's company.
    pub(crate) async fn write(&self, scope: &CompanyScope) -> Result<Write, StoreError> {
        self.open_write(Some(scope.clone())).await
    }

    /// Starts bookkeeping that no audit record describes (see the module's documentation).
    pub(crate) async fn housekeeping(&self) -> Result<Write, StoreError> {
        self.open_write(None).await
    }

    /// The one place the store opens a write transaction.
    ///
    /// On SQLite it begins `IMMEDIATE`, taking the write lock at once (waiting out the busy
    /// timeout for it): a deferred transaction that reads first, as a delete that checks for
    /// children does, would hold a read snapshot that it cannot upgrade once another writer
    /// has committed, and SQLite fails it at once with `SQLITE_BUSY` instead of waiting.
    /// PostgreSQL locks rows as they are written, and its plain `BEGIN` is the right one.
    ///
    /// SQLite has one writer at a time, and a writer that finds the lock taken sleeps in its
    /// busy handler (1 ms, 2 ms, 5 ms, … up to 100 ms at a time) rather than being woken when
    /// it is free: under concurrent writes most of the time went to sleeping, and the slowest
    /// waited for hundreds of milliseconds. So this process's writers queue for their turn on
    /// an async mutex first, in order and woken at once; the busy timeout is left to writers of
    /// other processes (`latchkey admin`, a second server on the same file).
    async fn open_write(&self, scope: Option<CompanyScope>) -> Result<Write, StoreError> {
        let (tx, turn) = match self.backend {
            Backend::Sqlite => {
                let turn = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    self.writer_turn.clone().lock_owned(),
                )
                .await
                // As long as the pool would wait for a connection: the same kind of failure.
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
                (self.pool().begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres => (self.pool().begin().await?, None),
        };
        Ok(Write {
            _turn: turn,
            tx,
            scope,
            entries: Vec::new(),
            backend: self.backend,
        })
    }
}

impl Write {
    /// Adds what the audit log of the scope's company says about this change. Bookkeeping
    /// takes none.
    pub(crate) fn record(&mut self, entry: Entry) {
        let company = self.scope.as_ref().map_or(0, CompanyScope::company_id);
        self.entries.push((company, entry));
    }

    /// Whether this write can record entries (it is not bookkeeping).
    pub(crate) fn is_recorded(&self) -> bool {
        self.scope.is_some()
    }

    /// Adds an entry to the log of another company the change concerns: the parent of a
    /// company deleted (whose own log no one could read any more), or the company of a client
    /// created at the first start.
    pub(crate) fn record_for(&mut self, company_id: i64, entry: Entry) {
        self.entries.push((company_id, entry));
    }

    /// Records this write's entries in `scope` from now on: for the first start, whose
    /// company does not exist until the write has made it.
    pub(crate) fn record_as(&mut self, scope: CompanyScope) {
        self.scope = Some(scope);
    }

    /// Appends the recorded entries to their companies' chains and commits them with the
    /// change.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        if !self.entries.is_empty() {
            let Some(scope) = self.scope.take() else {
                return Err(StoreError::Corrupt(
                    "bookkeeping cannot record audit entries".into(),
                ));
            };
            // Chains in the order of their companies, so that two writes that touch the same
            // chains lock their heads in the same order and cannot deadlock.
            let mut by_company: std::collections::BTreeMap<i64, Vec<Entry>> = Default::default();
            for (company, entry) in std::mem::take(&mut self.entries) {
                by_company.entry(company).or_default().push(entry);
            }
            for (company, entries) in by_company {
                append(&mut self.tx, self.backend, &scope, company, &entries).await?;
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// Columns of a record as inserted, in bind order.
const INSERT_COLUMNS: &str = "resource_id, company_id, seq, log_time, actor_kind, user_key, \
    user_name, entity_name, entity_resource_id, operation, old_value, new_value, ip, user_agent, \
    description, prev_hash, hash";
const BINDS_PER_RECORD: usize = 17;

/// Writes `entries`, made by the scope's actor, as the next records of `company_id`, in one
/// multi-row statement (or a few, for very large batches).
async fn append(
    conn: &mut AnyConnection,
    backend: Backend,
    scope: &CompanyScope,
    company_id: i64,
    entries: &[Entry],
) -> Result<(), StoreError> {
    // Takes the chain head (creating it for a company's first record); the update locks it.
    let head = sqlx::query(
        "INSERT INTO audit_chain_heads (company_id, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (company_id) DO UPDATE SET seq = audit_chain_heads.seq \
         RETURNING seq, hash",
    )
    .bind(company_id)
    .bind(GENESIS)
    .fetch_one(&mut *conn)
    .await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut prev: String = head.try_get("hash")?;
    let actor = scope.actor();
    let now = now_millis();

    struct Prepared {
        resource_id: String,
        seq: i64,
        old: Option<String>,
        new: Option<String>,
        prev: String,
        hash: String,
    }
    let mut prepared = Vec::with_capacity(entries.len());
    for e in entries {
        seq += 1;
        let resource_id = ResourceId::generate().as_str().to_owned();
        let old = e.old_value.as_ref().map(|v| v.to_string());
        let new = e.new_value.as_ref().map(|v| v.to_string());
        let hash = chain_hash(
            &prev,
            &ChainedFields {
                company_id,
                seq,
                resource_id: &resource_id,
                log_time: now,
                actor_kind: actor.kind.as_str(),
                user_key: actor.key,
                user_name: &actor.name,
                entity_name: e.entity_name,
                entity_resource_id: &e.entity_resource_id,
                operation: e.operation.code(),
                old_value: old.as_deref(),
                new_value: new.as_deref(),
                ip: actor.ip.as_deref(),
                user_agent: actor.user_agent.as_deref(),
                description: &e.description,
            },
        );
        prepared.push(Prepared {
            resource_id,
            seq,
            old,
            new,
            prev: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }

    let per_statement = backend.rows_per_statement(BINDS_PER_RECORD);
    for (chunk_entries, chunk) in entries
        .chunks(per_statement)
        .zip(prepared.chunks(per_statement))
    {
        let mut params = Params::new(backend);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (e, p) in chunk_entries.iter().zip(chunk) {
            let cells = [
                params.text(p.resource_id.as_str()),
                params.int(company_id),
                params.int(p.seq),
                params.int(now),
                params.text(actor.kind.as_str()),
                params.int(actor.key),
                params.text(actor.name.as_str()),
                params.text(e.entity_name),
                params.text(e.entity_resource_id.as_str()),
                params.int(e.operation.code()),
                params.optional_text(p.old.as_deref()),
                params.optional_text(p.new.as_deref()),
                params.optional_text(actor.ip.as_deref()),
                params.optional_text(actor.user_agent.as_deref()),
                params.text(e.description.as_str()),
                params.text(p.prev.as_str()),
                params.text(p.hash.as_str()),
            ];
            tuples.push(format!("({})", cells.join(", ")));
        }
        let sql = format!(
            "INSERT INTO audit_logs ({INSERT_COLUMNS}) VALUES {}",
            tuples.join(", ")
        );
        params.apply(sqlx::query(&sql)).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_chain_heads SET seq = $1, hash = $2 WHERE company_id = $3")
        .bind(seq)
        .bind(prev)
        .bind(company_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One audit record as stored.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub resource_id: String,
    pub company_id: i64,
    pub seq: i64,
    pub log_time: i64,
    pub actor_kind: String,
    pub user_key: i64,
    pub user_name: String,
    pub entity_name: String,
    pub entity_resource_id: String,
    pub operation: i64,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub description: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// The operation's name (`Create`, …).
    pub fn operation_name(&self) -> &'static str {
        Operation::from_code(self.operation).map_or("Unknown", Operation::as_str)
    }

    /// The hash this record's fields and `prev` give.
    fn computed_hash(&self, prev: &str) -> String {
        chain_hash(
            prev,
            &ChainedFields {
                company_id: self.company_id,
                seq: self.seq,
                resource_id: &self.resource_id,
                log_time: self.log_time,
                actor_kind: &self.actor_kind,
                user_key: self.user_key,
                user_name: &self.user_name,
                entity_name: &self.entity_name,
                entity_resource_id: &self.entity_resource_id,
                operation: self.operation,
                old_value: self.old_value.as_deref(),
                new_value: self.new_value.as_deref(),
                ip: self.ip.as_deref(),
                user_agent: self.user_agent.as_deref(),
                description: &self.description,
            },
        )
    }
}

const OPERATIONS: &[(&str, i64)] = &[
    ("Create", 0),
    ("Update", 1),
    ("Delete", 2),
    ("CreateMany", 3),
    ("UpdateMany", 4),
    ("DeleteMany", 5),
];

/// What audit records can be searched and sorted by.
pub const AUDIT_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("UserName", "l.user_name"),
        Field::text("EntityName", "l.entity_name"),
        Field::of("EntityResourceId", "l.entity_resource_id", Kind::Text),
        Field::of("Operation", "l.operation", Kind::Enum(OPERATIONS)),
        Field::text("Ip", "l.ip"),
        Field::text("UserAgent", "l.user_agent"),
        Field::text("AuditDescription", "l.description"),
        Field::text("OldValue", "l.old_value"),
        Field::text("NewValue", "l.new_value"),
        Field::of("ResourceId", "l.resource_id", Kind::Text),
        Field::of("LogDate", "l.log_time", Kind::Date),
        Field::of("CreateTime", "l.log_time", Kind::Date),
        Field::of("Sequence", "l.seq", Kind::Number),
    ],
    default_order: "LogDate",
    tiebreak: "l.seq",
};

pub(crate) const RECORD_COLUMNS: &str = "SELECT l.resource_id, l.company_id, l.seq, l.log_time, l.actor_kind, \
    l.user_key, l.user_name, l.entity_name, l.entity_resource_id, l.operation, l.old_value, \
    l.new_value, l.ip, l.user_agent, l.description, l.prev_hash, l.hash";

pub(crate) fn record_row(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        resource_id: row.try_get("resource_id")?,
        company_id: row.try_get("company_id")?,
        seq: row.try_get("seq")?,
        log_time: row.try_get("log_time")?,
        actor_kind: row.try_get("actor_kind")?,
        user_key: row.try_get("user_key")?,
        user_name: row.try_get("user_name")?,
        entity_name: row.try_get("entity_name")?,
        entity_resource_id: row.try_get("entity_resource_id")?,
        operation: row.try_get("operation")?,
        old_value: row.try_get("old_value")?,
        new_value: row.try_get("new_value")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        description: row.try_get("description")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// The search over one company's records: a company sees its own log, and a reseller a
/// customer's when it acts on that customer.
fn audit_search(
    backend: Backend,
    scope: &CompanyScope,
    request: &SearchRequest,
) -> Result<SearchQuery<AuditRecord>, StoreError> {
    let mut params = Params::new(backend);
    let company = params.int(scope.company_id());
    SearchQuery::new(
        &AUDIT_SEARCH,
        request,
        params,
        RECORD_COLUMNS,
        |condition| format!("FROM audit_logs l WHERE l.company_id = {company} AND {condition}"),
        record_row,
    )
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub company_id: i64,
    /// The first record that does not verify; `None` when the records verify but the chain's
    /// head says more were written (records removed from the end).
    pub resource_id: Option<String>,
    pub seq: i64,
    pub reason: String,
}

/// What verifying every chain found.
#[derive(Debug, Clone, Default)]
pub struct ChainReport {
    pub companies: u64,
    pub records: u64,
    /// The first broken link of each broken chain.
    pub broken: Vec<BrokenLink>,
}

impl Store {
    /// Records that a token request of the scope's client was refused, once per client and
    /// minute (`minute` = Unix minutes): later refusals in the same minute, on this server or
    /// another, add nothing. Answers whether this call wrote the record.
    pub async fn record_token_refusal(
        &self,
        scope: &CompanyScope,
        client_key: i64,
        client_resource_id: &str,
        minute: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write(scope).await?;
        let first = sqlx::query(
            "INSERT INTO audit_refusals (client_key, minute) VALUES ($1, $2) \
             ON CONFLICT (client_key, minute) DO NOTHING",
        )
        .bind(client_key)
        .bind(minute)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if first {
            tx.record(Entry::new(
                "TokenRequest",
                client_resource_id,
                Operation::Update,
                format!("Token refused: {reason} (recorded once a minute per client)"),
            ));
        }
        tx.commit().await?;
        Ok(first)
    }

    /// Forgets refusal minutes older than `before` (Unix minutes).
    pub async fn purge_token_refusals(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit_refusals WHERE minute < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// One page of the scope company's audit records.
    pub async fn search_audit_logs(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<(Vec<AuditRecord>, i64, Compiled), StoreError> {
        audit_search(self.backend, scope, request)?.page(self).await
    }

    /// The records of an export, streamed.
    pub fn export_audit_logs(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<AuditRecord, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(audit_search(self.backend, scope, request)?.stream(self))
    }

    /// Checks every company's chain: sequence numbers without gaps, each record's `prev_hash`
    /// the previous record's hash, each `hash` the one its fields give, and the chain's head
    /// at the last record. Reads the log once, in chain order.
    pub async fn verify_audit_chains(&self) -> Result<ChainReport, StoreError> {
        use futures_util::TryStreamExt;
        let mut report = ChainReport::default();
        let heads: std::collections::BTreeMap<i64, (i64, String)> =
            sqlx::query("SELECT company_id, seq, hash FROM audit_chain_heads")
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| -> Result<_, StoreError> {
                    Ok((
                        r.try_get("company_id")?,
                        (r.try_get("seq")?, r.try_get("hash")?),
                    ))
                })
                .collect::<Result<_, _>>()?;
        let sql = format!("{RECORD_COLUMNS} FROM audit_logs l ORDER BY l.company_id, l.seq");
        let mut rows = sqlx::query(&sql).fetch(self.pool());
        // The chain being read: company, last seq, last hash, and whether it already broke.
        let mut current: Option<(i64, i64, String, bool)> = None;
        let mut seen = std::collections::BTreeSet::new();
        let finish = |report: &mut ChainReport, chain: &(i64, i64, String, bool)| {
            let (company_id, seq, hash, broken) = chain;
            if *broken {
                return;
            }
            let (head_seq, head_hash) = heads
                .get(company_id)
                .cloned()
                .unwrap_or((0, GENESIS.to_owned()));
            if head_seq != *seq || &head_hash != hash {
                report.broken.push(BrokenLink {
                    company_id: *company_id,
                    resource_id: None,
                    seq: head_seq,
                    reason: format!(
                        "the chain's head is record {head_seq}, but the last record is {seq}: records are missing"
                    ),
                });
            }
        };
        while let Some(row) = rows.try_next().await? {
            let r = record_row(&row)?;
            report.records += 1;
            let same = current.as_ref().is_some_and(|c| c.0 == r.company_id);
            if !same {
                if let Some(chain) = current.take() {
                    finish(&mut report, &chain);
                }
                report.companies += 1;
                seen.insert(r.company_id);
                current = Some((r.company_id, 0, GENESIS.to_owned(), false));
            }
            let Some(chain) = current.as_mut() else {
                continue;
            };
            if chain.3 {
                continue;
            }
            let problem = if r.seq != chain.1 + 1 {
                Some(format!(
                    "record {} follows record {}: records are missing or out of place",
                    r.seq, chain.1
                ))
            } else if r.prev_hash != chain.2 {
                Some("its previous hash is not the hash of the record before it".to_owned())
            } else if r.computed_hash(&chain.2) != r.hash {
                Some("its content does not match its hash: the record was altered".to_owned())
            } else {
                None
            };
            match problem {
                Some(reason) => {
                    chain.3 = true;
                    report.broken.push(BrokenLink {
                        company_id: r.company_id,
                        resource_id: Some(r.resource_id),
                        seq: r.seq,
                        reason,
                    });
                }
                None => {
                    chain.1 = r.seq;
                    chain.2 = r.hash;
                }
            }
        }
        if let Some(chain) = current.take() {
            finish(&mut report, &chain);
        }
        // A chain whose every record is gone.
        for (company_id, (seq, _)) in &heads {
            if *seq > 0 && !seen.contains(company_id) {
                report.companies += 1;
                report.broken.push(BrokenLink {
                    company_id: *company_id,
                    resource_id: None,
                    seq: *seq,
                    reason: format!("the chain's head is record {seq}, but it has no records"),
                });
            }
        }
        Ok(report)
    }
}
