//! PP-OCRv6 text detection (DB) and recognition (CTC) on ONNX Runtime.
//!
//! The models come from the PyPI wheel `rapidocr==3.10.0` and the runtime library from the PyPI wheel
//! `onnxruntime==1.32.0`; `scripts/models/ocr.sh` (run by `scripts/setup.sh`) puts all three into
//! `$KYCD_MODELS_DIR`.
//!
//! Longer than the ~600-line rule on purpose: the detector's pre/post-processing, the recogniser's batching and
//! the ONNX Runtime session that both share are one unit (the batching budget depends on the session's buffers);
//! split apart they would need a wide internal interface. The tests are the last ~80 lines.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use image::RgbImage;
use imageproc::contours::{BorderType, find_contours};
use imageproc::geometry::min_area_rect;
use imageproc::point::Point;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use crate::error::{Result, VisionError};
use crate::geometry::{Quad, bilinear_rgb};

/// File name of the detection model inside the models directory.
pub const DET_MODEL: &str = "PP-OCRv6_det_small.onnx";
/// File name of the recognition model inside the models directory.
pub const REC_MODEL: &str = "PP-OCRv6_rec_small.onnx";
/// File name of the ONNX Runtime shared library inside the models directory.
pub const ORT_LIBRARY: &str = "libonnxruntime.so.1.32.0";

/// Height of the recognition model input.
const REC_HEIGHT: u32 = 48;
/// Minimum width of a recognition batch (narrow batches of short words waste less compute).
const REC_MIN_WIDTH: u32 = 128;
/// Widest single recognition input (longer lines are squeezed).
const REC_MAX_WIDTH: u32 = 2400;
/// Lines per recognition batch.
const REC_BATCH: usize = 8;
/// Most padded columns (batch × width) in one recognition run. The recogniser's output holds a probability
/// for each of ~18.7 k classes at every 8th column (about 9.4 kB per column), and ONNX Runtime's arena keeps
/// the largest run's buffers for the life of the session: 4096 columns bound that at ~38 MB of output per
/// session, where 8 lines of 2400 px made 180 MB.
const REC_MAX_BATCH_COLUMNS: u32 = 4096;
/// Largest share of a recognition batch that may be padding.
const REC_MAX_PADDING: f32 = 0.12;

/// Where the models are, and how many threads ONNX Runtime may use.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Directory holding the model files and `libonnxruntime.so.1.32.0`.
    pub models_dir: PathBuf,
    /// Threads of one document read. Detection runs with this many ONNX Runtime intra-op threads;
    /// recognition gets this many single-threaded sessions that recognise the batches of one call
    /// concurrently. The default is `$KYCD_OCR_THREADS`, else the number of available cores, capped
    /// at 2: on the 2-core target box one job uses both cores; with several concurrent workers set it
    /// to 1.
    pub intra_threads: usize,
}

impl EngineConfig {
    /// Models directory from `$KYCD_MODELS_DIR`, else `./models`.
    pub fn from_env() -> Self {
        let models_dir = std::env::var_os("KYCD_MODELS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("models"));
        Self::new(models_dir)
    }

    /// Config for a given models directory with the default thread count.
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let intra_threads = std::env::var("KYCD_OCR_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(cores)
            .clamp(1, 2);
        EngineConfig {
            models_dir: models_dir.into(),
            intra_threads,
        }
    }

    /// Checks that every required file exists, naming the first missing one.
    pub fn check_files(&self) -> Result<()> {
        for f in [ORT_LIBRARY, DET_MODEL, REC_MODEL] {
            let path = self.models_dir.join(f);
            if !path.is_file() {
                return Err(VisionError::ModelMissing { path });
            }
        }
        Ok(())
    }
}

/// Detection input sizing.
#[derive(Debug, Clone, Copy)]
pub struct DetParams {
    /// Images whose long side is shorter are upscaled to this (small scans need it).
    pub min_long_side: u32,
    /// Images whose long side is longer are downscaled to this.
    pub max_long_side: u32,
    /// Binarisation threshold on the probability map.
    pub threshold: f32,
    /// Minimum mean probability inside a box.
    pub box_threshold: f32,
    /// DB unclip ratio.
    pub unclip_ratio: f32,
}

impl Default for DetParams {
    fn default() -> Self {
        DetParams {
            min_long_side: 800,
            max_long_side: 800,
            threshold: 0.3,
            box_threshold: 0.5,
            unclip_ratio: 1.6,
        }
    }
}

/// A detected text region: an oriented rectangle with its corners in reading order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    /// Corners (top-left, top-right, bottom-right, bottom-left) in image pixels; the long side is the
    /// text direction.
    pub quad: Quad,
    /// Mean detection probability inside the box.
    pub score: f32,
}

