//! kycd-synth: synthetic identity documents for tests (not published, not used by the service).
//!
//! Renders passports (TD3 data page) and identity cards (TD1 front + back) in the OCR-B font
//! (Debian `fonts-ocr-b`, see `scripts/apt/synth.txt`) with a labelled visual zone (surname, given
//! names, date of birth, sex, dates of issue and expiry, document number), a portrait and a valid
//! MRZ rendered by [`kycd_mrz::render`], then "photographs" every side: perspective, tilt,
//! right-angle rotation, uneven light, glare, blur, noise and JPEG re-encoding on a background.
//! Everything is deterministic from the seed, and each document comes with its [`Truth`].
//!
//! ```no_run
//! use kycd_synth::{DocKind, Generator, Level, Spec};
//! let generator = Generator::load().expect("fonts-ocr-b installed");
//! let doc = generator.generate(&Spec::new(7, DocKind::Passport, Level::Moderate)).unwrap();
//! assert_eq!(doc.truth.mrz_lines.len(), 2);
//! std::fs::write("passport.jpg", &doc.sides[0].photo.jpeg).unwrap();
//! ```
//!
//! Accuracy of `kycd-vision` on these documents: `tests/vision_accuracy.rs` (floors per level) and
//! `cargo run --release -p kycd-synth --example synth_accuracy` (writes `bench/vision/synthetic.md`).
//! Face matching of the printed portraits: `tests/face_portraits.rs` and the example
//! `synth_portraits` (writes `bench/face/synthetic_portraits.md`).

mod error;
mod identity;
mod photo;
mod render;
mod rng;

use std::path::{Path, PathBuf};

use ab_glyph::FontVec;
use image::RgbImage;

pub use error::SynthError;
pub use identity::{DocKind, Truth, Ymd, random_truth};
pub use photo::{Degradation, Level, Photo, encode_jpeg, photograph};
pub use render::{
    DateStyle, FlatSide, PortraitStyle, RenderOptions, SideKind, print_portrait, render_sides,
};
pub use rng::Rng;

/// Where Debian's `fonts-ocr-b` installs the OCR-B font.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    /// Seed: the identity and layout depend on `(seed, kind)` only, the photograph also on `level`,
    /// so one seed gives the same document at every degradation level.
    pub seed: u64,
    /// Passport or ID card.
    pub kind: DocKind,
    /// Photograph parameters.
    pub degradation: Degradation,
    /// Salt of the photograph stream (the level index for [`Spec::new`]).
    pub photo_salt: u64,
    /// Holder photo (any size, cropped to the portrait aspect), or `None` for a silhouette.
    pub portrait: Option<&'a RgbImage>,
    /// Rendering options.
    pub render: RenderOptions,
    /// Long side of the photo in pixels (before a right-angle rotation).
    pub photo_long_side: u32,
}

impl<'a> Spec<'a> {
    /// Defaults for `kind` at `level`: passport photos 1600 × 1200, card photos 1280 × 960.
    pub fn new(seed: u64, kind: DocKind, level: Level) -> Self {
        Self {
            seed,
            kind,
            degradation: level.degradation(),
            photo_salt: level as u64,
            portrait: None,
            render: RenderOptions::for_kind(kind),
            photo_long_side: match kind {
                DocKind::Passport => 1600,
                DocKind::IdCard => 1280,
            },
        }
    }

    /// With a holder photo.
    pub fn with_portrait(mut self, portrait: &'a RgbImage) -> Self {
        self.portrait = Some(portrait);
        self
    }
}

/// One photographed side.
#[derive(Debug, Clone)]
pub struct SynthSide {
    /// Which side.
    pub side: SideKind,
    /// The flat rendering.
    pub flat: RgbImage,
    /// Portrait rectangle in `flat`, when the side has one.
    pub portrait_rect: Option<(u32, u32, u32, u32)>,
    /// The photograph.
    pub photo: Photo,
}

/// A generated document with its ground truth.
#[derive(Debug, Clone)]
pub struct SynthDocument {
    /// Ground truth.
    pub truth: Truth,
    /// Passport: the data page; card: front then back.
    pub sides: Vec<SynthSide>,
}

