//! Text for a terminal: control characters in the data (an account key
//! holding `ESC [2J`, a carriage return that overwrites a line) are shown
//! as escapes instead of being obeyed.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether a character would steer a terminal: C0 controls other than
/// newline and tab, DEL, and the C1 controls U+0080–U+009F.
fn is_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// `text` with every control character written as `\u{…}`.
///
/// ```
/// use moneytrail::report::terminal::terminal_safe;
/// assert_eq!(terminal_safe("key\u{1b}[2J"), "key\\u{1b}[2J");
/// assert_eq!(terminal_safe("plain\n"), "plain\n");
/// ```
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer that passes text on with [`terminal_safe`] applied; bytes that
/// are not UTF-8 pass as they are, minus C0 controls.
#[derive(Debug)]
pub struct TerminalSafe<W: Write> {
    inner: W,
}

impl<W: Write> TerminalSafe<W> {
    /// Wrap a writer (standard output, usually).
    pub fn new(inner: W) -> TerminalSafe<W> {
        TerminalSafe { inner }
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.inner.write_all(terminal_safe(text).as_bytes())?,
            Err(_) => {
                let kept: Vec<u8> = buf
                    .iter()
                    .copied()
                    .filter(|&b| !(b < 0x20 && b != b'\n' && b != b'\t' || b == 0x7f))
                    .collect();
                self.inner.write_all(&kept)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        let mut out = TerminalSafe::new(Vec::new());
        write!(out, "a\u{1b}]0;x\u{7}b\r\u{9b}c\tok\n").unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "a\\u{1b}]0;x\\u{7}b\\u{d}\\u{9b}c\tok\n"
        );
    }
}
