//! Verification tokens (sessions).

use crate::{Store, StoreError, conflict, flag, flag_col, now_ms};
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
        nfc_required: flag_col(r, "nfc_required")?,
        questionnaire_required: flag_col(r, "questionnaire_required")?,
        deleted_at: r.try_get("deleted_at")?,
    })
}

const COLS: &str = "partner_id, settings_json, created_at, expires_at, used_at, nfc_required, questionnaire_required, deleted_at";

impl Store {
    /// Stores a new token.
    pub async fn insert_token(&self, t: &NewToken) -> Result<(), StoreError> {
        let s = &t.settings;
        let questionnaire_required = s.questionnaire.is_some() && s.flag("questionnaireRequired");
        bound!(
            "INSERT INTO tokens (auth_token, scan_ref, partner_id, client_id, token_type, settings_json, \
             nfc_required, questionnaire_required, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &s.auth_token,
            &s.scan_ref,
            t.partner_id.0,
            &s.client_id,
            s.token_type.as_str(),
            self.seal_json(s)?,
            flag(s.flag("nfcRequired")),
            flag(questionnaire_required),
            t.created_at,
            t.expires_at
        )
        .execute(&self.pool)
        .await
        .map_err(conflict("token"))?;
        Ok(())
    }

    /// The partner's token whose `column` (`auth_token` or `scan_ref`) is `value`.
    async fn token_where(
        &self,
        column: &str,
        value: &str,
        partner: PartnerId,
    ) -> Result<Option<TokenRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM tokens WHERE {column} = $1 AND partner_id = $2");
        let r = bound!(&sql, value, partner.0)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// A partner's token by its auth token; another partner's token is reported as absent.
    pub async fn token_for_partner(
        &self,
        auth_token: &str,
        partner: PartnerId,
    ) -> Result<Option<TokenRow>, StoreError> {
        self.token_where("auth_token", auth_token, partner).await
    }

    /// A partner's token by its scanRef.
    pub async fn token_by_scan_ref(
        &self,
        scan_ref: &str,
        partner: PartnerId,
    ) -> Result<Option<TokenRow>, StoreError> {
        self.token_where("scan_ref", scan_ref, partner).await
    }

    /// Unused tokens that expired before `now` and were not reported yet; marks them reported (at most `limit`).
    pub async fn take_expired_tokens(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<TokenRow>, StoreError> {
        let sql = format!(
            "UPDATE tokens SET expiry_notified = 1 WHERE expiry_notified = 0 AND auth_token IN (SELECT auth_token FROM tokens \
             WHERE used_at IS NULL AND expiry_notified = 0 AND expires_at <= $1 LIMIT $2) RETURNING {COLS}"
        );
        let rows = bound!(&sql, now, limit).fetch_all(&self.pool).await?;
        rows.iter().map(|r| row(self, r)).collect()
    }

    /// Replaces a token's stored settings (used to erase personal data); `deleted` marks the erasure time.
    pub async fn update_token_settings(
        &self,
        partner: PartnerId,
        settings: &TokenSettings,
        deleted: bool,
    ) -> Result<bool, StoreError> {
        self.changes_one(bound!(
            "UPDATE tokens SET settings_json = $1, deleted_at = CASE WHEN $2 = 1 THEN $3 ELSE deleted_at END \
             WHERE auth_token = $4 AND partner_id = $5",
            self.seal_json(settings)?,
            flag(deleted),
            now_ms(),
            &settings.auth_token,
            partner.0
        ))
        .await
    }
}
