use sqlx::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key was violated; the payload names what already exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The operation would break a rule the data must keep (e.g. deleting a role in use).
    #[error("{0}")]
    Refused(String),
    /// The request breaks a rule of the data; one message per problem, for `validationMessages`.
    #[error("invalid request: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("configuration: {0}")]
    Config(String),
    /// A job's write found that the job is no longer this server's: its lease ran out and
    /// another server took it back.
    #[error("the job was taken over by another server")]
    LeaseLost,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Turns a unique-key violation into [`StoreError::Conflict`]. Detected by error kind, not by
/// constraint name, because SQLite reports none.
pub(crate) trait OnUnique<T> {
    fn on_unique(self, what: &'static str) -> Result<T, StoreError>;
}

impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique(self, what: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
                StoreError::Conflict(what)
            }
            _ => StoreError::Database(e),
        })
    }
}

/// True when `e` is a unique-key violation the database reported.
pub(crate) fn is_unique(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(db)) if db.kind() == ErrorKind::UniqueViolation)
        || matches!(e, StoreError::Conflict(_))
}
