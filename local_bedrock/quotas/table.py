"""Amazon Bedrock's per-model inference quotas as Service Quotas names them (ServiceCode bedrock).

Checked 2026-12-07 against:
- quotas-runtime.html: on `bedrock-runtime` each model has "Cross-Region InvokeModel tokens per
  minute for ${model}", "On-demand InvokeModel tokens per minute for ${model}" and "Model
  invocation max tokens per day for ${model}" (per model, per Region; input + output combined;
  the daily quota is "by default ... the per-minute quota multiplied by 24 x 60"), and they are
  shared by InvokeModel, Converse, Responses and Chat Completions.
- global-cross-region-inference.html: "Global cross-Region model inference tokens per minute for
  ${Model}" for global profiles.
- the same page (its current copy at docs.aws.eu/bedrock/latest/userguide/quotas-runtime.html)
  and the release notes: "Amazon Bedrock no longer enforces requests-per-minute (RPM) quotas on
  the bedrock-runtime endpoint"; RPM rows were removed from the quotas table. The engine serves
  no RPM quotas (quotas-increase.html still names them: older pages).
- quotas-token-burndown.html: reservation and burndown (see `local_bedrock.faults`).

Not in the AWS pages that could be read: the quota codes (the docs never list them) and the
default values (the General Reference table was not readable). Codes marked with a source come
from a public dump of the Service Quotas catalog in a GitHub repository, which still used the
older "model inference" wording of the names; the others are local codes (LOCAL-...). Values are
the engine's stand-ins unless a source is given: read your account's values live.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from local_bedrock.catalog_models import CHECKED

SERVICE_CODE = "bedrock"
SERVICE_NAME = "Amazon Bedrock"
SOURCE = "https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html"
GLOBAL_SOURCE = "https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html"
CATALOG_DUMP = "a public Service Quotas catalog dump on GitHub (older 'model inference' names)"

SCOPES = ("on-demand", "cross-region", "global", "day")
_NAMES = {
    "on-demand": "On-demand InvokeModel tokens per minute for {model}",
    "cross-region": "Cross-Region InvokeModel tokens per minute for {model}",
    "global": "Global cross-Region model inference tokens per minute for {model}",
    "day": "Model invocation max tokens per day for {model}",
}
# stand-in defaults (tokens per minute) where no source was found; the daily quota is TPM x 1440
STAND_IN_TPM = {"on-demand": 1_000_000, "cross-region": 2_000_000, "global": 2_000_000}
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class QuotaFact:
    """One quota of one model: name, code and default value, each with where it comes from."""

    model_id: str  # registry base model id
    scope: str  # on-demand | cross-region | global | day
    name: str
    code: str
    value: float
    code_source: str = ""  # "" = a local code (the docs do not list codes)
    value_source: str = ""  # "" = the engine's stand-in
    adjustable: bool = True
    checked: str = CHECKED

    @property
    def per_minute(self) -> bool:
        """True for the tokens-per-minute quotas (the ones that throttle a burst)."""
        return self.scope != "day"


# model id -> (the name quota names use, {scope: code from CATALOG_DUMP}, {scope: (value, source)})
_MODELS: dict[str, tuple[str, dict[str, str], dict[str, tuple[float, str]]]] = {
    "amazon.nova-micro-v1:0": ("Amazon Nova Micro", {"cross-region": "L-DC7FF66C"}, {}),
    "amazon.nova-lite-v1:0": ("Amazon Nova Lite", {"cross-region": "L-7C42E72A"}, {}),
    "amazon.nova-pro-v1:0": ("Amazon Nova Pro", {"cross-region": "L-C0326783"}, {}),
    "amazon.nova-2-lite-v1:0": ("Amazon Nova 2 Lite", {}, {}),
    "anthropic.claude-haiku-5-5": ("Anthropic Claude Haiku 5.5", {}, {}),
    "anthropic.claude-haiku-4-5-20251001-v1:0": (
        "Anthropic Claude Haiku 4.5",
        {"cross-region": "L-58BE175A", "global": "L-9A11C666", "day": "L-6120CF2D"},
        {"cross-region": (5_000_000, "a public live read of Service Quotas in us-east-1 "
                                     "(an applied value, not necessarily the default)")}),
    "openai.gpt-6-sol": ("GPT-6 Sol", {}, {}),
    "openai.gpt-oss-20b-1:0": ("OpenAI GPT OSS 20B", {"on-demand": "L-036E14D8",
                                                      "day": "L-0FA1782C"}, {}),
    "openai.gpt-oss-120b-1:0": ("OpenAI GPT OSS 120B", {"on-demand": "L-9DC5F595",
                                                        "day": "L-41FDDA6B"}, {}),
    "amazon.titan-embed-text-v2:0": ("Amazon Titan Text Embeddings V2",
                                     {"on-demand": "L-DE641971"}, {}),
}


def quota_name(model_name: str, scope: str) -> str:
    """The Service Quotas name of a model's quota in a scope."""
    return _NAMES[scope].format(model=model_name)


def local_code(name: str) -> str:
    """A stable code for a quota whose real code could not be confirmed (never an L- code)."""
    return "LOCAL-" + hashlib.sha1(name.encode()).hexdigest()[:8].upper()


def facts_for(model_id: str, scopes: tuple[str, ...]) -> list[QuotaFact]:
    """The quotas of one model in the given per-minute scopes, plus its daily quota."""
    if model_id not in _MODELS:
        return []
    display, codes, values = _MODELS[model_id]
    out = []
    for scope in scopes:
        value, value_src = values.get(scope, (STAND_IN_TPM[scope], ""))
        out.append(_fact(model_id, display, scope, codes, value, value_src))
    if scopes:
        biggest = max(out, key=lambda f: f.value)
        source = f"{MINUTES_PER_DAY} x the per-minute quota ({SOURCE})"
        out.append(_fact(model_id, display, "day", codes, biggest.value * MINUTES_PER_DAY,
                         source if biggest.value_source else ""))
    return out


def _fact(model_id: str, display: str, scope: str, codes: dict[str, str], value: float,
          value_source: str) -> QuotaFact:
    name = quota_name(display, scope)
    code = codes.get(scope)
    return QuotaFact(model_id, scope, name, code or local_code(name), float(value),
                     CATALOG_DUMP if code else "", value_source)


def covered_models() -> tuple[str, ...]:
    """The registry ids this table has quotas for."""
    return tuple(_MODELS)
