//! `/api/target-users`: the people of a company whom simulations and training are for (the
//! spreadsheet import's operations live with the import).
//!
//! Every operation acts on one company: the one the request names (`X-KEEPNET-Company-Id`,
//! `X-IR-COMPANY-ID`, `?companyId=`) or the caller's own. Ids in paths and bodies that are not
//! that company's users, groups or custom fields answer 404 and change nothing.
//!
//! Create and update go through [`validate`] and [`Store::write_target_users`], the same two
//! steps as an imported row: on an update, a field absent or null keeps its value and an empty
//! string clears it.
//!
//! [`Store::write_target_users`]: latchkey_store::Store::write_target_users

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::{Stream, StreamExt};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{
    CustomFieldInput, FieldDataType, FieldError, FieldOwner, Problem, TargetUserInput,
    TargetUserStatus, validate,
};
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{
    BulkDeleteRequest, Filter, FilterGroup, FilterItem, PagedResults, SearchRequest,
};
use latchkey_proto::target_users::{
    EnrollmentEmailsRequest, ScormEmailRequest, TargetUserByEmailRequest, TargetUserCountSummary,
    TargetUserCustomFieldValueDto, TargetUserDto, TargetUserEmailDto, TargetUserGroupView,
    TargetUserIdsRequest, TargetUserRequest, TargetUserSearchView,
};
use latchkey_store::custom_fields::CustomFieldRow;
use latchkey_store::search::Compiled;
use latchkey_store::target_users::{
    FieldValueRow, Match, TargetUserRow, TargetUserWrite, UserGroupRow,
};
use latchkey_store::{Store, StoreError};

use super::export;
use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "TargetUser";

#[utoipa::path(post, path = "/api/target-users", tag = TAG, summary = "Creates a new target user",
    request_body = TargetUserRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<TargetUserRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let id = write_one(&state, &scope, input(body, false), Match::New).await?;
    Ok(ok(IdResult { resource_id: id }))
}

#[utoipa::path(get, path = "/api/target-users/{resourceId}", tag = TAG,
    summary = "Retrieves the details of an existing target user",
    params(("resourceId" = String, Path)), responses((status = 200, body = ServiceResult<TargetUserDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<TargetUserDto>>> {
    let user = find(&state, &scope, &id).await?;
    let mut values = state.store.target_user_field_values(&[&user]).await?;
    let values = values.remove(&user.key).unwrap_or_default();
    Ok(ok(dto(user, values)))
}

#[utoipa::path(put, path = "/api/target-users/{resourceId}", tag = TAG,
    summary = "Updates an existing target user",
    params(("resourceId" = String, Path)), request_body = TargetUserRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TargetUserRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = find(&state, &scope, &id).await?;
    let id = write_one(&state, &scope, input(body, true), Match::existing(&user)).await?;
    Ok(ok(IdResult { resource_id: id }))
}

#[utoipa::path(delete, path = "/api/target-users/{resourceId}", tag = TAG,
    summary = "Delete a target user",
    params(("resourceId" = String, Path)), responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let user = find(&state, &scope, &id).await?;
    let id = user.resource_id.clone();
    state.store.delete_target_users(&scope, &[user]).await?;
    Ok(ok(IdResult { resource_id: id }))
}

/// Deletes the listed users, or with `selectAll` every user matching `filter` except
/// `excludedItems`; answers how many were deleted. An id that is not one of the company's users
/// refuses the whole request.
#[utoipa::path(delete, path = "/api/target-users/bulk-delete", tag = TAG,
    summary = "Bulk delete target users",
    request_body = BulkDeleteRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<BulkDeleteRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let users = if body.select_all.unwrap_or(false) {
        let excluded = body.excluded_items.unwrap_or_default();
        let mut users = state
            .store
            .target_users_matching(&scope, body.filter)
            .await?;
        users.retain(|u| !excluded.contains(&u.resource_id));
        users
    } else {
        by_ids(
            &state,
            &scope,
            body.items.as_deref().unwrap_or_default(),
            true,
        )
        .await?
    };
    let deleted = state.store.delete_target_users(&scope, &users).await?;
    Ok(ok(IdResult {
        resource_id: deleted.to_string(),
    }))
}

#[utoipa::path(post, path = "/api/target-users/search", tag = TAG,
    summary = "Returns a list of target users",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetUserSearchView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetUserSearchView>>>> {
    Ok(ok(page_of(&state, &scope, &request, search_view).await?))
}

