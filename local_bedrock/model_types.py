"""The registry's record types: a model, its lifecycle, profile routes, capabilities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lifecycle:
    """A model's lifecycle as its Bedrock model card gives it (ISO dates; None = not announced)."""

    status: str = "ACTIVE"  # ACTIVE | LEGACY | EOL (EOL ids answer ResourceNotFoundException)
    launch: str | None = None
    legacy: str | None = None
    public_extended_access: str | None = None
    eol: str | None = None
    eol_not_before: str | None = None  # new-style cards: "EOL no sooner than"

    def status_on(self, day: dt.date) -> str:
        """The status on a given day, from the dates (a LEGACY model past its EOL date is EOL)."""
        if self.eol and day >= dt.date.fromisoformat(self.eol):
            return "EOL"
        if self.legacy and day >= dt.date.fromisoformat(self.legacy):
            return "LEGACY"
        return self.status


@dataclass(frozen=True)
class Route:
    """A system inference profile: the regions you may call it from and where it may run."""

    geo: str  # us | eu | apac | jp | au | global
    sources: tuple[str, ...]
    destinations: tuple[str, ...]


@dataclass(frozen=True)
class CacheSpec:
    """Explicit prompt caching (cachePoint) as the prompt-caching page gives it for a model."""

    min_tokens: int
    max_checkpoints: int = 4
    ttls: tuple[str, ...] = ("5m",)
    fields: tuple[str, ...] = ("system", "messages", "tools")


@dataclass(frozen=True)
class Caps:
    """What a model accepts, per the Converse feature table and its model card."""

    system_prompt: bool = True
    tool_use: bool = False
    streaming_tool_use: bool = False
    images: bool = False
    documents: bool = False
    reasoning: bool = False
    count_tokens: bool = False
    guardrails: bool = True
    cache: CacheSpec | None = None
    service_tiers: tuple[str, ...] = ()  # serviceTier values besides "default" ("priority", "flex")
    latency_optimized: tuple[str, ...] = ()  # source regions of performanceConfig latency=optimized


@dataclass(frozen=True)
class TierSpec:
    """How a service tier or latency-optimized inference prices and paces a call, relative to
    the standard tier: price factors from the pricing sources named in `source`; the pace factors
    are the engine's model of the documented behaviour (the docs give no per-model figures)."""

    name: str
    input_price_factor: float = 1.0
    output_price_factor: float = 1.0
    token_pace_factor: float = 1.0  # x the simulated time per output token
    first_byte_factor: float = 1.0  # x the simulated time before the first byte
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class Model:
    """One Bedrock model as the workshop uses it."""

    model_id: str
    name: str
    provider: str
    family: str  # body format for InvokeModel: anthropic, nova, titan-text, llama, mistral, ...
    input_modalities: tuple[str, ...] = ("TEXT",)
    output_modalities: tuple[str, ...] = ("TEXT",)
    context_tokens: int = 0
    max_output_tokens: int = 0
    input_price: float = 0.0  # USD per 1k input tokens
    output_price: float = 0.0  # USD per 1k output tokens (per image for image models)
    cache_read_price: float | None = None  # USD per 1k cached input tokens read
    cache_write_price: float | None = None  # USD per 1k input tokens written to the cache (5 min)
    streaming: bool = True
    converse: bool = True
    lifecycle: Lifecycle = Lifecycle()
    in_region: tuple[str, ...] = ()  # regions where the bare id is invocable on demand
    routes: tuple[Route, ...] = ()  # system inference profiles that carry it
    caps: Caps = Caps()
    embedding_dims: tuple[int, ...] = ()
    customizations: tuple[str, ...] = ()  # FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION
    tags: tuple[str, ...] = field(default=())  # workshop roles, e.g. "default-text"
    # quota tokens one output token consumes at settlement ("burndown rate"; 1 for most models)
    output_burndown: float = 1.0
    # OpenAI-compatible APIs the model serves on bedrock-runtime's /openai/v1 routes:
    # "chat_completions", "responses" (empty: none, or none documented; the note says which)
    openai_apis: tuple[str, ...] = ()
    source: str = ""  # the AWS page the facts come from
    note: str = ""  # what could not be confirmed on that page, and where it came from instead

    @property
    def status(self) -> str:
        """ACTIVE, LEGACY or EOL, as of the day the registry was checked."""
        return self.lifecycle.status

    def route(self, geo: str) -> Route | None:
        """The system inference profile of one geography that carries this model, if any."""
        return next((r for r in self.routes if r.geo == geo), None)
