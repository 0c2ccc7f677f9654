//! One verification run: document → face → (if it would pass) duplicates, blocklists, image reuse, AML → additional
//! steps → decision. CPU-bound checks run on the blocking pool; derived data (encrypted embeddings, keyed hashes)
//! is stored for later duplicate and blocklist lookups.

use crate::PhotoValidation;
use crate::PipelineError;
use crate::checks::{AmlFacts, BillFacts, Checks, DocumentFacts, FaceFacts};
use crate::decision::{DecisionInput, FraudFacts, Rule, evaluate};
use crate::faces::{FaceCache, KIND_DOC_FACE, KIND_SELFIE, distance, open, seal};
use bytes::Bytes;
use kycd_store::{Keyring, Store, VerificationRow};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::{DataBlock, StatusBlock};
use kycd_types::{
    AdditionalStepsStatus, DocumentStatus, DocumentType, FaceStatus, MismatchTag, OverallStatus,
    PartnerId, TokenType,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
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

fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The keyed-hash input identifying a person's document for `DUPLICATE_PERSONAL_DATA` and `DATA_BLACKLISTED`:
/// document number and date of birth.
pub fn personal_key(keyring: &Keyring, number: Option<&str>, dob: Option<&str>) -> Option<String> {
    let n = alnum(number?);
    let d = dob?;
    (!n.is_empty() && !d.is_empty()).then(|| keyring.keyed_hash("personal", &format!("{n}|{d}")))
}

fn stage(name: &str, t0: std::time::Instant) {
    crate::telemetry::observe(
        "kycd_stage_duration_seconds",
        "Duration of each verification stage.",
        format!("stage=\"{name}\""),
        t0.elapsed().as_secs_f64(),
    );
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PipelineError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PipelineError::Check(format!("check task failed: {e}")))
}

impl Run {
    /// Runs CPU-bound check work on the blocking pool once one of the process's CPU slots is free.
    async fn cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PipelineError> {
        let _slot = self
            .checks
            .cpu_slots
            .acquire()
            .await
            .map_err(|e| PipelineError::Check(format!("CPU slots closed: {e}")))?;
        blocking(f).await
    }

