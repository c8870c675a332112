//! System users' passwords: sign-in for the console, the caller a signed-in user becomes, and
//! the Argon2 work behind both.
//!
//! [`sign_in`] answers an unknown email, a wrong password and a locked account alike, after the
//! same work (one Argon2 verification: against a dummy hash for unknown users, against the real
//! one for locked accounts, whose answer is then ignored). Five wrong passwords in a row lock
//! the account for fifteen minutes; a correct one resets the count. The lock is logged, never
//! told to the caller: a distinct answer would tell a guesser that the email exists. Every attempt first passes a per-address
//! rate limit, since each costs a hash. A signed-in user is authorized like a REST API client
//! with the same roles: [`user_caller`] builds the same [`Caller`] from the same
//! [`registry::grant`].

use std::net::IpAddr;

use latchkey_domain::audit::{Actor, ActorKind};
use latchkey_domain::authz::{Caller, Principal, self_scope};
use latchkey_domain::password::{self, Password, locked_for_secs};
use latchkey_domain::time::now_millis;
use latchkey_domain::user::STATUS_ACTIVE;
use latchkey_proto::ResultStatus;
use latchkey_store::system_users::UserRecord;

use super::registry::{self, Grant};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown email, wrong password, no password set yet, or an account locked after
    /// repeated failures: one answer for all four.
    #[error("The email or password is incorrect")]
    InvalidCredentials,
    /// The password was right, but the user is inactive.
    #[error("This account is inactive; ask your administrator to activate it")]
    Inactive,
    /// Too many attempts from this address.
    #[error("Too many sign-in attempts from this address; retry in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    /// The database or the password hash failed; the cause is logged.
    #[error("Sign-in is unavailable; try again later")]
    Internal,
}

impl From<SignInError> for ApiError {
    /// 401 for bad credentials, 403 inactive, 429 (with `Retry-After`) rate-limited.
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::InvalidCredentials => {
                ApiError::new(ResultStatus::Unauthorized, e.to_string())
            }
            SignInError::Inactive => ApiError::forbidden(e.to_string()),
            SignInError::RateLimited { retry_after_secs } => {
                let mut error = ApiError::too_many_requests(retry_after_secs);
                error.message = e.to_string();
                error
            }
            SignInError::Internal => ApiError::new(
                ResultStatus::ServiceUnavailable,
                SignInError::Internal.to_string(),
            ),
        }
    }
}

/// Checks an email and password, and on success returns the user as a caller. `ip` is the
/// caller's address (through trusted proxies, as `client_ip` finds it), for the rate limit.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    ip: IpAddr,
    user_agent: Option<String>,
) -> Result<Caller, SignInError> {
    state
        .sign_in_limiter
        .check(&ip)
        .map_err(|retry_after_secs| SignInError::RateLimited { retry_after_secs })?;
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "sign-in failed internally");
        SignInError::Internal
    };
    let user = state
        .store
        .user_by_email(email)
        .await
        .map_err(|e| internal(&e))?;
    let locked = user
        .as_ref()
        .is_some_and(|u| locked_for_secs(u.credentials.locked_until, now_millis()).is_some());
    // No stored password is longer than the policy allows; a longer one is checked against the
    // dummy hash (same work, certain failure) rather than hashed at whatever length it came.
    let too_long = password.chars().count() > password::MAX_LEN;
    let stored = user
        .as_ref()
        .and_then(|u| u.credentials.password_hash.clone())
        .filter(|_| !too_long);
    let presented = if too_long { "" } else { password };
    let matched = verify_password(state, Password::presented(presented), stored)
        .await
        .map_err(|_| SignInError::Internal)?;
    let Some(user) = user else {
        return Err(SignInError::InvalidCredentials);
    };
    // What happens to the account is the user's own event, recorded in their company's log.
    let scope = self_scope(
        user.company.clone(),
        Actor::new(ActorKind::User, user.key, user.email.as_str())
            .from_origin(Some(ip.to_string()), user_agent),
    );
    if locked {
        // Right or wrong, the same answer after the same hash. Attempts during the lock do not
        // extend it, so a guesser cannot keep the real user out for longer than one lock.
        tracing::info!(user = %user.resource_id, "sign-in refused: the account is locked");
        return Err(SignInError::InvalidCredentials);
    }
    if !matched {
        let locked_until = state
            .store
            .record_sign_in_failure(&scope, user.key)
            .await
            .map_err(|e| internal(&e))?;
        tracing::info!(user = %user.resource_id, "sign-in with a wrong password");
        if locked_until.is_some() {
            tracing::warn!(user = %user.resource_id, "account locked after repeated failed sign-ins");
        }
        return Err(SignInError::InvalidCredentials);
    }
    if user.status_id != STATUS_ACTIVE {
        return Err(SignInError::Inactive);
    }
    state
        .store
        .record_sign_in_success(&scope, user.key)
        .await
        .map_err(|e| internal(&e))?;
    tracing::info!(user = %user.resource_id, "signed in");
    Ok(caller_for(state, &user))
}

/// The caller a signed-in user is now: `None` when the user has been deleted or deactivated
/// since. Roles are read afresh, so a change applies to the next request.
pub async fn user_caller(state: &AppState, user_key: i64) -> ApiResult<Option<Caller>> {
    Ok(state
        .store
        .user_by_key(user_key)
        .await?
        .filter(|u| u.status_id == STATUS_ACTIVE)
        .map(|u| caller_for(state, &u)))
}

/// A user as a caller: the permissions their roles grant in their company, as for a client.
pub fn caller_for(state: &AppState, user: &UserRecord) -> Caller {
    let Grant {
        permissions,
        reseller_access,
    } = registry::grant(
        &state.catalog,
        &user.roles,
        &user.company,
        user.company_is_root,
    );
    Caller::authenticated(
        Principal::User {
            key: user.key,
            resource_id: user.resource_id.clone(),
        },
        user.email.as_str(),
        user.company.clone(),
        reseller_access,
        user.company_is_root,
        permissions,
    )
}

/// Hashes a new password on a blocking thread, one per core at a time.
pub async fn hash_password(state: &AppState, password: Password) -> ApiResult<String> {
    let _permit = state
        .password_work
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Verifies a password on a blocking thread (against a dummy hash when `stored` is `None`).
pub async fn verify_password(
    state: &AppState,
    password: Password,
    stored: Option<String>,
) -> ApiResult<bool> {
    let _permit = state
        .password_work
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    // Counted for operators: every sign-in answer, whatever its outcome, costs one hash.
    metrics::counter!("latchkey_password_verifications_total").increment(1);
    tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref()))
        .await
        .map_err(ApiError::internal)
}
