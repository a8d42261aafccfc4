//! Embedding Vaultra with a store: open the embedded SQLite store, import a Stripe
//! export for a business, and print its readiness report — all through the application
//! layer (`vaultra_core::app::Vaultra`), exactly as the `vaultra` command does.
//!
//! Run: `cargo run -p vaultra-examples --bin store-in-rust`

use std::sync::Arc;

use vaultra_adapters::{files::read_batch, local::SystemClock};
use vaultra_core::app::{Actor, Assessment, Vaultra, WindowSpec};
use vaultra_core::domain::NewBusiness;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = std::env::temp_dir().join(format!("vaultra-example-{}.db", std::process::id()));
    let store = vaultra_adapters::open_store(&format!("sqlite://{}", file.display())).await?;
    let app = Vaultra::builder(store)
        .clock(Arc::new(SystemClock))
        .build()?;
    let shop = NewBusiness::named("Sample Shop");
    let business = app
        .create_business_for_email("owner@example.com", None, shop)
        .await?;
    let export = read_batch(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample-merchant"))?;
    app.import(&Actor::System, business.id, &export).await?;
    let window = WindowSpec::ending("2026-11-27".parse()?);
    let report = app
        .report(&Actor::System, business.id, &Assessment::new(window))
        .await?;
    print!("{}", report.to_text());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Ok(())
}
