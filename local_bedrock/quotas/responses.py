"""Service Quotas for Amazon Bedrock offline, and the engine hook-up.

moto serves Service Quotas for ServiceCode "vpc" only (ListAWSDefaultServiceQuotas,
GetServiceQuota). The engine answers the Bedrock quotas itself (ServiceCode "bedrock": list,
get, defaults, increase requests) and leaves every other service code to moto. It also gives
`local_bedrock.faults` the quota each runtime call counts against, and patches moto's CloudWatch
with anomaly detectors (`anomaly`).
"""

from __future__ import annotations

import json
import uuid

from local_bedrock import pagination
from local_bedrock.errors import EngineError
from local_bedrock.quotas import anomaly, models, table
from local_bedrock.wire.protocol import Request, Response

TARGET_PREFIX = "ServiceQuotasV20190624."
MAX_RESULTS = 100


def _page(items: list, params: dict) -> tuple[list, str | None]:
    size = int(params.get("MaxResults") or MAX_RESULTS)
    if not 1 <= size <= MAX_RESULTS:
        raise models.illegal(f"MaxResults must be between 1 and {MAX_RESULTS}.")
    return pagination.page(items, params.get("NextToken"), size, bad_token=lambda: EngineError(
        "InvalidPaginationTokenException", "Invalid pagination token."))


def list_service_quotas(engine, params: dict) -> dict:
    """ListServiceQuotas: the applied values (optionally one QuotaCode)."""
    region, qbook = engine.call_region, models.book(engine)
    facts = qbook.facts(region)
    if params.get("QuotaCode"):
        facts = [qbook.fact(region, params["QuotaCode"])]
    quotas, token = _page([qbook.service_quota(region, f) for f in facts], params)
    return {"Quotas": quotas, **({"NextToken": token} if token else {})}


def list_aws_default_service_quotas(engine, params: dict) -> dict:
    """ListAWSDefaultServiceQuotas: AWS's default values."""
    region, qbook = engine.call_region, models.book(engine)
    quotas, token = _page([qbook.service_quota(region, f, default=True)
                           for f in qbook.facts(region)], params)
    return {"Quotas": quotas, **({"NextToken": token} if token else {})}


def get_service_quota(engine, params: dict) -> dict:
    """GetServiceQuota: one applied value."""
    region, qbook = engine.call_region, models.book(engine)
    return {"Quota": qbook.service_quota(region, qbook.fact(region, params["QuotaCode"]))}


def get_aws_default_service_quota(engine, params: dict) -> dict:
    """GetAWSDefaultServiceQuota: one default value."""
    region, qbook = engine.call_region, models.book(engine)
    return {"Quota": qbook.service_quota(region, qbook.fact(region, params["QuotaCode"]),
                                         default=True)}


def request_service_quota_increase(engine, params: dict) -> dict:
    """RequestServiceQuotaIncrease: a PENDING request (AWS reviews Bedrock increases)."""
    qbook = models.book(engine)
    return {"RequestedQuota": qbook.request_increase(engine.call_region, params["QuotaCode"],
                                                     float(params["DesiredValue"]))}


def get_requested_service_quota_change(engine, params: dict) -> dict:
    """GetRequestedServiceQuotaChange: one increase request."""
    return {"RequestedQuota": models.book(engine).request(params["RequestId"])}


def list_history_by_quota(engine, params: dict) -> dict:
    """ListRequestedServiceQuotaChangeHistoryByQuota: one quota's increase requests."""
    qbook = models.book(engine)
    qbook.fact(engine.call_region, params["QuotaCode"])
    rows, token = _page(qbook.history(engine.call_region, params["QuotaCode"],
                                      params.get("Status")), params)
    return {"RequestedQuotas": rows, **({"NextToken": token} if token else {})}


def list_history(engine, params: dict) -> dict:
    """ListRequestedServiceQuotaChangeHistory: the service's increase requests."""
    rows, token = _page(models.book(engine).history(engine.call_region,
                                                    status=params.get("Status")), params)
    return {"RequestedQuotas": rows, **({"NextToken": token} if token else {})}


HANDLERS = {
    "ListServiceQuotas": list_service_quotas,
    "ListAWSDefaultServiceQuotas": list_aws_default_service_quotas,
    "GetServiceQuota": get_service_quota,
    "GetAWSDefaultServiceQuota": get_aws_default_service_quota,
    "RequestServiceQuotaIncrease": request_service_quota_increase,
    "GetRequestedServiceQuotaChange": get_requested_service_quota_change,
    "ListRequestedServiceQuotaChangeHistoryByQuota": list_history_by_quota,
    "ListRequestedServiceQuotaChangeHistory": list_history,
}
_BY_REQUEST_ID = ("GetRequestedServiceQuotaChange",)  # no ServiceCode: ours if the id is ours


def _json(status: int, body: dict, request_id: str) -> Response:
    return Response(status, {"Content-Type": "application/x-amz-json-1.1",
                             "x-amzn-RequestId": request_id}, json.dumps(body).encode())


def _error(err: EngineError, request_id: str) -> Response:
    response = _json(err.status, {"__type": err.code, "message": err.message}, request_id)
    response.headers["x-amzn-ErrorType"] = err.code
    return response


def ours(engine, request: Request) -> tuple[str, dict] | None:
    """(operation, params) when a Service Quotas request is the engine's to answer."""
    target = request.header("X-Amz-Target") or ""
    if not target.startswith(TARGET_PREFIX):
        return None
    operation = target[len(TARGET_PREFIX):]
    if operation not in HANDLERS:
        return None
    try:
        params = json.loads(request.body or b"{}")
    except ValueError:
        return None
    if operation in _BY_REQUEST_ID:
        return (operation, params) if params.get("RequestId") in models.book(engine).requests \
            else None
    return (operation, params) if params.get("ServiceCode") == table.SERVICE_CODE else None


def handle(engine, operation: str, params: dict) -> Response:
    """Answer one Service Quotas request (errors as Service Quotas gives them)."""
    request_id = str(uuid.uuid4())
    try:
        return _json(200, HANDLERS[operation](engine, params), request_id)
    except EngineError as err:
        return _error(err, request_id)
    except (KeyError, TypeError, ValueError) as exc:
        return _error(models.illegal(f"Invalid request for {operation}: {exc}"), request_id)


def install(engine) -> None:
    """Answer Bedrock's Service Quotas, enforce them on demand, teach CloudWatch anomalies."""
    engine.faults.quota_limit = models.book(engine).limit_for
    serve_with_moto = engine.moto

    def moto(request):
        found = ours(engine, request)
        if found is not None:
            return handle(engine, *found)
        anomaly.patch_moto()
        return serve_with_moto(request)

    engine.moto = moto
