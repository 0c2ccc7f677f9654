//! Calibrated thresholds. How they were obtained: `bench/face/eval.sh` on
//! `/work/shared/data/faces` (84 single-face images of 19 people; every same-identity pair is
//! genuine, every cross-identity pair an impostor: 214 genuine / 3,272 impostor pairs), with the
//! default [`crate::EngineConfig`]. Figures in `bench/face/README.md`; ROC points in
//! `bench/face/out/default/roc_all.csv`.
//!
//! * FAR 0.1 % on the 3,272 impostors allows 3 accepted impostors; the largest threshold that
//!   keeps FAR ≤ 0.1 % is 0.566 (TAR 99.07 %). The chosen match threshold is rounded down to
//!   0.56: FAR 0.061 % (2 impostors, both Matt Damon ↔ Leonardo DiCaprio photos at 0.518 and
//!   0.523), TAR 99.07 % (2 genuine pairs rejected, both with the small, low-quality img12).
//! * The `FACE_UNCERTAIN` band (0.56, 0.62] holds the remaining overlap of the two
//!   distributions (2 genuine, 5 impostor pairs): they go to a human instead of being decided.
//! * These are small-sample figures (19 people, mostly celebrities): recalibrate on a consented
//!   set before production.

/// Distance at or below which two faces are the same person (`FACE_MATCH`), before
/// `faceMatchingThresholdModifier` (measured: FAR 0.061 %, TAR 99.07 %, see above).
pub const MATCH_THRESHOLD: f32 = 0.56;

/// Distance above which two faces are different people (`FACE_MISMATCH`); between the two
/// thresholds the result is `FACE_UNCERTAIN` (left to a human). FAR at 0.62: 0.21 %.
pub const MISMATCH_THRESHOLD: f32 = 0.62;

/// Default distance for duplicate / blocklist search (1:N). Not affected by the modifier.
pub const DUPLICATE_THRESHOLD: f32 = MATCH_THRESHOLD;

/// Selfie quality gate: below this Laplacian variance of the aligned 64x64 chip the face is
/// `FACE_TOO_BLURRY`. Measured: real faces 636 minimum (p5 958); the same faces with a Gaussian
/// blur of σ = face width / 30: 16 median, 56 maximum (all 82 flagged).
pub const MIN_SHARPNESS: f32 = 120.0;

/// Selfie quality gate: above this fraction of saturated chip pixels the face is `FACE_GLARED`.
/// Measured: real faces p95 0.009, maximum 0.094; with a saturated ellipse over ~24 % of the
/// face: p5 0.17 (all 56 flagged).
pub const MAX_GLARE: f32 = 0.12;

/// Same-photo evidence: chip normalised cross-correlation at or above this means the selfie is
/// the document portrait itself (or a crop/rescale of it). Measured: the same photograph at
/// other resolutions / formats 0.937–0.997; different photos of the same person ≤ 0.905
/// (same photo shoot); a simulated grey printed portrait vs its source photo: median 0.953.
pub const SAME_PHOTO_NCC: f32 = 0.93;

/// Same-photo evidence also needs the two embeddings this close: one photograph printed, re-photographed or rescaled
/// keeps its embedding (0.157 for a grey print of the selfie's own photo, `bench/face/synthetic_portraits.md`), while
/// two different photos of one person stay apart (0.35–0.40 for the shared pairs below, 0.41 and 0.45 printed on
/// synthetic ID cards). Printed portraits are smooth enough that the chip correlation of those two printed pairs
/// (`knn_train_biden2`/`biden`, `kit_harington_john1`/`john2`) reached 0.93, which alone flagged genuine customers
/// as `FAKE_PHOTO` in `bench/decision.py`.
pub const SAME_PHOTO_MAX_DISTANCE: f32 = 0.25;

/// Accepted range of `faceMatchingThresholdModifier` (values outside are clamped).
pub const MODIFIER_RANGE: (f32, f32) = (0.5, 1.5);

/// A face whose mean chroma (max − min of R, G, B, 0..255) is below this is a greyscale
/// (printed) portrait; see [`crate::FaceEngine::verify`].
pub const GREY_PORTRAIT_CHROMA: f32 = 6.0;
