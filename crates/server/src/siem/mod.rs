//! SIEM forwarding: every company's audit log delivered to its destinations, at least once.
//!
//! Each destination reads its company's chain through its own cursor, persisted in the
//! database (`latchkey_store::siem`): the records are the outbox, written in the transaction
//! of the change they describe, so a record committed is a record that will be sent, whatever
//! crashes in between. [`run`] (started by [`crate::Application::run`]) leases the active
//! destinations to this server, one server per destination, renewing the leases while it
//! lives; each leased destination gets a worker that sends batches from its cursor and moves
//! the cursor only after a batch went through:
//! - syslog over TCP or TLS: written to a connection the receiver had not closed;
//! - syslog over UDP: sent (UDP cannot confirm anything);
//! - Splunk HEC: answered `Success`, and acknowledged as indexed when the collector uses
//!   indexer acknowledgment.
//!
//! A syslog write can succeed into buffers that a dying receiver never reads (a datagram, into
//! nothing at all), so a syslog batch counts as arrived (the second cursor, the one a server
//! resumes from after a crash) only once the [`REPLAY_WINDOW`] has passed since it was written
//! with no failure; a failure, or a crash, sends again what had not. Duplicates carry the
//! record's id, in CEF `externalId`, for the receiver to drop. The collector answers for each
//! HEC batch, so HEC resends only the batch that failed.
//!
//! A failure is noted on the destination (its last error, time and count, visible through the
//! API and the console) and the batch is tried again after a wait that doubles from one
//! second up to `siem_retry_max_seconds`; attempts never stop, and nothing is skipped. A
//! server that is stopped hands its destinations back; one that dies loses them when its
//! lease runs out, and the next server resumes from the cursor.

mod format;
mod hec;
mod syslog;
pub mod tls;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_domain::siem::{Destination, TYPE_SPLUNK};
use latchkey_domain::time::now_millis;
use latchkey_store::audit::AuditRecord;
use latchkey_store::siem::SiemSettingRow;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

pub use format::Source;

/// A syslog batch counts as arrived once this long has passed since it was written with no
/// failure after it; until then a failure, or a server taking over after a crash, sends it
/// again.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(10);
/// The context the HEC token is sealed under.
pub const TOKEN_SEAL_CONTEXT: &str = "siem-hec-token";

/// A destination ready to send to.
pub enum Sender {
    Syslog(syslog::SyslogSender),
    Hec(hec::HecSender),
}

impl Sender {
    /// A sender for `destination`; a Splunk destination needs its token in clear.
    pub fn new(
        destination: &Destination,
        token: Option<&str>,
        ca_pem: Option<&str>,
    ) -> Result<Self, String> {
        match destination {
            Destination::Splunk { api_url, .. } => {
                let token = token.ok_or("the Splunk token is missing")?;
                Ok(Self::Hec(hec::HecSender::new(api_url, token, ca_pem)?))
            }
            Destination::Syslog {
                server_address,
                port,
                transport,
            } => Ok(Self::Syslog(syslog::SyslogSender::new(
                server_address,
                *port,
                *transport,
                ca_pem,
            )?)),
        }
    }

    /// Sends the records; answers what the receiver said, where it says anything.
    pub async fn send(
        &mut self,
        source: &Source,
        records: &[AuditRecord],
    ) -> Result<String, String> {
        match self {
            Self::Syslog(s) => {
                let messages: Vec<String> =
                    records.iter().map(|r| format::syslog(source, r)).collect();
                s.send(&messages).await?;
                Ok(if s.confirms() {
                    "written to the receiver's connection".to_owned()
                } else {
                    "sent over UDP; UDP cannot confirm delivery, look for it at the receiver"
                        .to_owned()
                })
            }
            Self::Hec(h) => {
                let events: Vec<serde_json::Value> = records
                    .iter()
                    .map(|r| format::hec_event(source, r))
                    .collect();
                h.send(&events).await
            }
        }
    }

    /// Whether a failure may have lost what was sent before it: a syslog write succeeds into
    /// buffers (or a datagram leaves) with no word from the receiver, while the collector
    /// answers each HEC batch, so what it took it has.
    fn replays(&self) -> bool {
        matches!(self, Self::Syslog(_))
    }

