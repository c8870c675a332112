//! Built-in roles.
//!
//! `Company Admin` and `Reseller` are system roles: present on every server under fixed resource
//! ids (so integrations can name them), not editable, not deletable. Their permissions are
//! computed from the route table by tier, so a new endpoint is granted without a migration.

use crate::permission::Tier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltInRole {
    CompanyAdmin,
    Reseller,
}

impl BuiltInRole {
    pub const ALL: [BuiltInRole; 2] = [BuiltInRole::CompanyAdmin, BuiltInRole::Reseller];

    pub const fn name(self) -> &'static str {
        match self {
            BuiltInRole::CompanyAdmin => "Company Admin",
            BuiltInRole::Reseller => "Reseller",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            BuiltInRole::CompanyAdmin => "Manages its own company",
            BuiltInRole::Reseller => "Manages its own company and every company under it",
        }
    }

    /// The fixed resource id of the role, the same on every Latchkey server.
    pub const fn resource_id(self) -> &'static str {
        match self {
            BuiltInRole::CompanyAdmin => "RoleCompAdmn",
            BuiltInRole::Reseller => "RoleReseller",
        }
    }

    pub fn from_resource_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.resource_id() == id)
    }

    /// Whether this role grants operations of `tier`.
    pub const fn grants(self, tier: Tier) -> bool {
        match self {
            BuiltInRole::CompanyAdmin => matches!(tier, Tier::Company),
            BuiltInRole::Reseller => matches!(tier, Tier::Company | Tier::Reseller),
        }
    }

    pub const fn reseller_access(self) -> bool {
        matches!(self, BuiltInRole::Reseller)
    }
}
