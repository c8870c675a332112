//! SIEM integrations: a company's destinations for its audit log, and their outboxes.
//!
//! A tour:
//! - [`SiemSettingRow`]: a destination as `/api/companies/siem-settings` manages it, written
//!   through the one write path like every change ([`Store::create_siem_setting`], …). The
//!   HEC token arrives sealed by the server; the store never sees it in clear.
//! - [`DeliveryRow`]: each destination's outbox cursors over its company's chain (what was
//!   sent, and what is sure to have arrived) with what the last attempt did. Delivering is
//!   bookkeeping: it writes no audit record, or forwarding a record would make another one to
//!   forward.
//! - The forwarder's side: [`Store::claim_siem_destinations`] leases active destinations to
//!   one server at a time, [`Store::audit_records_after`] reads what follows a cursor, and
//!   [`Store::siem_delivered`] / [`Store::siem_failed`] move the cursor or note the failure,
//!   each only while the lease is still the caller's.

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::siem::{Destination, Transport};
use latchkey_domain::time::now_millis;
use latchkey_proto::search::SearchRequest;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{AuditRecord, RECORD_COLUMNS, record_row};
use crate::error::OnUnique;
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Store, StoreError, flag};

const DUPLICATE_NAME: &str = "A SIEM integration with this name";

/// What SIEM settings can be searched and sorted by.
pub const SIEM_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "s.name"),
        Field::text("ApiUrl", "s.api_url"),
        Field::text("ServerAddress", "s.server_address"),
        Field::of("ResourceId", "s.resource_id", Kind::Text),
        Field::of(
            "TypeId",
            "s.type_id",
            Kind::Enum(&[("1", 1), ("2", 2), ("Splunk", 1), ("Syslog", 2)]),
        ),
        Field::of(
            "StatusId",
            "s.status_id",
            Kind::Enum(&[("0", 0), ("1", 1), ("Inactive", 0), ("Active", 1)]),
        ),
        Field::of("CreateTime", "s.create_time", Kind::Date),
        Field::of("UpdateTime", "s.update_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "s.id",
};

/// How forwarding to a destination is going.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryRow {
    pub delivered_seq: i64,
    /// The last record sure to have arrived: where a server that takes over resumes.
    pub confirmed_seq: i64,
    pub delivered_count: i64,
    pub last_delivery_time: Option<i64>,
    pub failed_attempts: i64,
    pub last_error: Option<String>,
    pub last_error_time: Option<i64>,
    pub next_attempt_time: Option<i64>,
    /// The company chain's last sequence number: `head_seq - delivered_seq` is the backlog.
    pub head_seq: i64,
}

impl DeliveryRow {
    pub fn backlog(&self) -> i64 {
        (self.head_seq - self.delivered_seq).max(0)
    }
}

/// A destination as a scoped read (or the forwarder's claim) found it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SiemSettingRow {
    pub key: i64,
    pub company_id: i64,
    pub company_resource_id: String,
    pub resource_id: String,
    pub name: String,
    pub type_id: i64,
    pub status_id: i64,
    pub forward_history: bool,
    pub api_url: Option<String>,
    pub token_sealed: Option<Vec<u8>>,
    pub server_address: Option<String>,
    pub port: Option<i64>,
    pub connection_type: Option<String>,
    pub ca_pem: Option<String>,
    pub cef_vendor: String,
    pub cef_product: String,
    pub create_time: i64,
    pub update_time: i64,
    pub delivery: DeliveryRow,
}

impl SiemSettingRow {
    pub fn is_active(&self) -> bool {
        self.status_id == latchkey_domain::user::STATUS_ACTIVE
    }

    /// The destination as stored (a Splunk token stays sealed: `None` here).
    pub fn destination(&self) -> Option<Destination> {
        match self.type_id {
            latchkey_domain::siem::TYPE_SPLUNK => Some(Destination::Splunk {
                api_url: self.api_url.clone()?,
                token: None,
            }),
            latchkey_domain::siem::TYPE_SYSLOG => Some(Destination::Syslog {
                server_address: self.server_address.clone()?,
                port: u16::try_from(self.port?).ok()?,
                transport: Transport::parse(self.connection_type.as_deref()?)?,
            }),
            _ => None,
        }
    }
}

