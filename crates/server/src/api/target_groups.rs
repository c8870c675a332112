//! `/api/target-groups`: named sets of a company's target users.
//!
//! Every operation acts on one company, as the target users' do: the one the request names
//! (`X-KEEPNET-Company-Id`, `X-IR-COMPANY-ID`, `?companyId=`) or the caller's own. Only
//! `search/all` reaches further: the company and every company below it (a reseller's
//! customers). Group and user ids in paths and bodies that are not that company's answer 404
//! and change nothing.
//!
//! `PUT …/users` adds the listed users, or with `selectAll` every target user the filter
//! matches (on the target-user search) except `excludedResourceIdList`, to every listed
//! group. `POST …/{id}/users` lists the group's members, or with `excludeGroupUsers` the
//! company's other users, to pick from. Deleting a group ends its memberships and leaves its
//! users.
//!
//! The upload operations (`upload`, `upload/{transactionId}`, `…/search`) belong to the import
//! and live with it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::StreamExt;
use latchkey_domain::authz::{CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{Priority, TargetUserStatus};
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::search::{Filter, FilterGroup, FilterItem, PagedResults, SearchRequest};
use latchkey_proto::target_groups::{
    CreateTargetGroupRequest, CreateTargetGroupUsersRequest, DeleteTargetGroupUsersRequest,
    GetTargetGroupByNameRequest, GetTargetGroupUserCountDetailRequest, TargetGroupDto,
    TargetGroupSearchCompanyModel, TargetGroupSearchForOwnerCompanyView, TargetGroupSearchRequest,
    TargetGroupSearchView, TargetGroupUserCountDetailDto, TargetGroupUsersAdded,
    TargetGroupUsersSearchRequest, UpdateTargetGroupRequest,
};
use latchkey_proto::target_users::TargetUserSearchView;
use latchkey_store::target_groups::{
    GroupChanges, GroupSearch, MemberKeys, TargetGroupRow, UserCountRow, UserCounts,
};

use super::company_groups::valid_name;
use super::json::JsonBody;
use super::{export, target_users};
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "TargetGroup";

#[utoipa::path(get, path = "/api/target-groups", tag = TAG, summary = "Retrieves a list of target groups",
    responses((status = 200, body = ServiceResult<Vec<TargetGroupDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<TargetGroupDto>>>> {
    let groups = state.store.target_groups(&scope).await?;
    Ok(ok(groups.into_iter().map(dto).collect()))
}

#[utoipa::path(post, path = "/api/target-groups", tag = TAG, summary = "Creates a new target group",
    request_body = CreateTargetGroupRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<CreateTargetGroupRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let (name, priority) = name_and_priority(body.name.as_deref(), body.priority.as_deref())?;
    let id = state
        .store
        .create_target_group(&scope, &name, priority)
        .await?;
    Ok(ok(IdResult {
        resource_id: id.to_string(),
    }))
}

#[utoipa::path(get, path = "/api/target-groups/{resourceId}", tag = TAG,
    summary = "Retrieves the details of an existing target group",
    params(("resourceId" = String, Path)), responses((status = 200, body = ServiceResult<TargetGroupDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<TargetGroupDto>>> {
    Ok(ok(dto(find(&state, &scope, &id).await?)))
}

#[utoipa::path(put, path = "/api/target-groups/{resourceId}", tag = TAG,
    summary = "Updates an existing target group",
    params(("resourceId" = String, Path)), request_body = UpdateTargetGroupRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateTargetGroupRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &scope, &id).await?;
    let (name, priority) = name_and_priority(body.name.as_deref(), body.priority.as_deref())?;
    let changes = GroupChanges {
        name,
        priority,
        is_active: body.is_active,
    };
    state
        .store
        .update_target_group(&scope, &group, &changes)
        .await?;
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

/// Deletes the group and its memberships; its users stay.
#[utoipa::path(delete, path = "/api/target-groups/{resourceId}", tag = TAG, summary = "Deletes a target group",
    params(("resourceId" = String, Path)), responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &scope, &id).await?;
    state.store.delete_target_group(&scope, &group).await?;
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

/// The company's groups. `selectTargetUserResourceIds` (comma-separated target users of the
/// company) sets `isSelected` on the groups that hold all of them.
#[utoipa::path(post, path = "/api/target-groups/search", tag = TAG, summary = "Returns a list of target groups",
    request_body = TargetGroupSearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetGroupSearchView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<TargetGroupSearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetGroupSearchView>>>> {
    let selected = match body.select_target_user_resource_ids.as_deref() {
        Some(list) => {
            let ids: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if ids.len() > latchkey_proto::limits::MAX_LIST_LENGTH {
                return Err(ApiError::input(vec![format!(
                    "selectTargetUserResourceIds may list at most {} users",
                    latchkey_proto::limits::MAX_LIST_LENGTH
                )]));
            }
            Some(users(&state, &scope, &ids).await?)
        }
        None => None,
    };
    let owners = scope.as_reach();
    let search = GroupSearch {
        owners: &owners,
        system_generated: body.system_generated_groups.unwrap_or(false),
        selected_users: selected.as_ref(),
    };
    page(&state, search, &body.search, search_view).await
}

/// The groups of the company and of every company below it (a reseller's customers).
#[utoipa::path(post, path = "/api/target-groups/search/all", tag = TAG,
    summary = "Returns a list of target groups for my company and child companies",
    request_body = TargetGroupSearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetGroupSearchForOwnerCompanyView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search_all(
    State(state): State<AppState>,
    Scoped { caller, scope, .. }: Scoped,
    JsonBody(body): JsonBody<TargetGroupSearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetGroupSearchForOwnerCompanyView>>>> {
    let owners = caller.reach_from(&scope);
    let search = GroupSearch {
        owners: &owners,
        system_generated: body.system_generated_groups.unwrap_or(false),
        selected_users: None,
    };
    page(&state, search, &body.search, |g| {
        TargetGroupSearchForOwnerCompanyView {
            resource_id: g.resource_id,
            name: g.name,
            company_name: g.company.name,
            user_count: g.user_count,
            priority: g.priority.name().to_owned(),
            create_time: millis_to_rfc3339(g.create_time),
            update_time: Some(millis_to_rfc3339(g.update_time)),
            is_created_by_system: g.is_system,
        }
    })
    .await
}

#[utoipa::path(post, path = "/api/target-groups/search/current-company", tag = TAG,
    summary = "Returns a list of target groups for my company",
    request_body = SearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetGroupSearchCompanyModel>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search_current_company(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetGroupSearchCompanyModel>>>> {
    let owners = scope.as_reach();
    page(&state, own_groups(&owners), &request, |g| {
        TargetGroupSearchCompanyModel {
            resource_id: g.resource_id,
            name: g.name,
            company_name: g.company.name,
            user_count: g.user_count,
            priority: g.priority.name().to_owned(),
            create_time: millis_to_rfc3339(g.create_time),
            update_time: Some(millis_to_rfc3339(g.update_time)),
        }
    })
    .await
}

/// The company's groups whose name contains `groupName`, ignoring case (all of them when it is
/// empty).
#[utoipa::path(post, path = "/api/target-groups/search-name", tag = TAG,
    summary = "Returns a list of the target group",
    request_body = GetTargetGroupByNameRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetGroupDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn search_name(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<GetTargetGroupByNameRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetGroupDto>>>> {
    let filter = body
        .group_name
        .filter(|n| !n.trim().is_empty())
        .map(|name| Filter {
            filter_groups: Some(vec![FilterGroup {
                filter_items: Some(vec![FilterItem {
                    field_name: Some("Name".into()),
                    operator: Some("Contains".into()),
                    value: Some(serde_json::Value::String(name)),
                }]),
                ..Default::default()
            }]),
            ..Default::default()
        });
    let request = SearchRequest {
        page_number: body.page_number,
        page_size: body.page_size,
        order_by: body.order_by,
        ascending: body.ascending,
        filter,
        ..Default::default()
    };
    let owners = scope.as_reach();
    page(&state, own_groups(&owners), &request, dto).await
}

#[utoipa::path(post, path = "/api/target-groups/search/export", tag = TAG,
    summary = "Exports a list of target groups",
    request_body = SearchRequest, responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let owners = scope.as_reach();
    let rows = state
        .store
        .export_target_groups(own_groups(&owners), &request)?
        .map(|g| {
            g.map(|g| {
                vec![
                    g.name,
                    g.resource_id,
                    g.priority.name().to_owned(),
                    g.user_count.to_string(),
                    g.user_count_with_phone.to_string(),
                    millis_to_rfc3339(g.create_time),
                    millis_to_rfc3339(g.update_time),
                ]
            })
        });
    export::respond(
        format,
        "target-groups",
        &[
            "Group Name",
            "Group ID",
            "Priority",
            "Users",
            "Users with Phone Number",
            "Date Created",
            "Date Updated",
        ],
        rows,
    )
    .await
}

/// Per group, how many of its users are Active and Inactive, and how each of those splits by
/// phone number, preferred language, time zone and email domain.
#[utoipa::path(post, path = "/api/target-groups/targetgroupusercountdetail", tag = TAG,
    summary = "Get target group user status count detail",
    request_body = Vec<String>,
    responses((status = 200, body = ServiceResult<Vec<TargetGroupUserCountDetailDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn user_count_detail(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(ids): JsonBody<Vec<String>>,
) -> ApiResult<Json<ServiceResult<Vec<TargetGroupUserCountDetailDto>>>> {
    Ok(ok(count_details(&state, &scope, &ids).await?))
}

/// As `targetgroupusercountdetail`, with the groups in `targetGroupResourceIds`. Latchkey has
/// no phishing scenarios, so `scenarioResourceIds` must be empty.
#[utoipa::path(post, path = "/api/target-groups/targetgroupusercountdetailext", tag = TAG,
    summary = "Get target group user status count detail",
    request_body = GetTargetGroupUserCountDetailRequest,
    responses((status = 200, body = ServiceResult<Vec<TargetGroupUserCountDetailDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn user_count_detail_ext(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<GetTargetGroupUserCountDetailRequest>,
) -> ApiResult<Json<ServiceResult<Vec<TargetGroupUserCountDetailDto>>>> {
    if let Some(scenario) = body.scenario_resource_ids.iter().flatten().next() {
        return Err(ApiError::not_found(format!(
            "Scenario {scenario} was not found"
        )));
    }
    let ids = body.target_group_resource_ids.unwrap_or_default();
    Ok(ok(count_details(&state, &scope, &ids).await?))
}

/// Adds users to groups: the listed ones, or with `selectAll` every target user of the
/// company that `filter` matches except `excludedResourceIdList`.
#[utoipa::path(put, path = "/api/target-groups/users", tag = TAG, summary = "Adds users to a group",
    request_body = CreateTargetGroupUsersRequest,
    responses((status = 200, body = ServiceResult<Vec<TargetGroupUsersAdded>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn add_users(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<CreateTargetGroupUsersRequest>,
) -> ApiResult<Json<ServiceResult<Vec<TargetGroupUsersAdded>>>> {
    let ids = body.target_group_resource_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::input(vec![
            "targetGroupResourceIds must name at least one target group".into(),
        ]));
    }
    let mut groups: Vec<TargetGroupRow> = Vec::with_capacity(ids.len());
    for id in &ids {
        let group = find(&state, &scope, id).await?;
        if !groups.iter().any(|g| g.key == group.key) {
            groups.push(group);
        }
    }
    let members = if body.select_all.unwrap_or(false) {
        let excluded = body.excluded_resource_id_list.unwrap_or_default();
        state
            .store
            .target_users_to_add(&scope, body.filter, &excluded)
            .await?
    } else {
        let ids = body.target_user_resource_ids.unwrap_or_default();
        if ids.is_empty() {
            return Err(ApiError::input(vec![
                "targetUserResourceIds must list at least one target user, or selectAll be true"
                    .into(),
            ]));
        }
        users(&state, &scope, &ids).await?
    };
    let added = state
        .store
        .add_target_group_members(&scope, &groups, &members)
        .await?;
    let mut answer = Vec::with_capacity(groups.len());
    for (group, added) in groups.iter().zip(added) {
        let now = find(&state, &scope, &group.resource_id).await?;
        answer.push(TargetGroupUsersAdded {
            target_group_resource_id: now.resource_id,
            added_user_count: i64::try_from(added).unwrap_or(i64::MAX),
            user_count: now.user_count,
        });
    }
    Ok(ok(answer))
}

/// The group's members, or with `excludeGroupUsers` the company's users who are not members,
/// on the target-user search (its fields, filters and order).
#[utoipa::path(post, path = "/api/target-groups/{resourceId}/users", tag = TAG,
    summary = "Returns a list of target users",
    params(("resourceId" = String, Path)), request_body = TargetGroupUsersSearchRequest,
    responses((status = 200, body = ServiceResult<PagedResults<TargetUserSearchView>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn users_search(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TargetGroupUsersSearchRequest>,
) -> ApiResult<Json<ServiceResult<PagedResults<TargetUserSearchView>>>> {
    let group = find(&state, &scope, &id).await?;
    let outside = body.exclude_group_users.unwrap_or(false);
    let page = state
        .store
        .search_target_group_users(&scope, &group, outside, &body.search)
        .await?;
    Ok(ok(target_users::shown(
        &state,
        page,
        target_users::search_view,
    )
    .await?))
}

#[utoipa::path(post, path = "/api/target-groups/{resourceId}/users/export", tag = TAG,
    summary = "Export a list of target users",
    params(("resourceId" = String, Path)), request_body = TargetGroupUsersSearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn users_export(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TargetGroupUsersSearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(body.search.export_type.as_deref())?;
    let group = find(&state, &scope, &id).await?;
    let outside = body.exclude_group_users.unwrap_or(false);
    let users = state
        .store
        .export_target_group_users(&scope, &group, outside, &body.search)?;
    target_users::send_export(
        &state,
        &scope,
        format,
        "target-group-users",
        Some(&group.resource_id),
        users,
    )
    .await
}

/// Removes the listed users from the group; users not in it are left alone.
#[utoipa::path(delete, path = "/api/target-groups/{resourceId}/users", tag = TAG,
    summary = "Delete users from a group",
    params(("resourceId" = String, Path)), request_body = DeleteTargetGroupUsersRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn remove_users(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DeleteTargetGroupUsersRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let group = find(&state, &scope, &id).await?;
    let ids = body.target_user_resource_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::input(vec![
            "targetUserResourceIds must list at least one target user".into(),
        ]));
    }
    let members = users(&state, &scope, &ids).await?;
    state
        .store
        .remove_target_group_members(&scope, &group, &members)
        .await?;
    Ok(ok(IdResult {
        resource_id: group.resource_id,
    }))
}

/// The company's group `id`, or 404.
async fn find(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<TargetGroupRow> {
    let not_found = || ApiError::not_found(format!("Target group {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .target_group(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

/// The scoped company's target users with these ids, or 404 naming those that are not.
async fn users(state: &AppState, scope: &CompanyScope, ids: &[String]) -> ApiResult<MemberKeys> {
    match state.store.company_target_users(scope, ids).await? {
        Ok(keys) => Ok(keys),
        Err(missing) => {
            const SHOWN: usize = 5;
            let mut listed = missing
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if missing.len() > SHOWN {
                listed.push_str(&format!(" and {} more", missing.len() - SHOWN));
            }
            Err(ApiError::not_found(format!(
                "Target users were not found: {listed}"
            )))
        }
    }
}

fn name_and_priority(name: Option<&str>, priority: Option<&str>) -> ApiResult<(String, Priority)> {
    let name = valid_name(name);
    let priority = priority
        .and_then(Priority::parse)
        .ok_or_else(|| format!("priority must be one of: {} (any case)", Priority::names()));
    match (name, priority) {
        (Ok(name), Ok(priority)) => Ok((name, priority)),
        (name, priority) => {
            let mut errors = Vec::new();
            if let Err(e) = name {
                errors.extend(e.validation_messages.unwrap_or_default());
            }
            errors.extend(priority.err());
            Err(ApiError::input(errors))
        }
    }
}

/// The company's own groups (not those the platform keeps).
fn own_groups(owners: &Reach) -> GroupSearch<'_> {
    GroupSearch {
        owners,
        system_generated: false,
        selected_users: None,
    }
}

async fn page<T: serde::Serialize>(
    state: &AppState,
    search: GroupSearch<'_>,
    request: &SearchRequest,
    view: impl Fn(TargetGroupRow) -> T,
) -> ApiResult<Json<ServiceResult<PagedResults<T>>>> {
    let (rows, total, page) = state.store.search_target_groups(search, request).await?;
    Ok(ok(PagedResults::new(
        rows.into_iter().map(view).collect(),
        total,
        page.page_number,
        page.page_size,
    )))
}

fn editable(g: &TargetGroupRow) -> bool {
    !(g.is_system || g.is_scim_group || g.is_google_group)
}

fn dto(g: TargetGroupRow) -> TargetGroupDto {
    TargetGroupDto {
        is_editable: editable(&g),
        resource_id: g.resource_id,
        name: g.name,
        priority: g.priority.name().to_owned(),
        create_date: millis_to_rfc3339(g.create_time),
        is_scim_group: g.is_scim_group,
        is_google_group: g.is_google_group,
    }
}

fn search_view(g: TargetGroupRow) -> TargetGroupSearchView {
    TargetGroupSearchView {
        is_editable: editable(&g),
        resource_id: g.resource_id,
        name: g.name,
        company_name: g.company.name,
        user_count: g.user_count,
        user_count_with_phone_number: g.user_count_with_phone,
        priority: g.priority.name().to_owned(),
        create_time: millis_to_rfc3339(g.create_time),
        update_time: Some(millis_to_rfc3339(g.update_time)),
        // Identity-provider sync does not exist yet: no group has a SCIM or LDAP source.
        scim_setting_name: None,
        ldap_config_name: None,
        is_selected: g.is_selected,
        is_scim_group: g.is_scim_group,
        is_google_group: g.is_google_group,
    }
}

/// The count details of each listed group, in the order given.
async fn count_details(
    state: &AppState,
    scope: &CompanyScope,
    ids: &[String],
) -> ApiResult<Vec<TargetGroupUserCountDetailDto>> {
    let mut out = Vec::new();
    for id in ids {
        let group = find(state, scope, id).await?;
        let counts = state.store.target_group_user_counts(&group).await?;
        out.extend(status_details(&group, &counts));
    }
    Ok(out)
}

/// One entry per live status (Active, Inactive), each split by the traits of its users.
fn status_details(
    group: &TargetGroupRow,
    counts: &UserCounts,
) -> Vec<TargetGroupUserCountDetailDto> {
    [TargetUserStatus::Active, TargetUserStatus::Inactive]
        .into_iter()
        .map(|status| {
            let rows: Vec<&UserCountRow> = counts
                .buckets
                .iter()
                .filter(|b| b.status_id == status.code())
                .collect();
            let yes_no = |b: bool| Some(if b { "True" } else { "False" }.to_owned());
            TargetGroupUserCountDetailDto {
                status: Some(status.name().to_owned()),
                company_preferred_language: counts.company_preferred_language.clone(),
                count: rows.iter().map(|r| r.count).sum(),
                domain_allow_list: Some(split(&rows, |r| Some(r.email_domain.clone()))),
                has_phone_number: Some(split(&rows, |r| yes_no(r.has_phone_number))),
                has_preferred_language: Some(split(&rows, |r| yes_no(r.has_preferred_language))),
                has_company_preferred_language: Some(split(&rows, |r| {
                    yes_no(r.has_company_preferred_language)
                })),
                target_group_name: Some(group.name.clone()),
                time_zone: Some(split(&rows, |r| r.time_zone_id.clone())),
                // Sending in a random language is a campaign setting; there are no campaigns.
                has_random_language: Some(Vec::new()),
            }
        })
        .collect()
}

/// `rows` summed by `key`: one entry per value, `status` naming it.
fn split(
    rows: &[&UserCountRow],
    key: impl Fn(&UserCountRow) -> Option<String>,
) -> Vec<TargetGroupUserCountDetailDto> {
    let mut sums: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for r in rows {
        *sums.entry(key(r)).or_default() += r.count;
    }
    sums.into_iter()
        .map(|(status, count)| TargetGroupUserCountDetailDto {
            status,
            count,
            ..Default::default()
        })
        .collect()
}
