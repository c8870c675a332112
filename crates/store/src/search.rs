//! The one search engine behind every `…/search` and `…/export`.
//!
//! A resource declares its searchable fields once ([`SearchSpec`]): the API name, the SQL
//! expression, the type, and whether free-text search looks at it. A request is validated
//! against that list — unknown fields, operators and values are `INPUT_ERROR`s that name what
//! is allowed — and compiled into a `WHERE` condition and an `ORDER BY` from the whitelist.
//! Every value the caller sends reaches SQL only as a bind parameter; only the spec's own
//! column expressions are ever spliced into the text.
//!
//! Filter language (the platform's, with the operators its UI uses): groups of items joined by
//! `AND`/`OR`, nested up to [`MAX_FILTER_DEPTH`] deep; operators `=`, `!=`, `Contains`,
//! `StartsWith`, `EndsWith`, `Include` (comma-separated list), `>`, `<`, `>=`, `<=`, on text,
//! number, boolean and date fields. Text comparisons ignore case. A date given without a time
//! means the whole day (`= 2026-11-23` matches any time that day).
//!
//! Case is ignored by the database on both sides of a comparison (`LOWER(column) = LOWER($1)`),
//! never by lower-casing the value here: the column and the value are then folded by the same
//! rules, so a value written exactly as stored always matches. SQLite folds ASCII letters only;
//! PostgreSQL folds by the database's locale. Rust's `to_lowercase` agrees with neither
//! (`İ`, and every non-ASCII capital on SQLite).
//!
//! The sizes a request may have (page, items, groups, depth, `Include` values) are the table in
//! [`latchkey_proto::limits`].

use latchkey_proto::search::{Filter, FilterGroup, FilterItem, SearchRequest};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use crate::{Backend, StoreError};
use sqlx::any::AnyArguments;
use sqlx::query::Query;

pub use latchkey_proto::limits::{
    DEFAULT_PAGE_SIZE, MAX_FILTER_DEPTH, MAX_FILTER_GROUPS, MAX_FILTER_ITEMS, MAX_INCLUDE_VALUES,
    MAX_PAGE_NUMBER, MAX_PAGE_SIZE,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Bool,
    /// Unix milliseconds in the database.
    Date,
    /// An enumeration stored as its code and named on the wire: values are matched by name,
    /// ignoring case (`Status Include "Active,Inactive"`).
    Enum(&'static [(&'static str, i64)]),
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The name clients use (`CreateTime`); matched ignoring case.
    pub name: &'static str,
    /// The SQL expression it reads.
    pub column: &'static str,
    pub kind: Kind,
    /// Whether `searchInputTextValue` looks at it.
    pub text_search: bool,
    /// A column the database keeps equal to `LOWER(column)`. Case-insensitive matching on
    /// PostgreSQL reads it instead of lower-casing every row, which was three quarters of a
    /// 10,000-row company search there (see `company_search.name_folded`).
    pub folded: Option<&'static str>,
}

