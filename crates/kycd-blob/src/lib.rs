//! kycd-blob: where the submitted images live.
//!
//! A thin layer over [`object_store`]: the local filesystem for the embedded default (`<data dir>/blobs`), and any
//! object store for scale-out. Keys are `verifications/<scanRef>/<STEP>.<ext>`.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{ObjectStore, PutPayload, local::LocalFileSystem, path::Path};
use std::sync::Arc;

/// Blob storage errors.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The object does not exist.
    #[error("blob not found: {0}")]
    NotFound(String),
    /// The key is not a valid object path.
    #[error("invalid blob key: {0}")]
    InvalidKey(String),
    /// The backing store failed.
    #[error("blob store error: {0}")]
    Store(#[from] object_store::Error),
    /// Local directory could not be prepared.
    #[error("blob directory error: {0}")]
    Io(#[from] std::io::Error),
}

/// Handle to the blob store; cheap to clone.
#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// Blobs in a local directory (created if missing).
    pub fn local(dir: impl AsRef<std::path::Path>) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir.as_ref())?;
        let fs = LocalFileSystem::new_with_prefix(dir.as_ref())?.with_automatic_cleanup(true);
        Ok(Self {
            inner: Arc::new(fs),
        })
    }

    /// Wraps any object store (S3, in-memory, …).
    pub fn from_store(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    fn path(key: &str) -> Result<Path, BlobError> {
        Path::parse(key).map_err(|_| BlobError::InvalidKey(key.to_string()))
    }

    /// Stores `bytes` under `key`, replacing any previous object (atomic on the local filesystem).
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        self.inner
            .put(&Self::path(key)?, PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads a whole object.
    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        match self.inner.get(&Self::path(key)?).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(key.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether an object exists (metadata only; the content is not read).
    pub async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        match self.inner.head(&Self::path(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an object; deleting a missing object is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.inner.delete(&Self::path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes every object under `prefix`; returns how many were deleted.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, BlobError> {
        let p = Self::path(prefix)?;
        let keys: Vec<Path> = self
            .inner
            .list(Some(&p))
            .map_ok(|m| m.location)
            .try_collect()
            .await?;
        let n = keys.len();
        for k in keys {
            match self.inner.delete(&k).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }

    /// Lists keys under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let p = Self::path(prefix)?;
        Ok(self
            .inner
            .list(Some(&p))
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await?)
    }
}

/// The key of a verification's step image.
pub fn image_key(scan_ref: &str, step: &str, ext: &str) -> String {
    format!("verifications/{scan_ref}/{step}.{ext}")
}

/// The prefix holding all of a verification's blobs.
pub fn verification_prefix(scan_ref: &str) -> String {
    format!("verifications/{scan_ref}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobStore::local(dir.path()).unwrap();
        let k = image_key("abc", "FRONT", "jpg");
        b.put(&k, Bytes::from_static(b"hello")).await.unwrap();
        assert_eq!(b.get(&k).await.unwrap(), Bytes::from_static(b"hello"));
        assert!(b.exists(&k).await.unwrap());
        b.put(&image_key("abc", "FACE", "png"), Bytes::from_static(b"x"))
            .await
            .unwrap();
        assert_eq!(b.list(&verification_prefix("abc")).await.unwrap().len(), 2);
        assert_eq!(
            b.delete_prefix(&verification_prefix("abc")).await.unwrap(),
            2
        );
        assert!(matches!(b.get(&k).await, Err(BlobError::NotFound(_))));
        assert!(!b.exists(&k).await.unwrap());
        b.delete(&k).await.unwrap();
    }
}
