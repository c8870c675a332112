//! The route table: every `/api` operation, declared once.
//!
//! A row is a handler annotated with `#[utoipa::path]` (method, path, summary, tag, schemas)
//! plus the [`Tier`] it belongs to. From the table come the router, the permission key each
//! route demands (`companies/my|GET`, the format of the token's `permissions` list), the
//! permission catalog, the grants of the built-in roles, the OpenAPI document, and the MCP
//! tools ([`ToolOffer`], served by [`crate::mcp`]). Adding an endpoint means adding one row to
//! [`table`].

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;
use latchkey_domain::permission::{
    Catalog, CatalogEntry, Tier, permission_key, permission_resource_id,
};
use utoipa::openapi::path::{Operation, PathItem, Paths};
use utoipa::openapi::{RefOr, Schema};
use utoipa_axum::router::UtoipaMethodRouter;
use utoipa_axum::routes;

use crate::api;
use crate::auth::bearer::{Authenticator, Permission, authorize};
use crate::state::AppState;

/// One operation of the table.
pub struct ApiRoute {
    pub method: Method,
    pub path: String,
    pub tier: Tier,
    pub key: String,
    pub operation: Operation,
    /// The schemas the operation's request and response bodies use, for the OpenAPI document.
    pub schemas: Vec<(String, RefOr<Schema>)>,
    /// Whether the operation is also an MCP tool.
    pub tool: ToolOffer,
    router: MethodRouter<AppState>,
}

/// Whether a row offers its operation as an MCP tool, and how the tool sends its body.
///
/// [`ApiRoute::new`] derives it: an operation that takes a token, whose request body (if any)
/// is JSON and whose answer is the JSON envelope is a tool ([`ToolOffer::Json`]). Public
/// operations, file uploads and file downloads (exports) are not, since a tool call carries
/// the caller's token and JSON arguments and answers JSON. A row can say otherwise with
/// [`ApiRoute::form_tool`] or [`ApiRoute::no_tool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolOffer {
    Json,
    /// A `multipart/form-data` operation whose form reader also takes JSON: the tool offers the
    /// form's text fields (no files) and sends them as JSON.
    FormAsJson,
    None,
}

impl ApiRoute {
    /// Lifts the API's body limit from this route: its handler bounds the body itself (the
    /// uploads, whose limit is a setting).
    pub fn unlimited_body(mut self) -> Self {
        self.router = self
            .router
            .layer(axum::extract::DefaultBodyLimit::disable());
        self
    }

    pub fn new(tier: Tier, (schemas, paths, router): UtoipaMethodRouter<AppState>) -> Self {
        let mut ops = operations(&paths);
        // Each row is one `routes!(handler)` with one path and one method; a handler annotated
        // otherwise is a programming error caught by every test run.
        assert_eq!(
            ops.len(),
            1,
            "a route table row must declare exactly one operation"
        );
        let (path, method, operation) = ops.remove(0);
        let key = permission_key(&path, method.as_str());
        let tool = if tier != Tier::Public && json_in_and_out(&operation) {
            ToolOffer::Json
        } else {
            ToolOffer::None
        };
        Self {
            method,
            path,
            tier,
            key,
            operation,
            schemas,
            tool,
            router,
        }
    }

    /// The operation is not an MCP tool: it serves only signed-in console users, or answers a
    /// file that has no place in an assistant's context.
    pub fn no_tool(mut self) -> Self {
        self.tool = ToolOffer::None;
        self
    }

    /// The operation's form (without its files) is an MCP tool sent as JSON.
    pub fn form_tool(mut self) -> Self {
        self.tool = ToolOffer::FormAsJson;
        self
    }
}

/// The request body, if the operation has one, is JSON, and so is the success answer.
fn json_in_and_out(operation: &Operation) -> bool {
    const JSON: &str = "application/json";
    let json_in = operation
        .request_body
        .as_ref()
        .is_none_or(|body| body.content.contains_key(JSON));
    let json_out =
        operation
            .responses
            .responses
            .get("200")
            .is_some_and(|response| match response {
                RefOr::T(response) => response.content.contains_key(JSON),
                RefOr::Ref(_) => false,
            });
    json_in && json_out
}

fn operations(paths: &Paths) -> Vec<(String, Method, Operation)> {
    let mut out = Vec::new();
    for (path, item) in &paths.paths {
        let PathItem {
            get,
            post,
            put,
            delete,
            patch,
            ..
        } = item;
        for (method, op) in [
            (Method::GET, get),
            (Method::POST, post),
            (Method::PUT, put),
            (Method::DELETE, delete),
            (Method::PATCH, patch),
        ] {
            if let Some(op) = op {
                out.push((path.clone(), method, op.clone()));
            }
        }
    }
    out
}