impl Field {
    pub const fn text(name: &'static str, column: &'static str) -> Self {
        Self {
            name,
            column,
            kind: Kind::Text,
            text_search: true,
            folded: None,
        }
    }
    /// A text field with a lower-cased copy kept by the database (PostgreSQL only; SQLite's
    /// `LIKE` ignores ASCII case by itself).
    pub const fn text_folded(
        name: &'static str,
        column: &'static str,
        folded: &'static str,
    ) -> Self {
        Self {
            name,
            column,
            kind: Kind::Text,
            text_search: true,
            folded: Some(folded),
        }
    }
    pub const fn of(name: &'static str, column: &'static str, kind: Kind) -> Self {
        Self {
            name,
            column,
            kind,
            text_search: false,
            folded: None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SearchSpec {
    pub fields: &'static [Field],
    pub default_order: &'static str,
    /// A unique column that makes every order total, so pages never overlap.
    pub tiebreak: &'static str,
}

/// A bind value.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// Collects bind values and hands out their `$n` placeholders, and knows the SQL dialect for
/// the few things the backends spell differently.
#[derive(Debug)]
pub struct Params {
    binds: Vec<Bind>,
    backend: Backend,
}

impl Params {
    pub fn new(backend: Backend) -> Self {
        Self {
            binds: Vec::new(),
            backend,
        }
    }

    /// `field` matches the `LIKE` pattern `p` ignoring case. SQLite's `LIKE` already ignores
    /// ASCII case (and only that, like its `LOWER`), and lower-casing every row cost two thirds
    /// of a 10,000-row scan there; on PostgreSQL `LOWER(column) LIKE` measured 26% faster than
    /// `ILIKE`, and a stored lower-cased column another 2.5 times faster than that. The pattern
    /// is lowered by the database too, once per statement, by the same rules as the column.
    fn like_ignoring_case(&self, field: &Field, p: &str) -> String {
        match (self.backend, field.folded) {
            (Backend::Sqlite, _) => format!("{} LIKE {p} ESCAPE '\\'", field.column),
            (Backend::Postgres, Some(folded)) => {
                format!("{folded} LIKE LOWER({p}) ESCAPE '\\'")
            }
            (Backend::Postgres, None) => {
                format!("LOWER({}) LIKE LOWER({p}) ESCAPE '\\'", field.column)
            }
        }
    }

    /// The lower-cased value of `field`.
    fn lowered(&self, field: &Field) -> String {
        match (self.backend, field.folded) {
            (Backend::Postgres, Some(folded)) => folded.to_owned(),
            _ => format!("LOWER({})", field.column),
        }
    }

    pub fn push(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }

    pub fn text(&mut self, s: impl Into<String>) -> String {
        self.push(Bind::Text(s.into()))
    }

    pub fn int(&mut self, i: i64) -> String {
        self.push(Bind::Int(i))
    }

    /// Binds every collected value to `query`, in order. The statement is kept prepared on the
    /// connection; after five runs PostgreSQL may switch it to one generic plan for any values.
    pub fn apply<'q>(
        &self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for b in &self.binds {
            query = match b {
                Bind::Text(s) => query.bind(s.clone()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query
    }

    /// [`Params::apply`] for a statement whose best plan depends on the values, run unprepared
    /// so that PostgreSQL plans it for these values every time.
    ///
    /// A company subtree holds anything from one company to all of them. A kept company search
    /// went to a generic plan after five runs, made without the values: it walked the path
    /// index and fetched every row at random, 12.5 ms instead of 4 ms. The price is planning
    /// each run (about 0.8 ms for a company search), which a statement served well by one plan,
    /// such as a search within one company, should not pay.
    pub fn apply_one_off<'q>(
        &self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        self.apply(query.persistent(false))
    }
}

/// One resource's search, compiled: what every `…/search`, `…/export` and `selectAll` bulk
/// operation runs. A resource only says which rows it reads (`select`), from where and within
/// which scope (`from`, ending in its `WHERE` with the scope condition), and how a row is read;
/// paging, totals, streaming and the unpaged match are the same for all.
pub(crate) struct SearchQuery<T> {
    /// `SELECT <columns>`.
    select: String,
    /// `FROM … WHERE <scope> AND <the request's condition>`.
    from: String,
    params: Params,
    compiled: Compiled,
    row: fn(&AnyRow) -> Result<T, StoreError>,
}

impl<T: Send + 'static> SearchQuery<T> {
    /// Compiles `request` against `spec`, then asks `from` for the `FROM … WHERE` clause given
    /// the request's condition. `params` already holds the scope's binds.
    pub(crate) fn new(
        spec: &SearchSpec,
        request: &SearchRequest,
        mut params: Params,
        select: impl Into<String>,
        from: impl FnOnce(&str) -> String,
        row: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Self, StoreError> {
        let compiled = compile(spec, request, &mut params).map_err(StoreError::Invalid)?;
        Ok(Self {
            select: select.into(),
            from: from(&compiled.condition),
            params,
            compiled,
            row,
        })
    }

    fn ordered(&self) -> String {
        format!(
            "{} {} ORDER BY {}",
            self.select, self.from, self.compiled.order_by
        )
    }

    /// One page and the total number of matches.
    pub(crate) async fn page(
        self,
        store: &crate::Store,
    ) -> Result<(Vec<T>, i64, Compiled), StoreError> {
        let total: i64 = self
            .params
            .apply(sqlx::query(&format!("SELECT COUNT(*) AS n {}", self.from)))
            .fetch_one(store.pool())
            .await?
            .try_get("n")?;
        let sql = format!("{}{}", self.ordered(), self.compiled.limit_offset());
        let rows = self
            .params
            .apply(sqlx::query(&sql))
            .fetch_all(store.pool())
            .await?;
        let rows = rows.iter().map(self.row).collect::<Result<_, _>>()?;
        Ok((rows, total, self.compiled))
    }

    /// The matches of an export (one page, or all with `reportAllPages`), streamed: memory
    /// stays constant however many match.
    pub(crate) fn stream(
        self,
        store: &crate::Store,
    ) -> impl futures_core::Stream<Item = Result<T, StoreError>> + Send + 'static {
        let sql = format!("{}{}", self.ordered(), self.compiled.limit_offset());
        let (pool, params, row) = (store.pool().clone(), self.params, self.row);
        async_stream::try_stream! {
            let mut rows = params.apply(sqlx::query(&sql)).fetch(&pool);
            while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows).await? {
                yield row(&r)?;
            }
        }
    }

    /// Every match, unpaged: what a `selectAll` bulk operation covers.
    pub(crate) async fn all(self, store: &crate::Store) -> Result<Vec<T>, StoreError> {
        self.params
            .apply(sqlx::query(&self.ordered()))
            .fetch_all(store.pool())
            .await?
            .iter()
            .map(self.row)
            .collect()
    }
}

/// A validated search: the `WHERE` condition (with its binds in `params`), the `ORDER BY`, and
/// the page.
#[derive(Debug)]
pub struct Compiled {
    pub condition: String,
    pub order_by: String,
    /// The columns `order_by` reads, the tie-break last.
    pub order_columns: Vec<&'static str>,
    pub page_number: i64,
    pub page_size: i64,
    /// Exports with `reportAllPages`: no paging.
    pub all_pages: bool,
}

impl Compiled {
    pub fn limit_offset(&self) -> String {
        if self.all_pages {
            String::new()
        } else {
            // `compile` bounds both factors, so the product fits; saturating keeps it so for a
            // `Compiled` built any other way (a negative offset is an error on PostgreSQL and
            // page 1 on SQLite).
            let offset = (self.page_number.max(1) - 1).saturating_mul(self.page_size.max(1));
            format!(" LIMIT {} OFFSET {offset}", self.page_size)
        }
    }
}

/// Validates `request` against `spec` and compiles it, adding binds to `params`.
pub fn compile(
    spec: &SearchSpec,
    request: &SearchRequest,
    params: &mut Params,
) -> Result<Compiled, Vec<String>> {
    let mut errors = Vec::new();
    let page_number = request.page_number.unwrap_or(1);
    if !(1..=MAX_PAGE_NUMBER).contains(&page_number) {
        errors.push(format!(
            "pageNumber must be between 1 and {MAX_PAGE_NUMBER}"
        ));
    }
    let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        errors.push(format!("pageSize must be between 1 and {MAX_PAGE_SIZE}"));
    }
    let order_name = request
        .order_by
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(spec.default_order);
    let order_field = match find(spec, order_name) {
        Some(f) => Some(f),
        None => {
            errors.push(format!(
                "orderBy '{}' is not one of: {}",
                shown(order_name),
                names(spec)
            ));
            None
        }
    };
    let mut budget = Budget::default();
    let condition = match &request.filter {
        Some(filter) => compile_filter(spec, filter, params, &mut budget, &mut errors),
        None => None,
    };
    if !errors.is_empty() {
        // A message repeats when many items share one mistake; once is enough.
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert(e.clone()));
        return Err(errors);
    }
    let direction = if request.ascending.unwrap_or(false) {
        "ASC"
    } else {
        "DESC"
    };
    let order_columns: Vec<&'static str> = match order_field {
        Some(f) if f.column != spec.tiebreak => vec![f.column, spec.tiebreak],
        _ => vec![spec.tiebreak],
    };
    let order_by = order_columns
        .iter()
        .map(|c| format!("{c} {direction}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Compiled {
        condition: condition.unwrap_or_else(|| "1 = 1".to_owned()),
        order_by,
        order_columns,
        page_number,
        page_size,
        all_pages: request.report_all_pages.unwrap_or(false) && request.export_type.is_some(),
    })
}

