//! Routing and failure handling: per-key limits, then for the requested model group and its
//! fallbacks, attempts over the group's deployments in the balancer's order — retrying
//! transient failures with backoff, skipping deployments that cool down — all before the
//! first chunk reaches the caller. Once content has been sent nothing is retried.

pub mod balance;
pub mod cooldown;
pub mod fallback;
pub mod limits;
mod operations;
pub mod process_state;
pub mod retry;
pub mod supported;
mod tail;
pub mod timeouts;

use std::future::Future;
use std::time::Duration;

use modelgate::error::{ErrorKind, GatewayError};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::Caller;
use crate::config::RouterSettings;
use crate::providers::Operation;
use crate::request_log::RequestLog;
use crate::router::{Route, Router, Target};
use cooldown::{Health, InFlightGuard};
use fallback::RequestOptions;
use limits::Permit;
use retry::Failure;
use timeouts::AttemptLimits;

pub use operations::{
    ChatAnswer, EmbedAnswer, ResponseAnswer, StreamAnswer, chat, embed, responses,
};
pub(crate) use operations::{Streamed, streamed};
pub use timeouts::deadline;

/// The caller's key limits; `None` when the key has none.
async fn admit(router: &Router, caller: &Caller) -> Result<Option<Permit>, GatewayError> {
    match router.key_limits(&caller.name) {
        Some(limits) => limits::acquire(router.limiter(), &caller.name, limits)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// The attempt that succeeded, with its deployment's in-flight slot and start time.
struct Started {
    guard: InFlightGuard,
    started: Instant,
}

type Attempted<T> = (T, Target, Started);

/// Response headers, in order.
type Headers = Vec<(String, String)>;

/// Adds the debugging and rate-limit headers to the outcome.
fn finish<T>(
    result: Result<Attempted<T>, (GatewayError, Option<Target>)>,
    attempts: u32,
    permit: Option<&Permit>,
) -> Result<(Attempted<T>, Headers), GatewayError> {
    let mut headers = vec![("x-modelgate-attempts".to_owned(), attempts.to_string())];
    let served = match &result {
        Ok((_, target, _)) => Some(target),
        Err((_, target)) => target.as_ref(),
    };
    if let Some(target) = served {
        headers.push(("x-modelgate-provider".into(), target.provider_name.clone()));
        headers.push(("x-modelgate-deployment".into(), target.id.clone()));
    }
    if let Some(permit) = permit {
        headers.extend(permit.usage.headers());
    }
    match result {
        Ok(ok) => Ok((ok, headers)),
        Err((mut err, _)) => {
            err.add_headers(headers);
            Err(err)
        }
    }
}

fn tokens(usage: &modelgate::v1::Usage) -> u64 {
    usage
        .total_tokens
        .max(usage.prompt_tokens + usage.completion_tokens)
}

/// `call`, cut off at `limit` with 504 `upstream_timeout`.
async fn within<T>(
    limit: Option<Instant>,
    target: &Target,
    what: &str,
    call: impl Future<Output = Result<T, GatewayError>>,
) -> Result<T, GatewayError> {
    let Some(at) = limit else {
        return call.await;
    };
    let budget = at.saturating_duration_since(Instant::now());
    match tokio::time::timeout_at(at, call).await {
        Ok(result) => result,
        Err(_) => Err(timeout(
            target,
            &format!("{what} within {}", seconds(budget)),
        )),
    }
}

fn timeout(target: &Target, what: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::Timeout,
        format!("upstream `{}` ({}) {what}", target.provider_name, target.id),
    )
    .with_code("upstream_timeout")
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// The requested group, then its fallbacks, until one answers. Every attempt after the
/// first counts against the key's limits (through `permit`); once they refuse, no further
/// attempt is made and the last upstream failure is the answer.
#[allow(clippy::too_many_arguments)]
async fn run<T, F, Fut>(
    router: &Router,
    caller: &Caller,
    permit: Option<&mut Permit>,
    model: &str,
    options: &RequestOptions,
    stream: bool,
    deadline: Option<Instant>,
    attempts: &mut u32,
    log: &mut RequestLog,
    operation: Operation,
    mut call: F,
) -> Result<Attempted<T>, (GatewayError, Option<Target>)>
where
    F: FnMut(Target, AttemptLimits) -> Fut,
    Fut: Future<Output = Result<T, GatewayError>>,
{
    let settings = router.settings();
    let mut last_target = None;
    let primary = router.resolve(model).map_err(|e| (e, None))?;
    let mut group = Group {
        settings,
        options,
        permit,
        refused: false,
        stream,
        deadline,
        attempts,
        last_target: &mut last_target,
        log,
        operation,
    };
    // Deployments whose provider cannot serve the operation are never called; a group with
    // none that can is refused here, and its fallbacks still get their turn.
    let first = match supported::only(primary, operation) {
        Ok(route) => group.attempt(&route, &mut call).await,
        Err(refused) => Err(refused),
    };
    let err = match first {
        Ok(done) => return Ok(done),
        Err(err) => err,
    };
    let mut last = err;
    let mut skipped = Skipped::default();
    // `alternatives` is at most `max_fallbacks` long: the set keeps this linear anyway.
    let mut tried = std::collections::HashSet::from([model.to_owned()]);
    for alt in fallback::alternatives(settings, options, model, retry::classify(&last)) {
        if group.refused || past(deadline) {
            break;
        }
        if !tried.insert(alt.clone()) {
            continue;
        }
        // A fallback must not reach a model the key may not use.
        if !caller.may_use(&alt) {
            skipped.forbidden.push(alt);
            continue;
        }
        let Ok(route) = router.resolve(&alt) else {
            skipped.unknown.push(alt);
            continue;
        };
        let Ok(route) = supported::only(route, operation) else {
            skipped.unsupported.push(alt);
            continue;
        };
        tracing::info!(model, fallback = %alt, error = %last.message, "falling back");
        let before = *group.attempts;
        match group.attempt(&route, &mut call).await {
            Ok(done) => {
                skipped.report();
                return Ok(done);
            }
            // Refused before its first call: the upstream failure before it is the answer.
            Err(_) if group.refused && *group.attempts == before => {}
            Err(err) => last = err,
        }
    }
    skipped.report();
    Err((last, last_target))
}

/// Fallbacks passed over, reported in one line per request.
#[derive(Default)]
struct Skipped {
    forbidden: Vec<String>,
    unknown: Vec<String>,
    /// No deployment's provider supports the operation.
    unsupported: Vec<String>,
}

impl Skipped {
    fn report(&self) {
        if self.forbidden.is_empty() && self.unknown.is_empty() && self.unsupported.is_empty() {
            return;
        }
        tracing::warn!(
            not_allowed_for_key = ?self.forbidden,
            unknown = ?self.unknown,
            unsupported = ?self.unsupported,
            "fallbacks skipped"
        );
    }
}

fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// What attempts over one group share.
struct Group<'a> {
    settings: &'a RouterSettings,
    options: &'a RequestOptions,
    /// The key's admission, which further attempts are counted against.
    permit: Option<&'a mut Permit>,
    /// The key's limits refused a further attempt: the request makes no more.
    refused: bool,
    stream: bool,
    deadline: Option<Instant>,
    attempts: &'a mut u32,
    last_target: &'a mut Option<Target>,
    log: &'a mut RequestLog,
    operation: Operation,
}

impl Group<'_> {
    /// Up to `num_retries + 1` attempts over `route`'s deployments: each untried healthy one
    /// first (no wait), then the same ones again after a backoff.
    async fn attempt<T, F, Fut>(
        &mut self,
        route: &Route,
        call: &mut F,
    ) -> Result<Attempted<T>, GatewayError>
    where
        F: FnMut(Target, AttemptLimits) -> Fut,
        Fut: Future<Output = Result<T, GatewayError>>,
    {
        let settings = self.settings;
        let ordered = balance::order(route, settings.routing_strategy);
        let retries = self
            .options
            .num_retries
            .or_else(|| ordered.first().and_then(|t| t.routing.max_retries))
            .unwrap_or(settings.num_retries);
        let mut last_err: Option<GatewayError> = None;
        let mut tried: Vec<usize> = Vec::new();
        let mut waits = 0u32;
        for attempt in 0..=retries {
            let now = std::time::Instant::now();
            let available: Vec<usize> = (0..ordered.len())
                .filter(|&i| !route.pooled || ordered[i].health.cooling(now).is_none())
                .collect();
            if available.is_empty() {
                return Err(last_err.unwrap_or_else(|| all_cooling(route, &ordered, now)));
            }
            let idx = match available.iter().find(|i| !tried.contains(i)) {
                Some(&i) => i,
                None => {
                    // Every healthy deployment has failed once: wait before asking again.
                    let asked = last_err.as_ref().and_then(GatewayError::retry_after);
                    let wait =
                        retry::backoff(waits, settings.retry_backoff, settings.retry_after, asked);
                    waits += 1;
                    if self.deadline.is_some_and(|d| Instant::now() + wait >= d) {
                        break;
                    }
                    tokio::time::sleep(wait).await;
                    available[attempt as usize % available.len()]
                }
            };
            if *self.attempts > 0
                && let Err(err) = self.count_attempt().await
            {
                return Err(last_err.unwrap_or(err));
            }
            tried.push(idx);
            let target = ordered[idx].clone();
            *self.attempts += 1;
            self.log.provider.clone_from(&target.provider_name);
            self.log.upstream_model.clone_from(&target.upstream_model);
            let span = self.log.upstream_span(self.operation.as_str());
            let started = Instant::now();
            let limits = AttemptLimits::new(&target, settings, self.stream, started, self.deadline);
            let guard = target.health.start();
            let result = call(target.clone(), limits).instrument(span).await;
            match result {
                Ok(value) => {
                    target.health.record_ttft(started.elapsed());
                    *self.last_target = Some(target.clone());
                    return Ok((value, target, Started { guard, started }));
                }
                Err(err) => {
                    drop(guard);
                    note_failure(route.pooled, &target.health, &target.id, settings, &err);
                    let failure = retry::classify(&err);
                    tracing::info!(
                        deployment = %target.id,
                        provider = %target.provider_name,
                        attempt = *self.attempts,
                        error = %err.message,
                        "attempt failed"
                    );
                    *self.last_target = Some(target);
                    last_err = Some(err);
                    if failure != Failure::Transient || past(self.deadline) {
                        break;
                    }
                }
            }
        }
        Err(last_err.unwrap_or_else(|| {
            GatewayError::new(
                ErrorKind::Timeout,
                format!("no time left to call `{}` before the deadline", route.model),
            )
            .with_code("upstream_timeout")
        }))
    }
}