/// A recognised text line.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    /// The text as recognised (no normalisation).
    pub text: String,
    /// Mean probability of the emitted characters (0..1).
    pub confidence: f32,
    /// Per-character probabilities, aligned with `text.chars()`.
    pub char_conf: Vec<f32>,
    /// Where the line is.
    pub bbox: TextBox,
}

/// Work counters of an [`OcrEngine`] since it was loaded (or since [`OcrEngine::reset_stats`]), for
/// profiling: how many model runs, how much input, how much wall time inside ONNX Runtime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OcrStats {
    /// Detection model runs.
    pub det_runs: u64,
    /// Pixels fed to the detection model.
    pub det_pixels: u64,
    /// Microseconds spent in detection model runs (including input preparation and post-processing).
    pub det_micros: u64,
    /// Recognition model runs (batches).
    pub rec_runs: u64,
    /// Text lines recognised.
    pub rec_lines: u64,
    /// Sum over batches of batch size × padded input width (the work the model does).
    pub rec_columns: u64,
    /// Microseconds spent in recognition (crop sampling, model runs, CTC decoding).
    pub rec_micros: u64,
}

#[derive(Default)]
struct Counters([AtomicU64; 7]);

impl Counters {
    fn add(&self, i: usize, v: u64) {
        self.0[i].fetch_add(v, Ordering::Relaxed);
    }
    fn get(&self) -> OcrStats {
        let g = |i: usize| self.0[i].load(Ordering::Relaxed);
        OcrStats {
            det_runs: g(0),
            det_pixels: g(1),
            det_micros: g(2),
            rec_runs: g(3),
            rec_lines: g(4),
            rec_columns: g(5),
            rec_micros: g(6),
        }
    }
    fn reset(&self) {
        for c in &self.0 {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// The loaded OCR models. Cheap to share (`Send + Sync`); runs are serialised per model.
pub struct OcrEngine {
    det: Mutex<Session>,
    /// Recognition sessions: one single-threaded session per intra-op thread, run concurrently on the
    /// batches of one call (independent batches scale better than intra-op threads on small inputs).
    rec: Vec<Mutex<Session>>,
    /// CTC classes: index 0 is the blank, then the dictionary, then a space.
    classes: Vec<char>,
    stats: Counters,
}

impl std::fmt::Debug for OcrEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrEngine")
            .field("classes", &self.classes.len())
            .finish_non_exhaustive()
    }
}

fn load_session(
    env: &ort::environment::Environment,
    path: &Path,
    threads: usize,
) -> Result<Session> {
    let builder = Session::builder(env).map_err(|e| VisionError::runtime("session builder", e))?;
    let builder = builder
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| VisionError::runtime("optimisation level", e))?
        .with_intra_threads(threads)
        .map_err(|e| VisionError::runtime("intra threads", e))?
        .with_inter_threads(1)
        .map_err(|e| VisionError::runtime("inter threads", e))?
        // Busy-waiting worker threads hurt badly on a small shared box; block instead.
        .with_config_entry("session.intra_op.allow_spinning", "0")
        .map_err(|e| VisionError::runtime("spinning option", e))?;
    let mut builder = builder;
    builder
        .commit_from_file(path)
        .map_err(|e| VisionError::runtime("loading model", e))
}

impl OcrEngine {
    /// Loads the models described by `$KYCD_MODELS_DIR` (default `./models`).
    pub fn from_env() -> Result<Self> {
        Self::load(&EngineConfig::from_env())
    }

