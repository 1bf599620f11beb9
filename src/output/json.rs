//! bpftool's streaming JSON writer, and a serde `Serializer` on top of it.
//!
//! bpftool writes JSON token by token (`json_writer.c`): a separator flag and a depth
//! are the whole state, pretty output indents by 4 spaces, and arrays of scalars keep
//! their first element on the `[` line. Reproducing those bytes is easiest with the same
//! state machine, so this module ports it and lets serde drive it: models derive
//! `Serialize` and are written through [`Serializer`], which maps serde's data model onto
//! the writer's calls. A custom `serde_json::ser::Formatter` cannot do the same job: it
//! has no way to emit the raw tokens bpftool's BTF pretty-printer produces in plain mode
//! (`0x1f`, `"%p"` pointers), nor strings that are not UTF-8 (paths, comms).
//!
//! Deviation from bpftool (see docs/compat.md): control characters other than
//! `\t \n \r \f \b` are escaped as `\u00XX` instead of being written raw, so the output
//! is always valid JSON.

use std::fmt::Display;
use std::io::{self, Write};

use serde::ser::{self, Serialize};

/// The serde newtype-struct name that [`Raw`] uses to pass an unquoted token.
const RAW_TOKEN: &str = "$bpftool_rs::output::json::Raw";

/// bpftool's JSON writer state machine over any `Write`.
#[derive(Debug)]
pub struct JsonWriter<W: Write> {
    out: W,
    /// Closing bytes of the open containers; its length is bpftool's `depth`.
    open: Vec<u8>,
    pretty: bool,
    /// Whether the next element needs a `,` before it (bpftool's `sep`).
    sep: bool,
}

impl<W: Write> JsonWriter<W> {
    /// A writer at depth 0 with nothing written yet.
    pub fn new(out: W, pretty: bool) -> Self {
        JsonWriter {
            out,
            open: Vec::new(),
            pretty,
            sep: false,
        }
    }

    /// Switches pretty printing on or off (`jsonw_pretty`).
    pub fn set_pretty(&mut self, pretty: bool) {
        self.pretty = pretty;
    }

    /// Current nesting depth.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// The underlying writer.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Consumes the writer, returning the underlying one.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Forgets that a value was written at the current level (`jsonw_reset`).
    pub fn reset(&mut self) {
        self.sep = false;
    }

    fn eor(&mut self) -> io::Result<()> {
        if self.sep {
            self.out.write_all(b",")?;
        }
        self.sep = true;
        Ok(())
    }

    fn eol(&mut self) -> io::Result<()> {
        if !self.pretty {
            return Ok(());
        }
        self.out.write_all(b"\n")?;
        for _ in 0..self.open.len() {
            self.out.write_all(b"    ")?;
        }
        Ok(())
    }

    fn begin(&mut self, c: u8, close: u8) -> io::Result<()> {
        self.eor()?;
        self.out.write_all(&[c])?;
        self.open.push(close);
        self.sep = false;
        Ok(())
    }

    fn end(&mut self, c: u8) -> io::Result<()> {
        self.open.pop();
        if self.sep {
            self.eol()?;
        }
        self.out.write_all(&[c])?;
        self.sep = true;
        Ok(())
    }

    /// `{`
    pub fn start_object(&mut self) -> io::Result<()> {
        self.begin(b'{', b'}')
    }

    /// `}`
    pub fn end_object(&mut self) -> io::Result<()> {
        self.end(b'}')
    }

    /// `[`
    pub fn start_array(&mut self) -> io::Result<()> {
        self.begin(b'[', b']')
    }

    /// `]`
    pub fn end_array(&mut self) -> io::Result<()> {
        self.end(b']')
    }

    /// An object member name, `"name": ` (`jsonw_name`).
    pub fn name(&mut self, name: &[u8]) -> io::Result<()> {
        self.eor()?;
        self.eol()?;
        self.sep = false;
        self.puts(name)?;
        self.out.write_all(if self.pretty { b": " } else { b":" })
    }

    /// A string value (`jsonw_string`); the bytes need not be UTF-8.
    pub fn string(&mut self, s: &[u8]) -> io::Result<()> {
        self.eor()?;
        self.puts(s)
    }

