//! The immutable in-memory screening index: token postings with IDF weights, a symmetric
//! one-deletion typo map, phonetic keys, the given-name variant table, joined-name and
//! compound (two adjacent parts joined) keys. Rebuilt from scratch on every list update
//! (well under a second) and swapped atomically by [`crate::ScreeningService`].

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::model::{Entity, EntityKind, ListMeta, NameKind, Strength};
use crate::normalise::{
    Script, TokenClass, abjad_key, class_factor, classify, for_each_deletion, phonetic, squash,
    tokens, typo_similarity,
};
use crate::variants::group_of;

/// How a query token was matched to a list token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// Identical after normalisation.
    Exact,
    /// Same given-name equivalence group.
    Equivalent,
    /// Within the typo budget.
    Fuzzy,
    /// Same phonetic key.
    Phonetic,
    /// Initial vs full token.
    Initial,
    /// Joined / split parts (`abdulsalam` ~ `abdul salam`).
    Joined,
}

/// One indexed name.
#[derive(Debug, Clone)]
pub struct IxName {
    /// Entity index.
    pub entity: u32,
    /// Index into the entity's `names`.
    pub name_no: u16,
    /// Token ids in order.
    pub tokens: Box<[u32]>,
    /// Kind of the name.
    pub kind: NameKind,
    /// Weak alias.
    pub weak: bool,
}

