//! `/api/custom-fields`: the typed fields a company adds to its target users.
//!
//! A field is the company's (`TargetUser`) or one of its target groups' (`TargetGroup`, naming
//! `targetGroupResourceId`). `bulk-update` makes the list it is given the company's fields:
//! items without `resourceId` are created, items with one updated, and every other field of the
//! company deleted with its values, all in one transaction. Names are unique in a company
//! ignoring case (409 on a duplicate). Changing a field's data type converts its stored values,
//! or is refused when one of them does not convert.

use axum::Json;
use axum::extract::{Path, State};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{FIELD_NAME_MAX, FieldDataType, FieldOwner};
use latchkey_proto::ServiceResult;
use latchkey_proto::custom_fields::{
    BulkUpdateCustomFieldsRequest, CustomFieldRequest, TargetUserCustomFieldDto,
};
use latchkey_proto::envelope::IdResult;
use latchkey_store::custom_fields::{CustomFieldRow, FieldSpec, GroupKey};

use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "TargetUserCustomField";

#[utoipa::path(post, path = "/api/custom-fields", tag = TAG,
    summary = "Creates a new target user custom field",
    request_body = CustomFieldRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<CustomFieldRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let spec = spec(&state, &scope, &body, None).await?;
    let id = state.store.create_custom_field(&scope, &spec).await?;
    Ok(ok(IdResult {
        resource_id: id.to_string(),
    }))
}

/// The list becomes the company's fields; answers how many it has now.
#[utoipa::path(post, path = "/api/custom-fields/bulk-update", tag = TAG,
    summary = "Creates deletes updates target user custom fields",
    request_body = BulkUpdateCustomFieldsRequest, responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn bulk_update(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<BulkUpdateCustomFieldsRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let mut items = Vec::new();
    for item in body.target_user_custom_fields.iter().flatten() {
        let field = match item.resource_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(find(&state, &scope, id).await?),
        };
        if let Some(f) = &field
            && items
                .iter()
                .any(|(g, _): &(Option<CustomFieldRow>, _)| g.as_ref() == Some(f))
        {
            return Err(ApiError::input(vec![format!(
                "Custom field {} is listed more than once",
                f.resource_id
            )]));
        }
        let spec = spec(&state, &scope, item, field.as_ref()).await?;
        items.push((field, spec));
    }
    let ids = state.store.replace_custom_fields(&scope, &items).await?;
    Ok(ok(IdResult {
        resource_id: ids.len().to_string(),
    }))
}

