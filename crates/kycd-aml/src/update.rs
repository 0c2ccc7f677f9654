//! `kycd lists update`: download the publishers' current files over HTTPS (rustls), parse,
//! and replace the stored list only when download and parse both succeed and the new list
//! is not suspiciously smaller than the previous one.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::AmlError;
use crate::model::ListMeta;
use crate::monitor::{self, ListDiff, RefreshRecord};
use crate::parsers::Format;
use crate::store;

/// One downloadable list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSource {
    /// Store key (`ofac-sdn`, `un-sc`, ...).
    pub key: String,
    /// Format of the downloaded file.
    pub format: Format,
    /// URL.
    pub url: String,
    /// File name to save under (drives OFAC SDN vs consolidated detection).
    pub file_name: String,
}

impl UpdateSource {
    fn new(key: &str, format: Format, url: &str, file_name: &str) -> Self {
        UpdateSource {
            key: key.into(),
            format,
            url: url.into(),
            file_name: file_name.into(),
        }
    }
}

/// The official publishers' current files.
pub fn official_sources() -> Vec<UpdateSource> {
    vec![
        UpdateSource::new(
            "ofac-sdn",
            Format::OfacXml,
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.XML",
            "SDN.XML",
        ),
        UpdateSource::new(
            "ofac-consolidated",
            Format::OfacXml,
            "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONSOLIDATED.XML",
            "CONSOLIDATED.XML",
        ),
        UpdateSource::new(
            "un-sc",
            Format::UnXml,
            "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
            "consolidated.xml",
        ),
        UpdateSource::new(
            "eu-fsf",
            Format::EuXml,
            "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
            "eu_fsf.xml",
        ),
        // FCDO UK Sanctions List, the single official UK list since 2026-01-28 (linked from
        // https://www.gov.uk/government/publications/the-uk-sanctions-list; a CSV with the
        // same content is at the same place with a `.csv` suffix, format `uk-fcdo-csv`).
        UpdateSource::new(
            "uk",
            Format::UkXml,
            "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml",
            "UK-Sanctions-List.xml",
        ),
    ]
}

/// Progress events.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateEvent {
    /// Download started.
    Started {
        /// List key.
        key: String,
        /// URL.
        url: String,
        /// Content length when announced.
        total: Option<u64>,
    },
    /// Bytes received so far.
    Progress {
        /// List key.
        key: String,
        /// Bytes so far.
        bytes: u64,
        /// Content length when announced.
        total: Option<u64>,
    },
    /// Stored.
    Updated(ListMeta),
    /// Failed; the previous version (if any) is kept.
    Failed {
        /// List key.
        key: String,
        /// Why.
        error: String,
    },
}

/// Outcome of an update run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateReport {
    /// Lists replaced.
    pub updated: Vec<ListMeta>,
    /// What each replaced list changed (key, diff), in the order of `updated`.
    pub diffs: Vec<(String, ListDiff)>,
    /// Lists that failed (key, error); their previous version is kept.
    pub failed: Vec<(String, String)>,
}

/// A new list smaller than this fraction of the previous one is rejected.
const MIN_SIZE_RATIO: f64 = 0.5;
const MAX_BYTES: u64 = 1 << 30;

fn download(
    agent: &ureq::Agent,
    src: &UpdateSource,
    dest: &Path,
    progress: &mut dyn FnMut(UpdateEvent),
) -> Result<(), AmlError> {
    let derr = |d: String| AmlError::Download {
        url: src.url.clone(),
        detail: d,
    };
    let resp = agent
        .get(&src.url)
        .call()
        .map_err(|e| derr(e.to_string()))?;
    let total = resp.body().content_length();
    progress(UpdateEvent::Started {
        key: src.key.clone(),
        url: src.url.clone(),
        total,
    });
    let mut reader = resp
        .into_body()
        .into_with_config()
        .limit(MAX_BYTES)
        .reader();
    let mut f = File::create(dest).map_err(|e| AmlError::io(dest, e))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    let mut last = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| derr(e.to_string()))?;
        if n == 0 {
            break;
        }
        f.write_all(&buf[..n]).map_err(|e| AmlError::io(dest, e))?;
        bytes += n as u64;
        if bytes - last >= 1 << 20 {
            last = bytes;
            progress(UpdateEvent::Progress {
                key: src.key.clone(),
                bytes,
                total,
            });
        }
    }
    f.flush().map_err(|e| AmlError::io(dest, e))?;
    progress(UpdateEvent::Progress {
        key: src.key.clone(),
        bytes,
        total,
    });
    if bytes == 0 {
        return Err(derr("empty body".into()));
    }
    Ok(())
}

