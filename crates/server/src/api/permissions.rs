//! `GET /api/permissions/all`: the permission catalog, generated from the route table.

use axum::Json;
use axum::extract::State;
use latchkey_domain::permission::permission_resource_id;
use latchkey_proto::ServiceResult;
use latchkey_proto::roles::PermissionDto;

use crate::auth::bearer::Auth;
use crate::error::{ApiResult, ok};
use crate::state::AppState;

/// Every operation as a permission, grouped by module. `isDisabled` marks the ones the caller
/// does not hold (and so cannot put into a role it creates).
#[utoipa::path(get, path = "/api/permissions/all", tag = "Permission",
    summary = "Retrieves a list of all system permissions",
    responses((status = 200, body = ServiceResult<Vec<PermissionDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn all(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> ApiResult<Json<ServiceResult<Vec<PermissionDto>>>> {
    let mut modules: Vec<PermissionDto> = Vec::new();
    for entry in state.catalog.entries() {
        let child = PermissionDto {
            module_name: entry.group.clone(),
            permission_resource_id: entry.resource_id.clone(),
            permission_name: entry.key.clone(),
            permission_description: entry.summary.clone(),
            group_name: entry.group.clone(),
            parent_group_name: Some(entry.group.clone()),
            is_disabled: !caller.permissions().contains(&entry.key),
            children: Vec::new(),
        };
        match modules.iter_mut().find(|m| m.module_name == entry.group) {
            Some(module) => module.children.push(child),
            None => modules.push(PermissionDto {
                module_name: entry.group.clone(),
                permission_resource_id: permission_resource_id(&format!("module:{}", entry.group)),
                permission_name: entry.group.clone(),
                permission_description: String::new(),
                group_name: entry.group.clone(),
                parent_group_name: None,
                is_disabled: false,
                children: vec![child],
            }),
        }
    }
    for module in &mut modules {
        module.is_disabled = module.children.iter().all(|c| c.is_disabled);
    }
    Ok(ok(modules))
}
