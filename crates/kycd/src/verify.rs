//! `kycd verify`: the whole verification pipeline offline (no server), printing the webhook-shaped result; with
//! `--dir`, a folder of cases with a progress bar and a summary table.

use crate::config::Config;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::Args;
use kycd_pipeline::result::base_result;
use kycd_pipeline::run::{Images, Run};
use kycd_store::{Keyring, NewPartner, Store, VerificationRow};
use kycd_types::PartnerId;
use kycd_types::TokenType;
use kycd_types::token::TokenSettings;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `kycd verify` flags.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Document front (JPEG, PNG or PDF).
    #[arg(long, required_unless_present = "dir", conflicts_with = "dir")]
    front: Option<PathBuf>,
    /// Document back.
    #[arg(long)]
    back: Option<PathBuf>,
    /// Selfie; without it the verification is a DOCUMENT one (no face check).
    #[arg(long)]
    face: Option<PathBuf>,
    /// Selected country (ISO alpha-2); defaults to the document's issuing country.
    #[arg(long)]
    country: Option<String>,
    /// Declared document type (PASSPORT, ID_CARD, DRIVER_LICENSE, RESIDENCE_PERMIT).
    #[arg(long)]
    document_type: Option<String>,
    /// A folder of cases: `NAME.jpg` (front only) or `NAME_front.*`, `NAME_back.*`, `NAME_face.*`.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

fn mime_of(b: &[u8]) -> Result<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if b.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else {
        bail!("not a JPEG, PNG or PDF file")
    }
}

fn load(path: &Path) -> Result<(Bytes, String)> {
    let b = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let m = mime_of(&b).with_context(|| path.display().to_string())?;
    Ok((Bytes::from(b), m.to_string()))
}

struct Offline {
    run: Run,
    partner: PartnerId,
}

async fn offline(cfg: &Config) -> Result<Offline> {
    let checks = crate::config::load_engines(cfg, 1)?.checks();
    // A private in-memory database: nothing of an offline run is kept.
    let store = Store::connect("sqlite::memory:", 1).await?;
    let keyring = Keyring::from_master(&kycd_store::keys::random_bytes::<32>()?)?;
    let p = store
        .create_partner(NewPartner::new(
            "offline",
            "offline",
            vec![0; 32],
            vec![0; 32],
        ))
        .await?;
    Ok(Offline {
        run: Run {
            checks,
            store,
            keyring,
            faces: Default::default(),
        },
        partner: p.id,
    })
}

fn token(scan_ref: &str, has_face: bool) -> TokenSettings {
    let token_type = if has_face {
        TokenType::Identification
    } else {
        TokenType::Document
    };
    TokenSettings::minimal(
        "offline",
        scan_ref,
        format!("offline-{scan_ref}"),
        token_type,
    )
}

struct Case {
    name: String,
    front: PathBuf,
    back: Option<PathBuf>,
    face: Option<PathBuf>,
}

async fn verify_case(
    o: &Offline,
    c: &Case,
    country: Option<&str>,
    doc_type: Option<&str>,
) -> Result<Value> {
    let scan_ref = uuid::Uuid::new_v4().to_string();
    let mut images: Images = BTreeMap::new();
    images.insert("FRONT".into(), load(&c.front)?);
    if let Some(b) = &c.back {
        images.insert("BACK".into(), load(b)?);
    }
    if let Some(f) = &c.face {
        images.insert("FACE".into(), load(f)?);
    }
    let t = token(&scan_ref, c.face.is_some());
    let v = VerificationRow {
        scan_ref: scan_ref.clone(),
        partner_id: o.partner,
        client_id: t.client_id.clone(),
        auth_token: "offline".into(),
        status: "REVIEWING".into(),
        country: country.map(|c| c.to_uppercase()),
        document_type: doc_type.map(|d| d.to_uppercase()),
        skip_analysis: false,
        images: BTreeMap::new(),
        precheck: None,
        result: None,
        created_at: kycd_store::now_ms(),
        finished_at: None,
        deleted_at: None,
    };
    // The offline partner has AML on: the token's `checkAml` decides, as for a partner with default settings.
    let ev = o.run.evaluate(&v, &t, images, true).await?;
    let mut r = base_result(&scan_ref, &t.client_id, ev.status);
    r.data = ev.data;
    r.data.selected_country = v.country.clone().or(r.data.doc_issuing_country.clone());
    r.aml = ev.aml;
    r.kycd = Some(ev.evidence);
    Ok(serde_json::to_value(&r)?)
}