fn find<'s>(spec: &'s SearchSpec, name: &str) -> Option<&'s Field> {
    spec.fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
}

fn names(spec: &SearchSpec) -> String {
    spec.fields
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Copy)]
enum Join {
    And,
    Or,
}

fn join(condition: Option<&str>, errors: &mut Vec<String>) -> Join {
    match condition.map(str::trim) {
        None | Some("") => Join::And,
        Some(c) if c.eq_ignore_ascii_case("and") => Join::And,
        Some(c) if c.eq_ignore_ascii_case("or") => Join::Or,
        Some(c) => {
            errors.push(format!("condition '{}' must be AND or OR", shown(c)));
            Join::And
        }
    }
}

fn combine(parts: Vec<String>, how: Join) -> Option<String> {
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => {
            let sep = match how {
                Join::And => " AND ",
                Join::Or => " OR ",
            };
            Some(format!("({})", parts.join(sep)))
        }
    }
}

/// What a filter may still use of [`latchkey_proto::limits`]; each limit is reported once.
#[derive(Debug)]
struct Budget {
    items: usize,
    groups: usize,
    include_values: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            items: MAX_FILTER_ITEMS,
            groups: MAX_FILTER_GROUPS,
            include_values: MAX_INCLUDE_VALUES,
        }
    }
}

