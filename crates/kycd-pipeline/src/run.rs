//! One verification run, stage by stage as in the data flow: document → face → tampering signals → additional steps
//! → (store the derived data) → fraud searches and AML when the verification would pass → decision, once, from all
//! findings. CPU-bound checks run on the blocking pool behind the process's CPU slots.

use crate::PipelineError;
use crate::additional::{self, AdditionalSteps};
use crate::checks::{AmlFacts, Checks, DocumentFacts, FaceFacts, PhotoValidation};
use crate::decision::{DecisionInput, Rule, evaluate, would_pass};
use crate::faces::{FaceCache, KIND_DOC_FACE, KIND_SELFIE, seal};
use crate::fraud::tampering::ImageHash;
use crate::fraud::{self, FraudFacts, duplicates::personal_key, tampering};
use bytes::Bytes;
use kycd_store::{Keyring, Store, VerificationRow};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::{DataBlock, StatusBlock};
use kycd_types::{DocumentType, FraudTag, OverallStatus};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Images of a verification: step → (bytes, media type).
pub type Images = BTreeMap<String, (Bytes, String)>;

/// The evaluated verification, ready to become the webhook body.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// `overall` before manual-review handling.
    pub overall: OverallStatus,
    /// The `status` object.
    pub status: StatusBlock,
    /// The `data` object (document fields, duplicates, additional data).
    pub data: DataBlock,
    /// The `AML` array (None when not screened).
    pub aml: Option<Vec<Value>>,
    /// Additional steps: name → processing type.
    pub additional_steps: BTreeMap<String, Option<String>>,
    /// The `kycd` evidence object.
    pub evidence: Value,
    /// The document portrait the face match used (PNG), when the reader cropped one.
    pub portrait: Option<Vec<u8>>,
    /// The fields per zone of the document (JSON of [`crate::checks::Readings`]), for the reviewer.
    pub readings: Option<Value>,
}

/// The context a run needs.
#[derive(Clone)]
pub struct Run {
    /// Engines.
    pub checks: Checks,
    /// Database.
    pub store: Store,
    /// Keys (embedding encryption, keyed hashes).
    pub keyring: Keyring,
    /// Duplicate-face index.
    pub faces: Arc<FaceCache>,
}

/// Today as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    kycd_mrz::Date::today().to_iso()
}

/// Wall time of each stage of one run, in milliseconds (`kycd.stageMs` in the evidence).
#[derive(Default)]
struct StageTimes(serde_json::Map<String, Value>);

impl StageTimes {
    /// Times a stage: into the `kycd_stage_duration_seconds` histogram and into this run's times.
    async fn timed<T>(&mut self, name: &str, f: impl std::future::Future<Output = T>) -> T {
        let t0 = std::time::Instant::now();
        let out = f.await;
        let secs = t0.elapsed().as_secs_f64();
        kycd_telemetry::observe(
            "kycd_stage_duration_seconds",
            "Duration of each verification stage.",
            format!("stage=\"{name}\""),
            secs,
        );
        self.0
            .insert(name.to_string(), json!((secs * 1000.0).round() as u64));
        out
    }
}

/// Everything the stages found.
struct Findings {
    document: Option<DocumentFacts>,
    face: Option<FaceFacts>,
    signals: tampering::ImageSignals,
    steps: AdditionalSteps,
    fraud: Option<FraudFacts>,
    aml: Option<AmlFacts>,
}