impl SynthDocument {
    /// The side carrying the MRZ.
    pub fn mrz_side(&self) -> Option<&SynthSide> {
        self.sides.iter().find(|s| s.side.has_mrz())
    }

    /// The side carrying the visual zone and portrait.
    pub fn viz_side(&self) -> Option<&SynthSide> {
        self.sides.iter().find(|s| s.side.has_viz())
    }
}

/// The generator (holds the parsed OCR-B font).
pub struct Generator {
    font: FontVec,
}

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator").finish_non_exhaustive()
    }
}

impl Generator {
    /// Loads the font from `$KYCD_OCRB_FONT`, else [`DEFAULT_FONT`].
    pub fn load() -> Result<Self, SynthError> {
        let path = std::env::var_os("KYCD_OCRB_FONT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_FONT));
        Self::from_path(&path)
    }

    /// Loads the font file at `path`.
    pub fn from_path(path: &Path) -> Result<Self, SynthError> {
        let bytes = std::fs::read(path).map_err(|source| SynthError::FontMissing {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_font_bytes(bytes)
    }

    /// From the bytes of an OpenType/TrueType font.
    pub fn from_font_bytes(bytes: Vec<u8>) -> Result<Self, SynthError> {
        let font =
            FontVec::try_from_vec(bytes).map_err(|e| SynthError::FontInvalid(e.to_string()))?;
        Ok(Self { font })
    }

    /// The identity of `(seed, kind)` (the same one [`Generator::generate`] renders).
    pub fn truth(&self, seed: u64, kind: DocKind) -> Result<Truth, SynthError> {
        random_truth(&mut Rng::new(seed).fork(kind as u64 + 1), kind)
    }

    /// Renders the flat sides of `(seed, kind)`.
    pub fn render(&self, spec: &Spec<'_>, truth: &Truth) -> Vec<FlatSide> {
        let mut rng = Rng::new(spec.seed).fork(100 + spec.kind as u64);
        render_sides(&self.font, truth, spec.portrait, &spec.render, &mut rng)
    }

    /// Generates, renders and photographs one document.
    pub fn generate(&self, spec: &Spec<'_>) -> Result<SynthDocument, SynthError> {
        let truth = self.truth(spec.seed, spec.kind)?;
        self.generate_with(spec, truth, None)
    }

    /// Renders and photographs the document of `truth`; `overprint` is printed in large red letters across the
    /// middle of every side with a visual zone, as on specimen and demo documents ("SPECIMEN").
    pub fn generate_with(
        &self,
        spec: &Spec<'_>,
        truth: Truth,
        overprint: Option<&str>,
    ) -> Result<SynthDocument, SynthError> {
        let mut flats = self.render(spec, &truth);
        if let Some(text) = overprint {
            for f in flats.iter_mut().filter(|f| f.side.has_viz()) {
                self.overprint(&mut f.image, text);
            }
        }
        let base = Rng::new(spec.seed);
        let mut sides = Vec::with_capacity(flats.len());
        for (i, flat) in flats.into_iter().enumerate() {
            let mut rng = base.fork(1_000 + 16 * spec.photo_salt + i as u64);
            let photo = photograph(
                &flat.image,
                &spec.degradation,
                spec.photo_long_side,
                &mut rng,
            )?;
            sides.push(SynthSide {
                side: flat.side,
                flat: flat.image,
                portrait_rect: flat.portrait,
                photo,
            });
        }
        Ok(SynthDocument { truth, sides })
    }

    /// Prints `text` across the middle of `img`, as wide as about 60 % of the page.
    fn overprint(&self, img: &mut RgbImage, text: &str) {
        use ab_glyph::PxScale;
        let probe = PxScale::from(100.0);
        let (w100, _) = imageproc::drawing::text_size(probe, &self.font, text);
        let width = img.width() as f32 * 0.6;
        let scale = PxScale::from(100.0 * width / (w100.max(1) as f32));
        let (tw, th) = imageproc::drawing::text_size(scale, &self.font, text);
        let x = (img.width().saturating_sub(tw) / 2) as i32;
        let y = (img.height() as f32 * 0.40) as i32 - th as i32 / 2;
        imageproc::drawing::draw_text_mut(
            img,
            image::Rgb([200, 30, 30]),
            x,
            y,
            scale,
            &self.font,
            text,
        );
    }
}
