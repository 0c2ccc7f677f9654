//! Tampering: signs that an image was edited or a document made up — editing software named in the image
//! metadata, a published specimen identity, the word SPECIMEN on the page — and the image hashes that let
//! [`super::duplicates`] find one image submitted by several customers.

use crate::PipelineError;
use crate::checks::DocumentFacts;
use crate::run::{Images, Run};
use kycd_types::text::{alnum_upper, name_tokens};
use sha2::{Digest, Sha256};

/// Names of published specimen documents (ICAO 9303 examples, national specimens).
const SPECIMEN_NAMES: &[&str] = &[
    "SPECIMEN",
    "MUSTERMANN",
    "MUSTERFRAU",
    "SPECIMENOVA",
    "MUSTER",
    "SAMPLE",
    "ERIKSSON ANNA MARIA",
    "STORVIK",
    "HAPPY TRAVELER",
    "TRAVELER HAPPY",
];
/// Document numbers of published specimens.
const SPECIMEN_NUMBERS: &[&str] = &[
    "L898902C3",
    "L898902C",
    "D23145890",
    "123456789",
    "000000000",
];

/// Why the document is a published specimen, if it is one.
pub fn specimen(doc: &DocumentFacts) -> Option<&'static str> {
    let d = &doc.data;
    let first = d.first_name.as_deref().unwrap_or("");
    let last = d.last_name.as_deref().unwrap_or("");
    let folded = name_tokens(&format!("{first} {last}")).join(" ");
    let folded_rev = name_tokens(&format!("{last} {first}")).join(" ");
    let toks: Vec<&str> = folded.split(' ').collect();
    let by_name = SPECIMEN_NAMES.iter().any(|s| {
        if s.contains(' ') {
            folded == *s || folded_rev == *s
        } else {
            toks.contains(s)
        }
    });
    let by_number = d
        .number
        .as_deref()
        .is_some_and(|n| SPECIMEN_NUMBERS.contains(&alnum_upper(n).as_str()));
    if by_number {
        Some("document number")
    } else if by_name {
        Some("holder name")
    } else if doc.specimen_text {
        Some("SPECIMEN printed on the document")
    } else {
        None
    }
}

/// One hash of one submitted image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHash {
    /// Step (`FRONT`, `BACK`, `FACE`).
    pub step: String,
    /// `IMG_SHA` (SHA-256 of the bytes) or `IMG_PHASH` (perceptual hash of the pixels).
    pub kind: &'static str,
    /// Hex value.
    pub value: String,
}

/// What the images' bytes tell.
#[derive(Debug, Clone, Default)]
pub struct ImageSignals {
    /// Editing software named in an image's metadata.
    pub editing_software: Option<String>,
    /// Hashes of FRONT, BACK and FACE.
    pub hashes: Vec<ImageHash>,
}

/// Reads the metadata and hashes of FRONT, BACK and FACE (CPU work, off the async runtime).
pub async fn inspect(run: &Run, images: &Images) -> Result<ImageSignals, PipelineError> {
    let Some(a) = run.checks.document.clone() else {
        return Ok(ImageSignals::default());
    };
    let imgs: Vec<(String, bytes::Bytes, String)> = ["FRONT", "BACK", "FACE"]
        .iter()
        .filter_map(|s| {
            images
                .get(*s)
                .map(|(b, m)| (s.to_string(), b.clone(), m.clone()))
        })
        .collect();
    run.cpu(move || {
        let mut signals = ImageSignals::default();
        for (step, b, m) in &imgs {
            if signals.editing_software.is_none() {
                signals.editing_software = a.editing_software(b);
            }
            let sha: String = Sha256::digest(b)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect();
            signals.hashes.push(ImageHash {
                step: step.clone(),
                kind: "IMG_SHA",
                value: sha,
            });
            if let Some(p) = a.perceptual_hash(b, m) {
                signals.hashes.push(ImageHash {
                    step: step.clone(),
                    kind: "IMG_PHASH",
                    value: format!("{p:016x}"),
                });
            }
        }
        signals
    })
    .await
}
