//! MCP tools from the route table, and a tool call as the `/api` request it stands for.
//!
//! Each row that offers a tool ([`ToolOffer`]) becomes one [`ApiTool`], read from the OpenAPI
//! document the same table produced:
//! - the name is the operation's `operationId` (`post_companies_search`: the method and the
//!   path in snake case), so a tool and its operation in `/openapi.json` are found by one name;
//! - the description is the operation's summary (and description, if it has one), then its
//!   method and path;
//! - the input schema holds the path (and query) parameters by name, `companyId`, and `body`,
//!   the request body's schema with the component schemas it refers to under `$defs`.
//!
//! A call becomes an HTTP request (method, path with the parameters filled in, the JSON body,
//! `companyId` as `X-KEEPNET-Company-Id`, the caller's own `Authorization`) that runs through
//! a mount of the route table: the same authorization step, permission check, tenant scoping
//! and handler as over HTTP. Its envelope becomes the tool result.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use latchkey_domain::authz::Caller;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::routes::{ApiRoute, ToolOffer};

/// The argument that names the company a call acts on.
pub const COMPANY_ARGUMENT: &str = "companyId";
/// The argument that holds the request body.
pub const BODY_ARGUMENT: &str = "body";

/// The largest answer a tool call passes on; a search of 1,000 rows is well below it.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Everything in a path segment but the unreserved characters is percent-encoded, so an
/// argument cannot reach another path (`../`) or add a query.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One operation of the route table offered as a tool.
pub struct ApiTool {
    pub tool: Tool,
    /// The permission the operation demands: the tool is listed to callers holding it.
    pub permission: String,
    method: Method,
    /// The contract's path, with `{name}` parameters.
    path: String,
    path_parameters: Vec<String>,
    query_parameters: Vec<String>,
    has_body: bool,
}

/// The tools of `table`, described from `document` (the OpenAPI document built from it).
pub fn tools(table: &[ApiRoute], document: &Value) -> Vec<ApiTool> {
    table
        .iter()
        .filter(|route| route.tool != ToolOffer::None)
        .filter_map(|route| {
            let method = route.method.as_str().to_ascii_lowercase();
            let operation = document.pointer(&format!(
                "/paths/{}/{method}",
                route.path.replace('~', "~0").replace('/', "~1")
            ))?;
            Some(api_tool(route, operation, document))
        })
        .collect()
}

fn api_tool(route: &ApiRoute, operation: &Value, document: &Value) -> ApiTool {
    let name = operation["operationId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let summary = operation["summary"].as_str().unwrap_or_default().trim();
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut path_parameters = Vec::new();
    let mut query_parameters = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let Some(name) = parameter["name"].as_str() else {
            continue;
        };
        let list = match parameter["in"].as_str() {
            Some("path") => &mut path_parameters,
            Some("query") => &mut query_parameters,
            // Headers are the server's business: the one a caller may set is `companyId`.
            _ => continue,
        };
        list.push(name.to_owned());
        let mut schema = parameter["schema"].clone();
        if let (Some(description), Some(object)) =
            (parameter["description"].as_str(), schema.as_object_mut())
        {
            object.insert("description".into(), description.into());
        }
        properties.insert(name.to_owned(), schema);
        if parameter["required"] == true {
            required.push(Value::from(name));
        }
    }
    properties.insert(
        COMPANY_ARGUMENT.into(),
        json!({
            "type": "string",
            "description": "The resourceId of the company to act on, sent as \
                X-KEEPNET-Company-Id: a reseller names one of its customers. Leave it out to act \
                on your own company (searches then cover every company you manage).",
        }),
    );
    let body = operation["requestBody"]["content"]
        .as_object()
        .and_then(|content| content.values().next())
        .map(|media| media["schema"].clone());
    let has_body = body.is_some();
    let mut definitions = Map::new();
    if let Some(mut schema) = body {
        if route.tool == ToolOffer::FormAsJson {
            schema = form_text_fields(resolve(&schema, document));
        }
        collect_definitions(&mut schema, document, &mut definitions);
        properties.insert(BODY_ARGUMENT.into(), schema);
        if operation["requestBody"]["required"] == true {
            required.push(BODY_ARGUMENT.into());
        }
    }
    let mut input = Map::new();
    input.insert("type".into(), "object".into());
    input.insert("properties".into(), Value::Object(properties));
    input.insert("required".into(), Value::Array(required));
    input.insert("additionalProperties".into(), false.into());
    if !definitions.is_empty() {
        input.insert("$defs".into(), Value::Object(definitions));
    }
    let mut description = summary.to_owned();
    if let Some(more) = operation["description"].as_str() {
        description.push_str("\n\n");
        description.push_str(more.trim());
    }
    description.push_str(&format!("\n\n`{} {}`", route.method, route.path));
    let annotations = ToolAnnotations::with_title(summary)
        .read_only(route.method == Method::GET)
        .destructive(route.method == Method::DELETE);
    ApiTool {
        tool: Tool::new(name, description, Arc::new(input)).with_annotations(annotations),
        permission: route.key.clone(),
        method: route.method.clone(),
        path: route.path.clone(),
        path_parameters,
        query_parameters,
        has_body,
    }
}

