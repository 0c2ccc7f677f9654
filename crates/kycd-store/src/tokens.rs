//! Verification tokens (sessions).

use crate::{Store, StoreError, flag, now_ms};
use kycd_types::PartnerId;
use kycd_types::token::TokenSettings;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Owner.
    pub partner_id: PartnerId,
    /// The effective settings (holds authToken, scanRef, clientId …).
    pub settings: TokenSettings,
    /// Creation time (ms).
    pub created_at: i64,
    /// Expiry time (ms).
    pub expires_at: i64,
}

/// A stored token.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Owner.
    pub partner_id: PartnerId,
    /// The effective settings.
    pub settings: TokenSettings,
    /// Creation time (ms).
    pub created_at: i64,
    /// Expiry time (ms).
    pub expires_at: i64,
    /// When it was consumed (ms).
    pub used_at: Option<i64>,
    /// NFC required (cannot be used with direct processing).
    pub nfc_required: bool,
    /// A questionnaire must be answered (cannot be done with direct processing).
    pub questionnaire_required: bool,
    /// When its personal data was erased (ms).
    pub deleted_at: Option<i64>,
}

impl TokenRow {
    /// Unused and unexpired at `now` (ms).
    pub fn is_usable(&self, now: i64) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

fn row(store: &Store, r: &AnyRow) -> Result<TokenRow, StoreError> {
    let json = store
        .seal
        .open_text(r.try_get("settings_json")?, "token settings")?;
    Ok(TokenRow {
        partner_id: PartnerId(r.try_get("partner_id")?),
        settings: serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("token settings: {e}")))?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        nfc_required: r.try_get::<i64, _>("nfc_required")? != 0,
        questionnaire_required: r.try_get::<i64, _>("questionnaire_required")? != 0,
        deleted_at: r.try_get("deleted_at")?,
    })
}

const COLS: &str = "partner_id, settings_json, created_at, expires_at, used_at, nfc_required, questionnaire_required, deleted_at";

impl Store {
    /// Stores a new token.
    pub async fn insert_token(&self, t: &NewToken) -> Result<(), StoreError> {
        let json = self.seal.seal_text(
            serde_json::to_string(&t.settings).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )?;
        let questionnaire_required =
            t.settings.questionnaire.is_some() && t.settings.flag("questionnaireRequired");
        sqlx::query(
            "INSERT INTO tokens (auth_token, scan_ref, partner_id, client_id, token_type, settings_json, \
             nfc_required, questionnaire_required, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&t.settings.auth_token)
        .bind(&t.settings.scan_ref)
        .bind(t.partner_id.0)
        .bind(&t.settings.client_id)
        .bind(t.settings.token_type.as_str())
        .bind(json)
        .bind(flag(t.settings.flag("nfcRequired")))
        .bind(flag(questionnaire_required))
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict("token".into()),
            e => e.into(),
        })?;
        Ok(())
    }

    /// A partner's token by its auth token; another partner's token is reported as absent.
    pub async fn token_for_partner(
        &self,
        auth_token: &str,
        partner: PartnerId,
    ) -> Result<Option<TokenRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM tokens WHERE auth_token = $1 AND partner_id = $2"
        ))
        .bind(auth_token)
        .bind(partner.0)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// A partner's token by its scanRef.
    pub async fn token_by_scan_ref(
        &self,
        scan_ref: &str,
        partner: PartnerId,
    ) -> Result<Option<TokenRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM tokens WHERE scan_ref = $1 AND partner_id = $2"
        ))
        .bind(scan_ref)
        .bind(partner.0)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// Unused tokens that expired before `now` and were not reported yet; marks them reported (at most `limit`).
    pub async fn take_expired_tokens(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "UPDATE tokens SET expiry_notified = 1 WHERE expiry_notified = 0 AND auth_token IN (SELECT auth_token FROM tokens \
             WHERE used_at IS NULL AND expiry_notified = 0 AND expires_at <= $1 LIMIT $2) RETURNING {COLS}"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| row(self, r)).collect()
    }

    /// Replaces a token's stored settings (used to erase personal data); `deleted` marks the erasure time.
    pub async fn update_token_settings(
        &self,
        partner: PartnerId,
        settings: &TokenSettings,
        deleted: bool,
    ) -> Result<bool, StoreError> {
        let json = self.seal.seal_text(
            serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )?;
        let r = sqlx::query(
            "UPDATE tokens SET settings_json = $1, deleted_at = CASE WHEN $2 = 1 THEN $3 ELSE deleted_at END \
             WHERE auth_token = $4 AND partner_id = $5",
        )
        .bind(json)
        .bind(flag(deleted))
        .bind(now_ms())
        .bind(&settings.auth_token)
        .bind(partner.0)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}
