"""Amazon Bedrock Guardrails, offline.

Modules: :mod:`.store` (the control plane: one :class:`~.store.GuardrailStore` per engine, in
``engine.state``), :mod:`.responses` (the wire handlers and the runtime hooks), :mod:`.policies`
(evaluating content against a guardrail) and one module per policy (:mod:`.content`,
:mod:`.topics`, :mod:`.pii`, :mod:`.grounding`), with :mod:`.classifier` and :mod:`.background`
behind the learned judgements. Importing the package loads none of them.
"""