/// `#/components/schemas/Name` → the schema it names (one level: the body's own schema).
fn resolve(schema: &Value, document: &Value) -> Value {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/"))
        .and_then(|pointer| document.pointer(&format!("/{pointer}")))
        .unwrap_or(schema)
        .clone()
}

/// A form's schema without its file fields: a tool call carries JSON only.
fn form_text_fields(mut schema: Value) -> Value {
    let files: Vec<String> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, field)| field["format"] == "binary")
        .map(|(name, _)| name.clone())
        .collect();
    if let Some(properties) = schema["properties"].as_object_mut() {
        for name in &files {
            properties.remove(name);
        }
    }
    if let Some(required) = schema["required"].as_array_mut() {
        required.retain(|name| name.as_str().is_none_or(|n| !files.iter().any(|f| f == n)));
    }
    schema
}

/// Points every `#/components/schemas/X` in `schema` at `#/$defs/X` and copies each schema it
/// reaches, directly or through others, into `definitions`.
fn collect_definitions(schema: &mut Value, document: &Value, definitions: &mut Map<String, Value>) {
    let mut pending = BTreeSet::new();
    rewrite_refs(schema, &mut pending);
    while let Some(name) = pending.pop_first() {
        if definitions.contains_key(&name) {
            continue;
        }
        let mut definition = document["components"]["schemas"][&name].clone();
        rewrite_refs(&mut definition, &mut pending);
        definitions.insert(name, definition);
    }
}

fn rewrite_refs(value: &mut Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("$ref")
                && let Some(name) = reference.strip_prefix("#/components/schemas/")
            {
                found.insert(name.to_owned());
                *reference = format!("#/$defs/{name}");
            }
            object
                .values_mut()
                .for_each(|value| rewrite_refs(value, found));
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite_refs(item, found)),
        _ => {}
    }
}

/// What a tool call brings from the MCP request to the `/api` request it runs.
pub struct Credentials<'a> {
    /// The MCP request's headers: the caller's `Authorization` (and the proxy's
    /// `X-Forwarded-For`) go along, so the operation authenticates the caller as `/api` does.
    pub headers: &'a axum::http::HeaderMap,
    pub extensions: axum::http::Extensions,
}

/// The request headers an operation sees as the MCP request had them.
const FORWARDED_HEADERS: [HeaderName; 3] = [
    header::AUTHORIZATION,
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-request-id"),
];

impl ApiTool {
    /// Runs the call through `api` (a mount of the route table) and turns the envelope into the
    /// result: its `data` as structured content on success; a tool error with its status,
    /// message and validation messages otherwise.
    pub async fn call(
        &self,
        api: Router,
        arguments: Option<JsonObject>,
        credentials: Credentials<'_>,
    ) -> CallToolResult {
        let request = match self.request(arguments.unwrap_or_default(), credentials) {
            Ok(request) => request,
            Err(problems) => return refused("INPUT_ERROR", "Invalid arguments", &problems),
        };
        // The router's error type is `Infallible`.
        let Ok(response) = api.oneshot(request).await;
        let status = response.status();
        let answer = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES).await;
        let envelope = answer
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        match envelope {
            Some(mut envelope) if envelope["isSuccess"] == true => {
                let data = envelope["data"].take();
                let mut result =
                    CallToolResult::success(vec![ContentBlock::text(data.to_string())]);
                result.structured_content = Some(data);
                result
            }
            Some(envelope) => {
                let messages: Vec<String> = envelope["validationMessages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect();
                refused(
                    envelope["status"].as_str().unwrap_or("ERROR"),
                    envelope["message"].as_str().unwrap_or_default(),
                    &messages,
                )
            }
            None => refused(
                "ERROR",
                &format!("The operation answered HTTP {status} without a JSON envelope"),
                &[],
            ),
        }
    }

