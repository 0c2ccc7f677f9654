//! Line-length alignment candidates for lines that are 1-2 characters too short or too long.
//!
//! Tier 0: edits at the end of the line (pad with fillers / drop trailing fillers).
//! Tier 1: insert or delete fillers next to existing fillers anywhere in the line.
//! Tier 2: delete any one or two characters / insert any one MRZ character.

use std::collections::HashSet;

use super::fix::{Class, class_allows};
use super::{Correction, CorrectionKind};

/// An aligned line with the edits that produced it.
#[derive(Debug, Clone)]
pub(crate) struct Aligned {
    pub bytes: Vec<u8>,
    pub edits: Vec<Correction>,
    pub tier: u8,
}

const ALPHABET: &[u8] = b"<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn insert(line: &[u8], pos: usize, c: u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(line.len() + 1);
    v.extend_from_slice(&line[..pos]);
    v.push(c);
    v.extend_from_slice(&line[pos..]);
    v
}

fn delete(line: &[u8], pos: usize) -> Vec<u8> {
    let mut v = line.to_vec();
    v.remove(pos);
    v
}

fn ins_edit(li: usize, pos: usize, c: u8) -> Correction {
    Correction {
        line: li,
        column: pos,
        from: None,
        to: Some(c as char),
        kind: CorrectionKind::Inserted,
    }
}

fn del_edit(li: usize, pos: usize, c: u8) -> Correction {
    Correction {
        line: li,
        column: pos,
        from: Some(c as char),
        to: None,
        kind: CorrectionKind::Deleted,
    }
}

/// Single edits of one tier that move the length one step towards the target.
fn single_edits(
    line: &[u8],
    li: usize,
    grow: bool,
    tier: u8,
    row: &[Class],
) -> Vec<(Vec<u8>, Correction)> {
    let mut out = Vec::new();
    let n = line.len();
    match (grow, tier) {
        (true, 0) => out.push((insert(line, n, b'<'), ins_edit(li, n, b'<'))),
        (false, 0) => {
            if n > 0 && line[n - 1] == b'<' {
                out.push((delete(line, n - 1), del_edit(li, n - 1, b'<')));
            }
        }
        (true, 1) => {
            for p in 0..=n {
                let near = (p > 0 && line[p - 1] == b'<') || (p < n && line[p] == b'<');
                if near {
                    out.push((insert(line, p, b'<'), ins_edit(li, p, b'<')));
                }
            }
        }
        (false, 1) => {
            for p in 0..n {
                if line[p] == b'<' {
                    out.push((delete(line, p), del_edit(li, p, b'<')));
                }
            }
        }
        (true, _) => {
            for p in 0..=n {
                for &c in ALPHABET {
                    // The inserted character must suit the position it ends up in.
                    if row.get(p).is_none_or(|&class| class_allows(class, c)) {
                        out.push((insert(line, p, c), ins_edit(li, p, c)));
                    }
                }
            }
        }
        (false, _) => {
            for p in 0..n {
                out.push((delete(line, p), del_edit(li, p, line[p])));
            }
        }
    }
    out
}

/// All alignment candidates of `line` up to `max_tier`, deduplicated, each tagged with the
/// lowest tier that produces it. Lines of the right length give themselves only.
pub(crate) fn candidates(
    line: &[u8],
    li: usize,
    target: usize,
    max_tier: u8,
    row: &[Class],
) -> Vec<Aligned> {
    let n = line.len();
    if n == target {
        return vec![Aligned {
            bytes: line.to_vec(),
            edits: Vec::new(),
            tier: 0,
        }];
    }
    let diff = n.abs_diff(target);
    if diff > 2 {
        return Vec::new();
    }
    let grow = n < target;
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    // Two arbitrary insertions would be far too many candidates to tell apart.
    let max_tier = if grow && diff == 2 {
        max_tier.min(1)
    } else {
        max_tier
    };
    for tier in 0..=max_tier {
        // Two-step edits: every step uses edits up to this tier.
        let mut frontier: Vec<(Vec<u8>, Vec<Correction>)> = vec![(line.to_vec(), Vec::new())];
        for _ in 0..diff {
            let step_tier = tier;
            let mut next = Vec::new();
            let mut local: HashSet<Vec<u8>> = HashSet::new();
            for (bytes, edits) in &frontier {
                for t in 0..=step_tier {
                    for (b, e) in single_edits(bytes, li, grow, t, row) {
                        if local.insert(b.clone()) {
                            let mut edits = edits.clone();
                            edits.push(e);
                            next.push((b, edits));
                        }
                    }
                }
            }
            frontier = next;
        }
        for (bytes, edits) in frontier {
            if seen.insert(bytes.clone()) {
                out.push(Aligned { bytes, edits, tier });
            }
        }
    }
    out
}

/// Best-effort alignment (pad or cut at the end), used when no repair validates.
pub(crate) fn pad_or_cut(line: &[u8], li: usize, target: usize) -> Aligned {
    let mut bytes = line.to_vec();
    let mut edits = Vec::new();
    while bytes.len() < target {
        edits.push(ins_edit(li, bytes.len(), b'<'));
        bytes.push(b'<');
    }
    while bytes.len() > target {
        let c = bytes.pop().unwrap_or(b'<');
        edits.push(del_edit(li, bytes.len(), c));
    }
    Aligned {
        bytes,
        edits,
        tier: 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers() {
        let c = candidates(b"AB<<C", 0, 6, 2, &[]);
        assert_eq!(c[0].bytes, b"AB<<C<");
        assert_eq!(c[0].tier, 0);
        assert!(c.iter().any(|a| a.bytes == b"AB<<<C" && a.tier == 1));
        assert!(c.iter().any(|a| a.bytes == b"XAB<<C" && a.tier == 2));
        let d = candidates(b"AB<<C<<", 0, 6, 1, &[]);
        assert_eq!(d[0].bytes, b"AB<<C<");
        assert!(d.iter().all(|a| a.bytes.len() == 6));
        let e = candidates(b"AB<<C<<<", 0, 6, 0, &[]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].bytes, b"AB<<C<");
        assert_eq!(pad_or_cut(b"ABCDEFGH", 0, 6).bytes, b"ABCDEF");
        assert!(candidates(b"A", 0, 6, 2, &[]).is_empty());
    }
}
