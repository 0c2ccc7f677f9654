//! Signs of a made-up or edited document image, read next to the document itself: editing software named in the
//! metadata, specimen words printed on the page, and the perceptual hash that finds one image reused by several
//! customers. The fraud stage of the pipeline turns these into tags.

/// Words printed on specimen documents.
pub const SPECIMEN_WORDS: &[&str] = &[
    "SPECIMEN",
    "SPÉCIMEN",
    "MUSTER",
    "MUESTRA",
    "CAMPIONE",
    "WZÓR",
    "WZOR",
    "PARAUGS",
    "PAVYZDYS",
    "NÄIDIS",
    "MINTA",
    "VZOR",
    "UZORAK",
    "ESEMPIO",
    "EXEMPLAR",
    "MALLI",
    "PRØVE",
    "PROV",
    "MODELO",
];

/// Phrases printed across demo and sample documents (every word of one phrase on the same OCR line), such as
/// "THIS IS FAKE DOCUMENT FOR DEMO PURPOSES ONLY" on published demo passports.
pub const DEMO_PHRASES: &[&[&str]] = &[
    &["FAKE", "DOCUMENT"],
    &["DEMO", "PURPOSES"],
    &["DEMONSTRATION", "PURPOSES"],
    &["SAMPLE", "DOCUMENT"],
    &["NOT", "A", "VALID", "DOCUMENT"],
];

/// Long, unmistakable specimen and demo markings looked for inside the letters of one OCR line, spaces and
/// punctuation dropped, with one OCR slip allowed. An overprint crosses the printed fields, so the recogniser often
/// merges it with them or garbles a letter ("FAKESDOCUMENT FOR NaEMOnRURROSES ONLY" read on a synthetic ID card).
const MARKINGS: &[&str] = &[
    "SPECIMEN",
    "THISISFAKE",
    "FAKEDOCUMENT",
    "DEMOPURPOSES",
    "SAMPLEDOCUMENT",
    "DEMONSTRATIONPURPOSES",
];

/// Whether any OCR line holds a specimen word (SPECIMEN, MUSTER, …) as a whole word, a demo-document phrase, or one
/// of the [`MARKINGS`] within one edit inside its letters.
pub fn has_specimen_word<'a>(lines: impl IntoIterator<Item = &'a str>) -> bool {
    let lines: Vec<&str> = lines.into_iter().collect();
    // The recogniser also cuts an overprint into several boxes ("THIS", "IS", "FAK"): the markings are looked for in
    // the letters of all lines in reading order too.
    let all: Vec<char> = letters(&lines.concat().to_uppercase());
    MARKINGS.iter().any(|m| substring_distance(&all, m) <= 1)
        || lines.iter().any(|l| {
            let upper = l.to_uppercase();
            let words: Vec<&str> = upper
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            words.iter().any(|w| SPECIMEN_WORDS.contains(w))
                || DEMO_PHRASES
                    .iter()
                    .any(|p| p.iter().all(|pw| words.contains(pw)))
        })
}

/// The letters of upper-case text, spaces, digits and punctuation dropped (`É` as `E`).
fn letters(upper: &str) -> Vec<char> {
    upper
        .chars()
        .filter(|c| c.is_alphabetic())
        .map(|c| if c == 'É' { 'E' } else { c })
        .collect()
}

