//! Explainable scoring: token alignment between a query name and a list name (exact,
//! equivalent, typo, phonetic, initial, joined/split), IDF-weighted, with asymmetric costs
//! for unmatched parts; then date-of-birth, nationality and gender qualifiers (penalties only).

use crate::country::territories_overlap;
use crate::index::{Index, IxName, MatchKind};
use crate::model::DateSpec;
use crate::screen::{Feature, ScreenConfig};

/// One prepared query token.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub text: String,
    pub weight: f32,
    pub exp: Vec<(u32, f32, MatchKind)>,
}

/// Cost weight of a query part left unmatched.
const UNMATCHED_QUERY: f32 = 0.8;
/// Cost weight of a list part left unmatched (aliases often carry extra patronymics).
const UNMATCHED_LIST: f32 = 0.25;
/// Score of joined/split parts.
const JOINED_SIM: f32 = 0.95;
/// Score of an initial against a full token.
const INITIAL_SIM: f32 = 0.8;
/// Weak aliases count only on literal matches, capped here.
const WEAK_CAP: f32 = 0.8;

/// Result of aligning one query name with one list name.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameScore {
    pub score: f32,
    pub literal: bool,
    pub kinds: Vec<MatchKind>,
    pub detail: String,
}

fn pair_sim(ix: &Index, slot: &Slot, tid: u32) -> Option<(f32, MatchKind)> {
    if let Some(&(_, s, k)) = slot.exp.iter().find(|e| e.0 == tid) {
        return Some((s, k));
    }
    let t = &ix.tok_str[tid as usize];
    let q = slot.text.as_str();
    let initial = (q.len() == 1 && t.len() > 1 && t.as_bytes()[0] == q.as_bytes()[0])
        || (t.len() == 1 && q.len() > 1 && q.as_bytes()[0] == t.as_bytes()[0]);
    initial.then_some((INITIAL_SIM, MatchKind::Initial))
}

