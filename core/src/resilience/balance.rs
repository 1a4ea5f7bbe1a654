//! The order in which one model group's deployments are tried: lower `order` first, then by
//! `routing_strategy` — `simple-shuffle` (weighted by `weight`, else `rpm`, else `tpm`; equal
//! weights rotate so the load spreads evenly), `least-busy` (fewest requests in flight) or
//! `latency-based-routing` (lowest moving average of time to first token; unmeasured first).

use std::time::Duration;

use crate::config::RoutingStrategy;
use crate::router::{Route, Target};

/// Every candidate of `route`, best first.
pub fn order(route: &Route, strategy: RoutingStrategy) -> Vec<Target> {
    let mut levels: Vec<u32> = route
        .candidates
        .iter()
        .map(|t| t.routing.order.unwrap_or(u32::MAX))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    let mut out = Vec::with_capacity(route.candidates.len());
    for level in levels {
        let mut tier: Vec<Target> = route
            .candidates
            .iter()
            .filter(|t| t.routing.order.unwrap_or(u32::MAX) == level)
            .cloned()
            .collect();
        if !tier.is_empty() {
            let turn = route.turn % tier.len();
            tier.rotate_left(turn);
        }
        match strategy {
            RoutingStrategy::SimpleShuffle => weighted_shuffle(&mut tier),
            RoutingStrategy::LeastBusy => tier.sort_by_key(|t| t.health.in_flight()),
            RoutingStrategy::LatencyBased => {
                tier.sort_by_key(|t| t.health.ttft().unwrap_or(Duration::ZERO));
            }
        }
        out.extend(tier);
    }
    out
}

/// The weights of a tier: `weight` if any member sets it, else `rpm`, else `tpm`; members
/// without the chosen field weigh 1. `None` when no member sets any.
fn weights(tier: &[Target]) -> Option<Vec<f64>> {
    let pick: [fn(&Target) -> Option<f64>; 3] = [
        |t| t.routing.weight,
        |t| t.routing.rpm.map(|v| v as f64),
        |t| t.routing.tpm.map(|v| v as f64),
    ];
    let field = pick.iter().find(|f| tier.iter().any(|t| f(t).is_some()))?;
    Some(tier.iter().map(|t| field(t).unwrap_or(1.0)).collect())
}