impl Budget {
    /// Takes `n` from `left`, or reports `message` (once per filter) when there is not enough.
    fn take(left: &mut usize, n: usize, message: String, errors: &mut Vec<String>) -> bool {
        match left.checked_sub(n) {
            Some(rest) => {
                *left = rest;
                true
            }
            None => {
                *left = 0;
                if !errors.contains(&message) {
                    errors.push(message);
                }
                false
            }
        }
    }
}

fn compile_filter(
    spec: &SearchSpec,
    filter: &Filter,
    params: &mut Params,
    budget: &mut Budget,
    errors: &mut Vec<String>,
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(text) = filter
        .search_input_text_value
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = params.text(format!("%{}%", escape_like(text)));
        let ors: Vec<String> = spec
            .fields
            .iter()
            .filter(|f| f.text_search)
            .map(|f| params.like_ignoring_case(f, &pattern))
            .collect();
        parts.extend(combine(ors, Join::Or));
    }
    let how = join(filter.condition.as_deref(), errors);
    let groups: Vec<String> = filter
        .filter_groups
        .iter()
        .flatten()
        .filter_map(|g| compile_group(spec, g, params, 1, budget, errors))
        .collect();
    parts.extend(combine(groups, how));
    combine(parts, Join::And)
}

fn compile_group(
    spec: &SearchSpec,
    group: &FilterGroup,
    params: &mut Params,
    depth: usize,
    budget: &mut Budget,
    errors: &mut Vec<String>,
) -> Option<String> {
    if depth > MAX_FILTER_DEPTH {
        let message = format!("filterGroups may be nested at most {MAX_FILTER_DEPTH} deep");
        if !errors.contains(&message) {
            errors.push(message);
        }
        return None;
    }
    if !Budget::take(
        &mut budget.groups,
        1,
        format!("a filter may have at most {MAX_FILTER_GROUPS} filterGroups"),
        errors,
    ) {
        return None;
    }
    let how = join(group.condition.as_deref(), errors);
    let mut parts = Vec::new();
    for item in group.filter_items.iter().flatten() {
        if !Budget::take(
            &mut budget.items,
            1,
            format!("a filter may have at most {MAX_FILTER_ITEMS} filterItems"),
            errors,
        ) {
            return None;
        }
        parts.extend(compile_item(spec, item, params, budget, errors));
    }
    for sub in group.filter_groups.iter().flatten() {
        parts.extend(compile_group(spec, sub, params, depth + 1, budget, errors));
    }
    combine(parts, how)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Contains,
    StartsWith,
    EndsWith,
    Include,
    Gt,
    Lt,
    Ge,
    Le,
}

