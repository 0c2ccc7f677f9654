//! Locating MRZ lines inside arbitrary multi-line OCR text.

use crate::error::MrzError;
use crate::parse::ParseOptions;
use crate::repair::{RepairStatus, Repaired, mrz_likeness, parse_with_repair};

/// An MRZ found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMrz {
    /// Indices (0-based) of the text lines the MRZ was read from, in order (a line index appears
    /// twice when one text line held two MRZ lines).
    pub line_indices: Vec<usize>,
    /// The repaired MRZ.
    pub result: Repaired,
}

const LENGTHS: [usize; 3] = [30, 36, 44];

fn near_len(n: usize) -> bool {
    LENGTHS.iter().any(|&l| n.abs_diff(l) <= 2)
}

/// A piece of text that may be one MRZ line.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    lines: Vec<usize>,
}

fn compact(line: &str) -> String {
    line.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Builds MRZ-line units: MRZ-like lines, lines holding two or three merged MRZ lines (split),
/// and pairs of adjacent fragments whose lengths add up to an MRZ line.
fn units(text: &str) -> Vec<Unit> {
    let mut out = Vec::new();
    let raw: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < raw.len() {
        let (n, share, filler) = mrz_likeness(raw[i]);
        let mrz_like = share >= 0.85 && n >= 8;
        if !mrz_like {
            i += 1;
            continue;
        }
        let c = compact(raw[i]);
        let len = c.chars().count();
        if near_len(len) && (filler || share >= 0.97) {
            out.push(Unit {
                text: c,
                lines: vec![i],
            });
            i += 1;
            continue;
        }
        // Merged lines.
        let mut split_done = false;
        for (parts, l) in [(2usize, 44usize), (2, 36), (2, 30), (3, 30)] {
            if len.abs_diff(parts * l) <= 2 && filler {
                let chars: Vec<char> = c.chars().collect();
                for p in 0..parts {
                    let end = if p + 1 == parts {
                        chars.len()
                    } else {
                        (p + 1) * l
                    };
                    out.push(Unit {
                        text: chars[p * l..end].iter().collect(),
                        lines: vec![i],
                    });
                }
                split_done = true;
                break;
            }
        }
        if split_done {
            i += 1;
            continue;
        }
        // Fragment + next fragment.
        if i + 1 < raw.len() {
            let (n2, share2, filler2) = mrz_likeness(raw[i + 1]);
            let c2 = compact(raw[i + 1]);
            if share2 >= 0.85
                && n2 >= 4
                && (filler || filler2)
                && near_len(len + c2.chars().count())
                && !near_len(n2)
            {
                out.push(Unit {
                    text: format!("{c}{c2}"),
                    lines: vec![i, i + 1],
                });
                i += 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn score(r: &Repaired) -> (u8, usize, usize) {
    let status = match r.status {
        RepairStatus::Valid => 4,
        RepairStatus::Repaired => 3,
        RepairStatus::Ambiguous => 2,
        RepairStatus::Unrepairable => 1,
    };
    let c = &r.mrz.checks;
    let valid = [
        c.document_number,
        c.birth_date,
        c.expiry_date,
        c.optional_data,
        c.composite,
    ]
    .iter()
    .flatten()
    .filter(|c| c.valid)
    .count();
    (status, valid, r.mrz.lines.len())
}

fn acceptable(r: &Repaired) -> bool {
    r.status != RepairStatus::Unrepairable
        || score(r).1 * 2 > r.mrz.checks.failing().len() + score(r).1
}

/// Finds every MRZ in `text` (OCR output, one text line per line, noise allowed), best readings
/// first by position. Unrepairable candidates are kept only when most of their check digits pass.
pub fn find_all_in_text(text: &str, opts: &ParseOptions) -> Vec<FoundMrz> {
    let units = units(text);
    let mut cands: Vec<(usize, usize, FoundMrz)> = Vec::new();
    for start in 0..units.len() {
        for count in [3usize, 2, 1] {
            if start + count > units.len() {
                continue;
            }
            let group = &units[start..start + count];
            // MRZ lines of one document have similar lengths and are close together.
            let lens: Vec<usize> = group.iter().map(|u| u.text.chars().count()).collect();
            let (min, max) = (
                lens.iter().min().copied().unwrap_or(0),
                lens.iter().max().copied().unwrap_or(0),
            );
            if max - min > 4 {
                continue;
            }
            let gaps_ok = group.windows(2).all(|w| {
                let a = *w[0].lines.last().unwrap_or(&0);
                let b = *w[1].lines.first().unwrap_or(&0);
                b <= a + 3
            });
            if !gaps_ok {
                continue;
            }
            let refs: Vec<&str> = group.iter().map(|u| u.text.as_str()).collect();
            if let Ok(result) = parse_with_repair(&refs, opts)
                && result.mrz.lines.len() == count
                && acceptable(&result)
            {
                let line_indices = group.iter().flat_map(|u| u.lines.iter().copied()).collect();
                cands.push((
                    start,
                    count,
                    FoundMrz {
                        line_indices,
                        result,
                    },
                ));
            }
        }
    }
    // Best first, then keep non-overlapping ones.
    cands.sort_by(|a, b| {
        score(&b.2.result)
            .cmp(&score(&a.2.result))
            .then(a.0.cmp(&b.0))
    });
    let mut used = vec![false; units.len()];
    let mut picked: Vec<(usize, FoundMrz)> = Vec::new();
    for (start, count, found) in cands {
        if used[start..start + count].iter().any(|&u| u) {
            continue;
        }
        used[start..start + count]
            .iter_mut()
            .for_each(|u| *u = true);
        picked.push((start, found));
    }
    picked.sort_by_key(|p| p.0);
    picked.into_iter().map(|p| p.1).collect()
}

/// Finds the best MRZ in `text` (see [`find_all_in_text`]).
///
/// ```
/// use kycd_mrz::{find_in_text, ParseOptions, RepairStatus};
/// let ocr = "PASSPORT  PASSEPORT\nSurname / Nom\nERIKSSON\n\
///            P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n\
///            L898902C36UTO7408122F1204159ZE184226B<<<<<10\n";
/// let found = find_in_text(ocr, &ParseOptions::default()).unwrap();
/// assert_eq!(found.line_indices, vec![3, 4]);
/// assert_eq!(found.result.status, RepairStatus::Valid);
/// ```
pub fn find_in_text(text: &str, opts: &ParseOptions) -> Result<FoundMrz, MrzError> {
    find_all_in_text(text, opts)
        .into_iter()
        .max_by(|a, b| score(&a.result).cmp(&score(&b.result)))
        .ok_or(MrzError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;

    fn opts() -> ParseOptions {
        ParseOptions::with_reference_date(Date::new(2026, 1, 1).expect("date"))
    }

    use crate::specimen::{TD1, TD3};

    #[test]
    fn merged_and_split_lines() {
        // Both MRZ lines merged into one OCR line.
        let text = format!("Passport\n{}{}\nend", TD3[0], TD3[1]);
        let f = find_in_text(&text, &opts()).expect("found");
        assert_eq!(f.line_indices, vec![1, 1]);
        assert_eq!(f.result.mrz.lines, TD3);
        // Second line split in two fragments by the OCR.
        let text = format!("{}\n{}\n{}\n", TD3[0], &TD3[1][..20], &TD3[1][20..]);
        let f = find_in_text(&text, &opts()).expect("found");
        assert_eq!(f.line_indices, vec![0, 1, 2]);
        assert!(f.result.is_trusted());
    }

    #[test]
    fn several_documents_and_noise() {
        let text = format!(
            "IDENTITY CARD\n{}\n{}\nrandom words here\n{}\nSignature\n{}\n{}\n",
            TD1[0], TD1[1], TD1[2], TD3[0], TD3[1]
        );
        let all = find_all_in_text(&text, &opts());
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all[0].result.mrz.format(), crate::MrzFormat::Td1);
        assert_eq!(all[0].line_indices, vec![1, 2, 4]);
        assert_eq!(all[1].result.mrz.format(), crate::MrzFormat::Td3);
        assert!(find_in_text("nothing to see\nhere at all", &opts()).is_err());
    }

    #[test]
    fn tesseract_style_filler_noise() {
        let text = "P<UTOERIKSSON<<ANNAKMARIAK<<<<K<K<<<K<<KK<KK\nL898902C36UTO7408122F1204159ZE184226B<<<<<10";
        let f = find_in_text(text, &opts()).expect("found");
        assert!(f.result.is_trusted());
        // The filler run after the name is cleaned; `ANNAKMARIAK` cannot be told from a name.
        assert_eq!(
            f.result.mrz.lines[0],
            "P<UTOERIKSSON<<ANNAKMARIAK<<<<<<<<<<<<<<<<<<"
        );
    }
}
