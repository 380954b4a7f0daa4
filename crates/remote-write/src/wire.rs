//! A protobuf reader over a borrowed buffer: just the wire format, no
//! messages, no allocation.

use crate::DecodeError;

pub(crate) const VARINT: u8 = 0;
pub(crate) const FIXED64: u8 = 1;
pub(crate) const LEN: u8 = 2;
const FIXED32: u8 = 5;

/// Reads fields from one message. Offsets in errors count from the start of
/// the decompressed body, so a bad byte can be found with a hex dump.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` in the whole body.
    base: usize,
    /// Where the last key started, for errors about its field.
    key_at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
            key_at: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn error(&self, what: impl Into<String>) -> DecodeError {
        DecodeError::Protobuf {
            what: what.into(),
            offset: self.base + self.pos,
        }
    }

    /// Keys and lengths are almost always below 128: one byte, inlined.
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        match self.buf.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(u64::from(b))
            }
            _ => self.varint_slow(),
        }
    }

    fn varint_slow(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for (i, &b) in self.buf[self.pos..].iter().enumerate().take(10) {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Err(self.error("varint overflows 64 bits"));
                }
                self.pos += i + 1;
                return Ok(v);
            }
        }
        if self.buf.len() - self.pos >= 10 {
            Err(self.error("varint longer than 10 bytes"))
        } else {
            Err(self.error("truncated varint"))
        }
    }

    /// The next field's number and wire type.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<(u32, u8), DecodeError> {
        self.key_at = self.pos;
        let key = self.varint()?;
        let field = key >> 3;
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return Err(self.error(format!("invalid field number {field}")));
        }
        Ok((field as u32, (key & 7) as u8))
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, DecodeError> {
        let Some(b) = self.buf.get(self.pos..self.pos + 8) else {
            return Err(self.error("truncated 64-bit field"));
        };
        let mut le = [0; 8];
        le.copy_from_slice(b);
        let v = u64::from_le_bytes(le);
        self.pos += 8;
        Ok(v)
    }

    /// A length-delimited field's bytes, as a reader positioned in the body.
    #[inline]
    pub(crate) fn nested(&mut self) -> Result<Reader<'a>, DecodeError> {
        let start = self.pos;
        let len = self.varint()?;
        let avail = (self.buf.len() - self.pos) as u64;
        if len > avail {
            self.pos = start;
            return Err(self.error(format!(
                "length-delimited field of {len} bytes, only {avail} left"
            )));
        }
        let len = len as usize;
        let r = Reader {
            buf: &self.buf[self.pos..self.pos + len],
            pos: 0,
            base: self.base + self.pos,
            key_at: 0,
        };
        self.pos += len;
        Ok(r)
    }

    /// The whole message this reader reads.
    pub(crate) fn as_slice(&self) -> &'a [u8] {
        self.buf
    }

    #[inline]
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        self.nested().map(|r| r.buf)
    }

    /// Skips a field this reader does not know.
    pub(crate) fn skip(&mut self, wire_type: u8) -> Result<(), DecodeError> {
        match wire_type {
            VARINT => self.varint().map(drop),
            FIXED64 => self.fixed64().map(drop),
            LEN => self.nested().map(drop),
            FIXED32 if self.buf.len() - self.pos >= 4 => {
                self.pos += 4;
                Ok(())
            }
            FIXED32 => Err(self.error("truncated 32-bit field")),
            t => Err(self.error(format!("unsupported wire type {t}"))),
        }
    }

    /// The error for a known field sent with another wire type.
    pub(crate) fn wrong_type(&self, message: &str, field: u32, wire_type: u8) -> DecodeError {
        let what = format!(
            "{message} field {field} has wire type {wire_type}, expected {}",
            match (message, field) {
                ("Sample", 1) => FIXED64,
                ("Sample", 2) => VARINT,
                _ => LEN,
            }
        );
        DecodeError::Protobuf {
            what,
            offset: self.base + self.key_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(Reader::new(&[0x96, 0x01]).varint().ok(), Some(150));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).varint().ok(), Some(u64::MAX));
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(Reader::new(&over).varint().is_err());
        assert!(Reader::new(&[0x80]).varint().is_err());
        assert!(Reader::new(&[]).varint().is_err());
    }
}
