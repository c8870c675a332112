//! What `/mcp` offers besides tools: resources an assistant reads to learn the API, and prompts
//! for the requests the platform's documentation gives as examples.
//!
//! The resources are the OpenAPI document (the one `/openapi.json` serves) and the API guide:
//! the README's sections from the top up to "Running it", less the console's, compiled in, so
//! the guide is always the one of this build. The prompts name tools by their names; a test
//! checks that each still exists.

use rmcp::ErrorData;
use rmcp::model::{
    GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, ReadResourceResult,
    Resource, ResourceContents, Role,
};

use crate::state::AppState;

/// What an assistant is told when it connects.
pub const INSTRUCTIONS: &str = "Latchkey serves the Keepnet Labs platform REST API. Each tool is \
one API operation, named by its OpenAPI operationId, listed only when your token's role allows \
it. Pass path parameters by name and the JSON request body as `body`; resellers act on a \
customer by passing its resourceId as `companyId`. A result is the envelope's `data`; a refusal \
is a tool error with the status, the message and the validation messages. Searches take \
{pageNumber, pageSize, orderBy, ascending, filter}. The resources hold the OpenAPI document and \
the API guide. Never ask the user for a client secret or token in the chat.";

const OPENAPI_URI: &str = "latchkey://docs/openapi.json";
const GUIDE_URI: &str = "latchkey://docs/api-guide.md";

const README: &str = include_str!("../../../../README.md");

/// The resources, read once.
pub struct Guide {
    openapi: String,
    guide: String,
}

impl Guide {
    pub fn new(state: &AppState) -> Self {
        Self {
            openapi: String::from_utf8_lossy(&state.openapi).into_owned(),
            guide: api_guide(README),
        }
    }

    pub fn resources(&self) -> Vec<Resource> {
        vec![
            Resource::new(OPENAPI_URI, "openapi.json")
                .with_title("OpenAPI document")
                .with_description(
                    "Every operation of the API: paths, parameters, request and response \
                     schemas, and the permission each demands (x-permission).",
                )
                .with_mime_type("application/json")
                .with_size(self.openapi.len() as u64),
            Resource::new(GUIDE_URI, "api-guide.md")
                .with_title("API guide")
                .with_description(
                    "How to get a token, act on a customer, search and filter, the limits, and \
                     the rules for target users, custom fields and target groups.",
                )
                .with_mime_type("text/markdown")
                .with_size(self.guide.len() as u64),
        ]
    }

    pub fn read(&self, uri: &str) -> Result<ReadResourceResult, ErrorData> {
        let (text, mime) = match uri {
            OPENAPI_URI => (&self.openapi, "application/json"),
            GUIDE_URI => (&self.guide, "text/markdown"),
            _ => {
                return Err(ErrorData::resource_not_found(
                    format!("There is no resource {uri}"),
                    None,
                ));
            }
        };
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text.as_str(), uri).with_mime_type(mime),
        ]))
    }
}

/// The README from its top up to "Running it" (operators' matters follow), without the
/// console's section.
fn api_guide(readme: &str) -> String {
    let mut guide = String::new();
    let mut keep = true;
    for line in readme.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            if heading == "Running it" {
                break;
            }
            keep = heading != "The console";
        }
        if keep {
            guide.push_str(line);
            guide.push('\n');
        }
    }
    guide
}

/// A prompt's arguments, by name: the given ones, trimmed and not empty.
type Arguments<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One documented example request.
struct Example {
    name: &'static str,
    title: &'static str,
    /// `(name, description, required)`.
    arguments: &'static [(&'static str, &'static str, bool)],
    text: fn(Arguments) -> String,
}