impl Group<'_> {
    /// Counts a retry or fallback against the key's limits (the first attempt was counted
    /// when the request was admitted).
    async fn count_attempt(&mut self) -> Result<(), GatewayError> {
        let Some(permit) = self.permit.as_deref_mut() else {
            return Ok(());
        };
        permit.count_attempt().await.inspect_err(|err| {
            self.refused = true;
            tracing::info!(
                attempts = *self.attempts,
                reason = %err.message,
                "no further attempts: the key's rate limit is reached"
            );
        })
    }
}

fn note_failure(
    pooled: bool,
    health: &Health,
    id: &str,
    settings: &RouterSettings,
    err: &GatewayError,
) {
    if pooled
        && retry::counts_against_deployment(err)
        && health.record_failure(
            std::time::Instant::now(),
            settings.allowed_fails,
            settings.cooldown_time,
        )
    {
        tracing::warn!(
            deployment = %id,
            cooldown_s = settings.cooldown_time.as_secs_f64(),
            "deployment cooled down after repeated failures"
        );
    }
}

/// 503 when every deployment of a group is cooling down.
fn all_cooling(route: &Route, ordered: &[Target], now: std::time::Instant) -> GatewayError {
    let wait = ordered
        .iter()
        .filter_map(|t| t.health.cooling(now))
        .min()
        .unwrap_or(Duration::from_secs(1));
    GatewayError::new(
        ErrorKind::Unavailable,
        format!(
            "All {} deployments of `{}` are cooling down after repeated failures; try again in {}s.",
            ordered.len(),
            route.model,
            wait.as_millis().div_ceil(1000)
        ),
    )
    .with_code("no_healthy_deployment")
    .with_retry_after(wait)
}

/// Puts `headers` into gRPC response metadata (invalid ones are skipped: they are hints).
pub fn set_metadata(meta: &mut tonic::metadata::MetadataMap, headers: &[(String, String)]) {
    for (key, value) in headers {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            meta.insert(key, value);
        }
    }
}
