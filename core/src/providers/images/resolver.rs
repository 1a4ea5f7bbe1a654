//! The image client's DNS: resolve, check every address, and hand reqwest only addresses that
//! passed, so the connection goes to what was checked (no second lookup to rebind).

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::destination::{Destinations, Refusal};

/// Resolves host names of image URLs, refusing any answer with a non-allowed address.
pub struct CheckedResolver {
    pub destinations: Arc<Destinations>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let destinations = self.destinations.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts in the URL's port.
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Refusal::Resolve(e.to_string()))?
                .collect();
            destinations.check_resolved(&host, &addrs)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}
