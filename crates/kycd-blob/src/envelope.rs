//! At-rest envelope encryption of blobs (AES-256-GCM).
//!
//! Every object gets its own random 256-bit data key (DEK). The DEK is wrapped with the key-encryption key (KEK,
//! derived from the server's master key file) and stored in the object's header; the content is encrypted with the
//! DEK in segments of [`SEGMENT`] bytes so that large images are sealed and opened on several cores and a truncated or
//! reordered object fails authentication. The object key is bound into every tag, so an object copied under another
//! key does not open.
//!
//! Layout (all integers big-endian):
//!
//! | bytes     | content                                                        |
//! |-----------|----------------------------------------------------------------|
//! | 0..8      | magic `KYCDENV1`                                               |
//! | 8..12     | segment size                                                   |
//! | 12..24    | nonce of the DEK wrap                                          |
//! | 24..72    | wrapped DEK (32 bytes + 16-byte tag), AAD = `kycd/dek/v1` ‖ key |
//! | 72..80    | nonce prefix of the segments                                   |
//! | 80..      | segments: ciphertext ‖ tag; nonce = prefix ‖ index, AAD = key ‖ index ‖ last |

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

/// Magic bytes at the start of every sealed object.
pub const MAGIC: &[u8; 8] = b"KYCDENV1";
/// Plaintext bytes per segment.
pub const SEGMENT: usize = 1 << 20;
const HEADER: usize = 80;
/// Bytes at the start of a sealed object that name its wrapped data key (magic, segment size, wrap nonce, wrapped
/// key): what [`Envelope::wrapping`] reads.
pub const HEADER_LEN: usize = 72;
/// Bytes of the authentication tag after each segment.
pub const TAG: usize = 16;
/// Objects at least this large are sealed/opened on several threads.
const PARALLEL_FROM: usize = 4 * SEGMENT;

/// Envelope errors.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The sealed object is malformed, was tampered with, or the key is wrong.
    #[error("encrypted blob failed authentication (tampered, truncated or wrong master key)")]
    Authentication,
    /// The OS random generator failed.
    #[error("random generator failed")]
    Random,
}

/// Seals and opens blobs with a key-encryption key. During a master-key rotation it also holds the previous KEK:
/// objects whose data key is still wrapped with it open, and [`Envelope::rewrap_header`] moves them to the new one.
pub struct Envelope {
    kek: LessSafeKey,
    previous: Option<LessSafeKey>,
}

/// Which key-encryption key wraps an object's data key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// The current KEK.
    Current,
    /// The previous KEK (a rotation has not reached the object yet).
    Previous,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Envelope(**redacted**)")
    }
}

fn key_of(bytes: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte AES-256 key"))
}

fn random<const N: usize>() -> Result<[u8; N], EnvelopeError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| EnvelopeError::Random)?;
    Ok(b)
}

