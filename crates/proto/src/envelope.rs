//! The response envelope and the status table.
//!
//! The contract's `ServiceResult<T>` has four fields; we add `isSuccess` because the platform's
//! quickstart tells integrators to test it (DESIGN.md, decision 1).

use serde::{Deserialize, Serialize};

/// One row per outcome: the `status` string a client sees, the HTTP status it travels with, and
/// the default human message. Adding an outcome means adding one row here.
macro_rules! result_statuses {
    ($($variant:ident => $wire:literal, $http:literal, $message:literal;)*) => {
        /// The `status` field of the envelope.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ResultStatus {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl ResultStatus {
            /// Every status, in table order.
            pub const ALL: &'static [ResultStatus] = &[$(ResultStatus::$variant,)*];

            /// The string on the wire, e.g. `INPUT_ERROR`.
            pub const fn as_str(self) -> &'static str {
                match self { $(ResultStatus::$variant => $wire,)* }
            }

            /// The HTTP status code this outcome is sent with.
            pub const fn http_status(self) -> u16 {
                match self { $(ResultStatus::$variant => $http,)* }
            }

            /// The message used when the handler has nothing more specific to say.
            pub const fn default_message(self) -> &'static str {
                match self { $(ResultStatus::$variant => $message,)* }
            }
        }
    };
}

result_statuses! {
    Success             => "SUCCESS",               200, "Success";
    InputError          => "INPUT_ERROR",           400, "Invalid request";
    Unauthorized        => "UNAUTHORIZED",          401, "Authentication is required: send a valid bearer token";
    Forbidden           => "FORBIDDEN",             403, "You do not have permission to perform this action";
    NotFound            => "NOT_FOUND",             404, "The requested resource was not found";
    MethodNotAllowed    => "METHOD_NOT_ALLOWED",    405, "This method is not allowed on this resource";
    RequestTimeout      => "REQUEST_TIMEOUT",       408, "The request body did not arrive in time";
    Conflict            => "CONFLICT",              409, "The request conflicts with the current state of the resource";
    PayloadTooLarge     => "PAYLOAD_TOO_LARGE",     413, "The request body is too large";
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported content type: send application/json";
    TooManyRequests     => "TOO_MANY_REQUESTS",     429, "Too many requests: retry after the time given in Retry-After";
    InternalServerError => "INTERNAL_SERVER_ERROR", 500, "An internal error occurred";
    ServiceUnavailable  => "SERVICE_UNAVAILABLE",   503, "The service is not ready";
}

// By hand: the derive does not see the `serde(rename)` that the table's macro writes, and
// published the variant names (`Success`) instead of the strings on the wire (`SUCCESS`).
impl utoipa::PartialSchema for ResultStatus {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ResultStatus::ALL.iter().map(|s| s.as_str())))
            .description(Some("The `status` field of the envelope."))
            .into()
    }
}

impl utoipa::ToSchema for ResultStatus {}

impl std::fmt::Display for ResultStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ServiceResult<T>`: the body of every `/api` response, success or failure.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceResult<T> {
    pub data: Option<T>,
    pub status: ResultStatus,
    pub message: Option<String>,
    pub validation_messages: Option<Vec<String>>,
    pub is_success: bool,
}

impl<T> ServiceResult<T> {
    pub fn success(data: T) -> Self {
        Self {
            data: Some(data),
            status: ResultStatus::Success,
            message: None,
            validation_messages: None,
            is_success: true,
        }
    }

    pub fn failure(
        status: ResultStatus,
        message: impl Into<String>,
        validation_messages: Option<Vec<String>>,
    ) -> Self {
        Self {
            data: None,
            status,
            message: Some(message.into()),
            validation_messages,
            is_success: false,
        }
    }
}

/// `IdResult`: what create, update and delete calls return in `data`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdResult {
    pub resource_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_envelope_has_all_five_fields() {
        let body = ServiceResult::<()>::failure(
            ResultStatus::InputError,
            "Invalid request",
            Some(vec!["Role should be selected".into()]),
        );
        let json = serde_json::to_value(&body).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({
                "data": null,
                "status": "INPUT_ERROR",
                "message": "Invalid request",
                "validationMessages": ["Role should be selected"],
                "isSuccess": false
            })
        );
    }

    #[test]
    fn the_schema_lists_the_wire_strings() {
        let schema = serde_json::to_value(<ResultStatus as utoipa::PartialSchema>::schema())
            .expect("serializable");
        let listed: Vec<&str> = schema["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let wire: Vec<&str> = ResultStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(listed, wire);
        assert!(listed.contains(&"SUCCESS"));
    }

    #[test]
    fn wire_strings_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in ResultStatus::ALL {
            assert!(seen.insert(s.as_str()), "duplicate status {s}");
        }
    }
}
