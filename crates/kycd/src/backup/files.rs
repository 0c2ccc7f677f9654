//! File helpers of backups: hashed copies, checksums, safe relative paths, directory walks.

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies `src` to a new file `dst` (parents created), returning its size and SHA-256.
pub(super) fn copy_hashed(src: &Path, dst: &Path) -> std::io::Result<(u64, String)> {
    if let Some(p) = dst.parent() {
        std::fs::create_dir_all(p)?;
    }
    let mut r = std::fs::File::open(src)?;
    let mut w = std::fs::File::create_new(dst)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        w.write_all(&buf[..k])?;
        n += k as u64;
    }
    w.sync_all()?;
    Ok((n, hex(&h.finalize())))
}

/// Size and SHA-256 of a file.
pub(super) fn hash_file(p: &Path) -> std::io::Result<(u64, String)> {
    let mut r = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex(&h.finalize())))
}

/// A manifest path as a path under `root`, refusing anything that could leave it.
pub(super) fn safe_join(root: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    if rel.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(p))
}

/// Every file under `dir`, as `/`-separated paths relative to `root`.
pub(super) fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            walk(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    Ok(())
}

/// Creates `dir` or accepts it empty.
pub(super) fn prepare_empty_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} is not empty: a backup goes into a new or empty directory",
            dir.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_manifest_paths_are_refused() {
        let root = Path::new("/backup");
        assert_eq!(
            safe_join(root, "blobs/verifications/a/FRONT.jpg"),
            Some(PathBuf::from("/backup/blobs/verifications/a/FRONT.jpg"))
        );
        for bad in [
            "",
            "../x",
            "blobs/../../etc/passwd",
            "/etc/passwd",
            "./kycd.db",
        ] {
            assert_eq!(safe_join(root, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn copies_are_hashed_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a");
        std::fs::write(&src, b"abc").unwrap();
        let dst = dir.path().join("sub/dir/b");
        let (n, sha) = copy_hashed(&src, &dst).unwrap();
        assert_eq!(n, 3);
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hash_file(&dst).unwrap(), (3, sha));
        assert!(copy_hashed(&src, &dst).is_err());
    }
}
