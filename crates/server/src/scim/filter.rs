//! The SCIM filter and PATCH path grammar (RFC 7644 §3.4.2.2, §3.5.2), and filter evaluation.
//!
//! Why winnow: the one Rust crate for SCIM filters on crates.io, `scim-filter` (0.2.3, last
//! released January 2024, undocumented, one maintainer), parses filters only — not the PATCH
//! path grammar (`members[value eq "…"]`, `emails[type eq "work"].value`) that Entra ID and Okta
//! send — and filters serde values itself, without the schema's case exactness; it also pulls in
//! nom 7, chrono and rust_decimal. winnow is a maintained parser-combinator crate already in the
//! dependency tree (through `toml`), and one small grammar here serves both filters and paths.
//!
//! Precedence is `not` > `and` > `or`; keywords and operators are matched ignoring case
//! (Entra ID and others vary it). A value path may be followed by a sub-attribute and a test
//! (`emails[type eq "work"].value eq "a@b.c"`), as Entra ID's matching probes are written.

use serde_json::{Number, Value};
use winnow::ascii::{Caseless, multispace0, multispace1};
use winnow::combinator::{alt, delimited, eof, not, opt, peek, preceded, repeat, terminated};
use winnow::error::ContextError;
use winnow::prelude::*;
use winnow::token::{any, none_of, one_of, take_while};

use super::schema::{Attr, Kind, USER_SCHEMA};

/// An attribute path: an optional schema URN, an attribute, an optional sub-attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The token as written, e.g. to recognise a bare extension URN.
    pub raw: String,
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    fn from_token(token: &str) -> Self {
        let (urn, rest) = if token.len() > 4 && token[..4].eq_ignore_ascii_case("urn:") {
            match token.rfind(':') {
                Some(i) => (Some(token[..i].to_owned()), &token[i + 1..]),
                None => (None, token),
            }
        } else {
            (None, token)
        };
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n.to_owned(), Some(s.to_owned())),
            None => (rest.to_owned(), None),
        };
        Self {
            raw: token.to_owned(),
            urn,
            name,
            sub,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

impl CompValue {
    pub fn to_json(&self) -> Value {
        match self {
            CompValue::Null => Value::Null,
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::String(s) => Value::String(s.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Present,
    Compare(Op, CompValue),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Test(AttrPath, Test),
    /// `attr[filter]`, optionally `.sub` and a test on it.
    Value {
        attr: AttrPath,
        filter: Box<Filter>,
        sub: Option<String>,
        test: Option<Test>,
    },
}

/// A PATCH operation's `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// After a value filter: `emails[type eq "work"].value`.
    pub sub: Option<String>,
}

type Res<T> = ModalResult<T, ContextError>;

fn keyword<'i>(
    kw: &'static str,
) -> impl Parser<&'i str, &'i str, winnow::error::ErrMode<ContextError>> {
    terminated(
        Caseless(kw),
        peek(not(one_of(|c: char| c.is_alphanumeric() || c == '_'))),
    )
}

fn token<'i>(i: &mut &'i str) -> Res<&'i str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '$'),
        take_while(0.., |c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '$')
        }),
    )
        .take()
        .parse_next(i)
}

fn name<'i>(i: &mut &'i str) -> Res<&'i str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '$'),
        take_while(0.., |c: char| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
        }),
    )
        .take()
        .parse_next(i)
}

fn op(i: &mut &str) -> Res<Op> {
    alt((
        keyword("eq").value(Op::Eq),
        keyword("ne").value(Op::Ne),
        keyword("co").value(Op::Co),
        keyword("sw").value(Op::Sw),
        keyword("ew").value(Op::Ew),
        keyword("gt").value(Op::Gt),
        keyword("ge").value(Op::Ge),
        keyword("lt").value(Op::Lt),
        keyword("le").value(Op::Le),
    ))
    .parse_next(i)
}

fn string(i: &mut &str) -> Res<String> {
    (
        '"',
        repeat::<_, _, (), _, _>(
            0..,
            alt((preceded('\\', any).void(), none_of(['"', '\\']).void())),
        ),
        '"',
    )
        .take()
        .try_map(serde_json::from_str::<String>)
        .parse_next(i)
}

fn number(i: &mut &str) -> Res<Number> {
    take_while(1.., |c: char| {
        c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E')
    })
    .try_map(serde_json::from_str::<Number>)
    .parse_next(i)
}

