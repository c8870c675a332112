//! Text search through the indexes answers exactly as without them, on the store the tests run
//! on (SQLite, or PostgreSQL when `LATCHKEY_TEST_DATABASE_URL` names a server): the same
//! target users, searched by the target-user search as declared (with the 0014 migration's
//! indexes) and by the same fields without indexes, must find the same rows for every operator
//! and value, short ones, case, `LIKE` wildcards, quotes and letters beyond ASCII included.

use super::*;
use crate::Store;
use serde_json::json;

use crate::target_users::TARGET_USER_SEARCH;

/// The target-user search as declared, with its indexes.
const INDEXED: SearchSpec = TARGET_USER_SEARCH;

/// The same fields without their indexes: the plain `LIKE` path.
fn plain() -> SearchSpec {
    let fields: Vec<Field> = INDEXED
        .fields
        .iter()
        .map(|f| Field {
            index: TextIndex::default(),
            ..*f
        })
        .collect();
    SearchSpec {
        fields: Vec::leak(fields),
        ..INDEXED
    }
}

/// `(email, first name, last name, department)`.
type Person = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const PEOPLE: &[Person] = &[
    (
        "John.Smith@Example.com",
        Some("John"),
        Some("Smith"),
        Some("Sales"),
    ),
    ("ÉCOLE@x.fr", Some("Émile"), Some("Zoë"), Some("R&D")),
    ("école@y.fr", Some("émile"), Some("ZOË"), Some("r&d")),
    (
        "50%_off@deals.com",
        Some("Percent"),
        Some("100%"),
        Some("a_b"),
    ),
    (
        "50x-off@deals.com",
        Some("Per cent"),
        Some("100x"),
        Some("axb"),
    ),
    ("under_score@x.com", None, None, Some("Under Score")),
    ("quote\"d@x.com", Some("O\"Brien"), Some("o\"brien"), None),
    ("straße@x.de", Some("STRASSE"), Some("Straße"), None),
    ("İstanbul@x.tr", Some("istanbul"), Some("İSTANBUL"), None),
    ("xy@z.io", Some("Al"), None, None),
    (
        "back\\slash@x.com",
        None,
        Some("C:\\dir"),
        Some("\\\\share"),
    ),
    ("ab@c.d", Some("ab"), Some("AB"), Some("Ab")),
    ("", Some("Nobody"), Some(""), Some("")),
];

const VALUES: &[&str] = &[
    "",
    "a",
    "ab",
    "AB",
    "abc",
    "ohn",
    "OHN",
    "smith",
    "SMITH",
    "john.smith@example.com",
    "JOHN.SMITH@EXAMPLE.COM",
    "example.com",
    "%",
    "%_",
    "50%",
    "0%_",
    "0x-",
    "_",
    "a_b",
    "\\",
    "\\sl",
    "\\\\share",
    "é",
    "É",
    "école",
    "ÉCOLE",
    "Émile",
    "ÉMILE",
    "zoë",
    "ZOË",
    "straße",
    "STRASSE",
    "ss",
    "İst",
    "ist",
    "\"",
    "o\"b",
    "O\"Brien",
    "r cen",
    "er sc",
    "r&d",
    "@x.",
    "x.fr",
    "nobody",
];

const OPERATORS: &[&str] = &["=", "!=", "Contains", "StartsWith", "EndsWith"];

async fn company(store: &Store) -> i64 {
    let mut conn = store.pool().acquire().await.expect("connection");
    crate::companies::insert_company(&mut conn, None, "Acme", false, false, None, None)
        .await
        .expect("company")
        .id
}

