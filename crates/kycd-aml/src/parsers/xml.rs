//! A tiny streaming SAX layer over quick-xml: start tags with attributes, and end tags
//! carrying the text directly inside the element (entity and character references resolved).

use std::io::BufRead;

use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::error::AmlError;

/// A simplified XML event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XEvent {
    /// `<name a="b">` (also emitted for empty elements, followed by `End`).
    Start {
        /// Local name (namespace prefix stripped).
        name: String,
        /// Attributes (local names, unescaped values).
        attrs: Vec<(String, String)>,
    },
    /// `</name>` with the element's own trimmed text.
    End {
        /// Local name.
        name: String,
        /// Text directly inside the element.
        text: String,
    },
}

/// Streaming walker.
pub struct XmlWalker<R: BufRead> {
    reader: Reader<R>,
    buf: Vec<u8>,
    texts: Vec<String>,
    pending_end: Option<String>,
    what: String,
}

fn predefined(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

impl<R: BufRead> XmlWalker<R> {
    /// Walk `reader`; `what` names the input in errors.
    pub fn new(reader: R, what: &str) -> Self {
        XmlWalker {
            reader: Reader::from_reader(reader),
            buf: Vec::with_capacity(4096),
            texts: Vec::new(),
            pending_end: None,
            what: what.to_string(),
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> AmlError {
        AmlError::parse(
            &self.what,
            format!("{e} at byte {}", self.reader.buffer_position()),
        )
    }

    /// Next event, `None` at end of input.
    pub fn next_event(&mut self) -> Result<Option<XEvent>, AmlError> {
        if let Some(name) = self.pending_end.take() {
            return Ok(Some(XEvent::End {
                name,
                text: String::new(),
            }));
        }
        loop {
            self.buf.clear();
            let ev = match self.reader.read_event_into(&mut self.buf) {
                Ok(ev) => ev,
                Err(e) => {
                    let pos = self.reader.buffer_position();
                    return Err(AmlError::parse(&self.what, format!("{e} at byte {pos}")));
                }
            };
            match ev {
                Event::Start(s) => {
                    let (name, attrs) = start_parts(&s).map_err(|e| self.err(e))?;
                    self.texts.push(String::new());
                    return Ok(Some(XEvent::Start { name, attrs }));
                }
                Event::Empty(s) => {
                    let (name, attrs) = start_parts(&s).map_err(|e| self.err(e))?;
                    self.pending_end = Some(name.clone());
                    return Ok(Some(XEvent::Start { name, attrs }));
                }
                Event::End(e) => {
                    let name = e.local_name().as_ref().to_string();
                    let text = self.texts.pop().unwrap_or_default();
                    return Ok(Some(XEvent::End {
                        name,
                        text: text.trim().to_string(),
                    }));
                }
                Event::Text(t) => {
                    if let Some(top) = self.texts.last_mut() {
                        top.push_str(&t.xml10_content());
                    }
                }
                Event::CData(t) => {
                    if let Some(top) = self.texts.last_mut() {
                        top.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    let ch = if r.is_char_ref() {
                        r.resolve_char_ref().ok().flatten()
                    } else {
                        predefined(&r)
                    };
                    if let (Some(top), Some(c)) = (self.texts.last_mut(), ch) {
                        top.push(c);
                    }
                }
                Event::Eof => return Ok(None),
                _ => {}
            }
        }
    }
}

type StartParts = (String, Vec<(String, String)>);

fn start_parts(s: &quick_xml::events::BytesStart<'_>) -> Result<StartParts, String> {
    let name = s.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        attrs.push((key, value.into_owned()));
    }
    Ok((name, attrs))
}

/// Attribute lookup helper.
pub fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(xml: &str) -> Vec<XEvent> {
        let mut w = XmlWalker::new(xml.as_bytes(), "t");
        let mut v = Vec::new();
        while let Some(e) = w.next_event().unwrap() {
            v.push(e);
        }
        v
    }

    #[test]
    fn text_and_refs() {
        let ev = collect(r#"<a x="1&amp;2"><b>A &amp; B &#233;</b><c/></a>"#);
        assert_eq!(
            ev[0],
            XEvent::Start {
                name: "a".into(),
                attrs: vec![("x".into(), "1&2".into())]
            }
        );
        assert_eq!(
            ev[2],
            XEvent::End {
                name: "b".into(),
                text: "A & B é".into()
            }
        );
        assert_eq!(
            ev[4],
            XEvent::End {
                name: "c".into(),
                text: String::new()
            }
        );
    }

    #[test]
    fn malformed_is_error_not_panic() {
        let mut w = XmlWalker::new("<a><b></a>".as_bytes(), "t");
        let mut saw_err = false;
        for _ in 0..10 {
            match w.next_event() {
                Err(_) => {
                    saw_err = true;
                    break;
                }
                Ok(None) => break,
                Ok(Some(_)) => {}
            }
        }
        assert!(saw_err);
    }
}
