//! The schemas the SCIM service serves (RFC 7643), declared once as data.
//!
//! The same declarations drive `/Schemas`, the reading of request bodies (types, case,
//! mutability: [`super::resource`]), filters (case exactness: [`super::filter`]) and the
//! `attributes` / `excludedAttributes` projection. An attribute that is not declared here is
//! not stored: a client's extra attributes (Okta's `password`, OneLogin's `id: null`) are
//! dropped, not refused.
//!
//! `emails` and its `value` are declared required: every target user needs an email address,
//! and saying so lets a client (and scim2-tester) know before it sends a user without one.

use serde_json::{Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    Integer,
    DateTime,
    Reference,
    Complex,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Integer => "integer",
            Type::DateTime => "dateTime",
            Type::Reference => "reference",
            Type::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadWrite,
    ReadOnly,
    Immutable,
}

/// One attribute of a schema.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub unique: bool,
    pub sub: &'static [Attr],
    pub reference_types: &'static [&'static str],
    pub canonical: &'static [&'static str],
    pub description: &'static str,
}

impl Attr {
    const fn new(name: &'static str, ty: Type, description: &'static str) -> Self {
        Self {
            name,
            ty,
            multi: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            unique: false,
            sub: &[],
            reference_types: &[],
            canonical: &[],
            description,
        }
    }
    const fn string(name: &'static str, description: &'static str) -> Self {
        Self::new(name, Type::String, description)
    }
    const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::new(name, Type::Boolean, description)
    }
    const fn complex(name: &'static str, sub: &'static [Attr], description: &'static str) -> Self {
        let mut a = Self::new(name, Type::Complex, description);
        a.sub = sub;
        a
    }
    const fn reference(
        name: &'static str,
        types: &'static [&'static str],
        description: &'static str,
    ) -> Self {
        let mut a = Self::new(name, Type::Reference, description);
        a.reference_types = types;
        a.case_exact = true;
        a
    }
    const fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }
    const fn immutable(mut self) -> Self {
        self.mutability = Mutability::Immutable;
        self
    }
    const fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }

    /// The sub-attribute `name`, ignoring case.
    pub fn sub_attr(&self, name: &str) -> Option<&'static Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn to_json(self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.ty.name(),
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": match self.mutability {
                Mutability::ReadWrite => "readWrite",
                Mutability::ReadOnly => "readOnly",
                Mutability::Immutable => "immutable",
            },
            "returned": "default",
            "uniqueness": if self.unique { "server" } else { "none" },
        });
        if !self.sub.is_empty() {
            v["subAttributes"] = Value::Array(self.sub.iter().map(|a| a.to_json()).collect());
        }
        if !self.reference_types.is_empty() {
            v["referenceTypes"] = json!(self.reference_types);
        }
        if !self.canonical.is_empty() {
            v["canonicalValues"] = json!(self.canonical);
        }
        v
    }
}

/// A schema: its URN, name and attributes.
#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attr],
}

impl Schema {
    /// The attribute `name`, ignoring case.
    pub fn attr(&self, name: &str) -> Option<&'static Attr> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn to_json(&self, base: &str) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{}", self.id)},
        })
    }
}

const TYPES: &[&str] = &["work", "home", "other"];

const NAME: &[Attr] = &[
    Attr::string("formatted", "The full name."),
    Attr::string("familyName", "The family name (last name)."),
    Attr::string("givenName", "The given name (first name)."),
    Attr::string("middleName", "The middle name."),
    Attr::string("honorificPrefix", "A title before the name, e.g. Ms."),
    Attr::string("honorificSuffix", "A suffix after the name, e.g. III."),
];

const EMAIL: &[Attr] = &[
    Attr::string("value", "The email address.").required(),
    Attr::string("display", "A label for display."),
    Attr::string("type", "work, home or other.").canonical(TYPES),
    Attr::boolean("primary", "The preferred address."),
];

const PHONE: &[Attr] = &[
    Attr::string("value", "The phone number."),
    Attr::string("display", "A label for display."),
    Attr::string("type", "work, home, mobile, fax, pager or other.")
        .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    Attr::boolean("primary", "The preferred number."),
];

const ADDRESS: &[Attr] = &[
    Attr::string("formatted", "The full address."),
    Attr::string("streetAddress", "Street and number."),
    Attr::string("locality", "City."),
    Attr::string("region", "State or region."),
    Attr::string("postalCode", "Postal code."),
    Attr::string("country", "Country, ISO 3166-1 alpha-2."),
    Attr::string("type", "work, home or other.").canonical(TYPES),
    Attr::boolean("primary", "The preferred address."),
];

const ROLE: &[Attr] = &[
    Attr::string("value", "The role."),
    Attr::string("display", "A label for display."),
    Attr::string("type", "The kind of role."),
    Attr::boolean("primary", "The main role."),
];