fn update_one(
    agent: &ureq::Agent,
    data_dir: &Path,
    src: &UpdateSource,
    previous: Option<&ListMeta>,
    progress: &mut dyn FnMut(UpdateEvent),
) -> Result<(ListMeta, ListDiff), AmlError> {
    let tmp_dir: PathBuf = data_dir.join("tmp").join(&src.key);
    fs::create_dir_all(&tmp_dir).map_err(|e| AmlError::io(&tmp_dir, e))?;
    let dest = tmp_dir.join(&src.file_name);
    let result = (|| {
        download(agent, src, &dest, progress)?;
        // The same file as the stored one: nothing to parse, nothing changed.
        if let Some(prev) = previous
            && store::sha256_files(std::slice::from_ref(&dest))? == prev.sha256
        {
            return Ok((prev.clone(), ListDiff::default()));
        }
        let (source, list) = crate::parsers::parse_paths(src.format, std::slice::from_ref(&dest))?;
        if let Some(prev) = previous
            && (list.entities.len() as f64) < prev.entity_count as f64 * MIN_SIZE_RATIO
        {
            return Err(AmlError::Invalid(format!(
                "{}: new list has {} entities, previous {}; keeping the previous version",
                src.key,
                list.entities.len(),
                prev.entity_count
            )));
        }
        let old = monitor::stored_entities(data_dir, &src.key)?;
        let diff = monitor::diff(&old, &list.entities);
        let (meta, _) = store::import(
            data_dir,
            src.format,
            std::slice::from_ref(&dest),
            Some(&src.key),
        )?;
        debug_assert_eq!(meta.source, source);
        Ok((
            ListMeta {
                inputs: vec![src.url.clone()],
                ..meta
            },
            diff,
        ))
    })();
    let _ = fs::remove_dir_all(&tmp_dir);
    let (meta, diff) = result?;
    if Some(&meta) != previous {
        // record the URL as input (atomic replace, then a new generation stamp)
        store::write_meta(data_dir, &meta)?;
    }
    Ok((meta, diff))
}

/// Download, parse and store every source. Failures are reported per list and never touch
/// the stored previous version.
pub fn update(
    data_dir: &Path,
    sources: &[UpdateSource],
    progress: &mut dyn FnMut(UpdateEvent),
) -> Result<UpdateReport, AmlError> {
    let previous = store::status(data_dir)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(600)))
        .timeout_connect(Some(Duration::from_secs(20)))
        .https_only(false)
        .build()
        .into();
    let mut report = UpdateReport::default();
    let mut records = Vec::new();
    for src in sources {
        let prev = previous.iter().find(|m| m.key == src.key);
        match update_one(&agent, data_dir, src, prev, progress) {
            Ok((meta, diff)) => {
                progress(UpdateEvent::Updated(meta.clone()));
                records.push(RefreshRecord::updated(&meta, &src.url, &diff));
                report.diffs.push((meta.key.clone(), diff));
                report.updated.push(meta);
            }
            Err(e) => {
                progress(UpdateEvent::Failed {
                    key: src.key.clone(),
                    error: e.to_string(),
                });
                records.push(RefreshRecord::failed(
                    &src.key,
                    &src.url,
                    prev,
                    &e.to_string(),
                ));
                report.failed.push((src.key.clone(), e.to_string()));
            }
        }
    }
    monitor::record(data_dir, &records)?;
    Ok(report)
}
