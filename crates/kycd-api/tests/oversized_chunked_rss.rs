//! Memory bound on refusing an oversized chunked upload (issue 18): a 25 MB `/api/v2/process` body sent chunked
//! (no `Content-Length`) to a 20 MB limit must grow the process's peak RSS by less than 25 MB (the old reader held
//! the received chunks *and* the image decoded from them: ~35 MB). Its own test binary, with one test, so that
//! nothing else runs in the process while the peak is measured (`VmHWM`, reset through `/proc/self/clear_refs`).
//! Linux only; skipped with a note elsewhere.

mod common;
mod raw_http;

use common::spawn_app;
use raw_http::{Framing, post_large};

const MB: usize = 1024 * 1024;

/// `VmHWM` (peak resident set) of this process, bytes.
fn peak_rss() -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak to the current resident set; false when the kernel does not allow it.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_a_25_mb_chunked_body_grows_peak_rss_by_less_than_25_mb() {
    let Some(_) = peak_rss() else {
        eprintln!("no /proc/self/status: peak RSS not measurable here, test skipped");
        return;
    };
    let app = spawn_app().await;
    let p = app.partner(true).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let (user, pass) = (p.api_key.clone(), p.api_secret.clone());
    let send = move |total: usize, framing: Framing| {
        let (addr, user, pass) = (addr.clone(), user.clone(), pass.clone());
        tokio::task::spawn_blocking(move || {
            post_large(&addr, "/api/v2/process", &user, &pass, total, framing)
        })
    };
    // Warm up the runtime, the connection path and the parser thread with a small chunked body.
    let (s, _) = send(64 * 1024, Framing::Chunked).await.unwrap();
    assert_ne!(s, 413);
    for (framing, bound) in [(Framing::Chunked, 25 * MB), (Framing::Length, 25 * MB)] {
        let resettable = reset_peak();
        let before = peak_rss().unwrap();
        let (status, body) = send(25 * MB, framing).await.unwrap();
        let after = peak_rss().unwrap();
        assert_eq!(status, 413, "{body}");
        assert!(body.contains("PAYLOAD_TOO_LARGE"), "{body}");
        let growth = after.saturating_sub(before);
        eprintln!(
            "{framing:?} 25 MB body refused: peak RSS growth {:.1} MB (peak reset: {resettable})",
            growth as f64 / MB as f64
        );
        assert!(
            growth < bound,
            "{framing:?}: peak RSS grew by {:.1} MB refusing a 25 MB body (bound {} MB)",
            growth as f64 / MB as f64,
            bound / MB
        );
    }
}
