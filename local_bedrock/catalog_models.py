"""The registry's entries: every model the workshop knows, as its AWS model card gives it.

Each entry names its source (`source=`); CHECKED is the day the whole table was last checked
against the AWS docs (model cards, the model lifecycle pages, the Converse feature table, the
prompt-caching page). Where a card could not be read to the end, a comment says what came from
elsewhere. Bedrock changes monthly: re-check before a workshop (`python -m utils.doctor --live`
asks your account). Prices: USD per 1,000 tokens, standard tier, us-east-1 (image models: per
image, in `output_price`).

OpenAI-compatible APIs (`openai_apis`, checked 2026-12-07): which models serve Chat Completions
and Responses on bedrock-runtime's `/openai/v1` routes. The API compatibility page
(models-api-compatibility.html) marks Chat Completions and Responses unsupported for Nova, Titan
and the Claude 3/3.5/4.x models listed there (the default: no `openai_apis`); a model the pages
read do not mention says so in its `note` (see `_OPENAI_SILENT`). GPT-6 Sol's card lists
Responses, Chat Completions and Converse on bedrock-runtime (not Invoke); the Chat Completions
page covers "all OpenAI models"; the Responses API page says Responses for GPT OSS models is
bedrock-mantle only.
"""

from __future__ import annotations

import dataclasses

from local_bedrock.model_types import CacheSpec, Caps, Lifecycle, Model, Route, TierSpec

CHECKED = "2026-12-07"
_DOCS = "https://docs.aws.amazon.com/bedrock/latest/userguide/"
_LIFECYCLE = _DOCS + "model-lifecycle.html"

# -- service tiers and latency-optimized inference (checked 2026-12-07) ---------------------------
# service-tiers-inference.html: serviceTier priority | default | flex (| reserved, with a
# reservation); "default" is the Standard tier; the on-demand quota is shared by priority, default
# and flex; the tier that served a request is in the API response, and CloudWatch has the
# dimensions ModelId, ServiceTier and ResolvedServiceTier. Priority: "up to 25% better output
# tokens per second" than Standard for most models (what's-new post, 2025-11-18); Flex: "longer
# processing times", lower priority under load. Prices are not on those pages: priority ~1.75x
# and flex ~0.5x the standard token price are what a public file read from the AWS Price List API
# for Nova (2026-09-01) and an AWS re:Invent 2025 session (AIM3304, "Flex ... 50% discount") give;
# an AWS solutions sample says "~25% more" for Priority. Check the pricing page per model.
# latency-optimized-inference.html (preview): performanceConfig latency standard | optimized;
# "significantly reduced latency", no figure; over its usage quota a request is served (and
# billed) at standard latency. Its price (Nova Pro $1.00/$4.00 per 1M vs $0.80/$3.20, 1.25x) is
# from a public model table, not an AWS page. The pace factors below are the engine's stand-ins
# for behaviour the docs describe without numbers; priority's 0.8 is 1/1.25 from "25% better OTPS".
_TIERS_PAGE = _DOCS + "service-tiers-inference.html"
_TIER_PRICES = ("price: public reads of the AWS Price List API (Nova, 2026-09-01) and re:Invent "
                "2025 AIM3304; not on the AWS pages read")
SERVICE_TIERS: dict[str, TierSpec] = {
    "default": TierSpec("default", source=_TIERS_PAGE),
    "priority": TierSpec("priority", 1.75, 1.75, token_pace_factor=0.8, source=_TIERS_PAGE,
                         note=_TIER_PRICES + "; pace: 'up to 25% better OTPS'"),
    "flex": TierSpec("flex", 0.5, 0.5, token_pace_factor=1.25, first_byte_factor=2.0,
                     source=_TIERS_PAGE,
                     note=_TIER_PRICES + "; pace: engine stand-in for 'longer processing times'"),
}
LATENCY_MODES: dict[str, TierSpec] = {
    "standard": TierSpec("standard", source=_DOCS + "latency-optimized-inference.html"),
    "optimized": TierSpec("optimized", 1.25, 1.25, token_pace_factor=0.6, first_byte_factor=0.6,
                          source=_DOCS + "latency-optimized-inference.html",
                          note="price: Nova Pro's latency-optimized rate in a public model table; "
                               "pace: engine stand-in for 'significantly reduced latency'"),
}
# Token burndown (quotas-token-burndown.html): "The burndown rate for the following models is 5x
# for output tokens (1 output token consumes 5 tokens from your quotas)", a list that starts with
# Claude Opus 4 and Claude Sonnet 4 under the heading "Token burndown rate for Anthropic Claude 4
# models" (quotas.html); the rest of the list could not be read. The registry applies 5x to every
# current Claude (4.x and Haiku 5.5): check the page for the exact model.
_CLAUDE_BURNDOWN = 5.0

