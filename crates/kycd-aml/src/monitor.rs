//! What AML monitoring needs from the lists: what a refresh changed (added, changed and removed entities), the
//! record of every refresh (`<data_dir>/lists/history.jsonl`, shown by `kycd lists diff`), the sources behind a
//! mirror for air-gapped sites, and the screening of one monitored subject against the whole index or only against
//! the entities a refresh added or changed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::AmlError;
use crate::index::Index;
use crate::model::{Entity, EntityKind, ListMeta};
use crate::screen::{Query, ScreenConfig};
use crate::store;
use crate::update::UpdateSource;

/// Version of the matching logic. Subjects last screened with another version are screened in full again (a
/// change of names normalisation, scoring or threshold changes every result, not only those of new entities).
pub const MATCHER_VERSION: i64 = 1;

/// The official sources, each fetched from `mirror` (a plain HTTP(S) folder holding the same file names) instead.
pub fn mirrored(sources: Vec<UpdateSource>, mirror: &str) -> Vec<UpdateSource> {
    let base = mirror.trim_end_matches('/');
    sources
        .into_iter()
        .map(|s| UpdateSource {
            url: format!("{base}/{}", s.file_name),
            ..s
        })
        .collect()
}

/// An entity as a refresh record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRef {
    /// Entity id (`un:QDi.001`, …).
    pub id: String,
    /// Its primary name.
    pub caption: String,
}

impl EntityRef {
    fn of(e: &Entity) -> Self {
        EntityRef {
            id: e.id.clone(),
            caption: e.names.first().map(|n| n.full.clone()).unwrap_or_default(),
        }
    }
}

/// What one refresh changed in one list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListDiff {
    /// Entities new in the list.
    pub added: Vec<Entity>,
    /// Entities whose record changed (names, dates, …).
    pub changed: Vec<Entity>,
    /// Entities no longer in the list.
    pub removed: Vec<EntityRef>,
}

impl ListDiff {
    /// Whether the refresh changed nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// Ids whose earlier matches no longer hold as they were: changed or removed.
    pub fn stale_ids(&self) -> BTreeSet<String> {
        self.changed
            .iter()
            .map(|e| e.id.clone())
            .chain(self.removed.iter().map(|r| r.id.clone()))
            .collect()
    }
}

/// The difference between a list's previous and new entities, by entity id.
pub fn diff(previous: &[Entity], new: &[Entity]) -> ListDiff {
    let before: BTreeMap<&str, &Entity> = previous.iter().map(|e| (e.id.as_str(), e)).collect();
    let after: BTreeSet<&str> = new.iter().map(|e| e.id.as_str()).collect();
    let mut d = ListDiff::default();
    for e in new {
        match before.get(e.id.as_str()) {
            None => d.added.push(e.clone()),
            Some(old) if *old != e => d.changed.push(e.clone()),
            Some(_) => {}
        }
    }
    d.removed = previous
        .iter()
        .filter(|e| !after.contains(e.id.as_str()))
        .map(EntityRef::of)
        .collect();
    d
}

/// The values of a JSON-lines file, in order (none when the file does not exist).
fn read_jsonl<T: serde::de::DeserializeOwned>(p: &Path) -> Result<Vec<T>, AmlError> {
    let f = match File::open(p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(AmlError::io(p, e)),
    };
    let mut out = Vec::new();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| AmlError::io(p, e))?;
        if !line.trim().is_empty() {
            out.push(serde_json::from_str(&line)?);
        }
    }
    Ok(out)
}

/// The entities of one stored list (empty when it is not stored).
pub fn stored_entities(data_dir: &Path, key: &str) -> Result<Vec<Entity>, AmlError> {
    read_jsonl(&store::lists_dir(data_dir).join(format!("{key}.jsonl")))
}

/// One refresh of one list, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRecord {
    /// When (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub at: String,
    /// List key.
    pub key: String,
    /// Where it came from (URL).
    pub source: String,
    /// `updated`, `unchanged` or `failed` (the previous version kept).
    pub status: String,
    /// Publication date of the new list.
    pub published: Option<String>,
    /// Entities in the stored list after the refresh.
    pub entities: usize,
    /// Names in the stored list after the refresh.
    pub names: usize,
    /// SHA-256 of the downloaded file.
    pub sha256: Option<String>,
    /// Entities added.
    pub added: Vec<EntityRef>,
    /// Entities changed.
    pub changed: Vec<EntityRef>,
    /// Entities removed.
    pub removed: Vec<EntityRef>,
    /// Why it failed.
    pub error: Option<String>,
}

