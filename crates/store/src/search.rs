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
    /// The indexes a migration made for this text field; see [`Field::prefix_indexed`] and
    /// [`Field::trigram`].
    pub index: TextIndex,
}

/// The indexes that serve a text field's comparisons. They change how the database finds the
/// rows, never which rows match: the condition the search writes is the same with or without
/// them.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextIndex {
    /// A b-tree on the column as `=` and `StartsWith` compare it.
    pub prefix: bool,
    /// A trigram index for `Contains`, `EndsWith`, `=` and free text.
    pub trigram: Option<Trigram>,
}

/// Where a text field's trigrams are indexed.
///
/// On PostgreSQL a pg_trgm GIN index on the expression the search compares
/// (`LOWER(column)`, or the `folded` column) serves the `LIKE` as written; nothing here names
/// it. SQLite has no such index type, so there the search first asks an FTS5 table with the
/// `trigram` tokenizer which rows contain the value (`rowid IN (… MATCH …)`) and then applies
/// its ordinary condition to those rows only. The FTS5 table folds case by Unicode's rules,
/// more widely than SQLite's `LIKE` and `LOWER`, so it finds a superset and the ordinary
/// condition keeps the answer exactly what it is without the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigram {
    /// The FTS5 table (`tokenize = 'trigram'`), whose rowid is `key`.
    pub table: &'static str,
    /// The searched row's key, as the search's SQL names it (`t.id`).
    pub key: &'static str,
    /// The table's column that holds this field.
    pub column: &'static str,
}

impl Trigram {
    /// The FTS5 `table` whose rowid is the searched row's `key`; [`Trigram::column`] names
    /// each field's column in it.
    pub const fn table(table: &'static str, key: &'static str) -> Self {
        Self {
            table,
            key,
            column: "",
        }
    }

    pub const fn column(self, column: &'static str) -> Self {
        Self { column, ..self }
    }
}

impl Field {
    pub const fn text(name: &'static str, column: &'static str) -> Self {
        Self {
            name,
            column,
            kind: Kind::Text,
            text_search: true,
            folded: None,
            index: TextIndex {
                prefix: false,
                trigram: None,
            },
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
            folded: Some(folded),
            ..Self::text(name, column)
        }
    }
    pub const fn of(name: &'static str, column: &'static str, kind: Kind) -> Self {
        Self {
            kind,
            text_search: false,
            ..Self::text(name, column)
        }
    }

    /// `=` and `StartsWith` on this field are served by a b-tree: on SQLite one on
    /// `column COLLATE NOCASE` (SQLite's `LIKE 'prefix%'` and `= … COLLATE NOCASE` can use
    /// nothing else), on PostgreSQL one on `LOWER(column) text_pattern_ops` (or on the
    /// `folded` column), after the scope's own columns.
    pub const fn prefix_indexed(self) -> Self {
        Self {
            index: TextIndex {
                prefix: true,
                ..self.index
            },
            ..self
        }
    }

