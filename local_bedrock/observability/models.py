"""Model invocation logging, offline: the configuration and the delivery of log records.

Bedrock writes one JSON record per model invocation (schemaType ``ModelInvocationLog``) to the
destinations of the region's logging configuration. The engine does the same: an observer on
the engine (``engine.observers``) builds the record after every runtime call it serves and writes
it, through the engine's own moto, to

* CloudWatch Logs: log group ``cloudWatchConfig.logGroupName``, log stream
  ``aws/bedrock/modelinvocations`` (created on first delivery), one log event per record;
* S3: ``s3Config.bucketName`` under ``<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/
  <region>/YYYY/MM/DD/HH/``, gzipped JSON lines.

Differences from Bedrock, on purpose or by limitation: delivery is synchronous (Bedrock delivers
within minutes, S3 objects batch several records; here one object per record, so a notebook can
read its records back at once); every attempt the engine answers is logged, including throttled
and failed ones, with an ``errorCode`` field; large payloads are not moved to
``largeDataDeliveryS3Config`` (a record too big for a CloudWatch Logs event has its bodies
replaced by a note); the IAM role is checked for its ARN shape only, not assumed.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import re
import threading
from typing import Any

from local_bedrock import catalog
from local_bedrock.errors import EngineError, validation
from local_bedrock.records import json_or_text as _json_or_text
from local_bedrock.records import summarise

LOG_STREAM = "aws/bedrock/modelinvocations"
# Model invocation logging covers these (not ApplyGuardrail or CountTokens, which are
# bedrock-runtime operations too): https://docs.aws.amazon.com/bedrock/latest/userguide/
# model-invocation-logging.html, checked 2026-12-07
LOGGED_OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream")
STATE_KEY = "invocation_logging"
MAX_EVENT_BYTES = 256 * 1024 - 26  # CloudWatch Logs: 256 KB per event, minus its 26-byte overhead
DEFAULT_ACCOUNT = "123456789012"  # moto's account: what sts.get_caller_identity() says offline
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")


# -- configuration -------------------------------------------------------------------------------
def get_config(engine) -> dict | None:
    """The engine's logging configuration (None when logging is off)."""
    return engine.state.get(STATE_KEY)


def put_config(engine, config: dict) -> None:
    """Validate the destinations as Bedrock does (they must exist), then store the config."""
    cw, s3c = config.get("cloudWatchConfig"), config.get("s3Config")
    if not cw and not s3c:
        raise validation("The logging configuration needs at least one destination: "
                         "cloudWatchConfig or s3Config.")
    delivery = _delivery(engine)
    if cw:
        if not _ROLE_ARN.match(cw.get("roleArn", "")):
            raise validation(f"cloudWatchConfig.roleArn {cw.get('roleArn')!r} is not an IAM role "
                             "ARN (arn:aws:iam::<account>:role/<name>).")
        if not delivery.log_group_exists(cw["logGroupName"]):
            raise validation(f"The specified log group does not exist: {cw['logGroupName']}. "
                             "Create it first (logs.create_log_group), then set the logging "
                             "configuration.")
        large = cw.get("largeDataDeliveryS3Config")
        if large and not delivery.bucket_exists(large["bucketName"]):
            raise validation(f"The S3 bucket {large['bucketName']} for large data delivery "
                             "does not exist.")
    if s3c and not delivery.bucket_exists(s3c["bucketName"]):
        raise validation(f"The specified S3 bucket does not exist: {s3c['bucketName']}. "
                         "Create it first (s3.create_bucket), then set the logging configuration.")
    engine.state[STATE_KEY] = copy.deepcopy(config)


def delete_config(engine) -> None:
    """Turn logging off (records already delivered stay where they are)."""
    engine.state.pop(STATE_KEY, None)


