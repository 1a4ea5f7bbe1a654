//! modelgate's API contract: the generated gRPC code, the descriptor set for
//! server reflection, and the error table that core and facade share.
//!
//! - `v1`: the generated `modelgate.v1` messages and service; `error`: the one HTTP/gRPC
//!   error table; `responses`: the Responses API's JSON ↔ `v1` messages (facade and the
//!   adapters with a Responses API of their own); `json`: `Struct` ↔ JSON.
//! - `connections`, `drain`: the listener every port uses (caps, timeouts) and shutdown;
//!   `local`: the in-process RPC path `modelgate serve` uses; `model_name`: name bounds.

pub mod connections;
pub mod drain;
pub mod error;
pub mod json;
pub mod local;
pub mod model_name;
pub mod responses;
pub mod routing;

/// Generated protobuf messages and gRPC stubs of `modelgate.v1`.
pub mod v1 {
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("modelgate.v1");
}

/// HTTP/2 connection window of the gRPC connection between a facade and its
/// core (set on both sides): thousands of concurrent answers share that one
/// connection, each chunk a small DATA frame, and h2 closes a connection
/// holding more of those than half its window.
pub const GRPC_CONNECTION_WINDOW: u32 = 64 * 1024 * 1024;

/// Encoded `FileDescriptorSet` of every `modelgate.v1` file and its imports.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("modelgate_descriptor");