/// Weighted random order (Efraimidis–Spirakis: sort by u^(1/w)); weight 0 goes last.
fn weighted_shuffle(tier: &mut Vec<Target>) {
    let Some(weights) = weights(tier) else {
        return; // Unweighted: the rotation already spreads the load evenly.
    };
    if weights.windows(2).all(|w| w[0] == w[1]) {
        return;
    }
    let mut keyed: Vec<(f64, Target)> = tier
        .drain(..)
        .zip(weights)
        .map(|(t, w)| {
            let key = if w > 0.0 {
                rand::random::<f64>().powf(1.0 / w)
            } else {
                -1.0
            };
            (key, t)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    tier.extend(keyed.into_iter().map(|(_, t)| t));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::DeploymentRouting;
    use crate::resilience::cooldown::Health;

    struct Null;
    impl crate::providers::Provider for Null {
        fn capabilities(&self) -> crate::providers::Capabilities {
            crate::providers::Capabilities::all(crate::config::ProviderKind::OpenAi)
        }
        fn chat(
            &self,
            _: modelgate::v1::ChatCompletionRequest,
        ) -> futures::future::BoxFuture<
            'static,
            Result<crate::providers::ChunkStream, modelgate::error::GatewayError>,
        > {
            unimplemented!()
        }
        fn embed(
            &self,
            _: modelgate::v1::EmbedRequest,
        ) -> futures::future::BoxFuture<
            'static,
            Result<modelgate::v1::EmbedResponse, modelgate::error::GatewayError>,
        > {
            unimplemented!()
        }
        fn list_models(
            &self,
        ) -> futures::future::BoxFuture<
            'static,
            Result<Vec<modelgate::v1::Model>, modelgate::error::GatewayError>,
        > {
            unimplemented!()
        }
    }

    fn target(id: &str, routing: DeploymentRouting) -> Target {
        Target {
            id: id.into(),
            provider_name: "p".into(),
            provider: Arc::new(Null),
            upstream_model: id.into(),
            routing: Arc::new(routing),
            health: Arc::new(Health::default()),
        }
    }

    fn route(candidates: Vec<Target>, turn: usize) -> Route {
        Route {
            model: "g".into(),
            pooled: true,
            candidates,
            turn,
        }
    }

    fn ids(v: &[Target]) -> Vec<&str> {
        v.iter().map(|t| t.id.as_str()).collect()
    }

    #[test]
    fn unweighted_shuffle_rotates() {
        let c = vec![
            target("a", Default::default()),
            target("b", Default::default()),
        ];
        let s = RoutingStrategy::SimpleShuffle;
        assert_eq!(ids(&order(&route(c.clone(), 0), s)), ["a", "b"]);
        assert_eq!(ids(&order(&route(c, 1), s)), ["b", "a"]);
    }

    #[test]
    fn lower_order_first_and_zero_weight_last() {
        let w = |weight: f64, order: Option<u32>| DeploymentRouting {
            weight: Some(weight),
            order,
            ..Default::default()
        };
        let c = vec![
            target("late", w(5.0, None)),
            target("zero", w(0.0, Some(1))),
            target("first", w(1.0, Some(1))),
        ];
        for turn in 0..20 {
            let got = order(&route(c.clone(), turn), RoutingStrategy::SimpleShuffle);
            assert_eq!(ids(&got), ["first", "zero", "late"]);
        }
    }

    #[test]
    fn weights_skew_the_first_pick() {
        let c = vec![
            target(
                "light",
                DeploymentRouting {
                    rpm: Some(1),
                    ..Default::default()
                },
            ),
            target(
                "heavy",
                DeploymentRouting {
                    rpm: Some(9),
                    ..Default::default()
                },
            ),
        ];
        let heavy_first = (0..1000)
            .filter(|&turn| {
                order(&route(c.clone(), turn), RoutingStrategy::SimpleShuffle)[0].id == "heavy"
            })
            .count();
        assert!((850..=950).contains(&heavy_first), "{heavy_first}");
    }

    #[test]
    fn tpm_weighs_when_neither_weight_nor_rpm_is_set() {
        let tpm = |tpm: u64| DeploymentRouting {
            tpm: Some(tpm),
            ..Default::default()
        };
        let c = vec![target("light", tpm(1_000)), target("heavy", tpm(9_000))];
        // Unweighted, the rotation would put "heavy" first on exactly every other turn (500).
        let heavy_first = (0..1000)
            .filter(|&turn| {
                order(&route(c.clone(), turn), RoutingStrategy::SimpleShuffle)[0].id == "heavy"
            })
            .count();
        assert!((850..=950).contains(&heavy_first), "{heavy_first}");
        // A zero `tpm` is a weight like any other: that deployment goes last, every turn.
        let c = vec![target("none", tpm(0)), target("some", tpm(1))];
        for turn in 0..20 {
            let got = order(&route(c.clone(), turn), RoutingStrategy::SimpleShuffle);
            assert_eq!(ids(&got), ["some", "none"]);
        }
    }

    #[test]
    fn rpm_outranks_tpm() {
        let both = |rpm: u64, tpm: u64| DeploymentRouting {
            rpm: Some(rpm),
            tpm: Some(tpm),
            ..Default::default()
        };
        // Equal `rpm` decides (no weighting: plain rotation) although `tpm` differs ninefold.
        let c = vec![target("a", both(5, 9_000)), target("b", both(5, 1_000))];
        let s = RoutingStrategy::SimpleShuffle;
        for turn in 0..20 {
            let want = if turn % 2 == 0 {
                ["a", "b"]
            } else {
                ["b", "a"]
            };
            assert_eq!(ids(&order(&route(c.clone(), turn), s)), want, "turn {turn}");
        }
    }

    #[test]
    fn least_busy_and_latency_based() {
        let c = vec![
            target("a", Default::default()),
            target("b", Default::default()),
        ];
        let _busy = c[0].health.start();
        assert_eq!(
            ids(&order(&route(c.clone(), 0), RoutingStrategy::LeastBusy)),
            ["b", "a"]
        );
        c[0].health.record_ttft(Duration::from_millis(10));
        assert_eq!(
            ids(&order(&route(c.clone(), 0), RoutingStrategy::LatencyBased)),
            ["b", "a"]
        );
        c[1].health.record_ttft(Duration::from_millis(50));
        assert_eq!(
            ids(&order(&route(c, 1), RoutingStrategy::LatencyBased)),
            ["a", "b"]
        );
    }
}