    /// Loads ONNX Runtime and both models. Fails with [`VisionError::ModelMissing`] naming the file and
    /// `scripts/setup.sh` when something is missing.
    pub fn load(cfg: &EngineConfig) -> Result<Self> {
        cfg.check_files()?;
        let lib = cfg.models_dir.join(ORT_LIBRARY);
        let env = ort::init_from(&lib)
            .map_err(|e| VisionError::runtime("loading libonnxruntime", e))?
            .with_name("kycd-vision")
            .build()
            .map_err(|e| VisionError::runtime("creating environment", e))?;
        let threads = cfg.intra_threads.max(1);
        let det = load_session(&env, &cfg.models_dir.join(DET_MODEL), threads)?;
        let rec = (0..threads)
            .map(|_| load_session(&env, &cfg.models_dir.join(REC_MODEL), 1))
            .collect::<Result<Vec<_>>>()?;
        let dict = rec
            .first()
            .ok_or(VisionError::BadModel {
                what: "recognition",
                detail: "no session".into(),
            })?
            .metadata()
            .map_err(|e| VisionError::runtime("reading model metadata", e))?
            .custom("character")
            .ok_or(VisionError::BadModel {
                what: "recognition",
                detail: "no `character` metadata key".into(),
            })?;
        let mut classes = vec!['\0'];
        for line in dict.split('\n') {
            let line = line.trim_end_matches('\r');
            let mut it = line.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => classes.push(c),
                (None, _) => {}
                // Multi-character entries do not occur in the PP-OCRv6 dictionary; keep indices aligned.
                (Some(c), Some(_)) => classes.push(c),
            }
        }
        classes.push(' ');
        if classes.len() < 40 {
            return Err(VisionError::BadModel {
                what: "recognition",
                detail: format!("dictionary has only {} classes", classes.len()),
            });
        }
        Ok(OcrEngine {
            det: Mutex::new(det),
            rec: rec.into_iter().map(Mutex::new).collect(),
            classes,
            stats: Counters::default(),
        })
    }

    /// Number of CTC classes (blank + dictionary + space).
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// Work done by this engine so far (all threads).
    pub fn stats(&self) -> OcrStats {
        self.stats.get()
    }

    /// Resets the [`OcrStats`] counters.
    pub fn reset_stats(&self) {
        self.stats.reset();
    }

    /// Detects text regions with the default parameters.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<TextBox>> {
        self.detect_with(img, &DetParams::default())
    }

    /// Detects text regions: DB probability map → contours → minimum-area (rotated) rectangles,
    /// so tilted lines stay separate.
    pub fn detect_with(&self, img: &RgbImage, p: &DetParams) -> Result<Vec<TextBox>> {
        let (w, h) = img.dimensions();
        if w < 8 || h < 8 {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let long = w.max(h) as f32;
        let scale = if long < p.min_long_side as f32 {
            p.min_long_side as f32 / long
        } else if long > p.max_long_side as f32 {
            p.max_long_side as f32 / long
        } else {
            1.0
        };
        let round32 = |v: f32| ((v / 32.0).round() as u32).max(1) * 32;
        let dw = round32(w as f32 * scale);
        let dh = round32(h as f32 * scale);
        let sx = dw as f32 / w as f32;
        let sy = dh as f32 / h as f32;
        let resized = image::imageops::resize(img, dw, dh, image::imageops::FilterType::Triangle);
        let plane = (dw * dh) as usize;
        let mut data = vec![0f32; 3 * plane];
        for (i, px) in resized.pixels().enumerate() {
            // BGR order, (x/255 - 0.5) / 0.5
            data[i] = px[2] as f32 / 127.5 - 1.0;
            data[plane + i] = px[1] as f32 / 127.5 - 1.0;
            data[2 * plane + i] = px[0] as f32 / 127.5 - 1.0;
        }
        let shape = vec![1i64, 3, dh as i64, dw as i64];
        let prob = run_model(&self.det, DETECTION, shape, data, |dims, values| {
            if dims.len() != 4 || dims[2] != dh as i64 || dims[3] != dw as i64 {
                return Err(VisionError::BadModel {
                    what: "detection",
                    detail: format!("output shape {dims:?}"),
                });
            }
            Ok(values.to_vec())
        })?;
        let boxes = db_postprocess(&prob, dw, dh, p)
            .into_iter()
            .map(|b| TextBox {
                quad: b.quad.scale(1.0 / sx, 1.0 / sy),
                score: b.score,
            })
            .collect();
        self.stats.add(0, 1);
        self.stats.add(1, u64::from(dw) * u64::from(dh));
        self.stats.add(2, started.elapsed().as_micros() as u64);
        Ok(boxes)
    }

    /// Recognises the text in each box (batched, widths sorted). Output order matches `boxes`.
    pub fn recognize(&self, img: &RgbImage, boxes: &[TextBox]) -> Result<Vec<TextLine>> {
        self.recognize_with(img, boxes, CropMode::Color)
    }

    /// Recognition with a choice of crop preprocessing.
    ///
    /// Batches are runs of [`REC_BATCH`] lines in width order, whatever their widths (the MRZ reader's
    /// accuracy was calibrated with this batching: a line's reading depends slightly on its padding).
    pub fn recognize_with(
        &self,
        img: &RgbImage,
        boxes: &[TextBox],
        mode: CropMode,
    ) -> Result<Vec<TextLine>> {
        self.recognize_batched(img, boxes, mode, false)
    }

    /// Recognition with batches of similar widths only (less padding, faster), split further so that
    /// every recognition session has work. Used for the visual zone.
    pub fn recognize_fast(&self, img: &RgbImage, boxes: &[TextBox]) -> Result<Vec<TextLine>> {
        self.recognize_batched(img, boxes, CropMode::Color, true)
    }

    fn recognize_batched(
        &self,
        img: &RgbImage,
        boxes: &[TextBox],
        mode: CropMode,
        by_width: bool,
    ) -> Result<Vec<TextLine>> {
        let started = Instant::now();
        let mut order: Vec<(usize, u32)> = boxes
            .iter()
            .enumerate()
            .map(|(i, b)| (i, mode.crop_width(&b.quad)))
            .collect();
        order.sort_by_key(|&(_, w)| w);
        let mut units = if by_width {
            width_batches(&order)
        } else {
            column_capped_chunks(&order)
        };
        // Enough work units for every recognition session: split the largest batches.
        while by_width && units.len() < self.rec.len() {
            let Some((k, _)) = units
                .iter()
                .enumerate()
                .filter(|(_, u)| u.len() > 1)
                .max_by_key(|(_, u)| u.iter().map(|x| x.1).max().unwrap_or(0) * u.len() as u32)
            else {
                break;
            };
            let (a, b) = units[k].split_at(units[k].len() / 2);
            units[k] = a;
            units.insert(k + 1, b);
        }
        let decoded: Vec<Result<Vec<(usize, TextLine)>>> = if self.rec.len() < 2 || units.len() < 2
        {
            units
                .iter()
                .map(|u| self.rec_batch(&self.rec[0], img, boxes, u, mode))
                .collect()
        } else {
            // One single-threaded session per core, each taking the next batch.
            let next = AtomicUsize::new(0);
            let work = |session: &Mutex<Session>| {
                let mut done = Vec::new();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(u) = units.get(k) else { break };
                    done.push(self.rec_batch(session, img, boxes, u, mode));
                }
                done
            };
            std::thread::scope(|s| {
                let helpers: Vec<_> = self.rec[1..]
                    .iter()
                    .map(|session| s.spawn(|| work(session)))
                    .collect();
                let mut all = work(&self.rec[0]);
                for h in helpers {
                    all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                }
                all
            })
        };
        let mut out: Vec<Option<TextLine>> = vec![None; boxes.len()];
        for batch in decoded {
            for (idx, line) in batch? {
                out[idx] = Some(line);
            }
        }
        self.stats.add(6, started.elapsed().as_micros() as u64);
        Ok(out.into_iter().flatten().collect())
    }

    /// Recognises one batch of `(box index, crop width)` on `session`.
    fn rec_batch(
        &self,
        session: &Mutex<Session>,
        img: &RgbImage,
        boxes: &[TextBox],
        chunk: &[(usize, u32)],
        mode: CropMode,
    ) -> Result<Vec<(usize, TextLine)>> {
        let batch_w = chunk
            .iter()
            .map(|&(_, w)| w)
            .max()
            .unwrap_or(REC_MIN_WIDTH)
            .max(REC_MIN_WIDTH);
        let n = chunk.len();
        let plane = (REC_HEIGHT * batch_w) as usize;
        let mut data = vec![0f32; n * 3 * plane];
        for (bi, &(idx, cw)) in chunk.iter().enumerate() {
            let base = bi * 3 * plane;
            fill_crop(
                img,
                &boxes[idx].quad,
                cw,
                batch_w,
                mode,
                &mut data[base..base + 3 * plane],
            );
        }
        let decoded = self.run_rec(session, data, n, batch_w)?;
        self.stats.add(3, 1);
        self.stats.add(4, n as u64);
        self.stats.add(5, n as u64 * u64::from(batch_w));
        Ok(decoded
            .into_iter()
            .zip(chunk)
            .map(|((text, char_conf), &(idx, _))| {
                let confidence = if char_conf.is_empty() {
                    0.0
                } else {
                    char_conf.iter().sum::<f32>() / char_conf.len() as f32
                };
                (
                    idx,
                    TextLine {
                        text,
                        confidence,
                        char_conf,
                        bbox: boxes[idx],
                    },
                )
            })
            .collect())
    }

    fn run_rec(
        &self,
        session: &Mutex<Session>,
        data: Vec<f32>,
        n: usize,
        width: u32,
    ) -> Result<Vec<(String, Vec<f32>)>> {
        let shape = vec![n as i64, 3, REC_HEIGHT as i64, width as i64];
        run_model(session, RECOGNITION, shape, data, |dims, values| {
            if dims.len() != 3 || dims[0] != n as i64 || dims[2] as usize != self.classes.len() {
                return Err(VisionError::BadModel {
                    what: "recognition",
                    detail: format!(
                        "output shape {dims:?}, expected [{n}, T, {}]",
                        self.classes.len()
                    ),
                });
            }
            let t = dims[1] as usize;
            let c = dims[2] as usize;
            let mut res = Vec::with_capacity(n);
            for b in 0..n {
                let mut text = String::new();
                let mut confs = Vec::new();
                let mut prev = 0usize;
                for step in 0..t {
                    let row = &values[(b * t + step) * c..(b * t + step + 1) * c];
                    let (best, p) =
                        row.iter()
                            .copied()
                            .enumerate()
                            .fold(
                                (0usize, f32::MIN),
                                |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
                            );
                    if best != 0 && best != prev {
                        text.push(self.classes[best]);
                        confs.push(p);
                    }
                    prev = best;
                }
                res.push((text, confs));
            }
            Ok(res)
        })
    }

    /// Recognises every box, reusing the lines in `known` whose box is one of `boxes` (recognised
    /// earlier with [`CropMode::Color`]). Output order matches `boxes`, like [`OcrEngine::recognize`].
    pub fn recognize_reusing(
        &self,
        img: &RgbImage,
        boxes: &[TextBox],
        known: &[TextLine],
    ) -> Result<Vec<TextLine>> {
        let mut out: Vec<Option<TextLine>> = boxes
            .iter()
            .map(|b| known.iter().find(|l| l.bbox == *b).cloned())
            .collect();
        let todo: Vec<TextBox> = boxes
            .iter()
            .zip(&out)
            .filter(|(_, l)| l.is_none())
            .map(|(b, _)| *b)
            .collect();
        let mut fresh = self.recognize_fast(img, &todo)?.into_iter();
        for slot in out.iter_mut().filter(|l| l.is_none()) {
            *slot = fresh.next();
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Detection followed by recognition of every box.
    pub fn read_all(&self, img: &RgbImage) -> Result<Vec<TextLine>> {
        let boxes = self.detect(img)?;
        self.recognize(img, &boxes)
    }
}

/// Splits `(index, width)` pairs sorted by width into recognition batches: at most [`REC_BATCH`]
/// lines, and only lines of similar width, so that padding every crop to the batch width wastes at most
/// [`REC_MAX_PADDING`] of the batch (the model's cost grows with batch × width).
fn width_batches(order: &[(usize, u32)]) -> Vec<&[(usize, u32)]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        let mut used = order[i].1.max(REC_MIN_WIDTH) as f32;
        while j < order.len() && j - i < REC_BATCH {
            if !within_columns(&order[i..=j]) {
                break;
            }
            let w = order[j].1.max(REC_MIN_WIDTH) as f32;
            let padded = w * (j - i + 1) as f32;
            if padded - (used + w) > REC_MAX_PADDING * padded {
                break;
            }
            used += w;
            j += 1;
        }
        out.push(&order[i..j]);
        i = j;
    }
    out
}

