//! Authorization: who is calling, and which companies they may touch.
//!
//! Tenant data is reached only through a [`CompanyScope`] (one company) or a [`Reach`] (a
//! caller's whole managed subtree). Both have private fields and are built only here, by
//! checks against the caller, so a store function that takes one cannot be called for a
//! company the caller does not manage.

use crate::audit::{Actor, ActorKind};
use crate::ids::{ClientId, ResourceId};
use crate::permission::PermissionSet;

/// Where a company sits in the tree. `path` lists the numeric ids from the platform root down
/// to the company itself, `/1/2/7/`; a company manages `c` when `c.path` starts with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRef {
    pub id: i64,
    pub resource_id: ResourceId,
    pub name: String,
    pub path: String,
    pub is_reseller: bool,
}

impl CompanyRef {
    /// True when `other` is this company or lies below it.
    pub fn contains(&self, other: &CompanyRef) -> bool {
        other.path.starts_with(&self.path)
    }
}

/// Who is calling: a REST API client with a bearer token, or a system user signed in to the
/// console. Both are authorized the same way, by the permissions their roles grant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    Client { key: i64, client_id: ClientId },
    User { key: i64, resource_id: ResourceId },
}

/// A principal as a small key (for rate limits): which table, and the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKey {
    Client(i64),
    User(i64),
}

impl Principal {
    pub fn key(&self) -> PrincipalKey {
        match self {
            Principal::Client { key, .. } => PrincipalKey::Client(*key),
            Principal::User { key, .. } => PrincipalKey::User(*key),
        }
    }

    /// The signed-in user's database key, when the caller is one.
    pub fn user_key(&self) -> Option<i64> {
        match self {
            Principal::User { key, .. } => Some(*key),
            Principal::Client { .. } => None,
        }
    }
}

/// An authenticated caller, as the authentication step established it. The fields are private:
/// the scopes a caller hands out ([`Caller::scope_for`], [`Caller::reach`]) are derived from
/// them, so nothing may change them after the fact.
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Principal,
    /// The company the caller belongs to.
    company: CompanyRef,
    /// The caller may act on companies below its own (a reseller).
    reseller_access: bool,
    /// The caller may act on every company (the platform).
    root_access: bool,
    permissions: PermissionSet,
    /// The principal as the audit log records it, with where the request came from.
    actor: Actor,
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("You do not have permission to perform this action ({0})")]
    MissingPermission(String),
    #[error("The company {0} is not managed by your account")]
    CompanyNotManaged(ResourceId),
}

impl Caller {
    /// A caller as authentication found it: who, their company, and what their roles grant
    /// there. Only the authentication step (the client view and console sign-in) calls this.
    pub fn authenticated(
        principal: Principal,
        name: &str,
        company: CompanyRef,
        reseller_access: bool,
        root_access: bool,
        permissions: PermissionSet,
    ) -> Self {
        let actor = match &principal {
            Principal::Client { key, .. } => Actor::new(ActorKind::Client, *key, name),
            Principal::User { key, .. } => Actor::new(ActorKind::User, *key, name),
        };
        Self {
            actor,
            principal,
            company,
            reseller_access,
            root_access,
            permissions,
        }
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The caller as seen on one request: from `ip`, with `user_agent`. The authorization step
    /// sets it, so every scope handed out records where the change came from.
    pub fn from_origin(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.actor = self.actor.from_origin(ip, user_agent);
        self
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn company(&self) -> &CompanyRef {
        &self.company
    }

    pub fn reseller_access(&self) -> bool {
        self.reseller_access
    }

    pub fn root_access(&self) -> bool {
        self.root_access
    }

    pub fn permissions(&self) -> &PermissionSet {
        &self.permissions
    }

    pub fn require(&self, permission: &str) -> Result<(), Denied> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(Denied::MissingPermission(permission.to_owned()))
        }
    }

    /// The caller acting on its own company.
    pub fn own_scope(&self) -> CompanyScope {
        CompanyScope {
            company: self.company.clone(),
            actor: self.actor.clone(),
        }
    }

    /// The caller acting on `target`: allowed for its own company, and for companies below it
    /// when it has reseller access.
    pub fn scope_for(&self, target: CompanyRef) -> Result<CompanyScope, Denied> {
        let allowed = target.id == self.company.id
            || ((self.reseller_access || self.root_access) && self.company.contains(&target));
        if allowed {
            Ok(CompanyScope {
                company: target,
                actor: self.actor.clone(),
            })
        } else {
            Err(Denied::CompanyNotManaged(target.resource_id))
        }
    }

    /// Everything the caller may see when it names no company: its managed subtree, or just its
    /// own company.
    pub fn reach(&self) -> Reach {
        Reach {
            root: self.company.clone(),
            subtree: self.manages_below(),
        }
    }

    /// What the caller may see at and below a company it may act on: that company's subtree
    /// for a reseller, the company alone otherwise.
    pub fn reach_from(&self, scope: &CompanyScope) -> Reach {
        Reach {
            root: scope.company.clone(),
            subtree: self.manages_below(),
        }
    }