/// Align and score.
pub(crate) fn score_name(ix: &Index, slots: &[Slot], name: &IxName, explain: bool) -> NameScore {
    let nq = slots.len();
    let nl = name.tokens.len();
    let mut cand: Vec<(f32, usize, usize, MatchKind)> = Vec::with_capacity(nq * nl);
    for (i, s) in slots.iter().enumerate() {
        for (j, &tid) in name.tokens.iter().enumerate() {
            if let Some((sim, k)) = pair_sim(ix, s, tid) {
                cand.push((sim, i, j, k));
            }
        }
    }
    cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut q_used = vec![false; nq];
    let mut l_used = vec![false; nl];
    // (sim, weight, description)
    let mut pairs: Vec<(f32, f32, MatchKind, String)> = Vec::new();
    for (sim, i, j, k) in cand {
        if q_used[i] || l_used[j] {
            continue;
        }
        q_used[i] = true;
        l_used[j] = true;
        let w = 0.5 * (slots[i].weight + ix.weight_id(name.tokens[j]));
        let d = if explain {
            describe(&slots[i].text, &ix.tok_str[name.tokens[j] as usize], k)
        } else {
            String::new()
        };
        pairs.push((sim, w, k, d));
    }
    // joined / split parts among what is left
    for i in 0..nq {
        if q_used[i] {
            continue;
        }
        let q = slots[i].text.as_str();
        for j in 0..nl.saturating_sub(1) {
            if l_used[j] || l_used[j + 1] {
                continue;
            }
            let (a, b) = (
                &ix.tok_str[name.tokens[j] as usize],
                &ix.tok_str[name.tokens[j + 1] as usize],
            );
            if joins(q, a, b) {
                q_used[i] = true;
                l_used[j] = true;
                l_used[j + 1] = true;
                let w = 0.5
                    * (slots[i].weight
                        + ix.weight_id(name.tokens[j])
                            .max(ix.weight_id(name.tokens[j + 1])));
                pairs.push(joined_pair(w, explain, || format!("{q}={a}+{b} (joined)")));
                break;
            }
        }
    }
    for (j, &tid) in name.tokens.iter().enumerate() {
        if l_used[j] {
            continue;
        }
        let t = &ix.tok_str[tid as usize];
        for i in 0..nq.saturating_sub(1) {
            if q_used[i] || q_used[i + 1] {
                continue;
            }
            let (a, b) = (slots[i].text.as_str(), slots[i + 1].text.as_str());
            if joins(t, a, b) {
                q_used[i] = true;
                q_used[i + 1] = true;
                l_used[j] = true;
                let w =
                    0.5 * (slots[i].weight.max(slots[i + 1].weight) + ix.weight_id(name.tokens[j]));
                pairs.push(joined_pair(w, explain, || format!("{a}+{b}={t} (split)")));
                break;
            }
        }
    }
    let mut num = 0.0f32;
    let mut den = 0.0f32;
    for (sim, w, _, _) in &pairs {
        num += sim * w;
        den += w;
    }
    let mut extra_q = Vec::new();
    for i in 0..nq {
        if !q_used[i] {
            den += UNMATCHED_QUERY * slots[i].weight;
            extra_q.push(slots[i].text.as_str());
        }
    }
    let mut extra_l = Vec::new();
    for (&used, &tid) in l_used.iter().zip(name.tokens.iter()) {
        if !used {
            den += UNMATCHED_LIST * ix.weight_id(tid);
            extra_l.push(ix.tok_str[tid as usize].as_ref());
        }
    }
    let literal =
        extra_q.is_empty() && extra_l.is_empty() && pairs.iter().all(|p| p.2 == MatchKind::Exact);
    let mut score = if den > 0.0 { num / den } else { 0.0 };
    // the same letters with the word boundaries elsewhere ("razuk iabd" ~ "razuki abd")
    let mut joined_all = false;
    if !literal && score < JOINED_SIM && nq >= 2 {
        let ql: usize = slots.iter().map(|s| s.text.len()).sum();
        let ll: usize = name
            .tokens
            .iter()
            .map(|&t| ix.tok_str[t as usize].len())
            .sum();
        if ql == ll {
            let qj: String = slots.iter().map(|s| s.text.as_str()).collect();
            let lj: String = name
                .tokens
                .iter()
                .map(|&t| ix.tok_str[t as usize].as_ref())
                .collect();
            if qj == lj {
                score = JOINED_SIM;
                joined_all = true;
            }
        }
    }
    // one matched part out of several query parts is never a name match
    if !joined_all && pairs.len() < 2 && nq >= 2 && nl >= 2 {
        score = score.min(0.5);
    }
    if name.weak {
        score = if literal {
            score.min(WEAK_CAP)
        } else {
            score * 0.7
        };
    }
    let mut kinds: Vec<MatchKind> = pairs.iter().map(|p| p.2).collect();
    if joined_all {
        kinds.push(MatchKind::Joined);
    }
    kinds.sort();
    kinds.dedup();
    let detail = if explain {
        let mut s: Vec<String> = pairs
            .iter()
            .map(|p| format!("{} [{:.2}]", p.3, p.0))
            .collect();
        if !extra_q.is_empty() {
            s.push(format!("query only: {}", extra_q.join(" ")));
        }
        if !extra_l.is_empty() {
            s.push(format!("list only: {}", extra_l.join(" ")));
        }
        if joined_all {
            s.push("same letters, different word boundaries (joined)".into());
        }
        if name.weak {
            s.push("weak alias".into());
        }
        s.join("; ")
    } else {
        String::new()
    };
    NameScore {
        score: score.clamp(0.0, 1.0),
        literal,
        kinds,
        detail,
    }
}

/// `whole` is `a` and `b` written together (`abdulsalam` = `abdul` + `salam`).
fn joins(whole: &str, a: &str, b: &str) -> bool {
    whole.len() == a.len() + b.len() && whole.starts_with(a) && whole.ends_with(b)
}

/// An aligned joined/split pair of weight `w`, with its explanation when asked for.
fn joined_pair(
    w: f32,
    explain: bool,
    detail: impl FnOnce() -> String,
) -> (f32, f32, MatchKind, String) {
    let d = if explain { detail() } else { String::new() };
    (JOINED_SIM, w, MatchKind::Joined, d)
}

fn describe(q: &str, t: &str, k: MatchKind) -> String {
    match k {
        MatchKind::Exact => format!("{q}={t}"),
        MatchKind::Equivalent => format!("{q}≈{t} (name variant)"),
        MatchKind::Fuzzy => format!("{q}~{t} (typo)"),
        MatchKind::Phonetic => format!("{q}~{t} (phonetic)"),
        MatchKind::Initial => format!("{q}→{t} (initial)"),
        MatchKind::Joined => format!("{q}={t} (joined)"),
    }
}

/// Outcome of the qualifier checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Qualifiers {
    pub penalty: f32,
    pub features: Vec<Feature>,
    pub dob_contradicted: bool,
    pub dob_match: bool,
    pub nationality_match: bool,
}