# -- records -------------------------------------------------------------------------------------
def _converse_stream_body(events: list[dict]) -> dict:
    """The Converse-shaped body Bedrock logs for a ConverseStream (the assembled answer)."""
    text, stop, meta = [], None, {}
    for event in events:
        if "contentBlockDelta" in event:
            text.append(event["contentBlockDelta"]["delta"].get("text", ""))
        elif "messageStop" in event:
            stop = event["messageStop"].get("stopReason")
        elif "metadata" in event:
            meta = event["metadata"]
    body = {"output": {"message": {"role": "assistant", "content": [{"text": "".join(text)}]}},
            "stopReason": stop}
    body.update({k: meta[k] for k in ("metrics", "usage") if k in meta})
    return body


def _header(headers: dict, name: str) -> int:
    for k, v in headers.items():
        if k.lower() == name:
            return int(v)
    return 0


def build_record(config: dict, *, operation: str, params: dict, output: dict | None,
                 error: EngineError | None, request_id: str, headers: dict, region: str,
                 account: str = DEFAULT_ACCOUNT, now: dt.datetime | None = None) -> dict:
    """One record in Bedrock's model-invocation-log schema, honouring the data-delivery flags."""
    now = now or dt.datetime.now(dt.timezone.utc)
    model_id = params.get("modelId", "")
    model = catalog.find(model_id)
    outputs = model.output_modalities if model else ("TEXT",)
    text_on = config.get("textDataDeliveryEnabled", True)
    out_on = (config.get("embeddingDataDeliveryEnabled", True) if "EMBEDDING" in outputs
              else config.get("imageDataDeliveryEnabled", True) if "IMAGE" in outputs
              else text_on)
    record: dict[str, Any] = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accountId": account,
        "identity": {"arn": f"arn:aws:sts::{account}:user/moto"},
        "region": region,
        "requestId": request_id,
        "operation": operation,
        "modelId": model_id,
    }
    in_body: Any
    if operation in ("InvokeModel", "InvokeModelWithResponseStream"):
        in_body = _json_or_text(params.get("body", b""))
    else:
        in_body = summarise({k: v for k, v in params.items()
                          if k not in ("modelId", "requestMetadata")})  # metadata: top level
    record["input"] = {"inputContentType": "application/json"}
    if text_on:
        record["input"]["inputBodyJson"] = in_body
    if error is not None:
        record["errorCode"] = error.code
        return record
    out_body: Any
    if operation == "Converse":
        out_body = summarise(output)
        usage = output.get("usage", {})
    elif operation == "ConverseStream":
        out_body = _converse_stream_body(output.get("stream", []))
        usage = out_body.get("usage", {})
    elif operation == "InvokeModel":
        out_body = _json_or_text(output.get("body", b""))
        usage = {"inputTokens": _header(headers, "x-amzn-bedrock-input-token-count"),
                 "outputTokens": _header(headers, "x-amzn-bedrock-output-token-count")}
    else:  # InvokeModelWithResponseStream: the list of chunks, as Bedrock logs it
        out_body = [_json_or_text(e["chunk"]["bytes"]) for e in output.get("body", [])
                    if "chunk" in e]
        usage = {}
        for chunk in out_body:
            m = chunk.get("amazon-bedrock-invocationMetrics") if isinstance(chunk, dict) else None
            if m:
                usage = {"inputTokens": m.get("inputTokenCount", 0),
                         "outputTokens": m.get("outputTokenCount", 0)}
    record["input"]["inputTokenCount"] = usage.get("inputTokens", 0)
    if operation in ("Converse", "ConverseStream"):
        record["input"]["cacheReadInputTokenCount"] = usage.get("cacheReadInputTokens", 0)
        record["input"]["cacheWriteInputTokenCount"] = usage.get("cacheWriteInputTokens", 0)
    record["output"] = {"outputContentType": "application/json"}
    if out_on:
        record["output"]["outputBodyJson"] = out_body
    record["output"]["outputTokenCount"] = usage.get("outputTokens", 0)
    if params.get("requestMetadata"):
        record["requestMetadata"] = dict(params["requestMetadata"])
    return record