    fn reset(&mut self) {
        if let Self::Syslog(s) = self {
            s.reset();
        }
    }
}

/// The HEC token of a stored destination, unsealed.
pub fn stored_token(state: &AppState, setting: &SiemSettingRow) -> Result<Option<String>, String> {
    let Some(sealed) = &setting.token_sealed else {
        return Ok(None);
    };
    let clear = state.sealer.open(sealed, TOKEN_SEAL_CONTEXT).map_err(|_| {
        "the stored token cannot be unsealed with this server's master key".to_owned()
    })?;
    String::from_utf8(clear)
        .map(Some)
        .map_err(|_| "the stored token is not text".to_owned())
}

/// A sender for a stored destination.
fn sender_for(state: &AppState, setting: &SiemSettingRow) -> Result<Sender, String> {
    let destination = setting
        .destination()
        .ok_or("the stored destination is incomplete")?;
    let token = if setting.type_id == TYPE_SPLUNK {
        stored_token(state, setting)?
    } else {
        None
    };
    Sender::new(&destination, token.as_deref(), setting.ca_pem.as_deref())
}

/// A running worker and the settings it was started with.
struct Worker {
    update_time: i64,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// Leases destinations and keeps one worker per leased destination, until aborted.
pub async fn run(state: AppState) {
    // The job runner's identity: unique per process start, so a restarted server does not
    // pass for its former self and keep that one's leases.
    let owner: Arc<str> = state.jobs.owner().into();
    let lease = Duration::from_secs(state.config.siem_lease_seconds.max(1));
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let renew_every = (lease / 5).max(Duration::from_millis(200));
    let mut workers: HashMap<i64, Worker> = HashMap::new();
    loop {
        match state.store.claim_siem_destinations(&owner, lease_ms).await {
            Ok(held) => {
                let keys: std::collections::HashSet<i64> = held.iter().map(|s| s.key).collect();
                // Destinations lost (deleted, paused, or taken over) stop.
                workers.retain(|key, w| {
                    let keep = keys.contains(key) && !w.task.is_finished();
                    if !keep {
                        w.stop.cancel();
                    }
                    keep
                });
                for setting in held {
                    if let Some(w) = workers.get(&setting.key) {
                        if w.update_time == setting.update_time {
                            continue;
                        }
                        // Changed settings: the worker starts over with them.
                        w.stop.cancel();
                    }
                    let stop = CancellationToken::new();
                    let key = setting.key;
                    let update_time = setting.update_time;
                    let task = tokio::spawn(deliver(
                        state.clone(),
                        owner.clone(),
                        lease_ms,
                        setting,
                        stop.clone(),
                    ));
                    workers.insert(
                        key,
                        Worker {
                            update_time,
                            stop,
                            task,
                        },
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming SIEM destinations failed"),
        }
        tokio::time::sleep(renew_every).await;
    }
}

/// Hands this server's destinations back, for another server to take at once (a graceful
/// stop, after [`run`] was aborted).
pub async fn release(state: &AppState) {
    if let Err(e) = state
        .store
        .release_siem_destinations(state.jobs.owner())
        .await
    {
        tracing::warn!(error = %e, "handing SIEM destinations back failed");
    }
}

/// Sends one destination's records from its cursor until stopped or its lease is lost.
async fn deliver(
    state: AppState,
    owner: Arc<str>,
    lease_ms: i64,
    setting: SiemSettingRow,
    stop: CancellationToken,
) {
    let source = Source::new(
        &setting.cef_vendor,
        &setting.cef_product,
        &setting.company_resource_id,
    );
    let poll = Duration::from_millis(state.config.siem_poll_ms.max(10));
    let cap = Duration::from_secs(state.config.siem_retry_max_seconds.max(1));
    let batch = i64::from(state.config.siem_batch_size.max(1));
    // Sent up to `position`; sure to have arrived up to `confirmed`. A syslog batch is
    // confirmed once it is older than the replay window with no failure since; a failure
    // resends everything not confirmed. The collector answers for each HEC batch, so there
    // `confirmed` follows `position`.
    let mut position = setting.delivery.confirmed_seq;
    let mut confirmed = position;
    let mut persisted = (setting.delivery.delivered_seq, confirmed);
    // Batches sent and not yet confirmed: (the last record of each, when).
    let mut written: VecDeque<(i64, Instant)> = VecDeque::new();
    let mut pending_count: i64 = 0;
    let mut failures: u32 = 0;
    let mut sender: Option<Sender> = None;
    let wait = |d: Duration| {
        let stop = stop.clone();
        async move {
            tokio::select! {
                () = stop.cancelled() => false,
                () = tokio::time::sleep(d) => true,
            }
        }
    };
    // A failed attempt: noted, what was not confirmed resent, and a wait that doubles.
    macro_rules! failed {
        ($error:expr) => {{
            let error: String = $error;
            failures = failures.saturating_add(1);
            let backoff = Duration::from_secs(1u64 << (failures - 1).min(16)).min(cap);
            let next = now_millis() + i64::try_from(backoff.as_millis()).unwrap_or(i64::MAX);
            tracing::warn!(destination = %setting.resource_id, %error, attempt = failures,
                "SIEM delivery failed; retrying");
            position = confirmed;
            written.clear();
            if let Some(s) = sender.as_mut() {
                s.reset();
            }
            match state
                .store
                .siem_failed(setting.key, &owner, &error, position, next, lease_ms)
                .await
            {
                Ok(true) => persisted.0 = position,
                _ => return,
            }
            if !wait(backoff).await {
                return;
            }
            continue;
        }};
    }
    loop {
        if stop.is_cancelled() {
            return;
        }
        // Batches older than the window are confirmed.
        while written
            .front()
            .is_some_and(|(_, at)| at.elapsed() > REPLAY_WINDOW)
        {
            if let Some((last, _)) = written.pop_front() {
                confirmed = last;
            }
        }
        if persisted != (position, confirmed) {
            match state
                .store
                .siem_delivered(
                    setting.key,
                    &owner,
                    position,
                    confirmed,
                    pending_count,
                    lease_ms,
                )
                .await
            {
                Ok(true) => {
                    persisted = (position, confirmed);
                    pending_count = 0;
                }
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "saving a SIEM cursor failed"),
            }
        }
        let records = match state
            .store
            .audit_records_after(setting.company_id, position, batch)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "reading the audit log for SIEM delivery failed");
                if !wait(poll * 10).await {
                    return;
                }
                continue;
            }
        };
        let Some(last) = records.last().map(|r| r.seq) else {
            if !wait(poll).await {
                return;
            }
            continue;
        };
        if sender.is_none() {
            match sender_for(&state, &setting) {
                Ok(s) => sender = Some(s),
                Err(e) => failed!(e),
            }
        }
        let Some(s) = sender.as_mut() else { continue };
        let sent = tokio::select! {
            () = stop.cancelled() => return,
            sent = s.send(&source, &records) => sent,
        };
        if let Err(e) = sent {
            failed!(e);
        }
        failures = 0;
        position = last;
        pending_count += i64::try_from(records.len()).unwrap_or(i64::MAX);
        if s.replays() {
            written.push_back((last, Instant::now()));
        } else {
            confirmed = last;
        }
    }
}

/// Sends one test record to a destination: what `…/siem-settings/test` does.
pub async fn test_connection(
    destination: &Destination,
    token: Option<&str>,
    ca_pem: Option<&str>,
    company_resource_id: &str,
    vendor: &str,
    product: &str,
) -> Result<String, String> {
    let mut sender = Sender::new(destination, token, ca_pem)?;
    let now = now_millis();
    let record = AuditRecord {
        resource_id: latchkey_domain::ids::ResourceId::generate()
            .as_str()
            .to_owned(),
        company_id: 0,
        seq: 0,
        log_time: now,
        actor_kind: "System".to_owned(),
        user_key: 0,
        user_name: "Latchkey".to_owned(),
        entity_name: "SiemSetting".to_owned(),
        entity_resource_id: String::new(),
        operation: latchkey_domain::audit::Operation::Update.code(),
        old_value: None,
        new_value: None,
        ip: None,
        user_agent: None,
        description: "Latchkey SIEM connection test".to_owned(),
        prev_hash: String::new(),
        hash: String::new(),
    };
    let source = Source::new(vendor, product, company_resource_id);
    sender.send(&source, std::slice::from_ref(&record)).await
}
