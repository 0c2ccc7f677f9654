//! On-disk store of normalised lists: `<data_dir>/lists/<key>.jsonl` (one [`Entity`] per
//! line) and `<data_dir>/lists/<key>.meta.json` ([`ListMeta`]). Files are written to a
//! temporary name and renamed, so a failed import never damages the previous version.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::error::AmlError;
use crate::model::{Entity, ListMeta, ParsedList, Source};
use crate::parsers::{Format, parse_paths};

/// The lists directory of a data dir.
pub fn lists_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("lists")
}

/// The generation stamp file in the lists dir. Every write to the store ends by replacing
/// it (write to a temporary name, then rename), so a running server can notice new lists
/// by reading one small file; see [`crate::ScreeningService::reload_if_changed`].
pub const GENERATION_FILE: &str = "GENERATION";

static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A temporary file name unique to this process and call, in `dir`.
fn tmp_path(dir: &Path, stem: &str) -> PathBuf {
    let seq = TMP_SEQ.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{stem}.{}.{seq}.tmp", std::process::id()))
}

/// Write `bytes` to `path` atomically (temporary file in the same dir, then rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AmlError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tmp_path(dir, &stem);
    fs::write(&tmp, bytes).map_err(|e| AmlError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        AmlError::io(path, e)
    })
}

/// Mark the store as changed: replace the generation stamp with a new unique value
/// (`<unix nanos hex>-<pid>-<seq> <UTC time>`). Returns the new stamp.
pub fn bump_generation(data_dir: &Path) -> Result<String, AmlError> {
    let dir = lists_dir(data_dir);
    fs::create_dir_all(&dir).map_err(|e| AmlError::io(&dir, e))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let stamp = format!(
        "{nanos:x}-{}-{} {}",
        std::process::id(),
        TMP_SEQ.fetch_add(1, Ordering::Relaxed),
        utc_now()
    );
    write_atomic(&dir.join(GENERATION_FILE), format!("{stamp}\n").as_bytes())?;
    Ok(stamp)
}

/// The current generation stamp, `None` when no store write has stamped the dir yet.
pub fn generation(data_dir: &Path) -> Result<Option<String>, AmlError> {
    let p = lists_dir(data_dir).join(GENERATION_FILE);
    match fs::read_to_string(&p) {
        Ok(s) => Ok(Some(s.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AmlError::io(&p, e)),
    }
}

/// A cheap fingerprint of the stored lists: the generation stamp plus each list's key,
/// checksum, import time and size (reads only the small metadata files). It changes when
/// any list is imported, updated or removed, also by a writer that does not stamp.
pub fn fingerprint(data_dir: &Path) -> Result<String, AmlError> {
    let mut s = generation(data_dir)?.unwrap_or_else(|| "-".into());
    for m in status(data_dir)? {
        s.push_str(&format!(
            "|{}:{}:{}:{}",
            m.key, m.sha256, m.imported_at, m.entity_count
        ));
    }
    Ok(s)
}

/// Replace a list's metadata file atomically and stamp the store.
pub fn write_meta(data_dir: &Path, meta: &ListMeta) -> Result<(), AmlError> {
    validate_key(&meta.key)?;
    let dir = lists_dir(data_dir);
    fs::create_dir_all(&dir).map_err(|e| AmlError::io(&dir, e))?;
    let path = dir.join(format!("{}.meta.json", meta.key));
    write_atomic(&path, &serde_json::to_vec_pretty(meta)?)?;
    bump_generation(data_dir)?;
    Ok(())
}

/// Current UTC time as `YYYY-MM-DD HH:MM:SS`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_unix(secs)
}

