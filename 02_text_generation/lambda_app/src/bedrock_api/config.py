"""Configuration of the prompt API, read once per cold start from environment variables.

The function ships on its own (only this folder is deployed), so it cannot import the
workshop's model registry (`utils.models` / `local_bedrock.catalog`). The default model id is
therefore a constant here; `template.yaml` passes the real value as MODEL_ID, and a unit test
checks that this constant, the template's default and the registry's default text model agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

DEFAULT_MODEL_ID = "amazon.nova-lite-v1:0"  # = utils.models.TEXT_MODEL (checked by a test)
DEFAULT_MAX_BODY_BYTES = 16 * 1024  # a prompt API needs kilobytes, not API Gateway's 10 MB
DEFAULT_MAX_TOKENS = 512  # keeps a generation well inside API Gateway's 29 s timeout
DEFAULT_TEMPERATURE = 0.5
SERVICE_NAME = "bedrock-prompt-api"


@dataclass(frozen=True)
class Settings:
    """Everything the handler needs to know about its deployment."""

    model_id: str = DEFAULT_MODEL_ID
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    system_prompt: str = ""
    guardrail_id: str = ""  # lab 07: set GUARDRAIL_ID (and GUARDRAIL_VERSION) to attach one
    guardrail_version: str = "DRAFT"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Settings from environment variables; blank or missing values keep the defaults."""
        env = os.environ if env is None else env

        def get(name: str, default):
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                return type(default)(raw)
            except ValueError:
                raise ValueError(f"environment variable {name}={raw!r} is not a valid "
                                 f"{type(default).__name__}") from None

        settings = cls(
            model_id=get("MODEL_ID", DEFAULT_MODEL_ID),
            max_body_bytes=get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            max_tokens=get("MAX_TOKENS", DEFAULT_MAX_TOKENS),
            temperature=get("TEMPERATURE", DEFAULT_TEMPERATURE),
            system_prompt=get("SYSTEM_PROMPT", ""),
            guardrail_id=get("GUARDRAIL_ID", ""),
            guardrail_version=get("GUARDRAIL_VERSION", "DRAFT"),
        )
        if settings.max_body_bytes <= 0 or settings.max_tokens <= 0:
            raise ValueError("MAX_BODY_BYTES and MAX_TOKENS must be positive")
        if not 0 <= settings.temperature <= 1:
            raise ValueError("TEMPERATURE must be between 0 and 1")
        return settings

    def guardrail_config(self) -> dict | None:
        """Converse's guardrailConfig when a guardrail is configured, else None."""
        if not self.guardrail_id:
            return None
        return {"guardrailIdentifier": self.guardrail_id,
                "guardrailVersion": self.guardrail_version, "trace": "disabled"}
