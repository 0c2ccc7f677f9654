//! AML monitoring subjects (`POST /api/v2/add-aml-user`, automatic monitoring of approved verifications) and named
//! leases (one list refresher at a time in a fleet).

use crate::{Store, StoreError, flag, flag_col, now_ms};
use kycd_types::PartnerId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Who is monitored (sealed in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectData {
    /// Given names (a person) or the company name.
    pub name: String,
    /// Surname (a person).
    pub surname: Option<String>,
    /// Nationality, ISO alpha-2 (a person).
    pub nationality: Option<String>,
    /// Date of birth `YYYY-MM-DD` (a person).
    pub date_of_birth: Option<String>,
    /// Country, ISO alpha-2 (a company).
    pub country: Option<String>,
}

/// A subject to start monitoring.
#[derive(Debug, Clone)]
pub struct NewSubject {
    /// Owner.
    pub partner_id: PartnerId,
    /// The verification it comes from, if any.
    pub scan_ref: Option<String>,
    /// `PERSON` or `COMPANY`.
    pub kind: String,
    /// Who.
    pub data: SubjectData,
    /// End of monitoring (ms).
    pub expires_at: i64,
}

/// A monitored subject.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectRow {
    /// `monitoringId`.
    pub monitoring_id: String,
    /// Owner.
    pub partner_id: PartnerId,
    /// The verification it comes from, if any.
    pub scan_ref: Option<String>,
    /// `PERSON` or `COMPANY`.
    pub kind: String,
    /// Who.
    pub data: SubjectData,
    /// Still monitored.
    pub active: bool,
    /// Start (ms).
    pub created_at: i64,
    /// End of monitoring (ms).
    pub expires_at: i64,
    /// `NOT_CHECKED`, `NOT_SUSPECTED` or `SUSPECTED`.
    pub alert_status: String,
    /// List entity ids of the current matches, sorted.
    pub hits: Vec<String>,
    /// Version of the screening logic of the last full screen (0: never screened).
    pub matcher: i64,
    /// Last screen (ms).
    pub checked_at: Option<i64>,
}

const COLS: &str = "monitoring_id, partner_id, scan_ref, kind, data_json, active, created_at, expires_at, \
                    alert_status, hits_json, matcher, checked_at";

fn row(store: &Store, r: &AnyRow) -> Result<SubjectRow, StoreError> {
    let data = store
        .seal
        .open_text(r.try_get("data_json")?, "monitoring subject")?;
    let hits: String = r.try_get("hits_json")?;
    Ok(SubjectRow {
        monitoring_id: r.try_get("monitoring_id")?,
        partner_id: PartnerId(r.try_get("partner_id")?),
        scan_ref: r.try_get("scan_ref")?,
        kind: r.try_get("kind")?,
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("monitoring subject: {e}")))?,
        active: flag_col(r, "active")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        alert_status: r.try_get("alert_status")?,
        hits: serde_json::from_str(&hits)
            .map_err(|e| StoreError::Corrupt(format!("monitoring hits: {e}")))?,
        matcher: r.try_get("matcher")?,
        checked_at: r.try_get("checked_at")?,
    })
}

impl Store {
    /// Starts monitoring a subject; a verification already monitored for the partner keeps its subject (returned,
    /// reactivated until the new end).
    pub async fn add_subject(&self, s: &NewSubject) -> Result<SubjectRow, StoreError> {
        if let Some(scan) = &s.scan_ref {
            let sql =
                format!("SELECT {COLS} FROM aml_subjects WHERE partner_id = $1 AND scan_ref = $2");
            if let Some(r) = bound!(&sql, s.partner_id.0, scan)
                .fetch_optional(&self.pool)
                .await?
            {
                let existing = row(self, &r)?;
                bound!(
                    "UPDATE aml_subjects SET active = 1, expires_at = $1 WHERE monitoring_id = $2",
                    s.expires_at.max(existing.expires_at),
                    &existing.monitoring_id
                )
                .execute(&self.pool)
                .await?;
                return self
                    .subject(&existing.monitoring_id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("monitoring subject vanished".into()));
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let data = self.seal.seal_text(
            serde_json::to_string(&s.data).map_err(|e| StoreError::Invalid(e.to_string()))?,
        )?;
        bound!(
            "INSERT INTO aml_subjects (monitoring_id, partner_id, scan_ref, kind, data_json, active, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
            &id,
            s.partner_id.0,
            &s.scan_ref,
            &s.kind,
            data,
            now_ms(),
            s.expires_at
        )
        .execute(&self.pool)
        .await?;
        self.subject(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("monitoring subject vanished".into()))
    }

    /// One subject.
    pub async fn subject(&self, monitoring_id: &str) -> Result<Option<SubjectRow>, StoreError> {
        let sql = format!("SELECT {COLS} FROM aml_subjects WHERE monitoring_id = $1");
        let r = bound!(&sql, monitoring_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(|r| row(self, r)).transpose()
    }

    /// Subjects in `monitoring_id` order after `after`, at most `limit`: active ones only unless `all`; of one
    /// partner when given.
    pub async fn subjects(
        &self,
        after: Option<&str>,
        limit: i64,
        all: bool,
        partner: Option<PartnerId>,
    ) -> Result<Vec<SubjectRow>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM aml_subjects WHERE monitoring_id > $1 AND ($2 = 1 OR active = 1) \
             AND ($3 < 0 OR partner_id = $3) ORDER BY monitoring_id LIMIT $4"
        );
        let rows = bound!(
            &sql,
            after.unwrap_or(""),
            flag(all),
            partner.map_or(-1, |p| p.0),
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| row(self, r)).collect()
    }

    /// Active subjects last screened by version `matcher` of the matching logic (0: never screened), in
    /// `monitoring_id` order after `after`, at most `limit` (an index serves it: finding none costs nothing).
    pub async fn subjects_screened_by(
        &self,
        matcher: i64,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<SubjectRow>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM aml_subjects WHERE active = 1 AND matcher = $1 AND monitoring_id > $2 \
             ORDER BY monitoring_id LIMIT $3"
        );
        let rows = bound!(&sql, matcher, after.unwrap_or(""), limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| row(self, r)).collect()
    }

