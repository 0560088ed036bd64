"""Per-model capability rules: Converse requests a model can't serve fail as Bedrock fails them.

Each rule reads the model's registry entry (`Caps`) and answers with Bedrock's code and message.
Sources, checked 2026-12-07:
- which models support system prompts, documents, images, tool use and streaming tool use:
  https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html
- prompt caching (minimum tokens per checkpoint, checkpoints per request, TTLs, fields):
  https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html and the model cards
- CountTokens: https://docs.aws.amazon.com/bedrock/latest/userguide/count-tokens.html
- service tiers: https://docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html
- latency-optimized inference:
  https://docs.aws.amazon.com/bedrock/latest/userguide/latency-optimized-inference.html
The messages are those Bedrock returns (seen in real responses quoted in public issue threads);
where none was found, the engine uses Bedrock's general "doesn't support the X field" form.
Service tiers: "reserved" without a reservation answers "Reservation not found." (a live test
quoted in NousResearch/hermes-agent#34476); for a tier or latency mode a model or region does not
offer, Bedrock answers a ValidationException whose text no public source quotes, so the engine
uses the general form.
"""

from __future__ import annotations

from dataclasses import dataclass

from local_bedrock import catalog
from local_bedrock.catalog import Model
from local_bedrock.errors import validation

NO_SYSTEM = ("This model doesn't support system messages. Try again without a system message or "
             "use a model that supports system messages.")
NO_TOOLS = "This model doesn't support tool use."
NO_STREAM_TOOLS = "This model doesn't support tool use in streaming mode."
NO_BLOCK = ("This model doesn't support the {kind} content block that you provided. Update the "
            "content block and try again.")
NO_FIELD = "This model doesn't support the {field} field. Remove {field} and try again."
NO_CACHE = ("You invoked an unsupported model or your request did not allow prompt caching. See "
            "the documentation for more information.")
NO_COUNT = "The provided model doesn't support counting tokens."
NO_RESERVATION = "Reservation not found."
EXTRA_KEY = ("Malformed input request: #: extraneous key [{key}] is not permitted, please "
             "reformat your input and try again.")

# additionalModelRequestFields each body format accepts (the provider's own request fields).
EXTRA_FIELDS = {
    "nova": {"inferenceConfig", "reasoningConfig"},
    "anthropic": {"top_k", "anthropic_beta", "thinking", "anthropic_version", "tool_choice",
                  "output_config", "inference_geo"},
    "llama": {"top_k"},
    "mistral": {"top_k", "safe_prompt"},
}
TOOL_CHOICE_ANY = ("anthropic", "nova", "mistral")  # families that take toolChoice any/tool


def check_converse(model: Model, params: dict, streaming: bool = False,
                   region: str | None = None) -> "Served":
    """Raise Bedrock's ValidationException for the first feature this model does not serve
    (latency-optimized inference is also checked against the calling region when given)."""
    caps = model.caps
    if params.get("system") and any("text" in b for b in params["system"]) \
            and not caps.system_prompt:
        raise validation(NO_SYSTEM)
    blocks = [b for m in params.get("messages") or [] for b in m.get("content") or []]
    tools = params.get("toolConfig")
    uses_tools = bool(tools) or any("toolUse" in b or "toolResult" in b for b in blocks)
    if uses_tools and not caps.tool_use:
        raise validation(NO_TOOLS)
    if uses_tools and streaming and not caps.streaming_tool_use:
        raise validation(NO_STREAM_TOOLS)
    choice = (tools or {}).get("toolChoice") or {}
    for kind in ("any", "tool"):
        if kind in choice and model.family not in TOOL_CHOICE_ANY:
            field = f"toolConfig.toolChoice.{kind}"
            raise validation(NO_FIELD.format(field=field))
    for block in blocks + [b for b in params.get("system") or []]:
        if "image" in block and not caps.images:
            raise validation(NO_BLOCK.format(kind="image"))
        if "document" in block and not caps.documents:
            raise validation(NO_BLOCK.format(kind="document"))
        if "video" in block and "VIDEO" not in model.input_modalities:
            raise validation(NO_BLOCK.format(kind="video"))
    check_cache_points(model, params)
    served = check_tiers(model, (params.get("serviceTier") or {}).get("type"),
                         (params.get("performanceConfig") or {}).get("latency"), region)
    extra = params.get("additionalModelRequestFields")
    if isinstance(extra, dict):
        allowed = EXTRA_FIELDS.get(model.family, set())
        for key in extra:
            if key not in allowed:
                raise validation(EXTRA_KEY.format(key=key))
    return served


@dataclass(frozen=True)
class Served:
    """The tier and latency mode a request is served with, and how they pace the answer."""

    tier: str | None  # the serviceTier type asked for (None: not asked, the Standard tier)
    latency: str | None  # the performanceConfig latency asked for (None: not asked)
    first_byte_factor: float = 1.0
    token_pace_factor: float = 1.0

    def converse_fields(self) -> dict:
        """serviceTier / performanceConfig as Converse answers them (only when asked for)."""
        out: dict = {}
        if self.tier:
            out["serviceTier"] = {"type": self.tier}
        if self.latency:
            out["performanceConfig"] = {"latency": self.latency}
        return out


def check_tiers(model: Model, tier: str | None, latency: str | None,
                region: str | None = None) -> Served:
    """Refuse a service tier or latency mode the model (or region) does not offer, as Bedrock
    does; else how the request is served (factors from the registry's tier facts)."""
    if tier == "reserved":
        raise validation(NO_RESERVATION)
    if tier and tier not in catalog.service_tiers(model):
        raise validation(NO_FIELD.format(field="serviceTier"))
    if latency == "optimized" and (not model.caps.latency_optimized or (
            region is not None and region not in model.caps.latency_optimized)):
        raise validation(NO_FIELD.format(field="performanceConfig.latency"))
    t, mode = catalog.tier_spec(tier), catalog.latency_spec(latency)
    return Served(tier, latency, t.first_byte_factor * mode.first_byte_factor,
                  t.token_pace_factor * mode.token_pace_factor)


def cache_points(params: dict) -> list[tuple[str, dict]]:
    """Every cachePoint block of a Converse request, with the field it sits in."""
    out = [("system", b["cachePoint"]) for b in params.get("system") or [] if "cachePoint" in b]
    out += [("messages", b["cachePoint"]) for m in params.get("messages") or []
            for b in m.get("content") or [] if "cachePoint" in b]
    out += [("tools", t["cachePoint"]) for t in (params.get("toolConfig") or {}).get("tools", [])
            if "cachePoint" in t]
    return out


def check_cache_points(model: Model, params: dict) -> None:
    """Prompt caching: where the model allows checkpoints, how many, with which TTLs."""
    points = cache_points(params)
    if not points:
        return
    spec = model.caps.cache
    if spec is None:
        raise validation(NO_CACHE)
    if len(points) > spec.max_checkpoints:
        raise validation(f"A maximum of {spec.max_checkpoints} blocks with cache_control may be "
                         f"provided. Found {len(points)}.")
    for where, point in points:
        if where not in spec.fields or point.get("ttl", "5m") not in spec.ttls:
            raise validation(NO_CACHE)


def check_count_tokens(model: Model) -> None:
    """CountTokens is served only for the models its page lists."""
    if not model.caps.count_tokens:
        raise validation(NO_COUNT)
