//! kycd-blob: where the submitted images live.
//!
//! A thin layer over [`object_store`]: the local filesystem for the embedded default (`<data dir>/blobs`), and any
//! S3-compatible object store for scale-out ([`BlobStore::s3`]). Keys are `verifications/<scanRef>/<STEP>.<ext>`.
//! With [`BlobStore::with_envelope`] every object is sealed at rest ([`envelope`]); objects written before
//! encryption was turned on (no envelope header) are still read as they are.

pub mod envelope;

use arc_swap::ArcSwap;
use bytes::Bytes;
pub use envelope::{Envelope, EnvelopeError, Wrapping};
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
    /// An encrypted object did not open.
    #[error("blob {key}: {source}")]
    Envelope {
        /// The object key.
        key: String,
        /// What failed.
        source: EnvelopeError,
    },
    /// The S3 configuration is incomplete.
    #[error("S3 configuration: {0}")]
    Config(String),
}

/// Where an S3-compatible object store is and how to sign requests to it.
#[derive(Clone, Default)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL (`http://127.0.0.1:9000`); `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Region (default `us-east-1`).
    pub region: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<String>,
    /// Key prefix inside the bucket (for several deployments in one bucket).
    pub prefix: Option<String>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id.as_ref().map(|_| "**"))
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Handle to the blob store; cheap to clone.
#[derive(Clone, Debug)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    /// Shared by every clone, so that a key change ([`BlobStore::set_envelope_keys`]) reaches all of them.
    envelope: Option<Arc<ArcSwap<Envelope>>>,
}

/// What [`BlobStore::rewrap`] found (and did) for one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrap {
    /// Its data key was already wrapped with the current key.
    Current,
    /// Its data key was wrapped with the previous key (and, unless only checking, now is with the current one).
    Rewrapped,
    /// It is stored unsealed (written before encryption was turned on): no key involved.
    Plain,
    /// It disappeared while being looked at (erased meanwhile).
    Gone,
}

/// Payloads at least this large are sealed/opened on the blocking pool rather than on an async worker.
const BLOCKING_FROM: usize = 256 * 1024;

/// Runs an envelope operation over `len` bytes: inline when small, on the blocking pool when large.
async fn crypt_off_runtime<T: Send + 'static>(
    len: usize,
    f: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    if len < BLOCKING_FROM {
        return f();
    }
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
}

