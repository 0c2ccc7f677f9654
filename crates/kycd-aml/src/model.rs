//! The normalised entity model shared by every list parser, the store and the index.

use serde::{Deserialize, Serialize};

use crate::error::AmlError;

/// The publisher / list an entity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// US Treasury OFAC SDN list.
    OfacSdn,
    /// US Treasury OFAC consolidated non-SDN list.
    OfacConsolidated,
    /// UN Security Council consolidated list.
    UnSc,
    /// EU Financial Sanctions Files.
    EuFsf,
    /// UK sanctions list (OFSI ConList or FCDO UK Sanctions List).
    Uk,
    /// OpenSanctions FollowTheMoney data (sanctions or PEPs).
    OpenSanctions,
}

impl Source {
    /// Short list name used in reports (`listName`).
    pub fn list_name(self) -> &'static str {
        match self {
            Source::OfacSdn => "OFAC",
            Source::OfacConsolidated => "OFAC_CONSOLIDATED",
            Source::UnSc => "UN",
            Source::EuFsf => "EU",
            Source::Uk => "UK",
            Source::OpenSanctions => "OPENSANCTIONS",
        }
    }

    /// Stable id prefix for entity ids.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Source::OfacSdn => "ofac",
            Source::OfacConsolidated => "ofac-cons",
            Source::UnSc => "un",
            Source::EuFsf => "eu",
            Source::Uk => "uk",
            Source::OpenSanctions => "os",
        }
    }
}

/// What kind of subject an entry designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EntityKind {
    /// A natural person.
    Person,
    /// A company, organisation, group.
    Organization,
    /// A ship.
    Vessel,
    /// An aircraft.
    Aircraft,
    /// Not stated.
    #[default]
    Unknown,
}

/// Why the entity is listed (drives `suspicion` in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    /// On a sanctions list.
    #[default]
    Sanction,
    /// Politically exposed person.
    Pep,
    /// Relative or close associate of a PEP.
    Rca,
    /// Other listing (crime, debarment...).
    Other,
}

/// The role of a name in the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    /// The primary name.
    #[default]
    Primary,
    /// Also known as.
    Aka,
    /// Formerly known as.
    Fka,
    /// Now known as.
    Nka,
    /// Name in original (non-Latin) script.
    OriginalScript,
}

/// Alias quality: weak aliases (OFAC weak aka, UN "Low", EU strong=false) only count on
/// literal matches, capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// Strong (default).
    #[default]
    Strong,
    /// Weak / low quality.
    Weak,
}

/// One name or alias of an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NameRecord {
    /// The full name as published.
    pub full: String,
    /// Given name(s), when the list splits them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given: Option<String>,
    /// Family name, when the list splits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Role of the name.
    #[serde(default)]
    pub kind: NameKind,
    /// Quality.
    #[serde(default)]
    pub strength: Strength,
}

impl NameRecord {
    /// A strong name of the given kind with no split parts.
    pub fn new(full: impl Into<String>, kind: NameKind) -> Self {
        NameRecord {
            full: full.into(),
            kind,
            ..Default::default()
        }
    }

    /// Same, weak.
    pub fn weak(full: impl Into<String>, kind: NameKind) -> Self {
        NameRecord {
            full: full.into(),
            kind,
            strength: Strength::Weak,
            ..Default::default()
        }
    }
}

/// A (possibly partial, possibly approximate) date of birth, as a year range plus optional
/// month and day. `1960` is `{year_from: 1960, year_to: 1960}`; `1960 to 1962` a range;
/// `circa 1960` sets `circa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateSpec {
    /// First possible year.
    pub year_from: u16,
    /// Last possible year (== `year_from` for a single year).
    pub year_to: u16,
    /// Month 1–12 when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u8>,
    /// Day 1–31 when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<u8>,
    /// Approximate ("circa", UN APPROXIMATELY).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub circa: bool,
}

impl DateSpec {
    /// A date in one year, with the month and day when known (a day without a month is
    /// dropped).
    pub fn partial(y: u16, month: Option<u8>, day: Option<u8>) -> Self {
        DateSpec {
            year_from: y,
            year_to: y,
            month,
            day: month.and(day),
            circa: false,
        }
    }

    /// A single year.
    pub fn year(y: u16) -> Self {
        DateSpec::partial(y, None, None)
    }

    /// A full date.
    pub fn ymd(y: u16, m: u8, d: u8) -> Self {
        DateSpec::partial(y, Some(m), Some(d))
    }

    /// Human/ISO-ish display: `1960-03-12`, `1960-03`, `1960`, `1960..1962`, `~1960`.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if self.circa {
            s.push('~');
        }
        if self.year_from != self.year_to {
            s.push_str(&format!("{}..{}", self.year_from, self.year_to));
            return s;
        }
        s.push_str(&format!("{:04}", self.year_from));
        if let Some(m) = self.month {
            s.push_str(&format!("-{m:02}"));
            if let Some(d) = self.day {
                s.push_str(&format!("-{d:02}"));
            }
        }
        s
    }
}

