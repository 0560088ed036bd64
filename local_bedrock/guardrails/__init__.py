"""Amazon Bedrock Guardrails, offline: control plane (:mod:`.store`) and policy evaluation
(:mod:`.policies`).

The wire layer can use the ``*_guardrail`` functions below with the botocore input dicts of the
operations; :func:`apply_guardrail` resolves ``guardrailIdentifier``/``guardrailVersion`` in the
store and evaluates the content, :func:`converse_guardrail` does the same for a Converse
request's ``guardrailConfig``.
"""

from __future__ import annotations

from local_bedrock.guardrails.policies import (
    apply,
    apply_to_converse,
    blocked_policies,
    converse_contents,
    converse_input,
    converse_output,
    converse_trace,
)
from local_bedrock.guardrails.store import (
    STORE,
    create_guardrail,
    create_guardrail_version,
    delete_guardrail,
    get_guardrail,
    list_guardrails,
    reset,
    update_guardrail,
)

__all__ = [
    "STORE", "apply", "apply_guardrail", "apply_to_converse", "blocked_policies", "converse_contents",
    "converse_guardrail", "converse_input", "converse_output", "converse_trace", "create_guardrail",
    "create_guardrail_version", "delete_guardrail", "get_guardrail", "list_guardrails", "reset",
    "update_guardrail",
]


def apply_guardrail(request: dict) -> dict:
    """ApplyGuardrail from its botocore input dict
    (``guardrailIdentifier``, ``guardrailVersion``, ``source``, ``content``, ``outputScope``)."""
    guardrail = STORE.resolve_for_apply(request.get("guardrailIdentifier"), request.get("guardrailVersion"))
    return apply(guardrail, request.get("source"), request.get("content"), request.get("outputScope"))


def converse_guardrail(guardrail_config: dict, messages: list | None, system: list | None = None,
                       output_text: str | None = None, input_result: dict | None = None) -> dict:
    """:func:`apply_to_converse` for a Converse ``guardrailConfig``
    (``guardrailIdentifier``, ``guardrailVersion``, ``trace``)."""
    guardrail = STORE.resolve_for_apply(guardrail_config.get("guardrailIdentifier"),
                                        guardrail_config.get("guardrailVersion"))
    return apply_to_converse(guardrail, messages, system, output_text=output_text,
                             trace=guardrail_config.get("trace", "disabled"),
                             guardrail_id=guardrail["guardrailId"], input_result=input_result)