/// Whether a run of `(index, width)` pairs sorted by width stays within [`REC_MAX_BATCH_COLUMNS`]
/// once every crop is padded to the widest (the last).
fn within_columns(run: &[(usize, u32)]) -> bool {
    run.last()
        .is_none_or(|&(_, w)| w.max(REC_MIN_WIDTH) * run.len() as u32 <= REC_MAX_BATCH_COLUMNS)
}

/// Splits `(index, width)` pairs sorted by width into runs of at most [`REC_BATCH`] lines whose padded
/// size (lines × widest) stays within [`REC_MAX_BATCH_COLUMNS`] (a single line is always its own run).
fn column_capped_chunks(order: &[(usize, u32)]) -> Vec<&[(usize, u32)]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && j - i < REC_BATCH && within_columns(&order[i..=j]) {
            j += 1;
        }
        out.push(&order[i..j]);
        i = j;
    }
    out
}

/// Width of the recognition crop for a box (height normalised to 48 px).
fn crop_width(q: &Quad) -> u32 {
    let (w, h) = q.size();
    if h < 1.0 {
        return REC_MIN_WIDTH.min(16);
    }
    ((REC_HEIGHT as f32 * w / h).round() as u32).clamp(8, REC_MAX_WIDTH)
}

/// How a text crop is prepared for the recogniser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CropMode {
    /// The colour pixels, as the model was trained.
    Color,
    /// Maximum over the colour channels (coloured security backgrounds turn light, black ink stays
    /// dark), contrast-stretched between the 2nd and 98th percentiles. Used to re-read MRZ lines
    /// printed over guilloches.
    InkEnhanced,
    /// The colour pixels stretched to 1.25 times the box's width: characters the recogniser ran together
    /// (a dropped letter between digits) get more columns. Used to re-read MRZ lines whose check digits
    /// fail.
    Wide,
}

