//! `/Groups`: SCIM Groups are target groups marked `isScimGroup`.
//!
//! `displayName` is the group's name (1 to 64 characters, unique in the company ignoring case);
//! `members` are provisioned users of the same company. Membership is changed through the
//! target-group store functions the `/api` handlers use, by the difference between the members
//! the group has and those the request leaves it with; a member id that is not a provisioned
//! user of the company (another company's included) is refused like an unknown one.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::Priority;
use latchkey_store::scim::ScimGroupRow;
use latchkey_store::target_groups::GroupChanges;
use serde_json::{Map, Value, json};

use super::filter::{Ctx as FilterCtx, matches, mentions};
use super::resource::{Projection, apply_patch, read_body};
use super::schema::{GROUP_KIND, GROUP_SCHEMA};
use super::{ListParams, ScimContext, ScimError, ScimResult, created, json_body, scim_json, time};
use crate::state::AppState;

type Ctx = axum::Extension<std::sync::Arc<ScimContext>>;

const NAME_MAX: usize = 64;

/// A group as its SCIM representation; `members` only when `with_members`.
async fn render(
    state: &AppState,
    ctx: &ScimContext,
    row: &ScimGroupRow,
    with_members: bool,
) -> ScimResult<Value> {
    let g = &row.group;
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.resource_id,
        "displayName": g.name,
        "meta": {
            "resourceType": "Group",
            "created": time(row.create_time),
            "lastModified": time(row.update_time.max(g.update_time)),
            "location": format!("{}/Groups/{}", ctx.base, g.resource_id),
        },
    });
    if let Some(e) = &row.external_id {
        out["externalId"] = Value::String(e.clone());
    }
    if with_members {
        let ids = state.store.scim_group_member_ids(g).await?;
        if !ids.is_empty() {
            out["members"] = Value::Array(
                ids.iter()
                    .map(|id| json!({"value": id, "$ref": format!("{}/Users/{id}", ctx.base)}))
                    .collect(),
            );
        }
    }
    Ok(out)
}

async fn find(state: &AppState, ctx: &ScimContext, id: &str) -> ScimResult<ScimGroupRow> {
    let not_found = || ScimError::not_found(format!("Group {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .scim_groups(&ctx.scope, Some(&rid))
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)
}

/// The member ids a document lists, each once.
fn member_ids(doc: &Map<String, Value>) -> BTreeSet<String> {
    doc.get("members")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m.get("value").and_then(Value::as_str))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `doc` as the group `current` (or a new one): name, external id, then members.
async fn save(
    state: &AppState,
    ctx: &ScimContext,
    current: Option<ScimGroupRow>,
    doc: Map<String, Value>,
) -> ScimResult<ScimGroupRow> {
    let scope = &ctx.scope;
    let name = doc
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(ScimError::value(format!(
            "displayName must be between 1 and {NAME_MAX} characters"
        )));
    }
    let wanted = member_ids(&doc);
    for id in &wanted {
        if state.store.scim_user(scope, id).await?.is_none() {
            return Err(ScimError::value(format!(
                "Member {id} is not a user of this SCIM service"
            )));
        }
    }
    let conflict = |e: latchkey_store::StoreError| match e {
        latchkey_store::StoreError::Conflict(_) => {
            ScimError::uniqueness(format!("A group named {name} exists already"))
        }
        other => other.into(),
    };
    let group = match current {
        Some(c) => {
            if c.group.name != name {
                state
                    .store
                    .update_target_group(
                        scope,
                        &c.group,
                        &GroupChanges {
                            name: name.clone(),
                            priority: c.group.priority,
                            is_active: None,
                        },
                    )
                    .await
                    .map_err(conflict)?;
            }
            c.group
        }
        None => {
            let id = state
                .store
                .create_target_group(scope, &name, Priority::default())
                .await
                .map_err(conflict)?;
            state
                .store
                .target_group(scope, &id)
                .await?
                .ok_or_else(|| ScimError::not_found("The group was deleted meanwhile"))?
        }
    };
    state
        .store
        .link_scim_group(
            scope,
            &ctx.integration,
            &group,
            doc.get("externalId").and_then(Value::as_str),
        )
        .await?;
    let have: BTreeSet<String> = state
        .store
        .scim_group_member_ids(&group)
        .await?
        .into_iter()
        .collect();
    let added: Vec<String> = wanted.difference(&have).cloned().collect();
    let removed: Vec<String> = have.difference(&wanted).cloned().collect();
    let keys = |ids: Vec<String>| async move {
        state
            .store
            .company_target_users(scope, &ids)
            .await?
            .map_err(|missing| {
                ScimError::value(format!(
                    "Members {} are not users of this SCIM service",
                    missing.join(", ")
                ))
            })
    };
    if !added.is_empty() {
        let users = keys(added).await?;
        state
            .store
            .add_target_group_members(scope, std::slice::from_ref(&group), &users)
            .await?;
    }
    if !removed.is_empty() {
        let users = keys(removed).await?;
        state
            .store
            .remove_target_group_members(scope, &group, &users)
            .await?;
    }
    state.store.touch_scim_group(&group).await?;
    find(state, ctx, &group.resource_id).await
}

