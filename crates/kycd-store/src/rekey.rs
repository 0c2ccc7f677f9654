//! Master-key rotation, database side: every column that holds a value encrypted with the master key, walked in
//! batches by primary key and re-sealed with the current key where the previous one sealed it; the pepper kept as
//! key material; and the rotation's progress, so that `kycd keys rotate` resumes where a crash stopped it.

use crate::keys::Keyring;
use crate::{Store, StoreError, now_ms};
use sqlx::Row;

/// How a column stores its encrypted value.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// `kycd:sealed:v1:` + base64 (sealed JSON columns).
    Text,
    /// `KYCDSEAL1` + nonce + ciphertext (webhook bodies).
    Bytes,
    /// nonce + ciphertext (signing keys, embeddings, key material).
    Raw,
}

/// A column holding encrypted values.
#[derive(Debug, Clone, Copy)]
struct Column {
    table: &'static str,
    id: &'static str,
    int_id: bool,
    column: &'static str,
    format: Format,
}

const fn col(
    table: &'static str,
    id: &'static str,
    int_id: bool,
    column: &'static str,
    format: Format,
) -> Column {
    Column {
        table,
        id,
        int_id,
        column,
        format,
    }
}

/// Every column encrypted with the master key, the key material first (new processes read it at start).
const COLUMNS: &[Column] = &[
    col("key_material", "name", false, "value", Format::Raw),
    col("partners", "id", true, "signing_key_enc", Format::Raw),
    col("partners", "id", true, "prev_signing_key_enc", Format::Raw),
    col("tokens", "auth_token", false, "settings_json", Format::Text),
    col(
        "verifications",
        "scan_ref",
        false,
        "precheck_json",
        Format::Text,
    ),
    col(
        "verifications",
        "scan_ref",
        false,
        "result_json",
        Format::Text,
    ),
    col("webhook_outbox", "id", true, "body", Format::Bytes),
    col("face_embeddings", "id", true, "embedding_enc", Format::Raw),
    col("blocklist", "id", true, "embedding_enc", Format::Raw),
    col("blocklist", "id", true, "data_enc", Format::Raw),
    col(
        "aml_subjects",
        "monitoring_id",
        false,
        "data_json",
        Format::Text,
    ),
];

const PEPPER: &str = "pepper";

/// One batch of [`Store::rekey_batch`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekeyBatch {
    /// Values looked at.
    pub examined: u64,
    /// Values still sealed with the previous key (re-sealed with the current one unless only checking).
    pub previous: u64,
    /// Values that changed under the rotation (another writer replaced them meanwhile); the next pass sees them.
    pub raced: u64,
    /// Primary key of the last row looked at: where the next batch starts.
    pub cursor: Option<String>,
    /// Whether the column has no rows after this batch.
    pub done: bool,
}

impl Store {
    /// The encrypted columns a rotation walks, as `table.column`, in the order of [`Store::rekey_batch`]'s index.
    pub fn rekey_columns() -> Vec<String> {
        COLUMNS
            .iter()
            .map(|c| format!("{}.{}", c.table, c.column))
            .collect()
    }

