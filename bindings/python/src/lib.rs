//! `vaultra._vaultra`: the private native module behind the `vaultra` Python package.
//!
//! The Python package (`python/vaultra`) is the public API; this module is the thin layer
//! that moves data into `vaultra-core` and results back out:
//!
//! - [`objects`] reads Stripe objects given as Python mappings;
//! - [`columns`] reads charge columns as arrays (the DataFrame fast path);
//! - [`arrow`] reads charges from Arrow tables through the PyCapsule interface;
//! - [`data`] holds a business's payment data and loads export folders;
//! - [`report`] assesses, simulates and plans, returning the core's JSON;
//! - [`client`] reads a store through the core's services (`Client`);
//! - [`dedupe`] de-duplicates DataFrame rows by Stripe id;
//! - [`errors`] declares the exception hierarchy and maps the core error onto it.
//!
//! Business rules live in `vaultra-core` only; the GIL is released while it computes.

use pyo3::prelude::*;

pub mod arrow;
pub mod client;
pub mod columns;
pub mod data;
pub mod dedupe;
pub mod errors;
pub mod objects;
pub mod report;

/// Native core of the ``vaultra`` package; use ``vaultra`` itself.
#[pymodule]
mod _vaultra {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::client::PyClient;
    #[pymodule_export]
    use crate::data::{PyPaymentData, load_export};
    #[pymodule_export]
    use crate::errors::{
        Conflict, InternalError, InvalidInput, NotFound, PermissionDenied, Unavailable,
        VaultraError,
    };
    #[pymodule_export]
    use crate::report::{
        PyIndicators, PyPolicy, PyReport, assess, assess_charge_arrow, assess_charge_columns,
    };

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        crate::errors::init_defaults(m.py())?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("SPEC_V1", vaultra_core::scoring::SPEC_V1)?;
        Ok(())
    }
}
