"""The model registry: every model id the workshop knows, with provider, limits and prices.

This is the one place for model ids, regions and prices. Prices are USD per 1,000 tokens,
on-demand, us-east-1, as published on the Amazon Bedrock pricing page (check before you
budget: they change). `utils.models` is the notebooks' view of this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_REGION = "us-east-1"
WORKSHOP_REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2")
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "jp.", "au.")


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
    streaming: bool = True
    converse: bool = True
    status: str = "ACTIVE"  # ACTIVE | LEGACY | RETIRED (retired ids answer ResourceNotFound)
    embedding_dims: tuple[int, ...] = ()
    customizations: tuple[str, ...] = ()  # FINE_TUNING, CONTINUED_PRE_TRAINING
    tags: tuple[str, ...] = field(default=())  # workshop roles, e.g. "default-text"


MODELS: tuple[Model, ...] = (
    # Amazon Nova
    Model("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", "nova", context_tokens=128_000,
          max_output_tokens=10_000, input_price=0.000035, output_price=0.00014,
          customizations=("FINE_TUNING",), tags=("cheapest-text",)),
    Model("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", "nova", ("TEXT", "IMAGE", "VIDEO"),
          context_tokens=300_000, max_output_tokens=10_000, input_price=0.00006,
          output_price=0.00024, customizations=("FINE_TUNING",), tags=("default-text", "vision")),
    Model("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", "nova", ("TEXT", "IMAGE", "VIDEO"),
          context_tokens=300_000, max_output_tokens=10_000, input_price=0.0008,
          output_price=0.0032, customizations=("FINE_TUNING",)),
    # Anthropic
    Model("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", "anthropic",
          ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=4_096,
          input_price=0.00025, output_price=0.00125, customizations=("FINE_TUNING",),
          tags=("claude",)),
    Model("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "Anthropic",
          "anthropic", context_tokens=200_000, max_output_tokens=8_192, input_price=0.0008,
          output_price=0.004),
    Model("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", "Anthropic",
          "anthropic", ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=8_192,
          input_price=0.003, output_price=0.015),
    Model("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", "Anthropic", "anthropic",
          ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=64_000,
          input_price=0.003, output_price=0.015),
    Model("anthropic.claude-v2:1", "Claude 2.1", "Anthropic", "anthropic-legacy",
          context_tokens=200_000, max_output_tokens=4_096, input_price=0.008,
          output_price=0.024, status="RETIRED", converse=True),
    Model("anthropic.claude-v2", "Claude 2", "Anthropic", "anthropic-legacy",
          context_tokens=100_000, max_output_tokens=4_096, input_price=0.008,
          output_price=0.024, status="RETIRED"),
    Model("anthropic.claude-instant-v1", "Claude Instant", "Anthropic", "anthropic-legacy",
          context_tokens=100_000, max_output_tokens=4_096, input_price=0.0008,
          output_price=0.0024, status="RETIRED"),
    # Amazon Titan Text
    Model("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon", "titan-text",
          context_tokens=8_192, max_output_tokens=8_192, input_price=0.0002,
          output_price=0.0006, customizations=("FINE_TUNING", "CONTINUED_PRE_TRAINING"),
          status="LEGACY"),
    Model("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", "Amazon", "titan-text",
          context_tokens=4_096, max_output_tokens=4_096, input_price=0.00015,
          output_price=0.0002, customizations=("FINE_TUNING", "CONTINUED_PRE_TRAINING"),
          status="LEGACY"),
    # Meta Llama
    Model("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", "Meta", "llama",
          context_tokens=128_000, max_output_tokens=2_048, input_price=0.00022,
          output_price=0.00022, customizations=("FINE_TUNING",)),
    Model("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", "Meta", "llama",
          context_tokens=128_000, max_output_tokens=2_048, input_price=0.00072,
          output_price=0.00072),
    # Mistral
    Model("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", "mistral",
          context_tokens=32_000, max_output_tokens=8_192, input_price=0.00015,
          output_price=0.0002),
    Model("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", "Mistral AI", "mistral",
          context_tokens=32_000, max_output_tokens=4_096, input_price=0.00045,
          output_price=0.0007),
    Model("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", "mistral",
          context_tokens=32_000, max_output_tokens=8_192, input_price=0.004,
          output_price=0.012),
    # Embeddings
    Model("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", "titan-embed",
          output_modalities=("EMBEDDING",), context_tokens=8_192, input_price=0.00002,
          streaming=False, converse=False, embedding_dims=(1024, 512, 256),
          tags=("default-embedding",)),
    Model("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text", "Amazon", "titan-embed",
          output_modalities=("EMBEDDING",), context_tokens=8_192, input_price=0.0001,
          streaming=False, converse=False, embedding_dims=(1536,)),
    Model("amazon.titan-embed-image-v1", "Titan Multimodal Embeddings G1", "Amazon",
          "titan-embed-image", ("TEXT", "IMAGE"), ("EMBEDDING",), context_tokens=128,
          input_price=0.0008, output_price=0.00006, streaming=False, converse=False,
          embedding_dims=(1024, 384, 256)),
    Model("cohere.embed-english-v3", "Cohere Embed English v3", "Cohere", "cohere-embed",
          output_modalities=("EMBEDDING",), context_tokens=512, input_price=0.0001,
          streaming=False, converse=False, embedding_dims=(1024,)),
    Model("cohere.embed-multilingual-v3", "Cohere Embed Multilingual v3", "Cohere",
          "cohere-embed", output_modalities=("EMBEDDING",), context_tokens=512,
          input_price=0.0001, streaming=False, converse=False, embedding_dims=(1024,)),
    # Image generation (lab 05). output_price is USD per image, not per 1k tokens.
    # Titan Image Generator v2: standard $0.008 (512x512) / $0.01 (1024x1024);
    # premium $0.01 / $0.012.
    Model("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2", "Amazon",
          "titan-image", ("TEXT", "IMAGE"), ("IMAGE",), output_price=0.01, streaming=False,
          converse=False, tags=("titan-image",)),
    # Nova Canvas: standard $0.04 / premium $0.06 up to 1024x1024; $0.06 / $0.08 up to 2048x2048.
    Model("amazon.nova-canvas-v1:0", "Nova Canvas", "Amazon", "nova-canvas", ("TEXT", "IMAGE"),
          ("IMAGE",), output_price=0.04, streaming=False, converse=False,
          tags=("default-image", "nova-canvas")),
    # Stability AI (offered in us-west-2): Core $0.04, SD3.5 Large $0.08, Ultra $0.14 per image.
    Model("stability.stable-image-core-v1:1", "Stable Image Core 1.1", "Stability AI",
          "stability", ("TEXT",), ("IMAGE",), output_price=0.04, streaming=False,
          converse=False, tags=("stability-image",)),
    Model("stability.sd3-5-large-v1:0", "Stable Diffusion 3.5 Large", "Stability AI",
          "stability", ("TEXT", "IMAGE"), ("IMAGE",), output_price=0.08, streaming=False,
          converse=False),
    Model("stability.stable-image-ultra-v1:1", "Stable Image Ultra 1.1", "Stability AI",
          "stability", ("TEXT", "IMAGE"), ("IMAGE",), output_price=0.14, streaming=False,
          converse=False),
)

_BY_ID = {m.model_id: m for m in MODELS}


def base_model_id(model_id: str) -> str:
    """Strip an ARN or a cross-region inference-profile prefix, leaving the base model id."""
    if model_id.startswith("arn:"):
        model_id = model_id.rsplit("/", 1)[-1]
    for prefix in INFERENCE_PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix):]
    return model_id


def find(model_id: str) -> Model | None:
    """The registry entry for a model id, ARN or inference-profile id, or None."""
    return _BY_ID.get(base_model_id(model_id))


def by_tag(tag: str) -> Model:
    """The model the workshop uses for a role (e.g. "default-text")."""
    for m in MODELS:
        if tag in m.tags:
            return m
    raise KeyError(f"no model is tagged {tag!r} in local_bedrock.catalog")


def cost_usd(model_id: str, input_tokens: int, output_tokens: int) -> float:
    """On-demand cost of one call from the registry's prices (0.0 for unknown ids)."""
    m = find(model_id)
    if m is None:
        return 0.0
    return input_tokens / 1000 * m.input_price + output_tokens / 1000 * m.output_price


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
