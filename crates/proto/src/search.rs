//! Search and export request bodies, and paged results.
//!
//! Every field is optional on the wire: `{}` and `"filter": null` are valid and mean "first page,
//! default order, no filter". Keys may be camelCase or PascalCase (the server normalizes them).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SearchRequest {
    /// From 1 to 2147483647 (`limits::MAX_PAGE_NUMBER`); 1 when absent.
    #[schema(minimum = 1, maximum = 2147483647)]
    pub page_number: Option<i64>,
    /// From 1 to 1000 (`limits::MAX_PAGE_SIZE`); 20 when absent.
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    pub order_by: Option<String>,
    pub ascending: Option<bool>,
    pub filter: Option<Filter>,
    /// Exports: every matching row (`true`) or only the requested page.
    pub report_all_pages: Option<bool>,
    /// Exports: `Csv` / `CSV` or `Excel` / `Xlsx` / `XLS`, any case.
    pub export_type: Option<String>,
    /// Companies: only those over their licensed user count.
    pub is_target_user_count_exceeded_limit: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Filter {
    pub search_input_text_value: Option<String>,
    pub condition: Option<String>,
    #[schema(no_recursion)]
    pub filter_groups: Option<Vec<FilterGroup>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct FilterGroup {
    pub condition: Option<String>,
    pub filter_items: Option<Vec<FilterItem>>,
    #[schema(no_recursion)]
    pub filter_groups: Option<Vec<FilterGroup>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct FilterItem {
    pub field_name: Option<String>,
    pub operator: Option<String>,
    /// Always a string on the wire; interpreted by the field's type.
    pub value: Option<serde_json::Value>,
}

/// `PagedResults<T>`.
///
/// Built with [`PagedResults::new`], which derives `totalNumberOfPages`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PagedResults<T> {
    pub page_number: i64,
    pub page_size: i64,
    pub total_number_of_pages: i64,
    pub total_number_of_records: i64,
    pub results: Vec<T>,
}

impl<T> PagedResults<T> {
    pub fn new(results: Vec<T>, total: i64, page_number: i64, page_size: i64) -> Self {
        Self {
            page_number,
            page_size,
            total_number_of_pages: (total + page_size - 1) / page_size.max(1),
            total_number_of_records: total,
            results,
        }
    }
}

/// The body of `DELETE …/bulk-delete` (companies, company groups): the listed resource ids, or
/// with `selectAll` everything the filter matches except `excludedItems`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct BulkDeleteRequest {
    pub items: Option<Vec<String>>,
    pub select_all: Option<bool>,
    pub excluded_items: Option<Vec<String>>,
    pub filter: Option<Filter>,
}
