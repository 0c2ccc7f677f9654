//! The fast parser: the top-level object of `/api/v2/process`, its known fields and the images map; anything it
//! does not accept exactly as the reference parser would is rejected, and the reference parser decides.

use super::base64::*;
use super::reader::*;
use super::*;
use std::collections::BTreeMap;

pub(super) fn number<S: ChunkSource>(r: &mut Reader<S>) -> Res<()> {
    pub(super) fn digits<S: ChunkSource>(r: &mut Reader<S>) -> Res<usize> {
        let mut n = 0;
        while let Some(b'0'..=b'9') = r.peek()? {
            r.advance(1);
            n += 1;
        }
        Ok(n)
    }
    if r.peek()? == Some(b'-') {
        r.advance(1);
    }
    match r.next()? {
        b'0' => {
            if let Some(b'0'..=b'9') = r.peek()? {
                return Err(Reject);
            }
        }
        b'1'..=b'9' => {
            digits(r)?;
        }
        _ => return Err(Reject),
    }
    if r.peek()? == Some(b'.') {
        r.advance(1);
        if digits(r)? == 0 {
            return Err(Reject);
        }
    }
    if let Some(b'e' | b'E') = r.peek()? {
        r.advance(1);
        if let Some(b'+' | b'-') = r.peek()? {
            r.advance(1);
        }
        if digits(r)? == 0 {
            return Err(Reject);
        }
    }
    Ok(())
}

/// Validates and skips one JSON value of any depth (iteratively), leading whitespace included.
pub(super) fn skip_value<S: ChunkSource>(r: &mut Reader<S>) -> Res<()> {
    let mut stack: Vec<u8> = Vec::new();
    loop {
        // A value.
        r.ws()?;
        match r.peek()?.ok_or(Reject)? {
            b'{' => {
                r.advance(1);
                r.ws()?;
                if r.peek()? == Some(b'}') {
                    r.advance(1);
                } else {
                    stack.push(b'{');
                    r.expect(b'"')?;
                    string(r, None)?;
                    r.ws()?;
                    r.expect(b':')?;
                    continue;
                }
            }
            b'[' => {
                r.advance(1);
                r.ws()?;
                if r.peek()? == Some(b']') {
                    r.advance(1);
                } else {
                    stack.push(b'[');
                    continue;
                }
            }
            b'"' => {
                r.advance(1);
                string(r, None)?;
            }
            b't' => r.literal(b"true")?,
            b'f' => r.literal(b"false")?,
            b'n' => r.literal(b"null")?,
            b'-' | b'0'..=b'9' => number(r)?,
            _ => return Err(Reject),
        }
        // After a value: close containers or move to the next element.
        loop {
            let Some(&top) = stack.last() else {
                return Ok(());
            };
            r.ws()?;
            match (r.next()?, top) {
                (b',', b'{') => {
                    r.ws()?;
                    r.expect(b'"')?;
                    string(r, None)?;
                    r.ws()?;
                    r.expect(b':')?;
                    break;
                }
                (b',', _) => break,
                (b']', b'[') | (b'}', b'{') => {
                    stack.pop();
                }
                _ => return Err(Reject),
            }
        }
    }
}

/// A string-typed field as the reference sees it.
#[derive(Default)]
pub(super) enum Field {
    #[default]
    Absent,
    Null,
    Str(String),
    /// Present with another JSON type (an error only if the reference looks at it).
    Other,
}

impl Field {
    /// As [`string_field`]: `Err` where the reference reports a type error.
    pub(super) fn resolve(self) -> Res<Option<String>> {
        match self {
            Field::Absent | Field::Null => Ok(None),
            Field::Str(s) => Ok(Some(s)),
            Field::Other => Err(Reject),
        }
    }
}

pub(super) fn scalar<S: ChunkSource>(r: &mut Reader<S>) -> Res<Field> {
    Ok(match r.peek()? {
        Some(b'"') => {
            r.advance(1);
            Field::Str(owned_string(r)?)
        }
        Some(b'n') => {
            r.literal(b"null")?;
            Field::Null
        }
        _ => {
            skip_value(r)?;
            Field::Other
        }
    })
}

pub(super) fn set_once<T>(slot: &mut Option<T>, v: T) -> Res<()> {
    // A repeated known key is an error for the reference (`duplicate field`).
    if slot.replace(v).is_some() {
        Err(Reject)
    } else {
        Ok(())
    }
}