/// A destination's settings, validated at the edge.
#[derive(Debug, Clone)]
pub struct SiemSettingInput<'a> {
    pub name: &'a str,
    pub destination: &'a Destination,
    /// The token sealed by the server; `None` keeps the stored one (an update) or has none.
    pub token_sealed: Option<Vec<u8>>,
    pub status_id: i64,
    pub forward_history: bool,
    pub ca_pem: Option<&'a str>,
    pub cef_vendor: &'a str,
    pub cef_product: &'a str,
}

impl SiemSettingInput<'_> {
    /// The columns of the destination: api_url, server_address, port, connection_type.
    fn columns(
        &self,
    ) -> (
        Option<&str>,
        Option<&str>,
        Option<i64>,
        Option<&'static str>,
    ) {
        match self.destination {
            Destination::Splunk { api_url, .. } => (Some(api_url), None, None, None),
            Destination::Syslog {
                server_address,
                port,
                transport,
            } => (
                None,
                Some(server_address),
                Some(i64::from(*port)),
                Some(transport.as_str()),
            ),
        }
    }

    /// What the audit log shows of these settings.
    fn state(&self, has_token: bool) -> serde_json::Value {
        let (api_url, server_address, port, connection_type) = self.columns();
        Shown {
            name: self.name,
            type_id: self.destination.type_id(),
            status_id: self.status_id,
            forward_history: self.forward_history,
            api_url,
            server_address,
            port,
            connection_type,
            has_token,
            has_ca: self.ca_pem.is_some(),
            cef_vendor: self.cef_vendor,
            cef_product: self.cef_product,
        }
        .json()
    }
}

impl SiemSettingRow {
    /// What the audit log shows of the stored settings.
    fn state(&self) -> serde_json::Value {
        Shown {
            name: &self.name,
            type_id: self.type_id,
            status_id: self.status_id,
            forward_history: self.forward_history,
            api_url: self.api_url.as_deref(),
            server_address: self.server_address.as_deref(),
            port: self.port,
            connection_type: self.connection_type.as_deref(),
            has_token: self.token_sealed.is_some(),
            has_ca: self.ca_pem.is_some(),
            cef_vendor: &self.cef_vendor,
            cef_product: &self.cef_product,
        }
        .json()
    }
}

/// A destination's settings as the audit log shows them: no token, only whether one is set.
struct Shown<'a> {
    name: &'a str,
    type_id: i64,
    status_id: i64,
    forward_history: bool,
    api_url: Option<&'a str>,
    server_address: Option<&'a str>,
    port: Option<i64>,
    connection_type: Option<&'a str>,
    has_token: bool,
    has_ca: bool,
    cef_vendor: &'a str,
    cef_product: &'a str,
}

impl Shown<'_> {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "typeId": self.type_id,
            "statusId": self.status_id,
            "isForwardHistoricalAuditLog": self.forward_history,
            "apiUrl": self.api_url,
            "hasToken": self.has_token,
            "serverAddress": self.server_address,
            "port": self.port,
            "connectionType": self.connection_type,
            "hasCaCertificate": self.has_ca,
            "cefVendor": self.cef_vendor,
            "cefProduct": self.cef_product,
        })
    }
}

