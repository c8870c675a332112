//! The audit log's rules: who acts, what a record holds, what is never written into it, and
//! the hash that chains each record to the previous one of its company.
//!
//! Every change is committed with its record (see the store's `write`), so the record's
//! fields are built here, free of SQL: the [`Actor`] that a scope carries, the
//! [`Operation`], the [`redact`]ion of secrets from old and new values, and [`chain_hash`].

use aws_lc_rs::digest;
use serde_json::Value;

/// What kind of principal acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A REST API client with a bearer token.
    Client,
    /// A system user, signed in to the console (or following one of their links).
    User,
    /// An operator running `latchkey admin` on the server.
    Admin,
    /// A SCIM integration, provisioning from an identity provider with its bearer token.
    Scim,
    /// The server itself: the first start, background jobs, key rotation.
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Client => "Client",
            ActorKind::User => "User",
            ActorKind::Admin => "Admin",
            ActorKind::Scim => "Scim",
            ActorKind::System => "System",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        match s {
            "Client" => ActorKind::Client,
            "User" => ActorKind::User,
            "Admin" => ActorKind::Admin,
            "Scim" => ActorKind::Scim,
            _ => ActorKind::System,
        }
    }
}

/// Who acts, and from where. Carried by every company scope, so a store write always knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The client's or user's database key; 0 for operators and the system.
    pub key: i64,
    /// The client's name or the user's email, as the audit log's `userName` shows it.
    pub name: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    pub fn new(kind: ActorKind, key: i64, name: impl Into<String>) -> Self {
        Self {
            kind,
            key,
            name: name.into(),
            ip: None,
            user_agent: None,
        }
    }

    /// An operator's `latchkey admin` command.
    pub fn admin(command: &str) -> Self {
        Self::new(ActorKind::Admin, 0, format!("latchkey admin {command}"))
    }

    /// The server acting on its own (`what` says as what).
    pub fn system(what: &str) -> Self {
        Self::new(ActorKind::System, 0, what)
    }

    /// The same actor, seen at `ip` with `user_agent`.
    pub fn from_origin(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        // Bounded so that a caller cannot grow every record it causes without limit.
        self.user_agent = user_agent.map(|ua| truncate(&ua, 512));
        self
    }
}

impl Actor {
    /// The actor as stored beside work done later on its behalf (a queued job).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "kind": self.kind.as_str(),
            "key": self.key,
            "name": self.name,
            "ip": self.ip,
            "userAgent": self.user_agent,
        })
    }

    /// The actor [`Actor::to_json`] stored; `None` when `value` is not one.
    pub fn from_json(value: &Value) -> Option<Self> {
        Some(Self {
            kind: ActorKind::from_stored(value["kind"].as_str()?),
            key: value["key"].as_i64()?,
            name: value["name"].as_str()?.to_owned(),
            ip: value["ip"].as_str().map(str::to_owned),
            user_agent: value["userAgent"].as_str().map(str::to_owned),
        })
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// The audit operation (CONTRACT.md §11; DESIGN.md decision 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    CreateMany,
    UpdateMany,
    DeleteMany,
}

impl Operation {
    pub const ALL: [Operation; 6] = [
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::CreateMany,
        Operation::UpdateMany,
        Operation::DeleteMany,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "Create",
            Operation::Update => "Update",
            Operation::Delete => "Delete",
            Operation::CreateMany => "CreateMany",
            Operation::UpdateMany => "UpdateMany",
            Operation::DeleteMany => "DeleteMany",
        }
    }

    /// The number the platform's enumeration gives it, stored and filtered on.
    pub fn code(self) -> i64 {
        match self {
            Operation::Create => 0,
            Operation::Update => 1,
            Operation::Delete => 2,
            Operation::CreateMany => 3,
            Operation::UpdateMany => 4,
            Operation::DeleteMany => 5,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    /// By name (any case) or number.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s) || o.code().to_string() == s)
    }
}

/// One change, as the code that makes it describes it. The actor, company, time and chain are
/// added by the store when the change commits.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The kind of thing changed: `Client`, `TargetUser`, `SignIn`, …
    pub entity_name: &'static str,
    /// The changed thing's resource id (empty for batch operations over many).
    pub entity_resource_id: String,
    pub operation: Operation,
    pub old_value: Option<Value>,
    pub new_value: Option<Value>,
    pub description: String,
}

