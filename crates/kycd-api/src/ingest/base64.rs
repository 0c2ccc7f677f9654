//! Image strings: canonical base64 decoded by the SIMD decoder straight into the image buffer while the chunks
//! arrive; anything else kept as text.

use super::reader::*;
use super::*;

/// Longest `data:…,` prefix decoded on the fast path; longer ones are left to the reference decoder.
pub(super) const MAX_DATA_PREFIX: usize = 1024;

pub(super) enum B64State {
    /// The first bytes, until it is known whether the value starts with `data:`.
    Start(Vec<u8>),
    /// Canonical base64 being decoded; `pending` holds the bytes of an incomplete group (or a final padded group
    /// held back until the string ends).
    Fast {
        prefix: Vec<u8>,
        out: Vec<u8>,
        pending: Vec<u8>,
    },
    /// Not canonical: the text is kept for the reference decoder.
    Text(Vec<u8>),
}

pub(super) struct B64Stream {
    pub(super) state: B64State,
    /// Decoded bytes to reserve on the first decode (from the body size still to come).
    pub(super) reserve: usize,
}

pub(super) fn has_control(b: &[u8]) -> bool {
    b.iter().any(|&c| c < 0x20)
}

impl B64Stream {
    pub(super) fn new(reserve: usize) -> Self {
        Self {
            state: B64State::Start(Vec::new()),
            reserve,
        }
    }

    /// Gives up decoding: the text so far (prefix, the decoded groups re-encoded — canonical groups re-encode to
    /// exactly the text they came from — and the pending bytes) followed by `more`.
    #[allow(clippy::wrong_self_convention)]
    pub(super) fn to_text(&mut self, more: &[u8]) {
        let text = match std::mem::replace(&mut self.state, B64State::Text(Vec::new())) {
            B64State::Start(mut t) | B64State::Text(mut t) => {
                t.extend_from_slice(more);
                t
            }
            B64State::Fast {
                mut prefix,
                out,
                pending,
            } => {
                base64_simd::STANDARD.encode_append(&out, &mut prefix);
                prefix.extend_from_slice(&pending);
                prefix.extend_from_slice(more);
                prefix
            }
        };
        self.state = B64State::Text(text);
    }

    /// Decodes a run of canonical groups into `out`, reserving room first.
    pub(super) fn decode_into(out: &mut Vec<u8>, reserve: &mut usize, groups: &[u8]) -> bool {
        let need = groups.len() / 4 * 3;
        if out.capacity() - out.len() < need {
            out.reserve(need.max(std::mem::take(reserve)));
        }
        base64_simd::STANDARD.decode_append(groups, out).is_ok()
    }