fn comp_value(i: &mut &str) -> Res<CompValue> {
    alt((
        keyword("true").value(CompValue::Bool(true)),
        keyword("false").value(CompValue::Bool(false)),
        keyword("null").value(CompValue::Null),
        string.map(CompValue::String),
        number.map(CompValue::Number),
    ))
    .parse_next(i)
}

fn test(i: &mut &str) -> Res<Test> {
    preceded(
        multispace1,
        alt((
            keyword("pr").value(Test::Present),
            (op, multispace1, comp_value).map(|(o, _, v)| Test::Compare(o, v)),
        )),
    )
    .parse_next(i)
}

fn bracket(i: &mut &str) -> Res<Filter> {
    delimited(('[', multispace0), or_expr, (multispace0, ']')).parse_next(i)
}

fn atom(i: &mut &str) -> Res<Filter> {
    let attr = AttrPath::from_token(token.parse_next(i)?);
    match opt(bracket).parse_next(i)? {
        Some(inner) => {
            let sub = opt(preceded('.', name)).parse_next(i)?;
            let test = if sub.is_some() {
                Some(test.parse_next(i)?)
            } else {
                opt(test).parse_next(i)?
            };
            Ok(Filter::Value {
                attr,
                filter: Box::new(inner),
                sub: sub.map(str::to_owned),
                test,
            })
        }
        None => {
            let t = test.parse_next(i)?;
            Ok(Filter::Test(attr, t))
        }
    }
}

fn unary(i: &mut &str) -> Res<Filter> {
    alt((
        preceded(
            (keyword("not"), multispace0, '(', multispace0),
            terminated(or_expr, (multispace0, ')')),
        )
        .map(|f| Filter::Not(Box::new(f))),
        delimited(('(', multispace0), or_expr, (multispace0, ')')),
        atom,
    ))
    .parse_next(i)
}

fn and_expr(i: &mut &str) -> Res<Filter> {
    let first = unary.parse_next(i)?;
    let rest: Vec<Filter> = repeat(
        0..,
        preceded((multispace1, keyword("and"), multispace1), unary),
    )
    .parse_next(i)?;
    Ok(rest
        .into_iter()
        .fold(first, |a, b| Filter::And(Box::new(a), Box::new(b))))
}

fn or_expr(i: &mut &str) -> Res<Filter> {
    let first = and_expr.parse_next(i)?;
    let rest: Vec<Filter> = repeat(
        0..,
        preceded((multispace1, keyword("or"), multispace1), and_expr),
    )
    .parse_next(i)?;
    Ok(rest
        .into_iter()
        .fold(first, |a, b| Filter::Or(Box::new(a), Box::new(b))))
}

/// Parses a `filter` query parameter; the error says where it stopped.
pub fn parse_filter(input: &str) -> Result<Filter, String> {
    delimited(multispace0, or_expr, (multispace0, eof))
        .parse(input)
        .map_err(|e| {
            format!(
                "The filter is not valid SCIM filter syntax at character {}: {input}",
                e.offset() + 1
            )
        })
}

/// Parses a PATCH operation's `path`.
pub fn parse_path(input: &str) -> Result<PatchPath, String> {
    (
        multispace0,
        token,
        opt(bracket),
        opt(preceded('.', name)),
        multispace0,
        eof,
    )
        .map(|(_, t, filter, sub, _, _)| PatchPath {
            attr: AttrPath::from_token(t),
            filter,
            sub: sub.map(str::to_owned),
        })
        .parse(input)
        .map_err(|e| {
            format!(
                "The path is not a valid SCIM attribute path at character {}: {input}",
                e.offset() + 1
            )
        })
}

/// A JSON object's member `name`, ignoring case.
pub fn get_ci<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Where a path's attribute lives in a resource: the resource itself (core schema) or an
/// extension's object; and its definition, when declared.
fn container<'a>(
    doc: &'a Value,
    path: &AttrPath,
    ctx: Ctx,
) -> Option<(&'a Value, Option<&'static Attr>)> {
    let kind = match ctx {
        Ctx::Element(attrs) => {
            let attr = attrs
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(&path.name));
            return Some((doc, attr));
        }
        Ctx::Resource(kind) => kind,
    };
    match &path.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(kind.core.id) => {
            let ext = kind.extension(urn)?;
            Some((get_ci(doc, ext.id)?, ext.attr(&path.name)))
        }
        _ => Some((doc, kind.core.attr(&path.name))),
    }
}

