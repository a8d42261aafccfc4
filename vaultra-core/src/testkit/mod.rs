//! Contract test suites for every port, run against every backend.
//!
//! Each behaviour is a plain `pub async fn` taking the backend under test, so any
//! implementation — ours or an outside one — can run the same suite.