fn parse_op(raw: &str) -> Option<Op> {
    let op = raw.trim().to_ascii_lowercase();
    Some(match op.as_str() {
        "=" | "==" | "eq" | "equals" => Op::Eq,
        "!=" | "<>" | "ne" | "notequals" => Op::Ne,
        "contains" | "like" => Op::Contains,
        "startswith" => Op::StartsWith,
        "endswith" => Op::EndsWith,
        "include" | "in" => Op::Include,
        ">" | "gt" | "greaterthan" => Op::Gt,
        "<" | "lt" | "lessthan" => Op::Lt,
        ">=" | "ge" | "greaterthanorequal" => Op::Ge,
        "<=" | "le" | "lessthanorequal" => Op::Le,
        _ => return None,
    })
}

fn compile_item(
    spec: &SearchSpec,
    item: &FilterItem,
    params: &mut Params,
    budget: &mut Budget,
    errors: &mut Vec<String>,
) -> Option<String> {
    let name = item.field_name.as_deref().map(str::trim).unwrap_or("");
    let Some(field) = find(spec, name) else {
        errors.push(format!(
            "fieldName '{}' is not one of: {}",
            shown(name),
            names(spec)
        ));
        return None;
    };
    let raw_op = item.operator.as_deref().unwrap_or("=");
    let Some(op) = parse_op(raw_op) else {
        errors.push(format!(
            "operator '{}' for {} is not one of: =, !=, Contains, StartsWith, EndsWith, Include, >, <, >=, <=",
            shown(raw_op),
            field.name
        ));
        return None;
    };
    let value = match &item.value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let col = field.column;
    if op == Op::Include
        && !Budget::take(
            &mut budget.include_values,
            split_list(&value).count(),
            format!("a filter may have at most {MAX_INCLUDE_VALUES} Include values"),
            errors,
        )
    {
        return None;
    }
    let bad = |errors: &mut Vec<String>, what: &str| {
        errors.push(format!(
            "value '{}' for {} is not {what}",
            shown(&value),
            field.name
        ));
        None
    };
    match (field.kind, op) {
        (Kind::Text, Op::Eq | Op::Ne) => {
            let p = params.text(value.clone());
            let cmp = if op == Op::Eq { "=" } else { "<>" };
            Some(format!("LOWER(COALESCE({col}, '')) {cmp} LOWER({p})"))
        }
        (Kind::Text, Op::Contains | Op::StartsWith | Op::EndsWith) => {
            let v = escape_like(&value);
            let pattern = match op {
                Op::Contains => format!("%{v}%"),
                Op::StartsWith => format!("{v}%"),
                _ => format!("%{v}"),
            };
            let p = params.text(pattern);
            Some(params.like_ignoring_case(field, &p))
        }
        (Kind::Text, Op::Include) => {
            let list: Vec<String> = split_list(&value)
                .map(|v| format!("LOWER({})", params.text(v)))
                .collect();
            if list.is_empty() {
                return bad(errors, "a comma-separated list");
            }
            Some(format!(
                "{} IN ({})",
                params.lowered(field),
                list.join(", ")
            ))
        }
        (Kind::Text, Op::Gt | Op::Lt | Op::Ge | Op::Le) => {
            let p = params.text(value.clone());
            Some(format!("{col} {} {p}", cmp_sql(op)))
        }
        (Kind::Number | Kind::Bool | Kind::Enum(_), _) => {
            let parse = |v: &str| -> Option<i64> {
                match field.kind {
                    Kind::Bool => match v.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" => Some(1),
                        "false" | "0" => Some(0),
                        _ => None,
                    },
                    Kind::Enum(names) => names
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(v.trim()))
                        .map(|(_, code)| *code),
                    _ => v.trim().parse().ok(),
                }
            };
            let what = match field.kind {
                Kind::Bool => "true or false".to_owned(),
                Kind::Enum(names) => format!(
                    "one of: {}",
                    names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
                _ => "a whole number".to_owned(),
            };
            let what = what.as_str();
            match op {
                Op::Include => {
                    let mut list = Vec::new();
                    for v in split_list(&value) {
                        match parse(v) {
                            Some(n) => list.push(params.int(n)),
                            None => return bad(errors, what),
                        }
                    }
                    if list.is_empty() {
                        return bad(errors, "a comma-separated list");
                    }
                    Some(format!("{col} IN ({})", list.join(", ")))
                }
                Op::Contains | Op::StartsWith | Op::EndsWith => {
                    errors.push(format!(
                        "operator '{raw_op}' does not apply to {} (not text)",
                        field.name
                    ));
                    None
                }
                _ => match parse(&value) {
                    Some(n) => {
                        let p = params.int(n);
                        Some(format!("{col} {} {p}", cmp_sql(op)))
                    }
                    None => bad(errors, what),
                },
            }
        }
        (Kind::Date, _) => {
            let Some((start, whole_day)) = parse_date(&value) else {
                return bad(errors, "a date (2026-11-23 or 2026-11-23T10:00:00Z)");
            };
            let end = start + if whole_day { 86_400_000 } else { 1 };
            let (s, e) = (params.int(start), params.int(end));
            match op {
                Op::Eq => Some(format!("({col} >= {s} AND {col} < {e})")),
                Op::Ne => Some(format!("({col} < {s} OR {col} >= {e})")),
                Op::Gt => Some(format!("{col} >= {e}")),
                Op::Ge => Some(format!("{col} >= {s}")),
                Op::Lt => Some(format!("{col} < {s}")),
                Op::Le => Some(format!("{col} < {e}")),
                _ => {
                    errors.push(format!(
                        "operator '{raw_op}' does not apply to {} (a date)",
                        field.name
                    ));
                    None
                }
            }
        }
    }
}