pub(super) fn images<S: ChunkSource>(r: &mut Reader<S>) -> Res<Vec<(String, Option<ImageValue>)>> {
    let mut map: BTreeMap<String, Option<ImageValue>> = BTreeMap::new();
    r.expect(b'{')?;
    r.ws()?;
    if r.peek()? == Some(b'}') {
        r.advance(1);
        return Ok(Vec::new());
    }
    loop {
        r.expect(b'"')?;
        let key = owned_string(r)?;
        r.ws()?;
        r.expect(b':')?;
        r.ws()?;
        let val = match r.peek()? {
            Some(b'"') => {
                r.advance(1);
                Some(image_string(r)?)
            }
            Some(b'n') => {
                r.literal(b"null")?;
                None
            }
            _ => return Err(Reject),
        };
        map.insert(key, val);
        r.ws()?;
        match r.next()? {
            b',' => r.ws()?,
            b'}' => break,
            _ => return Err(Reject),
        }
    }
    Ok(map.into_iter().collect())
}

pub(super) fn parse_fast<S: ChunkSource>(r: &mut Reader<S>) -> Res<ParsedBody> {
    let (mut token, mut auth_token, mut country, mut document_type) = (None, None, None, None);
    let mut skip: Option<bool> = None;
    #[allow(clippy::type_complexity)]
    let mut imgs: Option<Option<Vec<(String, Option<ImageValue>)>>> = None;
    r.ws()?;
    r.expect(b'{')?;
    r.ws()?;
    if r.peek()? == Some(b'}') {
        r.advance(1);
    } else {
        loop {
            r.expect(b'"')?;
            let key = owned_string(r)?;
            r.ws()?;
            r.expect(b':')?;
            r.ws()?;
            match key.as_str() {
                "token" => set_once(&mut token, scalar(r)?)?,
                "authToken" => set_once(&mut auth_token, scalar(r)?)?,
                "country" => set_once(&mut country, scalar(r)?)?,
                "documentType" => set_once(&mut document_type, scalar(r)?)?,
                "skipAnalysis" => {
                    let v = match r.peek()? {
                        Some(b't') => r.literal(b"true").map(|_| true)?,
                        Some(b'f') => r.literal(b"false").map(|_| false)?,
                        Some(b'n') => r.literal(b"null").map(|_| false)?,
                        _ => return Err(Reject),
                    };
                    set_once(&mut skip, v)?;
                }
                "images" => {
                    let v = if r.peek()? == Some(b'n') {
                        r.literal(b"null")?;
                        None
                    } else {
                        Some(images(r)?)
                    };
                    set_once(&mut imgs, v)?;
                }
                _ => skip_value(r)?,
            }
            r.ws()?;
            match r.next()? {
                b',' => r.ws()?,
                b'}' => break,
                _ => return Err(Reject),
            }
        }
    }
    r.ws()?;
    if r.peek()?.is_some() {
        return Err(Reject);
    }
    // The reference's order of field checks: token, then authToken only when token is absent or null.
    let token = match token.unwrap_or_default().resolve()? {
        Some(t) => Some(t),
        None => auth_token.unwrap_or_default().resolve()?,
    };
    Ok(ParsedBody {
        token,
        country: country.unwrap_or_default().resolve()?,
        document_type: document_type.unwrap_or_default().resolve()?,
        skip_analysis: skip.unwrap_or(false),
        images: imgs.flatten(),
    })
}

/// The fast parser alone (`Err` where it defers to the reference); exposed for tests.
#[cfg(test)]
pub(super) fn parse_fast_only(pieces: Vec<Bytes>) -> Res<ParsedBody> {
    let hint = pieces.iter().map(Bytes::len).sum();
    parse_fast(&mut Reader::new(Pieces::new(pieces), Some(hint)))
}

/// Rule 3 over a body from `src`: the fast parser, or the reference parser when the fast one rejects. `None`
/// when the source was abandoned.
pub(crate) fn parse_source<S: ChunkSource>(
    src: S,
    size_hint: Option<usize>,
) -> Option<Result<ParsedBody, ApiFailure>> {
    let mut r = Reader::new(src, size_hint);
    match parse_fast(&mut r) {
        Ok(p) => {
            // Accepted only once the body is known to be complete.
            let _rest = r.into_body()?;
            Some(Ok(p))
        }
        Err(Reject) => {
            let pieces = r.into_body()?;
            let whole: Vec<u8> = if pieces.len() == 1 {
                return Some(parse_body_reference(&pieces[0]));
            } else {
                pieces.concat()
            };
            Some(parse_body_reference(&whole))
        }
    }
}
