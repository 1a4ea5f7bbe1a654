//! End-to-end tests of the built `modelgate` binary on real sockets, run as users run it:
//! `modelgate serve` (one process), and `modelgate core` + `modelgate facade` (two processes,
//! gRPC over TCP between them), against the mock upstream replaying recorded provider wire data.
//!
//! A test target of `modelgate-cli` (cli/Cargo.toml), which is what lets it find the binary
//! cargo built. No test here assembles a server in process.

mod chat;
mod client_misbehaviour;
mod cors;
mod docs;
mod errors;
mod grpc;
// gRPC requests with a client key, shared with the binary's own tests.
#[path = "../../cli/tests/grpc_client/mod.rs"]
mod grpc_client;
mod harness;
mod lifecycle;
mod misbehaviour;
mod model_metadata;
mod request_id;
mod resilience;
mod security;
// Starting and stopping `modelgate` processes, shared with the binary's own tests.
#[path = "../../cli/tests/support/mod.rs"]
mod support;
mod tls;
// A self-signed certificate and clients that trust it, shared with the binary's own tests.
#[path = "../../cli/tests/tls_certs/mod.rs"]
mod tls_certs;