def _fit(record: dict) -> str:
    """The record as one log event; bodies replaced by a note if it exceeds the event limit."""
    text = json.dumps(record, default=str)
    if len(text.encode()) <= MAX_EVENT_BYTES:
        return text
    slim = copy.deepcopy(record)
    for part, key in (("input", "inputBodyJson"), ("output", "outputBodyJson")):
        if key in slim.get(part, {}):
            slim[part][key] = (f"<omitted offline: the record is {len(text.encode())} bytes, over "
                               "the CloudWatch Logs event limit; Bedrock would use "
                               "largeDataDeliveryS3Config>")
    return json.dumps(slim, default=str)


def s3_key(prefix: str | None, account: str, region: str, now: dt.datetime,
           request_id: str) -> str:
    """Where a record goes in the S3 destination (Bedrock's AWSLogs/... layout)."""
    head = f"{prefix.strip('/')}/" if prefix and prefix.strip("/") else ""
    return (f"{head}AWSLogs/{account}/BedrockModelInvocationLogs/{region}/"
            f"{now:%Y/%m/%d/%H}/{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z_"
            f"{request_id}.json.gz")


# -- delivery ------------------------------------------------------------------------------------
class Delivery:
    """Writes records to CloudWatch Logs and S3 through boto3 clients answered by this engine."""

    def __init__(self, engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._streams: set[str] = set()
        self.delivered = 0
        self.failures: list[str] = []

    def client(self, service: str):
        """A boto3 client for `service` answered in-process by the engine (its moto)."""
        return self.engine.client(service)

    def log_group_exists(self, name: str) -> bool:
        groups = self.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return any(g["logGroupName"] == name for g in groups)

    def bucket_exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client("s3").head_bucket(Bucket=name)
            return True
        except ClientError:
            return False

    def __call__(self, *, operation: str, params: dict, output: dict | None, error, latency_ms,
                 request_id: str, headers: dict) -> None:
        """The engine observer: build and deliver the record when logging is configured."""
        config = get_config(self.engine)
        if not config or operation not in LOGGED_OPERATIONS:
            return
        now = dt.datetime.now(dt.timezone.utc)
        record = build_record(config, operation=operation, params=params, output=output,
                              error=error, request_id=request_id, headers=headers,
                              region=self.engine.region, now=now)
        self.deliver(config, record, now)

    def deliver(self, config: dict, record: dict, now: dt.datetime) -> None:
        """Write one record to each configured destination (failures are kept, not raised)."""
        with self._lock:
            cw, s3c = config.get("cloudWatchConfig"), config.get("s3Config")
            try:
                if cw:
                    group = cw["logGroupName"]
                    logs = self.client("logs")
                    if group not in self._streams:
                        try:
                            logs.create_log_stream(logGroupName=group, logStreamName=LOG_STREAM)
                        except logs.exceptions.ResourceAlreadyExistsException:
                            pass
                        self._streams.add(group)
                    logs.put_log_events(logGroupName=group, logStreamName=LOG_STREAM, logEvents=[
                        {"timestamp": int(now.timestamp() * 1000), "message": _fit(record)}])
                if s3c:
                    body = gzip.compress((json.dumps(record, default=str) + "\n").encode(), mtime=0)
                    self.client("s3").put_object(
                        Bucket=s3c["bucketName"], Body=body, ContentType="application/json",
                        ContentEncoding="gzip",
                        Key=s3_key(s3c.get("keyPrefix"), record["accountId"], record["region"], now,
                                   record["requestId"]))
                self.delivered += 1
            except Exception as exc:  # a deleted log group or bucket: Bedrock drops the record too
                self._streams.discard((cw or {}).get("logGroupName"))
                self.failures.append(f"{type(exc).__name__}: {exc}")


def _delivery(engine) -> Delivery:
    delivery = engine.state.get("invocation_log_delivery")
    if delivery is None:
        delivery = engine.state["invocation_log_delivery"] = Delivery(engine)
    return delivery
