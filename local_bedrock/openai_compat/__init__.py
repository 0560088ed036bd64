"""Bedrock's OpenAI-compatible APIs on the engine's endpoint, as bedrock-runtime serves them.

Amazon Bedrock serves the OpenAI Chat Completions and Responses APIs on
`https://bedrock-runtime.{region}.amazonaws.com/openai/v1` (and on bedrock-mantle); the openai SDK
reaches them with `base_url` pointed there and a Bedrock API key (or SigV4). Offline, the same
paths are served under the engine's endpoint (`ws.endpoint_url + "/openai/v1"`):

* `POST /openai/v1/chat/completions` (`stream: true`: server-sent events ending `data: [DONE]`),
* `POST /openai/v1/responses` (streamed or not) and `GET /openai/v1/responses/{id}`, with
  `previous_response_id` (bedrock-runtime's Responses are stateful, always synchronous, without
  server-side tools, default project only: the documented differences from bedrock-mantle).

Each answer is a Converse answer of the engine (same stand-in responder, token counts, tool use,
guardrail hooks, prompt cache and fault injection), reshaped into the OpenAI wire format. Only
models whose registry entry lists the API in `openai_apis` are served; others get the refusal.

Modules: `routes` (HTTP: auth, dispatch, errors, server-sent events), `chat` and `responses_api`
(the two wire formats), `common` (the Converse call, errors, the invocation-log record).
Sources, checked 2026-12-07: https://docs.aws.amazon.com/bedrock/latest/userguide/apis.html,
inference-chat-completions.html, inference-responses-api.html, endpoints.html,
models-api-compatibility.html, model-card-openai-gpt-6-sol.html, api-keys.html.

The engine routes to :func:`local_bedrock.openai_compat.routes.handle`; importing the package
loads none of its modules.
"""
