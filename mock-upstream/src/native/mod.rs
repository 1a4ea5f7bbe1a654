//! Native provider APIs (Anthropic, Gemini, Ollama, Azure OpenAI), each
//! under its own path prefix, replaying that provider's recorded wire data.

pub(crate) mod anthropic;
pub(crate) mod azure;
pub(crate) mod gemini;
pub(crate) mod ollama;
