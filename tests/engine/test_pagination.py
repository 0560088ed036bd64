"""One paging scheme for the engine's List* operations (local_bedrock/pagination.py): pages of
maxResults with an opaque token, and a token the engine never issued answered as the caller's
error (ValidationException), never a 500."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from local_bedrock import pagination


def test_pages_cover_every_item_once():
    items = list(range(7))
    seen, token = [], None
    while True:
        chunk, token = pagination.page(items, token, 3)
        seen += chunk
        if token is None:
            break
    assert seen == items
    assert pagination.keyed(items, {"maxResults": 5}, "things") == {"things": [0, 1, 2, 3, 4], "nextToken": "5"}
    assert pagination.keyed(items, {}, "things") == {"things": items}


@pytest.mark.parametrize("service, operation, params", [
    ("bedrock", "list_model_customization_jobs", {}),
    ("bedrock", "list_custom_models", {}),
    ("bedrock", "list_inference_profiles", {}),
    ("bedrock", "list_model_invocation_jobs", {}),
    ("bedrock", "list_evaluation_jobs", {}),
    ("bedrock-agent", "list_knowledge_bases", {}),
])
def test_a_token_the_engine_never_issued_is_a_validation_error(make_client, service, operation, params):
    client = make_client(service)
    with pytest.raises(ClientError) as err:
        getattr(client, operation)(nextToken="not-a-token", **params)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
