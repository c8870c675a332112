//! The company a request acts on, resolved by the authorization step.
//!
//! A request names a company by `X-KEEPNET-Company-Id`, `X-IR-COMPANY-ID` or `?companyId=`
//! ([`TargetCompany`]). Handlers do not resolve it themselves: they take [`Scoped`] (the named
//! company, or the caller's own) or [`Reaching`] (the named company, or everything the caller
//! manages), whose extraction looks the company up (unknown: 404) and checks the caller may act
//! on it (not managed: 403). Both hand the handler a proof type the store requires.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use latchkey_domain::authz::{Caller, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;

use super::bearer::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The caller, and the company it acts on: the one the request names, or its own.
pub struct Scoped {
    pub caller: Caller,
    pub scope: CompanyScope,
    /// The request named the company (some searches then include it).
    pub named: bool,
}

impl FromRequestParts<AppState> for Scoped {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Auth(caller) = Auth::from_request_parts(parts, state).await?;
        let TargetCompany(target) = TargetCompany::from_request_parts(parts, state).await?;
        let named = target.is_some();
        let scope = state.scope_or_own(&caller, target).await?;
        Ok(Self {
            caller,
            scope,
            named,
        })
    }
}

impl Scoped {
    /// What a list call covers: the named company alone, or everything the caller manages
    /// (what [`Reaching`] extracts).
    pub fn reach(&self) -> Reach {
        if self.named {
            self.scope.as_reach()
        } else {
            self.caller.reach()
        }
    }
}

/// The caller, and the company the path names (`/api/companies/{resourceId}`).
pub struct CompanyInPath {
    pub caller: Caller,
    pub scope: CompanyScope,
}

impl FromRequestParts<AppState> for CompanyInPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Auth(caller) = Auth::from_request_parts(parts, state).await?;
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::input(vec![format!("The company id in the path: {e}")]))?;
        let id = ResourceId::parse(&raw)
            .ok_or_else(|| ApiError::not_found(format!("Company {raw} was not found")))?;
        let scope = state.scope(&caller, &id).await?;
        Ok(Self { caller, scope })
    }
}

/// The caller, and what a list call covers: the company the request names (alone), or
/// everything the caller manages.
pub struct Reaching {
    pub caller: Caller,
    pub reach: Reach,
}

impl FromRequestParts<AppState> for Reaching {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let scoped = Scoped::from_request_parts(parts, state).await?;
        Ok(Self {
            reach: scoped.reach(),
            caller: scoped.caller,
        })
    }
}

/// The company a request names, if any: `X-KEEPNET-Company-Id`, `X-IR-COMPANY-ID` or
/// `?companyId=`. Path ids are read by the handlers that have them.
pub struct TargetCompany(pub Option<ResourceId>);

impl<S: Send + Sync> FromRequestParts<S> for TargetCompany {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut named: Vec<(&str, String)> = Vec::new();
        for header_name in ["x-keepnet-company-id", "x-ir-company-id"] {
            for value in parts.headers.get_all(header_name) {
                let value = value
                    .to_str()
                    .map_err(|_| invalid_company_id(header_name))?;
                if !value.trim().is_empty() {
                    named.push((header_name, value.trim().to_owned()));
                }
            }
        }
        if let Some(query) = parts.uri.query() {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query).unwrap_or_default();
            for (k, v) in pairs {
                if k.eq_ignore_ascii_case("companyid") && !v.trim().is_empty() {
                    named.push(("companyId", v.trim().to_owned()));
                }
            }
        }
        let Some((source, first)) = named.first() else {
            return Ok(Self(None));
        };
        if named.iter().any(|(_, v)| v != first) {
            return Err(ApiError::input(vec![
                "The company is named more than once with different ids".into(),
            ]));
        }
        ResourceId::parse(first)
            .map(|id| Self(Some(id)))
            .ok_or_else(|| invalid_company_id(source))
    }
}

fn invalid_company_id(source: &str) -> ApiError {
    ApiError::input(vec![format!("{source} is not a valid company id")])
}

impl AppState {
    /// The authorization step for a named company: unknown → 404, not managed → 403.
    pub async fn scope(&self, caller: &Caller, company: &ResourceId) -> ApiResult<CompanyScope> {
        let target = self
            .store
            .find_company(company)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("Company {company} was not found")))?;
        Ok(caller.scope_for(target)?)
    }

    /// The named company, or the caller's own when none is named.
    pub async fn scope_or_own(
        &self,
        caller: &Caller,
        company: Option<ResourceId>,
    ) -> ApiResult<CompanyScope> {
        match company {
            Some(id) => self.scope(caller, &id).await,
            None => Ok(caller.own_scope()),
        }
    }
}
