//! modelgate's observability plumbing, shared by the core, the facade and the
//! binary: log output (text or JSON, stderr and an optional daily-rotated
//! file), OpenTelemetry trace export with W3C context propagation across the
//! gRPC hop, the Prometheus recorder behind `/metrics`, and the opt-in debug
//! log of request and response bodies.

pub mod bodies;
pub mod log_fields;
pub mod logs;
pub mod prometheus;
pub mod propagation;
pub mod traces;

pub use logs::{LogFormat, LogOptions, Telemetry, TelemetryError, init};
