//! Crash recovery of the job queue (issue 18): a worker that dies while holding a job leaves it to another worker
//! within one lease plus one heartbeat of its death (the heartbeat kept the lease alive until then), and a worker
//! that is stopped gracefully hands its job back at once. Two `Store` connections to one SQLite file in a temporary
//! directory stand for two processes; the document check is a fake that blocks until the test lets it go.

mod common;
use common::passport;
use kycd_blob::BlobStore;
use kycd_pipeline::checks::{CheckError, DocumentAnalyzer, DocumentFacts};
use kycd_pipeline::result::FileUrls;
use kycd_pipeline::worker::heartbeat;
use kycd_pipeline::{Checks, Worker, WorkerConfig};
use kycd_store::{AcceptedVerification, ImageRef, Keyring, NewPartner, NewToken, Store};
use kycd_types::TokenType;
use kycd_types::token::TokenSettings;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Lets the test see that a worker is inside the checks, and hold it there.
#[derive(Default)]
struct Gate {
    entered: AtomicBool,
    open: AtomicBool,
}

/// A document check that blocks until its gate opens (at most 60 s), then reads a valid passport.
struct Blocking(Arc<Gate>);

impl DocumentAnalyzer for Blocking {
    fn analyze(
        &self,
        _front: (&[u8], &str),
        _back: Option<(&[u8], &str)>,
        _skip_quality: bool,
    ) -> Result<DocumentFacts, CheckError> {
        self.0.entered.store(true, Ordering::SeqCst);
        let until = Instant::now() + Duration::from_secs(60);
        while !self.0.open.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(passport())
    }
    fn editing_software(&self, _bytes: &[u8]) -> Option<String> {
        None
    }
    fn perceptual_hash(&self, _bytes: &[u8], _mime: &str) -> Option<u64> {
        None
    }
}

/// A document check that reads a valid passport at once.
struct Quick;

impl DocumentAnalyzer for Quick {
    fn analyze(
        &self,
        _front: (&[u8], &str),
        _back: Option<(&[u8], &str)>,
        _skip_quality: bool,
    ) -> Result<DocumentFacts, CheckError> {
        Ok(passport())
    }
    fn editing_software(&self, _bytes: &[u8]) -> Option<String> {
        None
    }
    fn perceptual_hash(&self, _bytes: &[u8], _mime: &str) -> Option<u64> {
        None
    }
}

fn settings(auth_token: &str, scan_ref: &str) -> TokenSettings {
    TokenSettings::minimal(auth_token, scan_ref, "c", TokenType::Document)
}

