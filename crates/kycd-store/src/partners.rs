//! Partners (API clients) and their settings.

use crate::{Store, StoreError, conflict, flag, flag_col, json, now_ms};
use kycd_types::PartnerId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A partner's defaults for new tokens: each one fills the `/api/v2/token` field of that name when a request does
/// not give it. Stored as one JSON object; absent keys are not defaulted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenDefaults {
    /// `expiryTime` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<i64>,
    /// `documents`: document type names (`PASSPORT`, `ID_CARD`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<String>>,
    /// `country`: ISO 3166-1 alpha-2 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl TokenDefaults {
    /// Whether no default is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

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
    /// AML screening is part of the partner's service (when off, no verification of the partner is screened,
    /// whatever its token's `checkAml` says).
    pub aml: bool,
    /// Defaults for new tokens.
    pub token_defaults: TokenDefaults,
    /// A sandbox partner (iDenfy's DEV environment): its tokens may carry `dummyStatus`.
    pub sandbox: bool,
    /// Every approved verification is monitored for AML (iDenfy's `autoAmlMonitoring`).
    pub aml_monitoring: bool,
}

impl NewPartner {
    /// A partner with `kycd partner create`'s defaults: direct processing and AML screening on, no manual review,
    /// no default webhook URL, not a sandbox, no AML monitoring, no token defaults. Change the others with struct
    /// update syntax (`NewPartner { sandbox: true, ..NewPartner::new(..) }`).
    pub fn new(
        name: impl Into<String>,
        api_key: impl Into<String>,
        secret_hash: Vec<u8>,
        signing_key_enc: Vec<u8>,
    ) -> Self {
        Self {
            name: name.into(),
            api_key: api_key.into(),
            secret_hash,
            signing_key_enc,
            direct_processing: true,
            manual_review: false,
            webhook_url: None,
            aml: true,
            token_defaults: TokenDefaults::default(),
            sandbox: false,
            aml_monitoring: false,
        }
    }
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
    /// AML screening is part of the partner's service.
    pub aml: bool,
    /// Defaults for new tokens.
    pub token_defaults: TokenDefaults,
    /// A sandbox partner: its tokens may carry `dummyStatus` (canned results, no analysis).
    pub sandbox: bool,
    /// Every approved verification is monitored for AML (iDenfy's `autoAmlMonitoring`).
    pub aml_monitoring: bool,
    /// Keyed hash of the previous API secret after a rotation (`kycd partner rotate-secret`).
    pub prev_secret_hash: Option<Vec<u8>>,
    /// Until when (ms) the previous API secret still authenticates.
    pub prev_secret_until: Option<i64>,
    /// The previous webhook signing key after a rotation (`kycd partner rotate-signing-key`), encrypted like
    /// `signing_key_enc`.
    pub prev_signing_key_enc: Option<Vec<u8>>,
    /// Until when (ms) webhooks are still signed with the previous signing key too.
    pub prev_signing_key_until: Option<i64>,
    /// When (ms) the partner confirmed it verifies with the new signing key (`kycd partner confirm-signing-key`);
    /// from then on `Idenfy-Signature` uses the new key.
    pub signing_key_confirmed_at: Option<i64>,
}

impl PartnerRow {
    /// The keyed hash of the previous API secret when it still authenticates at `now` (ms): during the overlap of
    /// a rotation, both it and [`PartnerRow::secret_hash`] are accepted.
    pub fn previous_secret_hash(&self, now: i64) -> Option<&[u8]> {
        match (&self.prev_secret_hash, self.prev_secret_until) {
            (Some(h), Some(until)) if now < until => Some(h),
            _ => None,
        }
    }

    /// The encrypted previous signing key when webhooks are still signed with it at `now` (ms).
    pub fn previous_signing_key_enc(&self, now: i64) -> Option<&[u8]> {
        match (&self.prev_signing_key_enc, self.prev_signing_key_until) {
            (Some(k), Some(until)) if now < until => Some(k),
            _ => None,
        }
    }