impl Run {
    /// Runs CPU-bound check work on the blocking pool once one of the process's CPU slots is free.
    pub(crate) async fn cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PipelineError> {
        let _slot = self
            .checks
            .cpu_slots
            .acquire()
            .await
            .map_err(|e| PipelineError::Check(format!("CPU slots closed: {e}")))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| PipelineError::Check(format!("check task failed: {e}")))
    }

    /// Runs every stage for a verification and derives the decision. `partner_aml` is the partner's AML switch
    /// ([`kycd_store::PartnerRow::aml`]): when it is off nothing is screened (no `AML` array, no AML tags), whatever
    /// the token's `checkAml` says.
    pub async fn evaluate(
        &self,
        v: &VerificationRow,
        token: &TokenSettings,
        images: Images,
        partner_aml: bool,
    ) -> Result<Evaluated, PipelineError> {
        let today = today();
        let precheck: Option<PhotoValidation> = v
            .precheck
            .clone()
            .and_then(|p| serde_json::from_value(p).ok());
        let declared_type = v
            .document_type
            .as_deref()
            .and_then(|d| d.parse::<DocumentType>().ok());

        let mut times = StageTimes::default();
        let document = times
            .timed(
                "document",
                crate::document::read(self, v, precheck, &images),
            )
            .await?;
        let face = times
            .timed(
                "face",
                crate::face::match_selfie(self, token, precheck, &images, document.as_ref()),
            )
            .await?;
        let signals = tampering::inspect(self, &images).await?;
        let holder = document.as_ref().and_then(holder_name);
        let steps = times
            .timed(
                "additional_steps",
                additional::check(self, v, token, declared_type, &images, holder, &today),
            )
            .await?;

        // Stage boundary: the derived data (encrypted embeddings, keyed hashes) is stored for later searches.
        self.store_derived(v, document.as_ref(), face.as_ref(), &signals.hashes)
            .await?;

        let mut f = Findings {
            document,
            face,
            signals,
            steps,
            fraud: None,
            aml: None,
        };
        let gate = would_pass(&input(&f, v, token, declared_type, &today));
        if gate {
            f.fraud = Some(
                times
                    .timed(
                        "fraud",
                        fraud::search(
                            self,
                            v,
                            f.document.as_ref(),
                            f.face.as_ref(),
                            &f.signals.hashes,
                        ),
                    )
                    .await?,
            );
            if partner_aml && token.flag("checkAml") {
                f.aml = Some(
                    times
                        .timed("aml", crate::aml::screen(self, f.document.as_ref()))
                        .await?,
                );
            }
        }
        let decision = evaluate(&input(&f, v, token, declared_type, &today));
        let data = data_block(&f, &decision.results.fraud_tags);
        let mut evidence = self.evidence(&decision.rules, &f, v);
        evidence["stageMs"] = Value::Object(times.0);
        let portrait = f.document.as_ref().and_then(|d| d.portrait.clone());
        let readings = f
            .document
            .as_ref()
            .and_then(|d| serde_json::to_value(&d.readings).ok());
        Ok(Evaluated {
            portrait,
            readings,
            overall: decision.overall,
            status: decision.status,
            data,
            aml: f.aml.map(|a| a.array),
            additional_steps: f.steps.step_types,
            evidence,
        })
    }

    async fn store_derived(
        &self,
        v: &VerificationRow,
        document: Option<&DocumentFacts>,
        face: Option<&FaceFacts>,
        hashes: &[ImageHash],
    ) -> Result<(), PipelineError> {
        self.store.erase_derived(&v.scan_ref).await?;
        if let Some(f) = face {
            for (kind, e) in [
                (KIND_SELFIE, &f.selfie_embedding),
                (KIND_DOC_FACE, &f.doc_embedding),
            ] {
                if let Some(e) = e
                    && let Some(enc) = seal(&self.keyring, e)
                {
                    self.store
                        .put_face_embedding(&v.scan_ref, v.partner_id, &v.client_id, kind, &enc)
                        .await?;
                }
            }
        }
        let mut keys: Vec<(String, String)> = hashes
            .iter()
            .map(|h| {
                (
                    h.kind.to_string(),
                    self.keyring.keyed_hash("image", &h.value),
                )
            })
            .collect();
        // Personal data of a rejected document may be misread: only a passing reading identifies a person.
        if let Some(d) = document.filter(|d| d.failure.is_none())
            && let Some(k) = personal_key(
                &self.keyring,
                d.data.number.as_deref(),
                d.data.dob.as_deref(),
            )
        {
            keys.push(("PERSONAL".into(), k));
        }
        self.store
            .put_keys(&v.scan_ref, v.partner_id, &v.client_id, &keys)
            .await?;
        Ok(())
    }

    fn evidence(&self, rules: &[Rule], f: &Findings, v: &VerificationRow) -> Value {
        json!({
            "engines": {
                "inspector": self.checks.inspector.name(),
                "document": self.checks.document.is_some(),
                "face": self.checks.face.is_some(),
                "aml": self.checks.aml.is_some(),
                "bill": self.checks.bill.is_some(),
            },
            "rules": rules,
            "document": f.document.as_ref().map(|d| &d.evidence),
            "face": f.face.as_ref().map(|x| json!({
                "status": x.status.as_str(),
                "distance": x.distance,
                "samePhoto": x.same_photo,
                "details": x.evidence,
            })),
            "fraud": f.fraud.as_ref().map(|x| json!({
                "duplicateFaces": x.duplicate_faces.len(),
                "duplicateDocFaces": x.duplicate_doc_faces.len(),
                "duplicatePersonalData": x.duplicate_personal_data,
                "reusedImages": x.reused_images,
                "faceBlacklisted": x.face_blacklisted,
                "docFaceBlacklisted": x.doc_face_blacklisted,
                "dataBlacklisted": x.data_blacklisted,
                "aml": f.aml.as_ref().map(|a| json!({"hit": a.hit, "failed": a.failed, "detail": a.detail})),
            })),
            "additionalSteps": f.steps.bills.iter().map(|b| json!({
                "step": b.step, "type": b.step_type, "status": b.status, "evidence": b.evidence,
            })).collect::<Vec<_>>(),
            "precheck": v.precheck,
        })
    }
}

