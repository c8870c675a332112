//! Typed methods for the operations the `latchkey api` commands use. Each is one request;
//! flows (onboarding, the import) are composed by the caller. `company` is the company the
//! request acts on (`X-KEEPNET-Company-Id`), or the caller's own when `None`.

use latchkey_proto::clients::{ClientCredentialDto, ClientRequest};
use latchkey_proto::companies::CompanyPagedResults;
use latchkey_proto::envelope::IdResult;
use latchkey_proto::jobs::JobDetailResult;
use latchkey_proto::lookups::{CountryTimeZoneInfoDto, GetTimeZonesServiceResult, LookupDto};
use latchkey_proto::roles::RoleSummaryDto;
use latchkey_proto::search::SearchRequest;
use latchkey_proto::system_info::{SystemInfoSummaryData, VersionInfo};
use latchkey_proto::target_user_import::{
    CreateMappingRequest, ImportRequest, ImportStarted, MappingJobDto, MappingJobStarted,
    SearchTmpTargetUserServiceResult, UploadFileDto, UploadedFileDto,
};

use crate::{Answer, Body, Client, Download, Error, Form, Method, Result};

/// The file type of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Excel,
}

impl ExportFormat {
    /// `exportType` as the API takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "Csv",
            ExportFormat::Excel => "Excel",
        }
    }
}

/// The platform's code type ids of the company form's lookups (`GET /api/lookups/{id}`).
pub mod lookup_types {
    pub const COUNTRY: i64 = 1;
    pub const INDUSTRY: i64 = 2;
    pub const LICENSE_TYPE: i64 = 3;
    pub const LICENSE_PERIOD_TYPE: i64 = 4;
}

impl Client {
    /// `POST /api/companies/search`.
    pub async fn companies_search(
        &self,
        company: Option<&str>,
        request: &SearchRequest,
    ) -> Result<CompanyPagedResults> {
        self.call(
            Method::POST,
            "/api/companies/search",
            company,
            Body::json(request)?,
        )
        .await
    }

    /// `POST /api/companies/search/export` in `format`.
    pub async fn companies_export(
        &self,
        company: Option<&str>,
        request: &SearchRequest,
        format: ExportFormat,
    ) -> Result<Download> {
        let request = SearchRequest {
            export_type: Some(format.as_str().to_owned()),
            report_all_pages: request.report_all_pages.or(Some(true)),
            ..request.clone()
        };
        self.download(
            Method::POST,
            "/api/companies/search/export",
            company,
            Body::json(&request)?,
        )
        .await
    }

    /// `POST /api/companies` (the multipart company form), under the caller's company or the
    /// reseller `parent` names.
    pub async fn create_company(&self, parent: Option<&str>, form: &Form) -> Result<IdResult> {
        self.call(Method::POST, "/api/companies", parent, form.clone())
            .await
    }

    /// `GET /api/lookups/{typeId}`.
    pub async fn lookups(&self, type_id: i64) -> Result<Vec<LookupDto>> {
        self.call(
            Method::GET,
            &format!("/api/lookups/{type_id}"),
            None,
            Body::Empty,
        )
        .await
    }

    /// `GET /api/lookups/country-timezones`: each country's suggested zone and formats.
    pub async fn country_defaults(&self) -> Result<Vec<CountryTimeZoneInfoDto>> {
        self.call(
            Method::GET,
            "/api/lookups/country-timezones",
            None,
            Body::Empty,
        )
        .await
    }

    /// `GET /api/timezone/timezones`: the zones and the date and time formats.
    pub async fn time_zones(&self) -> Result<GetTimeZonesServiceResult> {
        self.call(Method::GET, "/api/timezone/timezones", None, Body::Empty)
            .await
    }

    /// `GET /api/roleswithavailable`: every role the company may give.
    pub async fn available_roles(&self, company: Option<&str>) -> Result<Vec<RoleSummaryDto>> {
        self.call(Method::GET, "/api/roleswithavailable", company, Body::Empty)
            .await
    }

    /// `GET /api/companies/clients/generate-client-credentials`.
    pub async fn generate_client_credentials(
        &self,
        company: Option<&str>,
    ) -> Result<ClientCredentialDto> {
        self.call(
            Method::GET,
            "/api/companies/clients/generate-client-credentials",
            company,
            Body::Empty,
        )
        .await
    }