fn dob_penalty(q: &DateSpec, l: &DateSpec, cfg: &ScreenConfig) -> (f32, &'static str) {
    let tol = if l.circa || q.circa { 1 } else { 0 };
    let overlap = q.year_from <= l.year_to + tol && l.year_from <= q.year_to + tol;
    if !overlap {
        let gap = if q.year_from > l.year_to {
            q.year_from - l.year_to
        } else {
            l.year_from.saturating_sub(q.year_to)
        };
        if gap <= 1 + tol {
            return (cfg.dob_year_near, "dob_year_near");
        }
        return (cfg.dob_year_disjoint, "dob_year_disjoint");
    }
    match (
        q.month,
        q.day,
        l.month,
        l.day,
        q.year_from == l.year_from && q.year_to == l.year_to,
    ) {
        (Some(qm), Some(qd), Some(lm), Some(ld), true) => {
            if qm == lm && qd == ld {
                (0.0, "dob_exact")
            } else if qm == ld && qd == lm {
                (cfg.dob_day_disjoint / 2.0, "dob_day_month_swapped")
            } else {
                (cfg.dob_day_disjoint, "dob_day_disjoint")
            }
        }
        (Some(qm), _, Some(lm), _, true) if qm != lm => {
            (cfg.dob_day_disjoint, "dob_month_disjoint")
        }
        _ => (0.0, "dob_year_match"),
    }
}

/// Apply DOB / nationality / gender qualifiers.
pub(crate) fn qualifiers(
    q_dob: Option<&DateSpec>,
    q_nat: Option<&str>,
    q_gender: Option<&str>,
    e: &crate::model::Entity,
    cfg: &ScreenConfig,
) -> Qualifiers {
    let mut out = Qualifiers::default();
    if let Some(qd) = q_dob
        && !e.birth_dates.is_empty()
    {
        let best = e
            .birth_dates
            .iter()
            .map(|l| (dob_penalty(qd, l, cfg), l))
            .min_by(|a, b| a.0.0.total_cmp(&b.0.0))
            .expect("non-empty");
        let ((p, feature), l) = best;
        out.penalty += p;
        out.dob_match = p == 0.0;
        out.dob_contradicted = feature == "dob_year_disjoint";
        out.features.push(Feature {
            feature: feature.to_string(),
            score: if p == 0.0 { 0.0 } else { -p },
            detail: format!("query {} vs list {}", qd.display(), l.display()),
        });
    }
    if let Some(qn) = q_nat
        && !e.nationalities.is_empty()
    {
        let ok = e.nationalities.iter().any(|n| territories_overlap(n, qn));
        out.nationality_match = ok;
        let p = if ok { 0.0 } else { cfg.nationality_mismatch };
        out.penalty += p;
        out.features.push(Feature {
            feature: if ok {
                "nationality_match"
            } else {
                "country_mismatch"
            }
            .into(),
            score: if p == 0.0 { 0.0 } else { -p },
            detail: format!("query {qn} vs list {}", e.nationalities.join(",")),
        });
    }
    if let (Some(qg), Some(lg)) = (q_gender, e.gender.as_deref()) {
        let (qg, lg) = (qg.to_ascii_lowercase(), lg.to_ascii_lowercase());
        if (qg.starts_with('m') || qg.starts_with('f'))
            && (lg.starts_with('m') || lg.starts_with('f'))
            && qg[..1] != lg[..1]
        {
            out.penalty += cfg.gender_mismatch;
            out.features.push(Feature {
                feature: "gender_mismatch".into(),
                score: -cfg.gender_mismatch,
                detail: format!("query {qg} vs list {lg}"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dob_rules() {
        let cfg = ScreenConfig::default();
        let l = DateSpec::ymd(1960, 3, 12);
        for (q, want) in [
            (DateSpec::ymd(1960, 3, 12), "dob_exact"),
            (DateSpec::ymd(1960, 12, 3), "dob_day_month_swapped"),
            (DateSpec::ymd(1961, 3, 12), "dob_year_near"),
            (DateSpec::ymd(1970, 3, 12), "dob_year_disjoint"),
            (DateSpec::year(1960), "dob_year_match"),
        ] {
            assert_eq!(dob_penalty(&q, &l, &cfg).1, want, "{q:?}");
        }
        let circa = DateSpec {
            circa: true,
            ..DateSpec::year(1958)
        };
        assert_eq!(
            dob_penalty(&DateSpec::year(1959), &circa, &cfg).1,
            "dob_year_match"
        );
    }
}
