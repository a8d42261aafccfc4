//! `vaultra mcp`: the MCP tool server, on stdio or streamable HTTP.

use vaultra_core::app::Actor;
use vaultra_mcp::{Scope, VaultraMcp};

use crate::cli::McpArgs;
use crate::error::CliError;
use crate::store::{business_id, open_app};

/// `vaultra mcp`.
pub async fn mcp(url: &str, args: McpArgs) -> Result<(), CliError> {
    // stdout carries the protocol: everything else goes to stderr.
    crate::jobs::init_logging();
    let scope = if args.businesses.is_empty() {
        Scope::All
    } else {
        Scope::Only(
            args.businesses
                .iter()
                .map(|b| business_id(b))
                .collect::<Result<_, _>>()?,
        )
    };
    let app = open_app(url).await?;
    if let Scope::Only(ids) = &scope {
        // A typo should stop the server at once, not surface as tool errors later.
        for id in ids {
            app.business(&Actor::System, *id).await?;
        }
    }
    let server = VaultraMcp::new(app, scope);
    match args.http {
        None => {
            tracing::info!("MCP server on stdio");
            server
                .serve_stdio()
                .await
                .map_err(|e| CliError::Failed(e.to_string()))
        }
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| CliError::Io {
                    context: format!("binding {addr}"),
                    source,
                })?;
            let local = listener.local_addr().map_err(|source| CliError::Io {
                context: "reading the bound address".into(),
                source,
            })?;
            let hosts = vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                local.ip().to_string(),
                local.to_string(),
                format!("localhost:{}", local.port()),
            ];
            let app = axum::Router::new().nest(
                "/mcp",
                vaultra_mcp::http::router(move || server.clone(), hosts),
            );
            tracing::info!("MCP server on http://{local}/mcp");
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|source| CliError::Io {
                    context: "serving HTTP".into(),
                    source,
                })
        }
    }
}
