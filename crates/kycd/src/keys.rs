//! `kycd keys`: master-key rotation and its status.
//!
//! With the key in a file (the embedded default), `kycd keys rotate` does everything while the service runs: it
//! stores the pepper, writes a new key, keeps the old one beside it as `<key file>.previous`, waits for running
//! servers to pick both up (they look every [`KEY_RELOAD`]), re-wraps every value and blob data key in batches, checks
//! that nothing is left under the old key and deletes the `.previous` file. Interrupted, it resumes where it
//! stopped when run again. With the key in the environment (a fleet), the operator gives every process the new key
//! in `KYCD_MASTER_KEY` and the old one in `KYCD_MASTER_KEY_PREVIOUS`, restarts them, runs `kycd keys rotate`, then
//! removes `KYCD_MASTER_KEY_PREVIOUS`.

use crate::config::{self, Config};
use crate::partner::rfc3339;
use crate::serve::{KEY_RELOAD, open_keyed};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kycd_pipeline::rekey::{RotationState, Rotator};
use std::time::Duration;

/// `kycd keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Introduces a new master key and re-wraps every data key with it, online and resumable.
    Rotate {
        /// Rows (or verifications, for images) per batch.
        #[arg(long, default_value_t = 500)]
        batch: i64,
        /// Pause between batches in milliseconds, to spare a busy database.
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
    /// Shows the keys in use (by fingerprint) and the progress of the rotation under way or last finished.
    Status {
        /// Prints JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prints a new random master key (base64), for `KYCD_MASTER_KEY` in a fleet.
    Generate,
}

/// Runs a `kycd keys` command.
pub async fn run(cfg: Config, cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Rotate { batch, pause_ms } => {
            rotate(&cfg, batch, Duration::from_millis(pause_ms)).await
        }
        KeysCommand::Status { json } => status(&cfg, json).await,
        KeysCommand::Generate => {
            println!("{}", config::encode_key(&config::new_master_key()?));
            Ok(())
        }
    }
}

async fn rotate(cfg: &Config, batch: i64, pause: Duration) -> Result<()> {
    let from_env = cfg.master_key_from_env();
    let (store, keyring) = open_keyed(cfg).await?;
    if !keyring.rotating() {
        if from_env {
            bail!(
                "KYCD_MASTER_KEY is set, so the key is not kycd's to change: generate a new key (`kycd keys \
                 generate`), give every process the new key in KYCD_MASTER_KEY and the current one in \
                 KYCD_MASTER_KEY_PREVIOUS, restart them, then run `kycd keys rotate` with the same variables"
            );
        }
        // The pepper outlives the key: stored (encrypted with the current key) before the key changes.
        store.store_pepper().await?;
        swap_key_files(cfg)?;
        store.close().await;
        eprintln!(
            "new master key written to {}; the previous key is kept in {} until the rotation finishes",
            cfg.master_key_file.display(),
            cfg.previous_key_file().display()
        );
        // Running servers look at the key files every KEY_RELOAD: let them all take the new key before anything
        // is sealed with it.
        tokio::time::sleep(KEY_RELOAD * 3).await;
        return Box::pin(rotate(cfg, batch, pause)).await;
    }
    // A fleet's first rotation: the pepper is stored now (processes derive it from the previous key until then).
    store.store_pepper().await?;
    let old = keyring.previous_key_check().unwrap_or_default();
    let new = keyring.key_check();
    let mut state = match RotationState::load(&store).await? {
        Some(s) if s.old_key == old && s.new_key == new => {
            if !s.done() {
                eprintln!(
                    "resuming the rotation {old} -> {new} begun {} ({})",
                    rfc3339(s.started_at),
                    s.phase()
                );
            }
            s
        }
        _ => RotationState::new(old.clone(), new.clone()),
    };
    let blobs = cfg.blob_store(&keyring)?;
    let rotator = Rotator::new(store.clone(), blobs, batch, pause);
    let mut last_phase = String::new();
    rotator
        .run(&mut state, |s| {
            let phase = s.phase();
            if phase != last_phase {
                eprintln!(
                    "rotation: {phase} — {} values and {} blobs re-wrapped so far",
                    s.values_rewrapped, s.blobs_rewrapped
                );
                last_phase = phase;
            }
        })
        .await?;
    state.save(&store).await?;
    store.close().await;
    println!(
        "rotation {old} -> {new} done: {} values and {} images re-wrapped ({} values and {} images looked at, {} \
         pass(es)); nothing is sealed with the old key any more",
        state.values_rewrapped,
        state.blobs_rewrapped,
        state.values_examined,
        state.blobs_examined,
        state.passes
    );
    if from_env {
        println!(
            "remove KYCD_MASTER_KEY_PREVIOUS from every process (and destroy the old key once no backup needs it)"
        );
    } else {
        let prev = cfg.previous_key_file();
        remove_key_file(&prev)?;
        println!(
            "the previous key file {} is deleted. Backups taken before the rotation need the old key: keep a copy \
             of it with them if you still need them",
            prev.display()
        );
    }
    Ok(())
}

