//! `kycd serve`: wiring of store, blobs, checks, API and workers; graceful shutdown on SIGTERM/Ctrl-C.

use crate::config::Config;
use anyhow::{Context, Result};
use kycd_api::{ApiConfig, AppState};
use kycd_pipeline::result::FileUrls;
use kycd_pipeline::{Worker, WorkerConfig};
use kycd_store::{Keyring, Store};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::info;

/// Sets up structured logs (`KYCD_LOG` or `RUST_LOG` filter, default `info`).
pub fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KYCD_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Opens (and migrates) the database, creating the data dir for SQLite.
pub async fn open_store(cfg: &Config) -> Result<Store> {
    Ok(open_keyed(cfg).await?.0)
}

/// Opens the store with the configured keyring and returns both; the keyring's pepper is the stored one once a
/// master-key rotation has stored it.
pub async fn open_keyed(cfg: &Config) -> Result<(Store, Keyring)> {
    if cfg.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("cannot create data dir {}", cfg.data_dir.display()))?;
    }
    let keyring = cfg.keyring()?;
    let store = Store::connect(&cfg.database_url, cfg.db_max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                kycd_store::redact(&cfg.database_url)
            )
        })?
        .with_encryption(keyring.clone());
    store.load_pepper().await?;
    Ok((store, keyring))
}

/// How often a server started on the key file looks for a rotated key (`kycd keys rotate` waits for it).
pub const KEY_RELOAD: Duration = Duration::from_secs(2);

/// Watches the key files of an installation whose master key is a file: when `kycd keys rotate` swaps in a new key
/// (the old one moving to the `.previous` file) or finishes (removing it), this process's keyring and blob envelope
/// take the new keys. Anything else — a key file replaced by an unrelated key — is refused with a warning.
fn spawn_key_watcher(cfg: &Config, keyring: Keyring, blobs: kycd_blob::BlobStore) {
    if cfg.master_key_from_env() {
        return;
    }
    let cfg = cfg.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(KEY_RELOAD);
        loop {
            tick.tick().await;
            let loaded = crate::config::read_key_file(&cfg.master_key_file).and_then(|cur| {
                let cur = cur.context("the master key file is gone")?;
                Ok((cfg.previous_master_key(&cur)?, cur))
            });
            let (prev, cur) = match loaded {
                Ok(k) => k,
                Err(e) => {
                    tracing::warn!("cannot read the master key files: {e:#}");
                    continue;
                }
            };
            let Ok(candidate) = Keyring::from_masters(&cur, prev.as_deref()) else {
                continue;
            };
            let (now, now_prev) = (keyring.key_check(), keyring.previous_key_check());
            let (new, new_prev) = (candidate.key_check(), candidate.previous_key_check());
            if (new.clone(), new_prev.clone()) == (now.clone(), now_prev.clone()) {
                continue;
            }
            // A rotation starting (our key becomes the previous one) or finishing (the previous key goes away).
            let known = new_prev.as_ref() == Some(&now) || (new == now && new_prev.is_none());
            if !known {
                tracing::warn!(
                    "the master key file changed to a key that is not a rotation of the one in use; keeping the                      current keys (rotate with `kycd keys rotate`)"
                );
                continue;
            }
            if keyring.install(&cur, prev.as_deref()).is_ok() {
                blobs.set_envelope_keys(&keyring.blob_kek(), keyring.previous_blob_kek().as_ref());
                info!(key = %new, previous = ?new_prev, "master key reloaded");
            }
        }
    });
}

async fn shutdown_signal(tx: watch::Sender<bool>) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    info!("shutdown requested");
    let _ = tx.send(true);
}

