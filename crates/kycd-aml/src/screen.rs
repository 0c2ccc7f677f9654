//! Screening: query preparation, candidate generation over the index, scoring, hit assembly.

use serde::{Deserialize, Serialize};

use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::index::{Index, MatchKind};
use crate::model::{DateSpec, EntityKind, NameKind, Source, Topic};
use crate::normalise::Script;
use crate::score::{Slot, qualifiers, score_name};

/// A screening query (one person or organisation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// Full name, any script, any order.
    pub name: String,
    /// Date of birth: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Nationality: alpha-2, alpha-3 or country name.
    #[serde(default)]
    pub nationality: Option<String>,
    /// Gender (`male`/`female`, `M`/`F`).
    #[serde(default)]
    pub gender: Option<String>,
    /// Restrict to a kind of subject (`Person` for identity verification); `None` = any.
    #[serde(default)]
    pub kind: Option<EntityKind>,
}

impl Query {
    /// A person query with just a name.
    pub fn person(name: impl Into<String>) -> Self {
        Query {
            name: name.into(),
            kind: Some(EntityKind::Person),
            ..Default::default()
        }
    }

    /// Validate DOB and nationality (an unknown nationality is an error, not silently ignored).
    pub fn validate(&self) -> Result<(), AmlError> {
        if let Some(d) = self.birth_date.as_deref().filter(|d| !d.trim().is_empty()) {
            parse_date(d).ok_or_else(|| AmlError::Invalid(format!("date of birth {d:?}")))?;
        }
        if let Some(n) = self.nationality.as_deref().filter(|n| !n.trim().is_empty()) {
            to_alpha2(n).ok_or_else(|| AmlError::Invalid(format!("nationality {n:?}")))?;
        }
        Ok(())
    }
}

/// Scoring configuration (weights follow nomenklatura logic-v2; penalties only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenConfig {
    /// Report hits at or above this score (0–1).
    pub threshold: f32,
    /// Maximum hits returned.
    pub max_hits: usize,
    /// Also report literal full-name matches pushed under the threshold by a contradicting DOB.
    pub report_dob_contradicted: bool,
    /// Penalty when birth years are more than one year apart.
    pub dob_year_disjoint: f32,
    /// Penalty when birth years are one year apart.
    pub dob_year_near: f32,
    /// Penalty when year matches but month/day differ (half for a day/month swap).
    pub dob_day_disjoint: f32,
    /// Penalty when nationalities do not overlap.
    pub nationality_mismatch: f32,
    /// Penalty when genders differ.
    pub gender_mismatch: f32,
    /// Names rescored per query.
    pub candidates: usize,
}

impl Default for ScreenConfig {
    fn default() -> Self {
        ScreenConfig {
            threshold: 0.85,
            max_hits: 5,
            report_dob_contradicted: true,
            dob_year_disjoint: 0.15,
            dob_year_near: 0.05,
            dob_day_disjoint: 0.10,
            nationality_mismatch: 0.15,
            gender_mismatch: 0.20,
            candidates: 32,
        }
    }
}

/// One explained feature of a hit's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Feature name (`name_match`, `dob_year_disjoint`, `country_mismatch`, ...).
    pub feature: String,
    /// Contribution: the name score for name features, the (negative) penalty for qualifiers.
    pub score: f32,
    /// Human explanation.
    pub detail: String,
}

