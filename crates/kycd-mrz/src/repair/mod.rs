//! OCR repair guided by field types and check digits.
//!
//! Pipeline: normalise characters (case, spaces, look-alike symbols, accents) → pick the layouts
//! whose geometry is within 2 characters → for each group of lines tied together by check digits,
//! try length alignments by increasing tier (see `align`), coerce impossible characters by field
//! type, then search substitutions of OCR-confusable characters (`O/0`, `Q/0`, `I/1`, `B/8`, `S/5`,
//! `Z/2`; at most 2) inside the alphanumeric fields of failing check digits. A repair is accepted
//! only when it is the single validating candidate of the lowest tier that yields one; otherwise
//! the result is [`RepairStatus::Ambiguous`] and no candidate is chosen.

mod align;
pub(crate) mod fix;
mod normalize;

pub(crate) use normalize::{mrz_likeness, normalize_line};

use crate::date::Date;
use crate::error::MrzError;
use crate::layout::{MrzFormat, candidates_fuzzy};
use crate::model::Mrz;
use crate::parse::{ParseOptions, decode, parse_with_options};

/// What a correction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CorrectionKind {
    /// Whitespace removed.
    Whitespace,
    /// Lower case letter upper-cased.
    Case,
    /// Accented letter folded (`Ñ` → `N`).
    Transliteration,
    /// Look-alike symbol read as `<` (`«`, `(`...).
    Symbol,
    /// Character outside the MRZ alphabet dropped.
    Removed,
    /// Character inserted to fix the line length.
    Inserted,
    /// Character deleted to fix the line length.
    Deleted,
    /// Letter/digit swapped because the field only allows the other kind.
    TypeCoercion,
    /// Filler look-alike (`K`, `X`, `C`...) turned back into `<`.
    FillerConfusion,
    /// Damaged country code replaced by its only readable known code.
    CountryCode,
    /// Confusable character swapped because it is the only way the check digits validate.
    CheckDigitGuided,
}

/// One change made by the repair. Corrections are listed in the order applied; `column` refers to
/// the line as it was at that step (after the earlier corrections).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Correction {
    /// Line (0-based, among the non-blank input lines).
    pub line: usize,
    /// Column (0-based).
    pub column: usize,
    /// Character before (`None` for an insertion).
    pub from: Option<char>,
    /// Character after (`None` for a removal).
    pub to: Option<char>,
    /// Kind.
    pub kind: CorrectionKind,
}

/// Outcome of [`parse_with_repair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RepairStatus {
    /// The input was already a valid MRZ; nothing changed.
    Valid,
    /// Corrections were needed; the result validates and was the only candidate that did.
    Repaired,
    /// Several different repairs validate; none was chosen (see [`Repaired::alternatives`]).
    Ambiguous,
    /// No repair validates; the best-effort reading is returned with its failing checks.
    Unrepairable,
}

/// Result of [`parse_with_repair`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Repaired {
    /// The decoded MRZ (repaired lines for `Valid`/`Repaired`, best-effort reading otherwise).
    pub mrz: Mrz,
    /// Status.
    pub status: RepairStatus,
    /// Corrections that turned the input into `mrz.lines`.
    pub corrections: Vec<Correction>,
    /// For `Ambiguous`: the competing validating line sets (at most 8).
    pub alternatives: Vec<Vec<String>>,
}

impl Repaired {
    /// True for `Valid` and `Repaired`: the fields can be trusted as far as check digits go.
    pub fn is_trusted(&self) -> bool {
        matches!(self.status, RepairStatus::Valid | RepairStatus::Repaired)
    }
}

const MAX_ALTERNATIVES: usize = 8;
const MAX_COMBOS: usize = 8_000;
const SUBSTITUTION_BUDGET: usize = 2;

/// Lines tied together by check digits (repaired jointly).
fn groups(format: MrzFormat) -> &'static [&'static [usize]] {
    match format {
        MrzFormat::Td1 => &[&[0, 1], &[2]],
        MrzFormat::FrenchId => &[&[0, 1]],
        MrzFormat::DrivingLicence => &[&[0]],
        _ => &[&[0], &[1]],
    }
}

fn strings(lines: &[Vec<u8>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.iter().map(|&b| b as char).collect())
        .collect()
}