pub static USER: Schema = Schema {
    id: USER_SCHEMA,
    name: "User",
    description: "A target user",
    attributes: &[
        Attr::string("userName", "Unique in the company, ignoring case.")
            .required()
            .unique(),
        Attr::complex("name", NAME, "The user's name."),
        Attr::string("displayName", "The name to display."),
        Attr::string("nickName", "A casual name."),
        Attr::string("title", "The job title."),
        Attr::string("userType", "The kind of user."),
        Attr::string("preferredLanguage", "Preferred language."),
        Attr::string("locale", "Locale."),
        Attr::string("timezone", "Time zone."),
        Attr::boolean(
            "active",
            "false deprovisions: the target user becomes Inactive.",
        ),
        Attr::complex(
            "emails",
            EMAIL,
            "Email addresses; the primary one (else work, else the first) is the target user's.",
        )
        .multi()
        .required(),
        Attr::complex("phoneNumbers", PHONE, "Phone numbers.").multi(),
        Attr::complex("addresses", ADDRESS, "Postal addresses.").multi(),
        Attr::complex("roles", ROLE, "Roles.").multi(),
    ],
};

const MANAGER: &[Attr] = &[Attr::string("value", "The id of the manager's User.")];

pub static ENTERPRISE: Schema = Schema {
    id: ENTERPRISE_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise user",
    attributes: &[
        Attr::string("employeeNumber", "Employee number."),
        Attr::string("costCenter", "Cost center."),
        Attr::string("organization", "Organization."),
        Attr::string("division", "Division."),
        Attr::string("department", "Department: the target user's department."),
        Attr::complex("manager", MANAGER, "The user's manager."),
    ],
};

const MEMBER: &[Attr] = &[
    Attr::string("value", "The id of a member User.")
        .immutable()
        .case_exact(),
    Attr::reference("$ref", &["User"], "The URI of the member User.").immutable(),
];

pub static GROUP: Schema = Schema {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "A target group",
    attributes: &[
        Attr::string(
            "displayName",
            "Unique in the company, ignoring case; 1 to 64 characters.",
        )
        .required()
        .unique(),
        Attr::complex("members", MEMBER, "The group's users.").multi(),
    ],
};

const SUPPORTED: &[Attr] = &[Attr::boolean("supported", "Whether it is supported.")
    .required()
    .read_only()];

const SCHEME: &[Attr] = &[
    Attr::string("type", "The scheme.").required().read_only(),
    Attr::string("name", "Its name.").required().read_only(),
    Attr::string("description", "Its description.")
        .required()
        .read_only(),
    Attr::reference("specUri", &["external"], "Its specification.").read_only(),
    Attr::reference("documentationUri", &["external"], "Its documentation.").read_only(),
];

static SPC: Schema = Schema {
    id: SPC_SCHEMA,
    name: "ServiceProviderConfig",
    description: "Service Provider Configuration",
    attributes: &[
        Attr::reference("documentationUri", &["external"], "Documentation.").read_only(),
        Attr::complex("patch", SUPPORTED, "PATCH.")
            .required()
            .read_only(),
        Attr::complex("bulk", SUPPORTED, "Bulk.")
            .required()
            .read_only(),
        Attr::complex("filter", SUPPORTED, "Filters.")
            .required()
            .read_only(),
        Attr::complex("changePassword", SUPPORTED, "Password changes.")
            .required()
            .read_only(),
        Attr::complex("sort", SUPPORTED, "Sorting.")
            .required()
            .read_only(),
        Attr::complex("etag", SUPPORTED, "ETags.")
            .required()
            .read_only(),
        Attr::complex("authenticationSchemes", SCHEME, "How to authenticate.")
            .multi()
            .required()
            .read_only(),
    ],
};

const EXTENSION: &[Attr] = &[
    Attr::reference("schema", &["uri"], "The extension's URN.")
        .required()
        .read_only(),
    Attr::boolean("required", "Whether resources must carry it.")
        .required()
        .read_only(),
];

static RESOURCE_TYPE: Schema = Schema {
    id: RESOURCE_TYPE_SCHEMA,
    name: "ResourceType",
    description: "Resource Type",
    attributes: &[
        Attr::string("id", "Its id.").read_only(),
        Attr::string("name", "Its name.").required().read_only(),
        Attr::string("description", "Its description.").read_only(),
        Attr::reference("endpoint", &["uri"], "Its endpoint.")
            .required()
            .read_only(),
        Attr::reference("schema", &["uri"], "Its core schema.")
            .required()
            .read_only(),
        Attr::complex("schemaExtensions", EXTENSION, "Its extensions.")
            .multi()
            .read_only(),
    ],
};