fn cases_in(dir: &Path) -> Result<Vec<Case>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "jpg" | "jpeg" | "png" | "pdf"
                )
            })
        })
        .collect();
    files.sort();
    let mut cases: BTreeMap<String, Case> = BTreeMap::new();
    for f in &files {
        let stem = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let (name, role) = match stem.rsplit_once('_') {
            Some((n, r))
                if matches!(
                    r.to_ascii_lowercase().as_str(),
                    "front" | "back" | "face" | "selfie"
                ) =>
            {
                (n.to_string(), r.to_ascii_lowercase())
            }
            _ => (stem.clone(), "front".to_string()),
        };
        let c = cases.entry(name.clone()).or_insert_with(|| Case {
            name,
            front: PathBuf::new(),
            back: None,
            face: None,
        });
        match role.as_str() {
            "back" => c.back = Some(f.clone()),
            "face" | "selfie" => c.face = Some(f.clone()),
            _ => c.front = f.clone(),
        }
    }
    Ok(cases
        .into_values()
        .filter(|c| !c.front.as_os_str().is_empty())
        .collect())
}

fn progress(done: usize, total: usize) {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r[{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(width - filled)
    );
    let _ = std::io::stderr().flush();
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs `kycd verify`.
pub async fn verify(cfg: Config, a: VerifyArgs) -> Result<()> {
    let o = offline(&cfg).await?;
    if let Some(dir) = &a.dir {
        let cases = cases_in(dir)?;
        if cases.is_empty() {
            bail!("no JPEG, PNG or PDF files in {}", dir.display());
        }
        let mut rows = Vec::new();
        let mut times = Vec::new();
        progress(0, cases.len());
        for (i, c) in cases.iter().enumerate() {
            let t0 = Instant::now();
            let r = verify_case(&o, c, a.country.as_deref(), a.document_type.as_deref()).await;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            times.push(ms);
            rows.push((c.name.clone(), r, ms));
            progress(i + 1, cases.len());
        }
        eprintln!();
        let mut summary: BTreeMap<String, usize> = BTreeMap::new();
        let mut out = Vec::new();
        for (name, r, ms) in &rows {
            match r {
                Ok(v) => {
                    let st = &v["status"];
                    let key = format!(
                        "{} / {} / {}",
                        st["overall"].as_str().unwrap_or("?"),
                        st["autoDocument"].as_str().unwrap_or("?"),
                        st["autoFace"].as_str().unwrap_or("?")
                    );
                    *summary.entry(key.clone()).or_default() += 1;
                    out.push(json!({"case": name, "ms": ms, "result": v}));
                    if !a.json {
                        println!("{name:<40} {key:<60} {ms:>8.0} ms");
                    }
                }
                Err(e) => {
                    *summary.entry("ERROR".into()).or_default() += 1;
                    out.push(json!({"case": name, "ms": ms, "error": e.to_string()}));
                    if !a.json {
                        println!("{name:<40} ERROR: {e:#}");
                    }
                }
            }
        }
        times.sort_by(f64::total_cmp);
        if a.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "cases": out, "summary": summary,
                    "p50Ms": pct(&times, 0.5), "p95Ms": pct(&times, 0.95),
                }))?
            );
        } else {
            println!(
                "\n{:<70} {:>6}",
                "overall / autoDocument / autoFace", "count"
            );
            for (k, n) in &summary {
                println!("{k:<70} {n:>6}");
            }
            println!(
                "{} case(s); per case p50 {:.0} ms, p95 {:.0} ms",
                rows.len(),
                pct(&times, 0.5),
                pct(&times, 0.95)
            );
        }
        return Ok(());
    }
    let c = Case {
        name: "case".into(),
        front: a.front.clone().context("--front is required")?,
        back: a.back.clone(),
        face: a.face.clone(),
    };
    let v = verify_case(&o, &c, a.country.as_deref(), a.document_type.as_deref()).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let st = &v["status"];
        let d = &v["data"];
        println!("overall: {}", st["overall"].as_str().unwrap_or("?"));
        println!(
            "autoDocument: {}  autoFace: {}",
            st["autoDocument"], st["autoFace"]
        );
        println!(
            "fraudTags: {}  mismatchTags: {}",
            st["fraudTags"], st["mismatchTags"]
        );
        println!(
            "document: {} {} {}  number {}  born {}  expires {}  issued by {}",
            d["docType"],
            d["docFirstName"],
            d["docLastName"],
            d["docNumber"],
            d["docDob"],
            d["docExpiry"],
            d["docIssuingCountry"]
        );
        if let Some(rules) = v["kycd"]["rules"].as_array() {
            for r in rules {
                println!("  rule {}: {} ({})", r["rule"], r["produced"], r["detail"]);
            }
        }
    }
    Ok(())
}