const EXAMPLES: &[Example] = &[
    Example {
        name: "list_companies",
        title: "List the companies I manage",
        arguments: &[(
            "nameContains",
            "Only companies whose name contains this",
            false,
        )],
        text: |arg| {
            let filter = arg("nameContains").map_or(String::new(), |name| {
                format!(
                    r#", "filter": {{"filterGroups": [{{"filterItems": [{{"fieldName": "Name", "operator": "Contains", "value": {}}}]}}]}}"#,
                    serde_json::Value::from(name)
                )
            });
            format!(
                "List the companies I manage. Call `post_companies_search` with the body \
                 {{\"pageNumber\": 1, \"pageSize\": 50, \"orderBy\": \"Name\", \"ascending\": \
                 true{filter}}}. Show a table of companyName, resourceId, licenseTypeName, \
                 targetUserCount, numberOfUsers (the licence limit) and licenseEndDate. \
                 `totalNumberOfRecords` tells how many there are: ask before fetching more pages."
            )
        },
    },
    Example {
        name: "onboard_customer",
        title: "Onboard a customer company",
        arguments: &[
            ("companyName", "The customer's name", true),
            ("numberOfUsers", "Licensed number of target users", false),
            (
                "adminEmail",
                "Email of the customer's first administrator",
                false,
            ),
        ],
        text: |arg| {
            let name = arg("companyName").unwrap_or_default();
            let users = arg("numberOfUsers").unwrap_or_else(|| "(ask me)".into());
            let admin = arg("adminEmail").map_or(String::new(), |email| {
                format!(
                    " 4. Add {email} as a system user of the new company with \
                     `post_system_users` (companyId = the new company; body with email, \
                     firstName, lastName and roleResourceIdList holding the Company Admin role \
                     from `get_roles`): they get an email to choose a password."
                )
            });
            format!(
                "Onboard the customer \"{name}\" with {users} licensed users. \
                 1. Gather the form's reference data: `get_lookups_typeId` with typeId 1 \
                 (countries) and 2 (industries), `get_lookups_licenses` (licence types), \
                 typeId 4 (licence periods), `get_timezone_timezones`, and the country's date \
                 and time formats from `get_lookups_country_timezones`; ask me where a choice \
                 is not obvious. 2. Create the company with `post_companies` (body: Name, \
                 IndustryResourceId, CountryResourceId, LicenseTypeResourceId, \
                 LicensePeriodTypeResourceId, NumberOfUsers, TimeZoneId, DateFormat, \
                 TimeFormat); note data.resourceId. 3. Give it a REST API client: \
                 `get_companies_clients_generate_client_credentials` with companyId = the new \
                 company, then `post_companies_clients` with the same companyId and body \
                 {{name, clientId, clientSecret, statusId: 1, roleResourceIdList: [the Company \
                 Admin role's resourceId from `get_roles`]}}.{admin} Finally tell me the \
                 company's resourceId and the client id. The client secret is shown only \
                 once: tell me to store it now and hand it over through a secure channel, \
                 never by chat or email."
            )
        },
    },
    Example {
        name: "add_system_user",
        title: "Add a system user",
        arguments: &[
            ("email", "The user's email address", true),
            ("firstName", "First name", true),
            ("lastName", "Last name", true),
            (
                "companyId",
                "The customer company (leave out for my own)",
                false,
            ),
            (
                "role",
                "The role's name (Company Admin when left out)",
                false,
            ),
        ],
        text: |arg| {
            let company = arg("companyId").map_or("my own company".into(), |c| {
                format!("the company {c} (pass it as companyId to every tool)")
            });
            format!(
                "Add the system user {} {} <{}> to {company}. Find the role \"{}\" with \
                 `get_roles` and create the user with `post_system_users`: body {{email, \
                 firstName, lastName, roleResourceIdList: [the role's resourceId]}}. The user \
                 gets an email with a link to choose a password; if the answer says no email \
                 was sent, tell me that an operator must hand them a link.",
                arg("firstName").unwrap_or_default(),
                arg("lastName").unwrap_or_default(),
                arg("email").unwrap_or_default(),
                arg("role").unwrap_or_else(|| "Company Admin".into()),
            )
        },
    },
    Example {
        name: "list_target_users",
        title: "List target users",
        arguments: &[
            (
                "companyId",
                "The customer company (leave out for my own)",
                false,
            ),
            ("search", "Text to look for in names and emails", false),
        ],
        text: |arg| {
            let company = arg("companyId").map_or(String::new(), |c| {
                format!(" of the company {c} (pass it as companyId)")
            });
            let search = arg("search").map_or(String::new(), |text| {
                format!(
                    r#", "filter": {{"searchInputTextValue": {}}}"#,
                    serde_json::Value::from(text)
                )
            });
            format!(
                "List the target users{company}. Call `post_target_users_search` with the body \
                 {{\"pageNumber\": 1, \"pageSize\": 50{search}}} and show email, firstName, \
                 lastName, department and status. `get_target_users_count_summary` gives the \
                 active, inactive and deleted counts."
            )
        },
    },
    Example {
        name: "add_target_users",
        title: "Add target users",
        arguments: &[
            (
                "users",
                "The users, one a line: email, first name, last name[, department]",
                true,
            ),
            (
                "companyId",
                "The customer company (leave out for my own)",
                false,
            ),
        ],
        text: |arg| {
            let company = arg("companyId").map_or(String::new(), |c| {
                format!(" to the company {c} (pass it as companyId)")
            });
            format!(
                "Add these target users{company}, each with `post_target_users` (body {{email, \
                 firstName, lastName, department}}):\n{}\nReport each one's result. Do not \
                 retry a refusal: an existing email is a CONFLICT, and a full licence is an \
                 INPUT_ERROR that says how many places are left.",
                arg("users").unwrap_or_default()
            )
        },
    },
    Example {
        name: "set_up_scim",
        title: "Set up SCIM provisioning",
        arguments: &[
            (
                "companyId",
                "The customer company (leave out for my own)",
                false,
            ),
            ("identityProvider", "Entra ID, Okta, Google, …", false),
        ],
        text: |arg| {
            let company = arg("companyId").unwrap_or_else(|| "my own company".into());
            let idp = arg("identityProvider").unwrap_or_else(|| "the identity provider".into());
            format!(
                "I want {idp} to provision the target users of {company} by SCIM. Help me set \
                 it up: the company (check it with `get_companies_resourceId`), a name for the \
                 integration (at most 30 characters, unique in the company), the target group \
                 new users should join (list them with `get_target_groups`, or none: users then \
                 stay under People), and which of the company's custom fields \
                 (`get_custom_fields_company`) the identity provider's attributes should fill \
                 (the attributes are listed by `get_scim_fields`). Email, first and last name, \
                 department and phone are synchronized anyway. Ask whether users should be \
                 sorted into a target group per department or per value of a mapped field \
                 (Group By). Then create it with `post_scim` (body {{name, groupResourceId, \
                 groupBySCIMFieldResourceId, fieldMappings: [{{customFieldResourceId, \
                 scimFieldResourceId}}]}}) and give me its `token` and `baseUrl` for the identity \
                 provider's provisioning settings: the token is shown only this once \
                 (`post_scim_resourceId_revoke` issues a new one)."
            )
        },
    },
];

