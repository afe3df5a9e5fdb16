//! Typed errors that say where the input went wrong.
//!
//! Every problem with an input row names the file, the 0-based data row
//! (header excluded, the same numbering as `rows` in `findings.json`), the
//! column and the offending value, so an analyst can open the file and look.

use std::fmt;
use std::path::{Path, PathBuf};

/// The error type of moneytrail: a boxed [`ErrorKind`], small to move around.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// A moneytrail result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Consume the error and return what went wrong.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    }

    pub(crate) fn format(path: &Path, message: impl Into<String>) -> Error {
        ErrorKind::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        ErrorKind::InvalidArgument(message.into()).into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl From<RowError> for Error {
    fn from(row: RowError) -> Error {
        ErrorKind::Row(row).into()
    }
}

/// The kinds of error moneytrail reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not in a layout moneytrail knows, or its header lacks a
    /// required column, or its container (CSV, Parquet, JSON) is broken.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        message: String,
    },
    /// One data row is bad (strict loading stops at the first such row).
    Row(RowError),
    /// The file holds more rows than moneytrail's 32-bit row and transfer
    /// ids can address (4,294,967,295).
    TooManyRows {
        /// The file.
        path: PathBuf,
    },
    /// An argument given to the library is not valid (an unknown account
    /// key, an empty time range…).
    InvalidArgument(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            ErrorKind::Format { path, message } => write!(f, "{}: {}", path.display(), message),
            ErrorKind::Row(row) => row.fmt(f),
            ErrorKind::TooManyRows { path } => write!(
                f,
                "{}: more than 4,294,967,295 data rows; split the file",
                path.display()
            ),
            ErrorKind::InvalidArgument(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why a row was rejected. The names are stable: the load report counts
/// rejections per reason under these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// A required value is empty or missing.
    MissingValue,
    /// An account identifier is empty.
    EmptyAccount,
    /// A time that does not parse in the layout's time format.
    BadTime,
    /// An amount that is not a decimal number.
    BadAmount,
    /// An amount below zero.
    NegativeAmount,
    /// A number (a label, a time step, a node id) that does not parse.
    BadNumber,
    /// The record has more or fewer fields than the header.
    WrongFieldCount,
    /// A JSON line that is not a JSON object of the expected shape.
    BadJson,
    /// A value outside the set the column allows (an unknown account kind…).
    BadValue,
    /// An on-chain transaction whose inputs do not equal its outputs plus
    /// its fee.
    Unbalanced,
    /// A CSV record whose quotes break RFC 4180 (a quote inside an unquoted
    /// field, text after a closing quote, a quote that never closes).
    BadQuoting,
    /// An amount with more digits than moneytrail keeps exactly (28 decimal
    /// places, 28 significant digits): rejected rather than rounded.
    TooPrecise,
}

impl Reason {
    /// The reason's snake_case name, as written in load reports.
    pub fn name(self) -> &'static str {
        match self {
            Reason::MissingValue => "missing_value",
            Reason::EmptyAccount => "empty_account",
            Reason::BadTime => "bad_time",
            Reason::BadAmount => "bad_amount",
            Reason::NegativeAmount => "negative_amount",
            Reason::BadNumber => "bad_number",
            Reason::WrongFieldCount => "wrong_field_count",
            Reason::BadJson => "bad_json",
            Reason::BadValue => "bad_value",
            Reason::Unbalanced => "unbalanced",
            Reason::BadQuoting => "bad_quoting",
            Reason::TooPrecise => "too_precise",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Reason::MissingValue => "a value is required",
            Reason::EmptyAccount => "the account is empty",
            Reason::BadTime => "not a valid time",
            Reason::BadAmount => "not a decimal amount",
            Reason::NegativeAmount => "negative amount",
            Reason::BadNumber => "not a valid number",
            Reason::WrongFieldCount => "wrong number of fields",
            Reason::BadJson => "not a valid JSON record",
            Reason::BadValue => "value not allowed here",
            Reason::Unbalanced => "inputs do not equal outputs plus fee",
            Reason::BadQuoting => "badly quoted record",
            Reason::TooPrecise => "more digits than an exact decimal holds (28)",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One bad input row: where it is, which column, what value, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file.
    pub path: PathBuf,
    /// The 0-based data row, header excluded (as in `findings.json`).
    pub row: u64,
    /// The 1-based line of the file where the row starts, when known.
    pub line: Option<u64>,
    /// The column's name as the layout spells it.
    pub column: String,
    /// The offending value (cut to 80 characters).
    pub value: String,
    /// Why the row was rejected.
    pub reason: Reason,
    /// More detail, when there is any (the expected format, the field count…).
    pub detail: Option<String>,
}

impl RowError {
    pub(crate) fn new(row: u64, column: &str, value: &str, reason: Reason) -> RowError {
        let mut value_cut: String = value.chars().take(80).collect();
        if value_cut.len() < value.len() {
            value_cut.push('…');
        }
        RowError {
            path: PathBuf::new(),
            row,
            line: None,
            column: column.to_string(),
            value: value_cut,
            reason,
            detail: None,
        }
    }

    pub(crate) fn with_detail(mut self, detail: impl Into<String>) -> RowError {
        self.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: row {}", self.path.display(), self.row)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(
            f,
            ", column \"{}\": value \"{}\": {}",
            self.column,
            self.value,
            self.reason.describe()
        )?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RowError {}