/// One matched list entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Entity id (`un:QDi.430`).
    pub entity_id: String,
    /// Source list.
    pub source: Source,
    /// List reference number.
    pub list_id: String,
    /// Primary name.
    pub caption: String,
    /// Kind.
    pub kind: EntityKind,
    /// Why listed.
    pub topic: Topic,
    /// Final score 0–1.
    pub score: f32,
    /// Name score before qualifiers.
    pub name_score: f32,
    /// The list name that matched.
    pub matched_name: String,
    /// Role of the matched name.
    pub matched_name_kind: NameKind,
    /// Vendor-style match types (`name_exact`, `aka_fuzzy`, `equivalent_name`, `year_of_birth`...).
    pub match_types: Vec<String>,
    /// Per-feature explanations.
    pub features: Vec<Feature>,
    /// Literal name match whose DOB contradicts the query (reported for review, marked).
    pub dob_contradicted: bool,
    /// Score ≥ threshold.
    pub above_threshold: bool,
    /// Given name(s) of the primary name, when known.
    pub given_name: Option<String>,
    /// Family name of the primary name, when known.
    pub family_name: Option<String>,
    /// Dates of birth on the list (`1960-03-12`, `1960`, `~1958`, `1973..1974`).
    pub birth_dates: Vec<String>,
    /// Nationalities on the list (alpha-2).
    pub nationalities: Vec<String>,
    /// Programmes / regimes.
    pub programs: Vec<String>,
    /// Remarks (position for PEPs).
    pub remarks: Option<String>,
    /// Entry last update, else the list's publication date.
    pub last_update: Option<String>,
}

impl Hit {
    /// Score as an integer 0–100.
    pub fn score_100(&self) -> u8 {
        (self.score * 100.0).round().clamp(0.0, 100.0) as u8
    }
}

/// The outcome of one screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreenResult {
    /// The query as given.
    pub query: Query,
    /// Hits, best first.
    pub hits: Vec<Hit>,
    /// Threshold used.
    pub threshold: f32,
}

impl ScreenResult {
    /// True when anything was reported.
    pub fn is_alert(&self) -> bool {
        !self.hits.is_empty()
    }
}

