"""GET /v1/models and /v1/models/{id} through the SDK."""

from __future__ import annotations

import openai
import pytest

EXPECTED_IDS = {"gpt-4o-alias", "mock/text", "mock/tools"}


def test_list_contains_configured_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert EXPECTED_IDS <= set(ids), f"missing {EXPECTED_IDS - set(ids)} in {ids}"
    # A `models: ["*"]` key grant must not be listed as a model.
    assert not [i for i in ids if "*" in i], ids
    assert len(ids) == len(set(ids)), f"duplicate ids in {ids}"


def test_list_items_have_openai_shape(client: openai.OpenAI) -> None:
    for model in client.models.list():
        assert model.object == "model"
        assert isinstance(model.created, int)
        assert model.owned_by


@pytest.mark.parametrize("model_id", ["mock/text", "gpt-4o-alias"])
def test_retrieve_one(client: openai.OpenAI, model_id: str) -> None:
    model = client.models.retrieve(model_id)
    assert model.id == model_id
    assert model.object == "model"


def test_retrieve_unknown_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("nope/does-not-exist")
    assert info.value.status_code == 404
    assert info.value.code == "model_not_found"