impl CropMode {
    /// Width of the recognition crop for a box.
    fn crop_width(self, q: &Quad) -> u32 {
        let w = crop_width(q);
        match self {
            CropMode::Wide => ((w as f32 * 1.25).round() as u32).min(REC_MAX_WIDTH),
            CropMode::Color | CropMode::InkEnhanced => w,
        }
    }
}

/// Samples the box into a normalised BGR CHW tensor slot of width `batch_w` (left-aligned, zero padded).
fn fill_crop(img: &RgbImage, q: &Quad, cw: u32, batch_w: u32, mode: CropMode, dst: &mut [f32]) {
    let plane = (REC_HEIGHT * batch_w) as usize;
    let [tl, tr, _, bl] = q.0;
    let ux = ((tr.0 - tl.0) / cw as f32, (tr.1 - tl.1) / cw as f32);
    let vy = (
        (bl.0 - tl.0) / REC_HEIGHT as f32,
        (bl.1 - tl.1) / REC_HEIGHT as f32,
    );
    let w = cw.min(batch_w);
    let mut px = Vec::with_capacity((w * REC_HEIGHT) as usize);
    for v in 0..REC_HEIGHT {
        for u in 0..w {
            let fu = u as f32 + 0.5;
            let fv = v as f32 + 0.5;
            let x = tl.0 + ux.0 * fu + vy.0 * fv;
            let y = tl.1 + ux.1 * fu + vy.1 * fv;
            px.push(bilinear_rgb(img, x, y));
        }
    }
    if mode == CropMode::InkEnhanced && !px.is_empty() {
        let mut lum: Vec<f32> = px.iter().map(|p| p[0].max(p[1]).max(p[2])).collect();
        let mut sorted = lum.clone();
        sorted.sort_by(f32::total_cmp);
        let lo = sorted[sorted.len() * 2 / 100];
        let hi = sorted[(sorted.len() * 98 / 100).min(sorted.len() - 1)];
        let span = (hi - lo).max(1.0);
        for (p, l) in px.iter_mut().zip(lum.iter_mut()) {
            let v = ((*l - lo) / span * 255.0).clamp(0.0, 255.0);
            *p = [v, v, v];
        }
    }
    for v in 0..REC_HEIGHT {
        for u in 0..w {
            let [r, g, b] = px[(v * w + u) as usize];
            let i = (v * batch_w + u) as usize;
            dst[i] = b / 127.5 - 1.0;
            dst[plane + i] = g / 127.5 - 1.0;
            dst[2 * plane + i] = r / 127.5 - 1.0;
        }
    }
}