    fn manages_below(&self) -> bool {
        self.reseller_access || self.root_access
    }
}

/// Proof that the caller may act on one company, and who the caller is: the store records it
/// with every change made in the scope.
#[derive(Debug, Clone)]
pub struct CompanyScope {
    company: CompanyRef,
    actor: Actor,
}

impl CompanyScope {
    /// Who acts in this scope.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The same actor acting on another company it has already been found to reach (a
    /// company it just created, or one of a batch it was checked for).
    pub fn on(&self, company: CompanyRef) -> CompanyScope {
        CompanyScope {
            company,
            actor: self.actor.clone(),
        }
    }

    pub fn company(&self) -> &CompanyRef {
        &self.company
    }

    pub fn company_id(&self) -> i64 {
        self.company.id
    }

    /// The scope's company as a reach covering it alone.
    pub fn as_reach(&self) -> Reach {
        Reach {
            root: self.company.clone(),
            subtree: false,
        }
    }
}

/// Proof of what a list call may cover: one company, or a company and everything below it.
/// Built only from a [`Caller`] or a [`CompanyScope`].
#[derive(Debug, Clone)]
pub struct Reach {
    root: CompanyRef,
    subtree: bool,
}

impl Reach {
    /// The company at the top of the reach.
    pub fn root(&self) -> &CompanyRef {
        &self.root
    }

    /// True when the reach covers the companies below [`Reach::root`] too.
    pub fn is_subtree(&self) -> bool {
        self.subtree
    }

    /// True when `company` lies within the reach.
    pub fn covers(&self, company: &CompanyRef) -> bool {
        if self.subtree {
            self.root.contains(company)
        } else {
            self.root.id == company.id
        }
    }
}

/// A scope for trusted, offline work: the first-start bootstrap and `latchkey admin` commands,
/// which run with the operator's own access to the database. No request handler calls this;
/// `grep operator_scope` lists every use. `actor` is the command (or the server's first start).
pub fn operator_scope(company: CompanyRef, actor: Actor) -> CompanyScope {
    CompanyScope { company, actor }
}

/// A scope for a job: work a caller queued runs later in the background, without the caller,
/// on the company the caller's scope named when it queued the job (the job's row records it).
/// What the job changes is audited as the doing of whoever queued it (`queued_by`, kept with
/// the job); a job queued before that was kept is the server's, named after the job.
/// Only the job runner calls this; `grep job_scope` lists every use.
pub fn job_scope(company: CompanyRef, job: &str, queued_by: Option<Actor>) -> CompanyScope {
    CompanyScope {
        company,
        actor: queued_by.unwrap_or_else(|| Actor::system(&format!("Job {job}"))),
    }
}

/// A scope for what happens to a system user before they are a caller: signing in (or failing
/// to) and setting a password through an emailed link. The user acts on their own company.
/// `grep self_scope` lists every use.
pub fn self_scope(company: CompanyRef, actor: Actor) -> CompanyScope {
    CompanyScope { company, actor }
}

/// A scope for a SCIM integration's bearer token: the SCIM service builds it only after the
/// presented token's keyed digest matched the integration's, for the integration's own company.
/// `actor` is the integration, so that what it changes is audited as its doing.
/// `grep scim_scope` lists every use.
pub fn scim_scope(company: CompanyRef, actor: Actor) -> CompanyScope {
    CompanyScope { company, actor }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(id: i64, path: &str, is_reseller: bool) -> CompanyRef {
        CompanyRef {
            id,
            resource_id: ResourceId::generate(),
            name: format!("c{id}"),
            path: path.to_owned(),
            is_reseller,
        }
    }

    fn caller(company: CompanyRef, reseller: bool) -> Caller {
        Caller {
            principal: Principal::Client {
                key: 1,
                client_id: ClientId::generate(),
            },
            company,
            reseller_access: reseller,
            root_access: false,
            permissions: PermissionSet::default(),
            actor: Actor::system("test"),
        }
    }

    #[test]
    fn reseller_reaches_its_subtree_only() {
        let reseller = company(2, "/1/2/", true);
        let child = company(3, "/1/2/3/", false);
        let grandchild = company(4, "/1/2/3/4/", false);
        let other = company(5, "/1/5/", false);
        // `/1/2/` must not match `/1/20/`: the trailing slash is what makes prefixes safe.
        let lookalike = company(20, "/1/20/", false);
        let c = caller(reseller, true);
        assert!(c.scope_for(child).is_ok());
        assert!(c.scope_for(grandchild).is_ok());
        assert!(c.scope_for(other).is_err());
        assert!(c.scope_for(lookalike).is_err());
    }

    #[test]
    fn company_admin_reaches_its_own_company_only() {
        let own = company(3, "/1/2/3/", false);
        let child = company(4, "/1/2/3/4/", false);
        let c = caller(own.clone(), false);
        assert!(c.scope_for(own).is_ok());
        assert!(c.scope_for(child).is_err());
    }
}