impl RefreshRecord {
    /// The record of a stored refresh.
    pub fn updated(meta: &ListMeta, source: &str, d: &ListDiff) -> Self {
        RefreshRecord {
            at: store::utc_now(),
            key: meta.key.clone(),
            source: source.to_string(),
            status: if d.is_empty() { "unchanged" } else { "updated" }.into(),
            published: meta.published.clone(),
            entities: meta.entity_count,
            names: meta.name_count,
            sha256: Some(meta.sha256.clone()),
            added: d.added.iter().map(EntityRef::of).collect(),
            changed: d.changed.iter().map(EntityRef::of).collect(),
            removed: d.removed.clone(),
            error: None,
        }
    }

    /// The record of a failed refresh (`previous`: the list kept).
    pub fn failed(key: &str, source: &str, previous: Option<&ListMeta>, error: &str) -> Self {
        RefreshRecord {
            at: store::utc_now(),
            key: key.to_string(),
            source: source.to_string(),
            status: "failed".into(),
            published: previous.and_then(|m| m.published.clone()),
            entities: previous.map_or(0, |m| m.entity_count),
            names: previous.map_or(0, |m| m.name_count),
            sha256: None,
            added: vec![],
            changed: vec![],
            removed: vec![],
            error: Some(error.to_string()),
        }
    }
}

fn history_path(data_dir: &Path) -> PathBuf {
    store::lists_dir(data_dir).join("history.jsonl")
}

/// Appends refresh records to the history.
pub fn record(data_dir: &Path, records: &[RefreshRecord]) -> Result<(), AmlError> {
    let dir = store::lists_dir(data_dir);
    fs::create_dir_all(&dir).map_err(|e| AmlError::io(&dir, e))?;
    let p = history_path(data_dir);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p)
        .map_err(|e| AmlError::io(&p, e))?;
    let mut buf = Vec::new();
    for r in records {
        serde_json::to_writer(&mut buf, r)?;
        buf.push(b'\n');
    }
    f.write_all(&buf).map_err(|e| AmlError::io(&p, e))?;
    Ok(())
}

/// Every recorded refresh, oldest first.
pub fn history(data_dir: &Path) -> Result<Vec<RefreshRecord>, AmlError> {
    read_jsonl(&history_path(data_dir))
}

/// The changes the `updated` records describe, as diffs with the entities as stored now (a later record of the same
/// list wins for an entity both touched).
pub fn diffs_of(
    data_dir: &Path,
    records: &[RefreshRecord],
) -> Result<Vec<(String, ListDiff)>, AmlError> {
    let mut by_key: BTreeMap<String, (BTreeSet<String>, Vec<EntityRef>)> = BTreeMap::new();
    for r in records.iter().filter(|r| r.status == "updated") {
        let (touched, removed) = by_key.entry(r.key.clone()).or_default();
        touched.extend(r.added.iter().chain(&r.changed).map(|e| e.id.clone()));
        removed.extend(r.removed.iter().cloned());
    }
    let mut out = Vec::new();
    for (key, (touched, removed)) in by_key {
        let stored = stored_entities(data_dir, &key)?;
        let present: BTreeSet<&str> = stored.iter().map(|e| e.id.as_str()).collect();
        let d = ListDiff {
            // Touched entities are screened as they are now; whether added or changed does not matter to a screen.
            added: vec![],
            changed: stored
                .iter()
                .filter(|e| touched.contains(&e.id))
                .cloned()
                .collect(),
            removed: removed
                .into_iter()
                .filter(|r| !present.contains(r.id.as_str()))
                .collect(),
        };
        if !d.is_empty() {
            out.push((key, d));
        }
    }
    Ok(out)
}

/// A monitored person or company, as screened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Full name (given names and surname, or the company name).
    pub name: String,
    /// Date of birth (`YYYY-MM-DD`, a person).
    pub birth_date: Option<String>,
    /// Nationality or country (alpha-2).
    pub nationality: Option<String>,
    /// A company rather than a person.
    pub company: bool,
}

