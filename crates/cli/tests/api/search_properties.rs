//! Property-based tests of the search language (proptest), through a real server.
//!
//! - Any request: arbitrary filter trees (nested `filterGroups` / `filterItems`, any operator,
//!   field names from each resource's list or not, values of every kind: unicode, quotes, `%`,
//!   `_`, backslashes, NUL, numbers, dates, empty, long comma lists), pages and orders, sent to
//!   every search and export. The answer is always the envelope: 200 `SUCCESS`, or 400
//!   `INPUT_ERROR` with messages; an export's 200 is a file that arrives whole. Never a 5xx.
//! - Name filters over companies with random names: the rows found are exactly those a model
//!   written here says, with case folded as the store folds it (ASCII letters on SQLite, the
//!   database's locale on PostgreSQL; asked of the database, not assumed).
//!
//! Each property runs 256 cases (`PROPTEST_CASES` changes that) from a fixed seed, so a run can
//! be repeated; `PROPTEST_RANDOM=1` draws a new seed to explore. A failure prints the smallest
//! request that still fails.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use latchkey_testkit::TestApp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

use crate::companies::{form, post_company, reference};
use crate::helpers::{call, create_company, expect_data};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn runner() -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    let config = Config {
        cases,
        // Each shrink step is a request; a few hundred find the small case.
        max_shrink_iters: 512,
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var("PROPTEST_RANDOM").is_ok_and(|v| v == "1") {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
    }
}

/// The field names `path` filters on, as its own refusal of an unknown one lists them.
async fn fields_of(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let body = json!({"filter": {"filterGroups": [{"filterItems": [
        {"fieldName": "NoSuchField", "value": "x"}]}]}});
    let response = call(app, Method::POST, path, token, None, Some(body)).await;
    let envelope: Value = response.json().await.expect("json");
    let message = envelope["validationMessages"][0]
        .as_str()
        .unwrap_or_else(|| panic!("{path}: {envelope}"));
    let (_, list) = message
        .split_once("is not one of: ")
        .unwrap_or_else(|| panic!("{path}: {message}"));
    list.split(", ").map(str::to_owned).collect()
}

/// Characters that have tripped search engines: SQL and `LIKE` syntax, quotes, escapes,
/// letters with case beyond ASCII and characters without case.
const TRICKY: &str = "[a-zA-Z0-9 %_\\\\'\",;:.*?()\\[\\]éÉЖжØø漢🙂ß-]";

/// Strings matching `pattern`.
fn re(pattern: &str) -> BoxedStrategy<String> {
    proptest::string::string_regex(pattern)
        .expect("pattern")
        .boxed()
}

fn text(max: usize) -> BoxedStrategy<String> {
    re(&format!("{TRICKY}{{0,{max}}}"))
}

const OPERATORS: &[&str] = &[
    "=",
    "==",
    "eq",
    "equals",
    "!=",
    "<>",
    "ne",
    "notequals",
    "Contains",
    "contains",
    "like",
    "StartsWith",
    "EndsWith",
    "Include",
    "in",
    ">",
    "<",
    ">=",
    "<=",
    "gt",
    "lt",
    "ge",
    "le",
    "GreaterThanOrEqual",
];

fn any_value() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        4 => text(16).prop_map(|s| Some(json!(s))),
        2 => ".{0,12}".prop_map(|s| Some(json!(s))),
        1 => any::<i64>().prop_map(|n| Some(json!(n.to_string()))),
        1 => any::<i64>().prop_map(|n| Some(json!(n))),
        1 => (1i32..=9999, 1u8..=12, 1u8..=31, 0u8..=25)
            .prop_map(|(y, m, d, h)| Some(json!(format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00Z")))),
        1 => (1900i32..=2200, 0u8..=13, 0u8..=32).prop_map(|(y, m, d)| Some(json!(format!("{y:04}-{m:02}-{d:02}")))),
        1 => prop::collection::vec("[a-zA-Z0-9 ]{0,6}", 0..1100).prop_map(|v| Some(json!(v.join(",")))),
        1 => prop_oneof![Just("true"), Just("false"), Just("1"), Just("0"), Just("")].prop_map(|s| Some(json!(s))),
        1 => any::<bool>().prop_map(|b| Some(json!(b))),
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => prop::collection::vec(text(4), 0..3).prop_map(|v| Some(json!(v))),
    ]
    .boxed()
}

fn condition() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        3 => Just(None),
        2 => prop_oneof![Just("AND"), Just("OR"), Just("and"), Just(" Or "), Just("")]
            .prop_map(|s| Some(s.to_owned())),
        1 => text(5).prop_map(Some),
    ]
    .boxed()
}

