//! The Python exception hierarchy, declared once, and the one conversion from the core error.
//!
//! ```text
//! VaultraError
//! ├── InvalidInput        bad data or arguments (names the row/object and field)
//! ├── NotFound
//! ├── Conflict
//! ├── PermissionDenied
//! ├── Unavailable         `.retryable` says whether trying again may help
//! └── InternalError       a bug in Vaultra
//! ```

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    vaultra,
    VaultraError,
    PyException,
    "Base class of every error Vaultra raises."
);
create_exception!(
    vaultra,
    InvalidInput,
    VaultraError,
    "The input is malformed or breaks a rule; the message names the row or object and the field.\n\n\
     Attributes: ``context`` (where: file, row, object id), ``field`` (the offending field) and \
     ``reason`` (why), each ``None`` when unknown."
);
create_exception!(
    vaultra,
    NotFound,
    VaultraError,
    "The named thing does not exist."
);
create_exception!(
    vaultra,
    Conflict,
    VaultraError,
    "The request conflicts with the current state."
);
create_exception!(
    vaultra,
    PermissionDenied,
    VaultraError,
    "The caller is not allowed to do this."
);
create_exception!(
    vaultra,
    Unavailable,
    VaultraError,
    "A dependency (a file, a service) could not be reached; ``retryable`` says whether trying \
     again may help."
);
create_exception!(
    vaultra,
    InternalError,
    VaultraError,
    "A bug or broken invariant in Vaultra."
);

/// Gives the attributes the exceptions carry a class-level default, so that an instance
/// raised without them (e.g. by user code) still has them.
pub fn init_defaults(py: Python<'_>) -> PyResult<()> {
    let invalid = py.get_type::<InvalidInput>();
    for name in ["context", "field", "reason"] {
        invalid.setattr(name, py.None())?;
    }
    py.get_type::<Unavailable>().setattr("retryable", false)?;
    Ok(())
}

/// A core error on its way to Python.
#[derive(Debug)]
pub struct CoreError(pub vaultra_core::Error);

impl From<vaultra_core::Error> for CoreError {
    fn from(e: vaultra_core::Error) -> Self {
        Self(e)
    }
}

impl From<CoreError> for PyErr {
    fn from(e: CoreError) -> Self {
        Python::attach(|py| to_py_err(py, e.0))
    }
}

/// Maps a core error to the Python exception of its category, with its details as attributes.
pub fn to_py_err(py: Python<'_>, error: vaultra_core::Error) -> PyErr {
    use vaultra_core::Error as E;
    let message = error.to_string();
    match error {
        E::Invalid { input, .. } => {
            let err = InvalidInput::new_err(message);
            let value = err.value(py);
            // Setting attributes on a fresh exception instance cannot fail in practice; if it
            // did, the exception still carries the full message.
            let _ = value.setattr("context", input.context);
            let _ = value.setattr("field", input.field);
            let _ = value.setattr("reason", input.reason);
            err
        }
        E::NotFound { .. } => NotFound::new_err(message),
        E::Conflict { .. } => Conflict::new_err(message),
        E::PermissionDenied { .. } => PermissionDenied::new_err(message),
        E::Unavailable { retryable, .. } => {
            let err = Unavailable::new_err(message);
            let _ = err.value(py).setattr("retryable", retryable);
            err
        }
        _ => InternalError::new_err(message),
    }
}

/// An [`InvalidInput`] about one field, with `context` saying where.
pub fn invalid(py: Python<'_>, context: Option<String>, field: &str, reason: String) -> PyErr {
    let mut error = vaultra_core::Error::invalid(field, reason);
    if let Some(context) = context {
        error = error.in_context(context);
    }
    to_py_err(py, error)
}
