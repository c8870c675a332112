//! `/Users`: SCIM Users are the company's target users.
//!
//! A user is written through the same path as `POST /api/target-users`: its attributes become a
//! [`TargetUserInput`] (the primary email — else the work one, else the first, else a `userName`
//! that is an address — names, the enterprise `department`, a phone number, `active`, and the
//! integration's field mappings as custom field values), checked by
//! [`latchkey_domain::target_user::validate`] and written by `Store::write_target_users`. A new
//! user lands in the integration's target group, or with Group By in the group its department
//! (or mapped field) names. `active: false` makes the target user
//! Inactive; DELETE deletes it. What has no target-user column is kept in the SCIM link.
//!
//! A `POST` whose email belongs to a live target user that no SCIM integration provisioned yet
//! takes that user over rather than refusing it: an identity provider brought in after a
//! spreadsheet import finds the people it already knows.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{
    CustomFieldInput, GroupChange, Priority, TargetUserInput, TargetUserStatus, validate,
};
use latchkey_store::StoreError;
use latchkey_store::scim::{ScimUserLink, ScimUserRow};
use latchkey_store::target_groups::TargetGroupRow;
use latchkey_store::target_users::{Match, TargetUserWrite};
use serde_json::{Map, Value, json};

use super::filter::{Ctx as FilterCtx, get_ci, matches, top_equality};
use super::resource::{apply_patch, read_body};
use super::schema::{ENTERPRISE_SCHEMA, USER_KIND, USER_SCHEMA};
use super::{ListParams, ScimContext, ScimError, ScimResult, created, json_body, scim_json, time};
use crate::state::AppState;
use axum::extract::State;

type Ctx = axum::Extension<std::sync::Arc<ScimContext>>;

/// A stored user as its SCIM representation.
pub fn render(ctx: &ScimContext, row: &ScimUserRow) -> Value {
    let mut doc: Map<String, Value> = serde_json::from_str(&row.document).unwrap_or_default();
    let u = &row.user;
    // The target user's own columns win over the copy kept with the link for what both hold,
    // so a change made through /api shows here too; attributes the client removed stay away.
    if doc.contains_key("active") {
        doc.insert(
            "active".into(),
            Value::Bool(u.status == TargetUserStatus::Active),
        );
    }
    if let Some(Value::Object(name)) = doc.get_mut("name") {
        for (key, column) in [("givenName", &u.first_name), ("familyName", &u.last_name)] {
            if name.contains_key(key)
                && let Some(v) = column
            {
                name.insert(key.into(), Value::String(v.clone()));
            }
        }
    }
    if let Some(Value::Object(ext)) = doc.get_mut(ENTERPRISE_SCHEMA)
        && ext.contains_key("department")
        && let Some(d) = &u.department
    {
        ext.insert("department".into(), Value::String(d.clone()));
    }
    doc.insert("userName".into(), Value::String(row.user_name.clone()));
    let mut schemas = vec![Value::String(USER_SCHEMA.into())];
    if doc.contains_key(ENTERPRISE_SCHEMA) {
        schemas.push(Value::String(ENTERPRISE_SCHEMA.into()));
    }
    doc.insert("schemas".into(), Value::Array(schemas));
    doc.insert("id".into(), Value::String(u.resource_id.clone()));
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": time(row.create_time),
            "lastModified": time(row.update_time.max(u.update_time)),
            "location": format!("{}/Users/{}", ctx.base, u.resource_id),
        }),
    );
    Value::Object(doc)
}

async fn find(state: &AppState, ctx: &ScimContext, id: &str) -> ScimResult<ScimUserRow> {
    state
        .store
        .scim_user(&ctx.scope, id)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("User {id} was not found")))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = get_ci(cur, p)?;
    }
    cur.as_str()
}

/// The value a multi-valued attribute names as the user's: primary, else `preferred` type,
/// else the first.
fn pick<'a>(doc: &'a Value, attr: &str, preferred: &[&str]) -> Option<&'a str> {
    let items = get_ci(doc, attr)?.as_array()?;
    let value = |i: &'a Value| str_at(i, &["value"]).filter(|s| !s.trim().is_empty());
    items
        .iter()
        .find(|i| get_ci(i, "primary") == Some(&Value::Bool(true)))
        .and_then(value)
        .or_else(|| {
            preferred.iter().find_map(|t| {
                items
                    .iter()
                    .find(|i| str_at(i, &["type"]).is_some_and(|x| x.eq_ignore_ascii_case(t)))
                    .and_then(value)
            })
        })
        .or_else(|| items.iter().find_map(value))
}

