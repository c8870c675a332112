//! Custom fields: typed attributes a company adds to its target users.
//!
//! A field is the company's (owner TargetUser: every user may hold a value) or one target
//! group's (owner TargetGroup: listed with that group; required only of its members). Names are
//! unique in a company ignoring case. Values live in `target_user_field_values` in their
//! canonical text form ([`FieldDataType::canonical`]); changing a field's data type converts
//! every stored value or, if one does not convert, changes nothing.
//!
//! [`Store::replace_custom_fields`] is `bulk-update`: the list given becomes the company's
//! fields (new items created, known ones updated, the others deleted with their values), in one
//! transaction.

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{FieldDataType, FieldOwner};
use latchkey_domain::time::now_millis;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::error::OnUnique;
use crate::{Store, StoreError, flag};

/// What the unique index on folded names reports as already existing.
const DUPLICATE_NAME: &str = "A custom field with this name";

/// A custom field as a scoped read found it; one in hand proves the caller may act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomFieldRow {
    pub key: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub name: String,
    pub owner: FieldOwner,
    pub data_type: FieldDataType,
    pub target_group_key: Option<i64>,
    pub target_group_resource_id: Option<String>,
    pub is_active: bool,
    pub is_required: bool,
    pub sort_order: i64,
    pub create_time: i64,
    pub update_time: i64,
}

/// One of the company's target groups, found by a scoped read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupKey(pub(crate) i64);

/// A field's definition, validated at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: String,
    pub owner: FieldOwner,
    pub data_type: FieldDataType,
    /// Set exactly when `owner` is TargetGroup.
    pub target_group: Option<GroupKey>,
    pub is_active: bool,
    pub is_required: bool,
    pub sort_order: i64,
}

const FIELD_SELECT: &str = "SELECT f.id, f.company_id, f.resource_id, f.name, f.owner_type, f.data_type, \
    f.target_group_id, g.resource_id AS target_group_resource_id, f.is_active, f.is_required, \
    f.sort_order, f.create_time, f.update_time \
    FROM custom_fields f LEFT JOIN target_groups g ON g.id = f.target_group_id";
const FIELD_ORDER: &str = "ORDER BY f.sort_order, f.name_folded, f.id";

fn field_row(r: &AnyRow) -> Result<CustomFieldRow, StoreError> {
    let owner: i64 = r.try_get("owner_type")?;
    let data_type: i64 = r.try_get("data_type")?;
    Ok(CustomFieldRow {
        key: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        owner: FieldOwner::from_code(owner)
            .ok_or_else(|| StoreError::Corrupt(format!("custom field owner type {owner}")))?,
        data_type: FieldDataType::from_code(data_type)
            .ok_or_else(|| StoreError::Corrupt(format!("custom field data type {data_type}")))?,
        target_group_key: r.try_get("target_group_id")?,
        target_group_resource_id: r.try_get("target_group_resource_id")?,
        is_active: flag(r.try_get("is_active")?),
        is_required: flag(r.try_get("is_required")?),
        sort_order: r.try_get("sort_order")?,
        create_time: r.try_get("create_time")?,
        update_time: r.try_get("update_time")?,
    })
}

impl Store {
    /// Every field of the company, in display order (sort order, then name).
    pub async fn custom_fields(
        &self,
        scope: &CompanyScope,
    ) -> Result<Vec<CustomFieldRow>, StoreError> {
        self.fields_of(scope, None).await
    }

    /// The fields of one of the company's target groups.
    pub async fn group_custom_fields(
        &self,
        scope: &CompanyScope,
        group: GroupKey,
    ) -> Result<Vec<CustomFieldRow>, StoreError> {
        self.fields_of(scope, Some(group)).await
    }