pub fn prompts() -> Vec<Prompt> {
    EXAMPLES
        .iter()
        .map(|example| {
            let arguments = example
                .arguments
                .iter()
                .map(|(name, description, required)| {
                    PromptArgument::new(*name)
                        .with_description(*description)
                        .with_required(*required)
                })
                .collect();
            Prompt::new(example.name, Some(example.title), Some(arguments))
                .with_title(example.title)
        })
        .collect()
}

pub fn prompt(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let example = EXAMPLES
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| ErrorData::invalid_params(format!("There is no prompt {name}"), None))?;
    let arg = |key: &str| -> Option<String> {
        match arguments?.get(key)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let missing: Vec<&str> = example
        .arguments
        .iter()
        .filter(|(key, _, required)| *required && arg(key).is_none())
        .map(|(key, _, _)| *key)
        .collect();
    if !missing.is_empty() {
        return Err(ErrorData::invalid_params(
            format!("The prompt {name} needs {}", missing.join(", ")),
            None,
        ));
    }
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(
        Role::User,
        (example.text)(&arg),
    )])
    .with_description(example.title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_is_the_readmes_api_part() {
        let guide = api_guide(README);
        assert!(guide.starts_with("# Latchkey"));
        for heading in [
            "## Your first token",
            "## What the API covers",
            "## AI assistants",
        ] {
            assert!(guide.contains(heading), "the guide lacks {heading}");
        }
        assert!(!guide.contains("## The console"));
        assert!(!guide.contains("## Running it"));
    }

    #[test]
    fn prompts_name_only_tools_that_exist() {
        let table = crate::routes::table();
        let document = serde_json::to_value(crate::openapi::document(&table, "http://localhost"))
            .expect("document");
        let names: Vec<String> = super::super::tools::tools(&table, &document)
            .iter()
            .map(|t| t.tool.name.to_string())
            .collect();
        for example in EXAMPLES {
            let every = |_: &str| Some("x".to_owned());
            let text = (example.text)(&every);
            let mentioned: Vec<&str> = text
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|word| {
                    ["get_", "post_", "put_", "delete_"]
                        .iter()
                        .any(|m| word.starts_with(m))
                })
                .collect();
            assert!(!mentioned.is_empty(), "{} names no tool", example.name);
            for tool in mentioned {
                assert!(
                    names.iter().any(|n| n == tool),
                    "{}: no tool {tool}",
                    example.name
                );
            }
        }
    }

    #[test]
    fn a_prompt_needs_its_required_arguments() {
        assert!(prompt("add_system_user", None).is_err());
        let arguments =
            serde_json::json!({"email": "a@example.com", "firstName": "A", "lastName": "B"});
        let result = prompt("add_system_user", arguments.as_object()).expect("prompt");
        let text = serde_json::to_string(&result.messages).expect("json");
        assert!(
            text.contains("a@example.com") && text.contains("Company Admin"),
            "{text}"
        );
        assert!(prompt("no_such_prompt", None).is_err());
    }
}
