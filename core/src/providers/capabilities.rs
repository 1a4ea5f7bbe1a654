//! What each adapter's upstream API can do, declared once per adapter
//! ([`super::Provider::capabilities`]) and checked in one place before any upstream call
//! (`resilience::supported`), so no adapter refuses an operation on its own.

use modelgate::error::{ErrorKind, GatewayError, UNSUPPORTED_BY_PROVIDER};

use crate::config::ProviderKind;

/// What a request asks an upstream to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Chat,
    Embeddings,
    /// OpenAI's Responses API: natively where the adapter overrides
    /// [`super::Provider::responses`], else translated onto chat.
    Responses,
}

impl Operation {
    /// The name in traces (`gen_ai.operation.name`) and in refusals.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::Embeddings => "embeddings",
            Operation::Responses => "responses",
        }
    }
}

/// The operations an adapter serves. Streaming, tools, images and reasoning are not listed:
/// every adapter serves them with chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The adapter's `kind:`, named in refusals.
    pub kind: ProviderKind,
    pub chat: bool,
    pub embeddings: bool,
}

impl Capabilities {
    /// Every operation.
    pub const fn all(kind: ProviderKind) -> Self {
        Self {
            kind,
            chat: true,
            embeddings: true,
        }
    }

    /// Whether `operation` is served.
    pub const fn supports(self, operation: Operation) -> bool {
        match operation {
            Operation::Chat => self.chat,
            Operation::Embeddings => self.embeddings,
            // Every adapter that chats serves Responses, translated when it has no API of its own.
            Operation::Responses => self.chat,
        }
    }
}

/// 400 `unsupported_by_provider` for `model`, whose deployments are on `providers` (name and
/// kind, each once), none of which serves `operation`. `param` is `model`: choosing another
/// model is the remedy.
pub fn refusal(
    model: &str,
    providers: &[(&str, ProviderKind)],
    operation: Operation,
) -> GatewayError {
    let named = providers
        .iter()
        .map(|(name, kind)| format!("`{name}` ({})", kind.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let message = match providers {
        [_] => format!(
            "The model `{model}` is served by provider {named}, which does not support {}.",
            operation.as_str()
        ),
        _ => format!(
            "The model `{model}` is served by providers {named}, none of which supports {}.",
            operation.as_str()
        ),
    };
    unsupported(message)
}

/// The same refusal from an adapter asked directly (the pipeline never does this).
pub fn refused_by(kind: ProviderKind, operation: Operation) -> GatewayError {
    unsupported(format!(
        "Providers of kind `{}` do not support {}.",
        kind.as_str(),
        operation.as_str()
    ))
}

fn unsupported(message: String) -> GatewayError {
    GatewayError::new(ErrorKind::UnsupportedByProvider, message)
        .with_code(UNSUPPORTED_BY_PROVIDER)
        .with_param("model")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_checked_against_the_declaration() {
        let no_embeddings = Capabilities {
            embeddings: false,
            ..Capabilities::all(ProviderKind::Anthropic)
        };
        assert!(no_embeddings.supports(Operation::Chat));
        assert!(!no_embeddings.supports(Operation::Embeddings));
        assert!(Capabilities::all(ProviderKind::OpenAi).supports(Operation::Embeddings));
    }

    #[test]
    fn a_refusal_names_the_model_providers_and_operation() {
        let err = refusal(
            "claude",
            &[("work", ProviderKind::Anthropic)],
            Operation::Embeddings,
        );
        assert_eq!(err.kind, ErrorKind::UnsupportedByProvider);
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.openai_type(), "invalid_request_error");
        assert_eq!(err.code.as_deref(), Some("unsupported_by_provider"));
        assert_eq!(err.param.as_deref(), Some("model"));
        assert_eq!(
            err.message,
            "The model `claude` is served by provider `work` (anthropic), which does not support embeddings."
        );
        let two = refusal(
            "pair",
            &[
                ("a", ProviderKind::Anthropic),
                ("b", ProviderKind::Anthropic),
            ],
            Operation::Embeddings,
        );
        assert!(
            two.message
                .contains("providers `a` (anthropic), `b` (anthropic), none of which"),
            "{}",
            two.message
        );
    }
}