/// The table.
pub fn table() -> Vec<ApiRoute> {
    use api::system_info;
    use api::system_users as users;
    use api::{audit_logs, tags, target_groups};
    use api::{
        available_for, clients, companies, company_groups as groups, custom_fields, permissions,
        roles, target_users,
    };
    use api::{jobs, target_group_upload as group_upload, target_user_import as import};
    use api::{scim, siem_settings};
    let mut table = vec![
        ApiRoute::new(Tier::Company, routes!(companies::my)),
        ApiRoute::new(Tier::Reseller, routes!(companies::search)),
        ApiRoute::new(Tier::Reseller, routes!(companies::export)),
        ApiRoute::new(Tier::Company, routes!(companies::get)),
        ApiRoute::new(Tier::Reseller, routes!(companies::create)).form_tool(),
        ApiRoute::new(Tier::Reseller, routes!(companies::update)).form_tool(),
        ApiRoute::new(Tier::Company, routes!(companies::update_limited)).form_tool(),
        ApiRoute::new(Tier::Reseller, routes!(companies::delete)),
        ApiRoute::new(Tier::Reseller, routes!(companies::bulk_delete)),
        ApiRoute::new(Tier::Company, routes!(companies::license_check)),
        ApiRoute::new(Tier::Company, routes!(companies::logo)).no_tool(),
        ApiRoute::new(Tier::Company, routes!(audit_logs::list)),
        ApiRoute::new(Tier::Company, routes!(audit_logs::search)),
        ApiRoute::new(Tier::Company, routes!(audit_logs::export)),
        ApiRoute::new(Tier::Company, routes!(clients::generate)),
        ApiRoute::new(Tier::Company, routes!(clients::create)),
        ApiRoute::new(Tier::Company, routes!(clients::get)),
        ApiRoute::new(Tier::Company, routes!(clients::update)),
        ApiRoute::new(Tier::Company, routes!(clients::delete)),
        ApiRoute::new(Tier::Company, routes!(clients::search)),
        ApiRoute::new(Tier::Company, routes!(clients::export)),
        ApiRoute::new(Tier::Reseller, routes!(groups::create)),
        ApiRoute::new(Tier::Reseller, routes!(groups::list)),
        ApiRoute::new(Tier::Reseller, routes!(groups::get)),
        ApiRoute::new(Tier::Reseller, routes!(groups::update)),
        ApiRoute::new(Tier::Reseller, routes!(groups::delete)),
        ApiRoute::new(Tier::Reseller, routes!(groups::bulk_delete)),
        ApiRoute::new(Tier::Reseller, routes!(groups::search)),
        ApiRoute::new(Tier::Reseller, routes!(groups::search_with_parent)),
        ApiRoute::new(Tier::Reseller, routes!(groups::export)),
        ApiRoute::new(Tier::Reseller, routes!(groups::companies_search)),
        ApiRoute::new(Tier::Reseller, routes!(groups::companies_export)),
        ApiRoute::new(Tier::Reseller, routes!(groups::add_participants)),
        ApiRoute::new(Tier::Reseller, routes!(groups::remove_participants)),
        ApiRoute::new(Tier::Reseller, routes!(groups::companies_of_groups)),
        ApiRoute::new(Tier::Reseller, routes!(available_for::search)),
        ApiRoute::new(Tier::Company, routes!(permissions::all)),
        ApiRoute::new(Tier::Company, routes!(roles::list)),
        ApiRoute::new(Tier::Company, routes!(roles::list_with_available)),
        ApiRoute::new(Tier::Company, routes!(roles::search)),
        ApiRoute::new(Tier::Company, routes!(roles::get)),
        ApiRoute::new(Tier::Company, routes!(roles::create)),
        ApiRoute::new(Tier::Company, routes!(roles::update)),
        ApiRoute::new(Tier::Company, routes!(roles::delete)),
        ApiRoute::new(Tier::Company, routes!(users::create)),
        ApiRoute::new(Tier::Company, routes!(users::update)),
        ApiRoute::new(Tier::Company, routes!(users::delete)),
        ApiRoute::new(Tier::Company, routes!(users::bulk_delete)),
        ApiRoute::new(Tier::Company, routes!(users::search)),
        ApiRoute::new(Tier::Company, routes!(users::export)),
        ApiRoute::new(Tier::Company, routes!(users::add_role)),
        ApiRoute::new(Tier::Company, routes!(users::remove_role)),
        ApiRoute::new(Tier::Company, routes!(users::send_reset_link)),
        ApiRoute::new(Tier::Company, routes!(users::send_information_email)),
        ApiRoute::new(Tier::Company, routes!(users::change_password)).no_tool(),
        ApiRoute::new(Tier::Company, routes!(users::settings)).no_tool(),
        ApiRoute::new(Tier::Company, routes!(users::update_settings)).no_tool(),
        ApiRoute::new(Tier::Public, routes!(users::reset_password)),
        ApiRoute::new(Tier::Public, routes!(users::create_password)),
        ApiRoute::new(Tier::Company, routes!(target_users::create)),
        ApiRoute::new(Tier::Company, routes!(target_users::get)),
        ApiRoute::new(Tier::Company, routes!(target_users::update)),
        ApiRoute::new(Tier::Company, routes!(target_users::delete)),
        ApiRoute::new(Tier::Company, routes!(target_users::bulk_delete)),
        ApiRoute::new(Tier::Company, routes!(target_users::search)),
        ApiRoute::new(Tier::Company, routes!(target_users::export)),
        ApiRoute::new(Tier::Company, routes!(target_users::search_email)),
        ApiRoute::new(Tier::Company, routes!(target_users::by_resource_ids)),
        ApiRoute::new(
            Tier::Company,
            routes!(target_users::include_deleted_by_resource_ids),
        ),
        ApiRoute::new(Tier::Company, routes!(target_users::count_summary)),
        ApiRoute::new(Tier::Company, routes!(target_users::groups)),
        ApiRoute::new(Tier::Company, routes!(target_users::enrollment_emails)),
        ApiRoute::new(
            Tier::Company,
            routes!(target_users::enrollment_emails_count),
        ),
        ApiRoute::new(Tier::Company, routes!(target_users::scorm_email)),
        ApiRoute::new(Tier::Company, routes!(custom_fields::create)),
        ApiRoute::new(Tier::Company, routes!(custom_fields::bulk_update)),
        ApiRoute::new(Tier::Company, routes!(custom_fields::company)),
        ApiRoute::new(Tier::Company, routes!(custom_fields::group)),
        ApiRoute::new(Tier::Company, routes!(custom_fields::get)),
        ApiRoute::new(Tier::Company, routes!(custom_fields::update)),
        ApiRoute::new(Tier::Company, routes!(target_groups::list)),
        ApiRoute::new(Tier::Company, routes!(target_groups::create)),
        ApiRoute::new(Tier::Company, routes!(target_groups::get)),
        ApiRoute::new(Tier::Company, routes!(target_groups::update)),
        ApiRoute::new(Tier::Company, routes!(target_groups::delete)),
        ApiRoute::new(Tier::Company, routes!(target_groups::search)),
        ApiRoute::new(Tier::Company, routes!(target_groups::search_all)),
        ApiRoute::new(
            Tier::Company,
            routes!(target_groups::search_current_company),
        ),
        ApiRoute::new(Tier::Company, routes!(target_groups::search_name)),
        ApiRoute::new(Tier::Company, routes!(target_groups::export)),
        ApiRoute::new(Tier::Company, routes!(target_groups::user_count_detail)),
        ApiRoute::new(Tier::Company, routes!(target_groups::user_count_detail_ext)),
        ApiRoute::new(Tier::Company, routes!(target_groups::add_users)),
        ApiRoute::new(Tier::Company, routes!(target_groups::users_search)),
        ApiRoute::new(Tier::Company, routes!(target_groups::users_export)),
        ApiRoute::new(Tier::Company, routes!(target_groups::remove_users)),
        ApiRoute::new(Tier::Company, routes!(tags::search)),
        ApiRoute::new(Tier::Company, routes!(scim::create)),
        ApiRoute::new(Tier::Company, routes!(scim::fields)),
        ApiRoute::new(Tier::Company, routes!(scim::search)),
        ApiRoute::new(Tier::Company, routes!(scim::get)),
        ApiRoute::new(Tier::Company, routes!(scim::update)),
        ApiRoute::new(Tier::Company, routes!(scim::delete)),
        ApiRoute::new(Tier::Company, routes!(scim::revoke)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::create)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::search)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::export)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::test)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::get)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::update)),
        ApiRoute::new(Tier::Company, routes!(siem_settings::delete)),
        ApiRoute::new(Tier::Company, routes!(import::upload)).unlimited_body(),
        ApiRoute::new(Tier::Company, routes!(import::uploaded_file)),
        ApiRoute::new(Tier::Company, routes!(import::example_file)),
        ApiRoute::new(Tier::Company, routes!(import::create_mapping)),
        ApiRoute::new(Tier::Company, routes!(import::mapping_job)),
        ApiRoute::new(Tier::Company, routes!(import::preview)),
        ApiRoute::new(Tier::Company, routes!(import::preview_export)),
        ApiRoute::new(Tier::Company, routes!(import::reissue)),
        ApiRoute::new(Tier::Company, routes!(import::import)),
        ApiRoute::new(Tier::Company, routes!(group_upload::upload)).unlimited_body(),
        ApiRoute::new(Tier::Company, routes!(group_upload::uploaded_file)),
        ApiRoute::new(Tier::Company, routes!(group_upload::uploaded_sheet)),
        ApiRoute::new(Tier::Company, routes!(jobs::list)),
        ApiRoute::new(Tier::Company, routes!(jobs::get)),
        ApiRoute::new(Tier::Company, routes!(system_info::version)),
        ApiRoute::new(Tier::Company, routes!(system_info::summary)),
    ];
    table.extend(api::reference::routes());
    table
}

