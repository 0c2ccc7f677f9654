//! Reads documents under all four rotations and prints what the visual zone gives for each, to check
//! that rotated fronts without an MRZ are read upright.
//!
//! `cargo run --release -p kycd-vision --example orient -- IMAGE...`
use std::time::Instant;

use kycd_vision::{OcrEngine, ReadOptions, Rotation, decode_image, read_document};

fn main() {
    let engine = OcrEngine::from_env().expect("models (scripts/setup.sh)");
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read image");
        let img = decode_image(&bytes, &Default::default()).expect("decode");
        for rot in [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270] {
            let rotated = rot.apply(&img);
            let t = Instant::now();
            let r = read_document(&engine, &rotated, &ReadOptions::default()).expect("read");
            println!(
                "{path} rot {:>3}: {:>5} ms mrz {:?} at {:>3} type {:?} portrait {} viz {:?}",
                rot.degrees(),
                t.elapsed().as_millis(),
                r.mrz.status,
                r.mrz.rotation.degrees(),
                r.doc_type,
                r.portrait.is_some(),
                r.viz
            );
        }
    }
}
