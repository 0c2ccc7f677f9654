//! What AML monitoring needs from the lists: what a refresh changed (added, changed and removed entities), the
//! record of every refresh (`<data_dir>/lists/history.jsonl`, shown by `kycd lists diff`), the sources behind a
//! mirror for air-gapped sites, and the screening of one monitored subject against the whole index or only against
//! the entities a refresh added or changed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::candidates::query_tokens;
use crate::error::AmlError;
use crate::index::Index;
use crate::model::{Entity, EntityKind, ListMeta};
use crate::normalise::Script;
use crate::score::Slot;
use crate::screen::{Query, ScreenConfig, ScreenResult};
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

/// The query of a subject.
fn query(s: &Subject) -> Query {
    Query {
        name: s.name.clone(),
        birth_date: s.birth_date.clone(),
        nationality: s.nationality.clone(),
        gender: None,
        kind: Some(if s.company {
            EntityKind::Organization
        } else {
            EntityKind::Person
        }),
    }
}

/// Ids of the entities at or above the threshold, sorted.
fn hit_ids(r: ScreenResult) -> Vec<String> {
    let mut ids: Vec<String> = r
        .hits
        .into_iter()
        .filter(|h| h.above_threshold)
        .map(|h| h.entity_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The matches of a subject: ids of the entities at or above the threshold, sorted.
pub fn matches(index: &Index, cfg: &ScreenConfig, s: &Subject) -> Vec<String> {
    hit_ids(index.screen(&query(s), cfg))
}

/// `f` over `items` on every core of the process, results in order (`None`s dropped).
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Option<R> + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().filter_map(f).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The words of the monitored subjects' names, each normalised once and numbered. A population of a million
/// customers holds far fewer distinct words than names, so asking of each word whether a small index (the entities
/// a refresh added or changed) can match it, then of each subject whether any of its words can, passes over most
/// subjects with no screen at all.
#[derive(Default)]
pub struct Vocabulary {
    words: Vec<(String, Script)>,
    ids: FxHashMap<(String, Script), u32>,
}

impl Vocabulary {
    /// The words of a name as a screen of it uses them, numbered (new ones added).
    pub fn words_of(&mut self, name: &str) -> Box<[u32]> {
        query_tokens(name)
            .into_iter()
            .map(|w| {
                if let Some(&id) = self.ids.get(&w) {
                    return id;
                }
                let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
                self.words.push(w.clone());
                self.ids.insert(w, id);
                id
            })
            .collect()
    }

    /// How many distinct words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// What `index` can reach of these words, each looked up once (on every core) and prepared for a screen.
    pub fn reach<'a>(&'a self, index: &'a Index) -> Reach<'a> {
        let ids: Vec<u32> = (0..u32::try_from(self.words.len()).unwrap_or(u32::MAX)).collect();
        let slots = par_map(&ids, |&i| {
            let (w, script) = &self.words[i as usize];
            index
                .token_reaches(w, *script)
                .then(|| (i, index.slot(w.clone(), *script)))
        })
        .into_iter()
        .collect();
        Reach {
            vocab: self,
            index,
            slots,
        }
    }
}

/// Which words of a [`Vocabulary`] an index can match, with those words prepared for a screen against it.
pub struct Reach<'a> {
    vocab: &'a Vocabulary,
    index: &'a Index,
    slots: FxHashMap<u32, Slot>,
}

impl Reach<'_> {
    /// Whether a screen of the name with these words could find anything in the index: some word reaches it, or
    /// words joined do. When not, the screen's result is known to be empty without running it.
    pub fn may_match(&self, words: &[u32]) -> bool {
        if words.iter().any(|w| self.slots.contains_key(w)) {
            return true;
        }
        let toks: Vec<&str> = words
            .iter()
            .map(|&w| self.vocab.words[w as usize].0.as_str())
            .collect();
        self.index.joins_reach(&toks)
    }

    /// The matches of a subject whose name has these words, as [`matches`] finds them in the index, without
    /// preparing its words again.
    pub fn matches(&self, words: &[u32], cfg: &ScreenConfig, s: &Subject) -> Vec<String> {
        screen_words(
            self.index,
            self.vocab,
            words,
            |w| self.slots.get(&w),
            cfg,
            s,
        )
    }
}

/// A subject screened with its words prepared beforehand (`slot_of`; a word without a slot has no expansions in
/// the index, only its weight).
fn screen_words<'s>(
    index: &Index,
    vocab: &Vocabulary,
    words: &[u32],
    slot_of: impl Fn(u32) -> Option<&'s Slot>,
    cfg: &ScreenConfig,
    s: &Subject,
) -> Vec<String> {
    let slots = words
        .iter()
        .map(|&w| match slot_of(w) {
            Some(slot) => slot.clone(),
            None => {
                let (t, _) = &vocab.words[w as usize];
                Slot {
                    text: t.clone(),
                    weight: index.weight_of(t),
                    exp: Vec::new(),
                }
            }
        })
        .collect();
    hit_ids(index.screen_slots(slots, &query(s), cfg))
}

/// A full screen of many subjects against one index, batch after batch, each distinct word of their names
/// prepared against the index once for the whole screen (a million names hold some tens of thousands of words).
pub struct FullScreen {
    index: Arc<Index>,
    vocab: Vocabulary,
    slots: Vec<Slot>,
}