fn segment_nonce(prefix: &[u8; 8], index: usize) -> Nonce {
    let mut n = [0u8; 12];
    n[..8].copy_from_slice(prefix);
    n[8..].copy_from_slice(&(index as u32).to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

fn segment_aad(object: &str, index: usize, last: bool) -> Vec<u8> {
    let mut a = Vec::with_capacity(object.len() + 5);
    a.extend_from_slice(object.as_bytes());
    a.extend_from_slice(&(index as u32).to_be_bytes());
    a.push(u8::from(last));
    a
}

fn dek_aad(object: &str) -> Vec<u8> {
    let mut a = b"kycd/dek/v1\0".to_vec();
    a.extend_from_slice(object.as_bytes());
    a
}

/// Encrypts segment `i` of `segments` in place and writes its tag to `tag_out`.
fn seal_segment(
    dek: &LessSafeKey,
    prefix: &[u8; 8],
    object: &str,
    (i, segments): (usize, usize),
    data: &mut [u8],
    tag_out: &mut [u8],
) -> Result<(), EnvelopeError> {
    let tag = dek
        .seal_in_place_separate_tag(
            segment_nonce(prefix, i),
            Aad::from(segment_aad(object, i, i + 1 == segments)),
            data,
        )
        .map_err(|_| EnvelopeError::Authentication)?;
    tag_out.copy_from_slice(tag.as_ref());
    Ok(())
}

/// One segment to seal in place: its index, its bytes and where its tag goes.
type Segment<'a> = (usize, (&'a mut [u8], &'a mut [u8; TAG]));

/// Runs `f` over the items, on several threads when `parallel`.
fn for_each<T: Send, E: Send>(
    items: Vec<T>,
    parallel: bool,
    f: impl Fn(T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let threads = if parallel {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(items.len())
    } else {
        1
    };
    if threads <= 1 {
        return items.into_iter().try_for_each(f);
    }
    let mut groups: Vec<Vec<T>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, it) in items.into_iter().enumerate() {
        groups[i % threads].push(it);
    }
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = groups
            .into_iter()
            .map(|g| s.spawn(move || g.into_iter().try_for_each(f)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("envelope worker panicked"))
    })
}

/// Whether `data` is a sealed object (starts with the magic).
pub fn is_sealed(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

impl Envelope {
    /// An envelope with the given 256-bit key-encryption key.
    pub fn new(kek: &[u8; 32]) -> Self {
        Self::with_previous(kek, None)
    }

    /// An envelope that seals with `kek` and also opens objects whose data key `previous` wraps.
    pub fn with_previous(kek: &[u8; 32], previous: Option<&[u8; 32]>) -> Self {
        Self {
            kek: key_of(kek),
            previous: previous.map(key_of),
        }
    }

    /// The data key of a sealed object (from its first [`HEADER_LEN`] bytes) and which KEK wraps it.
    fn unwrap_dek(
        &self,
        object: &str,
        header: &[u8],
    ) -> Result<([u8; 32], Wrapping), EnvelopeError> {
        if header.len() < HEADER_LEN || !is_sealed(header) {
            return Err(EnvelopeError::Authentication);
        }
        let wrap_nonce: [u8; 12] = header[12..24].try_into().expect("12 bytes");
        let candidates = std::iter::once((&self.kek, Wrapping::Current))
            .chain(self.previous.iter().map(|k| (k, Wrapping::Previous)));
        for (kek, which) in candidates {
            let mut wrapped: [u8; 48] = header[24..72].try_into().expect("48 bytes");
            if let Ok(plain) = kek.open_in_place(
                Nonce::assume_unique_for_key(wrap_nonce),
                Aad::from(dek_aad(object)),
                &mut wrapped,
            ) {
                return Ok(((&*plain).try_into().expect("32-byte DEK"), which));
            }
        }
        Err(EnvelopeError::Authentication)
    }

    /// Which KEK wraps the data key of the object whose header (its first [`HEADER_LEN`] bytes) is given.
    pub fn wrapping(&self, object: &str, header: &[u8]) -> Result<Wrapping, EnvelopeError> {
        self.unwrap_dek(object, header).map(|(_, w)| w)
    }

    /// Re-wraps the data key of a sealed object with the current KEK, in place (only header bytes change; the
    /// content stays as it is). Returns what wrapped it before; [`Wrapping::Current`] leaves the bytes untouched.
    pub fn rewrap_header(
        &self,
        object: &str,
        sealed: &mut [u8],
    ) -> Result<Wrapping, EnvelopeError> {
        let (dek, which) = self.unwrap_dek(object, sealed)?;
        if which == Wrapping::Current {
            return Ok(which);
        }
        let (wrap_nonce, wrapped) = self.wrap_dek(object, &dek)?;
        sealed[12..24].copy_from_slice(&wrap_nonce);
        sealed[24..72].copy_from_slice(&wrapped);
        Ok(which)
    }

    /// A data key wrapped with the current KEK for `object`: the wrap nonce and the wrapped key (48 bytes).
    fn wrap_dek(&self, object: &str, dek: &[u8; 32]) -> Result<([u8; 12], Vec<u8>), EnvelopeError> {
        let wrap_nonce: [u8; 12] = random()?;
        let mut wrapped = dek.to_vec();
        self.kek
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(wrap_nonce),
                Aad::from(dek_aad(object)),
                &mut wrapped,
            )
            .map_err(|_| EnvelopeError::Authentication)?;
        Ok((wrap_nonce, wrapped))
    }

    /// The object header (magic, segment size, wrapped data key, nonce prefix) for a fresh data key.
    fn begin(&self, object: &str) -> Result<(Vec<u8>, LessSafeKey, [u8; 8]), EnvelopeError> {
        let dek_bytes: [u8; 32] = random()?;
        let prefix: [u8; 8] = random()?;
        let (wrap_nonce, wrapped) = self.wrap_dek(object, &dek_bytes)?;
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&(SEGMENT as u32).to_be_bytes());
        header.extend_from_slice(&wrap_nonce);
        header.extend_from_slice(&wrapped);
        header.extend_from_slice(&prefix);
        debug_assert_eq!(header.len(), HEADER);
        Ok((header, key_of(&dek_bytes), prefix))
    }

    /// Encrypts `plain` for the object `object` (its storage key).
    pub fn seal(&self, object: &str, plain: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let (header, dek, prefix) = self.begin(object)?;
        let segments = plain.len().div_ceil(SEGMENT).max(1);
        let mut out = Vec::with_capacity(HEADER + plain.len() + segments * TAG);
        out.extend_from_slice(&header);
        for i in 0..segments {
            let chunk =
                &plain[(i * SEGMENT).min(plain.len())..((i + 1) * SEGMENT).min(plain.len())];
            out.extend_from_slice(chunk);
            out.extend_from_slice(&[0u8; TAG]);
        }
        let items: Vec<(usize, &mut [u8])> = out[HEADER..]
            .chunks_mut(SEGMENT + TAG)
            .enumerate()
            .collect();
        for_each(items, plain.len() >= PARALLEL_FROM, |(i, seg)| {
            let (data, tag_out) = seg.split_at_mut(seg.len() - TAG);
            seal_segment(&dek, &prefix, object, (i, segments), data, tag_out)
        })?;
        Ok(out)
    }

    /// Encrypts `data` in place for the object `object`, without copying it: returns the header and one
    /// tag per [`SEGMENT`]. The sealed object is the header followed by, for each segment, the segment's
    /// bytes (now ciphertext) and its tag: byte for byte what [`Envelope::seal`] returns.
    pub fn seal_in_place(
        &self,
        object: &str,
        data: &mut [u8],
    ) -> Result<(Vec<u8>, Vec<[u8; TAG]>), EnvelopeError> {
        let (header, dek, prefix) = self.begin(object)?;
        let segments = data.len().div_ceil(SEGMENT).max(1);
        let parallel = data.len() >= PARALLEL_FROM;
        let mut tags = vec![[0u8; TAG]; segments];
        let items: Vec<Segment<'_>> = if data.is_empty() {
            vec![(0, (data, &mut tags[0]))]
        } else {
            data.chunks_mut(SEGMENT)
                .zip(tags.iter_mut())
                .enumerate()
                .collect()
        };
        for_each(items, parallel, |(i, (seg, tag_out))| {
            seal_segment(&dek, &prefix, object, (i, segments), seg, tag_out)
        })?;
        Ok((header, tags))
    }

    /// Decrypts an object sealed for `object`.
    pub fn open(&self, object: &str, sealed: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let mut buf = sealed.to_vec();
        let n = self.open_in_place(object, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Decrypts an object sealed for `object` in its own buffer: on success the plaintext is
    /// `sealed[..n]` for the returned `n` (on failure the buffer holds garbage).
    pub fn open_in_place(&self, object: &str, sealed: &mut [u8]) -> Result<usize, EnvelopeError> {
        if sealed.len() < HEADER + TAG || !is_sealed(sealed) {
            return Err(EnvelopeError::Authentication);
        }
        let seg = u32::from_be_bytes(sealed[8..12].try_into().expect("4 bytes")) as usize;
        if !(4096..=(64 << 20)).contains(&seg) {
            return Err(EnvelopeError::Authentication);
        }
        let (dek_arr, _) = self.unwrap_dek(object, sealed)?;
        let dek = key_of(&dek_arr);
        let prefix: [u8; 8] = sealed[72..80].try_into().expect("8 bytes");
        let payload_len = sealed.len() - HEADER;
        let segments = payload_len.div_ceil(seg + TAG);
        let last_len = payload_len - (segments - 1) * (seg + TAG);
        if last_len < TAG {
            return Err(EnvelopeError::Authentication);
        }
        let items: Vec<(usize, &mut [u8])> =
            sealed[HEADER..].chunks_mut(seg + TAG).enumerate().collect();
        for_each(items, payload_len >= PARALLEL_FROM, |(i, s)| {
            dek.open_in_place(
                segment_nonce(&prefix, i),
                Aad::from(segment_aad(object, i, i + 1 == segments)),
                s,
            )
            .map(|_| ())
            .map_err(|_| EnvelopeError::Authentication)
        })?;
        // Drop the header and the tags: move each segment's plaintext down to the front.
        let mut w = 0;
        for i in 0..segments {
            let start = HEADER + i * (seg + TAG);
            let len = if i + 1 == segments {
                last_len - TAG
            } else {
                seg
            };
            sealed.copy_within(start..start + len, w);
            w += len;
        }
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env() -> Envelope {
        Envelope::new(&[9u8; 32])
    }

    #[test]
    fn rewrapping_moves_an_object_to_the_new_key_without_touching_its_content() {
        let old = Envelope::new(&[1u8; 32]);
        let sealed = old.seal("v/x.jpg", b"passport photo").unwrap();
        let rotating = Envelope::with_previous(&[2u8; 32], Some(&[1u8; 32]));
        assert_eq!(
            rotating.wrapping("v/x.jpg", &sealed).unwrap(),
            Wrapping::Previous
        );
        assert_eq!(
            rotating.open("v/x.jpg", &sealed).unwrap(),
            b"passport photo"
        );
        let mut moved = sealed.clone();
        assert_eq!(
            rotating.rewrap_header("v/x.jpg", &mut moved).unwrap(),
            Wrapping::Previous
        );
        assert_eq!(moved[HEADER..], sealed[HEADER..], "only the header changes");
        assert_eq!(
            rotating.wrapping("v/x.jpg", &moved).unwrap(),
            Wrapping::Current
        );
        let again = moved.clone();
        assert_eq!(
            rotating.rewrap_header("v/x.jpg", &mut moved).unwrap(),
            Wrapping::Current
        );
        assert_eq!(
            moved, again,
            "an object already on the new key is left as it is"
        );
        // After the rotation the new key alone opens it; the old one no longer does.
        assert_eq!(
            Envelope::new(&[2u8; 32]).open("v/x.jpg", &moved).unwrap(),
            b"passport photo"
        );
        assert!(old.open("v/x.jpg", &moved).is_err());
        // A wrong object key or a third key fails.
        assert!(rotating.wrapping("v/y.jpg", &sealed).is_err());
        assert!(
            Envelope::new(&[3u8; 32])
                .wrapping("v/x.jpg", &sealed)
                .is_err()
        );
    }

    #[test]
    fn in_place_sealing_gives_an_object_that_opens() {
        let e = env();
        for len in [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT + 7] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut data = plain.clone();
            let (header, tags) = e.seal_in_place("a/b", &mut data).unwrap();
            assert_eq!(tags.len(), len.div_ceil(SEGMENT).max(1));
            if len > 0 {
                assert_ne!(data, plain, "{len}");
            }
            let mut sealed = header;
            for (i, tag) in tags.iter().enumerate() {
                let end = ((i + 1) * SEGMENT).min(len);
                sealed.extend_from_slice(&data[(i * SEGMENT).min(len)..end]);
                sealed.extend_from_slice(tag);
            }
            assert_eq!(e.open("a/b", &sealed).unwrap(), plain, "{len}");
            assert!(e.open("a/c", &sealed).is_err());
        }
    }

    #[test]
    fn round_trips_every_size_class() {
        let e = env();
        for len in [
            0,
            1,
            15,
            16,
            SEGMENT - 1,
            SEGMENT,
            SEGMENT + 1,
            3 * SEGMENT,
            5 * SEGMENT + 17,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let sealed = e.seal("verifications/x/FRONT.jpg", &plain).unwrap();
            assert!(is_sealed(&sealed));
            assert_eq!(
                sealed.len(),
                HEADER + len + len.div_ceil(SEGMENT).max(1) * TAG
            );
            if len > 64 {
                // The content is not visible in the sealed object.
                assert!(!sealed.windows(64).any(|w| w == &plain[..64]));
            }
            assert_eq!(
                e.open("verifications/x/FRONT.jpg", &sealed).unwrap(),
                plain,
                "len {len}"
            );
        }
    }

    #[test]
    fn wrong_key_object_or_tampering_fails() {
        let e = env();
        let plain = vec![7u8; 2 * SEGMENT + 5];
        let sealed = e.seal("a/b", &plain).unwrap();
        assert_eq!(
            Envelope::new(&[1u8; 32]).open("a/b", &sealed),
            Err(EnvelopeError::Authentication)
        );
        assert_eq!(e.open("a/c", &sealed), Err(EnvelopeError::Authentication));
        let mut t = sealed.clone();
        t[HEADER + 10] ^= 1;
        assert_eq!(e.open("a/b", &t), Err(EnvelopeError::Authentication));
        // Dropping the last segment (truncation at a segment boundary) is detected.
        let cut = &sealed[..HEADER + 2 * (SEGMENT + TAG)];
        assert_eq!(e.open("a/b", cut), Err(EnvelopeError::Authentication));
        // Swapping two segments is detected.
        let mut sw = sealed.clone();
        let (a, b) = (HEADER, HEADER + SEGMENT + TAG);
        let first = sw[a..b].to_vec();
        let second = sw[b..b + SEGMENT + TAG].to_vec();
        sw[a..b].copy_from_slice(&second);
        sw[b..b + SEGMENT + TAG].copy_from_slice(&first);
        assert_eq!(e.open("a/b", &sw), Err(EnvelopeError::Authentication));
    }

    proptest! {
        #[test]
        fn open_never_panics_on_arbitrary_bytes(mut data in proptest::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
            if magic && data.len() >= 8 {
                data[..8].copy_from_slice(MAGIC);
            }
            prop_assert!(env().open("k", &data).is_err());
        }

        #[test]
        fn round_trip_small(plain in proptest::collection::vec(any::<u8>(), 0..3000), key in "[a-z/]{1,20}") {
            let e = env();
            let s = e.seal(&key, &plain).unwrap();
            prop_assert_eq!(e.open(&key, &s).unwrap(), plain);
        }
    }
}
