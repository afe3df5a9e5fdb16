//! A bounded reader of Thrift's compact protocol, the encoding of Parquet
//! footers and page headers. Every length is checked against the bytes
//! left and nesting is limited, so hostile input gives an error, never a
//! panic or a large allocation.

use std::fmt;

/// Wire types of the compact protocol.
pub(crate) mod wire {
    pub(crate) const TRUE: u8 = 1;
    pub(crate) const FALSE: u8 = 2;
    pub(crate) const BYTE: u8 = 3;
    pub(crate) const I16: u8 = 4;
    pub(crate) const I32: u8 = 5;
    pub(crate) const I64: u8 = 6;
    pub(crate) const DOUBLE: u8 = 7;
    pub(crate) const BINARY: u8 = 8;
    pub(crate) const LIST: u8 = 9;
    pub(crate) const SET: u8 = 10;
    pub(crate) const MAP: u8 = 11;
    pub(crate) const STRUCT: u8 = 12;
    pub(crate) const UUID: u8 = 13;
}

/// What went wrong, and where (byte offset in the buffer read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThriftError {
    pub(crate) at: usize,
    pub(crate) what: String,
}

impl fmt::Display for ThriftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (byte {})", self.what, self.at)
    }
}

pub(crate) type ThriftResult<T> = Result<T, ThriftError>;

/// Deepest nesting of structs, lists and maps accepted.
const MAX_DEPTH: u32 = 32;

