//! The target-user counts a company search shows beside the live count (which the write path
//! of target users keeps) are kept by the database with every write of a user (migration
//! 0014), on the store the tests run on.

use latchkey_domain::time::{month_start_millis, now_millis};
use sqlx::Row;

use crate::Store;

/// The first instant of the month before the one starting at `month` (Unix ms, UTC).
fn month_before(month: i64) -> i64 {
    let day = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(month - 1) * 1_000_000)
        .expect("a time")
        .date();
    let first = day.replace_day(1).expect("a first day");
    (first.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

async fn company(store: &Store, name: &str) -> i64 {
    let mut conn = store.pool().acquire().await.expect("connection");
    super::insert_company(&mut conn, None, name, false, false, None, None)
        .await
        .expect("company")
        .id
}

/// `(inactive, deleted)` of a company.
async fn counts(store: &Store, company: i64) -> (i64, i64) {
    let r = sqlx::query(
        "SELECT inactive_target_user_count, deleted_target_user_count \
         FROM company_search WHERE id = $1",
    )
    .bind(company)
    .fetch_one(store.pool())
    .await
    .expect("counts");
    (
        r.get("inactive_target_user_count"),
        r.get("deleted_target_user_count"),
    )
}

/// Active users of `company` whose last change fell in `month`.
async fn monthly(store: &Store, company: i64, month: i64) -> i64 {
    sqlx::query(
        "SELECT CAST(COALESCE(SUM(active_count), 0) AS BIGINT) AS n FROM target_user_months \
         WHERE company_id = $1 AND month = $2",
    )
    .bind(company)
    .bind(month)
    .fetch_one(store.pool())
    .await
    .expect("monthly")
    .get("n")
}

async fn run(store: &Store, sql: &str, binds: &[i64]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(store.pool()).await.expect(sql);
}

#[tokio::test]
async fn counts_follow_every_write_of_a_user() {
    let (store, _dir) = crate::test_store().await;
    let (a, b) = (company(&store, "A").await, company(&store, "B").await);
    let now = now_millis();
    let this_month = month_start_millis();
    let last_month = month_before(this_month);
    // Several users in one statement, one in another, and one changed last month.
    run(
        &store,
        "INSERT INTO target_users (resource_id, company_id, email, email_folded, status_id, create_time, update_time) \
         VALUES ('a1', $1, 'a1@x', 'a1@x', 1, $2, $2), ('a2', $1, 'a2@x', 'a2@x', 1, $2, $2), \
                ('a3', $1, 'a3@x', 'a3@x', 0, $2, $2)",
        &[a, now],
    )
    .await;
    run(
        &store,
        "INSERT INTO target_users (resource_id, company_id, email, email_folded, status_id, create_time, update_time) \
         VALUES ('a4', $1, 'a4@x', 'a4@x', 2, $2, $2)",
        &[a, now],
    )
    .await;
    run(
        &store,
        "INSERT INTO target_users (resource_id, company_id, email, email_folded, status_id, create_time, update_time) \
         VALUES ('b1', $1, 'b1@x', 'b1@x', 1, $2, $2)",
        &[b, last_month],
    )
    .await;
    assert_eq!(counts(&store, a).await, (1, 1));
    assert_eq!(counts(&store, b).await, (0, 0));
    assert_eq!(monthly(&store, a, this_month).await, 2);
    assert_eq!(monthly(&store, b, this_month).await, 0);
    assert_eq!(monthly(&store, b, last_month).await, 1);

    // Deleting (status 2) and deactivating move users between the counts.
    run(
        &store,
        "UPDATE target_users SET status_id = 2, update_time = $1 WHERE resource_id = 'a1'",
        &[now],
    )
    .await;
    run(
        &store,
        "UPDATE target_users SET status_id = 1, update_time = $1 WHERE resource_id = 'a3'",
        &[now],
    )
    .await;
    assert_eq!(counts(&store, a).await, (0, 2));
    assert_eq!(monthly(&store, a, this_month).await, 2);
    // A change this month moves last month's user into this month; a change of a name alone
    // moves nothing.
    run(
        &store,
        "UPDATE target_users SET first_name = 'B', update_time = $1 WHERE resource_id = 'b1'",
        &[now],
    )
    .await;
    run(
        &store,
        "UPDATE target_users SET first_name = 'A' WHERE company_id = $1",
        &[a],
    )
    .await;
    assert_eq!(monthly(&store, b, last_month).await, 0);
    assert_eq!(monthly(&store, b, this_month).await, 1);
    assert_eq!(counts(&store, a).await, (0, 2));
    assert_eq!(monthly(&store, a, this_month).await, 2);

    // Removing rows, and a whole company with its users, leaves the others as they were.
    run(
        &store,
        "DELETE FROM target_users WHERE resource_id IN ('a2', 'a4')",
        &[],
    )
    .await;
    assert_eq!(counts(&store, a).await, (0, 1));
    assert_eq!(monthly(&store, a, this_month).await, 1);
    run(&store, "DELETE FROM companies WHERE id = $1", &[b]).await;
    assert_eq!(counts(&store, a).await, (0, 1));
    let rows: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM target_user_months WHERE company_id = $1")
            .bind(b)
            .fetch_one(store.pool())
            .await
            .expect("months")
            .get("n");
    assert_eq!(rows, 0);
}
