//! `/mcp`: the API for AI assistants, over MCP's Streamable HTTP transport (the official Rust
//! SDK, rmcp).
//!
//! - [`router`] mounts the endpoint behind [`gate`], which authenticates the bearer token as
//!   `/api` does ([`bearer_caller`]: 401 without a valid one) and counts the request against the
//!   client's rate limit; the SDK then checks the `Host` header against `public_url`.
//! - [`tools`]: each route table row that offers a tool, and a call as the `/api` request it
//!   stands for, run through the same authorization step and handler.
//! - [`guide`]: the resources (the OpenAPI document, the README's API sections) and the prompts
//!   (the documented example requests).
//!
//! The endpoint keeps no session: each POST carries its own token and is answered with JSON, so
//! any replica behind a load balancer can serve any request.

pub mod guide;
pub mod tools;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use latchkey_domain::authz::Caller;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, InitializeResult, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::auth::bearer::bearer_caller;
use crate::routes::ApiRoute;
use crate::state::AppState;
use tools::{ApiTool, Credentials};

/// The largest MCP request body: as for the JSON bodies of `/api`.
const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// `/mcp`, serving the tools of `table`. `api` is a mount of the route table that does not
/// count requests against the rate limit: it runs the operations of tool calls, whose MCP
/// request was counted at the gate.
pub fn router(table: &[ApiRoute], state: AppState, api: Router) -> Router<AppState> {
    // The document was serialized from this table at start; it parses back.
    let document = serde_json::from_slice(&state.openapi).unwrap_or_default();
    let server = Arc::new(Endpoint {
        tools: tools::tools(table, &document),
        guide: guide::Guide::new(&state),
        api,
    });
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(MAX_REQUEST_BYTES)
        .with_allowed_hosts(allowed_hosts(&state));
    let service = StreamableHttpService::new(
        move || Ok(Server(server.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(state, gate))
}

/// The `Host` names the endpoint answers to, against DNS rebinding: `public_url`'s and the
/// issuer's, and the loopback names (a rebinding page always comes with its own name).
fn allowed_hosts(state: &AppState) -> Vec<String> {
    let public_url = state.config.public_url_for(&state.issuer);
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
    for url in [public_url.as_str(), state.issuer.as_str()] {
        if let Some(host) = url
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|uri| uri.host().map(|h| h.trim_matches(['[', ']']).to_owned()))
            && !hosts.contains(&host)
        {
            hosts.push(host);
        }
    }
    hosts
}

/// Authenticates every MCP request as `/api` authenticates its requests, and hands the caller
/// to the tools through the request's extensions.
async fn gate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    match bearer_caller(&state, peer, request.headers(), true) {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// What every request of the endpoint shares.
struct Endpoint {
    tools: Vec<ApiTool>,
    guide: guide::Guide,
    api: Router,
}

/// The SDK's handler: made per request, around the shared [`Endpoint`].
#[derive(Clone)]
struct Server(Arc<Endpoint>);

/// The HTTP request an MCP request came in, as the transport hands it to the handler.
fn http_parts(
    context: &RequestContext<RoleServer>,
) -> Result<&axum::http::request::Parts, ErrorData> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .ok_or_else(|| ErrorData::internal_error("the request came without its HTTP parts", None))
}

fn caller(parts: &axum::http::request::Parts) -> Result<&Caller, ErrorData> {
    parts
        .extensions
        .get::<Caller>()
        .ok_or_else(|| ErrorData::internal_error("the request came past no gate", None))
}

impl ServerHandler for Server {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new("latchkey", env!("CARGO_PKG_VERSION")))
        .with_instructions(guide::INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller(http_parts(&context)?)?;
        let tools: Vec<Tool> = self
            .0
            .tools
            .iter()
            .filter(|t| t.allowed(caller))
            .map(|t| t.tool.clone())
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.0
            .tools
            .iter()
            .find(|t| t.tool.name == name)
            .map(|t| t.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let tool = self
            .0
            .tools
            .iter()
            .find(|t| t.tool.name == request.name)
            .ok_or_else(|| {
                ErrorData::invalid_params(format!("There is no tool {}", request.name), None)
            })?;
        let parts = http_parts(&context)?;
        let credentials = Credentials {
            headers: &parts.headers,
            extensions: parts.extensions.clone(),
        };
        Ok(tool
            .call(self.0.api.clone(), request.arguments, credentials)
            .await
            .into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            self.0.guide.resources(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.0.guide.read(&request.uri).map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(guide::prompts()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        guide::prompt(&request.name, request.arguments.as_ref()).map(Into::into)
    }
}