    /// Whether `Idenfy-Signature` (which carries one signature only) is still made with the previous signing key
    /// at `now`: during the overlap until the partner confirms the new key.
    pub fn idenfy_signs_with_previous_key(&self, now: i64) -> bool {
        self.previous_signing_key_enc(now).is_some() && self.signing_key_confirmed_at.is_none()
    }
}

/// Changes to a partner's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct PartnerUpdate {
    /// New default webhook URL; `Some(None)` removes it.
    pub webhook_url: Option<Option<String>>,
    /// Manual review on or off.
    pub manual_review: Option<bool>,
    /// AML screening on or off.
    pub aml: Option<bool>,
    /// Direct processing on or off.
    pub direct_processing: Option<bool>,
    /// Sandbox on or off.
    pub sandbox: Option<bool>,
    /// Automatic AML monitoring of approved verifications on or off.
    pub aml_monitoring: Option<bool>,
    /// Default `expiryTime`; `Some(None)` removes the default.
    pub default_expiry_time: Option<Option<i64>>,
    /// Default `documents`; `Some(None)` removes the default.
    pub default_documents: Option<Option<Vec<String>>>,
    /// Default `country`; `Some(None)` removes the default.
    pub default_country: Option<Option<String>>,
}

impl PartnerUpdate {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.webhook_url.is_none()
            && self.manual_review.is_none()
            && self.aml.is_none()
            && self.direct_processing.is_none()
            && self.sandbox.is_none()
            && self.aml_monitoring.is_none()
            && self.default_expiry_time.is_none()
            && self.default_documents.is_none()
            && self.default_country.is_none()
    }
}

const COLS: &str = "id, name, api_key, secret_hash, signing_key_enc, direct_processing, manual_review, webhook_url, \
                    disabled, created_at, aml, token_defaults, prev_secret_hash, prev_secret_until, \
                    prev_signing_key_enc, prev_signing_key_until, signing_key_confirmed_at, sandbox, \
                    aml_monitoring";

fn row(r: &AnyRow) -> Result<PartnerRow, StoreError> {
    let defaults: String = r.try_get("token_defaults")?;
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
        aml: flag_col(r, "aml")?,
        token_defaults: serde_json::from_str(&defaults)
            .map_err(|e| StoreError::Corrupt(format!("partner token defaults: {e}")))?,
        prev_secret_hash: r.try_get("prev_secret_hash")?,
        prev_secret_until: r.try_get("prev_secret_until")?,
        prev_signing_key_enc: r.try_get("prev_signing_key_enc")?,
        prev_signing_key_until: r.try_get("prev_signing_key_until")?,
        signing_key_confirmed_at: r.try_get("signing_key_confirmed_at")?,
        sandbox: flag_col(r, "sandbox")?,
        aml_monitoring: flag_col(r, "aml_monitoring")?,
    })
}

impl Store {
    /// Creates a partner.
    pub async fn create_partner(&self, p: NewPartner) -> Result<PartnerRow, StoreError> {
        let sql = format!(
            "INSERT INTO partners (name, api_key, secret_hash, signing_key_enc, direct_processing, manual_review, \
             webhook_url, disabled, created_at, aml, token_defaults, sandbox, aml_monitoring) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $12) RETURNING {COLS}"
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
            now_ms(),
            flag(p.aml),
            json(&p.token_defaults)?,
            flag(p.sandbox),
            flag(p.aml_monitoring)
        )
        .fetch_one(&self.pool)
        .await
        .map_err(conflict("api key"))?;
        row(&r)
    }