    /// A value written as is, e.g. a number (`jsonw_printf`).
    pub fn raw(&mut self, token: &str) -> io::Result<()> {
        self.eor()?;
        self.out.write_all(token.as_bytes())
    }

    /// A value formatted with `Display` and written as is.
    pub fn raw_display(&mut self, v: impl Display) -> io::Result<()> {
        self.eor()?;
        write!(self.out, "{v}")
    }

    /// `null`
    pub fn null(&mut self) -> io::Result<()> {
        self.raw("null")
    }

    /// `true` / `false`
    pub fn bool(&mut self, v: bool) -> io::Result<()> {
        self.raw(if v { "true" } else { "false" })
    }

    /// Closes what is still open and ends the output with a newline (`jsonw_destroy`).
    pub fn finish(&mut self) -> io::Result<()> {
        // Containers are still open only when an error cut a command short.
        while let Some(&close) = self.open.last() {
            self.end(close)?;
        }
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    fn puts(&mut self, s: &[u8]) -> io::Result<()> {
        let out = &mut self.out;
        out.write_all(b"\"")?;
        let mut start = 0;
        for (i, &b) in s.iter().enumerate() {
            let esc: &[u8] = match b {
                b'\t' => b"\\t",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                0x0c => b"\\f",
                0x08 => b"\\b",
                b'\\' => b"\\\\",
                b'"' => b"\\\"",
                0..=0x1f => b"",
                _ => continue,
            };
            out.write_all(&s[start..i])?;
            if esc.is_empty() {
                write!(out, "\\u{b:04x}")?;
            } else {
                out.write_all(esc)?;
            }
            start = i + 1;
        }
        out.write_all(&s[start..])?;
        out.write_all(b"\"")
    }
}

/// A token written without quotes or escaping, e.g. `0x1f` in bpftool's plain-mode BTF
/// dumps. Serializes as a string with any serializer other than ours.
#[derive(Debug, Clone, Copy)]
pub struct Raw<'a>(pub &'a str);

impl Serialize for Raw<'_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(RAW_TOKEN, self.0)
    }
}

/// A string that need not be UTF-8 (paths, process names): written byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes<'a>(pub &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// Errors of the serde bridge: an I/O error, or a shape JSON cannot express.
#[derive(Debug, thiserror::Error)]
pub enum SerError {
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A value serde produced that has no JSON form here (e.g. a non-string map key).
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for SerError {
    fn custom<T: Display>(msg: T) -> Self {
        SerError::Custom(msg.to_string())
    }
}

impl From<SerError> for io::Error {
    fn from(e: SerError) -> io::Error {
        match e {
            SerError::Io(e) => e,
            SerError::Custom(m) => io::Error::other(m),
        }
    }
}

/// Writes `value` at the writer's current position.
pub fn write_value<W: Write, T: Serialize + ?Sized>(
    w: &mut JsonWriter<W>,
    value: &T,
) -> io::Result<()> {
    value.serialize(Serializer { w }).map_err(Into::into)
}

/// serde `Serializer` driving a [`JsonWriter`].
#[derive(Debug)]
pub struct Serializer<'a, W: Write> {
    w: &'a mut JsonWriter<W>,
}

impl<'a, W: Write> Serializer<'a, W> {
    /// A serializer writing at `w`'s current position.
    pub fn new(w: &'a mut JsonWriter<W>) -> Self {
        Serializer { w }
    }
}

type R = Result<(), SerError>;