fn item(fields: Vec<String>) -> BoxedStrategy<Value> {
    let name = prop_oneof![
        6 => prop::sample::select(fields.clone()),
        1 => prop::sample::select(fields).prop_map(|f| f.to_uppercase()),
        1 => text(10),
    ];
    let operator = prop_oneof![
        6 => prop::sample::select(OPERATORS).prop_map(|s| Some(s.to_owned())),
        1 => Just(None),
        1 => text(6).prop_map(Some),
    ];
    (name, operator, any_value())
        .prop_map(|(name, operator, value)| {
            let mut item = json!({"fieldName": name});
            if let Some(op) = operator {
                item["operator"] = json!(op);
            }
            if let Some(v) = value {
                item["value"] = v;
            }
            item
        })
        .boxed()
}

fn groups(item: BoxedStrategy<Value>, cond: BoxedStrategy<Option<String>>) -> BoxedStrategy<Value> {
    let leaf = (prop::collection::vec(item.clone(), 0..4), cond.clone())
        .prop_map(|(items, c)| json!({"condition": c, "filterItems": items}));
    // Deep enough to pass the nesting limit now and then.
    leaf.prop_recursive(10, 48, 3, move |inner| {
        (
            prop::collection::vec(item.clone(), 0..3),
            prop::collection::vec(inner, 0..3),
            cond.clone(),
        )
            .prop_map(|(items, subgroups, c)| {
                json!({"condition": c, "filterItems": items, "filterGroups": subgroups})
            })
    })
    .boxed()
}

fn page() -> BoxedStrategy<Option<i64>> {
    prop_oneof![
        3 => Just(None),
        3 => (1i64..4).prop_map(Some),
        1 => any::<i64>().prop_map(Some),
        1 => prop_oneof![Just(0i64), Just(-1), Just(i64::MAX), Just(i64::MIN), Just(2_147_483_647), Just(2_147_483_648), Just(1000), Just(1001)].prop_map(Some),
    ]
    .boxed()
}

/// `PageNumber` instead of `pageNumber`, at every depth: both spellings bind.
fn pascal(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut chars = k.chars();
                    let key = chars
                        .next()
                        .map(|c| c.to_uppercase().chain(chars).collect())
                        .unwrap_or_default();
                    (key, pascal(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(pascal).collect()),
        other => other,
    }
}

fn request(fields: Vec<String>) -> BoxedStrategy<Value> {
    let filter = (
        prop_oneof![2 => Just(None), 1 => text(8).prop_map(Some), 1 => ".{0,6}".prop_map(Some)],
        condition(),
        prop_oneof![
            1 => Just(None),
            4 => prop::collection::vec(groups(item(fields.clone()), condition()), 0..4).prop_map(Some),
        ],
    )
        .prop_map(|(text, condition, groups)| {
            json!({"searchInputTextValue": text, "condition": condition, "filterGroups": groups})
        });
    let order = prop_oneof![
        2 => Just(None),
        3 => prop::sample::select(fields).prop_map(Some),
        1 => text(8).prop_map(Some),
    ];
    (
        page(),
        page(),
        order,
        any::<Option<bool>>(),
        prop_oneof![1 => Just(Value::Null), 6 => filter],
        any::<bool>(),
    )
        .prop_map(|(number, size, order, ascending, filter, pascal_case)| {
            let body = json!({"pageNumber": number, "pageSize": size, "orderBy": order,
                "ascending": ascending, "filter": filter});
            if pascal_case { pascal(body) } else { body }
        })
        .boxed()
}