impl BlobStore {
    /// Blobs in a local directory (created if missing).
    pub fn local(dir: impl AsRef<std::path::Path>) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir.as_ref())?;
        let fs = LocalFileSystem::new_with_prefix(dir.as_ref())?.with_automatic_cleanup(true);
        Ok(Self {
            inner: Arc::new(fs),
            envelope: None,
        })
    }

    /// Blobs in an S3-compatible bucket (path-style requests; plain HTTP allowed for a loopback/LAN endpoint).
    pub fn s3(cfg: &S3Config) -> Result<Self, BlobError> {
        if cfg.bucket.is_empty() {
            return Err(BlobError::Config("bucket is empty".into()));
        }
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&cfg.bucket)
            .with_region(cfg.region.as_deref().unwrap_or("us-east-1"))
            .with_virtual_hosted_style_request(false);
        if let Some(e) = &cfg.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        match (&cfg.access_key_id, &cfg.secret_access_key) {
            (Some(id), Some(secret)) => b = b.with_access_key_id(id).with_secret_access_key(secret),
            (None, None) => {}
            _ => {
                return Err(BlobError::Config(
                    "set both the access key id and the secret access key, or neither".into(),
                ));
            }
        }
        let s3: Arc<dyn ObjectStore> = Arc::new(b.build()?);
        let inner: Arc<dyn ObjectStore> = match cfg.prefix.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Arc::new(object_store::prefix::PrefixStore::new(s3, Self::path(p)?)),
            None => s3,
        };
        Ok(Self {
            inner,
            envelope: None,
        })
    }

    /// Wraps any object store (S3, in-memory, …).
    pub fn from_store(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            envelope: None,
        }
    }

    /// Seals every object written from now on with `kek` (AES-256-GCM envelope); sealed objects are opened on read.
    pub fn with_envelope(self, kek: &[u8; 32]) -> Self {
        self.with_envelope_keys(kek, None)
    }

    /// Like [`BlobStore::with_envelope`], also opening objects whose data key the `previous` KEK wraps (during a
    /// master-key rotation).
    pub fn with_envelope_keys(mut self, kek: &[u8; 32], previous: Option<&[u8; 32]>) -> Self {
        self.envelope = Some(Arc::new(ArcSwap::from_pointee(Envelope::with_previous(
            kek, previous,
        ))));
        self
    }

    /// Replaces the envelope keys of this store and of every clone of it (a running server picking up a rotated
    /// master key). No effect on a store without encryption.
    pub fn set_envelope_keys(&self, kek: &[u8; 32], previous: Option<&[u8; 32]>) {
        if let Some(e) = &self.envelope {
            e.store(Arc::new(Envelope::with_previous(kek, previous)));
        }
    }

    fn envelope(&self) -> Option<Arc<Envelope>> {
        self.envelope.as_ref().map(|e| e.load_full())
    }

    /// Moves one object's data key to the current KEK (only its header changes); with `check_only`, just reports
    /// which key wraps it. An object erased meanwhile is not brought back: the caller re-checks that its owner still
    /// exists after a rewrap (see `kycd keys rotate`).
    pub async fn rewrap(&self, key: &str, check_only: bool) -> Result<Rewrap, BlobError> {
        let Some(env) = self.envelope() else {
            return Ok(Rewrap::Plain);
        };
        let path = Self::path(key)?;
        let head = match self
            .inner
            .get_range(&path, 0..envelope::HEADER_LEN as u64)
            .await
        {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) => return Ok(Rewrap::Gone),
            // Shorter than a header: whatever it is, it is not sealed.
            Err(_) => match self.get_raw(key).await {
                Ok(b) => b,
                Err(BlobError::NotFound(_)) => return Ok(Rewrap::Gone),
                Err(e) => return Err(e),
            },
        };
        if !envelope::is_sealed(&head) {
            return Ok(Rewrap::Plain);
        }
        let envelope_err = |source| BlobError::Envelope {
            key: key.to_string(),
            source,
        };
        if env.wrapping(key, &head).map_err(envelope_err)? == Wrapping::Current {
            return Ok(Rewrap::Current);
        }
        if check_only {
            return Ok(Rewrap::Rewrapped);
        }
        let stored = match self.get_raw(key).await {
            Ok(b) => b,
            Err(BlobError::NotFound(_)) => return Ok(Rewrap::Gone),
            Err(e) => return Err(e),
        };
        let mut buf = stored.to_vec();
        env.rewrap_header(key, &mut buf).map_err(envelope_err)?;
        self.inner.put(&path, PutPayload::from(buf)).await?;
        Ok(Rewrap::Rewrapped)
    }

    /// Whether objects are sealed at rest.
    pub fn encrypted(&self) -> bool {
        self.envelope.is_some()
    }

    /// The raw stored bytes of an object (sealed when encryption is on) — for tests and audits.
    pub async fn get_raw(&self, key: &str) -> Result<Bytes, BlobError> {
        match self.inner.get(&Self::path(key)?).await {
            Ok(r) => Ok(r.bytes().await?),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(key.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    async fn seal(&self, key: &str, bytes: Bytes) -> Result<Bytes, BlobError> {
        let Some(env) = self.envelope() else {
            return Ok(bytes);
        };
        let k = key.to_string();
        crypt_off_runtime(bytes.len(), move || {
            env.seal(&k, &bytes)
                .map(Bytes::from)
                .map_err(|source| BlobError::Envelope { key: k, source })
        })
        .await
    }

    /// What [`BlobStore::put`] stores for `bytes`. When the caller hands over the only reference to the
    /// buffer, it is sealed in place and stored as a chain of slices of it (header, then each segment and
    /// its tag): no second copy of a large image is made.
    async fn seal_payload(&self, key: &str, bytes: Bytes) -> Result<PutPayload, BlobError> {
        let Some(env) = self.envelope() else {
            return Ok(PutPayload::from(bytes));
        };
        let mut data = match bytes.try_into_mut() {
            Ok(m) => m,
            Err(shared) => return self.seal(key, shared).await.map(PutPayload::from),
        };
        let k = key.to_string();
        let len = data.len();
        crypt_off_runtime(len, move || {
            let (header, tags) = env
                .seal_in_place(&k, &mut data)
                .map_err(|source| BlobError::Envelope { key: k, source })?;
            let data = data.freeze();
            let mut parts = Vec::with_capacity(1 + 2 * tags.len());
            parts.push(Bytes::from(header));
            for (i, tag) in tags.iter().enumerate() {
                let start = (i * envelope::SEGMENT).min(len);
                let end = ((i + 1) * envelope::SEGMENT).min(len);
                if end > start {
                    parts.push(data.slice(start..end));
                }
                parts.push(Bytes::copy_from_slice(tag));
            }
            Ok(parts.into_iter().collect())
        })
        .await
    }

    async fn open(&self, key: &str, stored: Bytes) -> Result<Bytes, BlobError> {
        let Some(env) = self.envelope() else {
            return Ok(stored);
        };
        if !envelope::is_sealed(&stored) {
            // Written before encryption was turned on.
            return Ok(stored);
        }
        let k = key.to_string();
        crypt_off_runtime(stored.len(), move || {
            // The stored bytes are usually ours alone (just read): opened in place, no second buffer.
            match stored.try_into_mut() {
                Ok(mut buf) => env
                    .open_in_place(&k, &mut buf)
                    .map(|n| {
                        buf.truncate(n);
                        buf.freeze()
                    })
                    .map_err(|source| BlobError::Envelope { key: k, source }),
                Err(shared) => env
                    .open(&k, &shared)
                    .map(Bytes::from)
                    .map_err(|source| BlobError::Envelope { key: k, source }),
            }
        })
        .await
    }

    fn path(key: &str) -> Result<Path, BlobError> {
        Path::parse(key).map_err(|_| BlobError::InvalidKey(key.to_string()))
    }

    /// Stores `bytes` under `key`, replacing any previous object (atomic on the local filesystem).
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), BlobError> {
        let path = Self::path(key)?;
        let payload = self.seal_payload(key, bytes).await?;
        self.inner.put(&path, payload).await?;
        Ok(())
    }

    /// Reads a whole object (opened when sealed).
    pub async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        let stored = self.get_raw(key).await?;
        self.open(key, stored).await
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

/// Where the local filesystem backend ([`BlobStore::local`] over `root`) keeps the object `key`: `root` joined with
/// the key's segments. The key is checked like any object key (no empty, `.` or `..` segment), so the result never
/// leaves `root`. Backups copy these files as they are (sealed objects stay sealed).
pub fn local_file(root: &std::path::Path, key: &str) -> Result<std::path::PathBuf, BlobError> {
    if key.starts_with('/') || key.ends_with('/') {
        return Err(BlobError::InvalidKey(key.to_string()));
    }
    let path = BlobStore::path(key)?;
    let mut out = root.to_path_buf();
    let mut parts = 0;
    for part in path.parts() {
        let part: &str = part.as_ref();
        if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\\']) {
            return Err(BlobError::InvalidKey(key.to_string()));
        }
        out.push(part);
        parts += 1;
    }
    if parts == 0 {
        return Err(BlobError::InvalidKey(key.to_string()));
    }
    Ok(out)
}

/// The key of a verification's step image.
pub fn image_key(scan_ref: &str, step: &str, ext: &str) -> String {
    format!("verifications/{scan_ref}/{step}.{ext}")
}

/// The key of the document portrait the face match used (cropped by the document reader; PNG), kept beside the
/// images for the review console and erased with them.
pub fn portrait_key(scan_ref: &str) -> String {
    format!("verifications/{scan_ref}/derived/portrait.png")
}

/// The key of the document fields as each zone printed them (JSON), kept for the review console beside the images
/// and erased with them.
pub fn readings_key(scan_ref: &str) -> String {
    format!("verifications/{scan_ref}/derived/readings.json")
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

    #[tokio::test]
    async fn local_file_is_where_the_local_backend_writes() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobStore::local(dir.path()).unwrap();
        let k = "verifications/abc/0f1e/FRONT.jpg";
        b.put(k, Bytes::from_static(b"bytes")).await.unwrap();
        let f = local_file(dir.path(), k).unwrap();
        assert_eq!(f, dir.path().join("verifications/abc/0f1e/FRONT.jpg"));
        assert_eq!(std::fs::read(f).unwrap(), b"bytes");
        for bad in ["", "../x", "a/../b", "a//b", "/abs", "a/./b"] {
            assert!(local_file(dir.path(), bad).is_err(), "{bad:?} accepted");
        }
    }

    #[tokio::test]
    async fn a_buffer_handed_over_is_sealed_in_place_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let b = BlobStore::local(dir.path())
            .unwrap()
            .with_envelope(&[9u8; 32]);
        for len in [0usize, 100, 5 * 1024 * 1024 + 3] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            // The only reference: sealed in place.
            b.put("x/FRONT.png", Bytes::from(plain.clone()))
                .await
                .unwrap();
            let raw = std::fs::read(dir.path().join("x/FRONT.png")).unwrap();
            assert!(envelope::is_sealed(&raw));
            assert_eq!(
                raw.len(),
                80 + len + len.div_ceil(envelope::SEGMENT).max(1) * 16
            );
            assert_eq!(b.get("x/FRONT.png").await.unwrap(), Bytes::from(plain));
        }
    }

    #[tokio::test]
    async fn sealed_at_rest_and_legacy_plaintext_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let plain = BlobStore::local(dir.path()).unwrap();
        plain
            .put("old/FRONT.jpg", Bytes::from_static(b"legacy"))
            .await
            .unwrap();
        let b = BlobStore::local(dir.path())
            .unwrap()
            .with_envelope(&[3u8; 32]);
        assert!(b.encrypted());
        let big = Bytes::from(vec![0xAB; 3 * 1024 * 1024]);
        b.put("new/FRONT.jpg", big.clone()).await.unwrap();
        b.put("new/FACE.png", Bytes::from_static(b"face bytes"))
            .await
            .unwrap();
        assert_eq!(b.get("new/FRONT.jpg").await.unwrap(), big);
        assert_eq!(
            b.get("new/FACE.png").await.unwrap(),
            Bytes::from_static(b"face bytes")
        );
        // On disk: sealed, and not the plaintext.
        let raw = std::fs::read(dir.path().join("new/FACE.png")).unwrap();
        assert!(envelope::is_sealed(&raw));
        assert!(!raw.windows(10).any(|w| w == b"face bytes"));
        assert_eq!(
            b.get("old/FRONT.jpg").await.unwrap(),
            Bytes::from_static(b"legacy")
        );
        // Another master key cannot open it.
        let other = BlobStore::local(dir.path())
            .unwrap()
            .with_envelope(&[4u8; 32]);
        assert!(matches!(
            other.get("new/FACE.png").await,
            Err(BlobError::Envelope { .. })
        ));
    }

    /// A rotation from KEK 1 to KEK 2 on `old`/`storage` (the same storage opened twice): objects open during it,
    /// are moved by `rewrap` (a second call leaves them), and open with KEK 2 alone afterwards.
    async fn rewrap_moves_objects(old: BlobStore, storage: BlobStore, scan: &str) {
        let old = old.with_envelope(&[1u8; 32]);
        let keys = [
            image_key(scan, "FRONT", "jpg"),
            image_key(scan, "FACE", "png"),
        ];
        let big = Bytes::from(vec![0x5A; 2 * 1024 * 1024 + 3]);
        old.put(&keys[0], big.clone()).await.unwrap();
        old.put(&keys[1], Bytes::from_static(b"face"))
            .await
            .unwrap();
        let rotating = storage.with_envelope_keys(&[2u8; 32], Some(&[1u8; 32]));
        assert_eq!(rotating.get(&keys[0]).await.unwrap(), big);
        assert_eq!(
            rotating.rewrap(&keys[0], true).await.unwrap(),
            Rewrap::Rewrapped
        );
        assert_eq!(
            rotating.rewrap(&keys[0], true).await.unwrap(),
            Rewrap::Rewrapped,
            "check only"
        );
        for k in &keys {
            assert_eq!(rotating.rewrap(k, false).await.unwrap(), Rewrap::Rewrapped);
            assert_eq!(rotating.rewrap(k, false).await.unwrap(), Rewrap::Current);
        }
        assert_eq!(
            rotating
                .rewrap(&image_key(scan, "X", "jpg"), false)
                .await
                .unwrap(),
            Rewrap::Gone
        );
        // Every clone takes new keys at once: the rotation done, KEK 2 alone opens them and KEK 1 no longer does.
        let clone = rotating.clone();
        clone.set_envelope_keys(&[2u8; 32], None);
        assert_eq!(rotating.get(&keys[0]).await.unwrap(), big);
        assert_eq!(
            rotating.get(&keys[1]).await.unwrap(),
            Bytes::from_static(b"face")
        );
        assert!(old.get(&keys[1]).await.is_err());
        rotating
            .delete_prefix(&verification_prefix(scan))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn rewrap_moves_local_objects_to_the_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let plain = BlobStore::local(dir.path()).unwrap();
        plain
            .put("legacy/x", Bytes::from_static(b"plain"))
            .await
            .unwrap();
        let b = BlobStore::local(dir.path())
            .unwrap()
            .with_envelope(&[2u8; 32]);
        assert_eq!(b.rewrap("legacy/x", false).await.unwrap(), Rewrap::Plain);
        rewrap_moves_objects(
            BlobStore::local(dir.path()).unwrap(),
            BlobStore::local(dir.path()).unwrap(),
            "loc",
        )
        .await;
    }

    #[tokio::test]
    async fn rewrap_moves_s3_objects_when_configured() {
        let Some(cfg) = test_s3_config() else {
            eprintln!("KYCD_TEST_S3_ENDPOINT not set: S3 test skipped");
            return;
        };
        rewrap_moves_objects(
            BlobStore::s3(&cfg).unwrap(),
            BlobStore::s3(&cfg).unwrap(),
            "s3rot",
        )
        .await;
    }

    /// Runs against an S3-compatible server when `KYCD_TEST_S3_ENDPOINT` is set (CI starts one on loopback).
    #[tokio::test]
    async fn s3_round_trip_when_configured() {
        let Some(cfg) = test_s3_config() else {
            eprintln!("KYCD_TEST_S3_ENDPOINT not set: S3 test skipped");
            return;
        };
        let b = BlobStore::s3(&cfg).unwrap().with_envelope(&[5u8; 32]);
        let k = image_key("s3test", "FRONT", "jpg");
        b.put(&k, Bytes::from_static(b"on s3")).await.unwrap();
        assert_eq!(b.get(&k).await.unwrap(), Bytes::from_static(b"on s3"));
        assert!(envelope::is_sealed(&b.get_raw(&k).await.unwrap()));
        assert!(b.exists(&k).await.unwrap());
        assert_eq!(
            b.delete_prefix(&verification_prefix("s3test"))
                .await
                .unwrap(),
            1
        );
        assert!(!b.exists(&k).await.unwrap());
    }

    fn test_s3_config() -> Option<S3Config> {
        let endpoint = std::env::var("KYCD_TEST_S3_ENDPOINT").ok()?;
        Some(S3Config {
            bucket: std::env::var("KYCD_TEST_S3_BUCKET").unwrap_or_else(|_| "kycd-test".into()),
            endpoint: Some(endpoint),
            region: None,
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
            prefix: Some(format!("unit-{}", std::process::id())),
        })
    }
}