    async fn fields_of(
        &self,
        scope: &CompanyScope,
        group: Option<GroupKey>,
    ) -> Result<Vec<CustomFieldRow>, StoreError> {
        let of_group = if group.is_some() {
            " AND f.target_group_id = $2"
        } else {
            ""
        };
        let sql = format!("{FIELD_SELECT} WHERE f.company_id = $1{of_group} {FIELD_ORDER}");
        let mut query = sqlx::query(&sql).bind(scope.company_id());
        if let Some(g) = group {
            query = query.bind(g.0);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(field_row)
            .collect()
    }

    pub async fn custom_field(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<CustomFieldRow>, StoreError> {
        let row = sqlx::query(&format!(
            "{FIELD_SELECT} WHERE f.resource_id = $1 AND f.company_id = $2"
        ))
        .bind(id.as_str())
        .bind(scope.company_id())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(field_row).transpose()
    }

    /// One of the company's target groups by resource id. Read here rather than through the
    /// target group functions so that fields depend only on the table.
    pub async fn company_target_group(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<GroupKey>, StoreError> {
        let row =
            sqlx::query("SELECT id FROM target_groups WHERE resource_id = $1 AND company_id = $2")
                .bind(id.as_str())
                .bind(scope.company_id())
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.try_get("id").map(GroupKey)).transpose()?)
    }

    pub async fn create_custom_field(
        &self,
        scope: &CompanyScope,
        spec: &FieldSpec,
    ) -> Result<ResourceId, StoreError> {
        let mut tx = self.write(scope).await?;
        let id = insert_field(&mut tx, scope.company_id(), spec, now_millis()).await?;
        tx.record(
            Entry::new(
                "CustomField",
                id.as_str(),
                Operation::Create,
                format!("Custom field '{}' created", spec.name),
            )
            .new_state(spec_state(spec)),
        );
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a field. A new data type converts the stored values, or refuses when one does
    /// not convert.
    pub async fn update_custom_field(
        &self,
        scope: &CompanyScope,
        field: &CustomFieldRow,
        spec: &FieldSpec,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        update_field(&mut tx, field, spec, now_millis()).await?;
        tx.record(
            Entry::new(
                "CustomField",
                field.resource_id.as_str(),
                Operation::Update,
                format!("Custom field '{}' updated", spec.name),
            )
            .old(row_state(field))
            .new_state(spec_state(spec)),
        );
        tx.commit().await?;
        Ok(())
    }

    /// `bulk-update`: `items` become the company's fields. An item with a field (read in this
    /// scope) updates it, one without creates a field, and every other field of the company is
    /// deleted with its values. All or nothing. Answers the resource ids in the order given.
    pub async fn replace_custom_fields(
        &self,
        scope: &CompanyScope,
        items: &[(Option<CustomFieldRow>, FieldSpec)],
    ) -> Result<Vec<String>, StoreError> {
        let mut folded: Vec<String> = items.iter().map(|(_, s)| s.name.to_lowercase()).collect();
        folded.sort();
        if folded.windows(2).any(|w| w[0] == w[1]) {
            return Err(StoreError::Conflict(DUPLICATE_NAME));
        }
        let company = scope.company_id();
        let now = now_millis();
        let existing = self.custom_fields(scope).await?;
        let kept: Vec<i64> = items
            .iter()
            .filter_map(|(f, _)| f.as_ref().map(|f| f.key))
            .collect();
        let mut tx = self.write(scope).await?;
        let mut deleted = Vec::new();
        for old in existing {
            if !kept.contains(&old.key) {
                deleted.push(row_state(&old));
                sqlx::query("DELETE FROM custom_fields WHERE id = $1 AND company_id = $2")
                    .bind(old.key)
                    .bind(company)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Renames first, under names no other field can hold, so that fields may swap names.
        for (field, _) in items {
            if let Some(f) = field {
                sqlx::query(
                    "UPDATE custom_fields SET name_folded = $1 WHERE id = $2 AND company_id = $3",
                )
                .bind(format!("\u{1}{}", f.resource_id))
                .bind(f.key)
                .bind(company)
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut ids = Vec::with_capacity(items.len());
        for (field, spec) in items {
            match field {
                Some(f) => {
                    update_field(&mut tx, f, spec, now).await?;
                    ids.push(f.resource_id.clone());
                }
                None => ids.push(insert_field(&mut tx, company, spec, now).await?.to_string()),
            }
        }
        let specs: Vec<_> = items.iter().map(|(_, spec)| spec_state(spec)).collect();
        tx.record(
            Entry::new(
                "CustomField",
                "",
                Operation::UpdateMany,
                format!(
                    "Custom fields replaced: {} kept or created, {} deleted",
                    items.len(),
                    deleted.len()
                ),
            )
            .old(serde_json::json!({"deleted": deleted}))
            .new_state(serde_json::json!({"resourceIds": ids, "fields": specs})),
        );
        tx.commit().await?;
        Ok(ids)
    }
}

/// A field as its audit records show it.
fn spec_state(spec: &FieldSpec) -> serde_json::Value {
    serde_json::json!({
        "name": spec.name,
        "ownerType": spec.owner.name(),
        "dataType": spec.data_type.name(),
        "isActive": spec.is_active,
        "isRequired": spec.is_required,
        "sortOrder": spec.sort_order,
    })
}

fn row_state(field: &CustomFieldRow) -> serde_json::Value {
    serde_json::json!({
        "resourceId": field.resource_id,
        "name": field.name,
        "ownerType": field.owner.name(),
        "dataType": field.data_type.name(),
        "targetGroupResourceId": field.target_group_resource_id,
        "isActive": field.is_active,
        "isRequired": field.is_required,
        "sortOrder": field.sort_order,
    })
}

async fn insert_field(
    conn: &mut AnyConnection,
    company: i64,
    spec: &FieldSpec,
    now: i64,
) -> Result<ResourceId, StoreError> {
    let id = ResourceId::generate();
    sqlx::query(
        "INSERT INTO custom_fields (resource_id, company_id, owner_type, target_group_id, name, name_folded, \
         data_type, is_active, is_required, sort_order, create_time, update_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.as_str())
    .bind(company)
    .bind(spec.owner.code())
    .bind(spec.target_group.map(|g| g.0))
    .bind(spec.name.clone())
    .bind(spec.name.to_lowercase())
    .bind(spec.data_type.code())
    .bind(i64::from(spec.is_active))
    .bind(i64::from(spec.is_required))
    .bind(spec.sort_order)
    .bind(now)
    .execute(&mut *conn)
    .await
    .on_unique(DUPLICATE_NAME)?;
    Ok(id)
}

async fn update_field(
    conn: &mut AnyConnection,
    field: &CustomFieldRow,
    spec: &FieldSpec,
    now: i64,
) -> Result<(), StoreError> {
    if spec.data_type != field.data_type {
        convert_values(conn, field, spec.data_type).await?;
    }
    let changed = sqlx::query(
        "UPDATE custom_fields SET owner_type = $1, target_group_id = $2, name = $3, name_folded = $4, \
         data_type = $5, is_active = $6, is_required = $7, sort_order = $8, update_time = $9 \
         WHERE id = $10 AND company_id = $11",
    )
    .bind(spec.owner.code())
    .bind(spec.target_group.map(|g| g.0))
    .bind(spec.name.clone())
    .bind(spec.name.to_lowercase())
    .bind(spec.data_type.code())
    .bind(i64::from(spec.is_active))
    .bind(i64::from(spec.is_required))
    .bind(spec.sort_order)
    .bind(now)
    .bind(field.key)
    .bind(field.company_id)
    .execute(&mut *conn)
    .await
    .on_unique(DUPLICATE_NAME)?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Rewrites every stored value of `field` as a value of `to`, or refuses, naming how many do
/// not convert and a few of them, when any does not.
async fn convert_values(
    conn: &mut AnyConnection,
    field: &CustomFieldRow,
    to: FieldDataType,
) -> Result<(), StoreError> {
    let rows =
        sqlx::query("SELECT user_id, value FROM target_user_field_values WHERE field_id = $1")
            .bind(field.key)
            .fetch_all(&mut *conn)
            .await?;
    let mut converted = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for r in &rows {
        let (user, value): (i64, String) = (r.try_get("user_id")?, r.try_get("value")?);
        match to.canonical(&value) {
            Ok(v) if v == value => {}
            Ok(v) => converted.push((user, v)),
            Err(_) => failed.push(value),
        }
    }
    if !failed.is_empty() {
        let examples: Vec<String> = failed.iter().take(3).map(|v| format!("'{v}'")).collect();
        return Err(StoreError::Refused(format!(
            "Custom field {} cannot become {to}: {} of its values are not (such as {}); change or clear them first",
            field.name,
            failed.len(),
            examples.join(", ")
        )));
    }
    for (user, value) in converted {
        sqlx::query(
            "UPDATE target_user_field_values SET value = $1 WHERE user_id = $2 AND field_id = $3",
        )
        .bind(value)
        .bind(user)
        .bind(field.key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