pub async fn create(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let doc = read_body(&json_body(&headers, &body)?, &GROUP_KIND)?;
    let row = save(&state, &ctx, None, doc).await?;
    Ok(created(&render(&state, &ctx, &row, true).await?))
}

async fn answer(
    state: &AppState,
    ctx: &ScimContext,
    row: &ScimGroupRow,
    projection: &Projection,
    status: StatusCode,
) -> ScimResult<Response> {
    let body = render(state, ctx, row, !projection.omits("members")).await?;
    Ok(scim_json(status, &projection.apply(body, &GROUP_KIND)))
}

pub async fn get(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let params = ListParams::from_query(query.as_deref())?;
    let row = find(&state, &ctx, &id).await?;
    answer(&state, &ctx, &row, &params.projection, StatusCode::OK).await
}

pub async fn replace(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let current = find(&state, &ctx, &id).await?;
    let doc = read_body(&json_body(&headers, &body)?, &GROUP_KIND)?;
    let row = save(&state, &ctx, Some(current), doc).await?;
    answer(&state, &ctx, &row, &Projection::default(), StatusCode::OK).await
}

pub async fn patch(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let projection = ListParams::from_query(query.as_deref())?.projection;
    let current = find(&state, &ctx, &id).await?;
    let body = json_body(&headers, &body)?;
    let rendered = render(&state, &ctx, &current, true).await?;
    let mut doc = read_body(&rendered, &GROUP_KIND)?;
    apply_patch(&mut doc, &body, &GROUP_KIND)?;
    let row = save(&state, &ctx, Some(current), doc).await?;
    answer(&state, &ctx, &row, &projection, StatusCode::OK).await
}

pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
) -> ScimResult<StatusCode> {
    let current = find(&state, &ctx, &id).await?;
    state
        .store
        .delete_target_group(&ctx.scope, &current.group)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let params = ListParams::from_query(query.as_deref())?;
    answer_list(&state, &ctx, params).await
}

pub async fn search(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let params = ListParams::from_body(&json_body(&headers, &body)?)?;
    answer_list(&state, &ctx, params).await
}

async fn answer_list(
    state: &AppState,
    ctx: &ScimContext,
    params: ListParams,
) -> ScimResult<Response> {
    let rows = state.store.scim_groups(&ctx.scope, None).await?;
    // Members are read only when the response or the filter needs them (Entra ID asks with
    // `excludedAttributes=members`).
    let with_members = !params.projection.omits("members")
        || params
            .filter
            .as_ref()
            .is_some_and(|f| mentions(f, "members"));
    let mut all = Vec::with_capacity(rows.len());
    for row in &rows {
        let r = render(state, ctx, row, with_members).await?;
        if params
            .filter
            .as_ref()
            .is_none_or(|f| matches(f, &r, FilterCtx::Resource(&GROUP_KIND)))
        {
            all.push(r);
        }
    }
    Ok(scim_json(StatusCode::OK, &params.page(all, &GROUP_KIND)))
}
