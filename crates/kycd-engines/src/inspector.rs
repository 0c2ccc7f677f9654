//! The synchronous inspector of `/api/v2/process` (direct-processing.md step 14): is there a document in FRONT and a
//! face in FACE, and which document type is it.

use bytes::Bytes;
use kycd_face::{FacePool, ImageKind};
use kycd_pipeline::{DocumentInspector, PhotoValidation};
use kycd_types::DocumentType;
use kycd_vision::{DecodeLimits, OcrEngine};
use std::sync::Arc;

/// The synchronous inspector of `/api/v2/process` backed by the real engines.
pub struct VisionInspector {
    ocr: Arc<OcrEngine>,
    faces: Arc<FacePool>,
    limits: DecodeLimits,
}

impl VisionInspector {
    /// Builds the inspector.
    pub fn new(ocr: Arc<OcrEngine>, faces: Arc<FacePool>, max_pixels: u64) -> Self {
        Self {
            ocr,
            faces,
            limits: DecodeLimits {
                max_pixels,
                ..DecodeLimits::default()
            },
        }
    }

    fn decode(&self, bytes: &Bytes, mime: &str) -> Option<image::RgbImage> {
        if mime == "application/pdf" {
            return None;
        }
        kycd_vision::decode_image(bytes, &self.limits).ok()
    }
}

impl DocumentInspector for VisionInspector {
    fn detect_document_type(&self, front: &Bytes, mime: &str) -> Option<DocumentType> {
        let img = self.decode(front, mime)?;
        // No document in the picture, no type: the aspect-ratio fallback of the detector must not type a selfie.
        if !kycd_vision::detect_document_present(&self.ocr, &img).ok()? {
            return None;
        }
        let t = kycd_vision::detect_document_type(&self.ocr, &img).ok()??;
        DocumentType::DIRECT_PROCESSING.contains(&t).then_some(t)
    }

    fn validate_photos(
        &self,
        front: (&Bytes, &str),
        face: Option<(&Bytes, &str)>,
    ) -> PhotoValidation {
        // A PDF or an undecodable image cannot be validated here: leave the verdict to the worker.
        let document_found = self
            .decode(front.0, front.1)
            .and_then(|img| kycd_vision::detect_document_present(&self.ocr, &img).ok());
        let face_found = face.and_then(|(b, m)| {
            if m == "application/pdf" {
                return None;
            }
            self.faces
                .with(|e| e.analyze_bytes(b, ImageKind::Selfie))
                .ok()
                .map(|a| a.primary.is_some())
        });
        PhotoValidation {
            document_found,
            face_found,
        }
    }

    fn name(&self) -> &'static str {
        "kycd-vision/kycd-face"
    }
}
