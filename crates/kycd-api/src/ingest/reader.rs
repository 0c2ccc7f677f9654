//! Chunk sources (the streaming body, or pieces in memory) and the pull reader over them: bytes, UTF-8,
//! JSON strings and escapes.

use super::*;

// ---------------------------------------------------------------------------------------------------------------
// Chunk sources and the reader.
// ---------------------------------------------------------------------------------------------------------------

/// Where the parser's bytes come from.
pub(crate) trait ChunkSource {
    /// The next chunk; `None` at the end of the body (or when the body was abandoned, see [`Self::aborted`]).
    fn next_chunk(&mut self) -> Option<Bytes>;
    /// Whether the body ended without being complete (over the limit, read error): the result is not needed.
    fn aborted(&self) -> bool {
        false
    }
}

/// A body already in memory, possibly in several pieces.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) struct Pieces(std::vec::IntoIter<Bytes>);

#[cfg(any(test, feature = "fuzzing"))]
impl Pieces {
    pub(crate) fn new(pieces: Vec<Bytes>) -> Self {
        Self(pieces.into_iter())
    }
}

#[cfg(any(test, feature = "fuzzing"))]
impl ChunkSource for Pieces {
    fn next_chunk(&mut self) -> Option<Bytes> {
        self.0.next()
    }
}

/// What the reading task sends to the parser.
pub(crate) enum Msg {
    /// More body.
    Chunk(Bytes),
    /// The body is complete.
    End,
}

/// Chunks from the reading task; a closed channel without [`Msg::End`] means the body was abandoned.
pub(crate) struct Channel {
    pub(super) rx: tokio::sync::mpsc::Receiver<Msg>,
    pub(super) aborted: bool,
    pub(super) ended: bool,
}

impl ChunkSource for Channel {
    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.ended || self.aborted {
            return None;
        }
        match self.rx.blocking_recv() {
            Some(Msg::Chunk(b)) => Some(b),
            Some(Msg::End) => {
                self.ended = true;
                None
            }
            None => {
                self.aborted = true;
                None
            }
        }
    }
    fn aborted(&self) -> bool {
        self.aborted
    }
}

/// The fast parser gave up; the reference parser decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reject;

pub(super) type Res<T> = Result<T, Reject>;

/// Expected length of a UTF-8 sequence from its lead byte (only called on the lead of an incomplete sequence).
pub(super) fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

pub(super) struct Reader<S> {
    pub(super) src: S,
    pub(super) chunk: Bytes,
    pub(super) pos: usize,
    /// Every chunk handed out so far (cheap clones), for the reference parser when the fast one rejects.
    pub(super) held: Vec<Bytes>,
    /// Bytes in the chunks before the current one.
    pub(super) consumed: usize,
    /// The announced body size, when known.
    pub(super) size_hint: Option<usize>,
    /// An incomplete UTF-8 sequence at the end of the previous chunk.
    pub(super) utf8_carry: Vec<u8>,
    /// Chunks received but not handed out yet (a body of unknown size is received whole first, see [`Self::new`]).
    pending: std::collections::VecDeque<Bytes>,
    /// Whether the source may be read chunk by chunk as parsing goes.
    streaming: bool,
}

impl<S: ChunkSource> Reader<S> {
    /// A reader over `src`. With a `size_hint` (an announced `Content-Length`, already checked against the limit)
    /// the body is parsed as it streams in. Without one (a chunked body) it is received whole before parsing
    /// starts: until the body is known to fit the limit, only its bytes are held, never the images decoded from
    /// them, so refusing an oversized chunked body costs the limit once (the held chunks are dropped as soon as
    /// the sender gives up); the parse then runs with the exact size as its hint.
    pub(super) fn new(src: S, size_hint: Option<usize>) -> Self {
        Self {
            src,
            chunk: Bytes::new(),
            pos: 0,
            held: Vec::new(),
            consumed: 0,
            size_hint,
            utf8_carry: Vec::new(),
            pending: std::collections::VecDeque::new(),
            streaming: size_hint.is_some(),
        }
    }

    /// The next chunk of the body, receiving it whole first when its size is unknown.
    fn next_source_chunk(&mut self) -> Option<Bytes> {
        if !self.streaming {
            self.streaming = true;
            let mut total = 0usize;
            while let Some(c) = self.src.next_chunk() {
                total += c.len();
                self.pending.push_back(c);
            }
            if self.src.aborted() {
                // Over the limit or broken: nothing of it is needed any more.
                self.pending = std::collections::VecDeque::new();
            } else {
                self.size_hint = Some(total);
            }
        }
        match self.pending.pop_front() {
            Some(c) => Some(c),
            None => self.src.next_chunk(),
        }
    }