const SUB_ATTRIBUTE: &[Attr] = &[
    Attr::string("name", "The attribute's name.")
        .required()
        .read_only(),
    Attr::string("type", "Its type.").required().read_only(),
    Attr::boolean("multiValued", "Whether it holds several values.")
        .required()
        .read_only(),
    Attr::string("description", "What it is.").read_only(),
    Attr::boolean("required", "Whether it must have a value.").read_only(),
    Attr::string("canonicalValues", "Suggested values.")
        .multi()
        .read_only(),
    Attr::boolean("caseExact", "Whether case matters.").read_only(),
    Attr::string("mutability", "Who may change it.").read_only(),
    Attr::string("returned", "When it is returned.").read_only(),
    Attr::string("uniqueness", "How unique it is.").read_only(),
    Attr::string("referenceTypes", "What it may refer to.")
        .multi()
        .read_only(),
];

const ATTRIBUTE: &[Attr] = &[
    Attr::string("name", "The attribute's name.")
        .required()
        .read_only(),
    Attr::string("type", "Its type.").required().read_only(),
    Attr::boolean("multiValued", "Whether it holds several values.")
        .required()
        .read_only(),
    Attr::string("description", "What it is.").read_only(),
    Attr::boolean("required", "Whether it must have a value.").read_only(),
    Attr::string("canonicalValues", "Suggested values.")
        .multi()
        .read_only(),
    Attr::boolean("caseExact", "Whether case matters.").read_only(),
    Attr::string("mutability", "Who may change it.").read_only(),
    Attr::string("returned", "When it is returned.").read_only(),
    Attr::string("uniqueness", "How unique it is.").read_only(),
    Attr::string("referenceTypes", "What it may refer to.")
        .multi()
        .read_only(),
    Attr::complex("subAttributes", SUB_ATTRIBUTE, "Its sub-attributes.")
        .multi()
        .read_only(),
];

static SCHEMA: Schema = Schema {
    id: SCHEMA_SCHEMA,
    name: "Schema",
    description: "Schema",
    attributes: &[
        Attr::string("id", "The schema's URN.").read_only(),
        Attr::string("name", "Its name.").read_only(),
        Attr::string("description", "Its description.").read_only(),
        Attr::complex("attributes", ATTRIBUTE, "Its attributes.")
            .multi()
            .required()
            .read_only(),
    ],
};

/// Every schema `/Schemas` lists.
pub fn all() -> [&'static Schema; 6] {
    [&USER, &ENTERPRISE, &GROUP, &SPC, &RESOURCE_TYPE, &SCHEMA]
}

/// `/ServiceProviderConfig`: what is supported. ETags, sorting, bulk and password changes are
/// not, and say so.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": super::MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The token of the SCIM integration (POST /api/scim), as `Authorization: Bearer <token>`",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// The resource types, `User` (with the enterprise extension) and `Group`.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "description": "Target users",
            "endpoint": "/Users",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "description": "Target groups",
            "endpoint": "/Groups",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// A resource type's schemas: its core schema and its extensions.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub core: &'static Schema,
    pub extensions: &'static [&'static Schema],
}

pub static USER_KIND: Kind = Kind {
    core: &USER,
    extensions: &[&ENTERPRISE],
};

pub static GROUP_KIND: Kind = Kind {
    core: &GROUP,
    extensions: &[],
};

impl Kind {
    /// The extension whose URN is `urn`, ignoring case.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }
}

/// The SCIM attribute paths an integration can map to custom fields (`GET /api/scim/fields`),
/// with fixed resource ids. The base fields (email, names, phone) always sync and are not
/// listed; the department is, last, because it is what Group By usually sorts by.
pub const MAPPABLE_FIELDS: &[(&str, &str)] = &[
    ("scimFld00001", "externalId"),
    ("scimFld00002", "displayName"),
    ("scimFld00003", "nickName"),
    ("scimFld00004", "title"),
    ("scimFld00005", "userType"),
    ("scimFld00006", "preferredLanguage"),
    ("scimFld00007", "locale"),
    ("scimFld00008", "timezone"),
    ("scimFld00009", "addresses[type eq \"work\"].streetAddress"),
    ("scimFld00010", "addresses[type eq \"work\"].locality"),
    ("scimFld00011", "addresses[type eq \"work\"].region"),
    ("scimFld00012", "addresses[type eq \"work\"].postalCode"),
    ("scimFld00013", "addresses[type eq \"work\"].country"),
    ("scimFld00014", "phoneNumbers[type eq \"mobile\"].value"),
    ("scimFld00015", "phoneNumbers[type eq \"work\"].value"),
    (
        "scimFld00016",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ),
    (
        "scimFld00017",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    ),
    (
        "scimFld00018",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    ),
    (
        "scimFld00019",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
    ),
    (
        "scimFld00020",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    ),
    ("scimFld00021", DEPARTMENT_PATH),
];

/// The enterprise `department`: always synchronized as the target user's department, and the
/// usual Group By of an integration (one target group per department).
pub const DEPARTMENT_PATH: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