#[utoipa::path(post, path = "/api/target-users/search/export", tag = TAG,
    summary = "Exports the list of target users",
    request_body = SearchRequest, responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    send_export(
        &state,
        &scope,
        format,
        "target-users",
        None,
        state.store.export_target_users(&scope, &request)?,
    )
    .await
}

/// The columns every target-user export has; the company's custom fields follow them.
const EXPORT_COLUMNS: [&str; 11] = [
    "Email",
    "First Name",
    "Last Name",
    "Department",
    "Phone Number",
    "Priority",
    "Status",
    "Time Zone",
    "Preferred Language",
    "Target User ID",
    "Date Created",
];

/// Users whose custom field values one query fetches while exporting: the export stays a
/// stream (constant memory) and costs one extra round trip per this many rows.
const EXPORT_BATCH: usize = 500;

/// Sends target users as an export named `name` (also the members of a target group): the
/// fixed columns, then one column per active custom field of the company and, for a group's
/// members (`group` its resource id), of that group.
pub(super) async fn send_export(
    state: &AppState,
    scope: &CompanyScope,
    format: export::Format,
    name: &str,
    group: Option<&str>,
    users: impl Stream<Item = Result<TargetUserRow, StoreError>> + Send + 'static,
) -> ApiResult<Response> {
    let fields: Vec<CustomFieldRow> = state
        .store
        .custom_fields(scope)
        .await?
        .into_iter()
        .filter(|f| {
            f.is_active
                && (f.owner == FieldOwner::TargetUser
                    || (group.is_some() && f.target_group_resource_id.as_deref() == group))
        })
        .collect();
    let mut headers: Vec<String> = EXPORT_COLUMNS.iter().map(|h| (*h).to_owned()).collect();
    headers.extend(fields.iter().map(|f| f.name.clone()));
    let field_ids: Arc<Vec<String>> = Arc::new(fields.into_iter().map(|f| f.resource_id).collect());
    let store = state.store.clone();
    let rows = users
        .chunks(EXPORT_BATCH)
        .then(move |batch| export_rows(store.clone(), field_ids.clone(), batch))
        .flat_map(futures_util::stream::iter);
    export::respond(format, name, &headers, rows).await
}

/// One batch of export rows: the users' cells, then their values of `field_ids` (empty where
/// a user has none).
async fn export_rows(
    store: Store,
    field_ids: Arc<Vec<String>>,
    batch: Vec<Result<TargetUserRow, StoreError>>,
) -> Vec<Result<Vec<String>, StoreError>> {
    let users = match batch.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(users) => users,
        Err(e) => return vec![Err(e)],
    };
    let mut values = HashMap::new();
    if !field_ids.is_empty() {
        match store
            .target_user_field_values(&users.iter().collect::<Vec<_>>())
            .await
        {
            Ok(v) => values = v,
            Err(e) => return vec![Err(e)],
        }
    }
    users
        .into_iter()
        .map(|u| {
            let held = values.remove(&u.key).unwrap_or_default();
            let custom = field_ids.iter().map(|id| {
                held.iter()
                    .find(|v| &v.field_resource_id == id)
                    .map(|v| v.value.clone())
                    .unwrap_or_default()
            });
            let mut cells = vec![
                u.email,
                u.first_name.unwrap_or_default(),
                u.last_name.unwrap_or_default(),
                u.department.unwrap_or_default(),
                u.phone_number.unwrap_or_default(),
                u.priority.name().to_owned(),
                u.status.name().to_owned(),
                u.time_zone_id.unwrap_or_default(),
                u.preferred_language.unwrap_or_default(),
                u.resource_id,
                millis_to_rfc3339(u.create_time),
            ];
            cells.extend(custom);
            Ok(cells)
        })
        .collect()
}