/// Runs the service in the given role until a shutdown signal.
pub async fn serve(cfg: Config, role: &str) -> Result<()> {
    let (store, keyring) = open_keyed(&cfg).await?;
    let blobs = cfg.blob_store(&keyring)?;
    spawn_key_watcher(&cfg, keyring.clone(), blobs.clone());
    // Models are loaded once at start; a missing file stops the process with the command that installs it.
    let engines = crate::config::load_engines(&cfg, cfg.workers.max(1))?;
    let aml = engines.aml.clone();
    if aml.is_empty() {
        let warning = "no sanctions/PEP lists are loaded: every verification of a partner with AML on that passes \
                       its other checks becomes SUSPECTED with AML_FAILED. Run `kycd lists update` to download the \
                       official lists (or `kycd lists import` for local files; the running server picks them up), \
                       or switch AML off for partners without the service: `kycd partner update NAME --aml off`";
        let refresh = match cfg.lists_refresh {
            Some(_) => {
                " The scheduled refresh (KYCD_LISTS_REFRESH) tries the publishers (or KYCD_LISTS_MIRROR_URL) now."
            }
            None => " The scheduled refresh is off (KYCD_LISTS_REFRESH=off).",
        };
        tracing::warn!("AML: {warning}.{refresh}");
        // Also on the console of whoever started the server, whatever the log format or level.
        eprintln!("WARNING: {warning}.{refresh}");
    } else {
        info!(
            entities = aml.index().entities().len(),
            lists = aml.index().lists().len(),
            "sanctions lists loaded"
        );
    }
    // Lists written by `kycd lists import|update` (another process) are swapped in atomically.
    let _aml_watcher = aml
        .clone()
        .spawn_watcher_with(Duration::from_secs(5), |ev| match ev {
            kycd_aml::ReloadEvent::Reloaded(s) => info!("AML lists reloaded: {s}"),
            kycd_aml::ReloadEvent::Failed { error, .. } => {
                tracing::warn!("AML list reload failed, the previous index is kept: {error}")
            }
        })
        .context("cannot start the AML list watcher")?;
    let checks = engines.checks();
    let (tx, rx) = watch::channel(false);
    tokio::spawn(shutdown_signal(tx));
    // AML monitoring: new subjects screened, lists refreshed on schedule (one process of a fleet at a time), and
    // monitored subjects re-screened after each change. Detached: a download in flight never delays a stop.
    let sources = match &cfg.lists_mirror_url {
        Some(m) => kycd_aml::monitor::mirrored(kycd_aml::update::official_sources(), m),
        None => kycd_aml::update::official_sources(),
    };
    let monitor = kycd_engines::monitoring::Monitor::new(
        store.clone(),
        aml.clone(),
        cfg.data_dir.clone(),
        sources,
        format!("kycd-{}-{}", role, std::process::id()),
    );
    tokio::spawn(monitor.run(cfg.lists_refresh, Duration::from_secs(10), rx.clone()));
    match cfg.lists_refresh {
        Some(every) => info!(
            every_secs = every.as_secs(),
            mirror = cfg.lists_mirror_url.is_some(),
            "sanctions lists refreshed on schedule"
        ),
        None => info!("scheduled list refresh is off (KYCD_LISTS_REFRESH=off)"),
    }

    let listener = if role != "worker" {
        Some(
            tokio::net::TcpListener::bind(&cfg.bind)
                .await
                .with_context(|| format!("cannot listen on {}", cfg.bind))?,
        )
    } else {
        None
    };
    let local = listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let public_url = cfg.public_url.clone().unwrap_or_else(|| match local {
        Some(a) => format!("http://{a}"),
        None => format!("http://{}", cfg.bind),
    });
    let files = FileUrls {
        base: public_url.clone(),
        keyring: keyring.clone(),
        ttl_secs: cfg.file_url_ttl_secs,
    };

    let mut tasks = tokio::task::JoinSet::new();
    let mut wake = None;
    if role != "api" {
        let worker = Worker::new(
            store.clone(),
            blobs.clone(),
            checks.clone(),
            files.clone(),
            WorkerConfig {
                name: format!("kycd-{}", std::process::id()),
                concurrency: cfg.workers.max(1),
                lease: Duration::from_secs(cfg.job_lease_secs),
                poll: Duration::from_millis(500),
                retry_backoff: Duration::from_secs(5),
            },
        );
        wake = Some(worker.waker());
        let rx = rx.clone();
        tasks.spawn(async move {
            worker.run(rx).await;
            Ok::<(), anyhow::Error>(())
        });
        info!(workers = cfg.workers, "workers started");
    }
    if role != "api" {
        let deliverer = kycd_webhook::Deliverer::new(
            store.clone(),
            keyring.clone(),
            kycd_webhook::DelivererConfig {
                schedule: cfg.webhook_retry_schedule.clone(),
                allow_private: cfg.webhook_allow_private,
                poll: Duration::from_millis(200),
                ..Default::default()
            },
        )
        .map_err(|e| anyhow::anyhow!("cannot start the webhook deliverer: {e}"))?;
        let rx_d = rx.clone();
        tasks.spawn(async move {
            deliverer.run(rx_d).await;
            Ok::<(), anyhow::Error>(())
        });
        let rx_e = rx.clone();
        let expiry =
            kycd_pipeline::expiry::ExpirySweeper::new(store.clone(), Duration::from_secs(5));
        tasks.spawn(async move {
            expiry.run(rx_e).await;
            Ok::<(), anyhow::Error>(())
        });
        let rx_r = rx.clone();
        let retention = kycd_pipeline::retention::RetentionSweeper::new(
            store.clone(),
            blobs.clone(),
            cfg.retention_days,
            Duration::from_secs(3600),
        );
        tasks.spawn(async move {
            retention.run(rx_r).await;
            Ok::<(), anyhow::Error>(())
        });
    }
    if let (Some(listener), Some(addr)) = (listener, local) {
        let state = AppState {
            store: store.clone(),
            blobs: blobs.clone(),
            keyring: keyring.clone(),
            checks: checks.clone(),
            files,
            config: Arc::new(ApiConfig {
                max_process_body: cfg.max_body_mb * 1024 * 1024,
                max_small_body: 1024 * 1024,
                max_image_pixels: cfg.max_image_pixels,
                public_url,
                allow_private_webhooks: cfg.webhook_allow_private,
                job_max_attempts: cfg.job_max_attempts,
                rate_limit_rps: cfg.rate_limit_rps,
                rate_limit_burst: cfg.rate_limit_burst,
            }),
            wake_workers: wake,
            limiter: Arc::new(kycd_api::ratelimit::RateLimiter::new(
                cfg.rate_limit_rps,
                cfg.rate_limit_burst,
            )),
        };
        // The review console: another front end over the same store, blobs and keys, on the same port.
        let console = kycd_console::ConsoleState::new(
            store.clone(),
            blobs.clone(),
            keyring.clone(),
            kycd_console::ConsoleConfig {
                insecure_cookies: cfg.console_insecure_cookies,
                ..Default::default()
            },
        );
        let app = kycd_api::router(state).merge(kycd_console::router(console));
        let mut rx = rx.clone();
        tasks.spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await
            .context("HTTP server failed")
        });
        info!(%addr, "listening");
        println!("kycd listening on http://{addr}");
        let _ = std::io::stdout().flush();
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    store.close().await;
    info!("stopped");
    Ok(())
}