    /// Finds a partner by API key.
    pub async fn partner_by_api_key(
        &self,
        api_key: &str,
    ) -> Result<Option<PartnerRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM partners WHERE api_key = $1");
        let r = bound!(&sql, api_key).fetch_optional(&self.pool).await?;
        r.as_ref().map(row).transpose()
    }

    /// Finds a partner by id.
    pub async fn partner_by_id(&self, id: PartnerId) -> Result<Option<PartnerRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM partners WHERE id = $1");
        let r = bound!(&sql, id.0).fetch_optional(&self.pool).await?;
        r.as_ref().map(row).transpose()
    }

    /// Every partner, oldest first.
    pub async fn list_partners(&self) -> Result<Vec<PartnerRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM partners ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(row).collect()
    }

    /// Finds the one partner `key` names: its API key, or else its name. Names are not unique: a name that
    /// several partners share is refused with [`StoreError::Conflict`] (use the API key then).
    pub async fn partner_by_key_or_name(
        &self,
        key: &str,
    ) -> Result<Option<PartnerRow>, StoreError> {
        if let Some(p) = self.partner_by_api_key(key).await? {
            return Ok(Some(p));
        }
        let sql = format!("SELECT {COLS} FROM partners WHERE name = $1 ORDER BY id LIMIT 2");
        let rows = bound!(&sql, key).fetch_all(&self.pool).await?;
        match rows.as_slice() {
            [] => Ok(None),
            [one] => row(one).map(Some),
            _ => Err(StoreError::Conflict(format!(
                "several partners are named '{key}': name the partner by its API key"
            ))),
        }
    }

    /// Changes the settings of the partner `key` names (API key or unique name, as
    /// [`Store::partner_by_key_or_name`]); returns the updated row, or None when no partner matches. The change is
    /// one transaction holding the partner's row, so concurrent updates of different settings do not undo each
    /// other. Every process reads partners from the store per request and per job, so the change applies at once.
    pub async fn update_partner(
        &self,
        key: &str,
        u: &PartnerUpdate,
    ) -> Result<Option<PartnerRow>, StoreError> {
        let Some(found) = self.partner_by_key_or_name(key).await? else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        // A no-op write first: it takes the row lock (PostgreSQL) or the write lock (SQLite) before the read, so the
        // read-merge-write below cannot interleave with another update.
        let locked = bound!("UPDATE partners SET name = name WHERE id = $1", found.id.0)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let sql = format!("SELECT {COLS} FROM partners WHERE id = $1");
        let current = row(&bound!(&sql, found.id.0).fetch_one(&mut *tx).await?)?;
        let mut defaults = current.token_defaults.clone();
        if let Some(v) = &u.default_expiry_time {
            defaults.expiry_time = *v;
        }
        if let Some(v) = &u.default_documents {
            defaults.documents = v.clone();
        }
        if let Some(v) = &u.default_country {
            defaults.country = v.clone();
        }
        let webhook_url = match &u.webhook_url {
            Some(w) => w.clone(),
            None => current.webhook_url.clone(),
        };
        let sql = format!(
            "UPDATE partners SET webhook_url = $1, manual_review = $2, aml = $3, direct_processing = $4, \
             token_defaults = $5, sandbox = $6, aml_monitoring = $7 WHERE id = $8 RETURNING {COLS}"
        );
        let r = bound!(
            &sql,
            webhook_url,
            flag(u.manual_review.unwrap_or(current.manual_review)),
            flag(u.aml.unwrap_or(current.aml)),
            flag(u.direct_processing.unwrap_or(current.direct_processing)),
            json(&defaults)?,
            flag(u.sandbox.unwrap_or(current.sandbox)),
            flag(u.aml_monitoring.unwrap_or(current.aml_monitoring)),
            current.id.0
        )
        .fetch_one(&mut *tx)
        .await?;
        let updated = row(&r)?;
        tx.commit().await?;
        Ok(Some(updated))
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

    /// Replaces the API secret of the partner `key` names (API key or unique name, as
    /// [`Store::partner_by_key_or_name`]) by the secret hashed as `new_hash`. The current secret becomes the
    /// previous one and keeps authenticating for `overlap_ms` more milliseconds (0 or less: it stops at once).
    /// Returns the updated row, or None when no partner matches.
    ///
    /// While the overlap of an earlier rotation is still running the rotation is refused with
    /// [`StoreError::Conflict`] (rotating again would stop the secret the partner may still be using at once),
    /// unless `force`, which drops that older secret.
    pub async fn rotate_partner_secret(
        &self,
        key: &str,
        new_hash: &[u8],
        overlap_ms: i64,
        force: bool,
    ) -> Result<Option<PartnerRow>, StoreError> {
        self.rotate(key, Credential::Secret, new_hash, overlap_ms, force)
            .await
    }

    /// Replaces the webhook signing key of the partner `key` names by `new_key_enc` (encrypted like
    /// [`PartnerRow::signing_key_enc`]). The current key becomes the previous one: for `overlap_ms` more
    /// milliseconds (0 or less: none) every webhook is signed with both keys in `webhook-signature`, and
    /// `Idenfy-Signature` stays on the previous key until [`Store::confirm_partner_signing_key`] or the end of the
    /// overlap. Refused like [`Store::rotate_partner_secret`] while an earlier overlap runs, unless `force`.
    pub async fn rotate_partner_signing_key(
        &self,
        key: &str,
        new_key_enc: &[u8],
        overlap_ms: i64,
        force: bool,
    ) -> Result<Option<PartnerRow>, StoreError> {
        self.rotate(key, Credential::SigningKey, new_key_enc, overlap_ms, force)
            .await
    }

    /// [`Store::rotate_partner_secret`] and [`Store::rotate_partner_signing_key`]: `new` replaces the credential,
    /// the current value becomes the previous one for the overlap.
    async fn rotate(
        &self,
        key: &str,
        credential: Credential,
        new: &[u8],
        overlap_ms: i64,
        force: bool,
    ) -> Result<Option<PartnerRow>, StoreError> {
        let Some(found) = self.partner_by_key_or_name(key).await? else {
            return Ok(None);
        };
        let now = now_ms();
        let until = overlap_end(now, overlap_ms);
        let (col, prev, prev_until, also, label) = match credential {
            Credential::Secret => (
                "secret_hash",
                "prev_secret_hash",
                "prev_secret_until",
                "",
                "API secret",
            ),
            // A new signing key is unconfirmed until the partner says it verifies with it.
            Credential::SigningKey => (
                "signing_key_enc",
                "prev_signing_key_enc",
                "prev_signing_key_until",
                ", signing_key_confirmed_at = NULL",
                "signing key",
            ),
        };
        let previous = if until.is_some() {
            format!("{prev} = {col}, {prev_until} = $4")
        } else {
            format!("{prev} = NULL, {prev_until} = NULL")
        };
        // One statement: the right-hand sides read the row as it was, so the old value moves atomically.
        let sql = format!(
            "UPDATE partners SET {previous}, {col} = $1{also} \
             WHERE id = $2 AND ({prev_until} IS NULL OR {prev_until} <= $3) RETURNING {COLS}"
        );
        let mut q = bound!(&sql, new.to_vec(), found.id.0, cutoff(now, force));
        if let Some(u) = until {
            q = q.bind(u);
        }
        match q.fetch_optional(&self.pool).await? {
            Some(r) => row(&r).map(Some),
            None => self.rotation_refused(found.id, label).await,
        }
    }

    /// Records that the partner `key` names verifies webhooks with its new signing key: from now on
    /// `Idenfy-Signature` uses the new key (`webhook-signature` keeps both until the overlap ends). Returns the
    /// updated row, None when no partner matches, [`StoreError::Conflict`] when no signing-key rotation is in its
    /// overlap. Confirming twice keeps the first confirmation time.
    pub async fn confirm_partner_signing_key(
        &self,
        key: &str,
    ) -> Result<Option<PartnerRow>, StoreError> {
        let Some(found) = self.partner_by_key_or_name(key).await? else {
            return Ok(None);
        };
        let sql = format!(
            "UPDATE partners SET signing_key_confirmed_at = COALESCE(signing_key_confirmed_at, $1) \
             WHERE id = $2 AND prev_signing_key_enc IS NOT NULL AND prev_signing_key_until > $1 RETURNING {COLS}"
        );
        match bound!(&sql, now_ms(), found.id.0)
            .fetch_optional(&self.pool)
            .await?
        {
            Some(r) => row(&r).map(Some),
            None => Err(StoreError::Conflict(format!(
                "no signing-key rotation of partner '{}' is in its overlap",
                found.name
            ))),
        }
    }

    /// The answer to a refused rotation: the partner is gone (None), or an earlier overlap still runs.
    async fn rotation_refused(
        &self,
        id: PartnerId,
        what: &str,
    ) -> Result<Option<PartnerRow>, StoreError> {
        match self.partner_by_id(id).await? {
            None => Ok(None),
            Some(p) => Err(StoreError::Conflict(format!(
                "the previous {what} of partner '{}' is still accepted: an earlier rotation is in its overlap",
                p.name
            ))),
        }
    }
}

