//! Routing state that belongs to the running process rather than to one configuration:
//! per-key rate-limit counters and each deployment's health (failures and cooldown, requests in
//! flight, the time-to-first-token average). A reload builds a new router that borrows this
//! state, so a SIGHUP forgives no key its spent requests and no failing deployment its
//! cooldown. What the new configuration no longer names is dropped, so the state stays bounded
//! by the configuration.
//!
//! Counters sit behind [`RateLimiter`], so a shared store can replace the in-memory one. Health
//! stays a plain in-process value: the balancer reads it synchronously for every attempt.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::cooldown::Health;
use super::limits::{InMemoryLimiter, RateLimiter};

/// What makes a deployment of one configuration the same as one of the next: its group
/// (`model_name`), its id (`model_info.id`, else `provider/upstream-model`), and how many
/// entries of that group with that id come before it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeploymentKey {
    pub group: String,
    pub id: String,
    pub nth: usize,
}

/// Created with the core's first state and handed on to every state a reload builds.
pub struct ProcessState {
    limiter: Arc<dyn RateLimiter>,
    health: Mutex<HashMap<DeploymentKey, Arc<Health>>>,
}

impl Default for ProcessState {
    fn default() -> Self {
        Self::with_limiter(Arc::new(InMemoryLimiter::default()))
    }
}

impl ProcessState {
    pub fn with_limiter(limiter: Arc<dyn RateLimiter>) -> Self {
        Self {
            limiter,
            health: Mutex::new(HashMap::new()),
        }
    }

    /// The per-key limiter.
    pub fn limiter(&self) -> &Arc<dyn RateLimiter> {
        &self.limiter
    }

    /// The health of each deployment of a new configuration, in the order of `keys`: the one
    /// it had if the previous configuration had it, else a fresh one. Deployments not in
    /// `keys` are forgotten (requests still running on them keep theirs until they end).
    pub fn deployments(&self, keys: &[DeploymentKey]) -> Vec<Arc<Health>> {
        let mut map = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let mut kept = HashMap::with_capacity(keys.len());
        let out = keys
            .iter()
            .map(|key| {
                let health = map.remove(key).unwrap_or_default();
                kept.insert(key.clone(), health.clone());
                health
            })
            .collect();
        *map = kept;
        out
    }

    /// Keeps the rate-limit counters of `limited` keys only (a reload may remove a key or
    /// its limits).
    pub fn retain_keys(&self, limited: &HashSet<String>) {
        self.limiter.retain(limited);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: &str, id: &str, nth: usize) -> DeploymentKey {
        DeploymentKey {
            group: group.into(),
            id: id.into(),
            nth,
        }
    }

    #[test]
    fn deployments_that_stay_keep_their_health_and_removed_ones_are_dropped() {
        let state = ProcessState::default();
        let first = state.deployments(&[key("g", "a", 0), key("g", "a", 1), key("g", "b", 0)]);
        let second = state.deployments(&[key("g", "a", 1), key("h", "a", 0)]);
        assert!(Arc::ptr_eq(&first[1], &second[0]), "same key: same health");
        assert!(!Arc::ptr_eq(&first[0], &second[1]), "other group: fresh");
        let map = state.health.lock().expect("lock");
        assert_eq!(map.len(), 2, "only the current deployments are held");
    }
}