/// Puts a new key in the key file and the current one in the `.previous` file, in an order that leaves a usable
/// pair of files at every step: `.next` is written, the current key copied to `.previous`, then `.next` renamed
/// over the key file. Leftovers of an interrupted swap are finished or discarded.
fn swap_key_files(cfg: &Config) -> Result<()> {
    let key_file = &cfg.master_key_file;
    let prev_file = cfg.previous_key_file();
    let mut next = key_file.clone().into_os_string();
    next.push(".next");
    let next_file = std::path::PathBuf::from(next);
    let current = config::read_key_file(key_file)?
        .with_context(|| format!("{} does not exist", key_file.display()))?;
    if let Some(prev) = config::read_key_file(&prev_file)? {
        if prev != current {
            bail!(
                "{} holds another key: a rotation is under way, run `kycd keys rotate` with both files",
                prev_file.display()
            );
        }
        // Interrupted after the copy: finish the swap with the key already written.
        if next_file.exists() {
            config::read_key_file(&next_file)?;
            std::fs::rename(&next_file, key_file)
                .with_context(|| format!("cannot replace {}", key_file.display()))?;
            return sync_dir(key_file);
        }
        remove_key_file(&prev_file)?;
    }
    if next_file.exists() {
        remove_key_file(&next_file)?;
    }
    config::write_key_file(&next_file, &config::new_master_key()?)?;
    config::write_key_file(&prev_file, &current)?;
    std::fs::rename(&next_file, key_file)
        .with_context(|| format!("cannot replace {}", key_file.display()))?;
    sync_dir(key_file)
}

fn sync_dir(file: &std::path::Path) -> Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync {}", dir.display()))?;
    }
    Ok(())
}

fn remove_key_file(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => sync_dir(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot delete {}", path.display())),
    }
}

async fn status(cfg: &Config, json: bool) -> Result<()> {
    let (store, keyring) = open_keyed(cfg).await?;
    let state = RotationState::load(&store).await?;
    store.close().await;
    let current = keyring.key_check();
    let previous = keyring.previous_key_check();
    let under_way = state
        .as_ref()
        .is_some_and(|s| !s.done() && s.new_key == current);
    if json {
        let v = serde_json::json!({
            "currentKey": current,
            "previousKey": previous,
            "keySource": if cfg.master_key_from_env() { "environment" } else { "file" },
            "rotation": state.as_ref().map(|s| serde_json::json!({
                "state": if s.done() { "done" } else if under_way { "in_progress" } else { "interrupted" },
                "from": s.old_key,
                "to": s.new_key,
                "phase": s.phase(),
                "startedAt": rfc3339(s.started_at),
                "finishedAt": s.finished_at.map(rfc3339),
                "passes": s.passes,
                "valuesRewrapped": s.values_rewrapped,
                "blobsRewrapped": s.blobs_rewrapped,
                "valuesExamined": s.values_examined,
                "blobsExamined": s.blobs_examined,
            })),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("current master key:  {current}");
    match &previous {
        Some(p) => println!("previous master key: {p} (still accepted: a rotation is under way)"),
        None => println!("previous master key: none"),
    }
    match state {
        None => println!("rotation: never rotated"),
        Some(s) => {
            let what = if s.done() {
                format!(
                    "done at {} after {} pass(es)",
                    rfc3339(s.finished_at.unwrap_or_default()),
                    s.passes
                )
            } else if under_way {
                format!("in progress: {}", s.phase())
            } else {
                "interrupted: run `kycd keys rotate` to resume".into()
            };
            println!("rotation {} -> {}: {what}", s.old_key, s.new_key);
            println!("  begun {}", rfc3339(s.started_at));
            println!(
                "  re-wrapped: {} values (of {} looked at), {} images (of {})",
                s.values_rewrapped, s.values_examined, s.blobs_rewrapped, s.blobs_examined
            );
        }
    }
    if previous.is_some() && !under_way {
        println!("run `kycd keys rotate` to finish moving everything to the current key");
    }
    Ok(())
}