/// A partner credential that rotates with an overlap.
#[derive(Debug, Clone, Copy)]
enum Credential {
    /// The API secret (its keyed hash).
    Secret,
    /// The webhook signing key (encrypted).
    SigningKey,
}

/// The end (ms) of an overlap of `overlap_ms` from `now`; None when there is no overlap.
fn overlap_end(now: i64, overlap_ms: i64) -> Option<i64> {
    (overlap_ms > 0).then(|| now.saturating_add(overlap_ms))
}

/// A rotation may proceed when the previous value's overlap ended at or before this time: now, or any time when
/// forced.
fn cutoff(now: i64, force: bool) -> i64 {
    if force { i64::MAX } else { now }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner() -> PartnerRow {
        PartnerRow {
            id: PartnerId(1),
            name: "p".into(),
            api_key: "k".into(),
            secret_hash: vec![1; 32],
            signing_key_enc: vec![2; 40],
            direct_processing: false,
            manual_review: false,
            webhook_url: None,
            disabled: false,
            created_at: 0,
            aml: true,
            sandbox: false,
            aml_monitoring: false,
            token_defaults: TokenDefaults::default(),
            prev_secret_hash: None,
            prev_secret_until: None,
            prev_signing_key_enc: None,
            prev_signing_key_until: None,
            signing_key_confirmed_at: None,
        }
    }

    #[test]
    fn previous_values_count_only_inside_the_overlap() {
        let mut p = partner();
        assert_eq!(p.previous_secret_hash(0), None);
        assert_eq!(p.previous_signing_key_enc(0), None);
        assert!(!p.idenfy_signs_with_previous_key(0));
        p.prev_secret_hash = Some(vec![3; 32]);
        p.prev_secret_until = Some(1_000);
        p.prev_signing_key_enc = Some(vec![4; 40]);
        p.prev_signing_key_until = Some(2_000);
        assert_eq!(p.previous_secret_hash(999), Some(&[3u8; 32][..]));
        assert_eq!(
            p.previous_secret_hash(1_000),
            None,
            "the end of the overlap is exclusive"
        );
        assert_eq!(p.previous_signing_key_enc(1_999), Some(&[4u8; 40][..]));
        assert_eq!(p.previous_signing_key_enc(2_000), None);
        assert!(p.idenfy_signs_with_previous_key(1_500));
        assert!(
            !p.idenfy_signs_with_previous_key(2_000),
            "the overlap's end switches Idenfy-Signature"
        );
        p.signing_key_confirmed_at = Some(1_200);
        assert!(
            !p.idenfy_signs_with_previous_key(1_500),
            "confirmation switches it earlier"
        );
        assert_eq!(p.previous_signing_key_enc(1_500), Some(&[4u8; 40][..]));
    }

    #[test]
    fn overlap_and_cutoff() {
        assert_eq!(overlap_end(10, 0), None);
        assert_eq!(overlap_end(10, -5), None);
        assert_eq!(overlap_end(10, 5), Some(15));
        assert_eq!(overlap_end(i64::MAX - 1, 5), Some(i64::MAX));
        assert_eq!(cutoff(10, false), 10);
        assert_eq!(cutoff(10, true), i64::MAX);
    }
}
