//! The tag search (`/api/tags/search`). A tag is a label a reseller puts on companies (the
//! company form's `Tags`); the search lists the distinct labels in the caller's reach.

use serde::{Deserialize, Serialize};

/// `SearchTagDto`: a row of `POST /api/tags/search`. A tag is identified by its text, so
/// `resourceId` and `name` are the same.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchTagDto {
    pub resource_id: String,
    pub name: String,
}