/// DB post-processing on a probability map of size `w`×`h`.
pub(crate) fn db_postprocess(prob: &[f32], w: u32, h: u32, p: &DetParams) -> Vec<TextBox> {
    let bin = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if prob[(y * w + x) as usize] > p.threshold {
            255
        } else {
            0
        }])
    });
    let contours = find_contours::<i32>(&bin);
    let mut boxes = Vec::new();
    for c in contours {
        if c.border_type != BorderType::Outer || c.points.len() < 4 {
            continue;
        }
        let pts: Vec<Point<f64>> = c
            .points
            .iter()
            .map(|pt| Point::new(pt.x as f64, pt.y as f64))
            .collect();
        let rect = min_area_rect(&pts);
        let quad = Quad::from_rect_points(rect.map(|pt| (pt.x as f32, pt.y as f32)));
        let (bw, bh) = quad.size();
        if bw.min(bh) < 2.0 {
            continue;
        }
        let score = mean_in_quad(prob, w, h, &quad);
        if score < p.box_threshold {
            continue;
        }
        // Unclip: grow by d = area * ratio / perimeter on every side.
        let d = bw * bh * p.unclip_ratio / (2.0 * (bw + bh));
        let grown = quad.grow(d);
        let (gw, gh) = grown.size();
        if gw.min(gh) < 5.0 {
            continue;
        }
        boxes.push(TextBox { quad: grown, score });
    }
    boxes
}