/// Checks one answer: the envelope with 200 `SUCCESS` or 400 `INPUT_ERROR` and messages; for
/// an export, a 200 is a file that must arrive whole.
async fn check_answer(response: reqwest::Response, export: bool) -> Result<u16, String> {
    let code = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("{code}: the body broke off: {e}"))?;
    if export && code == 200 && !content_type.starts_with("application/json") {
        return if bytes.is_empty() {
            Err("an export answered 200 with no file".into())
        } else {
            Ok(code)
        };
    }
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{code}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    match code {
        200 if body["status"] == "SUCCESS" && body["isSuccess"] == true => Ok(code),
        400 if body["status"] == "INPUT_ERROR"
            && body["isSuccess"] == false
            && body["validationMessages"]
                .as_array()
                .is_some_and(|m| !m.is_empty() && m.iter().all(Value::is_string)) =>
        {
            Ok(code)
        }
        _ => Err(format!("{code}: {body}")),
    }
}

#[test]
fn any_search_request_is_answered_with_the_envelope_never_a_server_error() {
    let rt = runtime();
    let (app, token, targets) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let token = app.reseller_token().await;
        // Rows for the filters to meet: companies, a group with a member, a user, a client,
        // target users, one of them in a target group.
        let mine = app.initial.company_resource_id.clone();
        let acme = create_company(&app, "Acme 100% _real_", Some(&mine), false);
        create_company(&app, "O'Brien \"Quoted\" \\ Ltd", Some(&mine), true);
        create_company(&app, "École ЖØ 漢🙂", Some(&mine), false);
        let group = crate::helpers::create_group(&app, &token, "Group, one", &[&acme]).await;
        app.admin(
            crate::helpers::binary(),
            &[
                "user",
                "create",
                "--company",
                &mine,
                "--email",
                "jane@example.com",
                "--first-name",
                "Jane",
                "--last-name",
                "O'Doe",
            ],
        )
        .json();
        let person = crate::target_users::create_user(
            &app,
            &token,
            None,
            json!({"email": "Jane.O'Doe@example.com", "firstName": "Jane", "priority": "High"}),
        )
        .await;
        let target_group =
            crate::target_groups::new_group(&app, &token, None, "Group, 100% _real_", "High").await;
        expect_data(
            call(
                &app,
                Method::PUT,
                "/api/target-groups/users",
                &token,
                None,
                Some(json!({"targetGroupResourceIds": [target_group],
                            "targetUserResourceIds": [person]})),
            )
            .await,
        )
        .await;
        // Target users whose text fields go through the trigram indexes (FTS5's query syntax
        // on SQLite: the filters' values must never be read as syntax).
        for (email, first, last) in [
            ("jo@example.com", "Jo \"J\" {x}", "O'Doe: 100% _real_"),
            ("ecole@example.fr", "École ЖØ", "漢🙂 NEAR(a b)"),
        ] {
            crate::target_users::create_user(
                &app,
                &token,
                None,
                json!({"email": email, "firstName": first, "lastName": last, "department": "R&D*"}),
            )
            .await;
        }
        let mut targets = Vec::new();
        for path in [
            "/api/target-groups/search".to_owned(),
            "/api/target-groups/search/all".to_owned(),
            "/api/target-groups/search/current-company".to_owned(),
            format!("/api/target-groups/{target_group}/users"),
            "/api/tags/search".to_owned(),
            "/api/companies/search".to_owned(),
            "/api/companies/clients/search".to_owned(),
            "/api/company-groups/search".to_owned(),
            "/api/company-groups/search-with-parent".to_owned(),
            format!("/api/company-groups/{group}/companies/search"),
            "/api/system-users/search".to_owned(),
            "/api/roles/search".to_owned(),
            "/api/target-users/search".to_owned(),
            format!("/api/target-users/{person}/groups"),
        ] {
            let fields = fields_of(&app, &token, &path).await;
            targets.push((path, fields));
        }
        for export in [
            "/api/target-groups/search/export".to_owned(),
            format!("/api/target-groups/{target_group}/users/export"),
            "/api/companies/search/export".to_owned(),
            "/api/companies/clients/search/export".to_owned(),
            "/api/company-groups/search/export".to_owned(),
            format!("/api/company-groups/{group}/companies/search/export"),
            "/api/system-users/search/export".to_owned(),
            "/api/target-users/search/export".to_owned(),
        ] {
            let search = export.trim_end_matches("/export").to_owned();
            let fields = targets
                .iter()
                .find(|(p, _)| *p == search)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            targets.push((export, fields));
        }
        (app, token, targets)
    });
    let strategy = (0..targets.len()).prop_flat_map(|i| {
        let export = targets[i].0.ends_with("/export");
        let exports = prop_oneof![
            Just(json!("Csv")),
            Just(json!("Excel")),
            Just(json!("xls")),
            text(4).prop_map(|s| json!(s))
        ];
        (
            Just(i),
            request(targets[i].1.clone()),
            exports,
            any::<Option<bool>>(),
        )
            .prop_map(move |(i, mut body, kind, all)| {
                if export {
                    body["exportType"] = kind;
                    body["reportAllPages"] = json!(all);
                }
                (i, body)
            })
    });
    let (ran, ok, refused) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let started = std::time::Instant::now();
    let result = runner().run(&strategy, |(i, body)| {
        ran.fetch_add(1, Ordering::Relaxed);
        let (path, _) = &targets[i];
        let answer = rt.block_on(async {
            let response = call(&app, Method::POST, path, &token, None, Some(body.clone())).await;
            check_answer(response, path.ends_with("/export")).await
        });
        match answer {
            Ok(200) => ok.fetch_add(1, Ordering::Relaxed),
            Ok(_) => refused.fetch_add(1, Ordering::Relaxed),
            Err(e) => return Err(TestCaseError::fail(format!("POST {path} {body} -> {e}"))),
        };
        Ok(())
    });
    println!(
        "search requests: {} cases ({} answered 200, {} answered 400) over {} endpoints in {:.1}s",
        ran.load(Ordering::Relaxed),
        ok.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed),
        targets.len(),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both kinds of answer were seen: the generator reaches past validation and into it.
    assert!(ok.load(Ordering::Relaxed) > 0 && refused.load(Ordering::Relaxed) > 0);
    drop(app);
}

