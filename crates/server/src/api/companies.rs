//! `/api/companies`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use latchkey_domain::authz::Reach;
use latchkey_proto::ServiceResult;
use latchkey_proto::companies::GetMyCompaniesDto;
use latchkey_store::companies::CompanyNode;

use crate::auth::bearer::{Auth, TargetCompany};
use crate::error::{ApiResult, ok};
use crate::state::AppState;

/// The caller's company; for a reseller, with the companies it manages nested in `children`.
/// Naming a company (header or `?companyId=`) narrows the answer to that company's subtree.
#[utoipa::path(
    get,
    path = "/api/companies/my",
    tag = "Company",
    summary = "Retrieves the companies which can be simulated by user",
    responses((status = 200, body = ServiceResult<Vec<GetMyCompaniesDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn my(
    State(state): State<AppState>,
    Auth(caller): Auth,
    TargetCompany(target): TargetCompany,
) -> ApiResult<Json<ServiceResult<Vec<GetMyCompaniesDto>>>> {
    let reach = match target {
        Some(id) => {
            let scope = state.scope(&caller, &id).await?;
            match caller.reach() {
                Reach::Subtree(_) => Reach::Subtree(scope.company().clone()),
                Reach::Company(_) => scope.as_reach(),
            }
        }
        None => caller.reach(),
    };
    let nodes = state.store.companies_in_reach(&reach).await?;
    Ok(ok(into_tree(nodes)))
}

/// Nests rows (parents before children, as the store orders them) under their parents; the
/// top of the reach becomes the single root.
fn into_tree(nodes: Vec<CompanyNode>) -> Vec<GetMyCompaniesDto> {
    let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
    let ids: std::collections::HashSet<i64> = nodes.iter().map(|n| n.reference.id).collect();
    let mut roots = Vec::new();
    let mut by_id = HashMap::new();
    for node in nodes {
        match node.parent_id.filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(node.reference.id),
            None => roots.push(node.reference.id),
        }
        by_id.insert(node.reference.id, node);
    }
    fn build(
        id: i64,
        by_id: &HashMap<i64, CompanyNode>,
        children: &HashMap<i64, Vec<i64>>,
    ) -> Option<GetMyCompaniesDto> {
        let node = by_id.get(&id)?;
        Some(GetMyCompaniesDto {
            name: node.reference.name.clone(),
            resource_id: node.reference.resource_id.to_string(),
            logo_url: node.logo_url.clone(),
            privacy_duration_id: 0,
            licence_expired: false,
            privacy_duration_start_time: None,
            privacy_duration_end_time: None,
            children: children
                .get(&id)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|c| build(*c, by_id, children))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
    roots
        .into_iter()
        .filter_map(|id| build(id, &by_id, &children))
        .collect()
}
