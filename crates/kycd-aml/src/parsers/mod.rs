//! Streaming parsers for the official list formats, all producing [`ParsedList`].

pub mod eu_xml;
pub mod ftm;
pub mod ofac_csv;
pub mod ofac_xml;
pub mod pakote;
pub mod uk_csv;
pub mod uk_xml;
pub mod un_xml;
pub mod xml;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::AmlError;
use crate::model::{ParsedList, Source};

/// Import formats (`kycd lists import --format ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// OFAC legacy CSV trio (`sdn.csv` + optional `alt.csv`, `add.csv`, `sdn_comments.csv`).
    OfacCsv,
    /// OFAC `SDN.XML` / `CONSOLIDATED.XML`.
    OfacXml,
    /// UN consolidated XML.
    UnXml,
    /// EU FSF XML 1.1.
    EuXml,
    /// UK OFSI ConList CSV or FCDO UK Sanctions List CSV (columns found by header name).
    UkCsv,
    /// FCDO UK Sanctions List XML (`UK-Sanctions-List.xml`, the official UK list since
    /// 2026-01-28).
    UkXml,
    /// FCDO UK Sanctions List CSV (`UK-Sanctions-List.csv`); like `uk-csv` but rejects a
    /// file that is not in the FCDO layout (no `Unique ID` column).
    UkFcdoCsv,
    /// OpenSanctions FollowTheMoney JSON lines (sanctions or PEPs).
    Ftm,
    /// The derived EU aggregate JSON placed in `shared/data` (EU rows only).
    EuAggregateJson,
}

impl Format {
    /// All formats with their CLI names.
    pub const ALL: [(Format, &'static str); 9] = [
        (Format::OfacCsv, "ofac-csv"),
        (Format::OfacXml, "ofac-xml"),
        (Format::UnXml, "un-xml"),
        (Format::EuXml, "eu-xml"),
        (Format::UkCsv, "uk-csv"),
        (Format::UkXml, "uk-xml"),
        (Format::UkFcdoCsv, "uk-fcdo-csv"),
        (Format::Ftm, "ftm"),
        (Format::EuAggregateJson, "eu-aggregate-json"),
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }
}

impl FromStr for Format {
    type Err = AmlError;
    fn from_str(s: &str) -> Result<Self, AmlError> {
        Format::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
            .map(|(f, _)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
                AmlError::Invalid(format!("unknown format {s:?}; one of {}", names.join(", ")))
            })
    }
}

fn open(p: &Path) -> Result<BufReader<File>, AmlError> {
    File::open(p)
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .map_err(|e| AmlError::io(p, e))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The source a file of this format belongs to (OFAC files named `*cons*` are the
/// consolidated non-SDN list).
pub fn source_for(format: Format, paths: &[PathBuf]) -> Source {
    let cons = paths
        .iter()
        .any(|p| file_name(p).to_ascii_lowercase().contains("cons"));
    match format {
        Format::OfacCsv | Format::OfacXml if cons => Source::OfacConsolidated,
        Format::OfacCsv | Format::OfacXml => Source::OfacSdn,
        Format::UnXml => Source::UnSc,
        Format::EuXml | Format::EuAggregateJson => Source::EuFsf,
        Format::UkCsv | Format::UkXml | Format::UkFcdoCsv => Source::Uk,
        Format::Ftm => Source::OpenSanctions,
    }
}

/// Parse files of one format into one list.
pub fn parse_paths(format: Format, paths: &[PathBuf]) -> Result<(Source, ParsedList), AmlError> {
    let first = paths
        .first()
        .ok_or_else(|| AmlError::Invalid("no input files".into()))?;
    let source = source_for(format, paths);
    let list = match format {
        Format::OfacCsv => {
            let mut parts = Vec::new();
            for p in paths {
                parts.push((
                    ofac_csv::OfacCsvPart::from_file_name(&file_name(p)),
                    open(p)?,
                ));
            }
            ofac_csv::parse(source, parts)?
        }
        Format::OfacXml => merge(paths, |p| ofac_xml::parse(source, open(p)?))?,
        Format::UnXml => un_xml::parse(open(first)?)?,
        Format::EuXml => merge(paths, |p| eu_xml::parse(open(p)?))?,
        Format::UkCsv => merge(paths, |p| uk_csv::parse(open(p)?))?,
        Format::UkXml => merge(paths, |p| uk_xml::parse(open(p)?))?,
        Format::UkFcdoCsv => merge(paths, |p| uk_csv::parse_fcdo(open(p)?))?,
        Format::Ftm => merge(paths, |p| ftm::parse(open(p)?))?,
        Format::EuAggregateJson => pakote::parse(open(first)?, Some("EU"))?,
    };
    Ok((source, list))
}

fn merge(
    paths: &[PathBuf],
    f: impl Fn(&Path) -> Result<ParsedList, AmlError>,
) -> Result<ParsedList, AmlError> {
    let mut out = ParsedList::default();
    for p in paths {
        let l = f(p)?;
        out.entities.extend(l.entities);
        out.published = out.published.or(l.published);
        for (k, v) in l.stats {
            out.bump(&k, v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_roundtrip() {
        for (f, n) in Format::ALL {
            assert_eq!(n.parse::<Format>().unwrap(), f);
            assert_eq!(f.name(), n);
        }
        assert!("nope".parse::<Format>().is_err());
        let p = vec![PathBuf::from("x/CONSOLIDATED.XML")];
        assert_eq!(source_for(Format::OfacXml, &p), Source::OfacConsolidated);
    }
}