    /// Runs every check for a verification and derives the decision.
    pub async fn evaluate(
        &self,
        v: &VerificationRow,
        token: &TokenSettings,
        images: Images,
    ) -> Result<Evaluated, PipelineError> {
        let today = today();
        let precheck: Option<PhotoValidation> = v
            .precheck
            .clone()
            .and_then(|p| serde_json::from_value(p).ok());
        let front = images.get("FRONT").cloned();
        let back = images.get("BACK").cloned();
        let selfie = images.get("FACE").cloned();

        // Document.
        let t0 = std::time::Instant::now();
        let document: Option<DocumentFacts> =
            if precheck.is_some_and(|p| p.document_found == Some(false)) {
                Some(DocumentFacts {
                    failure: Some(DocumentStatus::DocNotFound),
                    failure_detail: "no document found in FRONT".into(),
                    ..DocumentFacts::default()
                })
            } else if let (Some(a), Some(f)) = (self.checks.document.clone(), front.clone()) {
                let skip = v.skip_analysis;
                let back = back.clone();
                let r = self
                    .cpu(move || {
                        a.analyze(
                            (&f.0[..], f.1.as_str()),
                            back.as_ref().map(|(b, m)| (&b[..], m.as_str())),
                            skip,
                        )
                    })
                    .await?;
                Some(r.map_err(PipelineError::Check)?)
            } else {
                None
            };

        stage("document", t0);
        // Face.
        let t0 = std::time::Instant::now();
        let face: Option<FaceFacts> = if token.token_type == TokenType::Document {
            None
        } else if precheck.is_some_and(|p| p.face_found == Some(false)) {
            Some(FaceFacts {
                status: FaceStatus::NoFaceFound,
                doc_face_missing: false,
                same_photo: false,
                distance: None,
                detail: "no face found in FACE".into(),
                selfie_embedding: None,
                doc_embedding: None,
                evidence: Value::Null,
            })
        } else if let (Some(m), Some(s)) = (self.checks.face.clone(), selfie.clone()) {
            let target: Option<Bytes> = match &document {
                Some(d) if d.failure == Some(DocumentStatus::DocNotFound) => None,
                Some(d) => d
                    .portrait
                    .clone()
                    .map(Bytes::from)
                    .or_else(|| front.as_ref().map(|f| f.0.clone())),
                None => front.as_ref().map(|f| f.0.clone()),
            };
            match target {
                Some(t) => {
                    let modifier = token.face_matching_threshold_modifier;
                    let r = self.cpu(move || m.check(&s.0, &t, modifier)).await?;
                    Some(r.map_err(PipelineError::Check)?)
                }
                None => None,
            }
        } else {
            None
        };

        stage("face", t0);
        // Image metadata and perceptual hashes.
        let (software, hashes) = match self.checks.document.clone() {
            Some(a) => {
                let imgs: Vec<(String, Bytes, String)> = ["FRONT", "BACK", "FACE"]
                    .iter()
                    .filter_map(|s| {
                        images
                            .get(*s)
                            .map(|(b, m)| (s.to_string(), b.clone(), m.clone()))
                    })
                    .collect();
                self.cpu(move || {
                    let mut software = None;
                    let mut hashes = Vec::new();
                    for (step, b, m) in &imgs {
                        if software.is_none() {
                            software = a.editing_software(b);
                        }
                        let sha: String = Sha256::digest(b)
                            .iter()
                            .map(|x| format!("{x:02x}"))
                            .collect();
                        hashes.push((step.clone(), "IMG_SHA", sha));
                        if let Some(p) = a.perceptual_hash(b, m) {
                            hashes.push((step.clone(), "IMG_PHASH", format!("{p:016x}")));
                        }
                    }
                    (software, hashes)
                })
                .await?
            }
            None => (None, Vec::new()),
        };

        // Additional steps (utility bill …).
        let t0 = std::time::Instant::now();
        let holder = document.as_ref().and_then(|d| {
            let n = format!(
                "{} {}",
                d.data.first_name.as_deref().unwrap_or(""),
                d.data.last_name.as_deref().unwrap_or("")
            );
            (!n.trim().is_empty()).then(|| n.trim().to_string())
        });
        let declared_type = v
            .document_type
            .as_deref()
            .and_then(|d| d.parse::<DocumentType>().ok());
        let steps = token.additional_steps_for(v.country.as_deref().unwrap_or(""), declared_type);
        let mut bills: Vec<BillFacts> = Vec::new();
        let mut step_types = BTreeMap::new();
        for (step, ty) in &steps {
            let ty = ty.clone().unwrap_or_else(|| "UPLOAD".into());
            step_types.insert(step.clone(), Some(ty.clone()));
            bills.push(
                self.bill(step, &ty, images.get(step), token, holder.clone(), &today)
                    .await?,
            );
        }

        stage("additional_steps", t0);
        // Core decision, then the fraud checks when it would pass.
        let mut input = DecisionInput {
            token,
            selected_country: v.country.as_deref(),
            declared_type,
            document: document.as_ref(),
            face: face.as_ref(),
            fraud: None,
            bills: &bills,
            today: &today,
            editing_software: software.as_deref(),
        };
        let core = evaluate(&input);
        self.store_derived(v, document.as_ref(), face.as_ref(), &hashes)
            .await?;
        let t0 = std::time::Instant::now();
        let fraud = if core.core_passes() {
            Some(
                self.fraud_checks(v, token, document.as_ref(), face.as_ref(), &hashes)
                    .await?,
            )
        } else {
            None
        };
        stage("fraud", t0);
        input.fraud = fraud.as_ref();
        let decision = evaluate(&input);

        // The webhook parts.
        let mut data = DataBlock::default();
        if let Some(d) = &document {
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
            data.full_name = holder.clone();
        }
        if let Some(f) = &fraud {
            let tags = &decision.results.fraud_tags;
            if tags.contains(&kycd_types::FraudTag::DuplicateFace) {
                data.duplicate_faces = Some(f.duplicate_faces.clone());
            }
            if tags.contains(&kycd_types::FraudTag::DuplicateDocFace) {
                data.duplicate_doc_faces = Some(f.duplicate_doc_faces.clone());
            }
        }
        let additional: serde_json::Map<String, Value> = bills
            .iter()
            .filter(|b| !b.data.is_null())
            .map(|b| (b.step.clone(), b.data.clone()))
            .collect();
        if !additional.is_empty() {
            data.additional_data = Some(Value::Object(additional));
        }
        let aml = fraud
            .as_ref()
            .and_then(|f| f.aml.as_ref())
            .map(|a| a.array.clone());
        let evidence = self.evidence(&decision.rules, &document, &face, fraud.as_ref(), &bills, v);
        Ok(Evaluated {
            overall: decision.overall,
            status: decision.status,
            data,
            aml,
            additional_steps: step_types,
            evidence,
        })
    }