/// Reads compact-protocol values from a byte slice.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader {
            buf,
            pos: 0,
            depth: 0,
        }
    }

    /// Bytes read so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn error<T>(&self, what: impl Into<String>) -> ThriftResult<T> {
        Err(ThriftError {
            at: self.pos,
            what: what.into(),
        })
    }

    fn byte(&mut self) -> ThriftResult<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.error("the data ends early"),
        }
    }

    fn take(&mut self, n: usize) -> ThriftResult<&'a [u8]> {
        if n > self.buf.len() - self.pos {
            return self.error(format!(
                "a length of {n} bytes runs past the end ({} left)",
                self.buf.len() - self.pos
            ));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Move past `n` bytes the caller has checked are there.
    pub(crate) fn skip_bytes(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    /// An unsigned varint of at most 64 bits.
    pub(crate) fn varint(&mut self) -> ThriftResult<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    return self.error("a varint overflows 64 bits");
                }
                return Ok(value);
            }
        }
        self.error("a varint is longer than 10 bytes")
    }

    fn zigzag(&mut self) -> ThriftResult<i64> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// An integer of any width, checked to fit `T`.
    fn int<T: TryFrom<i64>>(&mut self, ty: u8, name: &str) -> ThriftResult<T> {
        let v = match ty {
            wire::BYTE => i64::from(self.byte()? as i8),
            wire::I16 | wire::I32 | wire::I64 => self.zigzag()?,
            _ => {
                return self.error(format!(
                    "field {name} should be an integer (wire type {ty})"
                ))
            }
        };
        T::try_from(v).or_else(|_| self.error(format!("field {name} = {v} is out of range")))
    }

    pub(crate) fn i32(&mut self, ty: u8, name: &str) -> ThriftResult<i32> {
        self.int(ty, name)
    }

    pub(crate) fn i64(&mut self, ty: u8, name: &str) -> ThriftResult<i64> {
        self.int(ty, name)
    }

    /// A boolean struct field: its value is in the wire type.
    pub(crate) fn bool_field(&self, ty: u8, name: &str) -> ThriftResult<bool> {
        match ty {
            wire::TRUE => Ok(true),
            wire::FALSE => Ok(false),
            _ => self.error(format!("field {name} should be a boolean (wire type {ty})")),
        }
    }

    pub(crate) fn binary(&mut self, ty: u8, name: &str) -> ThriftResult<&'a [u8]> {
        if ty != wire::BINARY {
            return self.error(format!("field {name} should be binary (wire type {ty})"));
        }
        let n = self.varint()?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.take(n)
    }

    pub(crate) fn string(&mut self, ty: u8, name: &str) -> ThriftResult<String> {
        let bytes = self.binary(ty, name)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => self.error(format!("field {name} is not valid UTF-8")),
        }
    }

    /// A list (or set) header: its element type and length. The length is
    /// at most the bytes left, since no element is empty.
    pub(crate) fn list(&mut self, ty: u8, name: &str) -> ThriftResult<(u8, usize)> {
        if ty != wire::LIST && ty != wire::SET {
            return self.error(format!("field {name} should be a list (wire type {ty})"));
        }
        let head = self.byte()?;
        let element = head & 0x0f;
        let size = match head >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        let left = (self.buf.len() - self.pos) as u64;
        if size > left {
            return self.error(format!(
                "list {name} claims {size} elements in {left} bytes"
            ));
        }
        Ok((element, size as usize))
    }

    /// Walk a struct: `field` is called with each field's id and wire type
    /// and returns whether it read the value; values it leaves are skipped.
    pub(crate) fn structure(
        &mut self,
        mut field: impl FnMut(&mut Self, i16, u8) -> ThriftResult<bool>,
    ) -> ThriftResult<()> {
        self.enter()?;
        let mut last: i16 = 0;
        loop {
            let head = self.byte()?;
            if head == 0 {
                break;
            }
            let ty = head & 0x0f;
            let id = match head >> 4 {
                0 => {
                    let v = self.zigzag()?;
                    i16::try_from(v)
                        .or_else(|_| self.error(format!("field id {v} out of range")))?
                }
                delta => last
                    .checked_add(i16::from(delta))
                    .map_or_else(|| self.error("field id overflows"), Ok)?,
            };
            last = id;
            if !field(self, id, ty)? {
                self.skip(ty)?;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn enter(&mut self) -> ThriftResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error("values nest too deep");
        }
        Ok(())
    }

    /// Skip a value of wire type `ty` (a struct field's, where booleans
    /// carry no bytes).
    pub(crate) fn skip(&mut self, ty: u8) -> ThriftResult<()> {
        match ty {
            wire::TRUE | wire::FALSE => Ok(()),
            _ => self.skip_value(ty, false),
        }
    }

    fn skip_value(&mut self, ty: u8, in_collection: bool) -> ThriftResult<()> {
        match ty {
            wire::TRUE | wire::FALSE if in_collection => self.byte().map(drop),
            wire::TRUE | wire::FALSE => Ok(()),
            wire::BYTE => self.byte().map(drop),
            wire::I16 | wire::I32 | wire::I64 => self.varint().map(drop),
            wire::DOUBLE => self.take(8).map(drop),
            wire::BINARY => self.binary(ty, "(skipped)").map(drop),
            wire::UUID => self.take(16).map(drop),
            wire::LIST | wire::SET => {
                let (element, size) = self.list(ty, "(skipped)")?;
                self.enter()?;
                for _ in 0..size {
                    self.skip_value(element, true)?;
                }
                self.depth -= 1;
                Ok(())
            }
            wire::MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let kinds = self.byte()?;
                let left = (self.buf.len() - self.pos) as u64;
                if size > left {
                    return self.error(format!("a map claims {size} entries in {left} bytes"));
                }
                self.enter()?;
                for _ in 0..size {
                    self.skip_value(kinds >> 4, true)?;
                    self.skip_value(kinds & 0x0f, true)?;
                }
                self.depth -= 1;
                Ok(())
            }
            wire::STRUCT => self.structure(|_, _, _| Ok(false)),
            _ => self.error(format!("unknown wire type {ty}")),
        }
    }

    /// Read a list of structs with `each`.
    pub(crate) fn struct_list<T>(
        &mut self,
        ty: u8,
        name: &str,
        mut each: impl FnMut(&mut Self) -> ThriftResult<T>,
    ) -> ThriftResult<Vec<T>> {
        let (element, size) = self.list(ty, name)?;
        if element != wire::STRUCT {
            return self.error(format!(
                "list {name} should hold structs (wire type {element})"
            ));
        }
        self.enter()?;
        let mut out = Vec::with_capacity(size.min(1024));
        for _ in 0..size {
            out.push(each(self)?);
        }
        self.depth -= 1;
        Ok(out)
    }

    /// Read a list of strings.
    pub(crate) fn string_list(&mut self, ty: u8, name: &str) -> ThriftResult<Vec<String>> {
        let (element, size) = self.list(ty, name)?;
        if element != wire::BINARY {
            return self.error(format!(
                "list {name} should hold strings (wire type {element})"
            ));
        }
        let mut out = Vec::with_capacity(size.min(1024));
        for _ in 0..size {
            out.push(self.string(wire::BINARY, name)?);
        }
        Ok(out)
    }

    /// Read a list of integers.
    pub(crate) fn i32_list(&mut self, ty: u8, name: &str) -> ThriftResult<Vec<i32>> {
        let (element, size) = self.list(ty, name)?;
        let mut out = Vec::with_capacity(size.min(1024));
        for _ in 0..size {
            out.push(self.i32(element, name)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_skips_the_rest() {
        // struct { 1: i32 = -3, 2: binary "ab", 3: list<i32> [1, 2], 4: true }
        let bytes = [
            0x15, 0x05, 0x18, 0x02, b'a', b'b', 0x19, 0x25, 0x02, 0x04, 0x11, 0x00,
        ];
        let mut r = Reader::new(&bytes);
        let (mut a, mut b, mut c, mut d) = (0, String::new(), Vec::new(), false);
        r.structure(|r, id, ty| {
            match id {
                1 => a = r.i32(ty, "a")?,
                2 => b = r.string(ty, "b")?,
                3 => c = r.i32_list(ty, "c")?,
                4 => d = r.bool_field(ty, "d")?,
                _ => return Ok(false),
            }
            Ok(true)
        })
        .unwrap();
        assert_eq!((a, b.as_str(), c, d), (-3, "ab", vec![1, 2], true));
        assert_eq!(r.position(), bytes.len());
    }

    #[test]
    fn hostile_lengths_and_depths_are_errors() {
        // a binary field claiming 2^40 bytes
        let huge = [0x18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        let mut r = Reader::new(&huge);
        assert!(r.structure(|_, _, _| Ok(false)).is_err());
        // a list of a billion structs in three bytes
        let list = [0x19, 0xfc, 0x80, 0x94, 0xeb, 0xdc, 0x03];
        let mut r = Reader::new(&list);
        assert!(r.structure(|_, _, _| Ok(false)).is_err());
        // structs nested 40 deep
        let mut deep = vec![0x1c; 40];
        deep.extend(vec![0x00; 41]);
        let mut r = Reader::new(&deep);
        assert!(r.structure(|_, _, _| Ok(false)).is_err());
        // a boolean field with another wire type
        let r = Reader::new(&[]);
        assert!(r.bool_field(wire::I32, "x").is_err());
    }
}
