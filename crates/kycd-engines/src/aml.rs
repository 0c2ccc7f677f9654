//! Sanctions/PEP screening of the document holder with kycd-aml's in-memory index.

use kycd_pipeline::checks::DocData;
use kycd_pipeline::{AmlFacts, AmlScreener};
use kycd_types::DocSex;
use std::sync::Arc;

/// AML screening from the in-memory index.
pub struct AmlEngine {
    service: Arc<kycd_aml::ScreeningService>,
}

impl AmlEngine {
    /// Builds the screener.
    pub fn new(service: Arc<kycd_aml::ScreeningService>) -> Self {
        Self { service }
    }
}

impl AmlScreener for AmlEngine {
    fn lists_loaded(&self) -> bool {
        !self.service.is_empty()
    }

    fn screen(&self, holder: &DocData) -> AmlFacts {
        let uid = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        let today = kycd_mrz::Date::today().to_iso();
        let q = query_of(holder);
        let array = self.service.aml_entry(&q, &today, &uid, &[]);
        let hit = array.iter().any(|a| a.status.service_suspected);
        let failed = !hit && array.iter().any(|a| !a.status.check_successful);
        let detail = if failed {
            array
                .iter()
                .filter_map(|a| a.error_message.clone())
                .next()
                .unwrap_or_else(|| "AML check failed".into())
        } else {
            let hits: Vec<String> = array
                .iter()
                .flat_map(|a| a.data.iter())
                .filter(|d| !d.whitelisted)
                .map(|d| format!("{} {}", d.list_name.as_deref().unwrap_or("list"), d.score))
                .collect();
            if hits.is_empty() {
                "no hits".into()
            } else {
                format!("{} hit(s): {}", hits.len(), hits.join(", "))
            }
        };
        AmlFacts {
            hit,
            failed,
            detail,
            array: array
                .iter()
                .filter_map(|r| serde_json::to_value(r).ok())
                .collect(),
        }
    }
}

/// The screening query for a document holder: the names as one string, date of birth, nationality and sex.
fn query_of(holder: &DocData) -> kycd_aml::Query {
    let name = format!(
        "{} {}",
        holder.first_name.as_deref().unwrap_or(""),
        holder.last_name.as_deref().unwrap_or("")
    )
    .trim()
    .to_string();
    kycd_aml::Query {
        name,
        birth_date: holder.dob.clone(),
        nationality: holder.nationality.clone(),
        // An undefined sex (`<` in the MRZ) says nothing: it must not narrow the search.
        gender: match holder.sex {
            Some(DocSex::Male) => Some("male".to_string()),
            Some(DocSex::Female) => Some("female".to_string()),
            Some(DocSex::Undefined) | None => None,
        },
        kind: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_carries_what_the_document_says_and_nothing_it_does_not() {
        let holder = DocData {
            first_name: Some("JONAS".into()),
            last_name: Some("PETRAITIS".into()),
            dob: Some("1980-01-01".into()),
            nationality: Some("LT".into()),
            sex: Some(DocSex::Male),
            ..DocData::default()
        };
        let q = query_of(&holder);
        assert_eq!(q.name, "JONAS PETRAITIS");
        assert_eq!(q.birth_date.as_deref(), Some("1980-01-01"));
        assert_eq!(q.gender.as_deref(), Some("male"));
        let female = DocData {
            sex: Some(DocSex::Female),
            ..holder.clone()
        };
        assert_eq!(query_of(&female).gender.as_deref(), Some("female"));
        // `<` in the MRZ: no sex, so no gender penalty against any listed person.
        for sex in [Some(DocSex::Undefined), None] {
            let h = DocData {
                sex,
                first_name: None,
                ..holder.clone()
            };
            let q = query_of(&h);
            assert_eq!(q.gender, None);
            assert_eq!(q.name, "PETRAITIS");
        }
    }
}
