"""Every example config that LiteLLM's own package ships loads with `modelgate check-config`.

The configs are read out of the `litellm` wheel (downloaded without its dependencies, so the
client venv keeps its own `openai` pin); each `os.environ/NAME` they name is set to a dummy
value, as a user migrating would set them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import modelgate_bin

LITELLM_PIN = "litellm==1.108.7"
EXAMPLES = "litellm/proxy/example_config_yaml/"
# How many the 1.108.7 wheel ships: fewer found means the wheel was not read right.
EXPECTED_CONFIGS = 23

ENV_REF = re.compile(r"os\.environ/([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def example_configs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    wheels = tmp_path_factory.mktemp("litellm-wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", LITELLM_PIN, "-d", str(wheels)],
        check=True,
        timeout=600,
    )
    [wheel] = list(wheels.glob("litellm-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        yield {
            name.removeprefix(EXAMPLES): archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith(EXAMPLES) and name.endswith(".yaml")
        }


def dummy_env(text: str) -> dict[str, str]:
    """A value for every variable the config names: URLs where one is expected."""
    env = {}
    for name in set(ENV_REF.findall(text)):
        urlish = any(part in name for part in ("BASE", "URL", "ENDPOINT", "HOST"))
        env[name] = "http://127.0.0.1:9" if urlish else f"dummy-{name.lower()}"
    return env


def check_config(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(modelgate_bin()), "check-config", str(path)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_litellm_example_config_loads(example_configs: dict[str, str], tmp_path: Path) -> None:
    assert len(example_configs) == EXPECTED_CONFIGS, sorted(example_configs)
    rejected = {}
    for name, text in sorted(example_configs.items()):
        path = tmp_path / name
        path.write_text(text)
        result = check_config(path, dummy_env(text))
        if result.returncode != 0:
            rejected[name] = result.stderr.strip() or result.stdout.strip()
    assert not rejected, "\n".join(f"{name}: {why}" for name, why in rejected.items())


def test_settings_not_acted_on_are_reported(example_configs: dict[str, str], tmp_path: Path) -> None:
    # One per kind of place a setting can sit: top-level section, litellm_settings,
    # general_settings, router_settings, litellm_params, the entry beside litellm_params.
    expected = {
        "code_interpreter_interception_config.yaml": ["sandbox_tools: parsed, not acted on yet"],
        "test_pipeline_config.yaml": ["policies: parsed", "policy_attachments: parsed", "guardrails: parsed"],
        "langfuse_config.yaml": ["litellm_settings: parsed, not acted on yet (drop_params, success_callback)"],
        "_health_check_test_config.yaml": ["general_settings.background_health_checks: ignored"],
        "enterprise_config.yaml": ["router_settings.enable_tag_filtering: accepted, not acted on yet"],
        "aliases_config.yaml": ["model_list[2].litellm_params.temperature: accepted, not acted on yet"],
    }
    for name, notices in expected.items():
        path = tmp_path / name
        path.write_text(example_configs[name])
        result = check_config(path, dummy_env(example_configs[name]))
        assert result.returncode == 0, result.stderr
        for notice in notices:
            assert notice in result.stdout + result.stderr, f"{name}: no notice {notice!r}\n{result.stdout}"


def test_litellm_forms_are_read_as_litellm_reads_them(example_configs: dict[str, str], tmp_path: Path) -> None:
    # `tpm: 20_000` (YAML 1.1), `tpm`/`rpm` beside litellm_params, an entry with only model_name.
    for name, lines in {
        "azure_config.yaml": ["gpt-4-team1 -> azure/chatgpt-v-2"],
        "load_balancer.yaml": ["gpt-3.5-turbo -> openai/gpt-3.5-turbo"],
        "langfuse_config.yaml": ["gpt-3.5-turbo -> openai/gpt-3.5-turbo"],
    }.items():
        path = tmp_path / name
        path.write_text(example_configs[name])
        result = check_config(path, dummy_env(example_configs[name]))
        assert result.returncode == 0, result.stderr
        for line in lines:
            assert line in result.stdout, f"{name}: {line!r} not in\n{result.stdout}"


def test_a_typo_in_a_modelgate_key_is_still_an_error(example_configs: dict[str, str], tmp_path: Path) -> None:
    text = example_configs["simple_config.yaml"].replace("model_list:", "model_lsit:")
    path = tmp_path / "typo.yaml"
    path.write_text(text)
    result = check_config(path, {})
    assert result.returncode != 0
    assert "did you mean `model_list`" in result.stderr, result.stderr
