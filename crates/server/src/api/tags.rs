//! `/api/tags`: the labels a reseller puts on companies (the company form's `Tags`).
//!
//! A tag has no record of its own: it is its text, and `resourceId` repeats it. The search
//! lists the distinct tags on the companies the request covers (the named company, or every
//! company the caller manages), on the one search engine: `Name` (also free text) and
//! `CompanyCount`, ordered by name by default.

use axum::Json;
use axum::extract::State;
use latchkey_proto::ServiceResult;
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_proto::tags::SearchTagDto;

use super::json::JsonBody;
use crate::auth::scope::Reaching;
use crate::error::{ApiResult, ok};
use crate::state::AppState;

#[utoipa::path(post, path = "/api/tags/search", tag = "Tag", summary = "Retrieves a list of tags",
    request_body = SearchRequest, responses((status = 200, body = ServiceResult<PagedResults<SearchTagDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Reaching { reach, .. }: Reaching,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<SearchTagDto>>>> {
    let (rows, total, page) = state.store.search_tags(&reach, &request).await?;
    let results = rows
        .into_iter()
        .map(|t| SearchTagDto {
            resource_id: t.name.clone(),
            name: t.name,
        })
        .collect();
    Ok(ok(PagedResults::new(
        results,
        total,
        page.page_number,
        page.page_size,
    )))
}
