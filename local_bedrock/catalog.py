"""The model registry's API: lifecycle, where each model is invocable, profiles, capabilities, prices.

This is the one place for model ids, regions, lifecycle and prices; the entries themselves, each
with its source and the date it was checked, are in `local_bedrock.catalog_models`.
`utils.models` is the notebooks' view of this module. Prices are USD per 1,000 tokens, on-demand,
standard tier, us-east-1 (per image for image models): check the pricing page before you budget.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from local_bedrock.catalog_models import (  # noqa: F401  (re-exported)
    CHECKED,
    LATENCY_MODES,
    MODELS,
    SERVICE_TIERS,
)
from local_bedrock.model_types import (  # noqa: F401
    CacheSpec,
    Caps,
    Lifecycle,
    Model,
    Route,
    TierSpec,
)

DEFAULT_REGION = "us-east-1"
WORKSHOP_REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2")
GEOGRAPHIES = ("us", "eu", "apac", "jp", "au", "global")
INFERENCE_PROFILE_PREFIXES = tuple(f"{g}." for g in GEOGRAPHIES)
STATUSES = ("ACTIVE", "LEGACY", "EOL")

_BY_ID = {m.model_id: m for m in MODELS}


def base_model_id(model_id: str) -> str:
    """Strip an ARN or a system inference-profile prefix, leaving the base model id."""
    if model_id.startswith("arn:"):
        model_id = model_id.rsplit("/", 1)[-1]
    for prefix in INFERENCE_PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix):]
    return model_id


def profile_geo(model_id: str) -> str | None:
    """The geography of a system inference-profile id or ARN ("us", "global", ...), else None."""
    tail = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    return next((p[:-1] for p in INFERENCE_PROFILE_PREFIXES if tail.startswith(p)), None)


def find(model_id: str) -> Model | None:
    """The registry entry for a model id, ARN or system inference-profile id, or None."""
    return _BY_ID.get(base_model_id(model_id))


def by_tag(tag: str) -> Model:
    """The model the workshop uses for a role (e.g. "default-text")."""
    for m in MODELS:
        if tag in m.tags:
            return m
    raise KeyError(f"no model is tagged {tag!r} in local_bedrock.catalog_models")


def geographies(region: str) -> tuple[str, ...]:
    """The profile geographies a region's own geography maps to, most local first."""
    if region.startswith("us-"):
        return ("us", "global")
    if region.startswith("eu-"):
        return ("eu", "global")
    if region.startswith("ap-northeast-1") or region == "ap-northeast-3":
        return ("jp", "apac", "global")
    if region in ("ap-southeast-2", "ap-southeast-4"):
        return ("au", "apac", "global")
    if region.startswith("ap-"):
        return ("apac", "global")
    return ("global",)


def invocation_id(model: Model, region: str) -> str | None:
    """The id that invokes `model` on demand from `region`: the bare id where it is in-region,
    else the most local system inference profile whose source regions include `region`."""
    if region in model.in_region:
        return model.model_id
    for geo in geographies(region):
        route = model.route(geo)
        if route is not None and region in route.sources:
            return f"{geo}.{model.model_id}"
    return None


def model_arn(model_id: str, region: str) -> str:
    """The foundation-model ARN of a base model in a region (no account: AWS owns it)."""
    return f"arn:aws:bedrock:{region}::foundation-model/{base_model_id(model_id)}"


def invocation_arns(model: Model, region: str, account: str) -> list[str]:
    """Every ARN an IAM policy must allow to invoke `model` from `region`: the profile ARN and
    the foundation-model ARN in each destination region, or the one in-region model ARN."""
    ident = invocation_id(model, region)
    if ident is None or ident == model.model_id:
        return [model_arn(model.model_id, region)]
    route = model.route(profile_geo(ident) or "")
    dests = route.destinations if route and route.destinations != ("*",) else ("*",)
    return [f"arn:aws:bedrock:{region}:{account}:inference-profile/{ident}",
            *(model_arn(model.model_id, d) for d in dests)]


def cost_usd(model_id: str, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0,
             cache_write_tokens: int = 0, service_tier: str = "default",
             latency: str = "standard") -> float:
    """On-demand cost of one call from the registry's prices (0.0 for unknown ids).
    `input_tokens` excludes cached tokens, as Bedrock's usage reports them; `service_tier` and
    `latency` (the tier and latency mode that served the call) scale the token prices."""
    m = find(model_id)
    if m is None:
        return 0.0
    tier, mode = tier_spec(service_tier), latency_spec(latency)
    f_in = tier.input_price_factor * mode.input_price_factor
    f_out = tier.output_price_factor * mode.output_price_factor
    read = m.cache_read_price if m.cache_read_price is not None else m.input_price
    write = m.cache_write_price if m.cache_write_price is not None else m.input_price
    return (f_in * (input_tokens * m.input_price + cache_read_tokens * read
                    + cache_write_tokens * write) + f_out * output_tokens * m.output_price) / 1000


def tier_spec(service_tier: str | None) -> TierSpec:
    """The registry's facts for a serviceTier type ("default" when absent or unknown)."""
    return SERVICE_TIERS.get(service_tier or "default", SERVICE_TIERS["default"])


def latency_spec(latency: str | None) -> TierSpec:
    """The registry's facts for a performanceConfig latency ("standard" when absent)."""
    return LATENCY_MODES.get(latency or "standard", LATENCY_MODES["standard"])


def service_tiers(model: Model) -> tuple[str, ...]:
    """The serviceTier values a model accepts on demand ("default" is always one)."""
    return ("default", *(t for t in model.caps.service_tiers if t != "default"))


def days_to_change(model: Model, today: dt.date) -> tuple[str, int] | None:
    """The next lifecycle change of a model ("legacy" or "end of life", days left), if dated."""
    for what, day in (("legacy", model.lifecycle.legacy), ("end of life", model.lifecycle.eol)):
        if day and dt.date.fromisoformat(day) >= today:
            return what, (dt.date.fromisoformat(day) - today).days
    return None


# -- Model customization (lab 04) -----------------------------------------------------------------
# USD, us-east-1, from the Amazon Bedrock pricing page when lab 04 was written; check it before you
# budget (prices change and differ by region). train: per 1,000 tokens processed (tokens in the
# training data x epochs); storage: per custom model per month; provisioned: per model unit per
# hour of Provisioned Throughput for a custom model, by commitment (None = no commitment, hourly
# and cancellable; "OneMonth"; "SixMonths"). A price we could not confirm is left out (None):
# look it up rather than trust a guess.
@dataclass(frozen=True)
class CustomizationPrice:
    """What customizing one base model costs: training, storage, provisioned throughput."""

    train_per_1k_tokens: float
    storage_per_month: float
    provisioned_hourly: dict = field(default_factory=dict)  # commitment -> USD per MU-hour


CUSTOMIZATION_PRICES: dict[str, CustomizationPrice] = {
    "amazon.nova-micro-v1:0": CustomizationPrice(0.001, 1.95),
    "amazon.titan-text-lite-v1": CustomizationPrice(
        0.0004, 1.95, {None: 7.10, "OneMonth": 6.40, "SixMonths": 5.10}),
    "amazon.titan-text-express-v1": CustomizationPrice(
        0.008, 1.95, {None: 20.50, "OneMonth": 18.40, "SixMonths": 14.80}),
}
HOURS_PER_MONTH = 730  # AWS bills a month of an hourly resource as 730 hours
