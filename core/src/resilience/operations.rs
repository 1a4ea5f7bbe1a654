//! The operations' entry points over [`super::run`]: what each calls on a deployment, how its
//! first answer is awaited, and how the rest is handed on.

use futures::StreamExt;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionChunk, ChatCompletionRequest, EmbedRequest, EmbedResponse, ResponseEvent,
    ResponseRequest,
};
use tokio::time::Instant;

use super::limits::Permit;
use super::tail::{Items, Metered, Tail, tail};
use super::timeouts::AttemptLimits;
use super::{Started, admit, fallback, finish, run, tokens, within};
use crate::auth::Caller;
use crate::providers::{ChunkStream, EventStream, Operation};
use crate::request_log::RequestLog;
use crate::router::{Router, Target};

/// A chat answer that has started: its first chunk, the rest (with the attempt's limits and
/// accounting attached), and the response headers.
pub struct ChatAnswer {
    pub first: ChatCompletionChunk,
    pub rest: ChunkStream,
    /// `x-modelgate-*` and `x-ratelimit-*`.
    pub headers: Vec<(String, String)>,
}

/// Embeddings and their response headers.
pub struct EmbedAnswer {
    pub response: EmbedResponse,
    pub headers: Vec<(String, String)>,
}

/// Runs a chat request: limits, retries, fallbacks, balancing and cooldowns. `log` learns the
/// provider, upstream model and attempt count.
pub async fn chat(
    router: &Router,
    caller: &Caller,
    mut req: ChatCompletionRequest,
    deadline: Option<Instant>,
    log: &mut RequestLog,
) -> Result<ChatAnswer, GatewayError> {
    let options = fallback::take_options(
        req.routing.take(),
        &mut req.extra,
        &req.model,
        router.settings().max_fallbacks,
    )?;
    let mut permit = admit(router, caller).await?;
    let stream = req.stream;
    let mut attempts = 0;
    let model = req.model.clone();
    let result = run(
        router,
        caller,
        permit.as_mut(),
        &model,
        &options,
        stream,
        deadline,
        &mut attempts,
        log,
        Operation::Chat,
        |target: Target, limits: AttemptLimits| {
            let upstream_req = ChatCompletionRequest {
                model: target.upstream_model.clone(),
                ..req.clone()
            };
            async move {
                let call = async {
                    let upstream = target.provider.chat(upstream_req).await?;
                    first_of(upstream, &target).await
                };
                within(limits.first_token, &target, "sent no answer", call).await
            }
        },
    )
    .await;
    log.attempts = attempts;
    let (ok, headers) = finish(result, attempts, permit.as_ref())?;
    let ((first, upstream), target, guard) = ok;
    if let (Some(p), Some(usage)) = (permit.as_mut(), first.usage) {
        p.set_tokens(tokens(&usage));
    }
    let rest = rest(upstream, router, target, guard, permit, stream, deadline);
    Ok(ChatAnswer {
        first,
        rest,
        headers,
    })
}

/// Runs an embeddings request with the same limits, retries and fallbacks as chat.
pub async fn embed(
    router: &Router,
    caller: &Caller,
    mut req: EmbedRequest,
    deadline: Option<Instant>,
    log: &mut RequestLog,
) -> Result<EmbedAnswer, GatewayError> {
    let options = fallback::take_options(
        req.routing.take(),
        &mut req.extra,
        &req.model,
        router.settings().max_fallbacks,
    )?;
    let mut permit = admit(router, caller).await?;
    let mut attempts = 0;
    let model = req.model.clone();
    let result = run(
        router,
        caller,
        permit.as_mut(),
        &model,
        &options,
        false,
        deadline,
        &mut attempts,
        log,
        Operation::Embeddings,
        |target: Target, limits: AttemptLimits| {
            let upstream_req = EmbedRequest {
                model: target.upstream_model.clone(),
                ..req.clone()
            };
            async move {
                let call = target.provider.embed(upstream_req);
                within(limits.total, &target, "did not answer", call).await
            }
        },
    )
    .await;
    log.attempts = attempts;
    let (ok, headers) = finish(result, attempts, permit.as_ref())?;
    let (response, _target, _guard) = ok;
    if let (Some(p), Some(usage)) = (permit.as_mut(), response.usage) {
        p.set_tokens(usage.total_tokens.max(usage.prompt_tokens));
    }
    Ok(EmbedAnswer { response, headers })
}

/// A Responses answer that has started: its first event, the rest (with the attempt's limits
/// and accounting attached), and the response headers.
pub struct ResponseAnswer {
    pub first: ResponseEvent,
    pub rest: EventStream,
    /// `x-modelgate-*` and `x-ratelimit-*`.
    pub headers: Vec<(String, String)>,
}

/// Runs a Responses request with chat's limits, retries, fallbacks, balancing and cooldowns;
/// every attempt waits for the deployment's first event, so failures before it can still be
/// retried or fall back.
pub async fn responses(
    router: &Router,
    caller: &Caller,
    mut req: ResponseRequest,
    deadline: Option<Instant>,
    log: &mut RequestLog,
) -> Result<ResponseAnswer, GatewayError> {
    let options = fallback::take_options(
        req.routing.take(),
        &mut req.extra,
        &req.model,
        router.settings().max_fallbacks,
    )?;
    let mut permit = admit(router, caller).await?;
    let stream = req.stream;
    let mut attempts = 0;
    let model = req.model.clone();
    let result = run(
        router,
        caller,
        permit.as_mut(),
        &model,
        &options,
        stream,
        deadline,
        &mut attempts,
        log,
        Operation::Responses,
        |target: Target, limits: AttemptLimits| {
            let upstream_req = ResponseRequest {
                model: target.upstream_model.clone(),
                ..req.clone()
            };
            async move {
                let call = async {
                    let upstream = target.provider.responses(upstream_req).await?;
                    first_of(upstream, &target).await
                };
                within(limits.first_token, &target, "sent no answer", call).await
            }
        },
    )
    .await;
    log.attempts = attempts;
    let (ok, headers) = finish(result, attempts, permit.as_ref())?;
    let ((first, upstream), target, guard) = ok;
    if let (Some(p), Some(tokens)) = (permit.as_mut(), first.tokens()) {
        p.set_tokens(tokens);
    }
    let rest = rest(upstream, router, target, guard, permit, stream, deadline);
    Ok(ResponseAnswer {
        first,
        rest,
        headers,
    })
}

/// The first item of a deployment's answer and the rest; an answer without one is a 502.
async fn first_of<T>(
    mut upstream: Items<T>,
    target: &Target,
) -> Result<(T, Items<T>), GatewayError> {
    match upstream.next().await {
        Some(Ok(first)) => Ok((first, upstream)),
        Some(Err(err)) => Err(err),
        None => Err(GatewayError::new(
            ErrorKind::Unavailable,
            format!(
                "upstream `{}` returned an empty answer",
                target.provider_name
            ),
        )
        .with_http_status(502)),
    }
}

/// The rest of a started answer, under the attempt's limits and holding its slots.
fn rest<T: Metered + Send + 'static>(
    upstream: Items<T>,
    router: &Router,
    target: Target,
    started: Started,
    permit: Option<Permit>,
    stream: bool,
    deadline: Option<Instant>,
) -> Items<T> {
    let limits = AttemptLimits::new(
        &target,
        router.settings(),
        stream,
        started.started,
        deadline,
    );
    tail(
        upstream,
        Tail {
            limits,
            target,
            settings: router.settings().clone(),
            _guard: started.guard,
            permit,
            done: false,
            last_chunk: Instant::now(),
        },
    )
}