/// The matches of a subject: ids of the entities at or above the threshold, sorted.
pub fn matches(index: &Index, cfg: &ScreenConfig, s: &Subject) -> Vec<String> {
    let q = Query {
        name: s.name.clone(),
        birth_date: s.birth_date.clone(),
        nationality: s.nationality.clone(),
        gender: None,
        kind: Some(if s.company {
            EntityKind::Organization
        } else {
            EntityKind::Person
        }),
    };
    let mut ids: Vec<String> = index
        .screen(&q, cfg)
        .hits
        .into_iter()
        .filter(|h| h.above_threshold)
        .map(|h| h.entity_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The matches after a refresh, screening only what it touched: the earlier matches minus the entities it changed
/// or removed, plus the matches among the added and changed entities (`delta`: an index of those only).
pub fn incremental_matches(
    previous: &[String],
    stale: &BTreeSet<String>,
    delta: &Index,
    cfg: &ScreenConfig,
    s: &Subject,
) -> Vec<String> {
    let mut ids: Vec<String> = previous
        .iter()
        .filter(|id| !stale.contains(*id))
        .cloned()
        .collect();
    ids.extend(matches(delta, cfg, s));
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NameKind, NameRecord, Source, Topic};

    fn person(n: &str, name: &str, dob: &str) -> Entity {
        let mut e = Entity::new(Source::UnSc, n, EntityKind::Person);
        e.names = vec![NameRecord::new(name, NameKind::Primary)];
        e.birth_dates = vec![crate::dates::parse_date(dob).unwrap()];
        e.topic = Topic::Sanction;
        e
    }

    #[test]
    fn diff_by_id_and_content() {
        let a = person("1", "IVAN PETROV", "1970-01-01");
        let b = person("2", "JOHN DOE", "1980-02-02");
        let b2 = person("2", "JOHN A DOE", "1980-02-02");
        let c = person("3", "ANNA SMITH", "1990-03-03");
        let d = diff(&[a.clone(), b], &[b2, c.clone()]);
        assert_eq!(
            d.added.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["un:3"]
        );
        assert_eq!(
            d.changed.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["un:2"]
        );
        assert_eq!(d.removed, vec![EntityRef::of(&a)]);
        let same = std::slice::from_ref(&c);
        assert!(diff(same, same).is_empty());
    }

    #[test]
    fn incremental_screening_equals_a_full_screen() {
        let old = vec![
            person("1", "IVAN PETROV", "1970-01-01"),
            person("2", "JOHN DOE", "1980-02-02"),
        ];
        let new = vec![
            person("2", "JOHN DOE", "1980-02-02"),
            person("3", "ANNA MARIA SMITH", "1990-03-03"),
        ];
        let cfg = ScreenConfig::default();
        let full_old = Index::build(old.clone(), vec![]);
        let full_new = Index::build(new.clone(), vec![]);
        let d = diff(&old, &new);
        let delta = Index::build(d.added.iter().chain(&d.changed).cloned().collect(), vec![]);
        for (name, dob) in [
            ("Ivan Petrov", "1970-01-01"),
            ("Anna Maria Smith", "1990-03-03"),
            ("John Doe", "1980-02-02"),
            ("Nobody Here", "2000-01-01"),
        ] {
            let s = Subject {
                name: name.into(),
                birth_date: Some(dob.into()),
                nationality: None,
                company: false,
            };
            let before = matches(&full_old, &cfg, &s);
            let inc = incremental_matches(&before, &d.stale_ids(), &delta, &cfg, &s);
            assert_eq!(inc, matches(&full_new, &cfg, &s), "{name}");
        }
        let anna = Subject {
            name: "Anna Maria Smith".into(),
            birth_date: Some("1990-03-03".into()),
            nationality: None,
            company: false,
        };
        assert_eq!(matches(&full_new, &cfg, &anna), ["un:3"]);
    }

    #[test]
    fn mirror_keeps_the_file_names() {
        let m = mirrored(crate::update::official_sources(), "http://10.0.0.5/lists/");
        assert!(
            m.iter()
                .all(|s| s.url.starts_with("http://10.0.0.5/lists/"))
        );
        assert!(
            m.iter()
                .any(|s| s.url == "http://10.0.0.5/lists/consolidated.xml")
        );
    }
}
