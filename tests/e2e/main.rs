//! End-to-end tests of the whole gateway on real sockets: the facade and the
//! core wired as `modelgate serve` wires them (in-process core) and as split
//! `core` + `facade` processes wire them (gRPC over TCP), against the mock
//! upstream replaying recorded provider wire data.

mod chat;
mod errors;
mod grpc;
mod harness;
mod security;
