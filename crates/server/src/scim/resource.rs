//! SCIM resources as JSON documents shaped by the schemas: reading request bodies, applying
//! PATCH operations, and the `attributes` / `excludedAttributes` projection.
//!
//! A stored document holds only declared attributes, under their canonical names, with their
//! declared types; extension attributes sit under the extension's URN. Reading is lenient in
//! the ways identity providers need (RFC 7644 asks servers to be): attribute names and `op`
//! values in any case, booleans as strings (`"False"`), a single value where a list is
//! expected, `null` for "no value" (`"$ref": null`), undeclared attributes dropped.

use serde_json::{Map, Value};

use super::ScimError;
use super::filter::{Ctx, PatchPath, equalities, get_ci, matches, parse_path};
use super::schema::{Attr, Kind, Mutability, Type};

/// Attributes every resource has that no client writes.
fn is_server_owned(name: &str) -> bool {
    ["id", "meta", "schemas"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// A POST or PUT body as a stored document.
pub fn read_body(body: &Value, kind: &'static Kind) -> Result<Map<String, Value>, ScimError> {
    let Some(object) = body.as_object() else {
        return Err(ScimError::syntax("The body must be a JSON object"));
    };
    let mut doc = Map::new();
    for (key, value) in object {
        if is_server_owned(key) {
            continue;
        }
        if key.eq_ignore_ascii_case("externalId") {
            if let Some(v) = scalar_string(value, "externalId")? {
                doc.insert("externalId".into(), Value::String(v));
            }
            continue;
        }
        if let Some(ext) = kind.extension(key) {
            if let Some(v) = read_object(value, ext.attributes, ext.id)? {
                doc.insert(ext.id.into(), Value::Object(v));
            }
            continue;
        }
        if let Some(attr) = kind.core.attr(key)
            && let Some(v) = read_value(attr, value)?
        {
            doc.insert(attr.name.into(), v);
        }
    }
    Ok(doc)
}

fn scalar_string(value: &Value, name: &str) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(ScimError::value(format!("{name} must be a string"))),
    }
}

