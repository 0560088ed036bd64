"""Worked solution to 02.06's "Your turn": a control-plane request signed by hand.

ListFoundationModels is a ``GET /foundation-models`` on the ``bedrock`` endpoint (not
``bedrock-runtime``), with its filters in the query string (botocore's service model:
``byProvider``, ``byOutputModality``, ...). The signing name is ``bedrock`` for both endpoints.
The solution signs that GET with botocore's ``SigV4Auth``, sends it with ``requests``, and
compares the model ids with the SDK's ``list_foundation_models`` for the same filters. It also
returns the canonical request's query line: SigV4 signs the query parameters sorted by name.
"""

from __future__ import annotations

from urllib.parse import urlencode

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

FILTERS = {"byProvider": "Amazon", "byOutputModality": "TEXT"}


def signed_get(endpoint: str, path: str, query: dict, credentials, region: str):
    """GET endpoint+path?query signed with SigV4 for the `bedrock` signing name: (response, signer, request)."""
    url = f"{endpoint}{path}?{urlencode(query)}"
    request = AWSRequest(method="GET", url=url)
    signer = SigV4Auth(credentials, "bedrock", region)
    signer.add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=30), signer, request


def run() -> dict:
    session = boto3.Session()
    control = session.client("bedrock")
    credentials = session.get_credentials().get_frozen_credentials()
    r, signer, request = signed_get(control.meta.endpoint_url, "/foundation-models", FILTERS,
                                    credentials, session.region_name)
    by_hand = r.json().get("modelSummaries", []) if r.ok else []
    by_sdk = control.list_foundation_models(**FILTERS)["modelSummaries"]
    return {"HTTP": r.status_code, "endpoint": control.meta.endpoint_url,
            "canonical query": signer.canonical_request(request).splitlines()[2],
            "by hand": sorted(m["modelId"] for m in by_hand),
            "by SDK": sorted(m["modelId"] for m in by_sdk),
            "providers": sorted({m["providerName"] for m in by_hand}),
            "output modalities": sorted({x for m in by_hand for x in m["outputModalities"]})}


def check(result: dict) -> None:
    assert result["HTTP"] == 200, "the hand-signed GET is accepted"
    assert result["by hand"] and result["by hand"] == result["by SDK"], "same models as the SDK"
    assert result["providers"] == ["Amazon"], "byProvider filtered on the server"
    assert "TEXT" in result["output modalities"]
    assert result["canonical query"] == "byOutputModality=TEXT&byProvider=Amazon", \
        "SigV4 signs the query parameters sorted by name"
