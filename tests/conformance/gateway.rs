//! The built `modelgate` binary (`modelgate serve`, ports the kernel picks) in front of one
//! mock upstream that speaks every provider's API under its own path prefix. The mock runs in
//! this process: it plays the providers, and what it received is what the gateway sent.

use std::net::SocketAddr;
use std::path::PathBuf;

use mock_upstream::MockUpstream;

use crate::adapters::Spec;
use crate::support::{self, Mode};

pub const CLIENT_KEY: &str = "sk-conformance-client";
/// Every provider entry uses this key, so checks can assert where it goes.
pub const PROVIDER_KEY: &str = "sk-conformance-provider-9876";

pub struct Gateway {
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub mock: MockUpstream,
    pub client: reqwest::Client,
    /// The `modelgate serve` process (killed on drop) and the config file it read.
    pub process: support::Gateway,
    _dir: tempfile::TempDir,
}

impl Gateway {
    pub async fn start(specs: &[Spec]) -> Result<Self, String> {
        let mock = MockUpstream::start(mock_upstream::default_fixtures_dir())
            .await
            .map_err(|e| format!("mock upstream does not start: {e}"))?;
        let mut yaml = format!(
            "auth:\n  keys:\n    - {{ name: conformance, key: {CLIENT_KEY} }}\nproviders:\n"
        );
        for spec in specs {
            yaml.push_str(&format!(
                "  {}: {}\n",
                spec.name,
                (spec.provider_yaml)(&mock)
            ));
        }
        let (dir, file) = support::config_file(&yaml);
        let process = launch(file)
            .await
            .map_err(|e| format!("modelgate serve did not start: {e}\nconfig:\n{yaml}"))?;
        let http = process.http_addr().parse().map_err(|e| format!("{e}"))?;
        let grpc = process.grpc_addr().parse().map_err(|e| format!("{e}"))?;
        Ok(Self {
            http,
            grpc,
            mock,
            client: reqwest::Client::new(),
            process,
            _dir: dir,
        })
    }

    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<reqwest::Response, String> {
        self.client
            .post(format!("http://{}{path}", self.http))
            .bearer_auth(CLIENT_KEY)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("gateway did not answer: {e}"))
    }
}

/// Starts `modelgate serve` from `config` and waits until it is ready. Starting blocks (it
/// reads the process's output), so it runs off this runtime, which keeps the mock answering.
async fn launch(config: PathBuf) -> Result<support::Gateway, String> {
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(support::Gateway::start(Mode::Serve, &config, &[])))
            .map_err(|e| format!("runtime: {e}"))
    })
    .await
    .map_err(|e| format!("{e}"))?
}