    async fn bill(
        &self,
        step: &str,
        ty: &str,
        image: Option<&(Bytes, String)>,
        token: &TokenSettings,
        holder: Option<String>,
        today: &str,
    ) -> Result<BillFacts, PipelineError> {
        let Some((bytes, mime)) = image.cloned() else {
            return Ok(BillFacts {
                step: step.to_string(),
                step_type: ty.to_string(),
                status: AdditionalStepsStatus::NotFound,
                mismatch_tags: vec![(
                    MismatchTag::AdditionalStepNotFound,
                    "the step's file was not submitted".into(),
                )],
                data: Value::Null,
                evidence: Value::Null,
            });
        };
        if ty == "UPLOAD" {
            return Ok(BillFacts {
                step: step.to_string(),
                step_type: ty.to_string(),
                status: AdditionalStepsStatus::Valid,
                mismatch_tags: vec![],
                data: Value::Null,
                evidence: json!({ "stored": true, "analysed": false }),
            });
        }
        let Some(checker) = self.checks.bill.clone() else {
            return Ok(BillFacts {
                step: step.to_string(),
                step_type: ty.to_string(),
                status: AdditionalStepsStatus::Invalid,
                mismatch_tags: vec![(
                    MismatchTag::InvalidAdditionalStep,
                    "no bill reader installed".into(),
                )],
                data: Value::Null,
                evidence: Value::Null,
            });
        };
        let expected = token
            .additional_data
            .as_ref()
            .and_then(|d| d.get(step))
            .cloned();
        let (step, ty, today) = (step.to_string(), ty.to_string(), today.to_string());
        self.cpu(move || {
            checker.check(
                &step,
                &ty,
                &bytes,
                &mime,
                expected.as_ref(),
                holder.as_deref(),
                &today,
            )
        })
        .await
    }