    /// UTF-8 validation of the body, chunk by chunk (a sequence may straddle two chunks).
    pub(super) fn check_utf8(&mut self, mut data: &[u8]) -> Res<()> {
        if !self.utf8_carry.is_empty() {
            let want = utf8_len(self.utf8_carry[0]);
            let take = (want - self.utf8_carry.len()).min(data.len());
            self.utf8_carry.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.utf8_carry.len() < want {
                return Ok(());
            }
            std::str::from_utf8(&self.utf8_carry).map_err(|_| Reject)?;
            self.utf8_carry.clear();
        }
        match simdutf8::compat::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.utf8_carry.extend_from_slice(&data[e.valid_up_to()..]);
                Ok(())
            }
            Err(_) => Err(Reject),
        }
    }

    /// Makes the current chunk non-empty; `false` at the end of the body.
    pub(super) fn fill(&mut self) -> Res<bool> {
        while self.pos >= self.chunk.len() {
            let Some(c) = self.next_source_chunk() else {
                if !self.utf8_carry.is_empty() {
                    return Err(Reject);
                }
                return Ok(false);
            };
            self.held.push(c.clone());
            self.check_utf8(&c)?;
            self.consumed += self.chunk.len();
            self.chunk = c;
            self.pos = 0;
        }
        Ok(true)
    }

    pub(super) fn peek(&mut self) -> Res<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.chunk[self.pos])
        } else {
            None
        })
    }

    pub(super) fn next(&mut self) -> Res<u8> {
        if !self.fill()? {
            return Err(Reject);
        }
        let b = self.chunk[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// The unread rest of the current chunk (empty at the end of the body).
    pub(super) fn rest(&mut self) -> Res<&[u8]> {
        self.fill()?;
        Ok(&self.chunk[self.pos..])
    }

    pub(super) fn advance(&mut self, n: usize) {
        self.pos += n;
    }

    /// An upper bound of the body bytes not read yet, when known.
    pub(super) fn remaining_hint(&self) -> Option<usize> {
        let read = self.consumed + self.pos;
        match self.size_hint {
            Some(n) => Some(n.saturating_sub(read)),
            None if self.chunk.len() > self.pos => Some(self.chunk.len() - self.pos),
            None => None,
        }
        .map(|n| n.max(self.chunk.len() - self.pos))
    }

    pub(super) fn ws(&mut self) -> Res<()> {
        loop {
            let rest = self.rest()?;
            if rest.is_empty() {
                return Ok(());
            }
            let n = rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
            match n {
                Some(n) => {
                    self.advance(n);
                    return Ok(());
                }
                None => {
                    let l = rest.len();
                    self.advance(l);
                }
            }
        }
    }

    pub(super) fn expect(&mut self, b: u8) -> Res<()> {
        if self.next()? == b {
            Ok(())
        } else {
            Err(Reject)
        }
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Res<()> {
        for &b in word {
            self.expect(b)?;
        }
        Ok(())
    }

    /// Drains the source and returns the whole body (for the reference parser).
    pub(super) fn into_body(mut self) -> Option<Vec<Bytes>> {
        while let Some(c) = self.next_source_chunk() {
            self.held.push(c);
        }
        if self.src.aborted() {
            None
        } else {
            Some(self.held)
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Strings.
// ---------------------------------------------------------------------------------------------------------------

pub(super) fn hex4<S: ChunkSource>(r: &mut Reader<S>) -> Res<u32> {
    let mut v = 0u32;
    for _ in 0..4 {
        let d = match r.next()? {
            b @ b'0'..=b'9' => b - b'0',
            b @ b'a'..=b'f' => b - b'a' + 10,
            b @ b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(Reject),
        };
        v = v << 4 | u32::from(d);
    }
    Ok(v)
}

/// One escape sequence after its backslash, as a char. Lone surrogates are refused (the reference decides).
pub(super) fn escape<S: ChunkSource>(r: &mut Reader<S>) -> Res<char> {
    Ok(match r.next()? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(r)?;
            let cp = if (0xD800..0xDC00).contains(&hi) {
                r.expect(b'\\')?;
                r.expect(b'u')?;
                let lo = hex4(r)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return Err(Reject);
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            } else {
                hi
            };
            char::from_u32(cp).ok_or(Reject)?
        }
        _ => return Err(Reject),
    })
}

/// Reads the rest of a string (its opening quote consumed), unescaped; `out` is `None` to only validate it.
pub(super) fn string<S: ChunkSource>(r: &mut Reader<S>, mut out: Option<&mut Vec<u8>>) -> Res<()> {
    loop {
        let rest = r.rest()?;
        if rest.is_empty() {
            return Err(Reject);
        }
        let n = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
        let run = &rest[..n];
        if run.iter().any(|&b| b < 0x20) {
            return Err(Reject);
        }
        if let Some(o) = out.as_deref_mut() {
            o.extend_from_slice(run);
        }
        let end = rest.get(n).copied();
        r.advance(n);
        match end {
            Some(b'"') => {
                r.advance(1);
                return Ok(());
            }
            Some(_) => {
                r.advance(1);
                let c = escape(r)?;
                if let Some(o) = out.as_deref_mut() {
                    o.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
            None => {}
        }
    }
}

pub(super) fn owned_string<S: ChunkSource>(r: &mut Reader<S>) -> Res<String> {
    let mut v = Vec::new();
    string(r, Some(&mut v))?;
    String::from_utf8(v).map_err(|_| Reject)
}

// ---------------------------------------------------------------------------------------------------------------
// Image strings: canonical base64 decoded as it streams in.
// ---------------------------------------------------------------------------------------------------------------