/// One installation in a temporary directory, shared by the "processes" of a test.
struct Env {
    dir: PathBuf,
    url: String,
    blobs: BlobStore,
    files: FileUrls,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Env {
    async fn new() -> (Self, Store) {
        let dir =
            std::env::temp_dir().join(format!("kycd-recovery-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("kycd.db").display());
        let store = Store::connect(&url, 4).await.unwrap();
        let keyring = Keyring::from_master(&[5u8; 32]).unwrap();
        let env = Env {
            blobs: BlobStore::local(dir.join("blobs")).unwrap(),
            files: FileUrls {
                base: "http://127.0.0.1:9".into(),
                keyring,
                ttl_secs: 3600,
            },
            dir,
            url,
        };
        (env, store)
    }

    /// Another process's connection to the same database.
    async fn connect(&self) -> Store {
        Store::connect(&self.url, 4).await.unwrap()
    }

    /// A submitted verification (token consumed, image stored, job queued); its scanRef.
    async fn submit(&self, store: &Store) -> String {
        let partner = store
            .create_partner(NewPartner {
                aml: false,
                ..NewPartner::new(
                    "p",
                    uuid::Uuid::new_v4().simple().to_string(),
                    vec![0; 32],
                    vec![0; 32],
                )
            })
            .await
            .unwrap();
        let scan_ref = uuid::Uuid::new_v4().to_string();
        let auth_token = uuid::Uuid::new_v4().simple().to_string();
        let now = kycd_store::now_ms();
        store
            .insert_token(&NewToken {
                partner_id: partner.id,
                settings: settings(&auth_token, &scan_ref),
                created_at: now,
                expires_at: now + 3_600_000,
            })
            .await
            .unwrap();
        let key = kycd_blob::image_key(&scan_ref, "FRONT", "jpg");
        self.blobs
            .put(&key, bytes::Bytes::from_static(b"front"))
            .await
            .unwrap();
        let mut images = BTreeMap::new();
        images.insert(
            "FRONT".to_string(),
            ImageRef {
                key,
                mime: "image/jpeg".into(),
                size: 5,
            },
        );
        store
            .accept_verification(&AcceptedVerification {
                partner_id: partner.id,
                auth_token,
                scan_ref: scan_ref.clone(),
                client_id: "c".into(),
                country: "LT".into(),
                document_type: Some("PASSPORT".into()),
                skip_analysis: false,
                images,
                precheck: None,
                max_attempts: 5,
            })
            .await
            .unwrap();
        scan_ref
    }

    fn worker(
        &self,
        store: Store,
        name: &str,
        lease: Duration,
        doc: Arc<dyn DocumentAnalyzer>,
    ) -> Worker {
        Worker::new(
            store,
            self.blobs.clone(),
            Checks {
                document: Some(doc),
                ..Checks::default()
            },
            self.files.clone(),
            WorkerConfig {
                name: name.into(),
                concurrency: 1,
                lease,
                poll: Duration::from_millis(50),
                retry_backoff: Duration::from_millis(100),
            },
        )
    }
}

async fn wait_entered(gate: &Gate) {
    let until = Instant::now() + Duration::from_secs(20);
    while !gate.entered.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < until,
            "the first worker never started the job"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the verification has its result; the time it took.
async fn wait_finished(store: &Store, scan_ref: &str, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit + Duration::from_secs(10) {
        let v = store.verification(scan_ref).await.unwrap().unwrap();
        if v.finished_at.is_some() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_job_is_finished_by_another_within_lease_plus_one_heartbeat() {
    let lease = Duration::from_secs(2);
    let beat = heartbeat(lease);
    let (env, store_a) = Env::new().await;
    let scan_ref = env.submit(&store_a).await;
    let gate = Arc::new(Gate::default());

    let (_tx_a, rx_a) = watch::channel(false);
    let a = env.worker(
        store_a.clone(),
        "a",
        lease,
        Arc::new(Blocking(gate.clone())),
    );
    let task_a = tokio::spawn(a.run(rx_a));
    wait_entered(&gate).await;

    // Another process's worker polls all along; the heartbeat keeps it off the job past the first lease.
    let store_b = env.connect().await;
    let (tx_b, rx_b) = watch::channel(false);
    let b = env.worker(store_b.clone(), "b", lease, Arc::new(Quick));
    let task_b = tokio::spawn(b.run(rx_b));
    tokio::time::sleep(lease + beat).await;
    assert_eq!(
        store_b
            .count_jobs(kycd_store::JobState::Running)
            .await
            .unwrap(),
        1
    );
    let v = store_b.verification(&scan_ref).await.unwrap().unwrap();
    assert!(
        v.finished_at.is_none(),
        "the job was taken while its worker was alive"
    );

    // Kill A: its tasks are dropped without releasing anything (as `kill -9` would leave the database).
    task_a.abort();
    let killed = Instant::now();
    let _ = task_a.await;
    let took = wait_finished(&store_b, &scan_ref, lease + beat)
        .await
        .map(|_| killed.elapsed())
        .expect("no other worker finished the dead worker's job");
    eprintln!(
        "reclaimed and finished {took:?} after the kill (lease {lease:?}, heartbeat {beat:?})"
    );
    assert!(
        took <= lease + beat,
        "finished {took:?} after the kill, more than lease + heartbeat ({:?})",
        lease + beat
    );
    assert_eq!(
        store_b
            .count_jobs(kycd_store::JobState::Done)
            .await
            .unwrap(),
        1
    );
    let v = store_b.verification(&scan_ref).await.unwrap().unwrap();
    assert_ne!(v.status, "REVIEWING");

    tx_b.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task_b)
        .await
        .expect("worker b stops")
        .unwrap();
    gate.open.store(true, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_releases_the_job_at_once_without_counting_the_attempt() {
    // A long lease: only an explicit release lets another worker in quickly.
    let lease = Duration::from_secs(30);
    let (env, store_a) = Env::new().await;
    let scan_ref = env.submit(&store_a).await;
    let gate = Arc::new(Gate::default());

    let (tx_a, rx_a) = watch::channel(false);
    let a = env.worker(
        store_a.clone(),
        "a",
        lease,
        Arc::new(Blocking(gate.clone())),
    );
    let task_a = tokio::spawn(a.run(rx_a));
    wait_entered(&gate).await;
    assert_eq!(
        store_a
            .count_jobs(kycd_store::JobState::Running)
            .await
            .unwrap(),
        1
    );

    let stop = Instant::now();
    tx_a.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task_a)
        .await
        .expect("a stopping worker does not wait for its job's checks")
        .unwrap();
    eprintln!("worker stopped {:?} after the signal", stop.elapsed());
    assert_eq!(
        store_a
            .count_jobs(kycd_store::JobState::Running)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store_a
            .count_jobs(kycd_store::JobState::Queued)
            .await
            .unwrap(),
        1
    );

    // Claimable at once by anyone, and the interrupted attempt was not counted.
    let store_b = env.connect().await;
    let probe = store_b
        .claim_job("probe", 1_000)
        .await
        .unwrap()
        .expect("a released job is claimable at once");
    assert_eq!(probe.scan_ref, scan_ref);
    assert_eq!(probe.attempts, 1, "the interrupted attempt is not counted");
    assert!(store_b.release_job(&probe).await.unwrap());

    // Another worker finishes it well within the lease.
    let (tx_b, rx_b) = watch::channel(false);
    let b = env.worker(store_b.clone(), "b", lease, Arc::new(Quick));
    let task_b = tokio::spawn(b.run(rx_b));
    let took = wait_finished(&store_b, &scan_ref, Duration::from_secs(5))
        .await
        .expect("the released job is finished by another worker");
    assert!(took < Duration::from_secs(5), "{took:?}");
    tx_b.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), task_b)
        .await
        .expect("worker b stops")
        .unwrap();
    gate.open.store(true, Ordering::SeqCst);
}
