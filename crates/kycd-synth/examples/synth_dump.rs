//! Writes a few synthetic documents (flat PNG + photographed JPEG + ground truth) to a folder for
//! visual inspection.
//!
//! `cargo run -p kycd-synth --example synth_dump -- OUT_DIR [COUNT] [PORTRAIT_IMAGE]`

use kycd_synth::{DocKind, Generator, Level, Spec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "synth-out".into()));
    let count: u64 = args.next().map_or(Ok(2), |s| s.parse())?;
    let portrait = match args.next() {
        Some(p) => Some(image::open(p)?.to_rgb8()),
        None => None,
    };
    std::fs::create_dir_all(&out)?;
    let generator = Generator::load()?;
    for seed in 0..count {
        for kind in DocKind::ALL {
            for level in Level::ALL {
                let mut spec = Spec::new(seed, kind, level);
                if let Some(p) = &portrait {
                    spec = spec.with_portrait(p);
                }
                let doc = generator.generate(&spec)?;
                for side in &doc.sides {
                    let stem = format!(
                        "{}-{seed}-{}-{}",
                        kind.name(),
                        side.side.name(),
                        level.name()
                    );
                    if level == Level::Clean {
                        side.flat.save(out.join(format!(
                            "{}-{seed}-{}-flat.png",
                            kind.name(),
                            side.side.name()
                        )))?;
                    }
                    std::fs::write(out.join(format!("{stem}.jpg")), &side.photo.jpeg)?;
                }
                if level == Level::Clean {
                    std::fs::write(
                        out.join(format!("{}-{seed}-truth.txt", kind.name())),
                        format!("{:#?}\n", doc.truth),
                    )?;
                }
            }
        }
    }
    println!("wrote {}", out.display());
    Ok(())
}