/// Characters of the names and values the model compares: those whose case the Rust model
/// folds as the stores do (no `İ`, whose lower case is two characters in Rust and one in
/// PostgreSQL), plus `LIKE`'s own syntax.
const NAME_CHARS: &str = "[a-zA-Z0-9 %_\\\\'\",éÉЖжØø漢🙂ß-]";

/// A filter tree on names, and what it means.
#[derive(Debug, Clone)]
enum Node {
    Item {
        field: &'static str,
        op: &'static str,
        value: String,
    },
    Group {
        condition: Option<&'static str>,
        items: Vec<Node>,
        groups: Vec<Node>,
    },
}

impl Node {
    fn json(&self) -> Value {
        match self {
            Node::Item { field, op, value } => {
                json!({"fieldName": field, "operator": op, "value": value})
            }
            Node::Group {
                condition,
                items,
                groups,
            } => json!({
                "condition": condition,
                "filterItems": items.iter().map(Node::json).collect::<Vec<_>>(),
                "filterGroups": groups.iter().map(Node::json).collect::<Vec<_>>(),
            }),
        }
    }

    /// Whether the company named `name` matches; `None` for a group with nothing in it, which
    /// the search leaves out rather than counting as true or false.
    fn matches(&self, name: &str, fold: &dyn Fn(&str) -> String) -> Option<bool> {
        match self {
            Node::Item { op, value, .. } => {
                let (n, v) = (fold(name), fold(value));
                Some(match *op {
                    "Contains" | "like" => n.contains(&v),
                    "StartsWith" => n.starts_with(&v),
                    "EndsWith" => n.ends_with(&v),
                    "=" | "eq" => n == v,
                    "!=" | "<>" => n != v,
                    "Include" | "in" => value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .any(|s| fold(s) == n),
                    other => unreachable!("operator {other} is not generated"),
                })
            }
            Node::Group {
                condition,
                items,
                groups,
            } => {
                let parts: Vec<bool> = items
                    .iter()
                    .chain(groups)
                    .filter_map(|n| n.matches(name, fold))
                    .collect();
                if parts.is_empty() {
                    None
                } else if condition.is_some_and(|c| c.trim().eq_ignore_ascii_case("or")) {
                    Some(parts.iter().any(|p| *p))
                } else {
                    Some(parts.iter().all(|p| *p))
                }
            }
        }
    }
}

