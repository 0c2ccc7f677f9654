//! [`Short`]: a small inline string for the fixed-width MRZ fields (document code, country
//! codes, `YYMMDD` dates), so parsing does not allocate for them.

use std::fmt;
use std::ops::Deref;

/// An inline string of at most 8 bytes. Longer input is cut at a character boundary (every MRZ
/// field stored this way is at most 6 characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Short {
    len: u8,
    buf: [u8; 8],
}

impl Short {
    /// Capacity in bytes.
    pub const CAPACITY: usize = 8;

    /// The contents.
    pub fn as_str(&self) -> &str {
        // The buffer always holds a prefix of a `str` cut at a character boundary.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// From MRZ bytes (ASCII); bytes beyond the capacity are dropped.
    pub(crate) fn from_ascii(b: &[u8]) -> Short {
        let n = b.len().min(Self::CAPACITY);
        let mut s = Short {
            len: 0,
            buf: [0; 8],
        };
        if b[..n].is_ascii() {
            s.buf[..n].copy_from_slice(&b[..n]);
            s.len = n as u8;
        } else {
            s = Short::from(String::from_utf8_lossy(b).as_ref());
        }
        s
    }
}

impl From<&str> for Short {
    fn from(v: &str) -> Short {
        let mut n = v.len().min(Self::CAPACITY);
        while !v.is_char_boundary(n) {
            n -= 1;
        }
        let mut buf = [0; 8];
        buf[..n].copy_from_slice(&v.as_bytes()[..n]);
        Short { len: n as u8, buf }
    }
}

impl From<String> for Short {
    fn from(v: String) -> Short {
        Short::from(v.as_str())
    }
}

impl From<&String> for Short {
    fn from(v: &String) -> Short {
        Short::from(v.as_str())
    }
}

impl Deref for Short {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Short {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Short {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Short {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Short {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Short {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Short {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Short, D::Error> {
        let s = String::deserialize(d)?;
        if s.len() > Short::CAPACITY {
            return Err(serde::de::Error::custom("string longer than 8 bytes"));
        }
        Ok(Short::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        let s = Short::from("UTO");
        assert_eq!(s, "UTO");
        assert_eq!(s.len(), 3);
        assert_eq!(&s[1..], "TO");
        assert_eq!(Short::from("ABCDEFGHIJ").as_str(), "ABCDEFGH");
        assert_eq!(Short::from("ÑÑÑÑÑ").as_str(), "ÑÑÑÑ");
        assert_eq!(Short::from_ascii(b"D<<"), "D<<");
        assert_eq!(format!("{s} {s:?}"), "UTO \"UTO\"");
        assert!(Short::default().is_empty());
    }
}