impl Entry {
    pub fn new(
        entity_name: &'static str,
        entity_resource_id: impl Into<String>,
        operation: Operation,
        description: impl Into<String>,
    ) -> Self {
        Self {
            entity_name,
            entity_resource_id: entity_resource_id.into(),
            operation,
            old_value: None,
            new_value: None,
            description: description.into(),
        }
    }

    /// The state before the change (redacted).
    pub fn old(mut self, value: Value) -> Self {
        self.old_value = Some(redact(value));
        self
    }

    /// The state after the change (redacted).
    pub fn new_state(mut self, value: Value) -> Self {
        self.new_value = Some(redact(value));
        self
    }
}

/// What a redacted value reads.
pub const REDACTED: &str = "***";

/// Replaces the values of keys that hold secrets (secrets, password hashes, tokens, links,
/// digests, keys' private parts) with [`REDACTED`], at any depth. Keys are matched by name,
/// ignoring case, so `clientSecret`, `secret_digest`, `PasswordHash` and `token` all are.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    if is_secret_key(&k) {
                        (k, Value::String(REDACTED.into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "token", "link", "digest", "private"]
        .iter()
        .any(|word| k.contains(word))
}

/// A stored record's fields, in the order the hash covers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedFields<'a> {
    pub company_id: i64,
    pub seq: i64,
    pub resource_id: &'a str,
    pub log_time: i64,
    pub actor_kind: &'a str,
    pub user_key: i64,
    pub user_name: &'a str,
    pub entity_name: &'a str,
    pub entity_resource_id: &'a str,
    pub operation: i64,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub description: &'a str,
}

/// The hash a company's first record chains to.
pub const GENESIS: &str = "";

/// SHA-256 (hex) over the previous record's hash and every field of this one. Each field is
/// length-prefixed (absent ones marked apart from empty ones), so no two different records
/// hash the same input, and changing, removing or reordering any record breaks the chain from
/// there on.
pub fn chain_hash(prev_hash: &str, f: &ChainedFields<'_>) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut put = |s: Option<&str>| match s {
        None => ctx.update(b"-"),
        Some(s) => {
            ctx.update(format!("{}:", s.len()).as_bytes());
            ctx.update(s.as_bytes());
        }
    };
    put(Some("latchkey-audit-v1"));
    put(Some(prev_hash));
    put(Some(&f.company_id.to_string()));
    put(Some(&f.seq.to_string()));
    put(Some(f.resource_id));
    put(Some(&f.log_time.to_string()));
    put(Some(f.actor_kind));
    put(Some(&f.user_key.to_string()));
    put(Some(f.user_name));
    put(Some(f.entity_name));
    put(Some(f.entity_resource_id));
    put(Some(&f.operation.to_string()));
    put(f.old_value);
    put(f.new_value);
    put(f.ip);
    put(f.user_agent);
    put(Some(f.description));
    let out = ctx.finish();
    out.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = redact(json!({
            "name": "x",
            "clientSecret": "s3cret",
            "nested": [{"PasswordHash": "$argon2id$", "token": "t", "setPasswordLink": "l"}],
            "secret_digest": "ab",
        }));
        let text = v.to_string();
        for leaked in ["s3cret", "argon2id", "\"t\"", "\"l\"", "\"ab\""] {
            assert!(!text.contains(leaked), "{leaked} leaked in {text}");
        }
        assert_eq!(v["name"], "x");
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let f = ChainedFields {
            company_id: 1,
            seq: 1,
            resource_id: "abc",
            log_time: 5,
            actor_kind: "Client",
            user_key: 2,
            user_name: "n",
            entity_name: "Client",
            entity_resource_id: "e",
            operation: 0,
            old_value: None,
            new_value: Some("{}"),
            ip: Some("127.0.0.1"),
            user_agent: None,
            description: "d",
        };
        let h = chain_hash(GENESIS, &f);
        assert_eq!(h.len(), 64);
        assert_ne!(h, chain_hash("x", &f));
        let mut g = f.clone();
        g.old_value = Some("");
        assert_ne!(h, chain_hash(GENESIS, &g));
        g = f.clone();
        g.description = "e";
        assert_ne!(h, chain_hash(GENESIS, &g));
    }

    #[test]
    fn operations_parse_by_name_or_number() {
        assert_eq!(Operation::parse("createmany"), Some(Operation::CreateMany));
        assert_eq!(Operation::parse("2"), Some(Operation::Delete));
        assert_eq!(Operation::parse("Merge"), None);
    }
}
