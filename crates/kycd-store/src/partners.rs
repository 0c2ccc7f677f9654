//! Partners (API clients).

use crate::{Store, StoreError, conflict, flag, flag_col, now_ms};
use kycd_types::PartnerId;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A partner to create.
#[derive(Debug, Clone)]
pub struct NewPartner {
    /// Display name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// Keyed hash of the API secret.
    pub secret_hash: Vec<u8>,
    /// Encrypted webhook signing key.
    pub signing_key_enc: Vec<u8>,
    /// Direct-processing contract flag.
    pub direct_processing: bool,
    /// Manual review after the automatic result.
    pub manual_review: bool,
    /// Default webhook URL.
    pub webhook_url: Option<String>,
}

/// A stored partner.
#[derive(Debug, Clone)]
pub struct PartnerRow {
    /// Database id.
    pub id: PartnerId,
    /// Display name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// Keyed hash of the API secret.
    pub secret_hash: Vec<u8>,
    /// Encrypted webhook signing key.
    pub signing_key_enc: Vec<u8>,
    /// Direct-processing contract flag.
    pub direct_processing: bool,
    /// Manual review after the automatic result.
    pub manual_review: bool,
    /// Default webhook URL.
    pub webhook_url: Option<String>,
    /// Disabled partners cannot authenticate.
    pub disabled: bool,
    /// Creation time (ms).
    pub created_at: i64,
}

const COLS: &str = "id, name, api_key, secret_hash, signing_key_enc, direct_processing, manual_review, webhook_url, \
                    disabled, created_at";

fn row(r: &AnyRow) -> Result<PartnerRow, sqlx::Error> {
    Ok(PartnerRow {
        id: PartnerId(r.try_get("id")?),
        name: r.try_get("name")?,
        api_key: r.try_get("api_key")?,
        secret_hash: r.try_get("secret_hash")?,
        signing_key_enc: r.try_get("signing_key_enc")?,
        direct_processing: flag_col(r, "direct_processing")?,
        manual_review: flag_col(r, "manual_review")?,
        webhook_url: r.try_get("webhook_url")?,
        disabled: flag_col(r, "disabled")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Creates a partner.
    pub async fn create_partner(&self, p: NewPartner) -> Result<PartnerRow, StoreError> {
        let sql = format!(
            "INSERT INTO partners (name, api_key, secret_hash, signing_key_enc, direct_processing, manual_review, \
             webhook_url, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) RETURNING {COLS}"
        );
        let r = bound!(
            &sql,
            &p.name,
            &p.api_key,
            &p.secret_hash,
            &p.signing_key_enc,
            flag(p.direct_processing),
            flag(p.manual_review),
            &p.webhook_url,
            now_ms()
        )
        .fetch_one(&self.pool)
        .await
        .map_err(conflict("api key"))?;
        Ok(row(&r)?)
    }

    /// Finds a partner by API key.
    pub async fn partner_by_api_key(
        &self,
        api_key: &str,
    ) -> Result<Option<PartnerRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM partners WHERE api_key = $1");
        let r = bound!(&sql, api_key).fetch_optional(&self.pool).await?;
        Ok(r.as_ref().map(row).transpose()?)
    }

    /// Finds a partner by id.
    pub async fn partner_by_id(&self, id: PartnerId) -> Result<Option<PartnerRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM partners WHERE id = $1");
        let r = bound!(&sql, id.0).fetch_optional(&self.pool).await?;
        Ok(r.as_ref().map(row).transpose()?)
    }

    /// Every partner, oldest first.
    pub async fn list_partners(&self) -> Result<Vec<PartnerRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM partners ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(row).collect::<Result<_, _>>()?)
    }

    /// Enables or disables a partner by API key; false when no such partner exists.
    pub async fn set_partner_disabled(
        &self,
        api_key: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        self.changes_one(bound!(
            "UPDATE partners SET disabled = $1 WHERE api_key = $2",
            flag(disabled),
            api_key
        ))
        .await
    }
}