fn cmp_sql(op: Op) -> &'static str {
    match op {
        Op::Gt => ">",
        Op::Lt => "<",
        Op::Ge => ">=",
        Op::Le => "<=",
        Op::Ne => "<>",
        _ => "=",
    }
}

/// A value as quoted back in a message: at most 100 characters of it.
fn shown(value: &str) -> String {
    const MAX: usize = 100;
    match value.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Escapes `%`, `_` and the escape character itself for `LIKE … ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Unix milliseconds, and whether only a date (a whole day) was given.
fn parse_date(value: &str) -> Option<(i64, bool)> {
    latchkey_domain::time::parse_date(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: SearchSpec = SearchSpec {
        fields: &[
            Field::text("Name", "c.name"),
            Field::of("StatusId", "c.status_id", Kind::Number),
            Field::of("IsActive", "c.active", Kind::Bool),
            Field::of("CreateTime", "c.create_time", Kind::Date),
        ],
        default_order: "CreateTime",
        tiebreak: "c.id",
    };

    fn request(v: serde_json::Value) -> SearchRequest {
        serde_json::from_value(v).expect("request")
    }

    #[test]
    fn empty_and_null_filters_are_accepted() {
        let mut p = Params::new(Backend::Postgres);
        let c = compile(&SPEC, &request(json!({"filter": null})), &mut p).expect("ok");
        assert_eq!(c.condition, "1 = 1");
        assert_eq!(c.order_by, "c.create_time DESC, c.id DESC");
        assert_eq!((c.page_number, c.page_size), (1, 20));
        let legacy = json!({"filter": {"condition": "AND", "searchInputTextValue": "",
            "filterGroups": [{"condition": "AND", "filterItems": [], "filterGroups": []},
                             {"condition": "OR", "filterItems": [], "filterGroups": []}]}});
        assert_eq!(
            compile(&SPEC, &request(legacy), &mut p)
                .expect("ok")
                .condition,
            "1 = 1"
        );
    }

    #[test]
    fn values_are_bound_never_spliced() {
        let mut p = Params::new(Backend::Postgres);
        let r = request(
            json!({"filter": {"filterGroups": [{"condition": "OR", "filterItems": [
            {"fieldName": "name", "operator": "Contains", "value": "x' OR 1=1 --"},
            {"fieldName": "StatusId", "operator": "Include", "value": "1,0"}]}]}}),
        );
        let c = compile(&SPEC, &r, &mut p).expect("ok");
        assert_eq!(
            c.condition,
            "(LOWER(c.name) LIKE LOWER($1) ESCAPE '\\' OR c.status_id IN ($2, $3))"
        );
        assert_eq!(
            p.binds,
            vec![
                Bind::Text("%x' OR 1=1 --%".into()),
                Bind::Int(1),
                Bind::Int(0)
            ]
        );
    }

    #[test]
    fn unknown_fields_and_orders_name_the_allowed_ones() {
        let mut p = Params::new(Backend::Postgres);
        let errors = compile(
            &SPEC,
            &request(json!({"orderBy": "Secret", "filter": {"filterGroups": [
            {"filterItems": [{"fieldName": "password", "operator": "=", "value": "x"}]}]}})),
            &mut p,
        )
        .expect_err("invalid");
        assert!(
            errors
                .iter()
                .any(|e| e.contains("orderBy 'Secret'") && e.contains("Name, StatusId")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("fieldName 'password'")),
            "{errors:?}"
        );
    }

    #[test]
    fn typed_values_are_checked() {
        let mut p = Params::new(Backend::Postgres);
        for (field, op, value) in [
            ("StatusId", ">", "many"),
            ("IsActive", "=", "maybe"),
            ("CreateTime", "<", "yesterday"),
        ] {
            let r = request(
                json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": field, "operator": op, "value": value}]}]}}),
            );
            assert!(compile(&SPEC, &r, &mut p).is_err(), "{field} {op} {value}");
        }
    }

    #[test]
    fn a_date_alone_means_the_whole_day() {
        let mut p = Params::new(Backend::Postgres);
        let r = request(
            json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "CreateTime", "operator": "=", "value": "2026-11-23"}]}]}}),
        );
        let c = compile(&SPEC, &r, &mut p).expect("ok");
        assert_eq!(c.condition, "(c.create_time >= $1 AND c.create_time < $2)");
        assert_eq!(
            p.binds,
            vec![Bind::Int(1_795_392_000_000), Bind::Int(1_795_478_400_000)]
        );
    }

    #[test]
    fn date_forms() {
        assert_eq!(parse_date("2026-11-23"), Some((1_795_392_000_000, true)));
        assert_eq!(
            parse_date("2026-11-23T01:00:00Z"),
            Some((1_795_395_600_000, false))
        );
        assert_eq!(
            parse_date("2026-11-23T01:00:00"),
            Some((1_795_395_600_000, false))
        );
        assert_eq!(
            parse_date("2026-11-23T01:00:00.500"),
            Some((1_795_395_600_000, false))
        );
        assert_eq!(
            parse_date("2026-11-23T03:00:00+02:00"),
            Some((1_795_395_600_000, false))
        );
        assert_eq!(parse_date("23/11/2026"), None);
    }

    #[test]
    fn pages_are_bounded_and_the_offset_fits() {
        let mut p = Params::new(Backend::Postgres);
        for body in [
            json!({"pageNumber": 0}),
            json!({"pageNumber": -3}),
            json!({"pageNumber": MAX_PAGE_NUMBER + 1}),
            json!({"pageNumber": i64::MAX}),
        ] {
            let errors = compile(&SPEC, &request(body.clone()), &mut p).expect_err("refused");
            assert_eq!(
                errors,
                [format!(
                    "pageNumber must be between 1 and {MAX_PAGE_NUMBER}"
                )],
                "{body}"
            );
        }
        let c = compile(
            &SPEC,
            &request(json!({"pageNumber": MAX_PAGE_NUMBER, "pageSize": MAX_PAGE_SIZE})),
            &mut p,
        )
        .expect("the last page is a page");
        assert_eq!(
            c.limit_offset(),
            format!(
                " LIMIT {MAX_PAGE_SIZE} OFFSET {}",
                (MAX_PAGE_NUMBER - 1) * MAX_PAGE_SIZE
            )
        );
    }

    fn items(n: usize, op: &str, value: &str) -> serde_json::Value {
        let item = json!({"fieldName": "Name", "operator": op, "value": value});
        json!({"filter": {"filterGroups": [{"filterItems": vec![item; n]}]}})
    }

    #[test]
    fn filters_are_bounded_and_say_so() {
        let mut p = Params::new(Backend::Sqlite);
        let many = vec!["x"; MAX_INCLUDE_VALUES + 1].join(",");
        let nested =
            (0..MAX_FILTER_DEPTH).fold(json!({}), |inner, _| json!({"filterGroups": [inner]}));
        let deeper = json!({"filterGroups": [nested.clone()]});
        let groups = vec![json!({}); MAX_FILTER_GROUPS + 1];
        for (body, says) in [
            (
                items(1, "Include", &many),
                format!("a filter may have at most {MAX_INCLUDE_VALUES} Include values"),
            ),
            (
                items(MAX_FILTER_ITEMS + 1, "=", "x"),
                format!("a filter may have at most {MAX_FILTER_ITEMS} filterItems"),
            ),
            (
                json!({"filter": {"filterGroups": groups}}),
                format!("a filter may have at most {MAX_FILTER_GROUPS} filterGroups"),
            ),
            (
                json!({"filter": deeper}),
                format!("filterGroups may be nested at most {MAX_FILTER_DEPTH} deep"),
            ),
        ] {
            let errors = compile(&SPEC, &request(body), &mut p).expect_err("refused");
            assert_eq!(errors, [says]);
        }
        // At the limits, all is well.
        let at = vec!["x"; MAX_INCLUDE_VALUES].join(",");
        assert!(compile(&SPEC, &request(items(1, "Include", &at)), &mut p).is_ok());
        assert!(compile(&SPEC, &request(items(MAX_FILTER_ITEMS, "=", "x")), &mut p).is_ok());
        assert!(compile(&SPEC, &request(json!({"filter": nested})), &mut p).is_ok());
    }

    #[test]
    fn case_is_folded_by_the_database_on_both_sides() {
        let mut p = Params::new(Backend::Sqlite);
        let c = compile(&SPEC, &request(items(1, "=", "École")), &mut p).expect("ok");
        assert_eq!(c.condition, "LOWER(COALESCE(c.name, '')) = LOWER($1)");
        assert_eq!(p.binds, vec![Bind::Text("École".into())]);
    }

    #[test]
    fn like_wildcards_in_values_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
