//! The job runner: every server runs queued jobs in the background, a few at a time.
//!
//! Jobs are rows (`latchkey_store::jobs` explains the claim, the lease and the reclaim). This
//! loop, started by [`crate::Application::run`], wakes when this server queues a job
//! ([`Jobs::wake`]) and otherwise polls, so jobs queued on another replica start within a
//! second. Each claimed job runs in its own task beside a heartbeat that renews its lease; the
//! job's outcome ends it `Finished` or `FinishedWithError` with the reason. A job whose lease
//! was taken over stops at its next write and leaves the ending to its new owner.
//!
//! The loop also purges expired uploads, and ends the jobs that were taken back too often
//! ([`latchkey_store::Store::end_abandoned_jobs`]), so a job cut by `kill -9` either resumes on
//! the next claim or ends with the reason: it never stays Running. On a graceful stop the
//! server hands its jobs back ([`release`]) and they resume at the next start or on another
//! replica.
//!
//! What a job does is chosen by its kind ([`execute`]); the import jobs are in
//! [`crate::import`].

use std::sync::Arc;
use std::time::Duration;

use latchkey_domain::authz::{CompanyScope, job_scope};
use latchkey_store::StoreError;
use latchkey_store::jobs::ClaimedJob;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::state::AppState;

/// This server's identity as a lease owner, and the bell that starts queued jobs at once.
pub struct Jobs {
    owner: Arc<str>,
    wake: Notify,
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

impl Jobs {
    pub fn new() -> Self {
        Self {
            // Unique per process start: a restarted server must not pass for its former self
            // and keep the leases of the jobs it was running when it died.
            owner: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()).into(),
            wake: Notify::new(),
        }
    }

    /// Tells the runner a job was queued (or a worker freed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }
}

/// How a job ended when it did not finish.
#[derive(Debug)]
pub enum JobError {
    /// The job cannot do what it was asked; the message is for the caller (`errorMessage`).
    Failed(String),
    Store(StoreError),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Store(e)
    }
}

/// What a running job is given: the server, the job, and the company it works for.
pub struct JobContext {
    pub state: AppState,
    pub job: ClaimedJob,
    pub scope: CompanyScope,
}

/// The runner loop; runs until aborted.
pub async fn run(state: AppState) {
    let lease = Duration::from_secs(state.config.job_lease_seconds);
    let workers = Arc::new(Semaphore::new(state.config.job_workers as usize));
    let mut running = JoinSet::new();
    let mut tick = tokio::time::interval((lease / 3).min(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Expired uploads are purged every minute, or as often as they expire when that is sooner.
    let purge_every = Duration::from_secs(state.config.import_transaction_seconds.clamp(1, 60));
    let mut purged = tokio::time::Instant::now();
    loop {
        while running.try_join_next().is_some() {}
        if purged.elapsed() >= purge_every {
            purged = tokio::time::Instant::now();
            match state.store.purge_expired_imports().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(transactions = n, "purged expired uploads"),
                Err(e) => tracing::warn!(error = %e, "purging expired uploads failed"),
            }
        }
        match state.store.end_abandoned_jobs().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "ended jobs interrupted too many times"),
            Err(e) => tracing::warn!(error = %e, "ending abandoned jobs failed"),
        }
        while let Ok(permit) = workers.clone().try_acquire_owned() {
            match state
                .store
                .claim_job(&state.jobs.owner, lease_ms(lease))
                .await
            {
                Ok(Some(job)) => {
                    let state = state.clone();
                    running.spawn(async move {
                        run_one(&state, job).await;
                        drop(permit);
                        state.jobs.wake();
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming a job failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tick.tick() => {}
            () = state.jobs.wake.notified() => {}
        }
    }
}

/// Hands back the jobs this server holds, after [`run`] was stopped: they resume at once on
/// another replica or at the next start.
pub async fn release(state: &AppState) {
    match state.store.release_jobs(&state.jobs.owner).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(jobs = n, "handed running jobs back for another server"),
        Err(e) => tracing::warn!(error = %e, "handing running jobs back failed"),
    }
}

fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
}

async fn run_one(state: &AppState, job: ClaimedJob) {
    let lease = Duration::from_secs(state.config.job_lease_seconds);
    tracing::info!(job = %job.resource_id, kind = %job.kind, attempt = job.attempt, "job started");
    let heartbeat = {
        let state = state.clone();
        let held = job.lease.clone();
        AbortOnDrop(tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match state.store.renew_lease(&held, lease_ms(lease)).await {
                    Ok(true) => {}
                    // Taken over: the job's next write notices and stops it.
                    Ok(false) => break,
                    Err(e) => tracing::warn!(error = %e, "renewing a job's lease failed"),
                }
            }
        }))
    };
    // In a task of its own so that a panic ends the job, not the runner.
    let work = {
        let state = state.clone();
        let job = job.clone();
        AbortOnDrop(tokio::spawn(async move { execute(state, job).await }))
    };
    let outcome = match work.join().await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(JobError::Failed(message))) => Err(message),
        Ok(Err(JobError::Store(StoreError::LeaseLost))) => {
            tracing::warn!(job = %job.resource_id, "job taken over by another server; stopped here");
            return;
        }
        Ok(Err(JobError::Store(e))) => {
            tracing::error!(job = %job.resource_id, error = %e, "job failed");
            Err("The job stopped on an internal error; what it had completed is kept".to_owned())
        }
        Err(e) => {
            tracing::error!(job = %job.resource_id, error = %e, "job panicked");
            Err("The job stopped on an internal error; what it had completed is kept".to_owned())
        }
    };
    drop(heartbeat);
    let failed = outcome.as_ref().err().cloned();
    match state.store.finish_job(&job.lease, outcome).await {
        Ok(true) => match failed {
            None => tracing::info!(job = %job.resource_id, "job finished"),
            Some(reason) => {
                tracing::warn!(job = %job.resource_id, reason = %reason, "job finished with an error")
            }
        },
        Ok(false) => {
            tracing::warn!(job = %job.resource_id, "job ended elsewhere before it finished here")
        }
        Err(e) => {
            tracing::error!(job = %job.resource_id, error = %e, "recording a job's end failed")
        }
    }
}

/// Runs a claimed job by its kind.
async fn execute(state: AppState, job: ClaimedJob) -> Result<(), JobError> {
    let company = state
        .store
        .find_company(&job.company)
        .await?
        .ok_or_else(|| JobError::Failed("The job's company no longer exists".into()))?;
    let context = JobContext {
        scope: job_scope(company, job.resource_id.as_str(), job.queued_by.clone()),
        state,
        job,
    };
    match context.job.kind.as_str() {
        crate::import::MAPPING_JOB => crate::import::mapping::run(&context).await,
        crate::import::IMPORT_JOB => crate::import::apply::run(&context).await,
        other => Err(JobError::Failed(format!(
            "This server does not know jobs of kind '{other}'"
        ))),
    }
}

/// Aborts a task when dropped (when the runner stops, or the job it belongs to ends).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> AbortOnDrop<T> {
    async fn join(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
