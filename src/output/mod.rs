//! Where every command's result goes: plain text or bpftool's JSON, one sink per run.
//!
//! Commands build a typed value and hand it over here; they never test for the output
//! mode themselves. A value renders in plain text through [`Plain`] and in JSON through
//! serde (`Serialize`) driving bpftool's writer ([`json::JsonWriter`]).

pub mod json;

use std::io::{self, IsTerminal, Write};

use owo_colors::OwoColorize;
use serde::Serialize;

pub use json::{Bytes, JsonWriter, Raw};

/// Output format chosen by the global options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain text (bpftool's default).
    Plain,
    /// JSON, compact (`-j`) or pretty (`-p`).
    Json {
        /// `-p`: 4-space indented layout.
        pretty: bool,
    },
}

/// The plain-text rendering of a value, byte-identical to bpftool's.
pub trait Plain {
    /// Writes the value as bpftool prints it in plain mode.
    fn plain(&self, w: &mut dyn Write) -> io::Result<()>;
}

/// The run's output sink: stdout (plain or JSON) and stderr (errors, info, help).
pub struct Output {
    mode: Mode,
    out: JsonWriter<Box<dyn Write>>,
    err: Box<dyn Write>,
    color: bool,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("mode", &self.mode).finish()
    }
}

impl Output {
    /// Output to the process's stdout (buffered) and stderr.
    pub fn stdio(mode: Mode) -> Output {
        let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let out: Box<dyn Write> = Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()));
        let mut o = Output::new(mode, out, Box::new(io::stderr()));
        o.color = color;
        o
    }

    /// Output to the given writers (tests capture both streams this way).
    pub fn new(mode: Mode, out: Box<dyn Write>, err: Box<dyn Write>) -> Output {
        let pretty = matches!(mode, Mode::Json { pretty: true });
        Output {
            mode,
            out: JsonWriter::new(out, pretty),
            err,
            color: false,
        }
    }

    /// The output mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Switches the mode (bpftool's `-j`/`-p` can be given anywhere on the line).
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
        self.out
            .set_pretty(matches!(mode, Mode::Json { pretty: true }));
    }

    /// Whether the output is JSON.
    pub fn is_json(&self) -> bool {
        matches!(self.mode, Mode::Json { .. })
    }

    /// Renders one value in the current mode.
    pub fn emit<T: Serialize + Plain + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        match self.mode {
            Mode::Plain => value.plain(self.out.get_mut()),
            Mode::Json { .. } => json::write_value(&mut self.out, value),
        }
    }

    /// Opens the array a listing command prints in JSON mode (nothing in plain mode).
    pub fn begin_list(&mut self) -> io::Result<()> {
        if self.is_json() {
            self.out.start_array()?;
        }
        Ok(())
    }

    /// Closes the array opened by [`Output::begin_list`].
    pub fn end_list(&mut self) -> io::Result<()> {
        if self.is_json() {
            self.out.end_array()?;
        }
        Ok(())
    }

    /// The JSON `null` bpftool prints for commands with no output (`pin`, `help`, ...).
    pub fn null(&mut self) -> io::Result<()> {
        if self.is_json() {
            self.out.null()?;
        }
        Ok(())
    }

    /// Raw access to stdout for streamed plain output.
    pub fn plain_writer(&mut self) -> &mut dyn Write {
        self.out.get_mut()
    }

    /// Raw access to the JSON writer for streamed JSON output.
    pub fn json_writer(&mut self) -> &mut JsonWriter<Box<dyn Write>> {
        &mut self.out
    }

    /// Reports an error as bpftool's `p_err` does: `Error: MSG` on stderr, or an
    /// `{"error":"MSG"}` object on stdout in JSON mode.
    pub fn error(&mut self, msg: &str) -> io::Result<()> {
        match self.mode {
            Mode::Json { .. } => {
                self.out.start_object()?;
                self.out.name(b"error")?;
                self.out.string(msg.as_bytes())?;
                self.out.end_object()
            }
            Mode::Plain => {
                // Keep the order of stdout and stderr lines on a terminal.
                self.out.get_mut().flush()?;
                if self.color {
                    writeln!(self.err, "{} {msg}", "Error:".red().bold())
                } else {
                    writeln!(self.err, "Error: {msg}")
                }
            }
        }
    }

    /// An informational line on stderr (`p_info`); silent in JSON mode.
    pub fn info(&mut self, msg: &str) -> io::Result<()> {
        if self.is_json() {
            return Ok(());
        }
        self.out.get_mut().flush()?;
        writeln!(self.err, "{msg}")
    }

    /// Writes a help text: on stderr in plain mode, `null` on stdout in JSON mode.
    pub fn help(&mut self, text: &str) -> io::Result<()> {
        if self.is_json() {
            return self.out.null();
        }
        self.help_stderr(text)
    }

    /// Writes a help text on stderr whatever the mode (bpftool's `perf` and `iter` do).
    pub fn help_stderr(&mut self, text: &str) -> io::Result<()> {
        self.out.get_mut().flush()?;
        self.err.write_all(text.as_bytes())
    }

    /// Ends the output: the final newline of JSON mode, and a flush.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.is_json() {
            self.out.finish()?;
        }
        self.out.get_mut().flush()?;
        self.err.flush()
    }

    /// Flushes stdout without ending the JSON document.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.get_mut().flush()
    }
}

/// A `Write` handle on a shared byte buffer, for capturing output in tests.
#[derive(Debug, Clone, Default)]
pub struct SharedBuf(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl SharedBuf {
    /// A new empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }

    /// The bytes written so far, as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(mode: Mode) -> (Output, SharedBuf, SharedBuf) {
        let (o, e) = (SharedBuf::new(), SharedBuf::new());
        (
            Output::new(mode, Box::new(o.clone()), Box::new(e.clone())),
            o,
            e,
        )
    }

    #[test]
    fn error_plain_goes_to_stderr() {
        let (mut out, o, e) = capture(Mode::Plain);
        out.error("get by id (9): No such file or directory")
            .unwrap();
        out.finish().unwrap();
        assert_eq!(o.text(), "");
        assert_eq!(
            e.text(),
            "Error: get by id (9): No such file or directory\n"
        );
    }

    #[test]
    fn error_json_goes_to_stdout() {
        let (mut out, o, e) = capture(Mode::Json { pretty: false });
        out.error("what is 'x'?").unwrap();
        out.finish().unwrap();
        assert_eq!(o.text(), "{\"error\":\"what is 'x'?\"}\n");
        assert_eq!(e.text(), "");
    }

    #[test]
    fn error_inside_list_stays_inside() {
        // As bpftool: `[{"error":"..."}]` when a listing fails halfway.
        let (mut out, o, _) = capture(Mode::Json { pretty: false });
        out.begin_list().unwrap();
        out.error("boom").unwrap();
        out.finish().unwrap();
        assert_eq!(o.text(), "[{\"error\":\"boom\"}]\n");
    }

    #[test]
    fn help_is_null_in_json() {
        let (mut out, o, e) = capture(Mode::Json { pretty: true });
        out.help("Usage: x\n").unwrap();
        out.finish().unwrap();
        assert_eq!(o.text(), "null\n");
        assert_eq!(e.text(), "");
    }

    #[test]
    fn info_is_silent_in_json() {
        let (mut out, o, e) = capture(Mode::Json { pretty: false });
        out.info("skipping").unwrap();
        out.null().unwrap();
        out.finish().unwrap();
        assert_eq!(o.text(), "null\n");
        assert_eq!(e.text(), "");
    }
}
