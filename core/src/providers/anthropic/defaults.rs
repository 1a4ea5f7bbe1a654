//! Numbers the Messages API needs that an OpenAI request may not carry:
//! `max_tokens` (required by Anthropic) and the thinking budget that stands
//! for a `reasoning_effort`.

/// `max_tokens` for a model that matches no family below.
pub const FALLBACK_MAX_TOKENS: u32 = 4096;

/// Anthropic's SDKs refuse non-streamed requests whose `max_tokens` implies
/// more than ten minutes (`3600 s × max_tokens / 128 000`), and its docs warn
/// that long idle connections get dropped: a default never goes above this
/// when the answer is not streamed.
pub const NON_STREAM_DEFAULT_CAP: u32 = 21_333;

/// Smallest thinking budget the API accepts.
pub const MIN_THINKING_BUDGET: u32 = 1024;

/// Documented maximum output per model family (Claude "models overview"
/// tables; the newest entries agree with `shared/data`'s LiteLLM catalogue).
/// First matching prefix wins, so the specific ones come first. Newer
/// generations of a family only ever raised the limit, so a prefix covers
/// them with a value that is still accepted.
const FAMILY_MAX_OUTPUT: &[(&str, u32)] = &[
    ("claude-3-haiku", 4096),
    ("claude-3-opus", 4096),
    ("claude-3-sonnet", 4096),
    ("claude-3-5-", 8192),
    ("claude-3-7-sonnet", 64_000),
    ("claude-opus-4-0", 32_000),
    ("claude-opus-4-1", 32_000),
    ("claude-opus-4-2025", 32_000),
    ("claude-opus-4", 64_000),
    ("claude-sonnet-4", 64_000),
    ("claude-haiku-4", 64_000),
];

/// The documented output limit of `model`'s family, if it is a known one.
pub fn family_max_output(model: &str) -> Option<u32> {
    let model = model.rsplit('/').next().unwrap_or(model);
    FAMILY_MAX_OUTPUT
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map(|(_, max)| *max)
}

/// `max_tokens` to send when the client set none.
pub fn default_max_tokens(model: &str, stream: bool) -> u32 {
    let max = family_max_output(model).unwrap_or(FALLBACK_MAX_TOKENS);
    if stream {
        max
    } else {
        max.min(NON_STREAM_DEFAULT_CAP)
    }
}

/// `reasoning_effort` → `thinking.budget_tokens`:
/// `minimal`/`low` → 1024 (the API's minimum), `medium` → 4096,
/// `high` → 16384. `None` for `none` and for values with no mapping.
pub fn thinking_budget(effort: &str) -> Option<u32> {
    match effort {
        "minimal" | "low" => Some(MIN_THINKING_BUDGET),
        "medium" => Some(4096),
        "high" => Some(16_384),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_fallback() {
        assert_eq!(default_max_tokens("claude-3-opus-20240229", true), 4096);
        assert_eq!(default_max_tokens("claude-3-5-haiku-latest", true), 8192);
        assert_eq!(default_max_tokens("claude-opus-4-1-20250805", true), 32_000);
        assert_eq!(default_max_tokens("claude-opus-4-5", true), 64_000);
        assert_eq!(
            default_max_tokens("claude-sonnet-4-5-20250929", true),
            64_000
        );
        assert_eq!(
            default_max_tokens("claude-sonnet-4-5-20250929", false),
            NON_STREAM_DEFAULT_CAP
        );
        assert_eq!(default_max_tokens("text", true), FALLBACK_MAX_TOKENS);
        assert_eq!(thinking_budget("medium"), Some(4096));
        assert_eq!(thinking_budget("none"), None);
    }
}