fn name_item(names: Vec<String>) -> BoxedStrategy<Node> {
    // Values cut from the seeded names (in another case, now and then) find rows; random ones
    // mostly do not.
    let from_name = (
        prop::sample::select(names),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(name, a, b, upper)| {
            // At least three characters where the name has them: shorter ones are in most names.
            let chars: Vec<char> = name.chars().collect();
            let len = 3.min(chars.len()) + b.index(chars.len() - 3.min(chars.len()) + 1);
            let start = a.index(chars.len() - len + 1);
            let cut: String = chars[start..start + len].iter().collect();
            if upper { cut.to_uppercase() } else { cut }
        });
    let value = prop_oneof![3 => from_name, 2 => re(&format!("{NAME_CHARS}{{0,4}}"))];
    let op = prop::sample::select(
        &[
            "Contains",
            "like",
            "StartsWith",
            "EndsWith",
            "=",
            "eq",
            "!=",
            "<>",
            "Include",
            "in",
        ][..],
    );
    let field = prop::sample::select(&["Name", "CompanyName", "name"][..]);
    (field, op, prop::collection::vec(value, 1..4))
        .prop_map(|(field, op, values)| {
            let value = if matches!(op, "Include" | "in") {
                // At least one value with text in it: an empty list is refused, not modelled.
                let mut list = values.join(" , ");
                if list.split(',').all(|v| v.trim().is_empty()) {
                    list.push_str(",x");
                }
                list
            } else {
                values[0].clone()
            };
            Node::Item { field, op, value }
        })
        .boxed()
}

fn name_tree(names: Vec<String>) -> BoxedStrategy<Node> {
    let cond = prop::sample::select(
        &[
            None,
            Some("AND"),
            Some("OR"),
            Some("or"),
            Some(" and "),
            Some(""),
        ][..],
    );
    let item = name_item(names);
    let leaf =
        (cond.clone(), prop::collection::vec(item.clone(), 0..4)).prop_map(|(condition, items)| {
            Node::Group {
                condition,
                items,
                groups: Vec::new(),
            }
        });
    leaf.prop_recursive(3, 24, 3, move |inner| {
        (
            cond.clone(),
            prop::collection::vec(item.clone(), 0..3),
            prop::collection::vec(inner, 0..3),
        )
            .prop_map(|(condition, items, groups)| Node::Group {
                condition,
                items,
                groups,
            })
    })
    .boxed()
}

