//! The operations' entry points over [`super::run`]: what each calls on a deployment, how its
//! first answer is awaited, and how the rest is handed on.

use futures::StreamExt;
use futures::future::BoxFuture;
use modelgate::error::{ErrorKind, GatewayError};
use modelgate::v1::{
    ChatCompletionChunk, ChatCompletionRequest, EmbedRequest, EmbedResponse, ResponseEvent,
    ResponseRequest,
};
use tokio::time::Instant;

use super::fallback::RequestOptions;
use super::limits::Permit;
use super::tail::{Items, Metered, Tail, tail};
use super::timeouts::AttemptLimits;
use super::{Started, admit, fallback, finish, run, within};
use crate::auth::Caller;
use crate::providers::{Operation, Provider};
use crate::request_log::RequestLog;
use crate::router::{Router, Target};

/// A streamed answer that has started: its first item, the rest (with the attempt's limits
/// and accounting attached), and the response headers.
pub struct StreamAnswer<T> {
    pub first: T,
    pub rest: Items<T>,
    /// `x-modelgate-*` and `x-ratelimit-*`.
    pub headers: Vec<(String, String)>,
}

pub type ChatAnswer = StreamAnswer<ChatCompletionChunk>;
pub type ResponseAnswer = StreamAnswer<ResponseEvent>;

/// A request whose answer streams (chat, Responses): what the pipeline needs of it. A new
/// streamed operation is one impl of this trait; [`streamed`] is the same for all.
pub(crate) trait Streamed: Clone + Send + Sync + 'static {
    type Item: Metered + Send + 'static;
    const OPERATION: Operation;
    fn model(&self) -> &str;
    fn stream(&self) -> bool;
    /// Takes the routing options out of the request (typed `routing`, or old clients' `extra`).
    fn take_options(&mut self, max_fallbacks: usize) -> Result<RequestOptions, GatewayError>;
    /// The request as `target`'s upstream knows the model.
    fn for_upstream(&self, model: &str) -> Self;
    /// Starts the call on a deployment's adapter.
    fn call(
        provider: &dyn Provider,
        request: Self,
    ) -> BoxFuture<'static, Result<Items<Self::Item>, GatewayError>>;
}

/// The two streamed requests have the same fields for what the pipeline needs; they differ
/// in item type, operation and adapter method.
macro_rules! streamed_request {
    ($request:ty, $item:ty, $operation:expr, $method:ident) => {
        impl Streamed for $request {
            type Item = $item;
            const OPERATION: Operation = $operation;

            fn model(&self) -> &str {
                &self.model
            }

            fn stream(&self) -> bool {
                self.stream
            }

            fn take_options(
                &mut self,
                max_fallbacks: usize,
            ) -> Result<RequestOptions, GatewayError> {
                fallback::take_options(
                    self.routing.take(),
                    &mut self.extra,
                    &self.model,
                    max_fallbacks,
                )
            }

            fn for_upstream(&self, model: &str) -> Self {
                Self {
                    model: model.to_owned(),
                    ..self.clone()
                }
            }

            fn call(
                provider: &dyn Provider,
                request: Self,
            ) -> BoxFuture<'static, Result<Items<Self::Item>, GatewayError>> {
                provider.$method(request)
            }
        }
    };
}

streamed_request!(
    ChatCompletionRequest,
    ChatCompletionChunk,
    Operation::Chat,
    chat
);
streamed_request!(
    ResponseRequest,
    ResponseEvent,
    Operation::Responses,
    responses
);

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
    req: ChatCompletionRequest,
    deadline: Option<Instant>,
    log: &mut RequestLog,
) -> Result<ChatAnswer, GatewayError> {
    streamed(router, caller, req, deadline, log).await
}

/// Runs a streamed request (chat, Responses): limits, retries, fallbacks, balancing and
/// cooldowns; every attempt waits for the deployment's first item, so failures before it can
/// still be retried or fall back.
pub(crate) async fn streamed<R: Streamed>(
    router: &Router,
    caller: &Caller,
    mut req: R,
    deadline: Option<Instant>,
    log: &mut RequestLog,
) -> Result<StreamAnswer<R::Item>, GatewayError> {
    let options = req.take_options(router.settings().max_fallbacks)?;
    let mut permit = admit(router, caller).await?;
    let stream = req.stream();
    let mut attempts = 0;
    let model = req.model().to_owned();
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
        R::OPERATION,
        |target: Target, limits: AttemptLimits| {
            let upstream_req = req.for_upstream(&target.upstream_model);
            async move {
                let call = async {
                    let upstream = R::call(target.provider.as_ref(), upstream_req).await?;
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
    Ok(StreamAnswer {
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

/// Runs a Responses request with chat's limits, retries, fallbacks, balancing and cooldowns.
pub async fn responses(
    router: &Router,
    caller: &Caller,
    req: ResponseRequest,
    deadline: Option<Instant>,
    log: &mut RequestLog,
) -> Result<ResponseAnswer, GatewayError> {
    streamed(router, caller, req, deadline, log).await
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
