//! Synthetic typo copies of list entities, used only to grow the index to benchmark size
//! (the placed lists hold fewer than 100k names). Copies get ids ending in `~synN`.

use crate::model::Entity;

fn mutate(name: &str, salt: usize) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_alphabetic())
        .map(|(i, _)| i)
        .collect();
    if letters.len() < 4 {
        chars.push('a');
        return chars.into_iter().collect();
    }
    let pos = letters[1 + salt % (letters.len() - 2)];
    match salt % 3 {
        0 => chars.swap(pos, pos + 1),
        1 => {
            chars.remove(pos);
        }
        _ => {
            let c = chars[pos];
            chars.insert(pos, c);
        }
    }
    chars.into_iter().collect()
}

/// Copies of `entities` with one typo per name, until the total name count (originals plus
/// copies) reaches `target_names`.
pub fn synthetic_typo_copies(entities: &[Entity], target_names: usize) -> Vec<Entity> {
    let mut total: usize = entities.iter().map(|e| e.names.len()).sum();
    let mut out = Vec::new();
    let mut round = 0usize;
    while total < target_names && !entities.is_empty() {
        round += 1;
        for (i, e) in entities.iter().enumerate() {
            if total >= target_names {
                break;
            }
            let mut c = e.clone();
            c.id = format!("{}~syn{round}", e.id);
            c.list_id = format!("{}~syn{round}", e.list_id);
            for (j, n) in c.names.iter_mut().enumerate() {
                n.full = mutate(&n.full, i * 7 + j * 13 + round * 31);
                n.given = None;
                n.family = None;
            }
            total += c.names.len();
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntityKind, NameKind, NameRecord, Source};

    #[test]
    fn pads_to_target() {
        let mut e = Entity::new(Source::UnSc, "1", EntityKind::Person);
        e.push_name(NameRecord::new("Vladimir Putin", NameKind::Primary));
        e.push_name(NameRecord::new("Владимир Путин", NameKind::OriginalScript));
        let extra = synthetic_typo_copies(std::slice::from_ref(&e), 11);
        assert_eq!(extra.len(), 5);
        assert!(
            extra
                .iter()
                .all(|c| c.id.contains("~syn") && c.names[0].full != "Vladimir Putin")
        );
    }
}