/// True when the checks and structure of the lines in `group` are valid.
fn group_valid(format: MrzFormat, mrz: &Mrz, group: &[usize]) -> bool {
    let layout = format.layout();
    let checks_ok = layout.checks.iter().all(|cs| {
        let mut line = cs.digit.line as usize;
        if cs.which == crate::layout::CheckedField::DocumentNumber && format == MrzFormat::Td1 {
            line = 0; // long-number digit stays on line 0
        }
        !group.contains(&line) || mrz.checks.get(cs.which).is_some_and(|c| c.valid)
    });
    let issues_ok = mrz.issues.iter().all(|i| match i {
        crate::model::Issue::BadCharacter { line, .. }
        | crate::model::Issue::TextAfterNameEnd { line, .. } => !group.contains(line),
    });
    checks_ok && issues_ok
}

enum GroupOutcome {
    Unique(Vec<Vec<u8>>, Vec<super::Correction>),
    Ambiguous(Vec<Vec<Vec<u8>>>),
    Failed,
}

fn repair_group(
    format: MrzFormat,
    base: &[Vec<u8>],
    norm: &[Vec<u8>],
    group: &[usize],
    reference: Date,
) -> GroupOutcome {
    let classes = fix::class_map(format);
    let target = format.line_len();
    // Check positions without the TD1/TD2 long-number shift (computed once).
    let plain_checks =
        fix::effective_checks(format, &vec![vec![b'0'; target]; format.line_count()]);
    let base_vec = base.to_vec();
    let mut lines: Vec<Vec<u8>> = base_vec.clone();
    let per_line: Vec<Vec<align::Aligned>> = group
        .iter()
        .map(|&li| align::candidates(&norm[li], li, target, 2, &classes[li]))
        .collect();
    if per_line.iter().any(|c| c.is_empty()) {
        return GroupOutcome::Failed;
    }
    // Lines protected by check digits: end-of-line and filler-run alignments compete together
    // (a check digit can validate a wrong end-of-line alignment by chance). Name-only lines have
    // nothing to check, so the end-of-line alignment is preferred outright.
    let has_checks = format
        .layout()
        .checks
        .iter()
        .any(|c| group.contains(&(c.digit.line as usize)));
    let stages: &[(u8, u8)] = if has_checks {
        &[(0, 1), (2, 2)]
    } else {
        &[(0, 0), (1, 1), (2, 2)]
    };
    for &(min_tier, tier) in stages {
        let lists: Vec<Vec<&align::Aligned>> = per_line
            .iter()
            .map(|c| c.iter().filter(|a| a.tier <= tier).collect())
            .collect();
        let combos: usize = lists.iter().map(|l| l.len()).product();
        if combos == 0 || combos > MAX_COMBOS {
            continue;
        }
        let mut results: Vec<(Vec<Vec<u8>>, Vec<Correction>)> = Vec::new();
        let mut idx = vec![0usize; lists.len()];
        'combos: loop {
            let picked: Vec<&align::Aligned> = idx.iter().zip(&lists).map(|(&i, l)| l[i]).collect();
            if min_tier == 0 || picked.iter().any(|a| a.tier >= min_tier) {
                lines.clone_from(&base_vec);
                let mut edits = Vec::new();
                for (a, &li) in picked.iter().zip(group) {
                    lines[li] = a.bytes.clone();
                    edits.extend(a.edits.iter().cloned());
                }
                // Other lines come from the already coerced base.
                fix::coerce(format, &classes, &mut lines, Some(group), &mut edits);
                for (cand, sub_edits) in fix::search(
                    format,
                    &classes,
                    &lines,
                    group,
                    SUBSTITUTION_BUDGET,
                    &plain_checks,
                ) {
                    let refs: Vec<&[u8]> = cand.iter().map(|l| l.as_slice()).collect();
                    let mrz = decode(format, &refs, reference, Vec::new());
                    if !group_valid(format, &mrz, group) {
                        continue;
                    }
                    let key: Vec<Vec<u8>> = group.iter().map(|&li| cand[li].clone()).collect();
                    if results.iter().any(|(k, _)| *k == key) {
                        continue;
                    }
                    let mut all = edits.clone();
                    all.extend(sub_edits);
                    all.retain(|e| group.contains(&e.line));
                    results.push((key, all));
                    if results.len() > MAX_ALTERNATIVES {
                        break 'combos;
                    }
                }
            }
            // Next combination.
            let mut k = 0;
            loop {
                if k == idx.len() {
                    break 'combos;
                }
                idx[k] += 1;
                if idx[k] < lists[k].len() {
                    break;
                }
                idx[k] = 0;
                k += 1;
            }
        }
        match results.len() {
            0 => continue,
            1 => {
                let (lines, edits) = results.pop().expect("one result");
                return GroupOutcome::Unique(lines, edits);
            }
            _ => return GroupOutcome::Ambiguous(results.into_iter().map(|r| r.0).collect()),
        }
    }
    GroupOutcome::Failed
}