# -- where system inference profiles route (from the model cards' profile tables) ---------------
_US = ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
_US3 = ("us-east-1", "us-east-2", "us-west-2")
_EU = ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")
_AU = ("ap-southeast-2", "ap-southeast-4")
_JP = ("ap-northeast-1", "ap-northeast-3")
_GLOBAL_SOURCES = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-7", "il-central-1", "me-central-1")
US = Route("us", _US, _US3)
US_NOVA_MICRO = Route("us", _US3, _US3)
EU = Route("eu", _EU, _EU)
AU = Route("au", _AU, _AU)
JP = Route("jp", _JP, _JP)
GLOBAL = Route("global", _GLOBAL_SOURCES, ("*",))  # "*": any commercial region

# -- capabilities shared by a family (Converse feature table, prompt caching page) ---------------
_NOVA_CACHE = CacheSpec(min_tokens=1000, max_checkpoints=4, ttls=("5m",),
                        fields=("system", "messages"))
NOVA_TEXT = Caps(tool_use=True, streaming_tool_use=True, cache=_NOVA_CACHE)
NOVA_MM = Caps(tool_use=True, streaming_tool_use=True, images=True, documents=True,
               cache=_NOVA_CACHE)
CLAUDE_4 = Caps(tool_use=True, streaming_tool_use=True, images=True, documents=True,
                reasoning=True)
EMBEDDING = Caps(system_prompt=False, guardrails=False)
IMAGE = Caps(system_prompt=False, guardrails=False)
LLAMA = Caps(tool_use=True)
MISTRAL = Caps(tool_use=True)
OLD = Caps()  # end-of-life models: nothing is served


_MISTRAL_REGIONS = ("us-east-1", "us-west-2", "ap-southeast-2")
_MISTRAL_NOTE = ("card lifecycle 'Active' but its EOL-no-sooner-than date has passed: check "
                 "GetFoundationModel; regions from the regional-availability page")


def _eol(day: str | None = None, legacy: str | None = None, launch: str | None = None) -> Lifecycle:
    return Lifecycle("EOL", launch=launch, legacy=legacy, eol=day)


