"""Record mode: a live run that also writes every Bedrock call to a cassette for replay mode."""

from __future__ import annotations

import io
from typing import Any, Iterator
from urllib.parse import urlsplit

from botocore.response import StreamingBody

from local_bedrock.hooks import install_global, uninstall_global
from local_bedrock.replay import Cassette, request_key

RECORDED_SERVICES = ("bedrock-runtime", "bedrock", "bedrock-agent-runtime", "bedrock-agent")


class Recorder:
    """botocore hooks that key each request and append its parsed response to a cassette."""

    def __init__(self, cassette: Cassette):
        self.cassette = cassette

    def request_created(self, request, operation_name: str, **kwargs) -> None:
        if not isinstance(request.body, (bytes, bytearray, str, type(None))):
            return  # a streamed upload (S3 PutObject): not a service the cassette records
        split = urlsplit(request.url)
        request.context["workshop_replay_key"] = request_key(
            request.method, split.path, split.query, request.body)

    def after_call(self, http_response, parsed: dict, model, context: dict, **kwargs) -> None:
        key = context.get("workshop_replay_key")
        service = model.service_model.service_name
        if key is None or service not in RECORDED_SERVICES:
            return
        if http_response.status_code >= 300:
            err = parsed.get("Error", {})
            self.cassette.record(key, service, model.name, error={
                "code": err.get("Code", "Unknown"), "message": err.get("Message", ""),
                "status": http_response.status_code})
            return
        output = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        headers = {k: v for k, v in http_response.headers.items()
                   if k.lower().startswith("x-amzn-bedrock-")}
        for name, value in list(output.items()):
            if isinstance(value, StreamingBody):
                data = value.read()
                parsed[name] = StreamingBody(io.BytesIO(data), len(data))
                output[name] = data
            elif hasattr(value, "__iter__") and type(value).__name__ in ("EventStream", "LoggedStream"):
                parsed[name] = self._tee(value, key, service, model.name, output, name, headers)
                return
        self.cassette.record(key, service, model.name, output=output, headers=headers)

    def _tee(self, stream, key: str, service: str, operation: str, output: dict, name: str,
             headers: dict) -> Iterator[dict]:
        events: list[Any] = []
        for event in stream:
            events.append(event)
            yield event
        self.cassette.record(key, service, operation, output={**output, name: events},
                             headers=headers)

    def handlers(self) -> list[tuple[str, Any]]:
        return [("request-created", self.request_created), ("after-call", self.after_call)]

    def install(self) -> None:
        """Hook into every botocore session created from now on (after the logger's hooks)."""
        install_global(self.handlers())

    def uninstall(self) -> None:
        """Remove the hooks."""
        uninstall_global(self.handlers())
