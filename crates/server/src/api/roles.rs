//! `/api/roles` and `/api/roleswithavailable`: built-in and custom roles.
//!
//! A custom role belongs to the company it is created in (the named company, or the caller's
//! own). It can only hold permissions its creator holds, so a role is never a way up. A
//! reseller may offer a role to companies or company groups it manages ("make available for").
//! Built-in roles cannot be changed or deleted; a role held by a client cannot be deleted.

use axum::Json;
use axum::extract::{Path, State};
use latchkey_domain::authz::{Caller, CompanyScope};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::roles::{
    AvailableForDto, GetSystemRoleDto, RoleRequest, RoleSummaryDto, SystemRoleSearchDto,
};
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_store::roles::{RoleInput, RoleRecord, TargetType};

use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "Role";

/// Roles of the company: built-in ones it may use and the custom roles it owns.
#[utoipa::path(get, path = "/api/roles", tag = TAG, summary = "Retrieves a list of roles of company",
    responses((status = 200, body = ServiceResult<Vec<RoleSummaryDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<RoleSummaryDto>>>> {
    let roles = state.store.own_roles(&scope).await?;
    Ok(ok(roles
        .into_iter()
        .map(|r| RoleSummaryDto {
            resource_id: r.resource_id,
            name: r.name,
        })
        .collect()))
}

/// Every role the company may assign: its own, built-in, and those shared with it.
#[utoipa::path(get, path = "/api/roleswithavailable", tag = TAG, summary = "Retrieves a list of roles of company",
    responses((status = 200, body = ServiceResult<Vec<RoleSummaryDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn list_with_available(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<RoleSummaryDto>>>> {
    let roles = state.store.available_roles(&scope).await?;
    Ok(ok(roles
        .into_iter()
        .map(|r| RoleSummaryDto {
            resource_id: r.resource_id,
            name: r.name,
        })
        .collect()))
}

#[utoipa::path(post, path = "/api/roles/search", tag = TAG, summary = "Retrieves a list of system roles",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<SystemRoleSearchDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<SystemRoleSearchDto>>>> {
    let (rows, total, page) = state
        .store
        .search_roles(&scope, &scope.as_reach(), &request)
        .await?;
    let results = rows
        .into_iter()
        .map(|r| SystemRoleSearchDto {
            role_name: r.name,
            role_description: r.description,
            is_owner: r.owner_id == Some(scope.company_id()),
            resource_id: r.resource_id,
            company_resource_id: r.company_resource_id,
            company_name: r.company_name,
            create_time: millis_to_rfc3339(r.create_time),
            user_count: r.holder_count,
            tenant_user_count: r.tenant_holder_count,
            type_name: if r.is_system { "System" } else { "Custom" }.to_owned(),
        })
        .collect();
    Ok(ok(PagedResults::new(
        results,
        total,
        page.page_number,
        page.page_size,
    )))
}

#[utoipa::path(get, path = "/api/roles/{resourceId}", tag = TAG, summary = "Retrieves a new system role",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<GetSystemRoleDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(resource_id): Path<String>,
) -> ApiResult<Json<ServiceResult<GetSystemRoleDto>>> {
    let role = find(&state, &scoped, &resource_id).await?;
    let permission_ids = if role.owner.is_none() {
        // Built-in roles hold their tiers of the route table.
        let built_in = latchkey_domain::role::BuiltInRole::from_resource_id(&role.resource_id);
        state
            .catalog
            .entries()
            .iter()
            .filter(|e| built_in.is_some_and(|b| b.grants(e.tier)))
            .map(|e| e.resource_id.clone())
            .collect()
    } else {
        role.permissions
            .iter()
            .filter_map(|k| {
                state
                    .catalog
                    .entries()
                    .iter()
                    .find(|e| &e.key == k)
                    .map(|e| e.resource_id.clone())
            })
            .collect()
    };
    Ok(ok(GetSystemRoleDto {
        available_for_list: role
            .available_for
            .iter()
            .map(|a| AvailableForDto {
                resource_id: format!("{}-{}", role.resource_id, a.target_resource_id),
                owner_company_resource_id: role.owner.as_ref().map(|o| o.resource_id.to_string()),
                type_name: a.target_type.as_str().to_owned(),
                target_resource_id: a.target_resource_id.clone(),
                target_name: a.target_name.clone(),
                owner_company_name: role.owner.as_ref().map(|o| o.name.clone()),
            })
            .collect(),
        resource_id: role.resource_id,
        name: role.name,
        description: role.description,
        permission_resource_id_list: permission_ids,
    }))
}

#[utoipa::path(post, path = "/api/roles", tag = TAG, summary = "Creates a new system role",
    request_body = RoleRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { caller, scope, .. }: Scoped,
    JsonBody(body): JsonBody<RoleRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let input = validate(&state, &caller, &body).await?;
    let id = state.store.create_role(&scope, &input).await?;
    Ok(ok(IdResult {
        resource_id: id.to_string(),
    }))
}

#[utoipa::path(put, path = "/api/roles/{resourceId}", tag = TAG, summary = "Updates a new system role",
    params(("resourceId" = String, Path)),
    request_body = RoleRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(resource_id): Path<String>,
    JsonBody(body): JsonBody<RoleRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let role = find(&state, &scoped, &resource_id).await?;
    let caller = scoped.caller;
    let owner = owner_scope(&caller, &role)?;
    let input = validate(&state, &caller, &body).await?;
    state
        .store
        .update_role(&owner, &role.resource_id, &input)
        .await?;
    state.clients_changed().await?;
    Ok(ok(IdResult {
        resource_id: role.resource_id,
    }))
}

#[utoipa::path(delete, path = "/api/roles/{resourceId}", tag = TAG, summary = "Deletes an existing system role",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    scoped: Scoped,
    Path(resource_id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let role = find(&state, &scoped, &resource_id).await?;
    let caller = scoped.caller;
    let owner = owner_scope(&caller, &role)?;
    state.store.delete_role(&owner, &role.resource_id).await?;
    Ok(ok(IdResult {
        resource_id: role.resource_id,
    }))
}

/// A role the caller may see from the scoped company, or 404.
async fn find(state: &AppState, scoped: &Scoped, id: &str) -> ApiResult<RoleRecord> {
    let not_found = || ApiError::not_found(format!("Role {id} was not found"));
    let id = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .role_visible(&scoped.scope, &scoped.reach(), id.as_str())
        .await?
        .ok_or_else(not_found)
}

/// Only the owner's side may change a custom role; nobody may change a built-in one.
fn owner_scope(caller: &Caller, role: &RoleRecord) -> ApiResult<CompanyScope> {
    match &role.owner {
        None => Err(ApiError::forbidden(
            "Built-in roles cannot be changed or deleted",
        )),
        Some(owner) => caller.scope_for(owner.clone()).map_err(|_| {
            ApiError::forbidden(
                "This role was shared with your company; only its owner can change it",
            )
        }),
    }
}

async fn validate(state: &AppState, caller: &Caller, body: &RoleRequest) -> ApiResult<RoleInput> {
    let mut errors = Vec::new();
    let name = body.name.as_deref().map(str::trim).unwrap_or("").to_owned();
    if name.is_empty() || name.chars().count() > 64 {
        errors.push("Role name must be between 1 and 64 characters".to_owned());
    }
    let description = body
        .description
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if description.is_empty() || description.chars().count() > 300 {
        errors.push("Description must be between 1 and 300 characters".to_owned());
    }
    let mut permissions = Vec::new();
    for id in body.permission_resource_id_list.iter().flatten() {
        match state
            .catalog
            .entries()
            .iter()
            .find(|e| &e.resource_id == id || &e.key == id)
        {
            None => errors.push(format!("Permission {id} does not exist")),
            Some(e) if !caller.permissions().contains(&e.key) => errors.push(format!(
                "You cannot grant {} because your own client does not hold it",
                e.key
            )),
            Some(e) if !permissions.contains(&e.key) => permissions.push(e.key.clone()),
            Some(_) => {}
        }
    }
    let mut available_for = Vec::new();
    let requests = body.available_for_requests.clone().unwrap_or_default();
    let may_share = caller.reseller_access() || caller.root_access();
    if !requests.is_empty() && !may_share {
        errors.push("Only resellers can make a role available to other companies".to_owned());
    } else {
        for request in &requests {
            let raw_type = match &request.target_type {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let id = request.resource_id.clone().unwrap_or_default();
            match TargetType::parse(&raw_type) {
                Some(TargetType::Company) => {
                    let company = match ResourceId::parse(&id) {
                        Some(rid) => state.store.find_company(&rid).await?,
                        None => None,
                    };
                    match company
                        .filter(|c| caller.company().contains(c) && c.id != caller.company().id)
                    {
                        Some(c) => available_for.push((TargetType::Company, c.id)),
                        None => errors.push(format!("Company {id} is not one you manage")),
                    }
                }
                Some(TargetType::CompanyGroup) => {
                    match state.store.group_in_reach(&caller.reach(), &id).await? {
                        Some((key, _)) => available_for.push((TargetType::CompanyGroup, key)),
                        None => errors.push(format!("Company group {id} is not one you manage")),
                    }
                }
                None => errors.push(format!(
                    "availableForRequests type '{raw_type}' must be Company or CompanyGroup"
                )),
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    Ok(RoleInput {
        name,
        description,
        permissions,
        available_for,
    })
}
