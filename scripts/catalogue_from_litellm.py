#!/usr/bin/env python3
"""Regenerates core/data/catalogue.json, modelgate's built-in model catalogue.

Source: LiteLLM's model_prices_and_context_window.json (MIT, Copyright (c) 2023 Berri AI), as
kept unmodified in the steering repo's shared/data/ (its README there names the exact release and
checksum). Usage:

    scripts/catalogue_from_litellm.py ../shared/data/model_prices_and_context_window.json

What is kept, and why:
- only entries whose `litellm_provider` is one modelgate can reach (its native kinds and its
  OpenAI-compatible presets), and only `mode` chat or embedding: /v1/models serves nothing else;
- Azure's regional duplicates (`azure/eu/...`, `azure/us/...`, `azure/global/...`) are dropped;
- per entry only what /v1/models shows: context window (`max_input_tokens`, else `max_tokens`),
  `max_output_tokens`, the function-calling / vision / reasoning flags as LiteLLM states them
  (absent = unknown), and input / output / cached-input prices converted from USD per token to
  USD per million tokens.
Models are keyed by provider, then by the name that provider's API uses (LiteLLM's key without
its `provider/` prefix). The output is sorted with one model per line, so a regeneration diffs
cleanly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PROVIDERS = {
    "openai", "azure", "anthropic", "gemini", "ollama", "groq", "deepseek", "mistral",
    "openrouter", "together_ai", "xai", "fireworks_ai", "perplexity", "cerebras", "deepinfra",
}
MODES = {"chat", "embedding"}
AZURE_REGIONAL = ("azure/eu/", "azure/us/", "azure/global/", "azure/global-standard/")
FLAGS = {
    "supports_function_calling": "function_call",
    "supports_vision": "vision",
    "supports_reasoning": "reasoning",
}
PRICES = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
}


def per_million(cost: float) -> float:
    # Rounded so float noise (2.5e-06 * 1e6 = 2.4999999999999996) does not reach the file.
    return round(cost * 1_000_000, 6)


def entry(spec: dict) -> dict:
    out: dict = {"type": spec["mode"]}
    context = spec.get("max_input_tokens") or spec.get("max_tokens")
    if isinstance(context, int) and context > 0:
        out["context_window_tokens"] = context
    max_output = spec.get("max_output_tokens")
    if isinstance(max_output, int) and max_output > 0:
        out["max_output"] = max_output
    for src, dst in FLAGS.items():
        if isinstance(spec.get(src), bool):
            out[dst] = spec[src]
    pricing = {
        dst: per_million(spec[src])
        for src, dst in PRICES.items()
        if isinstance(spec.get(src), (int, float))
    }
    if pricing:
        out["pricing"] = pricing
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PATH/model_prices_and_context_window.json")
    source = json.loads(Path(sys.argv[1]).read_text())
    catalogue: dict[str, dict[str, dict]] = {}
    for key, spec in source.items():
        provider = spec.get("litellm_provider") if isinstance(spec, dict) else None
        if provider not in PROVIDERS or spec.get("mode") not in MODES:
            continue
        if key.startswith(AZURE_REGIONAL):
            continue
        name = key.removeprefix(provider + "/")
        catalogue.setdefault(provider, {})[name] = entry(spec)
    lines = ["{"]
    providers = sorted(catalogue)
    for i, provider in enumerate(providers):
        lines.append(f"  {json.dumps(provider)}: {{")
        models = sorted(catalogue[provider].items())
        for j, (name, spec) in enumerate(models):
            comma = "," if j < len(models) - 1 else ""
            lines.append(f"    {json.dumps(name)}: {json.dumps(spec, sort_keys=True)}{comma}")
        lines.append("  }" + ("," if i < len(providers) - 1 else ""))
    lines.append("}")
    out = Path(__file__).resolve().parent.parent / "core" / "data" / "catalogue.json"
    out.write_text("\n".join(lines) + "\n")
    count = sum(len(m) for m in catalogue.values())
    print(f"wrote {out}: {count} models from {len(catalogue)} providers")


if __name__ == "__main__":
    main()
