//! Tags: the labels a reseller puts on companies (the company form's `Tags`). A tag has no row
//! of its own; it is its text, and the tags in a reach are the distinct texts on its companies.

use latchkey_domain::authz::Reach;
use latchkey_proto::search::SearchRequest;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::companies::reach_condition;
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Store, StoreError};

/// A tag and how many companies in the reach carry it.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub name: String,
    pub company_count: i64,
}

/// What tags can be searched and sorted by.
pub const TAG_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "t.name"),
        Field::of("CompanyCount", "t.company_count", Kind::Number),
    ],
    default_order: "Name",
    // The names are distinct: a total order by themselves.
    tiebreak: "t.name",
};

impl Store {
    /// One page of the tags on the companies inside `reach`, and their number.
    pub async fn search_tags(
        &self,
        reach: &Reach,
        request: &SearchRequest,
    ) -> Result<(Vec<TagRow>, i64, Compiled), StoreError> {
        let mut params = Params::new(self.backend);
        let within = reach_condition(reach, "c.path", &mut params);
        SearchQuery::new(
            &TAG_SEARCH,
            request,
            params,
            "SELECT t.name, t.company_count",
            |condition| {
                format!(
                    "FROM (SELECT ct.tag AS name, COUNT(*) AS company_count FROM company_tags ct \
                     JOIN companies c ON c.id = ct.company_id WHERE {within} GROUP BY ct.tag) t \
                     WHERE {condition}"
                )
            },
            tag_row,
        )?
        .page(self)
        .await
    }
}

fn tag_row(r: &AnyRow) -> Result<TagRow, StoreError> {
    Ok(TagRow {
        name: r.try_get("name")?,
        company_count: r.try_get("company_count")?,
    })
}
