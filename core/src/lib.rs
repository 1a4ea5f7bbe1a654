//! modelgate's gRPC core: configuration, routing, provider adapters, caller
//! authentication, and the `modelgate.v1.Gateway` service.

pub mod auth;
pub mod auth_first;
pub mod catalogue;
pub mod config;
pub mod deployment_info;
pub mod discovery;
pub mod grpc;
pub mod health_check;
pub mod lifecycle;
pub mod local;
pub mod metrics;
pub mod providers;
pub mod request_log;
pub mod resilience;
pub mod response_rpc;
pub mod responses;
pub mod router;
pub mod rpc_span;
pub mod secrets;
pub mod service;
pub mod sse;
pub mod tls;