    /// Bytes of the string: `raw` is straight from the body (a control character there is a JSON error), else the
    /// UTF-8 of an escape sequence.
    pub(super) fn push(&mut self, data: &[u8], raw: bool) -> Res<()> {
        if data.is_empty() {
            return Ok(());
        }
        match &mut self.state {
            B64State::Text(t) => {
                if raw && has_control(data) {
                    return Err(Reject);
                }
                t.extend_from_slice(data);
                Ok(())
            }
            B64State::Start(head) => {
                // Up to the comma of a `data:` prefix, or the first five bytes otherwise.
                let mut i = 0;
                while i < data.len() {
                    let b = data[i];
                    if raw && b < 0x20 {
                        return Err(Reject);
                    }
                    head.push(b);
                    i += 1;
                    let is_data = head.len() <= 5 && b"data:".starts_with(head.as_slice())
                        || head.len() > 5 && head.starts_with(b"data:");
                    if !is_data {
                        // Not a data URL: everything so far is base64 text.
                        let head = std::mem::take(head);
                        self.state = B64State::Fast {
                            prefix: Vec::new(),
                            out: Vec::new(),
                            pending: Vec::new(),
                        };
                        self.push(&head, false)?;
                        return self.push(&data[i..], raw);
                    }
                    if head.len() > 5 && b == b',' {
                        let prefix = std::mem::take(head);
                        self.state = B64State::Fast {
                            prefix,
                            out: Vec::new(),
                            pending: Vec::new(),
                        };
                        return self.push(&data[i..], raw);
                    }
                    if head.len() > MAX_DATA_PREFIX {
                        self.to_text(&data[i..]);
                        if raw && has_control(&data[i..]) {
                            return Err(Reject);
                        }
                        return Ok(());
                    }
                }
                Ok(())
            }
            B64State::Fast { out, pending, .. } => {
                let mut data = data;
                if pending.len() == 4 {
                    // A padded group was held back, and more text follows: not canonical.
                    return self.text_with(data, raw);
                }
                if !pending.is_empty() {
                    let take = (4 - pending.len()).min(data.len());
                    if raw && has_control(&data[..take]) {
                        return Err(Reject);
                    }
                    pending.extend_from_slice(&data[..take]);
                    data = &data[take..];
                    if pending.len() < 4 {
                        return Ok(());
                    }
                    if pending[3] == b'=' {
                        if data.is_empty() {
                            return Ok(()); // maybe the final group
                        }
                        return self.text_with(data, raw);
                    }
                    let group = std::mem::take(pending);
                    if !Self::decode_into(out, &mut self.reserve, &group) {
                        *pending = group;
                        return self.text_with(data, raw);
                    }
                }
                let mut m = data.len() / 4 * 4;
                if m > 0 && data[m - 1] == b'=' {
                    m -= 4; // hold back what may be the final padded group
                }
                if m > 0 && !Self::decode_into(out, &mut self.reserve, &data[..m]) {
                    return self.text_with(data, raw);
                }
                let tail = &data[m..];
                if tail.len() > 4 {
                    // A padded group with more text after it: not canonical (and `pending` holds at most a group).
                    return self.text_with(tail, raw);
                }
                if raw && has_control(tail) {
                    return Err(Reject);
                }
                pending.extend_from_slice(tail);
                Ok(())
            }
        }
    }

    pub(super) fn text_with(&mut self, data: &[u8], raw: bool) -> Res<()> {
        if raw && has_control(data) {
            return Err(Reject);
        }
        self.to_text(data);
        Ok(())
    }

    pub(super) fn finish(mut self) -> Res<ImageValue> {
        if let B64State::Fast { out, pending, .. } = &mut self.state {
            if pending.is_empty() || Self::decode_into(out, &mut 0, pending) {
                let mut out = std::mem::take(out);
                if out.capacity() - out.len() > 1 << 20 {
                    out.shrink_to_fit();
                }
                return Ok(ImageValue::Decoded(out));
            }
            self.to_text(&[]);
        }
        match self.state {
            B64State::Start(t) | B64State::Text(t) => String::from_utf8(t)
                .map(ImageValue::Text)
                .map_err(|_| Reject),
            B64State::Fast { .. } => Err(Reject),
        }
    }
}

/// Reads an image string (its opening quote consumed).
pub(super) fn image_string<S: ChunkSource>(r: &mut Reader<S>) -> Res<ImageValue> {
    let reserve = r.remaining_hint().map(|n| n / 4 * 3 + 3).unwrap_or(0);
    let mut dec = B64Stream::new(reserve);
    loop {
        let rest = r.rest()?;
        if rest.is_empty() {
            return Err(Reject);
        }
        let n = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
        let end = rest.get(n).copied();
        dec.push(&rest[..n], true)?;
        r.advance(n);
        match end {
            Some(b'"') => {
                r.advance(1);
                return dec.finish();
            }
            Some(_) => {
                r.advance(1);
                let c = escape(r)?;
                dec.push(c.encode_utf8(&mut [0; 4]).as_bytes(), false)?;
            }
            None => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Values and the top-level object.
// ---------------------------------------------------------------------------------------------------------------