/// What a filter is evaluated against: a resource of a kind, or one value of a complex
/// attribute (inside a value path's brackets).
#[derive(Debug, Clone, Copy)]
pub enum Ctx {
    Resource(&'static Kind),
    Element(&'static [Attr]),
}

fn flatten(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Whether `doc` (a rendered resource of `kind`) matches `filter`.
pub fn matches(filter: &Filter, doc: &Value, ctx: Ctx) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, doc, ctx) && matches(b, doc, ctx),
        Filter::Or(a, b) => matches(a, doc, ctx) || matches(b, doc, ctx),
        Filter::Not(f) => !matches(f, doc, ctx),
        Filter::Test(path, t) => {
            let Some((holder, attr)) = container(doc, path, ctx) else {
                return test_values(&[], t, false);
            };
            let values: Vec<&Value> = get_ci(holder, &path.name).map(flatten).unwrap_or_default();
            let (values, exact) = match &path.sub {
                None => (values, case_exact(&path.name, attr)),
                Some(sub) => {
                    let sub_attr = attr.and_then(|a| a.sub_attr(sub));
                    let exact = sub_attr.is_some_and(|a| a.case_exact);
                    (
                        values
                            .into_iter()
                            .filter_map(|v| get_ci(v, sub))
                            .flat_map(flatten)
                            .collect(),
                        exact,
                    )
                }
            };
            test_values(&values, t, exact)
        }
        Filter::Value {
            attr: path,
            filter,
            sub,
            test,
        } => {
            let Some((holder, attr)) = container(doc, path, ctx) else {
                return false;
            };
            let elements: Vec<&Value> = get_ci(holder, &path.name).map(flatten).unwrap_or_default();
            let inner = Ctx::Element(attr.map_or(&[][..], |a| a.sub));
            let selected = elements.into_iter().filter(|e| matches(filter, e, inner));
            match (sub, test) {
                (None, None) => selected.count() > 0,
                (None, Some(t)) => test_values(&selected.collect::<Vec<_>>(), t, false),
                (Some(sub), t) => {
                    let exact = attr
                        .and_then(|a| a.sub_attr(sub))
                        .is_some_and(|a| a.case_exact);
                    let values: Vec<&Value> = selected
                        .filter_map(|e| get_ci(e, sub))
                        .flat_map(flatten)
                        .collect();
                    match t {
                        Some(t) => test_values(&values, t, exact),
                        None => !values.is_empty(),
                    }
                }
            }
        }
    }
}

/// Case exactness of a top-level attribute: declared, or for the common attributes `id` and
/// `externalId`, exact (RFC 7643 §3.1).
fn case_exact(name: &str, attr: Option<&Attr>) -> bool {
    match attr {
        Some(a) => a.case_exact,
        None => name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("externalId"),
    }
}

fn test_values(values: &[&Value], test: &Test, exact: bool) -> bool {
    match test {
        Test::Present => values.iter().any(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            _ => true,
        }),
        Test::Compare(Op::Ne, value) => !values.iter().any(|v| compare(v, Op::Eq, value, exact)),
        Test::Compare(Op::Eq, CompValue::Null) => values.is_empty(),
        Test::Compare(op, value) => values.iter().any(|v| compare(v, *op, value, exact)),
    }
}

fn compare(actual: &Value, op: Op, expected: &CompValue, exact: bool) -> bool {
    use std::cmp::Ordering;
    let fold = |s: &str| {
        if exact {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    let ordering: Option<Ordering> = match (actual, expected) {
        (Value::String(a), CompValue::String(e)) => {
            let (a, e) = (fold(a), fold(e));
            match op {
                Op::Co => return a.contains(&e),
                Op::Sw => return a.starts_with(&e),
                Op::Ew => return a.ends_with(&e),
                _ => Some(a.cmp(&e)),
            }
        }
        (Value::Bool(a), CompValue::Bool(e)) => {
            return matches!(op, Op::Eq) && a == e;
        }
        (Value::Number(a), CompValue::Number(e)) => match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => a.partial_cmp(&e),
            _ => None,
        },
        _ => None,
    };
    match (ordering, op) {
        (Some(o), Op::Eq) => o == Ordering::Equal,
        (Some(o), Op::Gt) => o == Ordering::Greater,
        (Some(o), Op::Ge) => o != Ordering::Less,
        (Some(o), Op::Lt) => o == Ordering::Less,
        (Some(o), Op::Le) => o != Ordering::Greater,
        _ => false,
    }
}

/// Whether the filter reads the top-level attribute `name`.
pub fn mentions(filter: &Filter, name: &str) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => mentions(a, name) || mentions(b, name),
        Filter::Not(f) => mentions(f, name),
        Filter::Test(path, _) => path.name.eq_ignore_ascii_case(name),
        Filter::Value { attr, .. } => attr.name.eq_ignore_ascii_case(name),
    }
}

