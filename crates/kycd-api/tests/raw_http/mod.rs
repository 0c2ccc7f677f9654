//! A raw HTTP/1.1 client for oversized uploads: it streams a body of any size from a small buffer (chunked or with
//! `Content-Length`) while another thread reads the answer, so a server that answers early and closes is seen.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How the body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// `Transfer-Encoding: chunked` (no `Content-Length`).
    Chunked,
    /// `Content-Length: total`.
    Length,
}

/// POSTs `total` bytes of a JSON-looking body (`{"token":"…","images":{"FRONT":"AAAA…`) to `path` with HTTP basic
/// credentials, and returns the status and the decoded response body.
pub fn post_large(
    addr: &str,
    path: &str,
    user: &str,
    pass: &str,
    total: usize,
    framing: Framing,
) -> (u16, String) {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\n\
         Connection: close\r\n"
    );
    match framing {
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
        Framing::Length => head.push_str(&format!("Content-Length: {total}\r\n\r\n")),
    }
    let mut reader = stream.try_clone().expect("clone socket");
    let answer = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    });
    // Write the body from one 64 KiB buffer; stop at the first write error (the server gave up on the body).
    let prefix = br#"{"token":"0123456789abcdef","images":{"FRONT":""#;
    let piece = vec![b'A'; 64 * 1024];
    let _ = (|| -> std::io::Result<()> {
        stream.write_all(head.as_bytes())?;
        let mut sent = 0usize;
        let mut first = true;
        while sent < total {
            let data: &[u8] = if first {
                first = false;
                &prefix[..prefix.len().min(total)]
            } else {
                &piece[..piece.len().min(total - sent)]
            };
            match framing {
                Framing::Chunked => {
                    stream.write_all(format!("{:x}\r\n", data.len()).as_bytes())?;
                    stream.write_all(data)?;
                    stream.write_all(b"\r\n")?;
                }
                Framing::Length => stream.write_all(data)?,
            }
            sent += data.len();
        }
        if framing == Framing::Chunked {
            stream.write_all(b"0\r\n\r\n")?;
        }
        stream.flush()
    })();
    let raw = answer.join().expect("reader thread");
    parse_response(&raw)
}

/// Status and body (chunked transfer decoded) of a raw HTTP/1.1 response.
pub fn parse_response(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        panic!("no complete response: {text:?}");
    };
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    if !chunked {
        return (status, body.to_string());
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    (status, out)
}