/// What the table says about permissions, without the handlers: every row except the public
/// ones (they demand no permission, so none can be granted).
pub fn catalog(table: &[ApiRoute]) -> Catalog {
    Catalog::new(
        table
            .iter()
            .filter(|r| r.tier != Tier::Public)
            .map(|r| CatalogEntry {
                key: r.key.clone(),
                resource_id: permission_resource_id(&r.key),
                tier: r.tier,
                method: r.method.as_str().to_owned(),
                path: r.path.clone(),
                group: r
                    .operation
                    .tags
                    .as_ref()
                    .and_then(|t| t.first().cloned())
                    .unwrap_or_default(),
                summary: r.operation.summary.clone().unwrap_or_default(),
            })
            .collect(),
    )
}

/// The `/api` router: each route wrapped in the authorization step with its permission key,
/// establishing the caller as `authn` says, except public routes, which take no credentials.
pub fn api_router(
    table: Vec<ApiRoute>,
    state: AppState,
    authn: Arc<dyn Authenticator>,
) -> Router<AppState> {
    let mut router = Router::new();
    for route in table {
        let path = routing_path(&route.path);
        if route.tier == Tier::Public {
            router = router.route(&path, route.router);
            continue;
        }
        let permission = Arc::new(Permission(route.key));
        let layered = route
            .router
            .route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), permission, authn.clone()),
                authorize,
            ));
        router = router.route(&path, layered);
    }
    router
}

