//! Reference data for the company form: code types, lookups, licences, time zones, and what to
//! suggest once a country is picked.
//!
//! The data is seeded by a migration and is the same for every tenant, so these handlers take
//! no company scope; any authenticated client may read them. The ids the company form accepts
//! (`CountryResourceId`, `TimeZoneId`, `DateFormat`, …) are the ones listed here.

use axum::Json;
use axum::extract::{Path, State};
use latchkey_domain::permission::Tier;
use latchkey_proto::ServiceResult;
use latchkey_proto::lookups::{
    CountryTimeZoneInfoDto, GenericCodeTypeDto, GetTimeZonesServiceResult, License, LicenseDto,
    LicenseModuleDto, LookupDto, LookupRequest, TimeZoneDto,
};
use latchkey_store::lookups::Lookup;
use utoipa_axum::routes;

use crate::api::json::JsonBody;
use crate::auth::bearer::Auth;
use crate::error::{ApiError, ApiResult, ok};
use crate::routes::ApiRoute;
use crate::state::AppState;

/// This module's rows of the route table.
pub fn routes() -> Vec<ApiRoute> {
    vec![
        ApiRoute::new(Tier::Company, routes!(code_types)),
        ApiRoute::new(Tier::Company, routes!(country_time_zones)),
        ApiRoute::new(Tier::Company, routes!(licenses)),
        ApiRoute::new(Tier::Company, routes!(lookups_of_type)),
        ApiRoute::new(Tier::Company, routes!(lookups_of_types)),
        ApiRoute::new(Tier::Company, routes!(time_zones)),
    ]
}