/// The values of `filter`'s comparisons `attr eq value` joined by `and` (a value filter such
/// as `type eq "work"`): what a new element must hold to match it.
pub fn equalities(filter: &Filter) -> Option<Vec<(String, Value)>> {
    match filter {
        Filter::Test(path, Test::Compare(Op::Eq, value)) if path.urn.is_none() => {
            let name = match &path.sub {
                None => path.name.clone(),
                Some(_) => return None,
            };
            Some(vec![(name, value.to_json())])
        }
        Filter::And(a, b) => {
            let mut out = equalities(a)?;
            out.extend(equalities(b)?);
            Some(out)
        }
        _ => None,
    }
}

/// A top-level `attr eq "value"` of the filter's `and` chain, for an indexed lookup before the
/// filter is evaluated on what it finds.
pub fn top_equality(filter: &Filter, attribute: &str) -> Option<String> {
    match filter {
        Filter::Test(path, Test::Compare(Op::Eq, CompValue::String(s)))
            if path.sub.is_none()
                && path.name.eq_ignore_ascii_case(attribute)
                && path
                    .urn
                    .as_deref()
                    .is_none_or(|u| u.eq_ignore_ascii_case(USER_SCHEMA)) =>
        {
            Some(s.clone())
        }
        Filter::And(a, b) => top_equality(a, attribute).or_else(|| top_equality(b, attribute)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::USER_KIND;
    use serde_json::json;

    fn f(s: &str) -> Filter {
        parse_filter(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_the_rfc_examples() {
        for s in [
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            r#"emails[type eq "work"].value eq "a@b.c""#,
            r#"userName EQ "x" AND active Eq True"#,
            "count gt 3.5e2",
        ] {
            f(s);
        }
    }

    #[test]
    fn refuses_what_is_not_a_filter() {
        for s in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName xx "a""#,
            r#"userName eq "a" and"#,
            r#"(userName eq "a""#,
            r#"emails[type eq "work""#,
            r#"userName eq 'a'"#,
        ] {
            assert!(parse_filter(s).is_err(), "{s}");
        }
    }

    #[test]
    fn precedence_is_not_and_or() {
        assert_eq!(
            f(r#"a pr or b pr and c pr"#),
            Filter::Or(
                Box::new(f("a pr")),
                Box::new(Filter::And(Box::new(f("b pr")), Box::new(f("c pr"))))
            )
        );
    }

    #[test]
    fn paths() {
        let p = parse_path(r#"members[value eq "7f4b"]"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.attr.name, "members");
        assert!(p.filter.is_some());
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p =
            parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.attr.name, "employeeNumber");
        let p = parse_path("name.givenName").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (p.attr.name.as_str(), p.attr.sub.as_deref()),
            ("name", Some("givenName"))
        );
        assert!(parse_path("members[value eq").is_err());
    }

    #[test]
    fn evaluates_with_case_rules() {
        let doc = json!({
            "userName": "Bjensen@Example.com",
            "externalId": "AbC",
            "active": true,
            "emails": [{"type": "work", "value": "b@example.com"}, {"type": "home", "value": "b@home.org"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
        });
        let m = |s: &str| matches(&f(s), &doc, Ctx::Resource(&USER_KIND));
        assert!(m(r#"userName eq "bjensen@example.com""#));
        assert!(!m(r#"externalId eq "abc""#));
        assert!(m(r#"externalId eq "AbC""#));
        assert!(m(r#"emails[type eq "work"].value eq "B@example.com""#));
        assert!(!m(r#"emails[type eq "home"].value eq "b@example.com""#));
        assert!(m(r#"emails.value ew "home.org""#));
        assert!(m("active eq true and not (title pr)"));
        assert!(m(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#
        ));
        assert!(m(r#"userName ne "x" or title pr"#));
        assert!(m(r#"userName gt "a" and userName lt "c""#));
    }
}
