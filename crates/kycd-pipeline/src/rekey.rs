//! Master-key rotation (`kycd keys rotate`): with a keyring that holds the new key and the previous one, every
//! value in the database and every blob's data key still sealed with the previous key is moved to the new one, in
//! batches, while the service runs. Progress is saved after each batch, so a crashed rotation resumes where it
//! stopped; a final pass checks that nothing is left under the previous key before the rotation is called done.

use crate::PipelineError;
use kycd_blob::{BlobStore, Rewrap};
use kycd_store::{Store, now_ms};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where a rotation stands; saved in the store after every batch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RotationState {
    /// Fingerprint of the key being retired.
    pub old_key: String,
    /// Fingerprint of the key being introduced.
    pub new_key: String,
    /// When the rotation began (ms).
    pub started_at: i64,
    /// When the final check found nothing left under the old key (ms).
    pub finished_at: Option<i64>,
    /// Full passes over the data made so far (a pass that leaves values behind is followed by another).
    pub passes: u32,
    /// Next encrypted column to walk (index into [`Store::rekey_columns`]); past the last: the blobs.
    pub column: usize,
    /// Last primary key done in that column.
    pub cursor: Option<String>,
    /// Last verification (scanRef) whose blobs are done.
    pub blob_cursor: Option<String>,
    /// Database values moved to the new key.
    pub values_rewrapped: u64,
    /// Blob data keys moved to the new key.
    pub blobs_rewrapped: u64,
    /// Database values looked at.
    pub values_examined: u64,
    /// Blobs looked at.
    pub blobs_examined: u64,
    /// Found by the last final check: values and blobs still under the old key.
    pub left_after_check: Option<(u64, u64)>,
}

impl RotationState {
    /// A rotation from `old_key` to `new_key` (fingerprints) starting now.
    pub fn new(old_key: String, new_key: String) -> Self {
        Self {
            old_key,
            new_key,
            started_at: now_ms(),
            ..Self::default()
        }
    }

    /// Loads the saved state, if any.
    pub async fn load(store: &Store) -> Result<Option<Self>, PipelineError> {
        store
            .key_rotation_state()
            .await?
            .map(|v| {
                serde_json::from_value(v)
                    .map_err(|e| PipelineError::Check(format!("saved rotation state: {e}")))
            })
            .transpose()
    }

    /// Saves the state.
    pub async fn save(&self, store: &Store) -> Result<(), PipelineError> {
        let v = serde_json::to_value(self)
            .map_err(|e| PipelineError::Check(format!("rotation state: {e}")))?;
        Ok(store.set_key_rotation_state(&v).await?)
    }

    /// Whether the rotation is finished.
    pub fn done(&self) -> bool {
        self.finished_at.is_some()
    }

    /// Which part of the data the rotation is in, for people.
    pub fn phase(&self) -> String {
        let columns = Store::rekey_columns();
        match (self.done(), columns.get(self.column)) {
            (true, _) => "done".into(),
            (false, Some(c)) => format!("database ({c})"),
            (false, None) => "blobs".into(),
        }
    }
}

/// Runs rotations.
pub struct Rotator {
    store: Store,
    blobs: BlobStore,
    batch: i64,
    pause: Duration,
}

/// Maximum number of full passes before a rotation gives up (values keep appearing under the old key: some process
/// still runs without the new key).
const MAX_PASSES: u32 = 5;

impl Rotator {
    /// A rotator over a store and blob store opened with the rotating keyring; `batch` rows or verifications per
    /// step, `pause` between steps (to spare a busy database).
    pub fn new(store: Store, blobs: BlobStore, batch: i64, pause: Duration) -> Self {
        Self {
            store,
            blobs,
            batch: batch.max(1),
            pause,
        }
    }