#[test]
fn name_filters_find_exactly_what_the_model_finds() {
    let rt = runtime();
    // Random names, the same every run (or new ones with PROPTEST_RANDOM=1).
    let wanted: Vec<String> = prop::collection::vec(re(&format!("{NAME_CHARS}{{1,12}}")), 14)
        .new_tree(&mut runner())
        .expect("names")
        .current();
    let (app, token, rows, unicode_folds) = rt.block_on(async {
        let app = TestApp::spawn().await;
        let token = app.reseller_token().await;
        let r = reference(&app, &token).await;
        for name in wanted.iter().filter(|n| !n.trim().is_empty()) {
            let response = post_company(&app, &token, None, form(&r, name, 10)).await;
            assert_eq!(
                response.status(),
                200,
                "{name:?}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        // The names as stored (the form trims them), read back without a filter.
        let all = expect_data(
            call(
                &app,
                Method::POST,
                "/api/companies/search",
                &token,
                None,
                Some(json!({"pageSize": 1000})),
            )
            .await,
        )
        .await;
        let rows: HashMap<String, String> = all["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["companyResourceId"].as_str().expect("id").to_owned(),
                    r["companyName"].as_str().expect("name").to_owned(),
                )
            })
            .collect();
        let folds = database_folds_beyond_ascii(&app).await;
        (app, token, rows, folds)
    });
    let fold = move |s: &str| -> String {
        if unicode_folds {
            s.to_lowercase()
        } else {
            s.to_ascii_lowercase()
        }
    };
    let names: Vec<String> = rows.values().cloned().collect();
    let strategy = (
        prop::sample::select(&[None, Some("AND"), Some("OR")][..]),
        prop::collection::vec(name_tree(names), 0..3),
    );
    let (ran, hits) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let started = std::time::Instant::now();
    let result = runner().run(&strategy, |(condition, groups)| {
        ran.fetch_add(1, Ordering::Relaxed);
        let top = Node::Group {
            condition,
            items: Vec::new(),
            groups,
        };
        let expected: BTreeSet<&str> = rows
            .iter()
            .filter(|(_, name)| top.matches(name, &fold).unwrap_or(true))
            .map(|(id, _)| id.as_str())
            .collect();
        let Node::Group { groups, .. } = &top else {
            unreachable!()
        };
        let body = json!({"pageSize": 1000, "filter": {"condition": condition,
            "filterGroups": groups.iter().map(Node::json).collect::<Vec<_>>()}});
        let page = rt.block_on(async {
            let response = call(
                &app,
                Method::POST,
                "/api/companies/search",
                &token,
                None,
                Some(body.clone()),
            )
            .await;
            let code = response.status().as_u16();
            let page: Value = response.json().await.map_err(|e| format!("{code}: {e}"))?;
            if code == 200 {
                Ok(page["data"].clone())
            } else {
                Err(format!("{code}: {page}"))
            }
        });
        let page = page.map_err(|e| TestCaseError::fail(format!("{body} -> {e}")))?;
        let found: BTreeSet<&str> = page["results"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|r| r["companyResourceId"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        if !expected.is_empty() && expected.len() < rows.len() {
            hits.fetch_add(1, Ordering::Relaxed);
        }
        let named = |ids: &BTreeSet<&str>| {
            ids.iter()
                .map(|id| rows.get(*id).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(
            named(&found),
            named(&expected),
            "{} (total {})",
            body,
            page["totalNumberOfRecords"]
        );
        prop_assert_eq!(
            page["totalNumberOfRecords"].as_u64(),
            Some(expected.len() as u64)
        );
        Ok(())
    });
    println!(
        "name filters: {} cases ({} found some but not all of {} companies; {} case folding) in {:.1}s",
        ran.load(Ordering::Relaxed),
        hits.load(Ordering::Relaxed),
        rows.len(),
        if unicode_folds { "unicode" } else { "ASCII" },
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    drop(app);
}

/// Whether the store lower-cases beyond ASCII: PostgreSQL in a UTF-8 locale does, SQLite and a
/// `C` locale do not.
async fn database_folds_beyond_ascii(app: &TestApp) -> bool {
    use sqlx::Connection;
    if !latchkey_testkit::on_postgres() {
        return false;
    }
    let mut db = sqlx::PgConnection::connect(&app.database_url)
        .await
        .expect("connect");
    let folds: bool = sqlx::query_scalar("SELECT LOWER('ÉЖØ') = 'éжø'")
        .fetch_one(&mut db)
        .await
        .expect("query");
    let _ = db.close().await;
    folds
}