MODELS: tuple[Model, ...] = (
    # ---- Amazon Nova (v1: in-region on demand in us-east-1 and ap-southeast-2, us./eu. elsewhere;
    # no global profile; 75% discount on cached reads; limits from the cards, checked 2026-12-07)
    Model("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", "nova", context_tokens=128_000,
          max_output_tokens=5_000, input_price=0.000035, output_price=0.00014,
          cache_read_price=0.00000875, cache_write_price=0.000035,
          lifecycle=Lifecycle("ACTIVE", launch="2024-12-05"),
          in_region=("us-east-1", "ap-southeast-2"), routes=(US_NOVA_MICRO, EU), caps=NOVA_TEXT,
          customizations=("FINE_TUNING", "DISTILLATION"), tags=("cheapest-text",),
          source=_DOCS + "model-card-amazon-nova-micro.html"),
    Model("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", "nova", ("TEXT", "IMAGE", "VIDEO"),
          context_tokens=300_000, max_output_tokens=5_000, input_price=0.00006,
          output_price=0.00024, cache_read_price=0.000015, cache_write_price=0.00006,
          lifecycle=Lifecycle("ACTIVE", launch="2024-12-05", eol_not_before="2025-12-04"),
          in_region=("us-east-1", "ap-southeast-2"), routes=(US, EU), caps=NOVA_MM,
          customizations=("FINE_TUNING", "DISTILLATION"), tags=("default-text", "vision"),
          source=_DOCS + "model-card-amazon-nova-lite.html"),
    Model("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", "nova", ("TEXT", "IMAGE", "VIDEO"),
          context_tokens=300_000, max_output_tokens=5_000, input_price=0.0008,
          output_price=0.0032, cache_read_price=0.0002, cache_write_price=0.0008,
          lifecycle=Lifecycle("ACTIVE", launch="2024-12-05"),
          in_region=("us-east-1", "ap-southeast-2"), routes=(US, EU),
          caps=dataclasses.replace(NOVA_MM, service_tiers=("priority", "flex"),
                                   latency_optimized=("us-east-1", "us-east-2")),
          customizations=("FINE_TUNING", "DISTILLATION"),
          source=_DOCS + "model-card-amazon-nova-pro.html",
          note="service tiers: service-tiers-inference.html (priority and flex in us-east-1, "
               "ap-southeast-2 and more); latency-optimized: latency-optimized-inference.html "
               "(us-east-1 and us-east-2, through cross-Region inference)"),
    # Nova 2 Lite: inference profiles only (us., eu., global.); prices for the geographic
    # profiles (global: 0.0003 / 0.0025); service tiers priority and flex.
    Model("amazon.nova-2-lite-v1:0", "Nova 2 Lite", "Amazon", "nova",
          ("TEXT", "IMAGE", "VIDEO"), context_tokens=1_000_000, max_output_tokens=64_000,
          input_price=0.00033, output_price=0.00275,
          lifecycle=Lifecycle("ACTIVE", launch="2025-12-02"), routes=(US, EU, GLOBAL),
          caps=Caps(tool_use=True, streaming_tool_use=True, images=True, documents=True,
                    reasoning=True, service_tiers=("priority", "flex")),
          customizations=("FINE_TUNING",), tags=("current-nova",),
          source=_DOCS + "model-card-amazon-nova-2-lite.html"),
    Model("amazon.nova-premier-v1:0", "Nova Premier", "Amazon", "nova",
          ("TEXT", "IMAGE", "VIDEO"), context_tokens=1_000_000, max_output_tokens=32_000,
          input_price=0.0025, output_price=0.0125, lifecycle=_eol("2026-09-14"), caps=OLD,
          source=_LIFECYCLE),
    # ---- Anthropic: every current Claude is invocable only through an inference profile
    Model("anthropic.claude-haiku-5-5", "Claude Haiku 5.5", "Anthropic", "anthropic",
          ("TEXT", "IMAGE"), context_tokens=1_000_000, max_output_tokens=128_000,
          input_price=0.0001, output_price=0.0005, cache_read_price=0.00001,
          cache_write_price=0.000125,
          lifecycle=Lifecycle("ACTIVE", launch="2026-10-07", eol_not_before="2027-10-07"),
          routes=(US, EU, AU, JP, GLOBAL), caps=CLAUDE_4, tags=("claude",),
          output_burndown=_CLAUDE_BURNDOWN,
          source=_DOCS + "model-card-anthropic-claude-haiku-5-5.html",
          note="card: lifecycle, dates, limits; profile ids, prompt caching and prices from "
               "Anthropic's model page and the launch notes (prompts over 100k tokens cost 5x)"),
    Model("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "Anthropic",
          "anthropic", ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=64_000,
          input_price=0.001, output_price=0.005, cache_read_price=0.0001,
          cache_write_price=0.00125,
          lifecycle=Lifecycle("ACTIVE", launch="2025-10-16", eol_not_before="2026-10-01"),
          routes=(US, EU, GLOBAL), output_burndown=_CLAUDE_BURNDOWN,
          note="EOL-no-sooner-than date passed: Bedrock may move it to Legacy with 6 months' "
               "notice; Anthropic lists it as legacy on its own platform",
          caps=Caps(tool_use=True, streaming_tool_use=True, images=True, documents=True,
                    reasoning=True, cache=CacheSpec(4096, 4, ("5m", "1h"),
                                                    ("system", "messages", "tools"))),
          source=_DOCS + "model-card-anthropic-claude-haiku-4-5.html"),
    Model("anthropic.claude-opus-4-6-v1", "Claude Opus 4.6", "Anthropic", "anthropic",
          ("TEXT", "IMAGE"), context_tokens=1_000_000, max_output_tokens=128_000,
          input_price=0.005, output_price=0.025, cache_read_price=0.0005,
          cache_write_price=0.00625,
          lifecycle=Lifecycle("ACTIVE", launch="2026-02-05", eol_not_before="2027-02-05"),
          routes=(GLOBAL,), output_burndown=_CLAUDE_BURNDOWN,
          caps=Caps(tool_use=True, streaming_tool_use=True, images=True, documents=True,
                    reasoning=True, cache=CacheSpec(4096, 4, ("5m", "1h"),
                                                    ("system", "messages", "tools"))),
          source=_DOCS + "model-card-anthropic-claude-opus-4-6.html"),
    Model("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", "Anthropic", "anthropic",
          ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=64_000,
          input_price=0.003, output_price=0.015,
          lifecycle=_eol("2026-10-14", legacy="2026-04-14", launch="2025-05-22"), caps=OLD,
          source=_LIFECYCLE),
    Model("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", "Anthropic",
          "anthropic", ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=8_192,
          input_price=0.003, output_price=0.015, lifecycle=_eol("2026-03-01"), caps=OLD,
          source=_LIFECYCLE),
    Model("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "Anthropic",
          "anthropic", context_tokens=200_000, max_output_tokens=8_192, input_price=0.0008,
          output_price=0.004,
          lifecycle=_eol("2026-06-19", legacy="2025-12-19", launch="2024-11-04"), caps=OLD,
          source=_DOCS + "model-card-anthropic-claude-3-5-haiku.html"),
    Model("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", "anthropic",
          ("TEXT", "IMAGE"), context_tokens=200_000, max_output_tokens=4_096,
          input_price=0.00025, output_price=0.00125,
          lifecycle=_eol("2026-09-10", launch="2024-03-13"), caps=OLD,
          source=_DOCS + "model-card-anthropic-claude-3-haiku.html"),
    Model("anthropic.claude-v2:1", "Claude 2.1", "Anthropic", "anthropic-legacy",
          context_tokens=200_000, max_output_tokens=4_096, input_price=0.008,
          output_price=0.024, lifecycle=_eol(), caps=OLD, source=_LIFECYCLE),
    Model("anthropic.claude-v2", "Claude 2", "Anthropic", "anthropic-legacy",
          context_tokens=100_000, max_output_tokens=4_096, input_price=0.008,
          output_price=0.024, lifecycle=_eol("2025-07-21", legacy="2025-01-21"), caps=OLD,
          source=_LIFECYCLE),
    Model("anthropic.claude-instant-v1", "Claude Instant", "Anthropic", "anthropic-legacy",
          context_tokens=100_000, max_output_tokens=4_096, input_price=0.0008,
          output_price=0.0024, lifecycle=_eol(), caps=OLD, source=_LIFECYCLE),
    # ---- Amazon Titan Text: end of life (Nova replaced it; continued pre-training went with it)
    Model("amazon.titan-text-express-v1", "Titan Text G1 - Express", "Amazon", "titan-text",
          context_tokens=8_192, max_output_tokens=8_192, input_price=0.0002,
          output_price=0.0006, customizations=("FINE_TUNING", "CONTINUED_PRE_TRAINING"),
          lifecycle=_eol(), caps=OLD, source=_LIFECYCLE),
    Model("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", "Amazon", "titan-text",
          context_tokens=4_096, max_output_tokens=4_096, input_price=0.00015,
          output_price=0.0002, customizations=("FINE_TUNING", "CONTINUED_PRE_TRAINING"),
          lifecycle=_eol(), caps=OLD, source=_LIFECYCLE),
    # ---- Meta Llama (us. profiles; Llama 3.1 8B/70B also in-region in us-west-2)
    Model("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", "Meta", "llama",
          context_tokens=128_000, max_output_tokens=8_192, input_price=0.00072,
          output_price=0.00072, lifecycle=Lifecycle("ACTIVE", launch="2024-12-19"),
          routes=(US,), caps=LLAMA, source=_DOCS + "model-card-meta-llama-3-3-70b.html",
          note="id and profile from the Converse examples; the card's tables were not readable"),
    Model("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", "Meta", "llama",
          context_tokens=128_000, max_output_tokens=2_048, input_price=0.00022,
          output_price=0.00022, lifecycle=Lifecycle("ACTIVE", launch="2024-07-23"),
          in_region=("us-west-2",), routes=(US,), caps=LLAMA,
          customizations=("FINE_TUNING",),
          source=_DOCS + "model-card-meta-llama-3-1-8b-instruct.html"),
    Model("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", "Meta", "llama",
          context_tokens=128_000, max_output_tokens=2_048, input_price=0.00072,
          output_price=0.00072, lifecycle=Lifecycle("ACTIVE", launch="2024-07-23"),
          in_region=("us-west-2",), routes=(US,),
          caps=dataclasses.replace(LLAMA, latency_optimized=("us-east-2", "us-west-2")),
          source=_DOCS + "model-card-meta-llama-3-1-70b-instruct.html",
          note="latency-optimized (us-east-2, us-west-2, through cross-Region inference): "
               "latency-optimized-inference.html"),
    # ---- Mistral AI
    Model("mistral.pixtral-large-2502-v1:0", "Pixtral Large (25.02)", "Mistral AI", "mistral",
          ("TEXT", "IMAGE"), context_tokens=128_000, max_output_tokens=16_384,
          input_price=0.002, output_price=0.006,
          lifecycle=Lifecycle("ACTIVE", launch="2025-04-08", eol_not_before="2026-04-08"),
          routes=(US, EU), caps=Caps(tool_use=True, images=True),
          source=_DOCS + "model-card-mistral-pixtral-large.html"),
    Model("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", "mistral",
          context_tokens=32_000, max_output_tokens=8_192, input_price=0.004,
          output_price=0.012, lifecycle=Lifecycle("ACTIVE", launch="2024-04-02"),
          in_region=_MISTRAL_REGIONS, caps=MISTRAL, note=_MISTRAL_NOTE,
          source=_DOCS + "model-card-mistral-mistral-large-2402.html"),
    Model("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", "mistral",
          context_tokens=32_000, max_output_tokens=8_192, input_price=0.00015,
          output_price=0.0002, lifecycle=Lifecycle("ACTIVE", launch="2024-03-01"),
          in_region=_MISTRAL_REGIONS, note=_MISTRAL_NOTE, caps=Caps(system_prompt=False), source=_DOCS + "model-card-mistral-7b-instruct.html"),
    Model("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", "Mistral AI", "mistral",
          context_tokens=32_000, max_output_tokens=4_096, input_price=0.00045,
          output_price=0.0007, lifecycle=Lifecycle("ACTIVE", launch="2024-03-01"),
          in_region=_MISTRAL_REGIONS, note=_MISTRAL_NOTE, caps=Caps(system_prompt=False),
          source=_DOCS + "model-card-mistral-mixtral-8x7b-instruct.html"),
    # ---- OpenAI. gpt-oss (model-parameters-openai.html): ids, release date, text only, 128k
    # context; Chat Completions on bedrock-runtime (and Converse, InvokeModel); Responses for GPT
    # OSS is bedrock-mantle only (inference-responses-api.html). GPT-6 Sol (its model card):
    # Responses, Chat Completions and Converse on bedrock-runtime, not Invoke; profiles only.
    *(Model(f"openai.{ident}", name, "OpenAI", "openai", context_tokens=128_000,
            input_price=price_in, output_price=price_out,
            lifecycle=Lifecycle("ACTIVE", launch="2025-08-05"), in_region=("us-west-2",),
            caps=Caps(tool_use=True, service_tiers=("priority", "flex")),
            openai_apis=("chat_completions",),
            source=_DOCS + "model-parameters-openai.html",
            note="not on the pages read: regions (us-west-2 from a published Chat Completions "
                 "example; check the Regional availability page), max output tokens, Converse "
                 "tool use (OpenAI lists function calling), prices (a gateway's table quoting "
                 "Bedrock's pricing). Responses on bedrock-runtime: no (bedrock-mantle only). "
                 "Service tiers priority and flex: service-tiers-inference.html")
      for ident, name, price_in, price_out in (
          ("gpt-oss-20b-1:0", "gpt-oss-20b", 0.000075, 0.0003),
          ("gpt-oss-120b-1:0", "gpt-oss-120b", 0.00015, 0.0006))),
    Model("openai.gpt-6-sol", "GPT-6 Sol", "OpenAI", "openai", ("TEXT", "IMAGE"),
          context_tokens=1_050_000, max_output_tokens=128_000, input_price=0.002,
          output_price=0.010,
          lifecycle=Lifecycle("ACTIVE", launch="2026-09-22", eol_not_before="2027-09-22"),
          routes=(US, GLOBAL),
          caps=Caps(tool_use=True, streaming_tool_use=True, images=True, reasoning=True),
          openai_apis=("chat_completions", "responses"), tags=("openai-compatible",),
          source=_DOCS + "model-card-openai-gpt-6-sol.html",
          note="card: lifecycle, limits, endpoints and APIs (bedrock-runtime: Responses, Chat "
               "Completions, Converse; not Invoke or Messages). Profile ids us./global. from "
               "OpenAI's Amazon Bedrock guide (its source and destination regions assumed as the "
               "other us./global. profiles); prices are OpenAI's list prices ($2/$10 per 1M), "
               "Bedrock's not confirmed; Converse tool use per OpenAI's model page"),
    # ---- Embeddings (in-region on demand)
    Model("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", "titan-embed",
          output_modalities=("EMBEDDING",), context_tokens=8_192, input_price=0.00002,
          streaming=False, converse=False, embedding_dims=(1024, 512, 256),
          lifecycle=Lifecycle("ACTIVE", launch="2024-04-30"),
          in_region=("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"), caps=EMBEDDING,
          tags=("default-embedding",),
          source=_DOCS + "model-card-amazon-titan-text-embeddings-v2.html"),
    Model("amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text", "Amazon", "titan-embed",
          output_modalities=("EMBEDDING",), context_tokens=8_192, input_price=0.0001,
          streaming=False, converse=False, embedding_dims=(1536,),
          lifecycle=Lifecycle("ACTIVE", launch="2023-09-28"),
          in_region=("us-east-1", "us-west-2", "eu-central-1"), caps=EMBEDDING,
          source=_DOCS + "model-card-amazon-titan-embeddings-g1-text.html"),
    Model("amazon.titan-embed-image-v1", "Titan Multimodal Embeddings G1", "Amazon",
          "titan-embed-image", ("TEXT", "IMAGE"), ("EMBEDDING",), context_tokens=128,
          input_price=0.0008, output_price=0.00006, streaming=False, converse=False,
          embedding_dims=(1024, 384, 256), lifecycle=Lifecycle("ACTIVE", launch="2023-11-29"),
          in_region=("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"), caps=EMBEDDING,
          customizations=("FINE_TUNING",),
          source=_DOCS + "model-card-amazon-titan-multimodal-embeddings-g1.html"),
    Model("cohere.embed-english-v3", "Cohere Embed English v3", "Cohere", "cohere-embed",
          output_modalities=("EMBEDDING",), context_tokens=512, input_price=0.0001,
          streaming=False, converse=False, embedding_dims=(1024,),
          lifecycle=Lifecycle("ACTIVE", launch="2023-11-13"),
          in_region=("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"), caps=EMBEDDING,
          source=_DOCS + "model-card-cohere-embed-english-v3.html"),
    Model("cohere.embed-multilingual-v3", "Cohere Embed Multilingual v3", "Cohere",
          "cohere-embed", output_modalities=("EMBEDDING",), context_tokens=512,
          input_price=0.0001, streaming=False, converse=False, embedding_dims=(1024,),
          lifecycle=Lifecycle("ACTIVE", launch="2023-11-13"),
          in_region=("us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2"), caps=EMBEDDING,
          source=_DOCS + "model-card-cohere-embed-multilingual-v3.html"),
    # ---- Image generation (lab 05). output_price is USD per image, not per 1k tokens.
    # Amazon's image models reached end of life in 2026 (Titan Image Generator v2 on 2026-06-30,
    # Nova Canvas on 2026-09-30): their ids answer ResourceNotFoundException. Stability AI's
    # generation models are served in us-west-2 only.
    Model("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2", "Amazon",
          "titan-image", ("TEXT", "IMAGE"), ("IMAGE",), output_price=0.01, streaming=False,
          converse=False, lifecycle=_eol("2026-06-30"), caps=OLD, tags=("titan-image",),
          source=_LIFECYCLE),
    Model("amazon.nova-canvas-v1:0", "Nova Canvas", "Amazon", "nova-canvas", ("TEXT", "IMAGE"),
          ("IMAGE",), output_price=0.04, streaming=False, converse=False,
          lifecycle=_eol("2026-09-30", launch="2024-12-05"), caps=OLD, tags=("nova-canvas",),
          source=_DOCS + "model-card-amazon-nova-canvas.html"),
    # Stability AI: Core $0.04, SD3.5 Large $0.08, Ultra $0.14 per image.
    Model("stability.stable-image-core-v1:1", "Stable Image Core 1.1", "Stability AI",
          "stability", ("TEXT",), ("IMAGE",), output_price=0.04, streaming=False,
          converse=False, lifecycle=Lifecycle("ACTIVE"), in_region=("us-west-2",), caps=IMAGE,
          tags=("default-image", "stability-image"),
          source=_DOCS + "model-parameters-stability-diffusion.html"),
    Model("stability.sd3-5-large-v1:0", "Stable Diffusion 3.5 Large", "Stability AI",
          "stability", ("TEXT", "IMAGE"), ("IMAGE",), output_price=0.08, streaming=False,
          converse=False, lifecycle=Lifecycle("ACTIVE"), in_region=("us-west-2",), caps=IMAGE,
          tags=("stability-sd35",),
          source=_DOCS + "model-parameters-stability-diffusion.html"),
    Model("stability.stable-image-ultra-v1:1", "Stable Image Ultra 1.1", "Stability AI",
          "stability", ("TEXT", "IMAGE"), ("IMAGE",), output_price=0.14, streaming=False,
          converse=False, lifecycle=Lifecycle("ACTIVE"), in_region=("us-west-2",), caps=IMAGE,
          tags=("stability-ultra",),
          source=_DOCS + "model-parameters-stability-diffusion.html"),
    # Stability AI Image Services (edit): InvokeModel with a flat JSON body, the same response
    # as the generation models ({"seeds", "finish_reasons", "images"}); one request, one image.
    # Confirmed on the AWS pages: the services, their names, InvokeModel on bedrock-runtime, the
    # response shape, Search and Replace "Active" since Oct 2024 (its model card). Not confirmed
    # there (see each note): the ids, the regions, the prices and the field ranges.
    *(Model(f"stability.{ident}", name, "Stability AI", "stability", ("TEXT", "IMAGE"),
            ("IMAGE",), output_price=price, streaming=False, converse=False,
            lifecycle=Lifecycle("ACTIVE"), in_region=("us-west-2",),
            routes=(Route("us", _US3, _US3),), caps=IMAGE, tags=(tag,),
            source=_DOCS + "stable-image-services.html",
            note="not on the AWS pages read: ids and the us. profile (us-east-1, us-east-2, "
                 "us-west-2) from public code (an awslabs bedrock-image MCP server, litellm); "
                 "bare id in us-west-2 assumed as for the generation models; price from a cost "
                 "tool citing the pricing page; field ranges from that MCP server's models and "
                 "Stability's API schema. Check ListInferenceProfiles and the pricing page.")
      for ident, name, tag, price in (
          ("stable-image-inpaint-v1:0", "Stable Image Inpaint", "stability-inpaint", 0.07),
          ("stable-outpaint-v1:0", "Stable Image Outpaint", "stability-outpaint", 0.06),
          ("stable-image-erase-object-v1:0", "Stable Image Erase Object", "stability-erase",
           0.07),
          ("stable-image-search-replace-v1:0", "Stable Image Search and Replace",
           "stability-search-replace", 0.07),
          ("stable-image-search-recolor-v1:0", "Stable Image Search and Recolor",
           "stability-search-recolor", 0.07),
          ("stable-image-remove-background-v1:0", "Stable Image Remove Background",
           "stability-remove-background", 0.07))),
)

# Models the OpenAI-compatible pages read (API compatibility page, endpoint availability, the
# Chat Completions and Responses pages; 2026-12-07) do not mention: no `openai_apis`, and the note
# says the docs were silent. (Claude on bedrock-runtime's Chat Completions: not supported per an
# AWS sample's provider docs; Claude Haiku 5.5 is not on the compatibility page.)
_OPENAI_SILENT = ("anthropic.claude-haiku-5-5", "anthropic.claude-opus-4-6-v1", "meta.", "mistral.",
                  "cohere.", "stability.")
_SILENT_NOTE = ("OpenAI-compatible APIs: the pages read (2026-12-07) do not list this model; the "
                "engine serves it on no /openai/v1 route")


def _with_openai_note(model: Model) -> Model:
    if model.openai_apis or model.status == "EOL" or not model.model_id.startswith(_OPENAI_SILENT):
        return model
    note = f"{model.note}; {_SILENT_NOTE}" if model.note else _SILENT_NOTE
    return dataclasses.replace(model, note=note)


MODELS = tuple(_with_openai_note(m) for m in MODELS)
