//! `POST /api/available-for/search`: what a reseller may make a role available for.
//!
//! The role form's "Make available for" picker lists, by name, the companies below the company
//! (the caller's own, or the one named by `X-KEEPNET-Company-Id`) and the company groups it
//! owns, leaving out the entries already picked. Both lists go through the same searches as
//! `POST /api/companies/search` and `POST /api/company-groups/search`, so they see exactly the
//! companies and groups those do.

use axum::Json;
use axum::extract::State;
use latchkey_domain::ids::ResourceId;
use latchkey_proto::ServiceResult;
use latchkey_proto::available_for::{AvailableForSearchRequest, SearchCompanyGroupResultDto};
use latchkey_proto::search::{Filter, FilterGroup, FilterItem, PagedResults, SearchRequest};
use latchkey_store::roles::TargetType;

use super::json::JsonBody;
use super::{companies, company_groups};
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

/// More picked entries than a role form shows; the limit keeps the filter within the search
/// engine's budget.
const MAX_SELECTED: usize = 100;

const ORDERS: [&str; 2] = ["Name", "CreateTime"];

#[utoipa::path(post, path = "/api/available-for/search", tag = "AvailableFor",
    summary = "Retrieves a list of companies and groups visible for the company",
    description = "Companies below the company and the company groups it owns whose name contains `name` \
        (any case), without the entries in `selectedCompanyGroup`. Paging and `orderBy` (`Name`, the \
        default, or `CreateTime`) apply to each list.",
    request_body = AvailableForSearchRequest,
    responses((status = 200, body = ServiceResult<SearchCompanyGroupResultDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { caller, scope, .. }: Scoped,
    JsonBody(request): JsonBody<AvailableForSearchRequest>,
) -> ApiResult<Json<ServiceResult<SearchCompanyGroupResultDto>>> {
    let (companies_request, groups_request) = searches(&request)?;
    let (rows, total, _, page) = state
        .store
        .search_companies(&caller.reach_from(&scope), false, &companies_request)
        .await?;
    let companies = PagedResults::new(
        rows.into_iter().map(companies::search_dto).collect(),
        total,
        page.page_number,
        page.page_size,
    );
    let (rows, total, page) = state
        .store
        .search_groups(&scope.as_reach(), None, &groups_request)
        .await?;
    let groups = PagedResults::new(
        rows.into_iter().map(company_groups::search_dto).collect(),
        total,
        page.page_number,
        page.page_size,
    );
    Ok(ok(SearchCompanyGroupResultDto { companies, groups }))
}

/// The company search and the group search `request` stands for.
fn searches(request: &AvailableForSearchRequest) -> ApiResult<(SearchRequest, SearchRequest)> {
    let mut errors = Vec::new();
    let order_by = match request.order_by.as_deref().map(str::trim) {
        None | Some("") => "Name",
        Some(o) => match ORDERS.iter().find(|known| known.eq_ignore_ascii_case(o)) {
            Some(known) => known,
            None => {
                errors.push(format!(
                    "orderBy '{o}' is not one of: {}",
                    ORDERS.join(", ")
                ));
                "Name"
            }
        },
    };
    let selected = request
        .selected_company_group
        .as_deref()
        .unwrap_or_default();
    if selected.len() > MAX_SELECTED {
        errors.push(format!(
            "selectedCompanyGroup may list at most {MAX_SELECTED} entries"
        ));
    }
    let mut items = (Vec::new(), Vec::new());
    if let Some(name) = request
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        items.0.push(item("Name", "Contains", name));
        items.1.push(item("Name", "Contains", name));
    }
    for entry in selected.iter().take(MAX_SELECTED) {
        let raw_type = entry.type_name.as_deref().unwrap_or_default();
        let raw_id = entry.resource_id.as_deref().unwrap_or_default();
        let Some(id) = ResourceId::parse(raw_id) else {
            errors.push(format!(
                "selectedCompanyGroup resourceId '{raw_id}' is not a resource id"
            ));
            continue;
        };
        let item = item("ResourceId", "!=", id.as_str());
        match TargetType::parse(raw_type) {
            Some(TargetType::Company) => items.0.push(item),
            Some(TargetType::CompanyGroup) => items.1.push(item),
            None => errors.push(format!(
                "selectedCompanyGroup typeName '{raw_type}' must be Company or CompanyGroup"
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    let search = |filter_items: Vec<FilterItem>| SearchRequest {
        page_number: request.page_number,
        page_size: request.page_size,
        order_by: Some(order_by.to_owned()),
        ascending: Some(request.ascending.unwrap_or(true)),
        filter: Some(Filter {
            condition: Some("AND".to_owned()),
            filter_groups: Some(vec![FilterGroup {
                condition: Some("AND".to_owned()),
                filter_items: Some(filter_items),
                filter_groups: None,
            }]),
            search_input_text_value: None,
        }),
        ..SearchRequest::default()
    };
    Ok((search(items.0), search(items.1)))
}

fn item(field: &str, operator: &str, value: &str) -> FilterItem {
    FilterItem {
        field_name: Some(field.to_owned()),
        operator: Some(operator.to_owned()),
        value: Some(serde_json::Value::String(value.to_owned())),
    }
}
