//! The rules of Latchkey, free of HTTP and SQL.
//!
//! A tour:
//! - [`audit`]: who acts, what an audit record holds, redaction and the hash chain.
//! - [`ids`]: resource ids and client ids, validated at the edge.
//! - [`secret`]: client secrets — generated with 256 bits of entropy, stored as a keyed
//!   SHA-256 digest, compared in constant time.
//! - [`ip`]: per-client IP allow-lists (addresses and CIDR ranges, IPv4 and IPv6).
//! - [`permission`]: permission keys (`companies/search|POST`) and who may hold them.
//! - [`role`]: the built-in roles.
//! - [`user`]: system users' fields (email, names, phone), checked at the edge.
//! - [`target_user`]: target users' rules, the one validation every write of one goes through.
//! - [`siem`]: SIEM destinations (Splunk HEC or syslog over UDP, TCP, TLS), checked at the edge.
//! - [`password`]: Argon2id password hashes, the password policy, one-time set-password
//!   tokens and sign-in lockout.
//! - [`authz`]: the caller, and the [`authz::CompanyScope`] that only the authorization check can
//!   build; store functions on tenant data require one, so a handler cannot skip the check.

pub mod audit;
pub mod authz;
pub mod ids;
pub mod ip;
pub mod password;
pub mod permission;
pub mod role;
pub mod secret;
pub mod siem;
pub mod target_user;
pub mod time;
pub mod user;
