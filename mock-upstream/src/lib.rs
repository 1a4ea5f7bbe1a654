//! mock-upstream: an OpenAI-compatible upstream for modelgate's tests. It replays the recorded
//! provider wire data in `../shared/fixtures/providers/`, records every request it receives and
//! fails on demand; the request's `model` picks the scenario (see README.md). Where each
//! answer comes from: `sources` (rendered as SOURCES.md).

mod body;
mod canned;
mod content_types;
mod endless;
mod fixtures;
mod flaky;
pub mod fuzz_input;
mod native;
mod record;
mod responses;
mod scenarios;
mod server;
pub mod sources;
mod stats;
mod throttle;

use std::path::PathBuf;

pub use record::RecordedRequest;
pub use server::MockUpstream;
pub use stats::Stats;

/// `$MODELGATE_FIXTURES`, else the shared provider fixtures next to the workspace
/// (`<workspace root>/../shared/fixtures/providers`).
pub fn default_fixtures_dir() -> PathBuf {
    match std::env::var_os("MODELGATE_FIXTURES") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("..")
            .join("shared")
            .join("fixtures")
            .join("providers"),
    }
}