impl FullScreen {
    /// A full screen against `index`.
    pub fn new(index: Arc<Index>) -> Self {
        FullScreen {
            index,
            vocab: Vocabulary::default(),
            slots: Vec::new(),
        }
    }

    /// The matches of each subject, in order, as [`matches`] finds them (new words prepared first; both steps on
    /// every core).
    pub fn matches(&mut self, cfg: &ScreenConfig, subjects: &[Subject]) -> Vec<Vec<String>> {
        let words: Vec<Box<[u32]>> = subjects
            .iter()
            .map(|s| self.vocab.words_of(&s.name))
            .collect();
        let new: Vec<usize> = (self.slots.len()..self.vocab.len()).collect();
        let (index, vocab) = (&self.index, &self.vocab);
        let prepared = par_map(&new, |&i| {
            let (w, script) = &vocab.words[i];
            Some(index.slot(w.clone(), *script))
        });
        self.slots.extend(prepared);
        let slots = &self.slots;
        let todo: Vec<(&Subject, &[u32])> =
            subjects.iter().zip(words.iter().map(|w| &**w)).collect();
        par_map(&todo, |(s, w)| {
            Some(screen_words(
                index,
                vocab,
                w,
                |i| slots.get(i as usize),
                cfg,
                s,
            ))
        })
    }
}

/// The matches after a refresh, screening only what it touched: the earlier matches minus the entities it changed
/// or removed, plus `found`, the subject's matches among the added and changed entities.
pub fn incremental_matches(
    previous: &[String],
    stale: &BTreeSet<String>,
    found: Vec<String>,
) -> Vec<String> {
    let mut ids: Vec<String> = previous
        .iter()
        .filter(|id| !stale.contains(*id))
        .cloned()
        .chain(found)
        .collect();
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
            let inc = incremental_matches(&before, &d.stale_ids(), matches(&delta, &cfg, &s));
            assert_eq!(inc, matches(&full_new, &cfg, &s), "{name}");
            // Through the subjects' vocabulary: the same matches, and none for a name the delta cannot reach.
            let mut vocab = Vocabulary::default();
            let words = vocab.words_of(&s.name);
            let reach = vocab.reach(&delta);
            assert_eq!(reach.matches(&words, &cfg, &s), matches(&delta, &cfg, &s));
            if !reach.may_match(&words) {
                assert!(matches(&delta, &cfg, &s).is_empty(), "{name}");
            }
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
    fn reach_passes_over_only_names_that_cannot_match() {
        let delta = Index::build(
            vec![
                person("1", "Abdul Salam Haqqani", "1970-01-01"),
                person("2", "Vladimir Petrov", "1960-05-05"),
            ],
            vec![],
        );
        let cfg = ScreenConfig {
            threshold: 0.0,
            ..ScreenConfig::default()
        };
        let mut vocab = Vocabulary::default();
        let names = [
            ("Abdulsalam Hakkani", true),
            ("AbdulSalam", true),
            ("Wladimir Petrow", true),
            ("Volodymyr Smith", true),
            ("Anna Kowalska", false),
            ("John Doe", false),
        ];
        let words: Vec<_> = names.iter().map(|(n, _)| vocab.words_of(n)).collect();
        assert!(vocab.len() < 12, "words are shared: {}", vocab.len());
        let reach = vocab.reach(&delta);
        for ((name, expected), w) in names.iter().zip(&words) {
            assert_eq!(reach.may_match(w), *expected, "{name}");
            let s = Subject {
                name: name.to_string(),
                birth_date: None,
                nationality: None,
                company: false,
            };
            assert_eq!(
                reach.matches(w, &cfg, &s),
                matches(&delta, &cfg, &s),
                "{name}"
            );
            if !reach.may_match(w) {
                assert!(matches(&delta, &cfg, &s).is_empty(), "{name}");
            }
        }
    }

    #[test]
    fn a_full_screen_finds_what_single_screens_find() {
        let index = Arc::new(Index::build(
            vec![
                person("1", "Abdul Salam Haqqani", "1970-01-01"),
                person("2", "Vladimir Petrov", "1960-05-05"),
                person("3", "Anna Maria Smith", "1990-03-03"),
            ],
            vec![],
        ));
        let cfg = ScreenConfig::default();
        let subjects: Vec<Subject> = [
            ("Abdulsalam Haqqani", Some("1970-01-01")),
            ("Wladimir Petrow", None),
            ("Vladimir Petrov", Some("1999-09-09")),
            ("Anna Smith", Some("1990-03-03")),
            ("John Doe", None),
        ]
        .iter()
        .map(|(n, dob)| Subject {
            name: n.to_string(),
            birth_date: dob.map(str::to_string),
            nationality: None,
            company: false,
        })
        .collect();
        let mut full = FullScreen::new(index.clone());
        // In two batches: the second reuses the words of the first.
        let mut found = full.matches(&cfg, &subjects[..2]);
        found.extend(full.matches(&cfg, &subjects[2..]));
        let single: Vec<_> = subjects.iter().map(|s| matches(&index, &cfg, s)).collect();
        assert_eq!(found, single);
        assert!(found.iter().filter(|m| !m.is_empty()).count() >= 2);
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
