//! The one place a request meets its providers' declared capabilities, before any upstream
//! call: deployments whose provider cannot serve the operation are dropped from the route (so
//! they are never tried, retried, cooled down or counted as attempts), and a route left with
//! none is refused with 400 `unsupported_by_provider` naming its providers.

use modelgate::error::GatewayError;

use crate::config::ProviderKind;
use crate::providers::{Operation, capabilities};
use crate::router::{Route, Target};

/// `route` with only the deployments that serve `operation`, or the refusal when none does.
pub fn only(mut route: Route, operation: Operation) -> Result<Route, GatewayError> {
    let serves = |t: &Target| t.provider.capabilities().supports(operation);
    // The usual case, without a new list.
    if route.candidates.iter().all(serves) {
        return Ok(route);
    }
    let (kept, refused): (Vec<Target>, Vec<Target>) =
        route.candidates.into_iter().partition(serves);
    if kept.is_empty() {
        return Err(refusal(&route.model, &refused, operation));
    }
    // Cooldowns apply only where another deployment that serves the operation can take over.
    route.pooled = kept.len() > 1;
    route.candidates = kept;
    Ok(route)
}

/// Whether `target` serves `operation` for `model`; the refusal when not.
pub fn check(model: &str, target: &Target, operation: Operation) -> Result<(), GatewayError> {
    if target.provider.capabilities().supports(operation) {
        return Ok(());
    }
    Err(refusal(model, std::slice::from_ref(target), operation))
}

/// The refusal naming each provider of `refused` once, in route order.
fn refusal(model: &str, refused: &[Target], operation: Operation) -> GatewayError {
    let mut providers: Vec<(&str, ProviderKind)> = Vec::new();
    for target in refused {
        let named = (
            target.provider_name.as_str(),
            target.provider.capabilities().kind,
        );
        if !providers.contains(&named) {
            providers.push(named);
        }
    }
    capabilities::refusal(model, &providers, operation)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::future::BoxFuture;
    use modelgate::error::ErrorKind;
    use modelgate::v1::{ChatCompletionRequest, Model};

    use super::*;
    use crate::providers::{Capabilities, ChunkStream, Provider};
    use crate::resilience::cooldown::Health;

    /// An adapter that only declares; calling it is a test failure.
    struct Declared(Capabilities);

    impl Provider for Declared {
        fn capabilities(&self) -> Capabilities {
            self.0
        }
        fn chat(
            &self,
            _: ChatCompletionRequest,
        ) -> BoxFuture<'static, Result<ChunkStream, GatewayError>> {
            unreachable!("the check makes no call")
        }
        fn list_models(&self) -> BoxFuture<'static, Result<Vec<Model>, GatewayError>> {
            unreachable!("the check makes no call")
        }
    }

    fn target(provider: &str, kind: ProviderKind, embeddings: bool) -> Target {
        Target {
            id: format!("{provider}/m"),
            provider_name: provider.into(),
            provider: Arc::new(Declared(Capabilities {
                embeddings,
                ..Capabilities::all(kind)
            })),
            upstream_model: "m".into(),
            routing: Arc::default(),
            health: Arc::new(Health::default()),
        }
    }

    fn route(candidates: Vec<Target>) -> Route {
        Route {
            model: "group".into(),
            pooled: candidates.len() > 1,
            candidates,
            turn: 0,
        }
    }

    fn ids(route: &Route) -> Vec<&str> {
        route.candidates.iter().map(|t| t.id.as_str()).collect()
    }

    #[test]
    fn a_group_keeps_the_deployments_that_serve_the_operation() {
        let group = || {
            route(vec![
                target("claude", ProviderKind::Anthropic, false),
                target("oai", ProviderKind::OpenAi, true),
                target("gem", ProviderKind::Gemini, true),
            ])
        };
        let embeddings = only(group(), Operation::Embeddings).expect("two serve it");
        assert_eq!(ids(&embeddings), ["oai/m", "gem/m"]);
        assert!(embeddings.pooled);
        let chat = only(group(), Operation::Chat).expect("all serve it");
        assert_eq!(ids(&chat), ["claude/m", "oai/m", "gem/m"]);
    }

    #[test]
    fn the_one_deployment_left_is_not_pooled() {
        let left = only(
            route(vec![
                target("claude", ProviderKind::Anthropic, false),
                target("oai", ProviderKind::OpenAi, true),
            ]),
            Operation::Embeddings,
        )
        .expect("one serves it");
        assert_eq!(ids(&left), ["oai/m"]);
        assert!(!left.pooled, "no other deployment can take over");
    }

    #[test]
    fn a_group_none_of_whose_providers_serves_it_is_refused_naming_each_once() {
        let Err(err) = only(
            route(vec![
                target("claude", ProviderKind::Anthropic, false),
                target("claude", ProviderKind::Anthropic, false),
                target("backup", ProviderKind::Anthropic, false),
            ]),
            Operation::Embeddings,
        ) else {
            panic!("no deployment serves embeddings");
        };
        assert_eq!(err.kind, ErrorKind::UnsupportedByProvider);
        assert_eq!(err.code.as_deref(), Some("unsupported_by_provider"));
        assert_eq!(err.param.as_deref(), Some("model"));
        assert_eq!(
            err.message,
            "The model `group` is served by providers `claude` (anthropic), `backup` (anthropic), none of which supports embeddings."
        );
    }

    #[test]
    fn one_deployment_is_checked_alone() {
        let claude = target("claude", ProviderKind::Anthropic, false);
        let err = check("claude/m", &claude, Operation::Embeddings).expect_err("refused");
        assert!(
            err.message.contains("`claude` (anthropic)"),
            "{}",
            err.message
        );
        assert!(check("claude/m", &claude, Operation::Chat).is_ok());
    }
}
