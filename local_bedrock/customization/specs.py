"""What Bedrock accepts for model customization, per base model: data format, record and token
limits, hyperparameters and their ranges.

Data, not logic: the engine validates jobs with it, and lab 04's `custom_models.py` validates
files with it before they are uploaded. Sources (Amazon Bedrock user guide, checked for this lab):
"Prepare data for fine-tuning your models" (formats; "Model requirements for training and
validation datasets"), the per-model "customization hyperparameters" pages, and the Amazon Nova
user guide ("Fine-tuning Amazon Nova models"; 8 to 20,000 records). Quotas change and some are
adjustable: check the pages (and Service Quotas) before you rely on a number.

Lifecycle is the registry's (`local_bedrock.catalog`), not this table's: the Titan Text and
Claude 3 Haiku entries stay here as the last specs Bedrock published for them, but those models
are end of life and the engine refuses jobs on them. Titan Text G1 was the only model Bedrock
ever continued to pre-train, so `PRETRAINING_REFERENCE` names the spec an `{"input"}` file can
still be checked against; no active model offers CONTINUED_PRE_TRAINING on Bedrock (checked
2026-12-07: supervised fine-tuning, reinforcement fine-tuning and distillation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from local_bedrock.catalog import base_model_id

# -- data formats ------------------------------------------------------------------------------
PROMPT_COMPLETION = "prompt-completion"  # {"prompt": ..., "completion": ...}
CONVERSATION = "bedrock-conversation-2024"  # Converse-style: schemaVersion, system[], messages[]
CLAUDE_MESSAGES = "claude-messages"  # Claude 3 Haiku: {"system": str, "messages": [{role, content: str}]}
PRETRAINING = "continued-pretraining"  # {"input": ...}

FORMAT_KEYS: dict[str, tuple[frozenset, frozenset]] = {  # format -> (required keys, allowed keys)
    PROMPT_COMPLETION: (frozenset({"prompt", "completion"}), frozenset({"prompt", "completion"})),
    CONVERSATION: (frozenset({"messages"}), frozenset({"schemaVersion", "system", "messages"})),
    CLAUDE_MESSAGES: (frozenset({"messages"}), frozenset({"system", "messages"})),
    PRETRAINING: (frozenset({"input"}), frozenset({"input"})),
}

# Amazon Nova rejects records whose text contains these reserved words (Nova user guide).
NOVA_RESERVED = ("System:", "User:", "Bot:", "Assistant:", "Thought:", "[EOS]", "<image>",
                 "<video>", "<unk>")

CHARS_PER_TOKEN = 6  # Bedrock's planning estimate ("about 6 characters per token")


@dataclass(frozen=True)
class HyperParameter:
    """One hyperparameter: API name, type, inclusive range, default."""

    name: str
    kind: type  # int or float
    minimum: float
    maximum: float
    default: float | None

    def describe(self) -> str:
        return f"{self.name} ({self.kind.__name__}, {self.minimum:g} to {self.maximum:g})"


def _hp(name: str, kind: type, lo: float, hi: float, default: float | None) -> HyperParameter:
    return HyperParameter(name, kind, lo, hi, default)


@dataclass(frozen=True)
class Method:
    """One customization method of one model: its data format and limits."""

    data_format: str
    hyperparameters: tuple[HyperParameter, ...]
    min_records: int = 1  # training + validation records
    max_records: int = 10_000
    max_validation_records: int = 1_000
    max_tokens: int = 4_096  # per record: input and output together
    reserved: tuple[str, ...] = ()
    batch_token_limits: dict = field(default_factory=dict)  # batchSize >= k -> max tokens

    def hyperparameter(self, name: str) -> HyperParameter | None:
        return next((h for h in self.hyperparameters if h.name == name), None)

    def token_limit(self, hyperparameters: dict | None = None) -> int:
        """The per-record token limit, which for some models shrinks with the batch size."""
        batch = int(float((hyperparameters or {}).get("batchSize", 1) or 1))
        limit = self.max_tokens
        for at_least, tokens in sorted(self.batch_token_limits.items()):
            if batch >= at_least:
                limit = tokens
        return limit


_TITAN_HP = (_hp("epochCount", int, 1, 10, 5), _hp("batchSize", int, 1, 64, 1),
             _hp("learningRate", float, 0.0, 1.0, 0.00001),
             _hp("learningRateWarmupSteps", int, 0, 250, 5))
_NOVA_HP = (_hp("epochCount", int, 1, 5, 2), _hp("learningRate", float, 1e-6, 1e-4, 1e-5),
            _hp("learningRateWarmupSteps", int, 0, 100, 10))
_LLAMA_HP = (_hp("epochCount", int, 1, 10, 5), _hp("batchSize", int, 1, 1, 1),
             _hp("learningRate", float, 5e-6, 0.1, 1e-4))
_HAIKU_HP = (_hp("epochCount", int, 1, 10, 2), _hp("batchSize", int, 4, 256, 32),
             _hp("learningRateMultiplier", float, 0.1, 2.0, 1.0),
             _hp("earlyStoppingThreshold", float, 0.0, 0.1, 0.001),
             _hp("earlyStoppingPatience", int, 1, 10, 2))

# Nova fine-tuning: 8 to 20,000 records (Nova user guide). The per-record token limit is the
# workshop's working figure for Nova 1.0 fine-tuning (32k); check the Nova user guide.
_NOVA_FT = Method(CONVERSATION, _NOVA_HP, min_records=8, max_records=20_000,
                  max_tokens=32_000, reserved=NOVA_RESERVED)

# Titan Text and Claude 3 Haiku are end of life (see the module docstring): kept as history.
SPECS: dict[str, dict[str, Method]] = {  # base model id -> customizationType -> Method
    "amazon.nova-micro-v1:0": {"FINE_TUNING": _NOVA_FT},
    "amazon.nova-lite-v1:0": {"FINE_TUNING": _NOVA_FT},
    "amazon.nova-pro-v1:0": {"FINE_TUNING": _NOVA_FT},
    "amazon.titan-text-express-v1": {
        "FINE_TUNING": Method(PROMPT_COMPLETION, _TITAN_HP, max_records=10_000,
                              max_tokens=4_096, batch_token_limits={2: 2_048}),
        "CONTINUED_PRE_TRAINING": Method(PRETRAINING, _TITAN_HP, max_records=100_000,
                                         max_tokens=4_096, batch_token_limits={2: 2_048}),
    },
    "amazon.titan-text-lite-v1": {
        "FINE_TUNING": Method(PROMPT_COMPLETION, _TITAN_HP, max_records=10_000,
                              max_tokens=4_096, batch_token_limits={3: 2_048}),
        "CONTINUED_PRE_TRAINING": Method(PRETRAINING, _TITAN_HP, max_records=100_000,
                                         max_tokens=4_096, batch_token_limits={3: 2_048}),
    },
    "meta.llama3-1-8b-instruct-v1:0": {
        "FINE_TUNING": Method(PROMPT_COMPLETION, _LLAMA_HP, min_records=100, max_records=10_000,
                              max_tokens=16_000),
    },
    "anthropic.claude-3-haiku-20240307-v1:0": {
        "FINE_TUNING": Method(CLAUDE_MESSAGES, _HAIKU_HP, min_records=32, max_records=10_000,
                              max_tokens=32_000),
    },
}

# The last continued-pre-training spec Bedrock published (Titan Text G1 - Express, end of life):
# what lab 04's `custom_models.validate_pretraining` checks `{"input"}` records against.
PRETRAINING_REFERENCE = "amazon.titan-text-express-v1"

# The id Bedrock's customization API takes for some base models: the variant with its context
# length (Nova's customizable versions). Other models use their plain id.
CUSTOMIZATION_IDS = {"amazon.nova-micro-v1:0": "amazon.nova-micro-v1:0:128k",
                     "amazon.nova-lite-v1:0": "amazon.nova-lite-v1:0:300k",
                     "amazon.nova-pro-v1:0": "amazon.nova-pro-v1:0:300k"}
_CONTEXT_SUFFIXES = (":128k", ":300k", ":24k", ":8k", ":4k")


def base_id(identifier: str) -> str:
    """The plain model id of a base model id, customizable variant, foundation-model ARN or
    system inference-profile id (`us.amazon.nova-micro-v1:0`: customization takes no profile)."""
    if identifier.startswith("arn:") and ":foundation-model/" in identifier:
        identifier = identifier.split(":foundation-model/", 1)[1]
    elif not identifier.startswith("arn:"):
        identifier = base_model_id(identifier)
    for suffix in _CONTEXT_SUFFIXES:
        if identifier.endswith(suffix):
            return identifier[: -len(suffix)]
    return identifier


def customization_id(model_id: str) -> str:
    """The identifier to pass as baseModelIdentifier for this base model."""
    return CUSTOMIZATION_IDS.get(base_id(model_id), base_id(model_id))


def method(model_id: str, customization_type: str = "FINE_TUNING") -> Method | None:
    """The spec of a model's customization method, or None when Bedrock does not offer it."""
    return SPECS.get(base_id(model_id), {}).get(customization_type)