fn repair_as(
    format: MrzFormat,
    norm: &[Vec<u8>],
    norm_edits: &[Correction],
    reference: Date,
) -> Repaired {
    let classes = fix::class_map(format);
    let target = format.line_len();
    // Best-effort base: pad/cut at the end, then deterministic coercions.
    let mut base_edits = Vec::new();
    let mut base: Vec<Vec<u8>> = norm
        .iter()
        .enumerate()
        .map(|(li, l)| {
            let a = align::pad_or_cut(l, li, target);
            base_edits.extend(a.edits);
            a.bytes
        })
        .collect();
    fix::coerce(format, &classes, &mut base, None, &mut base_edits);

    let mut final_lines = base.clone();
    let mut edits: Vec<Correction> = norm_edits.to_vec();
    let mut status = RepairStatus::Repaired;
    let mut alternatives: Vec<Vec<String>> = Vec::new();
    for &group in groups(format) {
        match repair_group(format, &base, norm, group, reference) {
            GroupOutcome::Unique(lines, group_edits) => {
                for (l, &li) in lines.into_iter().zip(group) {
                    final_lines[li] = l;
                }
                edits.extend(group_edits);
            }
            outcome => {
                edits.extend(
                    base_edits
                        .iter()
                        .filter(|e| group.contains(&e.line))
                        .cloned(),
                );
                if let GroupOutcome::Ambiguous(alts) = outcome {
                    if status != RepairStatus::Unrepairable {
                        status = RepairStatus::Ambiguous;
                    }
                    if alternatives.is_empty() {
                        for alt in alts.into_iter().take(MAX_ALTERNATIVES) {
                            let mut full = base.clone();
                            for (l, &li) in alt.into_iter().zip(group) {
                                full[li] = l;
                            }
                            alternatives.push(strings(&full));
                        }
                    }
                } else {
                    status = RepairStatus::Unrepairable;
                }
            }
        }
    }
    let refs: Vec<&[u8]> = final_lines.iter().map(|l| l.as_slice()).collect();
    let mrz = decode(format, &refs, reference, Vec::new());
    if status == RepairStatus::Repaired && !mrz.is_valid() {
        status = RepairStatus::Unrepairable;
    }
    if status == RepairStatus::Unrepairable {
        alternatives.clear();
    }
    Repaired {
        mrz,
        status,
        corrections: edits,
        alternatives,
    }
}

fn rank(s: RepairStatus) -> u8 {
    match s {
        RepairStatus::Valid => 3,
        RepairStatus::Repaired => 2,
        RepairStatus::Ambiguous => 1,
        RepairStatus::Unrepairable => 0,
    }
}

