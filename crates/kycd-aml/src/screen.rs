//! Screening: query preparation, candidate generation over the index, scoring, hit assembly.

use serde::{Deserialize, Serialize};

use crate::country::to_alpha2;
use crate::dates::parse_date;
use crate::error::AmlError;
use crate::index::{Index, MatchKind};
use crate::model::{DateSpec, EntityKind, NameKind, Source, Topic};
use crate::normalise::{Script, TokenClass, classify};
use crate::score::{Qualifiers, Slot, qualifiers, score_name};

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
    /// Hold single-token queries (one name part once titles and particles are set aside) to
    /// stricter evidence (default): nothing contradicting, and an exact single-name list
    /// entry, a variant of one with a corroborating date of birth or nationality, or one part
    /// of a longer list name with both. Off, a lone name part is scored like any name: only
    /// for measuring the name scorer on labelled name pairs.
    #[serde(default = "yes")]
    pub single_token_evidence: bool,
}

fn yes() -> bool {
    true
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
            single_token_evidence: true,
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
        self.screen_slots(self.prepare(&q.name), q, cfg)
    }

    /// Screen one query whose name is already prepared against this index (`slots`: [`Index::prepare`]).
    pub(crate) fn screen_slots(
        &self,
        slots: Vec<Slot>,
        q: &Query,
        cfg: &ScreenConfig,
    ) -> ScreenResult {
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
        let single = single_token(&slots).filter(|_| cfg.single_token_evidence);
        for (ei, nm, name_score, literal) in best {
            // qualifiers only lower the score: skip early when the name alone is too weak
            if name_score < floor && !(literal && cfg.report_dob_contradicted) {
                continue;
            }
            let e = &self.entities[ei as usize];
            let mut qual = qualifiers(q_dob.as_ref(), q_nat, q.gender.as_deref(), e, cfg);
            if let Some(qt) = single {
                match self.single_token_evidence(qt, nm, &qual) {
                    Some(why) => qual.features.push(Feature {
                        feature: "single_token_query".into(),
                        score: 0.0,
                        detail: why.into(),
                    }),
                    None => continue,
                }
            }
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

    /// The stricter evidence a single-token query needs (see [`single_token`]): `Some(reason)`
    /// when the list name `nm` may be reported for the query token `qt` given the qualifiers.
    /// Lone first names such as `John` are single-name aliases on the lists, so nothing may
    /// contradict: no date of birth, nationality or gender mismatch (and no "exact name,
    /// contradicting DOB" review hit).
    ///
    /// * The list entry is a mononym (all its names are one token, titles and particles
    ///   aside; original-script names not counted) and its primary name is `qt` after
    ///   folding: reported on the name (`FAIZ`).
    /// * A single-token alias, or the single-token primary name of an entry that also has
    ///   longer names, is a partial name (`John`, `Ward`, `Adam`); it, like a typo, phonetic
    ///   or given-name variant of `qt` in a single-token list name, is reported only with a
    ///   corroborating date of birth or nationality (`AFIZ`, 1969, AF against `FAIZ`, ~1969,
    ///   AF).
    /// * The list name has several parts, one of them exactly `qt`: only when both the date
    ///   of birth and the nationality match (and the name score still reaches the threshold).
    /// * Anything else (a typo of one part of a longer name) is never reported.
    fn single_token_evidence(&self, qt: &str, nm: u32, qual: &Qualifiers) -> Option<&'static str> {
        if qual.penalty > 0.0 {
            return None;
        }
        let name = &self.names[nm as usize];
        let majors: Vec<&str> = self
            .major_tokens(name)
            .map(|t| &*self.tok_str[t as usize])
            .collect();
        match majors.as_slice() {
            [t] if *t == qt
                && name.kind == NameKind::Primary
                && self.mononym[name.entity as usize] =>
            {
                Some("single-name query: exact name of a single-name list entry")
            }
            [_] if qual.dob_match || qual.nationality_match => Some(
                "single-name query: single-name alias or variant, corroborated by date of birth or nationality",
            ),
            [_, _, ..] if qual.dob_match && qual.nationality_match && majors.contains(&qt) => Some(
                "single-name query: one part of the list name, corroborated by date of birth and nationality",
            ),
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn make_hit(
        &self,
        slots: &[Slot],
        nm: u32,
        score: f32,
        name_score: f32,
        qual: Qualifiers,
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

/// The query's only name part when it has a single one once titles are set aside (`AFIZ`,
/// `Haji FAIZ`; particles are name parts: `El Sheikh` is a surname, `ELSHAFEE EL SHEIKH` a
/// full name). Such a query matches any name containing that token, so it needs more
/// evidence than a full name ([`Index::single_token_evidence`]).
fn single_token(slots: &[Slot]) -> Option<&str> {
    let parts: Vec<&str> = slots
        .iter()
        .map(|s| s.text.as_str())
        .filter(|t| classify(t) != TokenClass::Title)
        .collect();
    match (parts.as_slice(), slots) {
        ([t], _) => Some(t),
        ([], [only]) => Some(only.text.as_str()),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entity, NameRecord};

    fn person(id: &str, names: &[&str], dob: Option<DateSpec>, nat: Option<&str>) -> Entity {
        let mut e = Entity::new(Source::UnSc, id, EntityKind::Person);
        for n in names {
            e.push_name(NameRecord::new(*n, NameKind::Primary));
        }
        if let Some(d) = dob {
            e.push_birth_date(d);
        }
        if let Some(n) = nat {
            e.push_nationality(n);
        }
        e
    }

    fn index() -> Index {
        let mut v = vec![
            person("1", &["FAIZ"], Some(DateSpec::year(1969)), Some("AF")),
            person(
                "2",
                &["Tariq Saeedullah Khan"],
                Some(DateSpec::year(1971)),
                Some("PK"),
            ),
        ];
        let mut alias = person(
            "3",
            &["Ward Lambert Hollis"],
            Some(DateSpec::year(1950)),
            Some("US"),
        );
        alias.push_name(NameRecord::new("WARD", NameKind::Aka));
        v.push(alias);
        let mut partial = person("4", &["Lydia"], None, None);
        partial.push_name(NameRecord::new("Lydia Marguerite Okonkwo", NameKind::Aka));
        v.push(partial);
        // padding so that the IDF weights look like a real list
        for i in 0..40 {
            v.push(person(
                &format!("p{i}"),
                &[&format!("Hafiz Person{i} Zadran")],
                None,
                None,
            ));
        }
        Index::build(v, vec![])
    }

    fn hits(
        ix: &Index,
        name: &str,
        dob: Option<&str>,
        nat: Option<&str>,
        cfg: &ScreenConfig,
    ) -> Vec<String> {
        let q = Query {
            name: name.into(),
            birth_date: dob.map(str::to_string),
            nationality: nat.map(str::to_string),
            ..Query::person("")
        };
        ix.screen(&q, cfg)
            .hits
            .into_iter()
            .map(|h| h.entity_id)
            .collect()
    }

    #[test]
    fn single_token_queries_need_stricter_evidence() {
        let ix = index();
        let cfg = ScreenConfig::default();
        // exact single-name entry: by name alone, titles aside
        assert_eq!(hits(&ix, "Faiz", None, None, &cfg), ["un:1"]);
        assert_eq!(hits(&ix, "Haji FAIZ", None, None, &cfg), ["un:1"]);
        // ... unless something contradicts (no review hit for a lone name either)
        assert!(hits(&ix, "Faiz", Some("1990"), None, &cfg).is_empty());
        assert!(hits(&ix, "Faiz", None, Some("IR"), &cfg).is_empty());
        // a single-token alias (a partial name): only with a corroborating qualifier
        assert!(hits(&ix, "Ward", None, None, &cfg).is_empty());
        assert!(hits(&ix, "Ward", None, Some("FR"), &cfg).is_empty());
        assert_eq!(hits(&ix, "Ward", Some("1950"), None, &cfg), ["un:3"]);
        // the single-token primary name of an entry with longer names is a partial name too
        assert!(hits(&ix, "Lydia", Some("1950"), Some("CH"), &cfg).is_empty());
        // a typo of a single-token name: likewise
        assert!(hits(&ix, "AFIZ", None, None, &cfg).is_empty());
        assert_eq!(hits(&ix, "AFIZ", Some("1969"), None, &cfg), ["un:1"]);
        assert_eq!(hits(&ix, "AFIZ", None, Some("af"), &cfg), ["un:1"]);
        assert!(hits(&ix, "AFIZ", Some("1969"), Some("IR"), &cfg).is_empty());
        // one part of a longer name: never by name alone, and only with DOB and nationality
        let low = ScreenConfig {
            threshold: 0.5,
            ..ScreenConfig::default()
        };
        assert!(hits(&ix, "Saeedullah", None, None, &low).is_empty());
        assert!(hits(&ix, "Saeedullah", Some("1971"), None, &low).is_empty());
        assert_eq!(
            hits(&ix, "Saeedullah", Some("1971"), Some("PK"), &low),
            ["un:2"]
        );
        // a typo of one part of a longer name: never
        assert!(hits(&ix, "Saedullah", Some("1971"), Some("PK"), &low).is_empty());
        // the rule switched off scores the lone part like any name
        let off = ScreenConfig {
            single_token_evidence: false,
            ..low
        };
        assert_eq!(hits(&ix, "Saeedullah", None, None, &off), ["un:2"]);
        // full names are unaffected
        assert_eq!(
            hits(&ix, "Tariq Saeedullah Khan", None, None, &cfg),
            ["un:2"]
        );
    }

    #[test]
    fn hits_explain_the_single_token_rule() {
        let ix = index();
        let q = Query {
            birth_date: Some("1969".into()),
            ..Query::person("AFIZ")
        };
        let r = ix.screen(&q, &ScreenConfig::default());
        assert!(
            r.hits[0]
                .features
                .iter()
                .any(|f| f.feature == "single_token_query" && f.detail.contains("corroborated"))
        );
    }
}