def check_hyperparameters(model_id: str, customization_type: str,
                          values: dict[str, str] | None) -> tuple[dict[str, str], list[str]]:
    """(the values with defaults filled in, as strings; problems). Values are strings, as in
    the API; each must parse as its type and lie in its range."""
    spec = method(model_id, customization_type)
    if spec is None:
        return {}, [f"{base_id(model_id)} does not support {customization_type}."]
    problems, out = [], {}
    known = {h.name for h in spec.hyperparameters}
    for name in sorted(set(values or {}) - known):
        problems.append(f"Unknown hyperparameter {name!r} for {base_id(model_id)} "
                        f"{customization_type}: use {', '.join(sorted(known))}.")
    for hp in spec.hyperparameters:
        raw = (values or {}).get(hp.name)
        if raw is None:
            if hp.default is not None:
                out[hp.name] = _format(hp, hp.default)
            continue
        try:
            number = float(raw)
            if hp.kind is int and number != int(number):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"Hyperparameter {hp.name} must be {'an integer' if hp.kind is int else 'a number'}"
                            f" (got {raw!r}).")
            continue
        if not hp.minimum <= number <= hp.maximum:
            problems.append(f"Hyperparameter {hp.name}={raw} is out of range: valid values are "
                            f"{hp.minimum:g} to {hp.maximum:g}.")
            continue
        out[hp.name] = str(raw)
    return out, problems


def _format(hp: HyperParameter, value: float) -> str:
    return str(int(value)) if hp.kind is int else f"{value:g}"
