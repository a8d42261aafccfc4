//! The streamable-HTTP transport: a stateless router the HTTP host mounts.
//!
//! Stateless (no session kept between requests) and answering in plain JSON, so any
//! instance behind a load balancer can serve any request. Which businesses a caller may
//! act for is the HTTP host's decision: it builds the [`VaultraMcp`] of each request's
//! principal with `factory`.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::VaultraMcp;

/// The MCP endpoint as an axum router (mount it with `Router::nest("/mcp", …)`).
///
/// `allowed_hosts` are the `Host` header values accepted (DNS-rebinding protection);
/// empty keeps rmcp's default of loopback names only.
pub fn router<F>(factory: F, allowed_hosts: Vec<String>) -> axum::Router
where
    F: Fn() -> VaultraMcp + Send + Sync + 'static,
{
    let mut config = StreamableHttpServerConfig::default();
    config.legacy_session_mode = false;
    config.json_response = true;
    if !allowed_hosts.is_empty() {
        config.allowed_hosts = allowed_hosts;
    }
    let service = StreamableHttpService::new(
        move || Ok(factory()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    axum::Router::new().fallback_service(service)
}