/// A row of `POST /api/companies/siem-settings/search`.
#[derive(Debug, Clone)]
pub struct SiemSearchRow {
    pub resource_id: String,
    pub name: String,
    pub api_url: Option<String>,
    pub type_id: i64,
    pub status_id: i64,
    pub create_time: i64,
    pub delivery: DeliveryRow,
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

const DELIVERY_COLUMNS: &str = "d.delivered_seq, d.confirmed_seq, d.delivered_count, d.last_delivery_time, \
    d.failed_attempts, d.last_error, d.last_error_time, d.next_attempt_time, \
    COALESCE(h.seq, 0) AS head_seq";

const SETTING_COLUMNS: &str = "s.id, s.company_id, c.resource_id AS company_resource_id, \
    s.resource_id, s.name, s.type_id, s.status_id, s.forward_history, s.api_url, s.token_sealed, \
    s.server_address, s.port, s.connection_type, s.ca_pem, s.cef_vendor, s.cef_product, \
    s.create_time, s.update_time";

const SETTING_FROM: &str = "FROM siem_settings s JOIN companies c ON c.id = s.company_id \
    JOIN siem_deliveries d ON d.setting_id = s.id \
    LEFT JOIN audit_chain_heads h ON h.company_id = s.company_id";

fn delivery_row(r: &AnyRow) -> Result<DeliveryRow, StoreError> {
    Ok(DeliveryRow {
        delivered_seq: r.try_get("delivered_seq")?,
        confirmed_seq: r.try_get("confirmed_seq")?,
        delivered_count: r.try_get("delivered_count")?,
        last_delivery_time: r.try_get("last_delivery_time")?,
        failed_attempts: r.try_get("failed_attempts")?,
        last_error: r.try_get("last_error")?,
        last_error_time: r.try_get("last_error_time")?,
        next_attempt_time: r.try_get("next_attempt_time")?,
        head_seq: r.try_get("head_seq")?,
    })
}

fn setting_row(r: &AnyRow) -> Result<SiemSettingRow, StoreError> {
    Ok(SiemSettingRow {
        key: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        company_resource_id: r.try_get("company_resource_id")?,
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        type_id: r.try_get("type_id")?,
        status_id: r.try_get("status_id")?,
        forward_history: flag(r.try_get("forward_history")?),
        api_url: r.try_get("api_url")?,
        token_sealed: r.try_get("token_sealed")?,
        server_address: r.try_get("server_address")?,
        port: r.try_get("port")?,
        connection_type: r.try_get("connection_type")?,
        ca_pem: r.try_get("ca_pem")?,
        cef_vendor: r.try_get("cef_vendor")?,
        cef_product: r.try_get("cef_product")?,
        create_time: r.try_get("create_time")?,
        update_time: r.try_get("update_time")?,
        delivery: delivery_row(r)?,
    })
}

impl Store {
    /// Creates a destination. Its cursor starts at the company's first record when the whole
    /// log is to be forwarded, otherwise after the last record so far (so this creation's own
    /// record is the first it sends). A name the company uses already (any case) is a
    /// conflict.
    pub async fn create_siem_setting(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
        input: &SiemSettingInput<'_>,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let (api_url, server_address, port, connection_type) = input.columns();
        let has_token = input.token_sealed.is_some();
        let mut tx = self.write(scope).await?;
        let key: i64 = sqlx::query(
            "INSERT INTO siem_settings (resource_id, company_id, name, name_folded, type_id, \
             status_id, forward_history, api_url, token_sealed, server_address, port, \
             connection_type, ca_pem, cef_vendor, cef_product, create_time, update_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
             RETURNING id",
        )
        .bind(id.as_str())
        .bind(scope.company_id())
        .bind(input.name)
        .bind(fold(input.name))
        .bind(input.destination.type_id())
        .bind(input.status_id)
        .bind(i64::from(input.forward_history))
        .bind(api_url)
        .bind(input.token_sealed.clone())
        .bind(server_address)
        .bind(port)
        .bind(connection_type)
        .bind(input.ca_pem)
        .bind(input.cef_vendor)
        .bind(input.cef_product)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .on_unique(DUPLICATE_NAME)?
        .try_get("id")?;
        let start = if input.forward_history {
            "0".to_owned()
        } else {
            "COALESCE((SELECT seq FROM audit_chain_heads WHERE company_id = $2), 0)".to_owned()
        };
        sqlx::query(&format!(
            "INSERT INTO siem_deliveries (setting_id, company_id, delivered_seq, confirmed_seq) \
             VALUES ($1, $2, {start}, {start})"
        ))
        .bind(key)
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await?;
        tx.record(
            Entry::new(
                "SiemSetting",
                id.as_str(),
                Operation::Create,
                format!("SIEM integration '{}' created", input.name),
            )
            .new_state(input.state(has_token)),
        );
        tx.commit().await?;
        Ok(())
    }

