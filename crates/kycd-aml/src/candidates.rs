//! Candidate generation: expand each query token (exact, variants, typos, phonetic, abjad
//! skeletons), walk postings rarest first into per-thread epoch-stamped accumulators, probe
//! common tokens only against names already found, keep the top-K names.

use std::cell::RefCell;

use crate::index::{Index, h};
use crate::model::EntityKind;
use crate::normalise::{Script, script_tokens};
use crate::score::Slot;

/// Per-name accumulator, one cache line fetch per posting.
#[derive(Clone, Copy)]
struct Cell {
    stamp: u32,
    mark: u32,
    acc: f32,
    cnt: u8,
}

#[derive(Default)]
struct Scratch {
    index_id: u64,
    epoch: u32,
    cells: Vec<Cell>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Postings longer than this (summed over a token's expansions) are only probed against
/// candidates found by rarer tokens.
const COMMON_POSTINGS: usize = 3000;
const EXPANSION_CAP: usize = 24;
const MAX_SLOTS: usize = 24;

/// The tokens of a query name, as screened (at most [`MAX_SLOTS`]).
pub(crate) fn query_tokens(name: &str) -> Vec<(String, Script)> {
    let mut toks = script_tokens(name);
    toks.truncate(MAX_SLOTS);
    toks
}

impl Index {
    pub(crate) fn prepare(&self, name: &str) -> Vec<Slot> {
        query_tokens(name)
            .into_iter()
            .map(|(t, script)| self.slot(t, script))
            .collect()
    }

    /// One query token prepared against this index: its weight and expansions.
    pub(crate) fn slot(&self, t: String, script: Script) -> Slot {
        Slot {
            weight: self.weight_of(&t),
            exp: self.expand(&t, script, EXPANSION_CAP),
            text: t,
        }
    }

    /// Whether a query token alone can bring a name of this index into the candidates: it has an expansion here
    /// or is a compound key (its own parts joined).
    pub(crate) fn token_reaches(&self, t: &str, script: Script) -> bool {
        self.compound.contains_key(&h(t)) || !self.expand(t, script, 1).is_empty()
    }

    /// Whether the query's tokens joined (two adjacent ones, or all of them) name anything here: the candidates
    /// [`Self::candidates`] finds besides those of single tokens.
    pub(crate) fn joins_reach(&self, toks: &[&str]) -> bool {
        toks.windows(2).any(|w| {
            self.tok_map
                .contains_key(format!("{}{}", w[0], w[1]).as_str())
        }) || self.joined.contains_key(&h(&toks.concat()))
    }

    pub(crate) fn candidates(
        &self,
        slots: &[Slot],
        want: Option<EntityKind>,
        k: usize,
    ) -> Vec<u32> {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let n = self.names.len();
            if s.index_id != self.id || s.cells.len() != n || s.epoch >= (1 << 26) {
                *s = Scratch {
                    index_id: self.id,
                    epoch: 0,
                    cells: vec![
                        Cell {
                            stamp: u32::MAX,
                            mark: u32::MAX,
                            acc: 0.0,
                            cnt: 0
                        };
                        n
                    ],
                    touched: Vec::new(),
                };
            }
            s.epoch += 1;
            let epoch = s.epoch;
            s.touched.clear();
            // pseudo-slots: the slot's own expansions, adjacent pairs joined, compound keys
            struct Src<'a> {
                weight: f32,
                exp: Vec<(u32, f32)>,
                names: &'a [u32],
                total: usize,
            }
            let mut srcs: Vec<Src<'_>> = Vec::new();
            for sl in slots {
                let exp: Vec<(u32, f32)> = sl.exp.iter().map(|e| (e.0, e.1)).collect();
                let total = exp.iter().map(|e| self.postings[e.0 as usize].len()).sum();
                srcs.push(Src {
                    weight: sl.weight,
                    exp,
                    names: &[],
                    total,
                });
                if let Some(v) = self.compound.get(&h(&sl.text)) {
                    srcs.push(Src {
                        weight: sl.weight,
                        exp: Vec::new(),
                        names: v,
                        total: v.len(),
                    });
                }
            }
            for w in slots.windows(2) {
                let joined = format!("{}{}", w[0].text, w[1].text);
                if let Some(&tid) = self.tok_map.get(joined.as_str()) {
                    let total = self.postings[tid as usize].len();
                    srcs.push(Src {
                        weight: w[0].weight.max(w[1].weight),
                        exp: vec![(tid, 0.95)],
                        names: &[],
                        total,
                    });
                }
            }
            srcs.sort_by_key(|s| s.total);
            let mut any = false;
            for (si, src) in srcs.iter().enumerate() {
                let code = (epoch << 5) | (si as u32 & 31);
                let restrict = any && src.total > COMMON_POSTINGS;
                let direct = src.names.iter().map(|&nm| (nm, 0.95f32));
                let via_tokens = src.exp.iter().flat_map(|&(tid, sim)| {
                    self.postings[tid as usize].iter().map(move |&nm| (nm, sim))
                });
                let Scratch { cells, touched, .. } = &mut *s;
                for (nm, sim) in direct.chain(via_tokens) {
                    let c = &mut cells[nm as usize];
                    if c.stamp != epoch {
                        if restrict {
                            continue;
                        }
                        *c = Cell {
                            stamp: epoch,
                            mark: code,
                            acc: src.weight * sim,
                            cnt: 1,
                        };
                        touched.push(nm);
                        continue;
                    }
                    if c.mark == code {
                        continue;
                    }
                    c.mark = code;
                    c.acc += src.weight * sim;
                    c.cnt = c.cnt.saturating_add(1);
                }
                any |= !s.touched.is_empty();
            }
            let majors = slots.iter().filter(|sl| !Index::is_minor(&sl.text)).count();
            let need = majors.clamp(1, 2) as u8;
            let joined_all: Vec<u32> = {
                let j: String = slots.iter().map(|sl| sl.text.as_str()).collect();
                self.joined.get(&h(&j)).cloned().unwrap_or_default()
            };
            let mut out: Vec<(f32, u32)> = s
                .touched
                .iter()
                .filter(|&&nm| {
                    let name = &self.names[nm as usize];
                    s.cells[nm as usize].cnt >= need.min(name.tokens.len() as u8)
                        && self.kind_ok(name.entity, want)
                })
                .map(|&nm| (s.cells[nm as usize].acc, nm))
                .collect();
            if out.len() > k {
                out.select_nth_unstable_by(k, |a, b| b.0.total_cmp(&a.0));
                out.truncate(k);
            }
            let mut ids: Vec<u32> = out.into_iter().map(|x| x.1).collect();
            // A single-token query ranks every name holding (a variant of) its token alike, so
            // the top K can miss the few single-name entries (`FAIZ` among the many `HAFIZ …`
            // for `AFIZ`), the only ones it may match by name alone: keep them all.
            if majors <= 1 {
                for &nm in &s.touched {
                    let name = &self.names[nm as usize];
                    if self.major_token_count(name) == 1
                        && self.kind_ok(name.entity, want)
                        && !ids.contains(&nm)
                    {
                        ids.push(nm);
                    }
                }
            }
            for nm in joined_all {
                if !ids.contains(&nm) && self.kind_ok(self.names[nm as usize].entity, want) {
                    ids.push(nm);
                }
            }
            ids
        })
    }
}