    async fn store_derived(
        &self,
        v: &VerificationRow,
        document: Option<&DocumentFacts>,
        face: Option<&FaceFacts>,
        hashes: &[(String, &'static str, String)],
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
            .map(|(_, kind, h)| (kind.to_string(), self.keyring.keyed_hash("image", h)))
            .collect();
        if let Some(d) = document
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

    async fn fraud_checks(
        &self,
        v: &VerificationRow,
        token: &TokenSettings,
        document: Option<&DocumentFacts>,
        face: Option<&FaceFacts>,
        hashes: &[(String, &'static str, String)],
    ) -> Result<FraudFacts, PipelineError> {
        let mut f = FraudFacts::default();
        let partner: PartnerId = v.partner_id;
        let threshold = self.checks.face.as_ref().map(|m| m.duplicate_threshold());
        if let (Some(face), Some(th)) = (face, threshold) {
            if let Some(e) = &face.selfie_embedding {
                f.duplicate_faces = self
                    .faces
                    .search(
                        &self.store,
                        &self.keyring,
                        partner,
                        KIND_SELFIE,
                        e,
                        th,
                        &v.client_id,
                        &v.scan_ref,
                        20,
                    )
                    .await?;
            }
            if let Some(e) = &face.doc_embedding {
                f.duplicate_doc_faces = self
                    .faces
                    .search(
                        &self.store,
                        &self.keyring,
                        partner,
                        KIND_DOC_FACE,
                        e,
                        th,
                        &v.client_id,
                        &v.scan_ref,
                        20,
                    )
                    .await?;
            }
            // Blocklisted faces (selfie and document-portrait entries alike).
            let mut entries = self.store.blocklist(partner, "SELFIE").await?;
            entries.extend(self.store.blocklist(partner, "DOCUMENT").await?);
            for entry in entries.iter().filter(|e| e.scan_ref != v.scan_ref) {
                let Some(b) = entry
                    .embedding_enc
                    .as_deref()
                    .and_then(|e| open(&self.keyring, e))
                else {
                    continue;
                };
                if face
                    .selfie_embedding
                    .as_deref()
                    .and_then(|s| distance(s, &b))
                    .is_some_and(|d| d <= th)
                {
                    f.face_blacklisted.push(entry.scan_ref.clone());
                }
                if face
                    .doc_embedding
                    .as_deref()
                    .and_then(|s| distance(s, &b))
                    .is_some_and(|d| d <= th)
                {
                    f.doc_face_blacklisted.push(entry.scan_ref.clone());
                }
            }
        }
        if let Some(d) = document
            && let Some(k) = personal_key(
                &self.keyring,
                d.data.number.as_deref(),
                d.data.dob.as_deref(),
            )
        {
            f.duplicate_personal_data = self
                .store
                .key_matches(partner, "PERSONAL", &k, &v.scan_ref)
                .await?
                .into_iter()
                .filter(|m| m.client_id != v.client_id)
                .map(|m| m.scan_ref)
                .collect();
            f.data_blacklisted = self
                .store
                .blocklist_data_matches(partner, &k, &v.scan_ref)
                .await?;
        }
        for (_, kind, h) in hashes {
            let key = self.keyring.keyed_hash("image", h);
            for m in self
                .store
                .key_matches(partner, kind, &key, &v.scan_ref)
                .await?
            {
                if m.client_id != v.client_id && !f.reused_images.contains(&m.scan_ref) {
                    f.reused_images.push(m.scan_ref);
                }
            }
        }
        if token.flag("checkAml") {
            f.aml = Some(match (&self.checks.aml, document) {
                (Some(s), Some(d)) => {
                    let s = s.clone();
                    let x = d.data.clone();
                    self.cpu(move || {
                        s.screen(
                            x.first_name.as_deref(),
                            x.last_name.as_deref(),
                            x.dob.as_deref(),
                            x.nationality.as_deref(),
                            x.sex.as_ref().map(|s| s.as_str()),
                        )
                    })
                    .await?
                }
                _ => AmlFacts {
                    hit: false,
                    failed: true,
                    detail: "no AML screening engine is configured".into(),
                    array: Vec::new(),
                },
            });
        }
        Ok(f)
    }

    fn evidence(
        &self,
        rules: &[Rule],
        document: &Option<DocumentFacts>,
        face: &Option<FaceFacts>,
        fraud: Option<&FraudFacts>,
        bills: &[BillFacts],
        v: &VerificationRow,
    ) -> Value {
        json!({
            "engines": {
                "inspector": self.checks.inspector.name(),
                "document": self.checks.document.is_some(),
                "face": self.checks.face.is_some(),
                "aml": self.checks.aml.is_some(),
                "bill": self.checks.bill.is_some(),
            },
            "rules": rules,
            "document": document.as_ref().map(|d| &d.evidence),
            "face": face.as_ref().map(|f| json!({
                "status": f.status.as_str(),
                "distance": f.distance,
                "samePhoto": f.same_photo,
                "details": f.evidence,
            })),
            "fraud": fraud.map(|f| json!({
                "duplicateFaces": f.duplicate_faces.len(),
                "duplicateDocFaces": f.duplicate_doc_faces.len(),
                "duplicatePersonalData": f.duplicate_personal_data,
                "reusedImages": f.reused_images,
                "faceBlacklisted": f.face_blacklisted,
                "docFaceBlacklisted": f.doc_face_blacklisted,
                "dataBlacklisted": f.data_blacklisted,
                "aml": f.aml.as_ref().map(|a| json!({"hit": a.hit, "failed": a.failed, "detail": a.detail})),
            })),
            "additionalSteps": bills.iter().map(|b| json!({
                "step": b.step, "type": b.step_type, "status": b.status, "evidence": b.evidence,
            })).collect::<Vec<_>>(),
            "precheck": v.precheck,
        })
    }
}