    /// Continues the rotation from `state` until it is done, saving the state after every step and calling
    /// `progress` with it.
    pub async fn run(
        &self,
        state: &mut RotationState,
        mut progress: impl FnMut(&RotationState),
    ) -> Result<(), PipelineError> {
        let columns = Store::rekey_columns().len();
        while !state.done() {
            if state.column < columns {
                let b = self
                    .store
                    .rekey_batch(state.column, state.cursor.as_deref(), self.batch, false)
                    .await?;
                state.values_examined += b.examined;
                state.values_rewrapped += b.previous;
                if b.done {
                    state.column += 1;
                    state.cursor = None;
                } else {
                    state.cursor = b.cursor;
                }
            } else {
                let after = state.blob_cursor.clone().unwrap_or_default();
                let page = self
                    .store
                    .verification_images_page(&after, self.batch)
                    .await?;
                for v in &page {
                    let (examined, moved) = self.rewrap_verification(&v.scan_ref, false).await?;
                    state.blobs_examined += examined;
                    state.blobs_rewrapped += moved;
                }
                state.blob_cursor = page.last().map(|v| v.scan_ref.clone());
                if (page.len() as i64) < self.batch {
                    self.final_check(state).await?;
                }
            }
            state.save(&self.store).await?;
            progress(state);
            if !state.done() && !self.pause.is_zero() {
                tokio::time::sleep(self.pause).await;
            }
        }
        Ok(())
    }

    /// After a full pass: counts what is still under the old key. Nothing: the rotation is done. Something (written
    /// meanwhile by a process without the new key, or changed under the pass): another pass.
    async fn final_check(&self, state: &mut RotationState) -> Result<(), PipelineError> {
        let left = self.left_under_old_key().await?;
        state.passes += 1;
        state.left_after_check = Some(left);
        if left == (0, 0) {
            state.finished_at = Some(now_ms());
            return Ok(());
        }
        if state.passes >= MAX_PASSES {
            return Err(PipelineError::Check(format!(
                "after {} passes {} values and {} blobs are still sealed with the old key: some kycd process is \
                 still running without the new key; give every process both keys and run `kycd keys rotate` again",
                state.passes, left.0, left.1
            )));
        }
        state.column = 0;
        state.cursor = None;
        state.blob_cursor = None;
        Ok(())
    }

    /// Values and blobs still sealed with the old key (a read-only walk over everything).
    pub async fn left_under_old_key(&self) -> Result<(u64, u64), PipelineError> {
        let mut values = 0;
        for index in 0..Store::rekey_columns().len() {
            let mut cursor: Option<String> = None;
            loop {
                let b = self
                    .store
                    .rekey_batch(index, cursor.as_deref(), 1000, true)
                    .await?;
                values += b.previous;
                if b.done {
                    break;
                }
                cursor = b.cursor;
            }
        }
        let mut blobs = 0;
        let mut after = String::new();
        loop {
            let page = self.store.verification_images_page(&after, 500).await?;
            for v in &page {
                blobs += self.rewrap_verification(&v.scan_ref, true).await?.1;
            }
            match page.last() {
                Some(v) if page.len() == 500 => after = v.scan_ref.clone(),
                _ => break,
            }
        }
        Ok((values, blobs))
    }

    /// Moves (or counts) the blobs of one verification still under the old key: (looked at, under the old key).
    /// A blob rewritten while its verification was being erased is deleted again: erasure deletes the blobs, then
    /// marks the verification erased, then deletes the blobs once more, so a rewrite before that mark is caught by
    /// the second deletion and one after it by the check here.
    async fn rewrap_verification(
        &self,
        scan_ref: &str,
        check_only: bool,
    ) -> Result<(u64, u64), PipelineError> {
        let prefix = kycd_blob::verification_prefix(scan_ref);
        let mut examined = 0;
        let mut moved = 0;
        let mut rewrote = false;
        for key in self.blobs.list(&prefix).await? {
            examined += 1;
            if self.blobs.rewrap(&key, check_only).await? == Rewrap::Rewrapped {
                moved += 1;
                rewrote |= !check_only;
            }
        }
        if rewrote && self.store.verification_erased(scan_ref).await? != Some(false) {
            self.blobs.delete_prefix(&prefix).await?;
        }
        Ok((examined, moved))
    }
}