fn mean_in_quad(prob: &[f32], w: u32, h: u32, q: &Quad) -> f32 {
    let (x0, y0, x1, y1) = q.bounds();
    let x0 = x0.floor().max(0.0) as u32;
    let y0 = y0.floor().max(0.0) as u32;
    let x1 = (x1.ceil().max(0.0) as u32).min(w - 1);
    let y1 = (y1.ceil().max(0.0) as u32).min(h - 1);
    let mut sum = 0f32;
    let mut n = 0u32;
    for y in y0..=y1 {
        for x in x0..=x1 {
            if q.contains(x as f32 + 0.5, y as f32 + 0.5) {
                sum += prob[(y * w + x) as usize];
                n += 1;
            }
        }
    }
    if n == 0 { 0.0 } else { sum / n as f32 }
}

/// The names of a model's steps in errors: building its input, running it, reading its output.
#[derive(Clone, Copy)]
struct ModelSteps {
    input: &'static str,
    run: &'static str,
    output: &'static str,
}

const DETECTION: ModelSteps = ModelSteps {
    input: "detection input",
    run: "detection",
    output: "detection output",
};

const RECOGNITION: ModelSteps = ModelSteps {
    input: "recognition input",
    run: "recognition",
    output: "recognition output",
};

/// Runs a one-input model on an `f32` tensor of `shape` and hands its first output (dimensions, values) to
/// `read`, with the session locked until `read` returns.
fn run_model<T>(
    session: &Mutex<Session>,
    steps: ModelSteps,
    shape: Vec<i64>,
    data: Vec<f32>,
    read: impl FnOnce(&[i64], &[f32]) -> Result<T>,
) -> Result<T> {
    let input =
        Tensor::from_array((shape, data)).map_err(|e| VisionError::runtime(steps.input, e))?;
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    let out = session
        .run(ort::inputs![input])
        .map_err(|e| VisionError::runtime(steps.run, e))?;
    let (shape, values) = out[0]
        .try_extract_tensor::<f32>()
        .map_err(|e| VisionError::runtime(steps.output, e))?;
    let dims: Vec<i64> = shape.iter().copied().collect();
    read(&dims, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_finds_tilted_separate_lines() {
        // Two parallel bars tilted by ~10 degrees, close together: they must stay two boxes.
        let (w, h) = (200u32, 120u32);
        let mut prob = vec![0f32; (w * h) as usize];
        let angle = 10f32.to_radians();
        for (cy, _) in [(45f32, 0), (70f32, 1)] {
            for t in 0..140 {
                for s in -4..=4 {
                    let x = 30.0 + t as f32 * angle.cos() - s as f32 * angle.sin();
                    let y = cy + t as f32 * angle.sin() + s as f32 * angle.cos() - 12.0;
                    let (xi, yi) = (x.round() as i64, y.round() as i64);
                    if xi >= 0 && yi >= 0 && (xi as u32) < w && (yi as u32) < h {
                        prob[(yi as u32 * w + xi as u32) as usize] = 0.9;
                    }
                }
            }
        }
        let boxes = db_postprocess(&prob, w, h, &DetParams::default());
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        for b in &boxes {
            let (bw, bh) = b.quad.size();
            assert!(bw > 120.0 && bh < 30.0, "{bw}x{bh}");
            let a = b.quad.angle_deg();
            assert!((a - 10.0).abs() < 3.0, "angle {a}");
        }
    }

    #[test]
    fn batches_stay_within_the_column_budget() {
        let order: Vec<(usize, u32)> = (0..40).map(|i| (i, 100 + 60 * i as u32)).collect();
        for units in [column_capped_chunks(&order), width_batches(&order)] {
            assert_eq!(units.iter().map(|u| u.len()).sum::<usize>(), order.len());
            for u in units {
                let widest = u.iter().map(|x| x.1.max(REC_MIN_WIDTH)).max().unwrap();
                assert!(u.len() <= REC_BATCH);
                assert!(u.len() == 1 || widest * u.len() as u32 <= REC_MAX_BATCH_COLUMNS);
            }
        }
        // A line wider than the budget is still recognised, alone.
        let wide = [(0usize, REC_MAX_WIDTH), (1, REC_MAX_WIDTH)];
        assert_eq!(column_capped_chunks(&wide).len(), 2);
    }

    #[test]
    fn width_batches_limit_padding_and_size() {
        let widths = [130u32, 135, 140, 150, 300, 310, 320, 900, 1400, 1410];
        let order: Vec<(usize, u32)> = widths.iter().copied().enumerate().collect();
        let batches = width_batches(&order);
        // Every line is in exactly one batch, in order.
        let flat: Vec<usize> = batches.iter().flat_map(|b| b.iter().map(|x| x.0)).collect();
        assert_eq!(flat, (0..widths.len()).collect::<Vec<_>>());
        for b in &batches {
            assert!(b.len() <= REC_BATCH);
            let bw = b.iter().map(|x| x.1.max(REC_MIN_WIDTH)).max().unwrap_or(0) as f32;
            let used: f32 = b.iter().map(|x| x.1.max(REC_MIN_WIDTH) as f32).sum();
            assert!(bw * b.len() as f32 - used <= REC_MAX_PADDING * bw * b.len() as f32 + 1e-3);
        }
        // Short words are not padded to the MRZ width.
        assert!(
            batches
                .iter()
                .all(|b| !(b.iter().any(|x| x.1 < 200) && b.iter().any(|x| x.1 > 800)))
        );
        // Similar widths share a batch.
        assert_eq!(batches[0].len(), 4);
        let many: Vec<(usize, u32)> = (0..20).map(|i| (i, 200)).collect();
        assert_eq!(width_batches(&many).len(), 3);
        assert!(width_batches(&[]).is_empty());
    }

    #[test]
    fn missing_models_error_names_setup() {
        let cfg = EngineConfig::new("/nonexistent/kycd-models");
        let err = OcrEngine::load(&cfg).expect_err("must fail");
        let msg = err.to_string();
        assert!(msg.contains("scripts/setup.sh"), "{msg}");
        assert!(msg.contains(ORT_LIBRARY), "{msg}");
    }
}