/// Parses OCR'd MRZ lines, repairing what the field types and check digits allow.
///
/// Returns `Err` only when no layout is within 2 characters of the input geometry. Otherwise the
/// [`Repaired::status`] says whether the result can be trusted: a valid input is returned
/// unchanged (`Valid`); a repair is applied only when it is the single validating candidate
/// (`Repaired`); competing candidates give `Ambiguous` with [`Repaired::alternatives`]; and
/// `Unrepairable` returns the best-effort reading with its failing check digits.
///
/// Limits: names carry no check digit, so name repairs are type-based only (`0` in a name
/// becomes `O`, filler look-alikes after the end of the name become `<`). `G`↔`6` and `K`↔`<`
/// inside document numbers or optional data are invisible to check digits and are left as read.
pub fn parse_with_repair(lines: &[&str], opts: &ParseOptions) -> Result<Repaired, MrzError> {
    if let Ok(mrz) = parse_with_options(lines, opts)
        && mrz.is_valid()
        && mrz
            .warnings
            .iter()
            .all(|w| !matches!(w, crate::model::Warning::Transliterated { .. }))
    {
        return Ok(Repaired {
            mrz,
            status: RepairStatus::Valid,
            corrections: Vec::new(),
            alternatives: Vec::new(),
        });
    }
    let reference = opts.reference();
    let mut norm_edits = Vec::new();
    let mut norm: Vec<Vec<u8>> = Vec::new();
    for l in lines.iter().filter(|l| !l.trim().is_empty()) {
        let mut e = Vec::new();
        let v = normalize_line(l, norm.len(), &mut e);
        if !v.is_empty() {
            norm_edits.extend(e);
            norm.push(v);
        }
    }
    if norm.is_empty() {
        return Err(MrzError::NoLines);
    }
    let lens: Vec<usize> = norm.iter().map(|l| l.len()).collect();
    let formats = candidates_fuzzy(&lens, norm[0][0], norm[0].starts_with(b"IDFRA"), 2);
    if formats.is_empty() {
        return Err(MrzError::UnsupportedLayout { line_lengths: lens });
    }
    let mut best: Option<Repaired> = None;
    for format in formats {
        let r = repair_as(format, &norm, &norm_edits, reference);
        if r.is_trusted() {
            return Ok(r);
        }
        let better = match &best {
            None => true,
            Some(b) => {
                rank(r.status) > rank(b.status)
                    || (rank(r.status) == rank(b.status)
                        && r.mrz.checks.failing().len() < b.mrz.checks.failing().len())
            }
        };
        if better {
            best = Some(r);
        }
    }
    best.ok_or(MrzError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::with_reference_date(Date::new(2026, 1, 1).unwrap())
    }

    const L1: &str = crate::specimen::TD3[0];
    const L2: &str = crate::specimen::TD3[1];

    #[test]
    fn valid_input_untouched() {
        let r = parse_with_repair(&[L1, L2], &opts()).unwrap();
        assert_eq!(r.status, RepairStatus::Valid);
        assert!(r.corrections.is_empty());
    }

    #[test]
    fn repairs_types_case_spaces_length() {
        let r = parse_with_repair(
            &[
                "p<ut0eriksson<<anna<maria<<<<<<<<<<<<<<<<<",
                "L898902C3 6UTO74O8122F1204159ZE184226B<<<<<<1O",
            ],
            &opts(),
        )
        .unwrap();
        assert_eq!(r.status, RepairStatus::Repaired, "{r:?}");
        assert_eq!(r.mrz.lines, vec![L1.to_string(), L2.to_string()]);
        assert!(
            r.corrections
                .iter()
                .any(|c| c.kind == CorrectionKind::Inserted)
        );
        assert!(
            r.corrections
                .iter()
                .any(|c| c.kind == CorrectionKind::Deleted)
        );
    }

    #[test]
    fn check_digit_guided() {
        let r = parse_with_repair(
            &[L1, "L89B902C36UTO7408122F1204159ZE184226B<<<<<10"],
            &opts(),
        )
        .unwrap();
        assert!(
            matches!(r.status, RepairStatus::Repaired | RepairStatus::Ambiguous),
            "{r:?}"
        );
        if r.status == RepairStatus::Repaired {
            assert_eq!(r.mrz.lines[1], L2);
        } else {
            assert!(r.alternatives.iter().any(|a| a[1] == L2));
        }
    }

    #[test]
    fn printed_failures_are_unrepairable() {
        let r = parse_with_repair(
            &[
                "IDCMW<512849702<<<<<<<<<<<<<<<",
                "6104128M1402209CMW<<<<<<<<<<<1",
                "PUBLIC<<JON<<<<<<<<<<<<<<<<<<<",
            ],
            &opts(),
        )
        .unwrap();
        assert!(!r.mrz.is_valid() || r.status != RepairStatus::Valid);
    }

    #[test]
    fn garbage_is_an_error_or_untrusted() {
        assert!(parse_with_repair(&["hello"], &opts()).is_err());
        assert!(parse_with_repair(&[], &opts()).is_err());
        let r = parse_with_repair(
            &[
                "P<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
                "X".repeat(44).as_str(),
            ],
            &opts(),
        )
        .unwrap();
        assert!(!r.is_trusted());
    }
}
