//! Who is calling: client credentials at the token endpoint, bearer tokens on `/api`.
//!
//! - [`registry`]: the in-memory view of every client (status, allow-list, company, roles)
//!   that both checks read, kept current from the store.
//! - [`client_ip`]: the caller's address, through trusted proxies.
//! - [`rate`]: per-client and per-address rate limits.
//! - [`bearer`]: the `/api` pipeline step that turns a bearer token into a [`Caller`] and checks
//!   the route's permission.
//! - [`scope`]: the company a request acts on, resolved and checked into a proof type
//!   ([`scope::Scoped`], [`scope::Reaching`]) before the handler runs.
//! - [`password`]: system users' sign-in (for the console) and the caller a signed-in user is.
//!
//! [`Caller`]: latchkey_domain::authz::Caller

pub mod bearer;
pub mod client_ip;
pub mod password;
pub mod rate;
pub mod registry;
pub mod scope;