/// A complex value's declared sub-attributes; `None` when nothing is left.
fn read_object(
    value: &Value,
    attrs: &'static [Attr],
    name: &str,
) -> Result<Option<Map<String, Value>>, ScimError> {
    let object = match value {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => return Err(ScimError::value(format!("{name} must be an object"))),
    };
    let mut out = Map::new();
    for (key, v) in object {
        if let Some(attr) = attrs.iter().find(|a| a.name.eq_ignore_ascii_case(key))
            && let Some(v) = read_value(attr, v)?
        {
            out.insert(attr.name.into(), v);
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

/// A value of `attr` as stored; `None` for no value (and for read-only attributes, which
/// clients do not set).
pub fn read_value(attr: &'static Attr, value: &Value) -> Result<Option<Value>, ScimError> {
    if attr.mutability == Mutability::ReadOnly {
        return Ok(None);
    }
    if attr.multi {
        let items: Vec<&Value> = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut out = Vec::new();
        for item in items {
            if let Some(v) = read_single(attr, item)? {
                out.push(v);
            }
        }
        return Ok((!out.is_empty()).then_some(Value::Array(out)));
    }
    read_single(attr, value)
}

fn read_single(attr: &'static Attr, value: &Value) -> Result<Option<Value>, ScimError> {
    match (attr.ty, value) {
        (_, Value::Null) => Ok(None),
        (Type::Complex, v) => Ok(read_object(v, attr.sub, attr.name)?.map(Value::Object)),
        (Type::Boolean, Value::Bool(b)) => Ok(Some(Value::Bool(*b))),
        (Type::Boolean, Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => {
            Ok(Some(Value::Bool(true)))
        }
        (Type::Boolean, Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => {
            Ok(Some(Value::Bool(false)))
        }
        (Type::Boolean, _) => Err(ScimError::value(format!(
            "{} must be a boolean (true or false)",
            attr.name
        ))),
        (Type::Integer, Value::Number(n)) if n.is_i64() => Ok(Some(Value::Number(n.clone()))),
        (Type::Integer, _) => Err(ScimError::value(format!(
            "{} must be an integer",
            attr.name
        ))),
        (_, v) => Ok(scalar_string(v, attr.name)?.map(Value::String)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchKind {
    Add,
    Replace,
    Remove,
}

/// Applies a PatchOp body to a stored document. Operations are applied in order; any error
/// leaves the caller's stored resource unchanged (the caller writes only a fully patched
/// document).
pub fn apply_patch(
    doc: &mut Map<String, Value>,
    body: &Value,
    kind: &'static Kind,
) -> Result<(), ScimError> {
    let operations = get_ci(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::syntax("A PatchOp body needs an Operations list"))?;
    for operation in operations {
        let op = get_ci(operation, "op")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("");
        let op = if op.eq_ignore_ascii_case("add") {
            PatchKind::Add
        } else if op.eq_ignore_ascii_case("replace") {
            PatchKind::Replace
        } else if op.eq_ignore_ascii_case("remove") {
            PatchKind::Remove
        } else {
            return Err(ScimError::syntax(format!(
                "PATCH op '{op}' is not add, replace or remove"
            )));
        };
        let value = get_ci(operation, "value");
        match get_ci(operation, "path").and_then(Value::as_str) {
            Some(path) if !path.trim().is_empty() => {
                let path = parse_path(path).map_err(ScimError::path)?;
                apply_at(doc, op, &path, value, kind)?;
            }
            _ => {
                if op == PatchKind::Remove {
                    return Err(ScimError::new(
                        400,
                        Some("noTarget"),
                        "A remove operation needs a path",
                    ));
                }
                let Some(object) = value.and_then(Value::as_object) else {
                    return Err(ScimError::value(
                        "An operation without a path needs an object value",
                    ));
                };
                for (key, v) in object {
                    // Okta sends the resource's `id` with a rename; Entra ID dotted keys.
                    if is_server_owned(key) {
                        continue;
                    }
                    if let Some(ext) = kind.extension(key) {
                        apply_extension(doc, op, ext, Some(v))?;
                        continue;
                    }
                    let path = parse_path(key).map_err(ScimError::path)?;
                    apply_at(doc, op, &path, Some(v), kind)?;
                }
            }
        }
    }
    Ok(())
}

fn apply_extension(
    doc: &mut Map<String, Value>,
    op: PatchKind,
    ext: &'static super::schema::Schema,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if op == PatchKind::Remove {
        doc.remove(ext.id);
        return Ok(());
    }
    let Some(new) = read_object(value.unwrap_or(&Value::Null), ext.attributes, ext.id)? else {
        return Ok(());
    };
    let entry = doc
        .entry(ext.id)
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(existing) = entry {
        existing.extend(new);
    }
    Ok(())
}

fn apply_at(
    doc: &mut Map<String, Value>,
    op: PatchKind,
    path: &PatchPath,
    value: Option<&Value>,
    kind: &'static Kind,
) -> Result<(), ScimError> {
    let a = &path.attr;
    // A bare extension URN: the whole extension.
    if let Some(ext) = kind.extension(&a.raw) {
        return apply_extension(doc, op, ext, value);
    }
    if a.urn.is_none() && a.name.eq_ignore_ascii_case("externalId") && path.filter.is_none() {
        match (op, value) {
            (PatchKind::Remove, _) | (_, None | Some(Value::Null)) => {
                doc.remove("externalId");
            }
            (_, Some(v)) => {
                if let Some(s) = scalar_string(v, "externalId")? {
                    doc.insert("externalId".into(), Value::String(s));
                }
            }
        }
        return Ok(());
    }
    if a.urn.is_none() && is_server_owned(&a.name) {
        return Err(ScimError::new(
            400,
            Some("mutability"),
            format!("{} cannot be changed", a.name),
        ));
    }
    let (holder, attr) = match &a.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(kind.core.id) => {
            let ext = kind
                .extension(urn)
                .ok_or_else(|| ScimError::path(format!("Unknown schema {urn}")))?;
            let attr = ext
                .attr(&a.name)
                .ok_or_else(|| ScimError::path(format!("Unknown attribute {}", a.raw)))?;
            let holder = doc
                .entry(ext.id)
                .or_insert_with(|| Value::Object(Map::new()));
            match holder {
                Value::Object(m) => (m, attr),
                _ => return Err(ScimError::path(format!("{} is not an object", ext.id))),
            }
        }
        _ => {
            let attr = kind
                .core
                .attr(&a.name)
                .ok_or_else(|| ScimError::path(format!("Unknown attribute {}", a.raw)))?;
            (&mut *doc, attr)
        }
    };
    if attr.mutability == Mutability::ReadOnly {
        return Err(ScimError::new(
            400,
            Some("mutability"),
            format!("{} is read-only", attr.name),
        ));
    }
    let sub = match (&a.sub, &path.sub) {
        (Some(_), Some(_)) => {
            return Err(ScimError::path(format!(
                "{} names two sub-attributes",
                a.raw
            )));
        }
        (Some(s), None) | (None, Some(s)) => Some(
            attr.sub_attr(s)
                .ok_or_else(|| ScimError::path(format!("Unknown attribute {}.{s}", attr.name)))?,
        ),
        (None, None) => None,
    };
    match (&path.filter, sub) {
        (None, None) => whole(holder, attr, op, value)?,
        (None, Some(sub)) => sub_of_all(holder, attr, sub, op, value)?,
        (Some(filter), sub) => selected(holder, attr, filter, sub, op, value)?,
    }
    clean(doc);
    Ok(())
}

/// An operation on a whole attribute.
fn whole(
    holder: &mut Map<String, Value>,
    attr: &'static Attr,
    op: PatchKind,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let key = attr.name;
    if op == PatchKind::Remove {
        // Entra ID removes members by value: `{"op":"Remove","path":"members","value":[{"value":"…"}]}`.
        if attr.multi
            && let Some(Value::Array(gone)) = value.and_then(|v| read_value(attr, v).ok().flatten())
            && let Some(Value::Array(items)) = holder.get_mut(key)
        {
            items.retain(|item| !gone.iter().any(|g| same_value(item, g)));
            return Ok(());
        }
        holder.remove(key);
        return Ok(());
    }
    let new = match value {
        Some(v) => read_value(attr, v)?,
        None => {
            return Err(ScimError::value(format!(
                "{key}: the operation needs a value"
            )));
        }
    };
    let Some(new) = new else {
        if op == PatchKind::Replace {
            holder.remove(key);
        }
        return Ok(());
    };
    match (op, holder.get_mut(key)) {
        (PatchKind::Add, Some(Value::Array(items))) => {
            if let Value::Array(added) = new {
                for item in added {
                    if !items.iter().any(|i| same_value(i, &item)) {
                        items.push(item);
                    }
                }
            }
        }
        (_, Some(Value::Object(existing))) if attr.ty == Type::Complex && !attr.multi => {
            if let Value::Object(new) = new {
                existing.extend(new);
            }
        }
        _ => {
            holder.insert(key.into(), new);
        }
    }
    Ok(())
}

/// Two values of a multi-valued attribute are the same one: equal, or with the same `value`.
fn same_value(a: &Value, b: &Value) -> bool {
    match (get_ci(a, "value"), get_ci(b, "value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// `name.givenName`, or `emails.value` (every value of a multi-valued attribute).
fn sub_of_all(
    holder: &mut Map<String, Value>,
    attr: &'static Attr,
    sub: &'static Attr,
    op: PatchKind,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if sub.mutability == Mutability::ReadOnly {
        return Err(ScimError::new(
            400,
            Some("mutability"),
            format!("{}.{} is read-only", attr.name, sub.name),
        ));
    }
    let new = match (op, value) {
        (PatchKind::Remove, _) => None,
        (_, Some(v)) => read_value(sub, v)?,
        (_, None) => {
            return Err(ScimError::value(format!(
                "{}.{}: the operation needs a value",
                attr.name, sub.name
            )));
        }
    };
    let set = |object: &mut Map<String, Value>| match &new {
        Some(v) => {
            object.insert(sub.name.into(), v.clone());
        }
        None => {
            object.remove(sub.name);
        }
    };
    let entry = holder.entry(attr.name).or_insert_with(|| {
        if attr.multi {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        }
    });
    match entry {
        Value::Object(object) => set(object),
        Value::Array(items) => {
            if items.is_empty() && new.is_some() {
                items.push(Value::Object(Map::new()));
            }
            for item in items.iter_mut() {
                if let Value::Object(object) = item {
                    set(object);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// `emails[type eq "work"]` or `emails[type eq "work"].value`: the values the filter selects.
fn selected(
    holder: &mut Map<String, Value>,
    attr: &'static Attr,
    filter: &super::filter::Filter,
    sub: Option<&'static Attr>,
    op: PatchKind,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if !(attr.multi && attr.ty == Type::Complex) {
        return Err(ScimError::path(format!(
            "{} is not a multi-valued complex attribute",
            attr.name
        )));
    }
    let ctx = Ctx::Element(attr.sub);
    let items = match holder
        .entry(attr.name)
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(items) => items,
        _ => return Err(ScimError::path(format!("{} is not a list", attr.name))),
    };
    let hits: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| matches(filter, item, ctx))
        .map(|(i, _)| i)
        .collect();
    if op == PatchKind::Remove {
        match sub {
            None => {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !hits.contains(&i);
                    i += 1;
                    keep
                });
            }
            Some(sub) => {
                for i in &hits {
                    if let Some(Value::Object(o)) = items.get_mut(*i) {
                        o.remove(sub.name);
                    }
                }
            }
        }
        return Ok(());
    }
    let Some(value) = value else {
        return Err(ScimError::value(format!(
            "{}: the operation needs a value",
            attr.name
        )));
    };
    let new: Map<String, Value> = match sub {
        Some(sub) => {
            let mut m = Map::new();
            if let Some(v) = read_value(sub, value)? {
                m.insert(sub.name.into(), v);
            }
            m
        }
        None => read_object(value, attr.sub, attr.name)?.unwrap_or_default(),
    };
    if hits.is_empty() {
        // Entra ID replaces `emails[type eq "work"].value` on a user that has no work address
        // yet: the value is created with what the filter asks for.
        let Some(pairs) = equalities(filter) else {
            return Err(ScimError::new(
                400,
                Some("noTarget"),
                format!("No value of {} matches the path's filter", attr.name),
            ));
        };
        let mut created = Map::new();
        for (name, v) in pairs {
            if let Some(sub) = attr.sub_attr(&name)
                && let Some(v) = read_value(sub, &v)?
            {
                created.insert(sub.name.into(), v);
            }
        }
        created.extend(new);
        items.push(Value::Object(created));
        return Ok(());
    }
    for i in hits {
        if let Some(Value::Object(o)) = items.get_mut(i) {
            o.extend(new.clone());
        }
    }
    Ok(())
}

/// Drops empty lists and objects left by removals.
fn clean(doc: &mut Map<String, Value>) {
    doc.retain(|_, v| match v {
        Value::Array(a) => {
            a.retain(|i| !matches!(i, Value::Object(o) if o.is_empty()));
            !a.is_empty()
        }
        Value::Object(o) => {
            clean(o);
            !o.is_empty()
        }
        Value::Null => false,
        _ => true,
    });
}

/// The `attributes` / `excludedAttributes` of a request, parsed.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    pub attributes: Vec<PatchPath>,
    pub excluded: Vec<PatchPath>,
}

impl Projection {
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        let list = |raw: Option<&str>| -> Result<Vec<PatchPath>, ScimError> {
            raw.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let p = parse_path(s).map_err(ScimError::path)?;
                    if p.filter.is_some() {
                        return Err(ScimError::path(format!(
                            "{s}: attributes cannot have filters"
                        )));
                    }
                    Ok(p)
                })
                .collect()
        };
        Ok(Self {
            attributes: list(attributes)?,
            excluded: list(excluded)?,
        })
    }

    /// Whether the response leaves out `name` (a top-level attribute) entirely.
    pub fn omits(&self, name: &str) -> bool {
        if !self.attributes.is_empty() {
            return !self
                .attributes
                .iter()
                .any(|p| p.attr.name.eq_ignore_ascii_case(name));
        }
        self.excluded.iter().any(|p| {
            p.attr.urn.is_none() && p.attr.sub.is_none() && p.attr.name.eq_ignore_ascii_case(name)
        })
    }

    /// `resource` (rendered) cut to what the request asked for. `id`, `schemas` and `meta`
    /// always stay.
    pub fn apply(&self, resource: Value, kind: &'static Kind) -> Value {
        let Value::Object(mut object) = resource else {
            return resource;
        };
        let always = |k: &str| is_server_owned(k);
        if !self.attributes.is_empty() {
            let mut out = Map::new();
            for (k, v) in &object {
                if always(k) {
                    out.insert(k.clone(), v.clone());
                }
            }
            for p in &self.attributes {
                if let Some(ext) = kind.extension(&p.attr.raw) {
                    if let Some(v) = object.get(ext.id) {
                        out.insert(ext.id.into(), v.clone());
                    }
                    continue;
                }
                let (source, target_key) = match &p.attr.urn {
                    Some(urn) if !urn.eq_ignore_ascii_case(kind.core.id) => {
                        match kind.extension(urn) {
                            Some(ext) => (object.get(ext.id), Some(ext.id)),
                            None => continue,
                        }
                    }
                    _ => (Some(&Value::Object(object.clone())), None),
                };
                let Some(source) = source else { continue };
                let Some((name, v)) = source
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(&p.attr.name)))
                else {
                    continue;
                };
                let v = match &p.attr.sub {
                    None => v.clone(),
                    Some(sub) => keep_sub(v, sub),
                };
                match target_key {
                    None => {
                        out.insert(name.clone(), v);
                    }
                    Some(ext) => {
                        let e = out.entry(ext).or_insert_with(|| Value::Object(Map::new()));
                        if let Value::Object(e) = e {
                            e.insert(name.clone(), v);
                        }
                    }
                }
            }
            return Value::Object(out);
        }
        for p in &self.excluded {
            if let Some(ext) = kind.extension(&p.attr.raw) {
                object.remove(ext.id);
                continue;
            }
            let holder = match &p.attr.urn {
                Some(urn) if !urn.eq_ignore_ascii_case(kind.core.id) => {
                    match kind.extension(urn).and_then(|e| object.get_mut(e.id)) {
                        Some(Value::Object(o)) => o,
                        _ => continue,
                    }
                }
                _ => &mut object,
            };
            let Some(key) = holder
                .keys()
                .find(|k| k.eq_ignore_ascii_case(&p.attr.name) && !always(k))
                .cloned()
            else {
                continue;
            };
            match &p.attr.sub {
                None => {
                    holder.remove(&key);
                }
                Some(sub) => {
                    if let Some(v) = holder.get_mut(&key) {
                        drop_sub(v, sub);
                    }
                }
            }
        }
        Value::Object(object)
    }
}

fn keep_sub(v: &Value, sub: &str) -> Value {
    let one = |o: &Value| {
        let mut m = Map::new();
        if let Some((k, x)) = o
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(sub)))
        {
            m.insert(k.clone(), x.clone());
        }
        Value::Object(m)
    };
    match v {
        Value::Array(items) => Value::Array(items.iter().map(one).collect()),
        other => one(other),
    }
}

fn drop_sub(v: &mut Value, sub: &str) {
    let one = |o: &mut Value| {
        if let Value::Object(m) = o {
            m.retain(|k, _| !k.eq_ignore_ascii_case(sub));
        }
    };
    match v {
        Value::Array(items) => items.iter_mut().for_each(one),
        other => one(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_SCHEMA, GROUP_KIND, USER_KIND};
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        read_body(&v, &USER_KIND).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn patch(d: &mut Map<String, Value>, ops: Value, kind: &'static Kind) {
        apply_patch(d, &json!({ "Operations": ops }), kind).unwrap_or_else(|e| panic!("{e:?}"));
    }

    #[test]
    fn bodies_are_read_leniently() {
        let d = doc(json!({
            "schemas": ["x"], "id": null, "UserName": "a", "active": "False",
            "password": "secret", "emails": {"value": "a@b.c", "primary": "true"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "manager": null},
        }));
        assert_eq!(d["userName"], "a");
        assert_eq!(d["active"], false);
        assert!(!d.contains_key("password"));
        assert_eq!(d["emails"], json!([{"value": "a@b.c", "primary": true}]));
        assert_eq!(d[ENTERPRISE_SCHEMA], json!({"department": "Sales"}));
        assert!(read_body(&json!({"active": "maybe"}), &USER_KIND).is_err());
    }

    #[test]
    fn entra_and_okta_patches() {
        let mut d = doc(json!({"userName": "a", "emails": [{"type": "work", "value": "a@b.c"}]}));
        patch(
            &mut d,
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "n@b.c"},
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "123"},
                {"op": "replace", "value": {"name.givenName": "G", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"}},
            ]),
            &USER_KIND,
        );
        assert_eq!(d["emails"], json!([{"type": "work", "value": "n@b.c"}]));
        assert_eq!(d["active"], false);
        assert_eq!(
            d["phoneNumbers"],
            json!([{"type": "mobile", "value": "123"}])
        );
        assert_eq!(d["name"], json!({"givenName": "G"}));
        assert_eq!(d[ENTERPRISE_SCHEMA], json!({"employeeNumber": "7"}));
        patch(
            &mut d,
            json!([{"op": "replace", "value": {"active": true}}]),
            &USER_KIND,
        );
        assert_eq!(d["active"], true);
    }

    #[test]
    fn group_members() {
        let mut d = read_body(&json!({"displayName": "g"}), &GROUP_KIND).unwrap_or_default();
        patch(
            &mut d,
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u1"}, {"value": "u2"}, {"value": "u3"}]}]),
            &GROUP_KIND,
        );
        patch(
            &mut d,
            json!([
                {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
                {"op": "remove", "path": "members[value eq \"u2\"]"},
            ]),
            &GROUP_KIND,
        );
        assert_eq!(d["members"], json!([{"value": "u3"}]));
        patch(
            &mut d,
            json!([{"op": "remove", "path": "members"}]),
            &GROUP_KIND,
        );
        assert!(!d.contains_key("members"));
        let e = apply_patch(
            &mut d,
            &json!({"Operations": [{"op": "replace", "path": "id", "value": "x"}]}),
            &GROUP_KIND,
        );
        assert!(e.is_err());
        let e = apply_patch(
            &mut d,
            &json!({"Operations": [{"op": "replace", "path": "nope", "value": "x"}]}),
            &GROUP_KIND,
        );
        assert!(e.is_err());
    }
}