async fn add_people(store: &Store, company: i64) {
    for (n, (email, first, last, department)) in PEOPLE.iter().enumerate() {
        sqlx::query(
            "INSERT INTO target_users (resource_id, company_id, email, email_folded, first_name, \
             last_name, department, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(format!("person-{n}"))
        .bind(company)
        .bind(*email)
        .bind(latchkey_domain::user::fold(email))
        .bind(*first)
        .bind(*last)
        .bind(*department)
        .bind(n as i64)
        .execute(store.pool())
        .await
        .expect("a target user");
    }
}

/// The search of `spec` over the company's users.
fn search(
    store: &Store,
    company: i64,
    spec: &SearchSpec,
    request: &serde_json::Value,
) -> SearchQuery<i64> {
    let mut params = Params::new(store.backend());
    let c = params.int(company);
    let request: SearchRequest = serde_json::from_value(request.clone()).expect("a request");
    SearchQuery::new(
        spec,
        &request,
        params,
        "SELECT t.id",
        |condition| format!("FROM target_users t WHERE t.company_id = {c} AND {condition}"),
        |r| Ok(r.try_get("id")?),
    )
    .expect("a valid search")
}

/// Whether the search goes through a trigram index.
fn through_index(q: &SearchQuery<i64>) -> bool {
    !q.params.probes.is_empty() || q.params.per_run
}

async fn ids(q: SearchQuery<i64>, store: &Store) -> Vec<i64> {
    let mut ids = q.all(store).await.expect("the search runs");
    ids.sort_unstable();
    ids
}

fn item(field: &str, op: &str, value: &str) -> serde_json::Value {
    json!({"filter": {"filterGroups": [{"filterItems": [
        {"fieldName": field, "operator": op, "value": value}]}]}})
}

#[tokio::test]
async fn text_search_through_the_indexes_finds_what_the_plain_search_finds() {
    let (store, _dir) = crate::test_store().await;
    let company = company(&store).await;
    add_people(&store, company).await;
    let plain = plain();
    let (mut compared, mut indexed, mut found) = (0, 0, 0);
    let mut requests = Vec::new();
    for value in VALUES {
        requests.push(json!({"filter": {"searchInputTextValue": value}}));
        for field in ["Email", "FirstName", "LastName", "Department"] {
            for op in OPERATORS {
                requests.push(item(field, op, value));
            }
        }
    }
    for request in &requests {
        let q = search(&store, company, &INDEXED, request);
        indexed += usize::from(through_index(&q));
        let with_index = ids(q, &store).await;
        let without = ids(search(&store, company, &plain, request), &store).await;
        assert_eq!(with_index, without, "{request}");
        compared += 1;
        found += usize::from(!without.is_empty());
    }
    // Not vacuous: most comparisons went through an index, and many found someone.
    assert!(indexed > compared / 2, "{indexed} of {compared} indexed");
    assert!(found > compared / 3, "{found} of {compared} found rows");
}

#[tokio::test]
async fn a_value_most_rows_contain_is_scanned_with_the_same_answer() {
    let (store, _dir) = crate::test_store().await;
    let company = company(&store).await;
    add_people(&store, company).await;
    sqlx::query(
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $2) \
         INSERT INTO target_users (resource_id, company_id, email, email_folded, create_time, update_time) \
         SELECT 'bulk-' || n, $1, 'Bulk' || n || '@Broad.example', 'bulk' || n || '@broad.example', n, n FROM s",
    )
    .bind(company)
    .bind(BROAD_MATCHES)
    .execute(store.pool())
    .await
    .expect("many users");
    let plain = plain();
    for request in [
        item("Email", "Contains", "BROAD"),
        json!({"filter": {"searchInputTextValue": "broad.ex"}}),
    ] {
        let q = search(&store, company, &INDEXED, &request);
        if store.backend() == Backend::Sqlite {
            // The look-up finds every one of them, so the statement goes without it.
            let weighed = search(&store, company, &INDEXED, &request)
                .weighed(store.pool())
                .await
                .expect("weighed");
            assert!(q.from.contains("MATCH"), "{}", q.from);
            assert!(!weighed.from.contains("MATCH"), "{}", weighed.from);
        }
        let with_index = ids(q, &store).await;
        assert_eq!(with_index.len() as i64, BROAD_MATCHES, "{request}");
        assert_eq!(
            with_index,
            ids(search(&store, company, &plain, &request), &store).await
        );
    }
    // A rarer value keeps its look-up, and finds its one user among them.
    let request = item("Email", "Contains", "bulk4242@");
    let weighed = search(&store, company, &INDEXED, &request)
        .weighed(store.pool())
        .await
        .expect("weighed");
    assert_eq!(
        weighed.from.contains("MATCH"),
        store.backend() == Backend::Sqlite
    );
    assert_eq!(ids(weighed, &store).await.len(), 1);
}