    /// Starts monitoring many subjects at once (an import of existing customers, a benchmark), one transaction per
    /// call; a verification already monitored for its partner is skipped. Returns how many were added.
    pub async fn add_subjects(&self, subjects: &[NewSubject]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut n = 0;
        let now = now_ms();
        for s in subjects {
            let data = self.seal.seal_text(
                serde_json::to_string(&s.data).map_err(|e| StoreError::Invalid(e.to_string()))?,
            )?;
            let r = bound!(
                "INSERT INTO aml_subjects (monitoring_id, partner_id, scan_ref, kind, data_json, active, created_at, \
                 expires_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) ON CONFLICT DO NOTHING",
                uuid::Uuid::new_v4().to_string(),
                s.partner_id.0,
                &s.scan_ref,
                &s.kind,
                data,
                now,
                s.expires_at
            )
            .execute(&mut *tx)
            .await?;
            n += r.rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }

    /// How many active subjects there are (`older_than`: only those last screened by an older version of the
    /// matching logic, or never).
    pub async fn count_subjects(&self, older_than: Option<i64>) -> Result<i64, StoreError> {
        let r = bound!(
            "SELECT COUNT(*) AS n FROM aml_subjects WHERE active = 1 AND matcher < $1",
            older_than.unwrap_or(i64::MAX)
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get("n")?)
    }

    /// Marks every subject for a full screen at the next monitoring pass (the matching logic changed, or an operator
    /// asked for it); returns how many.
    pub async fn reset_subject_screens(&self) -> Result<u64, StoreError> {
        let r = bound!("UPDATE aml_subjects SET matcher = 0 WHERE active = 1")
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Records the screens of many subjects in one transaction: `(monitoringId, matches, alert state)`, all by the
    /// screening logic `matcher`. Subjects without matches (nearly all) are written many per statement.
    pub async fn set_subject_screens(
        &self,
        screens: &[(String, Vec<String>, String)],
        matcher: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let (clear, with_hits): (Vec<_>, Vec<_>) = screens
            .iter()
            .partition(|(_, hits, status)| hits.is_empty() && status == "NOT_SUSPECTED");
        for chunk in clear.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "UPDATE aml_subjects SET hits_json = '[]', alert_status = 'NOT_SUSPECTED', matcher = $1, \
                 checked_at = $2 WHERE monitoring_id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(matcher).bind(now);
            for (id, _, _) in chunk {
                q = q.bind(id.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        for (id, hits, status) in with_hits {
            bound!(
                "UPDATE aml_subjects SET hits_json = $1, alert_status = $2, matcher = $3, checked_at = $4 \
                 WHERE monitoring_id = $5",
                serde_json::to_string(hits).map_err(|e| StoreError::Invalid(e.to_string()))?,
                status,
                matcher,
                now,
                id
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a screen of a subject: its matches, alert state and the screening logic's version.
    pub async fn set_subject_screen(
        &self,
        monitoring_id: &str,
        hits: &[String],
        alert_status: &str,
        matcher: i64,
    ) -> Result<(), StoreError> {
        bound!(
            "UPDATE aml_subjects SET hits_json = $1, alert_status = $2, matcher = $3, checked_at = $4 \
             WHERE monitoring_id = $5",
            serde_json::to_string(hits).map_err(|e| StoreError::Invalid(e.to_string()))?,
            alert_status,
            matcher,
            now_ms(),
            monitoring_id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stops monitoring one of the partner's subjects; false when there is none.
    pub async fn stop_subject(
        &self,
        partner: PartnerId,
        monitoring_id: &str,
    ) -> Result<bool, StoreError> {
        let r = bound!(
            "UPDATE aml_subjects SET active = 0 WHERE monitoring_id = $1 AND partner_id = $2",
            monitoring_id,
            partner.0
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends the monitoring of every subject whose period is over; returns how many.
    pub async fn expire_subjects(&self, now: i64) -> Result<u64, StoreError> {
        let r = bound!(
            "UPDATE aml_subjects SET active = 0 WHERE active = 1 AND expires_at <= $1",
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Takes (or renews) the lease `name` for `holder` until `until` (ms); false while another holder's lease runs.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        until: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        bound!(
            "INSERT INTO leases (name, holder, until_ms) VALUES ($1, '', 0) ON CONFLICT (name) DO NOTHING",
            name
        )
        .execute(&mut *tx)
        .await?;
        let r = bound!(
            "UPDATE leases SET holder = $1, until_ms = $2 WHERE name = $3 AND (holder = $1 OR until_ms <= $4)",
            holder,
            until,
            name,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// A named setting shared by the processes of the installation.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let r = bound!("SELECT value FROM settings WHERE name = $1", name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|r| r.try_get("value")).transpose()?)
    }

    /// Sets a named setting.
    pub async fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        bound!(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
            name,
            value
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives the lease `name` back if `holder` has it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        bound!(
            "UPDATE leases SET until_ms = 0 WHERE name = $1 AND holder = $2",
            name,
            holder
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Deletes the monitoring subjects of an erased verification (inside its erasure transaction).
pub(crate) async fn erase_subjects_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    scan_ref: &str,
) -> Result<(), StoreError> {
    bound!("DELETE FROM aml_subjects WHERE scan_ref = $1", scan_ref)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