    /// Re-seals (or, with `check_only`, counts) the values of column `index` sealed with the previous key, for up
    /// to `limit` rows after `after`. Each value is replaced only if it is still the one read, so a value another
    /// process rewrote meanwhile (already with the current key) is left alone.
    pub async fn rekey_batch(
        &self,
        index: usize,
        after: Option<&str>,
        limit: i64,
        check_only: bool,
    ) -> Result<RekeyBatch, StoreError> {
        let c = COLUMNS
            .get(index)
            .ok_or_else(|| StoreError::Invalid(format!("no encrypted column {index}")))?;
        if self.seal.keyring().is_none() {
            return Ok(RekeyBatch {
                done: true,
                ..RekeyBatch::default()
            });
        }
        let (table, id, column) = (c.table, c.id, c.column);
        let cond = if after.is_some() {
            format!("WHERE {id} > $1 ")
        } else {
            String::new()
        };
        let lim = if after.is_some() { "$2" } else { "$1" };
        let sql =
            format!("SELECT {id} AS k, {column} AS v FROM {table} {cond}ORDER BY {id} LIMIT {lim}");
        let mut q = sqlx::query(&sql);
        if let Some(a) = after {
            q = if c.int_id {
                q.bind(a.parse::<i64>().map_err(|_| {
                    StoreError::Invalid(format!("bad cursor '{a}' for {table}.{column}"))
                })?)
            } else {
                q.bind(a.to_string())
            };
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await?;
        let mut out = RekeyBatch {
            done: (rows.len() as i64) < limit,
            ..RekeyBatch::default()
        };
        for r in &rows {
            let key = if c.int_id {
                r.try_get::<i64, _>("k")?.to_string()
            } else {
                r.try_get::<String, _>("k")?
            };
            out.cursor = Some(key.clone());
            let what = format!("{table}.{column} of {id} {key}");
            let changed = match c.format {
                Format::Text => {
                    let Some(v) = r.try_get::<Option<String>, _>("v")? else {
                        continue;
                    };
                    out.examined += 1;
                    match self.seal.reseal_text(&v, &what)? {
                        None => None,
                        Some(_) if check_only => Some(true),
                        Some(new) => Some(self.replace(c, &key, Value::Text(v, new)).await?),
                    }
                }
                Format::Bytes | Format::Raw => {
                    let Some(v) = r.try_get::<Option<Vec<u8>>, _>("v")? else {
                        continue;
                    };
                    out.examined += 1;
                    let raw = matches!(c.format, Format::Raw);
                    match self.seal.reseal_bytes(&v, raw, &what)? {
                        None => None,
                        Some(_) if check_only => Some(true),
                        Some(new) => Some(self.replace(c, &key, Value::Bytes(v, new)).await?),
                    }
                }
            };
            match changed {
                Some(true) => out.previous += 1,
                Some(false) => out.raced += 1,
                None => {}
            }
        }
        Ok(out)
    }

    /// Compare-and-set of one encrypted value.
    async fn replace(&self, c: &Column, key: &str, v: Value) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {} SET {col} = $1 WHERE {} = $2 AND {col} = $3",
            c.table,
            c.id,
            col = c.column
        );
        let q = match v {
            Value::Text(old, new) => sqlx::query(&sql).bind(new).bind_key(c, key)?.bind(old),
            Value::Bytes(old, new) => sqlx::query(&sql).bind(new).bind_key(c, key)?.bind(old),
        };
        self.changes_one(q).await
    }

    /// Replaces the keyring's pepper with the stored one, when a rotation has stored it; returns whether it did.
    /// Every process that opens the store with a keyring calls this before hashing anything.
    pub async fn load_pepper(&self) -> Result<bool, StoreError> {
        let Some(k) = self.seal.keyring() else {
            return Ok(false);
        };
        let r = bound!("SELECT value FROM key_material WHERE name = $1", PEPPER)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = r else { return Ok(false) };
        let enc: Vec<u8> = r.try_get("value")?;
        let p = k.decrypt(&enc).map_err(|_| {
            StoreError::Corrupt(
                "stored key material does not open with the configured master key(s): wrong KYCD_MASTER_KEY, or \
                 the previous key was removed before `kycd keys rotate` finished"
                    .into(),
            )
        })?;
        let pepper: [u8; 32] = p
            .try_into()
            .map_err(|_| StoreError::Corrupt("stored pepper is not 32 bytes".into()))?;
        k.set_pepper(pepper);
        Ok(true)
    }

    /// Stores the keyring's pepper, encrypted with the current key, unless one is stored already (the first step
    /// of a rotation, taken while the old key is still the current one).
    pub async fn store_pepper(&self) -> Result<(), StoreError> {
        let Some(k) = self.seal.keyring() else {
            return Err(StoreError::Invalid(
                "the store is opened without a master key".into(),
            ));
        };
        let enc = k
            .encrypt(&k.pepper())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        bound!(
            "INSERT INTO key_material (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            PEPPER,
            enc
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The progress record of the rotation under way or last finished (JSON owned by `kycd keys`).
    pub async fn key_rotation_state(&self) -> Result<Option<serde_json::Value>, StoreError> {
        let r = sqlx::query("SELECT state_json FROM key_rotation WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| {
            let s: String = r.try_get("state_json")?;
            serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("key_rotation: {e}")))
        })
        .transpose()
    }

    /// Saves the progress record of the rotation.
    pub async fn set_key_rotation_state(
        &self,
        state: &serde_json::Value,
    ) -> Result<(), StoreError> {
        bound!(
            "INSERT INTO key_rotation (id, state_json, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET state_json = excluded.state_json, updated_at = excluded.updated_at",
            state.to_string(),
            now_ms()
        )
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The keyring the store seals with, if any.
    pub fn keyring(&self) -> Option<&Keyring> {
        self.seal.keyring()
    }
}

enum Value {
    Text(String, String),
    Bytes(Vec<u8>, Vec<u8>),
}

trait BindKey<'q>: Sized {
    fn bind_key(self, c: &Column, key: &str) -> Result<Self, StoreError>;
}

impl<'q> BindKey<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn bind_key(self, c: &Column, key: &str) -> Result<Self, StoreError> {
        Ok(if c.int_id {
            self.bind(
                key.parse::<i64>()
                    .map_err(|_| StoreError::Invalid(format!("bad id '{key}'")))?,
            )
        } else {
            self.bind(key.to_string())
        })
    }
}
