//! The `modelgate` binary's own tests, one test target (`cargo test -p modelgate-cli --test cli`):
//! each file here is a module named for what it tests (`--test cli reload::` runs one file).
//! One target links the dependency graph once instead of once per file.
//!
//! The tests share this process and run on parallel threads: none may change process-wide
//! state (environment, limits, signal handlers, current directory); whatever a test measures
//! (memory, descriptors, connections) it measures in the gateway processes it started, and a
//! test that needs the machine to itself takes [`support::alone`].

// Helpers shared by the files below (and, by path, by the `e2e`, `load` and `conformance`
// targets).
mod chat_client;
mod check_config_cli;
mod grpc_client;
mod loopback;
mod prometheus_text;
mod support;
mod tls_certs;

mod auth_before_body;
mod binary;
mod catalogue_script;
mod client_key_headers;
mod completions_not_logged;
mod config_env_var;
mod connections;
mod cooldown_groups;
mod core_metrics_env;
mod cors_headers;
mod debug_headers;
mod discovery_cache;
mod docs_offline;
mod env_only;
mod env_providers;
mod error_table;
mod facade_cors;
mod fallback_bounds;
mod fallback_retries;
mod grpc_direct;
mod health_model_limits;
mod health_model_mode;
mod healthcheck_default;
mod http2_pings;
mod image_fetch;
mod image_fetch_limits;
mod image_fetch_proxy;
mod json_log_injection;
mod listen_defaults;
mod litellm_notices;
mod litellm_settings_notices;
mod log_injection;
mod logs_binary;
mod memory_flat;
mod metrics_binary;
mod metrics_usage_kinds;
mod model_info_view;
mod model_list_cap;
mod model_path;
mod models_enabled;
mod modes;
mod open_access;
mod openapi_version;
mod otel_timeout;
mod presets;
mod readiness;
mod reload;
mod reload_guard;
mod reload_keeps_state;
mod reload_providers;
mod reload_rejection_text;
mod responses_api_key;
mod responses_route;
mod responses_traces;
mod retries_and_fallbacks;
mod retry_at_once;
mod retry_waits;
mod router_timeouts;
mod routing_options;
mod secret_scrub;
mod serve_in_process;
mod server_defaults;
mod shutdown_grace;
mod split_signals;
mod startup_log;
mod tls;
mod tls_binary;
mod token_limit_headers;
mod traces_binary;
mod unknown_names_bounded;
mod unserved_routes;
mod unsupported_by_provider;
mod upstream_error_text;
mod upstream_headers;
mod upstream_redirects;