    /// The `/api` request for `arguments`, or what is wrong with them.
    fn request(
        &self,
        mut arguments: JsonObject,
        credentials: Credentials<'_>,
    ) -> Result<Request<Body>, Vec<String>> {
        let mut problems = Vec::new();
        let mut path = self.path.clone();
        for name in &self.path_parameters {
            match text_argument(name, &mut arguments) {
                Ok(Some(value)) => {
                    let encoded = utf8_percent_encode(&value, PATH_SEGMENT).to_string();
                    path = path.replace(&format!("{{{name}}}"), &encoded);
                }
                Ok(None) => problems.push(format!("{name} is required")),
                Err(problem) => problems.push(problem),
            }
        }
        let mut query = BTreeMap::new();
        for name in &self.query_parameters {
            match text_argument(name, &mut arguments) {
                Ok(Some(value)) => {
                    query.insert(name.clone(), value);
                }
                Ok(None) => {}
                Err(problem) => problems.push(problem),
            }
        }
        let company = text_argument(COMPANY_ARGUMENT, &mut arguments).unwrap_or_else(|problem| {
            problems.push(problem);
            None
        });
        let body = if self.has_body {
            arguments.remove(BODY_ARGUMENT)
        } else {
            None
        };
        let unknown: Vec<&String> = arguments.keys().collect();
        if !unknown.is_empty() {
            problems.push(format!(
                "Unknown arguments: {}",
                unknown
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut request = Request::builder().method(self.method.clone());
        if let Some(company) = company {
            match HeaderValue::from_str(&company) {
                Ok(value) => request = request.header("x-keepnet-company-id", value),
                Err(_) => problems.push(format!("{COMPANY_ARGUMENT} is not a valid company id")),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if !query.is_empty() {
            path.push('?');
            // Encoding a map of strings cannot fail.
            path.push_str(&serde_urlencoded::to_string(&query).unwrap_or_default());
        }
        for name in FORWARDED_HEADERS {
            for value in credentials.headers.get_all(&name) {
                request = request.header(&name, value);
            }
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request
            .uri(path)
            .body(body)
            .map_err(|e| vec![format!("The arguments do not make a request: {e}")])?;
        *request.extensions_mut() = credentials.extensions;
        Ok(request)
    }

    /// Whether `caller` may use the tool (and so sees it listed).
    pub fn allowed(&self, caller: &Caller) -> bool {
        caller.permissions().contains(&self.permission)
    }
}

/// The argument `name`, taken out of `arguments`: text, or a number written as text.
fn text_argument(name: &str, arguments: &mut JsonObject) -> Result<Option<String>, String> {
    match arguments.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// A refusal as a tool error: the envelope's status and message, then one line per validation
/// message; the same as structured content.
fn refused(status: &str, message: &str, validation_messages: &[String]) -> CallToolResult {
    let mut text = format!("{status}: {message}");
    for m in validation_messages {
        text.push_str("\n- ");
        text.push_str(m);
    }
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({
        "status": status,
        "message": message,
        "validationMessages": validation_messages,
    }));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes;

    fn all() -> Vec<ApiTool> {
        let table = routes::table();
        let document = serde_json::to_value(crate::openapi::document(&table, "http://localhost"))
            .expect("document");
        tools(&table, &document)
    }

    fn find<'a>(tools: &'a [ApiTool], name: &str) -> &'a ApiTool {
        tools
            .iter()
            .find(|t| t.tool.name == name)
            .unwrap_or_else(|| panic!("no tool {name}"))
    }

    #[test]
    fn every_offered_row_is_one_tool_with_a_unique_valid_name() {
        let table = routes::table();
        let tools = all();
        let offered = table.iter().filter(|r| r.tool != ToolOffer::None).count();
        assert_eq!(tools.len(), offered);
        let mut names = BTreeSet::new();
        for t in &tools {
            let name = t.tool.name.as_ref();
            assert!(names.insert(name.to_owned()), "duplicate tool {name}");
            assert!(
                !name.is_empty()
                    && name.len() <= 64
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{name} is not a portable tool name"
            );
            assert!(
                !t.path_parameters
                    .iter()
                    .chain(&t.query_parameters)
                    .any(|p| p == COMPANY_ARGUMENT || p == BODY_ARGUMENT),
                "{name}: a parameter hides an argument"
            );
        }
    }

    #[test]
    fn public_rows_uploads_and_downloads_are_not_tools() {
        let names: BTreeSet<String> = all().iter().map(|t| t.tool.name.to_string()).collect();
        for absent in [
            "post_system_users_reset_password",
            "post_system_users_create_password",
            "post_companies_search_export",
            "get_companies_resourceId_logo",
            "put_system_users_change_password",
        ] {
            assert!(!names.contains(absent), "{absent} is offered");
        }
        for present in [
            "post_companies_search",
            "post_target_users",
            "post_companies",
        ] {
            assert!(names.contains(present), "{present} is missing");
        }
    }

    #[test]
    fn input_schemas_are_self_contained() {
        for t in all() {
            let schema = Value::Object((*t.tool.input_schema).clone());
            let mut refs = BTreeSet::new();
            let mut copy = schema.clone();
            rewrite_refs(&mut copy, &mut refs);
            let text = schema.to_string();
            assert!(
                !text.contains("#/components/"),
                "{} points outside itself",
                t.tool.name
            );
            for name in refs {
                assert!(
                    schema["$defs"].get(&name).is_some(),
                    "{}: $defs lacks {name}",
                    t.tool.name
                );
            }
        }
    }

    #[test]
    fn a_tool_takes_its_path_parameters_company_and_body() {
        let tools = all();
        let update = find(&tools, "put_target_users_resourceId");
        let schema = &update.tool.input_schema;
        assert_eq!(
            schema["required"],
            json!(["resourceId", BODY_ARGUMENT]),
            "{schema:?}"
        );
        assert!(schema["properties"][COMPANY_ARGUMENT].is_object());
        assert!(
            schema["properties"][BODY_ARGUMENT]["$ref"]
                .as_str()
                .is_some_and(|r| r.starts_with("#/$defs/"))
        );
        let form = &find(&tools, "post_companies").tool.input_schema;
        assert!(form["properties"][BODY_ARGUMENT]["properties"]["Name"].is_object());
        assert!(form["properties"][BODY_ARGUMENT]["properties"]["File"].is_null());
    }

    #[test]
    fn a_call_becomes_the_operation_request() {
        let tools = all();
        let remove = find(
            &tools,
            "delete_system_users_userResourceId_role_roleResourceId",
        );
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        headers.insert("x-keepnet-company-id", HeaderValue::from_static("smuggled"));
        let arguments =
            json!({"userResourceId": "a/../b", "roleResourceId": "r1", "companyId": "c1"});
        let request = remove
            .request(
                arguments.as_object().cloned().unwrap_or_default(),
                Credentials {
                    headers: &headers,
                    extensions: Default::default(),
                },
            )
            .unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(request.method(), Method::DELETE);
        assert_eq!(request.uri().path(), "/api/system-users/a%2F..%2Fb/role/r1");
        assert_eq!(request.headers()["x-keepnet-company-id"], "c1");
        assert_eq!(request.headers()[header::AUTHORIZATION], "Bearer t");

        let problems = remove
            .request(
                json!({"roleResourceId": true, "extra": 1})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                Credentials {
                    headers: &headers,
                    extensions: Default::default(),
                },
            )
            .err()
            .unwrap_or_default();
        assert_eq!(
            problems,
            [
                "userResourceId is required",
                "roleResourceId must be a string",
                "Unknown arguments: extra"
            ]
        );
    }
}