impl Index {
    /// Screen one query.
    pub fn screen(&self, q: &Query, cfg: &ScreenConfig) -> ScreenResult {
        let slots = self.prepare(&q.name);
        let mut result = ScreenResult {
            query: q.clone(),
            hits: Vec::new(),
            threshold: cfg.threshold,
        };
        if slots.is_empty() {
            return result;
        }
        let q_dob = q.birth_date.as_deref().and_then(parse_date);
        let q_nat = q.nationality.as_deref().and_then(to_alpha2);
        let cands = self.candidates(&slots, q.kind, cfg.candidates);
        let q_han = han_chars(&q.name);
        // best name per entity
        let mut best: Vec<(u32, u32, f32, bool)> = Vec::new(); // (entity, name id, score, literal)
        for nm in cands {
            let name = &self.names[nm as usize];
            let mut ns = score_name(self, &slots, name, false);
            if !q_han.is_empty() {
                ns.score *= han_factor(
                    &q_han,
                    &self.entities[name.entity as usize].names[name.name_no as usize].full,
                );
                ns.literal &= ns.score >= 1.0;
            }
            if ns.score <= 0.0 {
                continue;
            }
            match best.iter_mut().find(|b| b.0 == name.entity) {
                Some(b) if ns.score > b.2 || (ns.score == b.2 && nm < b.1) => {
                    *b = (name.entity, nm, ns.score, ns.literal)
                }
                Some(_) => {}
                None => best.push((name.entity, nm, ns.score, ns.literal)),
            }
        }
        let floor = cfg.threshold;
        for (ei, nm, name_score, literal) in best {
            // qualifiers only lower the score: skip early when the name alone is too weak
            if name_score < floor && !(literal && cfg.report_dob_contradicted) {
                continue;
            }
            let e = &self.entities[ei as usize];
            let qual = qualifiers(q_dob.as_ref(), q_nat, q.gender.as_deref(), e, cfg);
            let score = (name_score - qual.penalty).clamp(0.0, 1.0);
            let above = score >= cfg.threshold;
            let contradicted = literal && qual.dob_contradicted;
            if !(above || contradicted && cfg.report_dob_contradicted) {
                continue;
            }
            result.hits.push(self.make_hit(
                &slots,
                nm,
                score,
                name_score,
                qual,
                above,
                contradicted,
                q_dob.as_ref(),
                &q_han,
            ));
        }
        result.hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.entity_id.cmp(&b.entity_id))
        });
        result.hits.truncate(cfg.max_hits);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn make_hit(
        &self,
        slots: &[Slot],
        nm: u32,
        score: f32,
        name_score: f32,
        qual: crate::score::Qualifiers,
        above: bool,
        contradicted: bool,
        q_dob: Option<&DateSpec>,
        q_han: &[char],
    ) -> Hit {
        let name = &self.names[nm as usize];
        let e = &self.entities[name.entity as usize];
        let mut ns = score_name(self, slots, name, true);
        if !q_han.is_empty() {
            let f = han_factor(q_han, &e.names[name.name_no as usize].full);
            if f < 1.0 {
                ns.detail.push_str(&format!(
                    "; Han characters differ (romanisation only) ×{f:.2}"
                ));
            }
        }
        let rec = &e.names[name.name_no as usize];
        let primary = rec.kind == NameKind::Primary;
        let prefix = if primary { "name" } else { "aka" };
        let mut mt = Vec::new();
        if ns.literal {
            mt.push(format!("{prefix}_exact"));
        }
        for k in &ns.kinds {
            let t = match k {
                MatchKind::Exact => continue,
                MatchKind::Fuzzy | MatchKind::Joined | MatchKind::Initial => {
                    format!("{prefix}_fuzzy")
                }
                MatchKind::Phonetic => format!("phonetic_{prefix}"),
                MatchKind::Equivalent => format!("equivalent_{prefix}"),
            };
            if !mt.contains(&t) {
                mt.push(t);
            }
        }
        if mt.is_empty() {
            mt.push(format!("{prefix}_fuzzy"));
        }
        if qual.dob_match && q_dob.is_some() {
            mt.push("year_of_birth".into());
        }
        if qual.nationality_match {
            mt.push("nationality".into());
        }
        let mut features = vec![Feature {
            feature: if rec.strength == crate::model::Strength::Weak {
                "weak_alias_match"
            } else {
                "name_match"
            }
            .into(),
            score: name_score,
            detail: format!("{} {:?}: {}", kind_label(rec.kind), rec.full, ns.detail),
        }];
        features.extend(qual.features);
        Hit {
            entity_id: e.id.clone(),
            source: e.source,
            list_id: e.list_id.clone(),
            caption: e.caption().to_string(),
            kind: e.kind,
            topic: e.topic,
            score,
            name_score,
            matched_name: rec.full.clone(),
            matched_name_kind: rec.kind,
            match_types: mt,
            features,
            dob_contradicted: contradicted,
            above_threshold: above,
            given_name: e.names.first().and_then(|n| n.given.clone()),
            family_name: e.names.first().and_then(|n| n.family.clone()),
            birth_dates: e.birth_dates.iter().map(DateSpec::display).collect(),
            nationalities: e.nationalities.clone(),
            programs: e.programs.clone(),
            remarks: e.remarks.clone(),
            last_update: e.last_update.clone().or_else(|| {
                self.lists
                    .iter()
                    .find(|l| l.source == e.source)
                    .and_then(|l| l.published.clone())
            }),
        }
    }
}

fn kind_label(k: NameKind) -> &'static str {
    match k {
        NameKind::Primary => "primary name",
        NameKind::Aka => "alias",
        NameKind::Fka => "former name",
        NameKind::Nka => "new name",
        NameKind::OriginalScript => "original-script name",
    }
}

/// Distinct Han characters of a string, sorted.
fn han_chars(s: &str) -> Vec<char> {
    let mut v: Vec<char> = s
        .chars()
        .filter(|&c| crate::normalise::word_script(c.encode_utf8(&mut [0; 4])) == Script::Han)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Han names transliterate ambiguously (homophones): a Han query against a Han list name
/// with other characters keeps only part of its score; against a romanised list name a
/// little less than full.
fn han_factor(q_han: &[char], list_name: &str) -> f32 {
    let l = han_chars(list_name);
    if l.is_empty() {
        0.95
    } else if q_han.iter().all(|c| l.binary_search(c).is_ok()) {
        1.0
    } else {
        0.75
    }
}