/// One normalised list entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Stable id, e.g. `ofac:36`, `un:QDi.430`, `eu:EU.27.28`.
    pub id: String,
    /// Source list.
    pub source: Source,
    /// The list's own reference / number (`listNumber`).
    pub list_id: String,
    /// Kind of subject.
    pub kind: EntityKind,
    /// Names: the first one is the primary name.
    pub names: Vec<NameRecord>,
    /// Dates of birth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub birth_dates: Vec<DateSpec>,
    /// Nationalities and citizenships, ISO 3166-1 alpha-2, upper case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nationalities: Vec<String>,
    /// Gender when stated (`male` / `female`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// Sanctions programmes / regimes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Why listed.
    #[serde(default)]
    pub topic: Topic,
    /// Listing date, ISO `YYYY-MM-DD` when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_on: Option<String>,
    /// Last update of the entry, ISO, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<String>,
    /// Free-text remarks / position (e.g. PEP role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl Entity {
    /// A new entity with a primary name and nothing else.
    pub fn new(source: Source, list_id: impl Into<String>, kind: EntityKind) -> Self {
        let list_id = list_id.into();
        Entity {
            id: format!("{}:{}", source.id_prefix(), list_id),
            source,
            list_id,
            kind,
            names: Vec::new(),
            birth_dates: Vec::new(),
            nationalities: Vec::new(),
            gender: None,
            programs: Vec::new(),
            topic: Topic::Sanction,
            listed_on: None,
            last_update: None,
            remarks: None,
        }
    }

    /// Add a name unless an identical full name is already there (keeps the strongest).
    pub fn push_name(&mut self, rec: NameRecord) {
        let full = rec.full.trim().to_string();
        if full.is_empty() {
            return;
        }
        if let Some(existing) = self.names.iter_mut().find(|n| n.full == full) {
            if rec.strength == Strength::Strong {
                existing.strength = Strength::Strong;
            }
            return;
        }
        let mut rec = rec;
        rec.full = full;
        self.names.push(rec);
    }

    /// Add a nationality (alpha-2) once.
    pub fn push_nationality(&mut self, alpha2: &str) {
        let code = alpha2.to_ascii_uppercase();
        if !self.nationalities.contains(&code) {
            self.nationalities.push(code);
        }
    }

    /// Add a date of birth once.
    pub fn push_birth_date(&mut self, d: DateSpec) {
        if !self.birth_dates.contains(&d) {
            self.birth_dates.push(d);
        }
    }

    /// Add a programme once.
    pub fn push_program(&mut self, p: &str) {
        let p = p.trim();
        if !p.is_empty() && !self.programs.iter().any(|x| x == p) {
            self.programs.push(p.to_string());
        }
    }

    /// The primary name (first name record), or the id.
    pub fn caption(&self) -> &str {
        self.names
            .first()
            .map(|n| n.full.as_str())
            .unwrap_or(&self.id)
    }
}

/// Metadata about one imported list snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMeta {
    /// Source.
    pub source: Source,
    /// Store key (file stem), e.g. `ofac-sdn`, `un-sc`, `eu-fsf`.
    pub key: String,
    /// Import format used.
    pub format: String,
    /// Publication date stated in the file, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// When it was imported (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub imported_at: String,
    /// SHA-256 (hex) of the raw input files, concatenated in order.
    pub sha256: String,
    /// Number of entities.
    pub entity_count: usize,
    /// Number of names (primary + aliases).
    pub name_count: usize,
    /// Input file names / URLs.
    pub inputs: Vec<String>,
}

/// The result of parsing one list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedList {
    /// Entities in file order.
    pub entities: Vec<Entity>,
    /// Publication date found in the file.
    pub published: Option<String>,
    /// Parser statistics (aliases, addresses, orphans, remarks fields...), for audits and tests.
    pub stats: std::collections::BTreeMap<String, usize>,
}

impl ParsedList {
    /// Total number of names.
    pub fn name_count(&self) -> usize {
        self.entities.iter().map(|e| e.names.len()).sum()
    }

    /// Increment a statistic.
    pub fn bump(&mut self, key: &str, by: usize) {
        *self.stats.entry(key.to_string()).or_insert(0) += by;
    }

    /// Read a statistic (0 when absent).
    pub fn stat(&self, key: &str) -> usize {
        self.stats.get(key).copied().unwrap_or(0)
    }

    /// Number of entities of a kind.
    pub fn count_kind(&self, kind: EntityKind) -> usize {
        self.entities.iter().filter(|e| e.kind == kind).count()
    }

    /// Keep an entity that has a name (one without any cannot be screened and is dropped).
    pub fn push_named(&mut self, e: Entity) {
        if !e.names.is_empty() {
            self.entities.push(e);
        }
    }

    /// The list, or [`AmlError::Empty`] naming `format` when it holds no entity (an error
    /// page or another list's format must not replace a good list).
    pub fn non_empty(self, format: &str) -> Result<ParsedList, AmlError> {
        if self.entities.is_empty() {
            return Err(AmlError::Empty(format.into()));
        }
        Ok(self)
    }
}
