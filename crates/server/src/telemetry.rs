//! Logs: JSON lines by default (one object per event, for log shippers), or human-readable.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests start many servers) do nothing.
pub fn init(format: &str, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "pretty" {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    };
}