/// The fewest edits (insertions, deletions, substitutions) that turn some substring of `text` into `pattern`.
fn substring_distance(text: &[char], pattern: &str) -> usize {
    let p: Vec<char> = pattern.chars().collect();
    // prev[j]: edits for pattern[..j] ending at the previous text position; a match may start anywhere (row 0 = 0).
    let mut prev: Vec<usize> = (0..=p.len()).collect();
    let mut best = prev[p.len()];
    for &t in text {
        let mut cur = vec![0; p.len() + 1];
        for j in 1..=p.len() {
            let sub = prev[j - 1] + usize::from(p[j - 1] != t);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        best = best.min(cur[p.len()]);
        prev = cur;
    }
    best
}

/// Share of the page's pixels that must be red ink before [`red_ink`] keeps it (a stamp, an overprint).
const RED_INK_MIN_SHARE: f64 = 0.003;

/// The page's strongly red ink alone, black on white, when there is enough of it to hold text. Specimen and demo
/// overprints are printed in red across the fields and the portrait, and the recogniser reading the whole page
/// loses them among the text under them (measured on synthetic documents: "THIS", "1s" and nothing more of "THIS IS
/// FAKE DOCUMENT FOR DEMO PURPOSES ONLY", "ECEN" of "SPECIMEN"); read alone, the red ink is plain text on white.
pub fn red_ink(img: &image::RgbImage) -> Option<image::RgbImage> {
    let is_red = |p: &image::Rgb<u8>| {
        let [r, g, b] = p.0.map(i32::from);
        r >= 110 && r - g >= 60 && r - b >= 60
    };
    // Counted first: most pages have no red ink, and then no copy of the page is made.
    let red = img.pixels().filter(|p| is_red(p)).count();
    let pixels = (img.width() as usize * img.height() as usize).max(1);
    if (red as f64 / pixels as f64) < RED_INK_MIN_SHARE {
        return None;
    }
    Some(image::RgbImage::from_fn(
        img.width(),
        img.height(),
        |x, y| {
            if is_red(img.get_pixel(x, y)) {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        },
    ))
}

/// Names of image editors looked for in EXIF `Software` / XMP `CreatorTool` (cameras and phones write their own
/// firmware names there; editors write theirs).
const EDITORS: &[&str] = &[
    "photoshop",
    "gimp",
    "lightroom",
    "affinity photo",
    "pixelmator",
    "paint.net",
    "corel",
    "paintshop",
    "snapseed",
    "facetune",
    "picsart",
    "photopea",
    "krita",
    "canva",
    "fotor",
    "photoscape",
    "luminar",
];

/// The editing software named in an image's metadata (EXIF Software tag or XMP CreatorTool), if any.
pub fn editing_software(bytes: &[u8]) -> Option<String> {
    // Metadata sits in the first segments of a JPEG/PNG; look at a bounded prefix only.
    let head = &bytes[..bytes.len().min(256 * 1024)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    EDITORS
        .iter()
        .find(|e| text.contains(*e))
        .map(|e| e.to_string())
}

/// 64-bit difference hash of a 9×8 grey thumbnail (robust to re-encoding and resizing).
pub fn dhash(img: &image::RgbImage) -> u64 {
    let grey = image::imageops::grayscale(img);
    let small = image::imageops::resize(&grey, 9, 8, image::imageops::FilterType::Triangle);
    let mut h = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let a = small.get_pixel(x, y)[0];
            let b = small.get_pixel(x + 1, y)[0];
            h = (h << 1) | u64::from(a > b);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn specimen_words_and_demo_phrases_are_found() {
        assert!(has_specimen_word(["PASSPORT", "Spécimen"]));
        assert!(has_specimen_word([
            "THIS IS FAKE DOCUMENT FOR DEMO PURPOSES ONLY"
        ]));
        assert!(has_specimen_word(["for demo purposes"]));
        assert!(!has_specimen_word([
            "REPUBLIC OF FAKELAND",
            "DOCUMENT NO 123"
        ]));
        assert!(!has_specimen_word(["MUSTERMANNSTRASSE 5"]));
        // Overprints merged with the fields under them, cut into boxes, or with a letter misread (read on synthetic
        // documents).
        assert!(has_specimen_word(["Surname", "THIS", "IS", "FAK", "Sex"]));
        assert!(has_specimen_word([
            "IS FAKESDOCUMENT FOR NaEMOnRURROSES ONLY"
        ]));
        assert!(has_specimen_word(["SURNAME SPEC1MEN ERIKSSON"]));
        assert!(has_specimen_word(["dateSPECIMNof birth"]));
        // Ordinary fields and labels stay clear.
        assert!(!has_specimen_word([
            "Document No.",
            "SPENCER",
            "SPECTOR MEN",
            "DEMOS PURPOSE"
        ]));
    }

    #[test]
    fn red_ink_keeps_only_red_text() {
        // Dark text with a red stamp across it.
        let img = image::RgbImage::from_fn(200, 100, |x, y| {
            if (40..160).contains(&x) && (45..55).contains(&y) {
                image::Rgb([200, 30, 30])
            } else if y % 10 == 0 {
                image::Rgb([20, 20, 30])
            } else {
                image::Rgb([240, 235, 220])
            }
        });
        let red = red_ink(&img).expect("the stamp is kept");
        assert_eq!(red.get_pixel(100, 50).0, [0, 0, 0]);
        assert_eq!(red.get_pixel(100, 10).0, [255, 255, 255]);
        // A page without red ink gives nothing to read.
        let plain = image::RgbImage::from_pixel(200, 100, image::Rgb([240, 235, 220]));
        assert!(red_ink(&plain).is_none());
    }

    #[test]
    fn substring_distance_counts_edits() {
        let t = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(substring_distance(&t("XXSPECIMENYY"), "SPECIMEN"), 0);
        assert_eq!(substring_distance(&t("SPECIIMEN"), "SPECIMEN"), 1);
        assert_eq!(substring_distance(&t("SPECMEN"), "SPECIMEN"), 1);
        assert_eq!(substring_distance(&t("SPXCIMXN"), "SPECIMEN"), 2);
        assert_eq!(substring_distance(&t(""), "AB"), 2);
    }

    #[test]
    fn editing_software_is_found_in_metadata() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend_from_slice(b"Exif\0\0....Adobe Photoshop 25.0 (Windows)....");
        assert_eq!(editing_software(&jpeg).as_deref(), Some("photoshop"));
        let camera = b"\xFF\xD8\xFF\xE1Exif\0\0 Software: iPhone 15 Pro 17.1";
        assert_eq!(editing_software(camera), None);
    }

    #[test]
    fn dhash_survives_resizing_and_differs_between_images() {
        let img = image::RgbImage::from_fn(200, 120, |x, y| {
            image::Rgb([(x % 256) as u8, (y * 2 % 256) as u8, 40])
        });
        let small = image::imageops::resize(&img, 100, 60, image::imageops::FilterType::Triangle);
        let hd = (dhash(&img) ^ dhash(&small)).count_ones();
        assert!(hd <= 4, "hamming {hd}");
        let other = image::RgbImage::from_fn(200, 120, |x, y| {
            image::Rgb([(y % 256) as u8, (x * 3 % 256) as u8, 200])
        });
        assert!((dhash(&img) ^ dhash(&other)).count_ones() > 10);
    }
}