/// The index.
pub struct Index {
    pub(crate) id: u64,
    pub(crate) entities: Vec<Entity>,
    pub(crate) lists: Vec<ListMeta>,
    pub(crate) names: Vec<IxName>,
    pub(crate) tok_str: Vec<Box<str>>,
    pub(crate) tok_map: FxHashMap<Box<str>, u32>,
    pub(crate) tok_weight: Vec<f32>,
    pub(crate) tok_weight_final: Vec<f32>,
    pub(crate) tok_minor: Vec<bool>,
    /// Per entity: every name but the original-script ones has at most one major token (a
    /// mononym such as UN `FAIZ`).
    pub(crate) mononym: Vec<bool>,
    pub(crate) postings: Vec<Vec<u32>>,
    pub(crate) del_map: FxHashMap<u64, Vec<u32>>,
    pub(crate) phon_map: FxHashMap<u64, Vec<u32>>,
    pub(crate) abjad_map: FxHashMap<u64, Vec<u32>>,
    pub(crate) group_toks: FxHashMap<u32, Vec<u32>>,
    pub(crate) joined: FxHashMap<u64, Vec<u32>>,
    pub(crate) compound: FxHashMap<u64, Vec<u32>>,
    pub(crate) max_weight: f32,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) fn h(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

/// Tokens of length ≥ this get typo (deletion) keys.
const MIN_TYPO_LEN: usize = 3;

impl Index {
    /// Build an index over `entities`.
    pub fn build(entities: Vec<Entity>, lists: Vec<ListMeta>) -> Index {
        let mut ix = Index {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            entities: Vec::new(),
            lists,
            names: Vec::new(),
            tok_str: Vec::new(),
            tok_map: FxHashMap::default(),
            tok_weight: Vec::new(),
            tok_weight_final: Vec::new(),
            tok_minor: Vec::new(),
            mononym: Vec::new(),
            postings: Vec::new(),
            del_map: FxHashMap::default(),
            phon_map: FxHashMap::default(),
            abjad_map: FxHashMap::default(),
            group_toks: FxHashMap::default(),
            joined: FxHashMap::default(),
            compound: FxHashMap::default(),
            max_weight: 1.0,
        };
        for (ei, e) in entities.iter().enumerate() {
            for (ni, n) in e.names.iter().enumerate().take(u16::MAX as usize) {
                let toks = tokens(&n.full);
                if toks.is_empty() {
                    continue;
                }
                let name_id = ix.names.len() as u32;
                let ids: Vec<u32> = toks.iter().map(|t| ix.intern(t)).collect();
                for &t in &ids {
                    let p = &mut ix.postings[t as usize];
                    if p.last() != Some(&name_id) {
                        p.push(name_id);
                    }
                }
                ix.joined
                    .entry(h(&toks.concat()))
                    .or_default()
                    .push(name_id);
                for w in toks.windows(2) {
                    let key = format!("{}{}", w[0], w[1]);
                    let v = ix.compound.entry(h(&key)).or_default();
                    if v.last() != Some(&name_id) {
                        v.push(name_id);
                    }
                }
                ix.names.push(IxName {
                    entity: ei as u32,
                    name_no: ni as u16,
                    tokens: ids.into_boxed_slice(),
                    kind: n.kind,
                    weak: n.strength == Strength::Weak,
                });
            }
        }
        let n = ix.names.len().max(1) as f32;
        ix.tok_weight = ix
            .postings
            .iter()
            .map(|p| (n / p.len().max(1) as f32).ln().max(1.0))
            .collect();
        ix.tok_weight_final = ix
            .tok_str
            .iter()
            .zip(&ix.tok_weight)
            .map(|(t, w)| w * class_factor(classify(t)))
            .collect();
        ix.tok_minor = ix.tok_str.iter().map(|t| Index::is_minor(t)).collect();
        ix.mononym = vec![true; entities.len()];
        for name in &ix.names {
            // original-script names split into syllables or words differently
            if name.kind != NameKind::OriginalScript && ix.major_token_count(name) > 1 {
                ix.mononym[name.entity as usize] = false;
            }
        }
        ix.max_weight = n.ln().max(1.0);
        for (tid, t) in ix.tok_str.iter().enumerate() {
            let tid = tid as u32;
            if t.len() >= 2 && t.bytes().all(|b| b.is_ascii_lowercase()) {
                if t.len() >= MIN_TYPO_LEN {
                    let sq = squash(t);
                    let del_map = &mut ix.del_map;
                    let mut add = |d: &str| {
                        let v = del_map.entry(h(d)).or_default();
                        if v.last() != Some(&tid) {
                            v.push(tid);
                        }
                    };
                    for_each_deletion(t, &mut add);
                    if sq.len() < t.len() {
                        add(&sq);
                    }
                }
                if t.len() >= 4 {
                    ix.phon_map.entry(h(&phonetic(t))).or_default().push(tid);
                }
                let ak = abjad_key(t);
                if ak.len() >= 2 || (ak.len() == 1 && t.len() <= 5) {
                    ix.abjad_map.entry(h(&ak)).or_default().push(tid);
                }
            }
            if let Some(g) = group_of(t) {
                ix.group_toks.entry(g).or_default().push(tid);
            }
        }
        ix.entities = entities;
        ix
    }

    fn intern(&mut self, t: &str) -> u32 {
        if let Some(&id) = self.tok_map.get(t) {
            return id;
        }
        let id = self.tok_str.len() as u32;
        self.tok_str.push(t.into());
        self.tok_map.insert(t.into(), id);
        self.postings.push(Vec::new());
        id
    }

    /// Entities.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// List snapshots the index was built from.
    pub fn lists(&self) -> &[ListMeta] {
        &self.lists
    }

    /// Number of indexed names.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Number of distinct tokens.
    pub fn token_count(&self) -> usize {
        self.tok_str.len()
    }

    /// Number of typo (deletion) keys.
    pub fn typo_key_count(&self) -> usize {
        self.del_map.len()
    }

    /// Weight of a folded token (IDF × class factor); unknown tokens get the maximum.
    pub(crate) fn weight_of(&self, t: &str) -> f32 {
        let base = self
            .tok_map
            .get(t)
            .map(|&i| self.tok_weight[i as usize])
            .unwrap_or(self.max_weight);
        base * class_factor(classify(t))
    }

    /// Weight of an indexed token.
    pub(crate) fn weight_id(&self, tid: u32) -> f32 {
        self.tok_weight_final[tid as usize]
    }

    /// Whether an entity passes a kind filter.
    pub(crate) fn kind_ok(&self, ei: u32, want: Option<EntityKind>) -> bool {
        match want {
            None => true,
            Some(k) => {
                let ek = self.entities[ei as usize].kind;
                ek == k || ek == EntityKind::Unknown
            }
        }
    }

    /// Expansions of one query token: (token id, similarity, kind), best first, capped.
    pub(crate) fn expand(&self, q: &str, script: Script, cap: usize) -> Vec<(u32, f32, MatchKind)> {
        let mut out: Vec<(u32, f32, MatchKind)> = Vec::new();
        let push = |out: &mut Vec<(u32, f32, MatchKind)>, tid: u32, sim: f32, k: MatchKind| {
            out.push((tid, sim, k))
        };
        if let Some(&tid) = self.tok_map.get(q) {
            push(&mut out, tid, 1.0, MatchKind::Exact);
        }
        let sq = squash(q);
        if sq.len() >= 2
            && sq.len() < q.len()
            && let Some(&tid) = self.tok_map.get(sq.as_str())
        {
            push(&mut out, tid, 0.95, MatchKind::Fuzzy);
        }
        if let Some(g) = group_of(q)
            && let Some(v) = self.group_toks.get(&g)
        {
            for &tid in v {
                push(&mut out, tid, 0.9, MatchKind::Equivalent);
            }
        }
        let numeric = q.bytes().any(|b| b.is_ascii_digit());
        if script == Script::Abjad && !numeric {
            let ak = abjad_key(q);
            if !ak.is_empty()
                && let Some(v) = self.abjad_map.get(&h(&ak))
            {
                for &tid in v {
                    push(&mut out, tid, 0.85, MatchKind::Phonetic);
                }
            }
        }
        // vowel-less skeletons are dense: no typo matching for short abjad tokens
        let typo_ok = q.len() >= MIN_TYPO_LEN && (script != Script::Abjad || q.len() >= 5);
        if typo_ok && !numeric {
            let sq = squash(q);
            let mut found: Vec<u32> = Vec::new();
            let mut visit = |d: &str| {
                if let Some(v) = self.del_map.get(&h(d)) {
                    found.extend_from_slice(v);
                }
            };
            for_each_deletion(q, &mut visit);
            if sq.len() < q.len() {
                visit(&sq);
            }
            found.sort_unstable();
            found.dedup();
            for tid in found {
                let t = &self.tok_str[tid as usize];
                if t.len().abs_diff(q.len()) > 2 {
                    continue;
                }
                let s = typo_similarity(q, t);
                if s > 0.0 {
                    push(&mut out, tid, s, MatchKind::Fuzzy);
                }
            }
            if let Some(v) = self.phon_map.get(&h(&phonetic(q))).filter(|_| q.len() >= 4) {
                for &tid in v {
                    let t = &self.tok_str[tid as usize];
                    if t.len().abs_diff(q.len()) <= 2 && t.as_bytes()[0] == q.as_bytes()[0] {
                        push(&mut out, tid, 0.8, MatchKind::Phonetic);
                    }
                }
            }
        }
        // best similarity per token, then best first
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        out.dedup_by_key(|e| e.0);
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(cap);
        out
    }

    /// Whether a token is a low-information class (particle, title, legal form).
    pub(crate) fn is_minor(t: &str) -> bool {
        !matches!(classify(t), TokenClass::Normal | TokenClass::Number)
    }

    /// The name parts of an indexed name that are not particles, titles or legal forms.
    pub(crate) fn major_tokens<'a>(&'a self, name: &'a IxName) -> impl Iterator<Item = u32> + 'a {
        name.tokens
            .iter()
            .copied()
            .filter(|&t| !self.tok_minor[t as usize])
    }

    /// How many of a name's parts are not particles, titles or legal forms.
    pub(crate) fn major_token_count(&self, name: &IxName) -> usize {
        self.major_tokens(name).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NameRecord, Source};

    fn ent(id: &str, names: &[&str]) -> Entity {
        let mut e = Entity::new(Source::UnSc, id, EntityKind::Person);
        for n in names {
            e.push_name(NameRecord::new(*n, NameKind::Aka));
        }
        e
    }

    #[test]
    fn builds_and_expands() {
        let ix = Index::build(
            vec![
                ent("1", &["Vladimir Putin"]),
                ent("2", &["Abdul Salam Zaeef"]),
            ],
            vec![],
        );
        assert_eq!(ix.name_count(), 2);
        assert_eq!(ix.token_count(), 5);
        let e = ix.expand("poutin", Script::Latin, 8);
        assert_eq!(ix.tok_str[e[0].0 as usize].as_ref(), "putin");
        assert_eq!(e[0].2, MatchKind::Fuzzy);
        let e = ix.expand("volodymyr", Script::Latin, 8);
        assert_eq!(e[0].2, MatchKind::Equivalent);
        assert!(ix.compound.contains_key(&h("abdulsalam")));
        assert!(ix.joined.contains_key(&h("vladimirputin")));
    }
}