    /// `POST /api/companies/clients`.
    pub async fn create_client(
        &self,
        company: Option<&str>,
        request: &ClientRequest,
    ) -> Result<IdResult> {
        self.call(
            Method::POST,
            "/api/companies/clients",
            company,
            Body::json(request)?,
        )
        .await
    }

    /// `POST /api/target-users/upload` with the file as `File`.
    pub async fn upload_target_users(
        &self,
        company: Option<&str>,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadFileDto> {
        let form = Form::new().file("File", file_name, bytes);
        self.call(Method::POST, "/api/target-users/upload", company, form)
            .await
    }

    /// `GET /api/target-users/upload/{transactionId}`: the sheets and columns of the upload.
    pub async fn uploaded_file(
        &self,
        company: Option<&str>,
        transaction_id: &str,
    ) -> Result<UploadedFileDto> {
        self.call(
            Method::GET,
            &format!("/api/target-users/upload/{}", segment(transaction_id)),
            company,
            Body::Empty,
        )
        .await
    }

    /// `POST /api/target-users/example-file`: the import template, whose header row names
    /// every column the import takes (the custom fields included).
    pub async fn import_template(
        &self,
        company: Option<&str>,
        format: ExportFormat,
    ) -> Result<Download> {
        self.download(
            Method::POST,
            "/api/target-users/example-file",
            company,
            Body::Json(serde_json::json!({ "exportType": format.as_str() })),
        )
        .await
    }

    /// `POST /api/target-users/create-mapping`: starts the mapping job.
    pub async fn create_mapping(
        &self,
        company: Option<&str>,
        request: &CreateMappingRequest,
    ) -> Result<MappingJobStarted> {
        self.call(
            Method::POST,
            "/api/target-users/create-mapping",
            company,
            Body::json(request)?,
        )
        .await
    }

    /// `GET /api/target-users/mapping-job/{resourceId}`.
    pub async fn mapping_job(&self, company: Option<&str>, job: &str) -> Result<MappingJobDto> {
        self.call(
            Method::GET,
            &format!("/api/target-users/mapping-job/{}", segment(job)),
            company,
            Body::Empty,
        )
        .await
    }

    /// `POST /api/target-users/{transactionId}/search`: the preview, which the contract sends
    /// without the envelope.
    pub async fn import_preview(
        &self,
        company: Option<&str>,
        transaction_id: &str,
        request: &SearchRequest,
    ) -> Result<SearchTmpTargetUserServiceResult> {
        let path = format!("/api/target-users/{}/search", segment(transaction_id));
        let url = self.url(&path);
        match self
            .call_any(Method::POST, &path, company, Body::json(request)?)
            .await?
        {
            Answer::Json(v) | Answer::Data(v) => {
                serde_json::from_value(v).map_err(|source| Error::Decode { url, source })
            }
            Answer::File(_) => Err(Error::Http {
                http: 200,
                url,
                body: "a file, not the preview".into(),
            }),
        }
    }

    /// `POST /api/target-users/{transactionId}/import`: starts the import job.
    pub async fn import_target_users(
        &self,
        company: Option<&str>,
        transaction_id: &str,
        request: &ImportRequest,
    ) -> Result<ImportStarted> {
        self.call(
            Method::POST,
            &format!("/api/target-users/{}/import", segment(transaction_id)),
            company,
            Body::json(request)?,
        )
        .await
    }

    /// `GET /api/jobs/{resourceId}`.
    pub async fn job(&self, company: Option<&str>, job: &str) -> Result<JobDetailResult> {
        self.call(
            Method::GET,
            &format!("/api/jobs/{}", segment(job)),
            company,
            Body::Empty,
        )
        .await
    }

    /// `GET /api/system-info/version`.
    pub async fn version(&self) -> Result<VersionInfo> {
        self.call(Method::GET, "/api/system-info/version", None, Body::Empty)
            .await
    }

    /// `GET /api/system-info/summary`.
    pub async fn system_summary(&self, company: Option<&str>) -> Result<SystemInfoSummaryData> {
        self.call(
            Method::GET,
            "/api/system-info/summary",
            company,
            Body::Empty,
        )
        .await
    }
}

/// An id as one path segment: ids the server issued are letters and digits, and anything
/// else is escaped so that it cannot reach another path.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_stay_in_their_segment() {
        assert_eq!(super::segment("Ab12_-"), "Ab12_-");
        assert_eq!(super::segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