/// The kinds of lookup; each `id` is a `typeId` for `GET /api/lookups/{typeId}`.
#[utoipa::path(
    get,
    path = "/api/codetypes",
    tag = "Lookup",
    summary = "Retrieves the generic code type list of lookups",
    responses((status = 200, body = ServiceResult<Vec<GenericCodeTypeDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn code_types(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> ApiResult<Json<ServiceResult<Vec<GenericCodeTypeDto>>>> {
    let types = state.store.code_types().await?;
    Ok(ok(types
        .into_iter()
        .map(|t| GenericCodeTypeDto {
            id: narrow(t.id),
            name: t.name,
            description: t.description,
        })
        .collect()))
}

/// The lookups of one type, in display order. An unknown type is 404, not an empty list, so a
/// mistyped id does not pass for a type without entries.
#[utoipa::path(
    get,
    path = "/api/lookups/{typeId}",
    tag = "Lookup",
    summary = "Retrieves a list of given lookup type\r\nYou can get the lookup types by using /codetype API",
    params(("typeId" = i32, Path)),
    responses((status = 200, body = ServiceResult<Vec<LookupDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn lookups_of_type(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Path(type_id): Path<String>,
) -> ApiResult<Json<ServiceResult<Vec<LookupDto>>>> {
    // Taken as text so that `/api/lookups/abc` is an INPUT_ERROR envelope, not axum's plain
    // text rejection.
    let type_id: i64 = type_id
        .trim()
        .parse::<i32>()
        .map_err(|_| ApiError::input(vec!["typeId must be a whole number".into()]))?
        .into();
    if state.store.code_type(type_id).await?.is_none() {
        return Err(unknown_type(&type_id.to_string()));
    }
    let lookups = state.store.lookups_of_types(&[type_id]).await?;
    Ok(ok(lookups.into_iter().map(lookup_dto).collect()))
}

/// The lookups of every type in `typeIdList` and of the type named `typeName`, in one list
/// ordered by type and then by display order.
#[utoipa::path(
    post,
    path = "/api/lookups",
    tag = "Lookup",
    summary = "Retrieves lists of given lookup types\r\nYou can get the lookup types by using /codetype API",
    request_body = LookupRequest,
    responses((status = 200, body = ServiceResult<Vec<LookupDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn lookups_of_types(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    JsonBody(request): JsonBody<LookupRequest>,
) -> ApiResult<Json<ServiceResult<Vec<LookupDto>>>> {
    let mut ids: Vec<i64> = request
        .type_id_list
        .unwrap_or_default()
        .into_iter()
        .map(i64::from)
        .collect();
    let name = request.type_name.filter(|n| !n.trim().is_empty());
    if ids.is_empty() && name.is_none() {
        return Err(ApiError::input(vec![
            "typeName or typeIdList is required".into(),
        ]));
    }
    if let Some(name) = name {
        match state.store.code_type_by_name(&name).await? {
            Some(t) => ids.push(t.id),
            None => return Err(unknown_type(&name)),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let known: Vec<i64> = state
        .store
        .code_types()
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
        return Err(unknown_type(&missing.to_string()));
    }
    let lookups = state.store.lookups_of_types(&ids).await?;
    Ok(ok(lookups.into_iter().map(lookup_dto).collect()))
}

/// Every licence type with the modules it includes, and every module.
#[utoipa::path(
    get,
    path = "/api/lookups/licenses",
    tag = "Lookup",
    summary = "Retrieves the list of licenses with modules",
    responses((status = 200, body = ServiceResult<License>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn licenses(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> ApiResult<Json<ServiceResult<License>>> {
    let licenses = state.store.licenses().await?;
    let module = |m: Lookup| LicenseModuleDto {
        resource_id: m.resource_id,
        name: m.name,
        is_available: true,
    };
    Ok(ok(License {
        licenses: licenses
            .types
            .into_iter()
            .map(|t| LicenseDto {
                resource_id: t.license.resource_id,
                name: t.license.name,
                license_modules: t.modules.into_iter().map(module).collect(),
            })
            .collect(),
        all_license_modules: licenses.modules.into_iter().map(module).collect(),
    }))
}

/// The time zones (IANA ids, by standard offset) and the date and time formats a company may
/// use.
#[utoipa::path(
    get,
    path = "/api/timezone/timezones",
    tag = "TimeZone",
    summary = "Returns a list of default system timezones",
    responses((status = 200, body = ServiceResult<GetTimeZonesServiceResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn time_zones(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> ApiResult<Json<ServiceResult<GetTimeZonesServiceResult>>> {
    let zones = state.store.time_zones().await?;
    Ok(ok(GetTimeZonesServiceResult {
        time_zone_list: zones
            .into_iter()
            .map(|z| TimeZoneDto {
                id: z.id,
                display_name: z.display_name,
            })
            .collect(),
        date_format_list: state.store.date_formats().await?,
        time_format_list: state.store.time_formats().await?,
    }))
}

/// For each country, the date and time format, clock, calling code, language and time zone the
/// company form suggests, from the Unicode CLDR. Every value is one the form accepts.
#[utoipa::path(
    get,
    path = "/api/lookups/country-timezones",
    tag = "Lookup",
    summary = "Returns the date, time, language and time zone defaults of every country",
    responses((status = 200, body = ServiceResult<Vec<CountryTimeZoneInfoDto>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = []))
)]
pub async fn country_time_zones(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> ApiResult<Json<ServiceResult<Vec<CountryTimeZoneInfoDto>>>> {
    let defaults = state.store.country_defaults().await?;
    Ok(ok(defaults
        .into_iter()
        .map(|d| CountryTimeZoneInfoDto {
            country_code: d.country_code,
            date_format: d.date_format,
            time_format: d.time_format,
            clock_format: d.clock_format,
            phone_number_code: d.phone_code,
            language_code: d.language_code,
            language_name: d.language_name,
            timezone: d.time_zone_id,
            language_resource_id: d.language_resource_id,
        })
        .collect()))
}

fn unknown_type(what: &str) -> ApiError {
    ApiError::not_found(format!("Lookup type {what} does not exist"))
}

fn lookup_dto(l: Lookup) -> LookupDto {
    LookupDto {
        resource_id: l.resource_id,
        generic_code_type_id: narrow(l.code_type_id),
        generic_code_type_name: l.code_type_name,
        name: l.name,
        code: l.code,
        description: l.description,
        order_number: narrow(l.order_number),
        iso_code: l.iso_code,
        iso_friendly_name: l.iso_friendly_name,
    }
}

/// The contract's integers are int32; the seeded ids and order numbers are small, so this only
/// guards against a hand-edited database.
fn narrow(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}
