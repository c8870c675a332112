//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use latchkey_proto::discovery::ProviderMetadata;

use crate::state::AppState;

pub async fn openid_configuration(State(state): State<AppState>) -> Json<ProviderMetadata> {
    let issuer = state.issuer.clone();
    let algorithms = vec!["ES256".into(), "RS256".into(), "EdDSA".into()];
    Json(ProviderMetadata {
        token_endpoint: format!("{issuer}/connect/token"),
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        issuer,
        grant_types_supported: vec!["client_credentials".into()],
        token_endpoint_auth_methods_supported: vec![
            "client_secret_post".into(),
            "client_secret_basic".into(),
        ],
        scopes_supported: vec!["api1".into()],
        response_types_supported: vec!["token".into()],
        id_token_signing_alg_values_supported: algorithms.clone(),
        token_endpoint_auth_signing_alg_values_supported: algorithms,
        claims_supported: [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nbf",
            "jti",
            "client_id",
            "scope",
            "user_company_resourceid",
            "user_company_name",
            "user_company_id",
            "user_company_logopath",
            "user_company_industry_name",
            "user_company_parentcompany_resourceid",
            "user_company_parentcompany_name",
            "role",
            "company_admin_access",
            "reseller_access",
            "root_access",
        ]
        .map(String::from)
        .to_vec(),
    })
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = state.keys.jwks().to_vec().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    // Short, so a rotation reaches verifiers quickly; retired keys stay published anyway.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
