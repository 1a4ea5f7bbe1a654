//! A self-signed certificate made per test, the `server.tls` that names it, and clients
//! (reqwest, tonic) that trust it.
#![allow(dead_code)]

use std::path::PathBuf;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

/// A certificate for one name, with `cert.pem` and `key.pem` in its own temporary directory.
pub struct SelfSigned {
    pub dir: tempfile::TempDir,
    pub pem: String,
    pub der: Vec<u8>,
}

impl SelfSigned {
    /// A new certificate for `name` (`localhost`, `127.0.0.1`).
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let made = rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("cert");
        let pem = made.cert.pem();
        std::fs::write(dir.path().join("cert.pem"), &pem).expect("write cert");
        std::fs::write(dir.path().join("key.pem"), made.key_pair.serialize_pem())
            .expect("write key");
        Self {
            dir,
            pem,
            der: made.cert.der().to_vec(),
        }
    }

    pub fn cert_file(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// `tls: { cert: "…", key: "…" }`, for inside `server: { … }`.
    pub fn server_tls(&self) -> String {
        format!(
            "tls: {{ cert: \"{}\", key: \"{}\" }}",
            self.cert_file().display(),
            self.key_file().display()
        )
    }

    /// A reqwest client builder that trusts this certificate (besides the public CAs unless
    /// the caller turns those off).
    pub fn trusting(&self) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem.as_bytes()).expect("pem"))
    }

    /// A gRPC channel over TLS to `url` (`https://…`), trusting only this certificate and
    /// checking it names `localhost`.
    pub async fn grpc_channel(&self, url: String) -> Channel {
        Endpoint::from_shared(url)
            .expect("url")
            .tls_config(
                ClientTlsConfig::new()
                    .ca_certificate(Certificate::from_pem(&self.pem))
                    .domain_name("localhost"),
            )
            .expect("tls config")
            .connect()
            .await
            .expect("grpc over tls connects")
    }
}

/// Polls `url` with `client` until it answers 200.
pub async fn ready_over_https(client: &reqwest::Client, url: &str, what: &str) {
    crate::support::eventually(what, || {
        let (client, url) = (client.clone(), url.to_owned());
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
}
