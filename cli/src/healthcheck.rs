//! `modelgate healthcheck`: the container HEALTHCHECK, so the runtime image needs no curl.

use std::time::Duration;

/// A health check that has not answered by then counts as failed.
const TIMEOUT: Duration = Duration::from_secs(5);

/// `Ok` when `url` answers 200.
pub async fn check(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| format!("healthcheck: cannot create an HTTP client: {e}"))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("healthcheck: {url}: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        println!("healthy: {url} answered {status}");
        Ok(())
    } else {
        Err(format!("healthcheck: {url} answered {status}"))
    }
}