/// The live users whose email contains `email` (ignoring case), paged.
#[utoipa::path(post, path = "/api/target-users/search-email", tag = TAG,
    summary = "Returns target users by email",
    request_body = TargetUserByEmailRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetUserDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search_email(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<TargetUserByEmailRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetUserDto>>>> {
    let email = body.email.as_deref().map(str::trim).unwrap_or("");
    if email.is_empty() {
        return Err(ApiError::input(vec!["email is required".into()]));
    }
    let request = SearchRequest {
        page_number: body.page_number,
        page_size: body.page_size,
        order_by: body.order_by,
        ascending: body.ascending,
        filter: Some(Filter {
            filter_groups: Some(vec![FilterGroup {
                filter_items: Some(vec![FilterItem {
                    field_name: Some("Email".into()),
                    operator: Some("Contains".into()),
                    value: Some(serde_json::Value::String(email.to_owned())),
                }]),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(ok(page_of(&state, &scope, &request, dto).await?))
}

/// The listed live users; deleted ones are left out. An id that is not one of the company's
/// users answers 404.
#[utoipa::path(post, path = "/api/target-users/by-resource-ids", tag = TAG,
    summary = "Returns target users by resource ids",
    request_body = TargetUserIdsRequest,
    responses((status = 200, body = ServiceResult<Vec<TargetUserEmailDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn by_resource_ids(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<TargetUserIdsRequest>,
) -> ApiResult<Json<ServiceResult<Vec<TargetUserEmailDto>>>> {
    listed(&state, &scope, body, false).await
}

/// The listed users, deleted ones included.
#[utoipa::path(post, path = "/api/target-users/include-deleted/by-resource-ids", tag = TAG,
    summary = "Returns target users by resource ids, deleted ones included",
    request_body = TargetUserIdsRequest,
    responses((status = 200, body = ServiceResult<Vec<TargetUserEmailDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn include_deleted_by_resource_ids(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<TargetUserIdsRequest>,
) -> ApiResult<Json<ServiceResult<Vec<TargetUserEmailDto>>>> {
    listed(&state, &scope, body, true).await
}

/// Active, inactive and deleted users, and the monthly active ones: Active users created or
/// changed since the start of the current calendar month (UTC).
#[utoipa::path(get, path = "/api/target-users/count-summary", tag = TAG,
    summary = "Returns the count summary of active, inactive, deleted target users and monthly active users",
    responses((status = 200, body = ServiceResult<TargetUserCountSummary>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn count_summary(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<TargetUserCountSummary>>> {
    let c = state.store.target_user_counts(&scope).await?;
    Ok(ok(TargetUserCountSummary {
        active_user_count: c.active,
        inactive_user_count: c.inactive,
        deleted_user_count: c.deleted,
        monthly_active_user_count: c.monthly_active,
    }))
}

/// The user's target groups, paged and filtered like a group search (`Name`, `Priority`,
/// `ResourceId`, `CreateTime`, `UpdateTime`). The spec gives user rows as the answer; the
/// operation lists groups, so it answers group rows.
#[utoipa::path(post, path = "/api/target-users/{resourceId}/groups", tag = TAG,
    summary = "Returns a list of target groups of the user",
    params(("resourceId" = String, Path)), request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetUserGroupView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn groups(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetUserGroupView>>>> {
    let user = find(&state, &scope, &id).await?;
    let (rows, total, page) = state.store.search_user_groups(&user, &request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter().map(group_view).collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

/// Whom enrollment emails would go to. There are no campaigns or trainings yet, so: the active
/// members of `targetGroupResourceIds` (each once), or every active user when none are named.
#[utoipa::path(post, path = "/api/target-users/enrollment-emails", tag = TAG,
    summary = "Returns target users for enrollment emails",
    request_body = EnrollmentEmailsRequest,
    responses((status = 200, body = ServiceResult<Vec<TargetUserEmailDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn enrollment_emails(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<EnrollmentEmailsRequest>,
) -> ApiResult<Json<ServiceResult<Vec<TargetUserEmailDto>>>> {
    let users = enrollment_users(&state, &scope, body).await?;
    Ok(ok(users.into_iter().map(email_dto).collect()))
}

/// How many users `enrollment-emails` lists (a number, where the spec repeats the list type).
#[utoipa::path(post, path = "/api/target-users/enrollment-emails/count", tag = TAG,
    summary = "Returns a count of target users for enrollment emails",
    request_body = EnrollmentEmailsRequest,
    responses((status = 200, body = ServiceResult<i64>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn enrollment_emails_count(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<EnrollmentEmailsRequest>,
) -> ApiResult<Json<ServiceResult<i64>>> {
    let users = enrollment_users(&state, &scope, body).await?;
    Ok(ok(users.len() as i64))
}

/// The live user with this email in the company `companyId` numbers (one the caller may act
/// on), or in the company the request acts on.
#[utoipa::path(post, path = "/api/target-users/scorm-email", tag = TAG,
    summary = "Returns the target user for SCORM",
    request_body = ScormEmailRequest, responses((status = 200, body = ServiceResult<TargetUserDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn scorm_email(
    State(state): State<AppState>,
    Scoped { caller, scope, .. }: Scoped,
    JsonBody(body): JsonBody<ScormEmailRequest>,
) -> ApiResult<Json<ServiceResult<TargetUserDto>>> {
    let email = body.email.as_deref().map(str::trim).unwrap_or("");
    if email.is_empty() {
        return Err(ApiError::input(vec!["email is required".into()]));
    }
    let scope = match body.company_id.filter(|id| *id != 0) {
        None => scope,
        Some(number) => {
            let company = state
                .store
                .find_company_by_number(number)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("Company {number} was not found")))?;
            caller.scope_for(company)?
        }
    };
    let user = state
        .store
        .target_user_by_email(&scope, email)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No target user has the email {email}")))?;
    let mut values = state.store.target_user_field_values(&[&user]).await?;
    let values = values.remove(&user.key).unwrap_or_default();
    Ok(ok(dto(user, values)))
}

/// Validates one user and writes it: the path every created or updated user takes.
async fn write_one(
    state: &AppState,
    scope: &CompanyScope,
    input: TargetUserInput,
    matching: Match,
) -> ApiResult<String> {
    let groups = input.target_groups.as_deref().unwrap_or_default();
    let rules = state.store.target_user_rules_for(scope, groups).await?;
    let draft = validate(&input, &rules).map_err(field_errors)?;
    let report = state
        .store
        .write_target_users(scope, &[TargetUserWrite { draft, matching }])
        .await?;
    report
        .resource_ids
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("a write of one user reported none"))
}

/// Validation problems as the API answers them: ids of the company's data that name nothing
/// are 404 (as any id of another tenant), every other problem `INPUT_ERROR` naming its field.
pub fn field_errors(errors: Vec<FieldError>) -> ApiError {
    let not_found: Vec<&str> = errors
        .iter()
        .filter(|e| e.kind == Problem::NotFound)
        .map(|e| e.message.as_str())
        .collect();
    if not_found.is_empty() {
        ApiError::input(errors.into_iter().map(|e| e.message).collect())
    } else {
        ApiError::not_found(not_found.join("; "))
    }
}

/// A request body as the validation's raw input.
fn input(body: TargetUserRequest, replace_groups: bool) -> TargetUserInput {
    TargetUserInput {
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
        department: body.department,
        phone_number: body.phone_number,
        priority: body.priority,
        time_zone: body.time_zone_id,
        preferred_language: body.preferred_language_id,
        manager_first_name: body.manager_first_name,
        manager_last_name: body.manager_last_name,
        manager_email: body.manager_email,
        is_active: body.is_active,
        custom_fields: body
            .custom_fields
            .unwrap_or_default()
            .into_iter()
            .map(|f| CustomFieldInput {
                field: f
                    .resource_id
                    .filter(|id| !id.trim().is_empty())
                    .or(f.name)
                    .unwrap_or_default(),
                value: f.value.or(f.timestamp_value),
            })
            .collect(),
        target_groups: body.target_group_resource_ids,
        replace_groups,
    }
}

/// The live user `id` of the company, or 404.
async fn find(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<TargetUserRow> {
    let not_found = || ApiError::not_found(format!("Target user {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .target_user(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

/// One page of a user search, each user shown by `show` with its custom field values.
async fn page_of<T>(
    state: &AppState,
    scope: &CompanyScope,
    request: &SearchRequest,
    show: fn(TargetUserRow, Vec<FieldValueRow>) -> T,
) -> ApiResult<PagedResults<T>> {
    let found = state.store.search_target_users(scope, request).await?;
    shown(state, found, show).await
}

/// A page of users a search found (also a target group's members), each shown by `show` with
/// its custom field values.
pub(super) async fn shown<T>(
    state: &AppState,
    (rows, total, page): (Vec<TargetUserRow>, i64, Compiled),
    show: fn(TargetUserRow, Vec<FieldValueRow>) -> T,
) -> ApiResult<PagedResults<T>> {
    let mut values = state
        .store
        .target_user_field_values(&rows.iter().collect::<Vec<_>>())
        .await?;
    let results = rows
        .into_iter()
        .map(|u| {
            let v = values.remove(&u.key).unwrap_or_default();
            show(u, v)
        })
        .collect();
    Ok(PagedResults::new(
        results,
        total,
        page.page_number,
        page.page_size,
    ))
}

/// `by-resource-ids` and its `include-deleted` twin.
async fn listed(
    state: &AppState,
    scope: &CompanyScope,
    body: TargetUserIdsRequest,
    include_deleted: bool,
) -> ApiResult<Json<ServiceResult<Vec<TargetUserEmailDto>>>> {
    let ids = body.target_user_resource_ids.unwrap_or_default();
    let users = by_ids(state, scope, &ids, include_deleted).await?;
    Ok(ok(users.into_iter().map(email_dto).collect()))
}

/// The company's users with these ids, or 404 naming those that are not.
async fn by_ids(
    state: &AppState,
    scope: &CompanyScope,
    ids: &[String],
    include_deleted: bool,
) -> ApiResult<Vec<TargetUserRow>> {
    let (users, missing) = state
        .store
        .target_users_by_ids(scope, ids, include_deleted)
        .await?;
    if missing.is_empty() {
        Ok(users)
    } else {
        Err(ApiError::not_found(format!(
            "Target users not found: {}",
            missing.join(", ")
        )))
    }
}

async fn enrollment_users(
    state: &AppState,
    scope: &CompanyScope,
    body: EnrollmentEmailsRequest,
) -> ApiResult<Vec<TargetUserRow>> {
    if let Some(campaign) = body
        .phishing_campaign_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        return Err(ApiError::not_found(format!(
            "Phishing campaign {campaign} was not found"
        )));
    }
    let ids = body.target_group_resource_ids.unwrap_or_default();
    if ids.is_empty() {
        return Ok(state.store.active_target_users(scope, None).await?);
    }
    let mut keys = Vec::new();
    for id in &ids {
        let key = match ResourceId::parse(id) {
            Some(rid) => state.store.company_target_group(scope, &rid).await?,
            None => None,
        };
        keys.push(
            key.ok_or_else(|| ApiError::not_found(format!("Target group {id} was not found")))?,
        );
    }
    Ok(state.store.active_target_users(scope, Some(&keys)).await?)
}

fn value_dto(v: FieldValueRow) -> TargetUserCustomFieldValueDto {
    let timestamp_value = (v.data_type == FieldDataType::Date).then(|| {
        if v.value.len() == 10 {
            format!("{}T00:00:00.000Z", v.value)
        } else {
            v.value.clone()
        }
    });
    TargetUserCustomFieldValueDto {
        resource_id: Some(v.field_resource_id),
        name: Some(v.name),
        data_type: Some(v.data_type.name().to_owned()),
        value: Some(v.value),
        timestamp_value,
    }
}

fn dto(u: TargetUserRow, values: Vec<FieldValueRow>) -> TargetUserDto {
    let manager_full_name = [&u.manager_first_name, &u.manager_last_name]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    TargetUserDto {
        resource_id: u.resource_id,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        department: u.department,
        priority: u.priority.name().to_owned(),
        is_active: u.status == TargetUserStatus::Active,
        custom_field_values: values.into_iter().map(value_dto).collect(),
        phone_number: u.phone_number,
        time_zone_id: u.time_zone_id,
        preferred_language_id: u.preferred_language_id,
        manager_first_name: u.manager_first_name,
        manager_last_name: u.manager_last_name,
        manager_email: u.manager_email,
        manager_full_name: (!manager_full_name.is_empty()).then_some(manager_full_name),
    }
}

pub(super) fn search_view(u: TargetUserRow, values: Vec<FieldValueRow>) -> TargetUserSearchView {
    TargetUserSearchView {
        resource_id: u.resource_id,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        department: u.department,
        priority: u.priority.name().to_owned(),
        status: u.status.name().to_owned(),
        custom_field_values: values.into_iter().map(value_dto).collect(),
        create_time: millis_to_rfc3339(u.create_time),
        update_time: Some(millis_to_rfc3339(u.update_time)),
        is_editable: true,
        scim_setting_name: None,
        ldap_config_name: None,
        phone_number: u.phone_number,
        time_zone: u.time_zone_id,
        preferred_language: u.preferred_language,
    }
}

fn email_dto(u: TargetUserRow) -> TargetUserEmailDto {
    TargetUserEmailDto {
        id: u.key,
        resource_id: u.resource_id,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        phone_number: u.phone_number,
        is_deleted: u.status == TargetUserStatus::Deleted,
        status: u.status.code(),
    }
}

fn group_view(g: UserGroupRow) -> TargetUserGroupView {
    TargetUserGroupView {
        resource_id: g.resource_id,
        name: g.name,
        priority: g.priority.name().to_owned(),
        user_count: g.user_count,
        create_time: millis_to_rfc3339(g.create_time),
        update_time: Some(millis_to_rfc3339(g.update_time)),
        is_editable: !(g.is_scim_group || g.is_google_group || g.is_system),
        is_scim_group: g.is_scim_group,
        is_google_group: g.is_google_group,
        is_created_by_system: g.is_system,
    }
}