impl<'a, W: Write> ser::Serializer for Serializer<'a, W> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Compound<'a, W>;
    type SerializeTuple = Compound<'a, W>;
    type SerializeTupleStruct = Compound<'a, W>;
    type SerializeTupleVariant = Compound<'a, W>;
    type SerializeMap = Compound<'a, W>;
    type SerializeStruct = Compound<'a, W>;
    type SerializeStructVariant = Compound<'a, W>;

    fn serialize_bool(self, v: bool) -> R {
        Ok(self.w.bool(v)?)
    }
    fn serialize_i8(self, v: i8) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_i16(self, v: i16) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_i32(self, v: i32) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_i64(self, v: i64) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_u8(self, v: u8) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_u16(self, v: u16) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_u32(self, v: u32) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_u64(self, v: u64) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_f32(self, v: f32) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_f64(self, v: f64) -> R {
        Ok(self.w.raw_display(v)?)
    }
    fn serialize_char(self, v: char) -> R {
        let mut buf = [0u8; 4];
        Ok(self.w.string(v.encode_utf8(&mut buf).as_bytes())?)
    }
    fn serialize_str(self, v: &str) -> R {
        Ok(self.w.string(v.as_bytes())?)
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        Ok(self.w.string(v)?)
    }
    fn serialize_none(self) -> R {
        Ok(self.w.null()?)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(self.w.null()?)
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        Ok(self.w.null()?)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        Ok(self.w.string(variant.as_bytes())?)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> R {
        if name == RAW_TOKEN {
            let token = v.serialize(StrCapture)?;
            return Ok(self.w.raw(&token)?);
        }
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> R {
        self.w.start_object()?;
        self.w.name(variant.as_bytes())?;
        v.serialize(Serializer { w: &mut *self.w })?;
        Ok(self.w.end_object()?)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, W>, SerError> {
        self.w.start_array()?;
        Ok(Compound::new(self.w, Close::Array))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, W>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, W>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, W>, SerError> {
        self.w.start_object()?;
        self.w.name(variant.as_bytes())?;
        self.w.start_array()?;
        Ok(Compound::new(self.w, Close::ArrayInObject))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, W>, SerError> {
        self.w.start_object()?;
        Ok(Compound::new(self.w, Close::Object))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a, W>, SerError> {
        self.w.start_object()?;
        Ok(Compound::new(self.w, Close::Object))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, W>, SerError> {
        self.w.start_object()?;
        self.w.name(variant.as_bytes())?;
        self.w.start_object()?;
        Ok(Compound::new(self.w, Close::ObjectInObject))
    }
}

/// What ends a compound value.
#[derive(Debug, Clone, Copy)]
enum Close {
    Array,
    Object,
    ArrayInObject,
    ObjectInObject,
}

/// State of one array or object being serialized.
#[derive(Debug)]
pub struct Compound<'a, W: Write> {
    w: &'a mut JsonWriter<W>,
    close: Close,
}

impl<'a, W: Write> Compound<'a, W> {
    fn new(w: &'a mut JsonWriter<W>, close: Close) -> Self {
        Compound { w, close }
    }

    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(Serializer { w: &mut *self.w })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> R {
        self.w.name(key.as_bytes())?;
        self.element(v)
    }

    fn finish(self) -> R {
        match self.close {
            Close::Array => self.w.end_array()?,
            Close::Object => self.w.end_object()?,
            Close::ArrayInObject => {
                self.w.end_array()?;
                self.w.end_object()?
            }
            Close::ObjectInObject => {
                self.w.end_object()?;
                self.w.end_object()?
            }
        }
        Ok(())
    }
}

impl<W: Write> ser::SerializeSeq for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl<W: Write> ser::SerializeTuple for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl<W: Write> ser::SerializeTupleStruct for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl<W: Write> ser::SerializeTupleVariant for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        let key = key.serialize(StrCapture)?;
        Ok(self.w.name(key.as_bytes())?)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl<W: Write> ser::SerializeStruct for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.field(key, v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

impl<W: Write> ser::SerializeStructVariant for Compound<'_, W> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.field(key, v)
    }
    fn end(self) -> R {
        self.finish()
    }
}

/// Serializer that only accepts strings (map keys, raw tokens) and returns them.
struct StrCapture;

fn not_a_string() -> SerError {
    SerError::Custom("expected a string".into())
}

impl ser::Serializer for StrCapture {
    type Ok = String;
    type Error = SerError;
    type SerializeSeq = ser::Impossible<String, SerError>;
    type SerializeTuple = ser::Impossible<String, SerError>;
    type SerializeTupleStruct = ser::Impossible<String, SerError>;
    type SerializeTupleVariant = ser::Impossible<String, SerError>;
    type SerializeMap = ser::Impossible<String, SerError>;
    type SerializeStruct = ser::Impossible<String, SerError>;
    type SerializeStructVariant = ser::Impossible<String, SerError>;

    fn serialize_str(self, v: &str) -> Result<String, SerError> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<String, SerError> {
        Ok(String::from_utf8_lossy(v).into_owned())
    }
    fn serialize_u32(self, v: u32) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_bool(self, _: bool) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_i8(self, _: i8) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_i16(self, _: i16) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, _: u8) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_u16(self, _: u16) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_char(self, v: char) -> Result<String, SerError> {
        Ok(v.to_string())
    }
    fn serialize_none(self) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<String, SerError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, SerError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, SerError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, SerError> {
        Err(not_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(not_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerError> {
        Err(not_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        Err(not_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(not_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Err(not_a_string())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        Err(not_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(not_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    fn render<T: Serialize>(v: &T, pretty: bool) -> String {
        let mut w = JsonWriter::new(Vec::new(), pretty);
        write_value(&mut w, v).unwrap();
        w.finish().unwrap();
        String::from_utf8(w.into_inner()).unwrap()
    }

    #[derive(Serialize)]
    struct Item {
        id: u32,
        name: &'static str,
        map_ids: Vec<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        btf_id: Option<u32>,
        empty: Vec<u32>,
    }

    fn items() -> Vec<Item> {
        vec![
            Item {
                id: 1,
                name: "a",
                map_ids: vec![3, 4],
                btf_id: Some(7),
                empty: vec![],
            },
            Item {
                id: 2,
                name: "b",
                map_ids: vec![],
                btf_id: None,
                empty: vec![],
            },
        ]
    }

    #[test]
    fn compact_layout() {
        assert_eq!(
            render(&items(), false),
            "[{\"id\":1,\"name\":\"a\",\"map_ids\":[3,4],\"btf_id\":7,\"empty\":[]},\
             {\"id\":2,\"name\":\"b\",\"map_ids\":[],\"empty\":[]}]\n"
        );
    }

    /// Layout checked against bpftool -p: scalars stay on the `[` line, the closing
    /// bracket goes on its own line, objects in arrays open on the same line.
    #[test]
    fn pretty_layout() {
        let expected = "[{\n        \"id\": 1,\n        \"name\": \"a\",\n        \"map_ids\": [3,4\n        ],\n        \"btf_id\": 7,\n        \"empty\": []\n    },{\n        \"id\": 2,\n        \"name\": \"b\",\n        \"map_ids\": [],\n        \"empty\": []\n    }\n]\n";
        assert_eq!(render(&items(), true), expected);
    }

    #[test]
    fn escapes() {
        let mut w = JsonWriter::new(Vec::new(), false);
        w.string(b"a\"b\\c\td\ne\r\x0c\x08\x01\x1f/\xff").unwrap();
        assert_eq!(
            w.into_inner(),
            b"\"a\\\"b\\\\c\\td\\ne\\r\\f\\b\\u0001\\u001f/\xff\"".to_vec()
        );
    }

    #[test]
    fn raw_tokens_and_bytes() {
        #[derive(Serialize)]
        struct S<'a> {
            v: Raw<'a>,
            p: Bytes<'a>,
        }
        let s = S {
            v: Raw("0x1f"),
            p: Bytes(b"/sys/fs/bpf/\xfe"),
        };
        let mut w = JsonWriter::new(Vec::new(), false);
        write_value(&mut w, &s).unwrap();
        assert_eq!(
            w.into_inner(),
            b"{\"v\":0x1f,\"p\":\"/sys/fs/bpf/\xfe\"}".to_vec()
        );
    }

    #[test]
    fn top_level_values_are_comma_separated() {
        // bpftool's writer puts a comma between top-level values (e.g. an error after output).
        let mut w = JsonWriter::new(Vec::new(), false);
        w.null().unwrap();
        w.start_object().unwrap();
        w.name(b"error").unwrap();
        w.string(b"x").unwrap();
        w.end_object().unwrap();
        w.finish().unwrap();
        assert_eq!(w.into_inner(), b"null,{\"error\":\"x\"}\n".to_vec());
    }

    #[test]
    fn finish_closes_open_arrays() {
        let mut w = JsonWriter::new(Vec::new(), false);
        w.start_array().unwrap();
        w.raw("1").unwrap();
        w.finish().unwrap();
        assert_eq!(w.into_inner(), b"[1]\n".to_vec());
    }
}
