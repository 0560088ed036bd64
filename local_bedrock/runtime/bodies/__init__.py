"""InvokeModel body formats, one module per provider family (see `local_bedrock.runtime.providers`).

Each text family module exposes `parse(model, body)`, `render(model, result)`,
`stream(model, result, pieces)` and `usage(body)`; `embeddings` serves the embedding families.
"""