/// The path the router matches: parameters renamed by position (`{p0}`, `{p1}`, …). The
/// contract names one segment differently in neighbouring paths
/// (`/system-users/{resourceId}/role` beside `/system-users/{userResourceId}/role/{roleResourceId}`),
/// which the router refuses; handlers take parameters by position, and permission keys and the
/// OpenAPI document keep the contract's names.
fn routing_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut n = 0;
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&format!("{{p{n}}}"));
        n += 1;
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_well_formed() {
        let table = table();
        let mut seen = std::collections::HashSet::new();
        for r in &table {
            assert!(
                seen.insert(r.key.clone()),
                "duplicate permission key {}",
                r.key
            );
            assert!(r.path.starts_with("/api/"), "{} is outside /api", r.path);
            assert!(r.key.ends_with(&format!("|{}", r.method)), "{}", r.key);
        }
        assert!(seen.contains("companies/my|GET"));
    }

    #[test]
    fn public_routes_are_not_permissions() {
        let table = table();
        let catalog = catalog(&table);
        let public: Vec<&str> = table
            .iter()
            .filter(|r| r.tier == Tier::Public)
            .map(|r| r.key.as_str())
            .collect();
        assert_eq!(
            public,
            [
                "system-users/reset-password|POST",
                "system-users/create-password|POST"
            ]
        );
        assert!(
            catalog
                .entries()
                .iter()
                .all(|e| !public.contains(&e.key.as_str()))
        );
    }

    #[test]
    fn routing_paths_name_parameters_by_position() {
        assert_eq!(
            routing_path("/api/system-users/{userResourceId}/role/{roleResourceId}"),
            "/api/system-users/{p0}/role/{p1}"
        );
        assert_eq!(routing_path("/api/companies/my"), "/api/companies/my");
    }
}