/// A mapped SCIM path's value in the document, as text.
fn mapped_value(doc: &Value, path: &str) -> Option<String> {
    let parsed = super::filter::parse_path(path).ok()?;
    let holder = match &parsed.attr.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(USER_SCHEMA) => get_ci(doc, urn)?,
        _ => doc,
    };
    let mut values: Vec<&Value> = match get_ci(holder, &parsed.attr.name)? {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    if let Some(filter) = &parsed.filter {
        let attr = USER_KIND
            .core
            .attr(&parsed.attr.name)
            .map_or(&[][..], |a| a.sub);
        values.retain(|v| matches(filter, v, FilterCtx::Element(attr)));
    }
    let sub = parsed.attr.sub.as_deref().or(parsed.sub.as_deref());
    let v = values.into_iter().find_map(|v| match sub {
        Some(s) => get_ci(v, s),
        None => Some(v),
    })?;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Writes `doc` as the user `current` (or a new one): the target user and its link, together.
async fn save(
    state: &AppState,
    ctx: &ScimContext,
    current: Option<&ScimUserRow>,
    doc: Map<String, Value>,
) -> ScimResult<ScimUserRow> {
    let scope = &ctx.scope;
    let user_name = doc
        .get("userName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::value("userName is required"))?
        .to_owned();
    if let Some(other) = state
        .store
        .scim_users(scope, Some(&user_name), None)
        .await?
        .into_iter()
        .find(|u| current.is_none_or(|c| c.user.key != u.user.key))
    {
        return Err(ScimError::uniqueness(format!(
            "userName {user_name} is taken by user {}",
            other.user.resource_id
        )));
    }
    let value = Value::Object(doc.clone());
    let email = pick(&value, "emails", &["work"])
        .map(str::to_owned)
        .or_else(|| user_name.contains('@').then(|| user_name.clone()))
        .ok_or_else(|| {
            ScimError::value("A user needs an email address: emails, or a userName that is one")
        })?;
    let phone = pick(&value, "phoneNumbers", &["work", "mobile"])
        .filter(|p| latchkey_domain::user::parse_phone(Some(p)).is_ok())
        .map(str::to_owned);
    let text = |path: &[&str]| Some(str_at(&value, path).unwrap_or("").trim().to_owned());
    let integration = &ctx.integration;
    let input = TargetUserInput {
        email: Some(email.clone()),
        first_name: text(&["name", "givenName"]),
        last_name: text(&["name", "familyName"]),
        department: text(&[ENTERPRISE_SCHEMA, "department"]),
        phone_number: Some(phone.unwrap_or_default()),
        is_active: doc.get("active").and_then(Value::as_bool),
        custom_fields: integration
            .mappings
            .iter()
            .map(|m| CustomFieldInput {
                field: m.field_resource_id.clone(),
                value: Some(mapped_value(&value, &m.scim_path).unwrap_or_default()),
            })
            .collect(),
        target_groups: match (current, &integration.group_resource_id) {
            (None, Some(g)) if integration.group_by_path.is_none() => Some(vec![g.clone()]),
            _ => None,
        },
        ..Default::default()
    };
    let groups = input.target_groups.as_deref().unwrap_or_default();
    let rules = state.store.target_user_rules_for(scope, groups).await?;
    let mut draft = validate(&input, &rules).map_err(|errors| {
        ScimError::value(
            errors
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let regroup = match integration.group_by_path.as_deref() {
        Some(path) => Some(group_by(state, ctx, current, &value, path).await?),
        None => None,
    };
    if let Some(GroupBy { join: Some(g), .. }) = &regroup {
        draft.groups = GroupChange::Add(vec![g.key]);
    }
    let matching = match current {
        Some(c) => Match::existing(&c.user),
        None => match state.store.target_user_by_email(scope, &email).await? {
            Some(existing) => {
                if state.store.is_scim_user(&existing).await? {
                    return Err(ScimError::uniqueness(format!(
                        "The email address {email} belongs to another provisioned user"
                    )));
                }
                Match::existing(&existing)
            }
            None => Match::New,
        },
    };
    let document = serde_json::to_string(&doc)
        .map_err(|e| ScimError::new(500, None, format!("Encoding the user failed: {e}")))?;
    let link = ScimUserLink {
        user_name: &user_name,
        external_id: doc.get("externalId").and_then(Value::as_str),
        document: &document,
    };
    let report = state
        .store
        .provision_scim_user(
            scope,
            integration,
            &TargetUserWrite { draft, matching },
            &link,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) if what.contains("email address") => ScimError::uniqueness(
                format!("The email address {email} belongs to another target user"),
            ),
            other => other.into(),
        })?;
    let rid = report
        .resource_ids
        .first()
        .cloned()
        .ok_or_else(|| ScimError::new(500, None, "The user was not written"))?;
    if let Some(GroupBy {
        leave: Some(group), ..
    }) = &regroup
    {
        let member = state
            .store
            .company_target_users(scope, std::slice::from_ref(&rid))
            .await?
            .map_err(|_| ScimError::not_found("The user was deleted meanwhile"))?;
        state
            .store
            .remove_target_group_members(scope, group, &member)
            .await?;
    }
    find(state, ctx, &rid).await
}

/// Where Group By moves a user: the group to join and the one to leave, if any.
struct GroupBy {
    join: Option<TargetGroupRow>,
    leave: Option<TargetGroupRow>,
}

/// Group names are at most this long; a longer value names the group by its start.
const GROUP_NAME_MAX: usize = 64;

/// The value of the Group By `path` in `doc`, as a group name.
fn group_by_value(doc: &Value, path: &str) -> Option<String> {
    let value = mapped_value(doc, path)?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.chars().take(GROUP_NAME_MAX).collect())
}

/// Group By: a user joins the target group named by its value of `path` (created when the
/// company has none yet), or the integration's group when it has no value. A user whose value
/// changed leaves the group of its old value (or the integration's group) for the new one; one
/// whose value stayed moves nowhere, so a membership changed by hand since is kept.
async fn group_by(
    state: &AppState,
    ctx: &ScimContext,
    current: Option<&ScimUserRow>,
    doc: &Value,
    path: &str,
) -> ScimResult<GroupBy> {
    let scope = &ctx.scope;
    let fallback = || async {
        match ctx
            .integration
            .group_resource_id
            .as_deref()
            .and_then(ResourceId::parse)
        {
            Some(id) => Ok::<_, ScimError>(state.store.target_group(scope, &id).await?),
            None => Ok(None),
        }
    };
    let wanted = group_by_value(doc, path);
    let had = current.map(|c| {
        let before: Value = serde_json::from_str(&c.document).unwrap_or(Value::Null);
        group_by_value(&before, path)
    });
    let fold = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
    if let Some(had) = &had
        && fold(had) == fold(&wanted)
    {
        return Ok(GroupBy {
            join: None,
            leave: None,
        });
    }
    let join = match &wanted {
        Some(name) => Some(named_group(state, ctx, name).await?),
        None => fallback().await?,
    };
    let leave = match had {
        None => None,
        Some(Some(name)) => state.store.target_group_named(scope, &name).await?,
        Some(None) => fallback().await?,
    }
    .filter(|left| join.as_ref().is_none_or(|j| j.key != left.key));
    Ok(GroupBy { join, leave })
}

/// The company's target group called `name` (any case), created when there is none.
async fn named_group(
    state: &AppState,
    ctx: &ScimContext,
    name: &str,
) -> ScimResult<TargetGroupRow> {
    let scope = &ctx.scope;
    if let Some(group) = state.store.target_group_named(scope, name).await? {
        return Ok(group);
    }
    match state
        .store
        .create_target_group(scope, name, Priority::default())
        .await
    {
        // Another request created it meanwhile.
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    state
        .store
        .target_group_named(scope, name)
        .await?
        .ok_or_else(|| ScimError::new(500, None, format!("The group {name} was not created")))
}

pub async fn create(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let doc = read_body(&json_body(&headers, &body)?, &USER_KIND)?;
    let row = save(&state, &ctx, None, doc).await?;
    Ok(created(&render(&ctx, &row)))
}

pub async fn get(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ScimResult<Response> {
    let params = ListParams::from_query(query.as_deref())?;
    let row = find(&state, &ctx, &id).await?;
    Ok(scim_json(
        StatusCode::OK,
        &params.projection.apply(render(&ctx, &row), &USER_KIND),
    ))
}

pub async fn replace(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let current = find(&state, &ctx, &id).await?;
    let doc = read_body(&json_body(&headers, &body)?, &USER_KIND)?;
    let row = save(&state, &ctx, Some(&current), doc).await?;
    Ok(scim_json(StatusCode::OK, &render(&ctx, &row)))
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
    let mut doc: Map<String, Value> = serde_json::from_str(&current.document).unwrap_or_default();
    doc.insert("userName".into(), Value::String(current.user_name.clone()));
    apply_patch(&mut doc, &body, &USER_KIND)?;
    let row = save(&state, &ctx, Some(&current), doc).await?;
    Ok(scim_json(
        StatusCode::OK,
        &projection.apply(render(&ctx, &row), &USER_KIND),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    axum::Extension(ctx): Ctx,
    Path(id): Path<String>,
) -> ScimResult<StatusCode> {
    let current = find(&state, &ctx, &id).await?;
    state
        .store
        .delete_scim_user(&ctx.scope, &current.user)
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
    // `userName eq` and `externalId eq` (what Entra ID and Okta probe with) are looked up by
    // index; the rest of the filter is evaluated on what that finds.
    let (by_name, by_external) = match &params.filter {
        Some(f) => (top_equality(f, "userName"), top_equality(f, "externalId")),
        None => (None, None),
    };
    let rows = state
        .store
        .scim_users(&ctx.scope, by_name.as_deref(), by_external.as_deref())
        .await?;
    let all: Vec<Value> = rows
        .iter()
        .map(|r| render(ctx, r))
        .filter(|r| {
            params
                .filter
                .as_ref()
                .is_none_or(|f| matches(f, r, FilterCtx::Resource(&USER_KIND)))
        })
        .collect();
    Ok(scim_json(StatusCode::OK, &params.page(all, &USER_KIND)))
}
