//! Ground truth of /work/shared/data/documents (manifest.json), shared by the accuracy test, the
//! evaluation example and the latency bench.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn documents_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/documents"
    ))
}

pub fn models_dir() -> PathBuf {
    std::env::var_os("KYCD_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")))
}

#[derive(Debug, Clone)]
pub struct TruthMrz {
    pub format: String,
    pub lines: Vec<String>,
    pub valid: bool,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub file: String,
    pub category: String,
    pub mrz: Vec<TruthMrz>,
}

impl Doc {
    /// Every MRZ on the image has valid check digits (the 52-image accuracy set).
    pub fn all_valid(&self) -> bool {
        !self.mrz.is_empty() && self.mrz.iter().all(|m| m.valid)
    }

    pub fn path(&self) -> PathBuf {
        documents_dir().join(&self.file)
    }

    /// Format label used in the per-format table.
    pub fn format_label(&self) -> String {
        let f = &self.mrz[0].format;
        if f.starts_with("DL_") {
            "DL".into()
        } else {
            f.clone()
        }
    }
}

pub fn load_manifest() -> Vec<Doc> {
    let path = documents_dir().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).expect("manifest.json is JSON");
    v["files"]
        .as_array()
        .expect("files array")
        .iter()
        .map(|f| Doc {
            file: f["file"].as_str().unwrap_or_default().to_string(),
            category: f["category"].as_str().unwrap_or_default().to_string(),
            mrz: f["mrz"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|m| TruthMrz {
                            format: m["format"].as_str().unwrap_or_default().to_string(),
                            lines: m["lines"]
                                .as_array()
                                .map(|l| {
                                    l.iter()
                                        .map(|s| s.as_str().unwrap_or_default().to_string())
                                        .collect()
                                })
                                .unwrap_or_default(),
                            valid: m["all_check_digits_valid"].as_bool().unwrap_or(false),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}
