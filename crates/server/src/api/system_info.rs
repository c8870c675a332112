//! `/api/system-info`: the server's version, and a summary of the company a request acts on.
//!
//! The version comes from the build: the workspace's `CARGO_PKG_VERSION`, and the git commit
//! that `build.rs` found (or `LATCHKEY_GIT_COMMIT` gave) when there was one. The summary is of
//! the caller's company, or of the company the request names (`X-KEEPNET-Company-Id`), with
//! the usual checks: another reseller's customer is 403, an unknown company 404.

use axum::Json;
use axum::extract::State;
use latchkey_domain::time::now_millis;
use latchkey_proto::ServiceResult;
use latchkey_proto::system_info::{
    DataResponse, SystemInfoLicense, SystemInfoSummaryData, VersionInfo,
};

use super::companies::{company_dto, day, license_dto};
use crate::auth::scope::Scoped;
use crate::error::{ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "SystemInfo";

/// What this build is.
pub fn version_info() -> VersionInfo {
    VersionInfo {
        name: "Latchkey".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: option_env!("LATCHKEY_BUILD_COMMIT").map(str::to_owned),
    }
}

#[utoipa::path(get, path = "/api/system-info/version", tag = TAG,
    summary = "Retrieves the version information",
    responses((status = 200, body = ServiceResult<VersionInfo>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn version() -> Json<ServiceResult<VersionInfo>> {
    ok(version_info())
}

/// The version, and the licence and profile of the company the request acts on.
#[utoipa::path(get, path = "/api/system-info/summary", tag = TAG,
    summary = "Retrieves the version information",
    responses((status = 200, body = ServiceResult<SystemInfoSummaryData>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn summary(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<SystemInfoSummaryData>>> {
    let record = state.store.company_record(&scope).await?;
    let end = record.details.license_end_date;
    let license = SystemInfoLicense {
        check: license_dto(&record),
        license_type_name: record.names.get("license_type").cloned().flatten(),
        license_start_date: day(record.details.license_start_date),
        license_end_date: day(end),
        licence_expired: end.is_some_and(|end| end < now_millis()),
    };
    Ok(ok(SystemInfoSummaryData {
        version_info: DataResponse::success(version_info()),
        company_license: DataResponse::success(license),
        company: DataResponse::success(company_dto(record)),
    }))
}
