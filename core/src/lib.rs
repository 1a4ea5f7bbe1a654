//! modelgate's gRPC core: configuration, routing, provider adapters, caller
//! authentication, and the `modelgate.v1.Gateway` service.
//!
//! A request goes down these layers, each in its own module:
//! - `grpc`, `auth_first`, `tls`, `lifecycle`: the tonic server (key checked from metadata
//!   before the message is read, drain on shutdown).
//! - `service`: one function per RPC in the same shape: admit, authenticate, validate,
//!   allow-list, then the pipeline; the streamed RPCs (ChatCompletion, CreateResponse) share
//!   one body, differing only by `streamed_rpc::StreamedRpc`, and hand their answer over
//!   through `relay` without a channel. `request_log`, `metrics`, `rpc_span`: what every RPC
//!   records.
//! - `resilience`: the pipeline, generic over the operation (`operations` holds the three
//!   entry points): key limits, `supported` (the provider's declared capabilities), retries,
//!   fallbacks, balancing, cooldowns, timeouts, the first-chunk peek and the stream `tail`.
//!   `process_state` keeps counters and health across reloads.
//! - `router`: aliases and groups to deployments (`Target`s), built from `config`.
//! - `providers`: one adapter per upstream API behind the `Provider` trait (pure request and
//!   response mappers beside the transport); `responses` answers the Responses API through
//!   chat for adapters without one of their own.
//! - `config` (raw then validated), `secrets`, `catalogue`, `discovery`, `deployment_info`,
//!   `health_check`: what the layers above read.

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
pub mod relay;
pub mod request_log;
pub mod resilience;
pub mod responses;
pub mod router;
pub mod rpc_span;
pub mod secrets;
pub mod service;
pub mod sse;
pub mod streamed_rpc;
pub mod tls;