    /// The company's destination `id`, with its delivery state.
    pub async fn siem_setting(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<SiemSettingRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {SETTING_COLUMNS}, {DELIVERY_COLUMNS} {SETTING_FROM} \
             WHERE s.resource_id = $1 AND s.company_id = $2"
        ))
        .bind(id.as_str())
        .bind(scope.company_id())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(setting_row)
        .transpose()
    }

    fn siem_search(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<SearchQuery<SiemSearchRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let company = params.int(scope.company_id());
        SearchQuery::new(
            &SIEM_SEARCH,
            request,
            params,
            format!(
                "SELECT s.resource_id, s.name, s.api_url, s.type_id, s.status_id, s.create_time, \
                 {DELIVERY_COLUMNS}"
            ),
            |condition| format!("{SETTING_FROM} WHERE s.company_id = {company} AND {condition}"),
            |r| {
                Ok(SiemSearchRow {
                    resource_id: r.try_get("resource_id")?,
                    name: r.try_get("name")?,
                    api_url: r.try_get("api_url")?,
                    type_id: r.try_get("type_id")?,
                    status_id: r.try_get("status_id")?,
                    create_time: r.try_get("create_time")?,
                    delivery: delivery_row(r)?,
                })
            },
        )
    }

    /// One page of the company's destinations.
    pub async fn search_siem_settings(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<(Vec<SiemSearchRow>, i64, Compiled), StoreError> {
        self.siem_search(scope, request)?.page(self).await
    }

    /// The rows of an export, streamed.
    pub fn export_siem_settings(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<SiemSearchRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(self.siem_search(scope, request)?.stream(self))
    }

    /// Replaces a destination's settings (a `None` token keeps the stored one). Turning
    /// history forwarding on rewinds the cursor to the company's first record; a changed
    /// address keeps it, so the new receiver gets what the old one had not.
    pub async fn update_siem_setting(
        &self,
        scope: &CompanyScope,
        current: &SiemSettingRow,
        input: &SiemSettingInput<'_>,
    ) -> Result<(), StoreError> {
        let (api_url, server_address, port, connection_type) = input.columns();
        // A token kept only while the destination stays Splunk.
        let keep_token = input.token_sealed.is_none()
            && input.destination.type_id() == latchkey_domain::siem::TYPE_SPLUNK;
        let token = if keep_token {
            current.token_sealed.clone()
        } else {
            input.token_sealed.clone()
        };
        let mut tx = self.write(scope).await?;
        sqlx::query(
            "UPDATE siem_settings SET name = $1, name_folded = $2, type_id = $3, status_id = $4, \
             forward_history = $5, api_url = $6, token_sealed = $7, server_address = $8, \
             port = $9, connection_type = $10, ca_pem = $11, cef_vendor = $12, cef_product = $13, \
             update_time = $14 WHERE id = $15 AND company_id = $16",
        )
        .bind(input.name)
        .bind(fold(input.name))
        .bind(input.destination.type_id())
        .bind(input.status_id)
        .bind(i64::from(input.forward_history))
        .bind(api_url)
        .bind(token.clone())
        .bind(server_address)
        .bind(port)
        .bind(connection_type)
        .bind(input.ca_pem)
        .bind(input.cef_vendor)
        .bind(input.cef_product)
        .bind(now_millis())
        .bind(current.key)
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await
        .on_unique(DUPLICATE_NAME)?;
        // A changed destination is tried at once, with a clean slate.
        let rewind = if input.forward_history && !current.forward_history {
            "delivered_seq = 0, confirmed_seq = 0, "
        } else {
            ""
        };
        sqlx::query(&format!(
            "UPDATE siem_deliveries SET {rewind}failed_attempts = 0, next_attempt_time = NULL \
             WHERE setting_id = $1"
        ))
        .bind(current.key)
        .execute(&mut *tx)
        .await?;
        tx.record(
            Entry::new(
                "SiemSetting",
                current.resource_id.as_str(),
                Operation::Update,
                format!("SIEM integration '{}' updated", input.name),
            )
            .old(current.state())
            .new_state(input.state(token.is_some())),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a destination and its cursor: nothing more is sent to it.
    pub async fn delete_siem_setting(
        &self,
        scope: &CompanyScope,
        current: &SiemSettingRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        sqlx::query("DELETE FROM siem_settings WHERE id = $1 AND company_id = $2")
            .bind(current.key)
            .bind(scope.company_id())
            .execute(&mut *tx)
            .await?;
        tx.record(
            Entry::new(
                "SiemSetting",
                current.resource_id.as_str(),
                Operation::Delete,
                format!("SIEM integration '{}' deleted", current.name),
            )
            .old(serde_json::json!({"name": current.name, "typeId": current.type_id})),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Leases to `owner`, until `lease_ms` from now, every active destination that no other
    /// server holds (or whose holder's lease ran out), renewing the ones it holds; answers
    /// the destinations it holds now. One statement, so that two servers cannot both take one.
    pub async fn claim_siem_destinations(
        &self,
        owner: &str,
        lease_ms: i64,
    ) -> Result<Vec<SiemSettingRow>, StoreError> {
        let now = now_millis();
        sqlx::query(
            "UPDATE siem_deliveries SET lease_owner = $1, lease_expires = $2 \
             WHERE (lease_owner = $1 OR lease_owner IS NULL OR lease_expires < $3) \
             AND setting_id IN (SELECT id FROM siem_settings WHERE status_id = $4)",
        )
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .bind(latchkey_domain::user::STATUS_ACTIVE)
        .execute(self.pool())
        .await?;
        sqlx::query(&format!(
            "SELECT {SETTING_COLUMNS}, {DELIVERY_COLUMNS} {SETTING_FROM} \
             WHERE d.lease_owner = $1 AND d.lease_expires >= $2 AND s.status_id = $3 ORDER BY s.id"
        ))
        .bind(owner)
        .bind(now)
        .bind(latchkey_domain::user::STATUS_ACTIVE)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(setting_row)
        .collect()
    }

    /// Hands back every destination `owner` holds, for another server to take at once (a
    /// graceful shutdown).
    pub async fn release_siem_destinations(&self, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE siem_deliveries SET lease_owner = NULL, lease_expires = 0 WHERE lease_owner = $1",
        )
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Up to `limit` records of the company's chain after `seq`, in chain order.
    pub async fn audit_records_after(
        &self,
        company_id: i64,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        sqlx::query(&format!(
            "{RECORD_COLUMNS} FROM audit_logs l WHERE l.company_id = $1 AND l.seq > $2 \
             ORDER BY l.seq LIMIT $3"
        ))
        .bind(company_id)
        .bind(seq)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(record_row)
        .collect()
    }

    /// Moves the destination's cursors after `count` records were sent: `delivered` is the last
    /// record sent, `confirmed` the last one sure to have arrived; renews the lease. False when
    /// the lease is no longer `owner`'s: another server delivers from here, and this one must
    /// stop. (A resend after a failure moves the cursors back; the caller keeps them in order.)
    pub async fn siem_delivered(
        &self,
        setting: i64,
        owner: &str,
        delivered: i64,
        confirmed: i64,
        count: i64,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let done = sqlx::query(
            "UPDATE siem_deliveries SET delivered_seq = $1, confirmed_seq = $2, \
             delivered_count = delivered_count + $3, last_delivery_time = $4, failed_attempts = 0, \
             next_attempt_time = NULL, lease_expires = $5 WHERE setting_id = $6 AND lease_owner = $7",
        )
        .bind(delivered)
        .bind(confirmed)
        .bind(count)
        .bind(now)
        .bind(now + lease_ms)
        .bind(setting)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes a failed attempt and when the next one is due, renewing the lease. False when
    /// the lease is no longer `owner`'s.
    /// `resend_from` is where the next attempt starts: what follows it counts as not
    /// delivered.
    pub async fn siem_failed(
        &self,
        setting: i64,
        owner: &str,
        error: &str,
        resend_from: i64,
        next_attempt: i64,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let done = sqlx::query(
            "UPDATE siem_deliveries SET failed_attempts = failed_attempts + 1, delivered_seq = $1, \
             last_error = $2, last_error_time = $3, next_attempt_time = $4, lease_expires = $5 \
             WHERE setting_id = $6 AND lease_owner = $7",
        )
        .bind(resend_from)
        .bind(error)
        .bind(now)
        .bind(next_attempt)
        .bind(now + lease_ms)
        .bind(setting)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
