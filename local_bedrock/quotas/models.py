"""The account's Bedrock quotas on one engine: defaults from `table`, increase requests, and the
quota each runtime call counts against (what `local_bedrock.faults` enforces with `quotas=1`)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid

from local_bedrock import catalog
from local_bedrock.errors import EngineError
from local_bedrock.faults import QuotaLimit
from local_bedrock.quotas import table
from local_bedrock.quotas.table import QuotaFact

ACCOUNT = "123456789012"  # moto's account: what offline STS answers
PENDING = "PENDING"  # Bedrock's increases are reviewed by people; none is granted offline


def no_such_quota(code: str) -> EngineError:
    """NoSuchResourceException for a quota code the service does not have (engine's wording)."""
    return EngineError("NoSuchResourceException",
                       f"The request failed because the specified quota {code} does not exist "
                       f"for service {table.SERVICE_CODE} in this Region.", 400)


def illegal(message: str) -> EngineError:
    """IllegalArgumentException (a request value the service refuses)."""
    return EngineError("IllegalArgumentException", message, 400)


class QuotaBook:
    """Applied quota values and increase requests, per region, for one engine."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self.applied: dict[tuple[str, str], float] = {}  # (region, code) -> value (increases)
        self.requests: dict[str, dict] = {}  # request id -> RequestedServiceQuotaChange

    # -- what exists in a region --------------------------------------------------------------
    def facts(self, region: str) -> list[QuotaFact]:
        """Every per-model quota that applies in `region` (a model offered there, per scope)."""
        out = []
        for model_id in table.covered_models():
            model = catalog.find(model_id)
            if model is None or model.status == "EOL":
                continue
            out += table.facts_for(model_id, scopes_in(model, region))
        return out

    def fact(self, region: str, code: str) -> QuotaFact:
        """One quota by code, or NoSuchResourceException."""
        for f in self.facts(region):
            if f.code == code:
                return f
        raise no_such_quota(code)

    def value(self, region: str, fact: QuotaFact) -> float:
        """The applied value: the default unless an increase was applied."""
        return self.applied.get((region, fact.code), fact.value)

    # -- wire shapes ------------------------------------------------------------------------
    def service_quota(self, region: str, fact: QuotaFact, default: bool = False) -> dict:
        """A ServiceQuota structure (applied value, or the AWS default with `default`)."""
        code_note = (f"code from {fact.code_source}" if fact.code_source
                     else "code is local (AWS's code not confirmed)")
        value_note = (f"default from {fact.value_source}" if fact.value_source
                      else "default is the engine's stand-in, not AWS's published value")
        return {"ServiceCode": table.SERVICE_CODE, "ServiceName": table.SERVICE_NAME,
                "QuotaArn": quota_arn(region, fact.code, default), "QuotaCode": fact.code,
                "QuotaName": fact.name,
                "Value": fact.value if default else self.value(region, fact), "Unit": "None",
                "Adjustable": fact.adjustable, "GlobalQuota": False,
                **({} if default else {"QuotaAppliedAtLevel": "ACCOUNT"}),
                "Description": f"Local engine (checked {fact.checked}): {value_note}; {code_note}."}

    # -- increase requests ------------------------------------------------------------------
    def request_increase(self, region: str, code: str, desired: float) -> dict:
        """Record a pending increase (the value changes only if AWS approves it)."""
        fact = self.fact(region, code)
        current = self.value(region, fact)
        if not fact.adjustable:
            raise illegal(f"The quota {code} is not adjustable.")
        if desired <= current:
            raise illegal(f"DesiredValue ({desired:g}) must be greater than the quota's current "
                          f"value ({current:g}).")
        with self._lock:
            for r in self.requests.values():
                if r["_region"] == region and r["QuotaCode"] == code and r["Status"] == PENDING:
                    raise EngineError("ResourceAlreadyExistsException",
                                      f"A request to increase quota {code} is already pending "
                                      f"({r['Id']}).", 400)
            now = dt.datetime.now(dt.timezone.utc).timestamp()
            rid = str(uuid.uuid4())
            self.requests[rid] = {
                "Id": rid, "ServiceCode": table.SERVICE_CODE, "ServiceName": table.SERVICE_NAME,
                "QuotaCode": code, "QuotaName": fact.name, "DesiredValue": float(desired),
                "Status": PENDING, "Created": now, "LastUpdated": now,
                "Requester": json.dumps({"accountId": ACCOUNT,
                                         "callerArn": f"arn:aws:iam::{ACCOUNT}:user/moto"}),
                "QuotaArn": quota_arn(region, code), "GlobalQuota": False, "Unit": "None",
                "QuotaRequestedAtLevel": "ACCOUNT", "_region": region}
            return public(self.requests[rid])

    def request(self, request_id: str) -> dict:
        """One increase request by id."""
        if request_id not in self.requests:
            raise EngineError("NoSuchResourceException",
                              f"The request {request_id} does not exist.", 400)
        return public(self.requests[request_id])

    def history(self, region: str, code: str | None = None, status: str | None = None) -> list[dict]:
        """Increase requests in a region, newest first, optionally for one quota or status."""
        rows = [r for r in self.requests.values() if r["_region"] == region
                and (code is None or r["QuotaCode"] == code)
                and (status is None or r["Status"] == status)]
        return [public(r) for r in sorted(rows, key=lambda r: -r["Created"])]

    # -- enforcement ------------------------------------------------------------------------
    def limit_for(self, model_id: str) -> QuotaLimit | None:
        """The tokens-per-minute quota a call to `model_id` counts against, in the call's region
        (bare id: on-demand; us./eu./... profile: cross-Region; global.: global), or None."""
        model = catalog.find(model_id)
        if model is None:
            return None
        geo = catalog.profile_geo(model_id)
        scope = "on-demand" if geo is None else "global" if geo == "global" else "cross-region"
        region = self.engine.call_region
        for f in table.facts_for(model.model_id, scopes_in(model, region)):
            if f.scope == scope:
                return QuotaLimit(key=f"{region}/{f.code}", tpm=self.value(region, f),
                                  burndown=model.output_burndown)
        return None


def scopes_in(model: catalog.Model, region: str) -> tuple[str, ...]:
    """The per-minute quota scopes a model has in a region (how it can be invoked from there)."""
    scopes = []
    if region in model.in_region:
        scopes.append("on-demand")
    if any(r.geo != "global" and region in r.sources for r in model.routes):
        scopes.append("cross-region")
    if any(r.geo == "global" and region in r.sources for r in model.routes):
        scopes.append("global")
    return tuple(scopes)


def quota_arn(region: str, code: str, default: bool = False) -> str:
    """Service Quotas' ARN of a quota (the AWS default's carries no account)."""
    return f"arn:aws:servicequotas:{region}:{'' if default else ACCOUNT}:bedrock/{code}"


def public(request: dict) -> dict:
    """A stored request without the engine's bookkeeping keys."""
    return {k: v for k, v in request.items() if not k.startswith("_")}


def book(engine) -> QuotaBook:
    """The engine's quota book (created on first use)."""
    found = engine.state.get("quotas")
    if found is None:
        found = engine.state["quotas"] = QuotaBook(engine)
    return found  # type: ignore[return-value]
