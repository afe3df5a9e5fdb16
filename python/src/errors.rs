//! The library's errors as Python exceptions: `InputError` for a bad file
//! or row (with `path`, `row`, `line`, `column`, `value`, `reason` and
//! `detail` attributes, `None` where they do not apply), `ArgumentError`
//! for a bad argument, both subclasses of `MoneytrailError`.

use moneytrail::ErrorKind;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, IntoPyObjectExt};

create_exception!(
    moneytrail,
    MoneytrailError,
    PyException,
    "Any error moneytrail reports."
);
create_exception!(
    moneytrail,
    InputError,
    MoneytrailError,
    "The input cannot be read: attributes path, row (0-based data row), line, column, value, reason and detail say where and why."
);
create_exception!(
    moneytrail,
    ArgumentError,
    MoneytrailError,
    "An argument is not valid (an unknown account, rule or time)."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MoneytrailError", py.get_type::<MoneytrailError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ArgumentError", py.get_type::<ArgumentError>())?;
    Ok(())
}

/// Where an input error points; every field may be absent.
#[derive(Default)]
struct Place {
    path: Option<String>,
    row: Option<u64>,
    line: Option<u64>,
    column: Option<String>,
    value: Option<String>,
    reason: Option<&'static str>,
    detail: Option<String>,
}

/// The Python exception for a library error.
pub(crate) fn to_py(error: moneytrail::Error) -> PyErr {
    let message = error.to_string();
    let place = match error.kind() {
        ErrorKind::Row(r) => Place {
            path: Some(r.path.display().to_string()),
            row: Some(r.row),
            line: r.line,
            column: Some(r.column.clone()),
            value: Some(r.value.clone()),
            reason: Some(r.reason.name()),
            detail: r.detail.clone(),
        },
        ErrorKind::Io { path, .. }
        | ErrorKind::Format { path, .. }
        | ErrorKind::TooManyRows { path } => Place {
            path: Some(path.display().to_string()),
            ..Place::default()
        },
        ErrorKind::InvalidArgument(_) => return ArgumentError::new_err(message),
        _ => return MoneytrailError::new_err(message),
    };
    Python::attach(|py| {
        let error = InputError::new_err(message);
        let value = error.value(py);
        let set = |name: &str, v: PyResult<Py<PyAny>>| -> PyResult<()> { value.setattr(name, v?) };
        let filled = set("path", place.path.into_py_any(py))
            .and_then(|()| set("row", place.row.into_py_any(py)))
            .and_then(|()| set("line", place.line.into_py_any(py)))
            .and_then(|()| set("column", place.column.into_py_any(py)))
            .and_then(|()| set("value", place.value.into_py_any(py)))
            .and_then(|()| set("reason", place.reason.into_py_any(py)))
            .and_then(|()| set("detail", place.detail.into_py_any(py)));
        match filled {
            Ok(()) => error,
            Err(e) => e,
        }
    })
}

/// An `ArgumentError` with this message.
pub(crate) fn argument(message: impl Into<String>) -> PyErr {
    ArgumentError::new_err(message.into())
}
