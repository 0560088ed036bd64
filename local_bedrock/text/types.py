"""Provider-neutral request/result types between the wire formats and the local responder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Turn:
    """One message of a conversation: role is "user" or "assistant"; content is Converse blocks."""

    role: str
    content: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """The text blocks of this turn joined together."""
        return "\n".join(b["text"] for b in self.content if "text" in b)


@dataclass
class GenerationRequest:
    """Everything a text model is asked, whatever the provider's body format was."""

    model_id: str
    messages: list[Turn]
    system: str = ""
    max_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.9
    stop_sequences: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)  # Converse toolSpec dicts
    tool_choice: dict[str, Any] | None = None
    json_schema: dict[str, Any] | None = None  # structured-output request, when given
    resolved_model: str | None = None  # the registry model behind model_id (e.g. an application profile's)


@dataclass
class GenerationResult:
    """What the responder produced, with Bedrock's stop reasons and token counts."""

    text: str
    stop_reason: str  # end_turn | max_tokens | stop_sequence | tool_use | guardrail_intervened
    input_tokens: int
    output_tokens: int
    stop_sequence: str | None = None
    tool_uses: list[dict[str, Any]] = field(default_factory=list)  # [{toolUseId, name, input}]
    latency_ms: int = 0
