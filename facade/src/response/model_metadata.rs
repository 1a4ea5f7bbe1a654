//! A model's metadata as the keys LobeChat reads from `/v1/models` entries
//! (`displayName`, `contextWindowTokens`, `maxOutput`, `functionCall`,
//! `vision`, `reasoning`, `type`, `pricing`, `enabled`), flattened beside
//! OpenAI's own keys. Unknown values are left out, never sent as null.

use modelgate::v1::{ModelMetadata, ModelPricing};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MetadataOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_window_tokens: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vision: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<bool>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pricing: Option<PricingOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
}

/// USD per million tokens.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PricingOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_input: Option<f64>,
}

impl<'a> From<&'a ModelMetadata> for MetadataOut<'a> {
    fn from(m: &'a ModelMetadata) -> Self {
        Self {
            display_name: m.display_name.as_deref(),
            context_window_tokens: m.context_window_tokens,
            max_output: m.max_output,
            function_call: m.function_call,
            vision: m.vision,
            reasoning: m.reasoning,
            kind: m.r#type.as_deref(),
            pricing: m.pricing.as_ref().and_then(PricingOut::known),
            enabled: m.enabled,
        }
    }
}

impl PricingOut {
    /// `None` when no price is known (no empty `pricing: {}`).
    fn known(p: &ModelPricing) -> Option<Self> {
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        let out = Self {
            input: finite(p.input),
            output: finite(p.output),
            cached_input: finite(p.cached_input),
        };
        (out.input.is_some() || out.output.is_some() || out.cached_input.is_some()).then_some(out)
    }
}
