//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the route table.
//!
//! Every row of [`crate::routes::table`] contributes its path, method, summary, tag, parameters
//! and body schemas (from its `#[utoipa::path]`), and its permission key as the
//! `x-permission` extension (public operations, which take no token, have none), so the
//! document can never disagree with the router. Every operation also declares its failures:
//! a `default` response of [`ERROR_RESULT`], the envelope every `/api` error is, so a client
//! generator (and a schema-driven fuzzer) knows their shape too.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{HttpMethod, Paths};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, ServerBuilder};

use latchkey_proto::ResultStatus;
use latchkey_proto::search::{FilterGroup, FilterItem};
use utoipa::PartialSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, Schema};

use crate::routes::ApiRoute;
use crate::state::AppState;

/// Builds the document for a server whose issuer (public base URL) is `issuer`.
pub fn document(table: &[ApiRoute], issuer: &str) -> OpenApi {
    let mut paths = Paths::new();
    let mut schemas = Vec::new();
    for route in table {
        let method = match route.method.as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "DELETE" => HttpMethod::Delete,
            _ => HttpMethod::Patch,
        };
        let mut operation = route.operation.clone();
        // Handler names repeat across resources (`create`, `search`); method and path do not.
        operation.operation_id = Some(operation_id(route.method.as_str(), &route.path));
        // Public operations (no bearer token) demand no permission.
        if route.tier != latchkey_domain::permission::Tier::Public {
            let permission = ExtensionsBuilder::new()
                .add("x-permission", route.key.clone())
                .build();
            match operation.extensions.as_mut() {
                Some(existing) => existing.merge(permission),
                None => operation.extensions = Some(permission),
            }
        }
        operation
            .responses
            .responses
            .entry("default".into())
            .or_insert_with(error_response);
        paths.add_path_operation(&route.path, vec![method], operation);
        schemas.extend(route.schemas.iter().cloned());
    }
    // The filter is recursive; its parts are registered by hand where the recursion is cut.
    schemas.push((
        "FilterGroup".into(),
        <FilterGroup as PartialSchema>::schema(),
    ));
    schemas.push(("FilterItem".into(), <FilterItem as PartialSchema>::schema()));
    schemas.push(("ResultStatus".into(), ResultStatus::schema()));
    schemas.push((ERROR_RESULT.into(), error_result()));
    let oauth2 = OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
        format!("{issuer}/connect/token"),
        Scopes::from_iter([("api1", "API")]),
    ))]);
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .build();
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme("oauth2", SecurityScheme::OAuth2(oauth2))
        .security_scheme("bearerAuth", SecurityScheme::Http(bearer))
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Latchkey")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "A self-hosted implementation of the Keepnet Labs platform REST API. Get a token \
                     with the client credentials of a REST API client (POST /connect/token), then send \
                     it as a bearer token. Resellers name a customer with X-KEEPNET-Company-Id.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url(issuer).build()]))
        .paths(paths)
        .components(Some(components))
        .build()
}

/// The name of the failure envelope's schema.
pub const ERROR_RESULT: &str = "ErrorResult";

/// `ServiceResult` as every failure has it: no `data`, a `status` other than `SUCCESS`, a
/// message, and the field-level messages of an `INPUT_ERROR`.
fn error_result() -> RefOr<Schema> {
    let nullable_text =
        ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]));
    ObjectBuilder::new()
        .description(Some(
            "A failed call: `isSuccess` is false, `status` names the outcome (`INPUT_ERROR` with \
             `validationMessages` for bad input).",
        ))
        .property("data", ObjectBuilder::new().schema_type(Type::Null))
        .property("status", Ref::from_schema_name("ResultStatus"))
        .property("message", nullable_text)
        .property(
            "validationMessages",
            ArrayBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::Array,
                    Type::Null,
                ]))
                .items(ObjectBuilder::new().schema_type(Type::String)),
        )
        .property(
            "isSuccess",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .enum_values(Some([false])),
        )
        .required("data")
        .required("status")
        .required("message")
        .required("validationMessages")
        .required("isSuccess")
        .into()
}

fn error_response() -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description("A failure, as the envelope")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ERROR_RESULT)))
                .build(),
        )
        .into()
}

/// `post_companies_clients_resourceId`-style ids: unique because method and path are.
fn operation_id(method: &str, path: &str) -> String {
    let path = path.trim_start_matches("/api/");
    let words: Vec<&str> = path
        .split(['/', '-'])
        .map(|w| w.trim_matches(|c| c == '{' || c == '}'))
        .filter(|w| !w.is_empty())
        .collect();
    format!("{}_{}", method.to_ascii_lowercase(), words.join("_"))
}

pub async fn serve(State(state): State<AppState>) -> Response {
    let mut response = state.openapi.clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