fn input<'a>(
    f: &'a Findings,
    v: &'a VerificationRow,
    token: &'a TokenSettings,
    declared_type: Option<DocumentType>,
    today: &'a str,
) -> DecisionInput<'a> {
    DecisionInput {
        token,
        selected_country: v.country.as_deref(),
        declared_type,
        document: f.document.as_ref(),
        face: f.face.as_ref(),
        fraud: f.fraud.as_ref(),
        aml: f.aml.as_ref(),
        bills: &f.steps.bills,
        today,
        editing_software: f.signals.editing_software.as_deref(),
    }
}

/// The holder's full name as read (`data.fullName`).
fn holder_name(d: &DocumentFacts) -> Option<String> {
    let n = format!(
        "{} {}",
        d.data.first_name.as_deref().unwrap_or(""),
        d.data.last_name.as_deref().unwrap_or("")
    );
    (!n.trim().is_empty()).then(|| n.trim().to_string())
}

/// The webhook `data` object: the document fields, the duplicates that made tags, the additional steps' data.
fn data_block(f: &Findings, tags: &[FraudTag]) -> DataBlock {
    let mut data = DataBlock::default();
    if let Some(d) = &f.document {
        let x = &d.data;
        data.doc_first_name = x.first_name.clone();
        data.doc_last_name = x.last_name.clone();
        data.doc_number = x.number.clone();
        data.doc_personal_code = x.personal_code.clone();
        data.doc_expiry = x.expiry.clone();
        data.doc_dob = x.dob.clone();
        data.doc_date_of_issue = x.date_of_issue.clone();
        data.doc_type = x.doc_type;
        data.doc_sex = x.sex;
        data.doc_nationality = x.nationality.clone();
        data.doc_issuing_country = x.issuing_country.clone();
        data.full_name = holder_name(d);
    }
    if let Some(fr) = &f.fraud {
        if tags.contains(&FraudTag::DuplicateFace) {
            data.duplicate_faces = Some(fr.duplicate_faces.clone());
        }
        if tags.contains(&FraudTag::DuplicateDocFace) {
            data.duplicate_doc_faces = Some(fr.duplicate_doc_faces.clone());
        }
    }
    let additional: serde_json::Map<String, Value> = f
        .steps
        .bills
        .iter()
        .filter(|b| !b.data.is_null())
        .map(|b| (b.step.clone(), b.data.clone()))
        .collect();
    if !additional.is_empty() {
        data.additional_data = Some(Value::Object(additional));
    }
    data
}