    /// `Contains`, `EndsWith`, `=` and free text on this field are served by a trigram index
    /// (see [`Trigram`]), for values of three characters or more; shorter ones have no
    /// trigram and are matched by a scan, as without the index.
    pub const fn trigram(self, trigram: Trigram) -> Self {
        Self {
            index: TextIndex {
                trigram: Some(trigram),
                ..self.index
            },
            ..self
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
    /// See [`Params::plan_per_run`].
    per_run: bool,
    /// Trigram look-ups that a statement may do without; see [`Probe`].
    probes: Vec<Probe>,
}

/// A trigram look-up (SQLite's FTS5) that narrows a text condition, with what is needed to
/// weigh it before the statement runs.
///
/// FTS5 gives the planner no estimate of how many rows a `MATCH` finds, so SQLite always starts
/// from the look-up: fast for a value few rows contain, and slower than the scan it replaces
/// for one that most rows contain (every matching key is collected and each row fetched by
/// it, where a page in index order stops after its rows). So the statement is first weighed by
/// counting the look-up's rows up to [`BROAD_MATCHES`]; a look-up that reaches it is left out.
#[derive(Debug, Clone)]
struct Probe {
    /// The SQL text of the look-up, as it stands in the condition.
    lookup: String,
    /// It without the look-up: true, still naming the bind so that the binds stay as numbered.
    without: String,
    /// The count that weighs it, with the look-up's one bind.
    count: String,
    pattern: String,
}

/// How many rows a trigram look-up may find and still be used (see [`Probe`]).
pub const BROAD_MATCHES: i64 = 10_000;

impl Params {
    pub fn new(backend: Backend) -> Self {
        Self {
            binds: Vec::new(),
            backend,
            per_run: false,
            probes: Vec::new(),
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

    /// `field` equals the non-empty value bound as `p`, ignoring case, written so that the
    /// field's b-tree can serve it ([`Field::prefix_indexed`]). A `NULL` column equals no
    /// non-empty value, so unlike `!=` this needs no `COALESCE`, which no index would match.
    fn equal_ignoring_case(&self, field: &Field, p: &str) -> String {
        match self.backend {
            // NOCASE folds the ASCII letters, exactly as SQLite's LOWER.
            Backend::Sqlite => format!("{} = {p} COLLATE NOCASE", field.column),
            Backend::Postgres => format!("{} = LOWER({p})", self.lowered(field)),
        }
    }

    /// `condition` on `fields`, a text comparison with `value`, narrowed by their trigram index
    /// where one serves: on SQLite to the rows of the FTS5 table that contain `value` in one of
    /// the fields' columns, a look-up weighed before the statement runs ([`Probe`]); on
    /// PostgreSQL the index serves the condition as written, and the statement is planned for
    /// its values ([`Params::plan_per_run`]) so that a pattern too short for trigrams is
    /// scanned rather than looked up in the whole index.
    fn narrowed(&mut self, fields: &[&Field], value: &str, condition: String) -> String {
        let trigrams: Vec<Trigram> = fields.iter().filter_map(|f| f.index.trigram).collect();
        if trigrams.is_empty() {
            return condition;
        }
        match self.backend {
            Backend::Postgres => {
                self.per_run = true;
                condition
            }
            Backend::Sqlite => {
                let first = trigrams[0];
                let one_table = trigrams.len() == fields.len()
                    && trigrams
                        .iter()
                        .all(|t| (t.table, t.key) == (first.table, first.key));
                if !one_table || value.chars().count() < 3 {
                    return condition;
                }
                // FTS5 query syntax: the columns, then the value as one quoted phrase, in
                // which only the quote itself is special (doubled).
                let columns: Vec<&str> = trigrams.iter().map(|t| t.column).collect();
                let pattern = format!(
                    "{{{}}} : \"{}\"",
                    columns.join(" "),
                    value.replace('"', "\"\"")
                );
                let p = self.text(pattern.clone());
                let lookup = format!(
                    "{} IN (SELECT rowid FROM {table} WHERE {table} MATCH {p})",
                    first.key,
                    table = first.table
                );
                self.probes.push(Probe {
                    without: format!("{p} IS NOT NULL"),
                    count: format!(
                        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {table} WHERE {table} MATCH $1 LIMIT {BROAD_MATCHES})",
                        table = first.table
                    ),
                    lookup: lookup.clone(),
                    pattern,
                });
                format!("({lookup} AND {condition})")
            }
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

    /// `v` as a bind, or the literal `NULL` when there is none.
    pub fn optional_text(&mut self, v: Option<&str>) -> String {
        match v {
            Some(s) => self.text(s),
            None => "NULL".to_owned(),
        }
    }

    /// Has the statements these binds go with run unprepared, so that PostgreSQL plans them for
    /// their values every time, where by default a statement is kept prepared on the
    /// connection and after five runs PostgreSQL may switch it to one generic plan for any
    /// values.
    ///
    /// For statements whose best plan depends on the values. A company subtree holds anything
    /// from one company to all of them: a kept company search went to a generic plan after five
    /// runs, made without the values, that walked the path index and fetched every row at
    /// random, 12.5 ms instead of 4 ms. A `LIKE` that an index may serve is another: only the
    /// value tells whether it has trigrams, or a prefix. The price is planning each run (about
    /// 0.8 ms for a company search), which a statement served well by one plan, such as a
    /// search within one company by its ordinary columns, should not pay.
    pub fn plan_per_run(&mut self) {
        self.per_run = true;
    }

    /// Binds every collected value to `query`, in order.
    /// The statement `sql` renumbered to name only the binds it uses, with those binds, in
    /// order. A count shares the page's `FROM … WHERE` but not its select list, whose binds
    /// (for example a target group's `isSelected`) it does not name; PostgreSQL refuses a bind
    /// message with more values than the statement has parameters, and a cached statement of
    /// the same text would otherwise be prepared with a count that varies from run to run.
    /// Quoted literals and identifiers are left as they are.
    pub fn used_by(&self, sql: &str) -> (String, Params) {
        let mut out = String::with_capacity(sql.len());
        let mut renumbered: Vec<usize> = Vec::new();
        let mut chars = sql.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                '\'' | '"' => {
                    out.push(c);
                    for (_, d) in chars.by_ref() {
                        out.push(d);
                        if d == c {
                            break;
                        }
                    }
                }
                '$' if chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => {
                    let mut digits = String::new();
                    while let Some((_, d)) = chars.peek().copied() {
                        if !d.is_ascii_digit() {
                            break;
                        }
                        digits.push(d);
                        chars.next();
                    }
                    match digits.parse::<usize>() {
                        Ok(n) if n >= 1 && n <= self.binds.len() => {
                            let position = match renumbered.iter().position(|&o| o == n) {
                                Some(p) => p,
                                None => {
                                    renumbered.push(n);
                                    renumbered.len() - 1
                                }
                            };
                            out.push_str(&format!("${}", position + 1));
                        }
                        _ => {
                            out.push('$');
                            out.push_str(&digits);
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        let params = Params {
            binds: renumbered
                .iter()
                .map(|&n| self.binds[n - 1].clone())
                .collect(),
            backend: self.backend,
            per_run: self.per_run,
            probes: Vec::new(),
        };
        (out, params)
    }

    pub fn apply<'q>(
        &self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        if self.per_run {
            query = query.persistent(false);
        }
        for b in &self.binds {
            query = match b {
                Bind::Text(s) => query.bind(s.clone()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query
    }
}

/// One resource's search, compiled: what every `…/search`, `…/export` and `selectAll` bulk
/// operation runs. A resource only says which rows it reads (`select`), from where and within
/// which scope (`from`, ending in its `WHERE` with the scope condition), and how a row is read;
/// paging, totals, streaming and the unpaged match are the same for all. A resource whose
/// totals are costly says how to have them instead ([`SearchQuery::windowed`],
/// [`SearchQuery::unfiltered_total`]).
pub(crate) struct SearchQuery<T> {
    /// `SELECT <columns>`.
    select: String,
    /// `FROM … WHERE <scope> AND <the request's condition>`.
    from: String,
    params: Params,
    compiled: Compiled,
    row: fn(&AnyRow) -> Result<T, StoreError>,
    /// Sums over all matches that a page reports beside the total.
    sums: &'static [&'static str],
    windowed: Option<Windowed>,
    unfiltered_total: Option<(String, Params)>,
}

/// See [`SearchQuery::windowed`].
struct Windowed {
    source: &'static str,
    carried: &'static [&'static str],
}

/// One page, the total number of matches, the [`SearchQuery::sums`] over them, and the
/// request as compiled.
pub(crate) type PageWithSums<T> = (Vec<T>, i64, Vec<i64>, Compiled);

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
            sums: &[],
            windowed: None,
            unfiltered_total: None,
        })
    }

    /// Has a page report, beside the total, the sum of each of these integer expressions over
    /// all matches (each reads the row's columns, as `select` and `from` name them).
    pub(crate) fn sums(self, sums: &'static [&'static str]) -> Self {
        Self { sums, ..self }
    }

    /// Counts a page's total (and sums) in the statement that reads the page, for a search
    /// that must read every match anyway, such as a substring filter over a table no index
    /// serves: one pass over the rows instead of two.
    ///
    /// The matches are materialized first, carrying only the order's columns and `carried`
    /// (what the sums read), and counted by window aggregates; the page's rows are then read
    /// whole from `source` (the table of `from`, with the same alias) by the tie-break key,
    /// display columns and their sub-selects included, for the page alone. Materializing also
    /// keeps PostgreSQL from costing the `LIMIT` as if it stopped early, which made it walk an
    /// index in order and fetch every row at random.
    pub(crate) fn windowed(self, source: &'static str, carried: &'static [&'static str]) -> Self {
        Self {
            windowed: Some(Windowed { source, carried }),
            ..self
        }
    }

    /// A statement (binding `params`, reading one row with column `n`) that gives the total of
    /// a request without a filter, such as a count the database keeps, instead of counting
    /// every row in scope.
    pub(crate) fn unfiltered_total(self, sql: impl Into<String>, params: Params) -> Self {
        Self {
            unfiltered_total: Some((sql.into(), params)),
            ..self
        }
    }

    fn ordered(&self) -> String {
        format!(
            "{} {} ORDER BY {}",
            self.select, self.from, self.compiled.order_by
        )
    }

    /// Leaves out each trigram look-up that would find too many rows to be worth it (see
    /// [`Probe`]), before the statement runs.
    async fn weighed(mut self, pool: &sqlx::AnyPool) -> Result<Self, StoreError> {
        for probe in std::mem::take(&mut self.params.probes) {
            let found: i64 = sqlx::query(&probe.count)
                .bind(probe.pattern)
                .fetch_one(pool)
                .await?
                .try_get("n")?;
            if found >= BROAD_MATCHES {
                self.from = self.from.replace(&probe.lookup, &probe.without);
            }
        }
        Ok(self)
    }

    /// `, <column>` for each of the sums, `column` made of its number and expression.
    fn each_sum(&self, column: impl Fn(usize, &str) -> String) -> String {
        self.sums
            .iter()
            .enumerate()
            .map(|(i, e)| format!(", {}", column(i, e)))
            .collect()
    }

    /// The total and the sums, counted by a statement of their own.
    async fn counted(&self, store: &crate::Store) -> Result<(i64, Vec<i64>), StoreError> {
        if let (false, [], Some((sql, params))) = (
            self.compiled.filtered,
            self.sums,
            self.unfiltered_total.as_ref(),
        ) {
            let total = params
                .apply(sqlx::query(sql))
                .fetch_one(store.pool())
                .await?
                .try_get("n")?;
            return Ok((total, Vec::new()));
        }
        let sums =
            self.each_sum(|i, e| format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT) AS sum_{i}"));
        let (sql, params) = self.params.used_by(&format!(
            "SELECT COUNT(*) AS total_count{sums} {}",
            self.from
        ));
        let row = params
            .apply(sqlx::query(&sql))
            .fetch_one(store.pool())
            .await?;
        totals_of(&row, self.sums.len())
    }

    /// One page and the total number of matches.
    pub(crate) async fn page(
        self,
        store: &crate::Store,
    ) -> Result<(Vec<T>, i64, Compiled), StoreError> {
        let (rows, total, _, compiled) = self.page_with_sums(store).await?;
        Ok((rows, total, compiled))
    }

    /// One page, the total number of matches and the [`SearchQuery::sums`] over them.
    pub(crate) async fn page_with_sums(
        self,
        store: &crate::Store,
    ) -> Result<PageWithSums<T>, StoreError> {
        let this = self.weighed(store.pool()).await?;
        let limit = this.compiled.limit_offset();
        let (rows, totals) = match &this.windowed {
            None => {
                let totals = this.counted(store).await?;
                let sql = format!("{}{limit}", this.ordered());
                let rows = this
                    .params
                    .apply(sqlx::query(&sql))
                    .fetch_all(store.pool())
                    .await?;
                (rows, Some(totals))
            }
            Some(w) => {
                let order = &this.compiled.order_by;
                let key = this.compiled.order_columns.last().copied().unwrap_or("id");
                let (alias, key_name) = key.split_once('.').unwrap_or(("", key));
                let mut carried: Vec<&str> = this.compiled.order_columns.clone();
                for c in w.carried {
                    if !carried.contains(c) {
                        carried.push(c);
                    }
                }
                let sums =
                    this.each_sum(|i, e| format!("CAST(SUM({e}) OVER () AS BIGINT) AS sum_{i}"));
                let sums_out = this.each_sum(|i, _| format!("p.sum_{i}"));
                let sql = format!(
                    "WITH matches AS MATERIALIZED (SELECT {carried} {from}), \
                     page AS (SELECT {key}, COUNT(*) OVER () AS total_count{sums} \
                     FROM matches {alias} ORDER BY {order}{limit}) \
                     {select}, p.total_count{sums_out} FROM page p JOIN {source} ON {key} = p.{key_name} \
                     ORDER BY {order}",
                    carried = carried.join(", "),
                    from = this.from,
                    select = this.select,
                    source = w.source,
                );
                let rows = this
                    .params
                    .apply(sqlx::query(&sql))
                    .fetch_all(store.pool())
                    .await?;
                let totals = match rows.first() {
                    Some(first) => Some(totals_of(first, this.sums.len())?),
                    // Past the last page: the totals still have to be counted.
                    None => None,
                };
                (rows, totals)
            }
        };
        let (total, sums) = match totals {
            Some(t) => t,
            None => this.counted(store).await?,
        };
        let rows = rows.iter().map(this.row).collect::<Result<_, _>>()?;
        Ok((rows, total, sums, this.compiled))
    }

    /// The matches of an export (one page, or all with `reportAllPages`), streamed: memory
    /// stays constant however many match.
    pub(crate) fn stream(
        self,
        store: &crate::Store,
    ) -> impl futures_core::Stream<Item = Result<T, StoreError>> + Send + 'static {
        let pool = store.pool().clone();
        async_stream::try_stream! {
            let this = self.weighed(&pool).await?;
            let sql = format!("{}{}", this.ordered(), this.compiled.limit_offset());
            let mut rows = this.params.apply(sqlx::query(&sql)).fetch(&pool);
            while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows).await? {
                yield (this.row)(&r)?;
            }
        }
    }

    /// Every match, unpaged: what a `selectAll` bulk operation covers.
    pub(crate) async fn all(self, store: &crate::Store) -> Result<Vec<T>, StoreError> {
        let this = self.weighed(store.pool()).await?;
        this.params
            .apply(sqlx::query(&this.ordered()))
            .fetch_all(store.pool())
            .await?
            .iter()
            .map(this.row)
            .collect()
    }
}

/// `total_count` and `sum_0…` of a row.
fn totals_of(row: &AnyRow, sums: usize) -> Result<(i64, Vec<i64>), StoreError> {
    let total = row.try_get("total_count")?;
    let sums = (0..sums)
        .map(|i| row.try_get::<i64, _>(format!("sum_{i}").as_str()))
        .collect::<Result<_, _>>()?;
    Ok((total, sums))
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
    /// Whether the request filters at all (else `condition` is `1 = 1`).
    pub filtered: bool,
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
        filtered: condition.is_some(),
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
        let fields: Vec<&Field> = spec.fields.iter().filter(|f| f.text_search).collect();
        let ors: Vec<String> = fields
            .iter()
            .map(|f| params.like_ignoring_case(f, &pattern))
            .collect();
        if let Some(any) = combine(ors, Join::Or) {
            parts.push(params.narrowed(&fields, text, any));
        }
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
        (Kind::Text, Op::Eq) if !value.is_empty() => {
            let p = params.text(value.clone());
            let equal = params.equal_ignoring_case(field, &p);
            Some(if field.index.prefix {
                equal
            } else {
                params.narrowed(&[field], &value, equal)
            })
        }
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
            let like = params.like_ignoring_case(field, &p);
            Some(if op == Op::StartsWith && field.index.prefix {
                // PostgreSQL turns a constant prefix into a range of the b-tree, so a bound
                // one only when planning for the value (SQLite prepares such a statement
                // again by itself when the value bound changes).
                if params.backend == Backend::Postgres {
                    params.plan_per_run();
                }
                like
            } else {
                params.narrowed(&[field], &value, like)
            })
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
mod trigram_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_statement_binds_only_the_parameters_its_text_names() {
        let mut params = Params::new(Backend::Postgres);
        let selected = params.int(7);
        let company = params.int(42);
        let name = params.text("x");
        assert_eq!(
            (selected.as_str(), company.as_str(), name.as_str()),
            ("$1", "$2", "$3")
        );
        let (sql, used) = params.used_by(
            "SELECT COUNT(*) FROM t WHERE c = $2 AND n LIKE $3 ESCAPE '$1' AND \"$1\" = $2",
        );
        assert_eq!(
            sql,
            "SELECT COUNT(*) FROM t WHERE c = $1 AND n LIKE $2 ESCAPE '$1' AND \"$1\" = $1"
        );
        assert_eq!(used.binds, vec![Bind::Int(42), Bind::Text("x".into())]);
        let (all, same) = params.used_by("SELECT $1, $2, $3, $10");
        assert_eq!(all, "SELECT $1, $2, $3, $10");
        assert_eq!(same.binds.len(), 3);
    }

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

    fn items_of(field: &str, op: &str, value: &str) -> serde_json::Value {
        json!({"filter": {"filterGroups": [{"filterItems": [
            {"fieldName": field, "operator": op, "value": value}]}]}})
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
        for (backend, op, condition) in [
            // NOCASE folds as SQLite's LOWER does, and an index can serve it.
            (Backend::Sqlite, "=", "c.name = $1 COLLATE NOCASE"),
            (Backend::Postgres, "=", "LOWER(c.name) = LOWER($1)"),
            // A NULL name differs from every value.
            (
                Backend::Sqlite,
                "!=",
                "LOWER(COALESCE(c.name, '')) <> LOWER($1)",
            ),
        ] {
            let mut p = Params::new(backend);
            let c = compile(&SPEC, &request(items(1, op, "École")), &mut p).expect("ok");
            assert_eq!(c.condition, condition);
            assert_eq!(p.binds, vec![Bind::Text("École".into())]);
        }
        // Only an empty value equals a NULL name.
        let mut p = Params::new(Backend::Postgres);
        let c = compile(&SPEC, &request(items(1, "=", "")), &mut p).expect("ok");
        assert_eq!(c.condition, "LOWER(COALESCE(c.name, '')) = LOWER($1)");
    }

    #[test]
    fn indexed_fields_are_narrowed_by_their_trigram_look_up_on_sqlite() {
        const TEXT: Trigram = Trigram::table("people_text", "p.id");
        const INDEXED: SearchSpec = SearchSpec {
            fields: &[
                Field::text("Email", "p.email")
                    .prefix_indexed()
                    .trigram(TEXT.column("email")),
                Field::text("Name", "p.name").trigram(TEXT.column("name")),
            ],
            default_order: "Email",
            tiebreak: "p.id",
        };
        let mut p = Params::new(Backend::Sqlite);
        let body = json!({"filter": {"searchInputTextValue": "a\"b", "filterGroups": [{"filterItems": [
            {"fieldName": "Email", "operator": "StartsWith", "value": "abc"},
            {"fieldName": "Name", "operator": "Contains", "value": "ab"}]}]}});
        let c = compile(&INDEXED, &request(body), &mut p).expect("ok");
        assert_eq!(
            c.condition,
            "((p.id IN (SELECT rowid FROM people_text WHERE people_text MATCH $2) \
             AND (p.email LIKE $1 ESCAPE '\\' OR p.name LIKE $1 ESCAPE '\\')) \
             AND (p.email LIKE $3 ESCAPE '\\' AND p.name LIKE $4 ESCAPE '\\'))"
        );
        // The phrase quotes the value; a quote in it is doubled.
        assert_eq!(p.binds[1], Bind::Text("{email name} : \"a\"\"b\"".into()));
        assert_eq!(p.probes.len(), 1);
        assert!(!p.per_run);
        // PostgreSQL's indexes serve the conditions as written, planned for their values.
        let mut p = Params::new(Backend::Postgres);
        let c = compile(
            &INDEXED,
            &request(items_of("Name", "Contains", "abc")),
            &mut p,
        )
        .expect("ok");
        assert_eq!(c.condition, "LOWER(p.name) LIKE LOWER($1) ESCAPE '\\'");
        assert!(p.per_run && p.probes.is_empty());
    }

    #[test]
    fn like_wildcards_in_values_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
