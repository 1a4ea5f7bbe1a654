//! modelgate's gRPC core: configuration, routing, provider adapters, caller
//! authentication, and the `modelgate.v1.Gateway` service.

pub mod auth;
pub mod config;
pub mod discovery;
pub mod grpc;
pub mod providers;
pub mod request_log;
pub mod router;
pub mod service;
pub mod sse;