#[utoipa::path(get, path = "/api/custom-fields/company", tag = TAG,
    summary = "Retrieves the company's target user custom fields",
    responses((status = 200, body = ServiceResult<Vec<TargetUserCustomFieldDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn company(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<TargetUserCustomFieldDto>>>> {
    let fields = state.store.custom_fields(&scope).await?;
    Ok(ok(fields.into_iter().map(dto).collect()))
}

#[utoipa::path(get, path = "/api/custom-fields/groups/{resourceId}", tag = TAG,
    summary = "Retrieves the custom fields of a target group",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<Vec<TargetUserCustomFieldDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn group(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<Vec<TargetUserCustomFieldDto>>>> {
    let group = target_group(&state, &scope, &id).await?;
    let fields = state.store.group_custom_fields(&scope, group).await?;
    Ok(ok(fields.into_iter().map(dto).collect()))
}

#[utoipa::path(get, path = "/api/custom-fields/{resourceId}", tag = TAG,
    summary = "Retrieves an existing target user custom field",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<TargetUserCustomFieldDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<TargetUserCustomFieldDto>>> {
    Ok(ok(dto(find(&state, &scope, &id).await?)))
}

/// Changes a field (its owner type stays). A body `resourceId`, if given, must be the path's.
#[utoipa::path(put, path = "/api/custom-fields/{resourceId}", tag = TAG,
    summary = "Updates an existing target user custom field",
    params(("resourceId" = String, Path)), request_body = CustomFieldRequest,
    responses((status = 200, body = ServiceResult<IdResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(mut body): JsonBody<CustomFieldRequest>,
) -> ApiResult<Json<ServiceResult<IdResult>>> {
    let field = find(&state, &scope, &id).await?;
    if let Some(other) = body
        .resource_id
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty() && *b != field.resource_id)
    {
        return Err(ApiError::input(vec![format!(
            "resourceId {other} in the body is not the field of the path ({id})"
        )]));
    }
    body.owner_type = None;
    let spec = spec(&state, &scope, &body, Some(&field)).await?;
    state
        .store
        .update_custom_field(&scope, &field, &spec)
        .await?;
    Ok(ok(IdResult {
        resource_id: field.resource_id,
    }))
}

/// The company's field `id`, or 404.
async fn find(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<CustomFieldRow> {
    let not_found = || ApiError::not_found(format!("Custom field {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .custom_field(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

/// The company's target group `id`, or 404.
async fn target_group(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<GroupKey> {
    let not_found = || ApiError::not_found(format!("Target group {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .company_target_group(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

/// A request as a field definition; what it leaves out comes from `current` (an update) or the
/// defaults (active, not required, sort order 0).
async fn spec(
    state: &AppState,
    scope: &CompanyScope,
    body: &CustomFieldRequest,
    current: Option<&CustomFieldRow>,
) -> ApiResult<FieldSpec> {
    let mut errors = Vec::new();
    let name = body.name.as_deref().map(str::trim).unwrap_or("");
    if name.is_empty() || name.chars().count() > FIELD_NAME_MAX {
        errors.push(format!(
            "Custom field name must be between 1 and {FIELD_NAME_MAX} characters"
        ));
    } else if name.chars().any(char::is_control) {
        errors.push("Custom field name must not contain control characters".to_owned());
    }
    let owner = match body.owner_type.as_deref() {
        Some(raw) => FieldOwner::parse(raw).or_else(|| {
            errors.push(format!(
                "ownerType '{raw}' is not one of: {}",
                FieldOwner::names()
            ));
            None
        }),
        None => current.map(|f| f.owner).or_else(|| {
            errors.push(format!("ownerType is required ({})", FieldOwner::names()));
            None
        }),
    };
    let data_type = match body.field_data_type.as_deref() {
        Some(raw) => FieldDataType::parse(raw).or_else(|| {
            errors.push(format!(
                "fieldDataType '{raw}' is not one of: {}",
                FieldDataType::names()
            ));
            None
        }),
        None => current.map(|f| f.data_type).or_else(|| {
            errors.push(format!(
                "fieldDataType is required ({})",
                FieldDataType::names()
            ));
            None
        }),
    };
    let group_id = body
        .target_group_resource_id
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    let target_group = match (owner, group_id) {
        (Some(FieldOwner::TargetGroup), Some(id)) => Some(target_group(state, scope, id).await?),
        (Some(FieldOwner::TargetGroup), None) => {
            let kept = current
                .filter(|f| f.owner == FieldOwner::TargetGroup)
                .and_then(|f| f.target_group_resource_id.as_deref());
            match kept {
                Some(id) => Some(target_group(state, scope, id).await?),
                None => {
                    errors.push(
                        "targetGroupResourceId is required for a TargetGroup field".to_owned(),
                    );
                    None
                }
            }
        }
        (_, Some(_)) => {
            errors.push("targetGroupResourceId applies only to a TargetGroup field".to_owned());
            None
        }
        (_, None) => None,
    };
    match (owner, data_type) {
        (Some(owner), Some(data_type)) if errors.is_empty() => Ok(FieldSpec {
            name: name.to_owned(),
            owner,
            data_type,
            target_group,
            is_active: body
                .is_active
                .unwrap_or_else(|| current.is_none_or(|f| f.is_active)),
            is_required: body
                .is_required
                .unwrap_or_else(|| current.is_some_and(|f| f.is_required)),
            sort_order: body
                .sort_order
                .map(i64::from)
                .unwrap_or_else(|| current.map_or(0, |f| f.sort_order)),
        }),
        _ => Err(ApiError::input(errors)),
    }
}

fn dto(f: CustomFieldRow) -> TargetUserCustomFieldDto {
    TargetUserCustomFieldDto {
        resource_id: f.resource_id,
        name: f.name,
        owner_type: f.owner.name().to_owned(),
        field_data_type: f.data_type.name().to_owned(),
        target_group_resource_id: f.target_group_resource_id,
        is_active: f.is_active,
        sort_order: f.sort_order,
        is_required: f.is_required,
        is_editable: true,
    }
}
