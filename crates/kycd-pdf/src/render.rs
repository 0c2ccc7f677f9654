//! Rasterising page 1 with Debian's `pdftoppm` (poppler-utils): no pure-Rust renderer of vector
//! pages is available here. The PDF goes in on stdin and the PNG comes back on stdout; the child
//! is killed after a timeout, and the output size is bounded by the pixel limit computed from the
//! MediaBox before anything runs.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use image::RgbImage;

use crate::error::{PdfError, Result};

/// Name of the renderer binary, overridable with `$KYCD_PDFTOPPM`.
pub const RENDERER: &str = "pdftoppm";

fn renderer() -> String {
    std::env::var("KYCD_PDFTOPPM").unwrap_or_else(|_| RENDERER.to_string())
}

/// Whether the renderer can be started.
pub fn renderer_available() -> bool {
    Command::new(renderer())
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A piped standard stream of the child.
fn pipe<T>(stream: Option<T>, name: &str) -> Result<T> {
    stream.ok_or_else(|| PdfError::Render(format!("no {name}")))
}

/// Renders page 1 of an already validated PDF at `dpi`.
pub(crate) fn render_page1(bytes: &[u8], dpi: u32, timeout: Duration) -> Result<RgbImage> {
    let exe = renderer();
    let mut child = Command::new(&exe)
        .args(["-png", "-f", "1", "-l", "1", "-singlefile", "-r"])
        .arg(dpi.to_string())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => PdfError::RendererMissing(exe.clone()),
            _ => PdfError::Render(format!("cannot start {exe}: {e}")),
        })?;
    let mut stdin = pipe(child.stdin.take(), "stdin")?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        // A renderer that exits early closes the pipe: that error is not ours to report.
        let _ = stdin.write_all(&input);
    });
    let mut stdout = pipe(child.stdout.take(), "stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let res = stdout.read_to_end(&mut out);
        res.map(|_| out)
    });
    let mut stderr = pipe(child.stderr.take(), "stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut err = Vec::new();
        // Bounded: a chatty renderer must not fill the pipe and stall, nor our memory.
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut err);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        String::from_utf8_lossy(&err).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PdfError::Render(format!(
                    "{exe} did not finish within {} s",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(PdfError::Render(e.to_string())),
        }
    };
    let _ = writer.join();
    let out = reader
        .join()
        .map_err(|_| PdfError::Render("reader thread failed".into()))?
        .map_err(|e| PdfError::Render(e.to_string()))?;
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        return Err(PdfError::Render(format!(
            "{exe} exited with {status}: {}",
            err.trim()
        )));
    }
    image::load_from_memory_with_format(&out, image::ImageFormat::Png)
        .map(image::DynamicImage::into_rgb8)
        .map_err(|e| PdfError::Render(format!("renderer output: {e}")))
}