/// Format Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format_unix(secs: u64) -> String {
    let day = kycd_mrz::Date::from_days_since_epoch((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{} {:02}:{:02}:{:02}",
        day.to_iso(),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The default store key of a list.
pub fn default_key(source: Source, paths: &[PathBuf]) -> String {
    let base = serde_json::to_value(source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "list".into());
    if source == Source::OpenSanctions {
        let stem = paths
            .first()
            .and_then(|p| p.file_stem())
            .map(|s| {
                s.to_string_lossy()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect::<String>()
            })
            .unwrap_or_default();
        format!("{base}-{stem}")
    } else {
        base
    }
}

pub(crate) fn sha256_files(paths: &[PathBuf]) -> Result<String, AmlError> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    for p in paths {
        let mut f = File::open(p).map_err(|e| AmlError::io(p, e))?;
        loop {
            let n = f.read(&mut buf).map_err(|e| AmlError::io(p, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn validate_key(key: &str) -> Result<(), AmlError> {
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AmlError::Invalid(format!(
            "list key {key:?} (use letters, digits, '-', '_')"
        )));
    }
    Ok(())
}

/// Write a parsed list under `key` atomically: the entities file, then its metadata, each
/// renamed into place, then the generation stamp ([`bump_generation`]) last.
pub fn store_list(
    data_dir: &Path,
    key: &str,
    meta: &ListMeta,
    list: &ParsedList,
) -> Result<(), AmlError> {
    validate_key(key)?;
    let dir = lists_dir(data_dir);
    fs::create_dir_all(&dir).map_err(|e| AmlError::io(&dir, e))?;
    let data = dir.join(format!("{key}.jsonl"));
    let tmp = tmp_path(&dir, &format!("{key}.jsonl"));
    let written = (|| {
        let f = File::create(&tmp).map_err(|e| AmlError::io(&tmp, e))?;
        let mut w = BufWriter::new(f);
        for e in &list.entities {
            serde_json::to_writer(&mut w, e)?;
            w.write_all(b"\n").map_err(|e| AmlError::io(&tmp, e))?;
        }
        w.flush().map_err(|e| AmlError::io(&tmp, e))?;
        Ok::<(), AmlError>(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let meta_path = dir.join(format!("{key}.meta.json"));
    let meta_tmp = tmp_path(&dir, &format!("{key}.meta.json"));
    fs::write(&meta_tmp, serde_json::to_vec_pretty(meta)?)
        .map_err(|e| AmlError::io(&meta_tmp, e))?;
    fs::rename(&tmp, &data).map_err(|e| AmlError::io(&data, e))?;
    fs::rename(&meta_tmp, &meta_path).map_err(|e| AmlError::io(&meta_path, e))?;
    bump_generation(data_dir)?;
    Ok(())
}

/// Parse `paths` in `format` and store the result. Returns the new metadata.
pub fn import(
    data_dir: &Path,
    format: Format,
    paths: &[PathBuf],
    key: Option<&str>,
) -> Result<(ListMeta, ParsedList), AmlError> {
    let (source, list) = parse_paths(format, paths)?;
    let key = key
        .map(str::to_string)
        .unwrap_or_else(|| default_key(source, paths));
    let meta = ListMeta {
        source,
        key: key.clone(),
        format: format.name().to_string(),
        published: list.published.clone(),
        imported_at: utc_now(),
        sha256: sha256_files(paths)?,
        entity_count: list.entities.len(),
        name_count: list.name_count(),
        inputs: paths
            .iter()
            .map(|p| {
                p.file_name()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect(),
    };
    store_list(data_dir, &key, &meta, &list)?;
    Ok((meta, list))
}

/// Metadata of every stored list, sorted by key.
pub fn status(data_dir: &Path) -> Result<Vec<ListMeta>, AmlError> {
    let dir = lists_dir(data_dir);
    let mut out = Vec::new();
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(AmlError::io(&dir, e)),
    };
    for ent in rd {
        let ent = ent.map_err(|e| AmlError::io(&dir, e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        if name.ends_with(".meta.json") && !name.starts_with('.') {
            let p = ent.path();
            let bytes = fs::read(&p).map_err(|e| AmlError::io(&p, e))?;
            out.push(serde_json::from_slice::<ListMeta>(&bytes)?);
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Load every stored list.
pub fn load_all(data_dir: &Path) -> Result<(Vec<Entity>, Vec<ListMeta>), AmlError> {
    let metas = status(data_dir)?;
    if metas.is_empty() {
        return Err(AmlError::NoLists(lists_dir(data_dir)));
    }
    let mut entities = Vec::new();
    for m in &metas {
        let p = lists_dir(data_dir).join(format!("{}.jsonl", m.key));
        let f = File::open(&p).map_err(|e| AmlError::io(&p, e))?;
        for line in BufReader::new(f).lines() {
            let line = line.map_err(|e| AmlError::io(&p, e))?;
            if !line.trim().is_empty() {
                entities.push(serde_json::from_str::<Entity>(&line)?);
            }
        }
    }
    Ok((entities, metas))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00");
        assert_eq!(format_unix(1_580_674_922), "2020-02-02 20:22:02");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn roundtrip() {
        let dir = std::env::temp_dir().join(format!("kycd-aml-store-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        assert!(matches!(load_all(&dir), Err(AmlError::NoLists(_))));
        let mut e = Entity::new(Source::UnSc, "X.1", crate::model::EntityKind::Person);
        e.push_name(crate::model::NameRecord::new(
            "A B",
            crate::model::NameKind::Primary,
        ));
        let list = ParsedList {
            entities: vec![e.clone()],
            ..Default::default()
        };
        let meta = ListMeta {
            source: Source::UnSc,
            key: "un-sc".into(),
            format: "un-xml".into(),
            published: None,
            imported_at: utc_now(),
            sha256: String::new(),
            entity_count: 1,
            name_count: 1,
            inputs: vec![],
        };
        store_list(&dir, "un-sc", &meta, &list).unwrap();
        let (ents, metas) = load_all(&dir).unwrap();
        assert_eq!(ents, vec![e]);
        assert_eq!(metas, vec![meta]);
        assert!(store_list(&dir, "../evil", &metas[0], &list).is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
