//! End-to-end tests of the whole gateway on real sockets: the facade and the
//! core wired as `modelgate serve` wires them (in-process core) and as split
//! `core` + `facade` processes wire them (gRPC over TCP), against the mock
//! upstream replaying recorded provider wire data.

mod chat;
mod client_misbehaviour;
mod cors;
mod docs;
mod errors;
mod grpc;
mod harness;
mod lifecycle;
mod misbehaviour;
mod model_metadata;
mod request_id;
mod resilience;
mod security;
mod tls;
