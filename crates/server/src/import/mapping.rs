//! (being written)

use crate::jobs::{JobContext, JobError};

pub async fn run(_context: &JobContext) -> Result<(), JobError> {
    Err(JobError::Failed("not yet".into()))
}
