"""Batch inference jobs (CreateModelInvocationJob and friends), run by the engine itself.

Offline, a job really runs: a background thread reads the input JSONL records
`{"recordId", "modelInput"}` from S3 (moto, reached through the engine's own in-process
transport), invokes the engine's model handler for each record body, and writes, as Bedrock
does, `<output prefix>/<job id>/<input file>.out` (one line per input record, in input order,
with `modelOutput` or `error`) and `<output prefix>/<job id>/manifest.json.out` (record and
token counts). The answers come from the local responder, not from a model.

Real batch capacity is separate from on-demand quotas; the job still goes through the
engine's fault injection, so it retries throttles itself (like the managed service
scheduling its own work) and records injected server errors after a few attempts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from local_bedrock import pagination
from local_bedrock.errors import EngineError, not_found, validation
from local_bedrock.s3uri import parse_s3_uri

ACCOUNT = "123456789012"  # moto's default account, which the engine's STS reports offline
MIN_RECORDS = 100  # Bedrock's per-job minimum number of records (a service quota)
SERVER_ATTEMPTS = 3  # tries per record for injected server errors before recording an error
STATUSES_ACTIVE = ("Submitted", "Validating", "Scheduled", "InProgress", "Stopping")
_ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$")
_JOB_NAME = re.compile(r"^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}$")
_ID_CHARS = string.ascii_lowercase + string.digits


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)



@dataclass
class Job:
    """One model invocation job and its progress."""

    job_id: str
    arn: str
    params: dict
    status: str = "Submitted"
    message: str | None = None
    submit_time: dt.datetime = field(default_factory=_now)
    last_modified: dt.datetime = field(default_factory=_now)
    end_time: dt.datetime | None = None
    total: int = 0
    processed: int = 0
    success: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    stop_requested: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)

    def set_status(self, status: str, message: str | None = None) -> None:
        self.status = status
        if message is not None:
            self.message = message
        self.last_modified = _now()
        if status in ("Completed", "Failed", "Stopped", "PartiallyCompleted", "Expired"):
            self.end_time = self.last_modified

    def describe(self) -> dict:
        """GetModelInvocationJob's output for this job."""
        p = self.params
        out = {
            "jobArn": self.arn, "jobName": p["jobName"], "modelId": p["modelId"],
            "roleArn": p["roleArn"], "status": self.status, "submitTime": self.submit_time,
            "lastModifiedTime": self.last_modified, "inputDataConfig": p["inputDataConfig"],
            "outputDataConfig": p["outputDataConfig"],
            "timeoutDurationInHours": p.get("timeoutDurationInHours", 24),
            "jobExpirationTime": self.submit_time + dt.timedelta(
                hours=p.get("timeoutDurationInHours", 24)),
            "totalRecordCount": self.total, "processedRecordCount": self.processed,
            "successRecordCount": self.success, "errorRecordCount": self.errors,
        }
        for key in ("clientRequestToken", "vpcConfig", "modelInvocationType"):
            if p.get(key) is not None:
                out[key] = p[key]
        if self.message:
            out["message"] = self.message
        if self.end_time:
            out["endTime"] = self.end_time
        return out


class BatchStore:
    """The engine's batch jobs, keyed by job id."""

    def __init__(self, engine):
        self.engine = engine
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    # -- S3 through the engine itself (moto behind it) ---------------------------------------
    def s3(self):
        """A boto3 S3 client answered in-process by this engine (moto's S3)."""
        return self.engine.client("s3")

    # -- API -------------------------------------------------------------------------------
    def create(self, params: dict) -> dict:
        """Validate, store and start a job; return its ARN (idempotent on clientRequestToken)."""
        name = params["jobName"]
        if not _JOB_NAME.match(name):
            raise validation(f"jobName {name!r} must match [a-zA-Z0-9]{{1,63}}(-*[a-zA-Z0-9+\\-.]){{0,63}}.")
        if not _ROLE_ARN.match(params["roleArn"]):
            raise validation(f"roleArn {params['roleArn']!r} is not a valid IAM role ARN.")
        from local_bedrock.runtime import models as runtime_models

        runtime_models.resolve(params["modelId"], engine=self.engine)  # fail like Bedrock
        src = (params["inputDataConfig"].get("s3InputDataConfig") or {})
        dst = (params["outputDataConfig"].get("s3OutputDataConfig") or {})
        if not src.get("s3Uri") or not dst.get("s3Uri"):
            raise validation("inputDataConfig.s3InputDataConfig.s3Uri and "
                             "outputDataConfig.s3OutputDataConfig.s3Uri are required.")
        parse_s3_uri(src["s3Uri"], "inputDataConfig s3Uri")
        parse_s3_uri(dst["s3Uri"], "outputDataConfig s3Uri")
        with self.lock:
            token = params.get("clientRequestToken")
            for job in self.jobs.values():
                if token and job.params.get("clientRequestToken") == token:
                    return {"jobArn": job.arn}
                if job.params["jobName"] == name:
                    raise EngineError("ConflictException",
                                      f"A batch inference job named {name} already exists.", 400)
            job_id = "".join(secrets.choice(_ID_CHARS) for _ in range(12))
            arn = f"arn:aws:bedrock:{self.engine.region}:{ACCOUNT}:model-invocation-job/{job_id}"
            job = Job(job_id, arn, dict(params))
            self.jobs[job_id] = job
        job.thread = threading.Thread(target=self._run, args=(job,), daemon=True,
                                      name=f"batch-job-{job_id}")
        job.thread.start()
        return {"jobArn": arn}

    def get(self, identifier: str) -> Job:
        """The job for an id or ARN, or ResourceNotFoundException."""
        job_id = identifier.rsplit("/", 1)[-1]
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found(f"The batch inference job {identifier} was not found.")
        return job

    def list(self, params: dict) -> dict:
        """ListModelInvocationJobs: filters, sort by submit time, pagination."""
        jobs = list(self.jobs.values())
        if params.get("statusEquals"):
            jobs = [j for j in jobs if j.status == params["statusEquals"]]
        if params.get("nameContains"):
            jobs = [j for j in jobs if params["nameContains"] in j.params["jobName"]]
        if params.get("submitTimeAfter"):
            jobs = [j for j in jobs if j.submit_time > params["submitTimeAfter"]]
        if params.get("submitTimeBefore"):
            jobs = [j for j in jobs if j.submit_time < params["submitTimeBefore"]]
        jobs.sort(key=lambda j: j.submit_time, reverse=params.get("sortOrder") != "Ascending")
        return pagination.keyed([j.describe() for j in jobs], params, "invocationJobSummaries")

    def stop(self, identifier: str) -> dict:
        """StopModelInvocationJob: only jobs that have not finished can be stopped."""
        job = self.get(identifier)
        with self.lock:
            if job.status not in STATUSES_ACTIVE:
                raise validation(f"The job is {job.status} and can no longer be stopped.")
            job.stop_requested = True
            job.set_status("Stopping")
        return {}

    # -- the runner ----------------------------------------------------------------------------
    def _run(self, job: Job) -> None:
        try:
            self._execute(job)
        except EngineError as err:
            job.set_status("Failed", err.message)
        except Exception as exc:  # an engine bug: report it on the job rather than hide it
            job.set_status("Failed", f"Local engine error: {type(exc).__name__}: {exc}")

    def _inputs(self, job: Job) -> list[tuple[str, list[dict]]]:
        """[(key, records)] for the input URI: one .jsonl object or every .jsonl under a prefix."""
        s3 = self.s3()
        uri = job.params["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        bucket, key = parse_s3_uri(uri, "inputDataConfig s3Uri")
        from botocore.exceptions import ClientError

        try:
            if key.endswith(".jsonl"):
                keys = [key]
            else:
                prefix = key.rstrip("/") + "/" if key else ""
                pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                keys = sorted(o["Key"] for p in pages for o in p.get("Contents", [])
                              if o["Key"].endswith(".jsonl"))
            files = []
            for k in keys:
                body = s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode("utf-8")
                files.append((k, [self._parse_line(line, k, i)
                                  for i, line in enumerate(body.splitlines()) if line.strip()]))
        except ClientError as err:
            raise validation(f"Could not read the input data at {uri}: "
                             f"{err.response['Error'].get('Message', err)}") from err
        if not files:
            raise validation(f"No .jsonl files were found at {uri}.")
        return files

    @staticmethod
    def _parse_line(line: str, key: str, index: int) -> dict:
        try:
            record = json.loads(line)
        except ValueError:
            return {"_invalid": f"line {index + 1} of {key} is not valid JSON", "raw": line}
        if not isinstance(record, dict) or "modelInput" not in record:
            return {"_invalid": f"line {index + 1} of {key} has no modelInput", "raw": line}
        record.setdefault("recordId", f"{index + 1:011d}")
        return record

    def _execute(self, job: Job) -> None:
        job.set_status("Validating")
        files = self._inputs(job)
        job.total = sum(len(records) for _, records in files)
        if job.total < MIN_RECORDS:
            raise validation(f"The input contains {job.total} records; a batch inference job "
                             f"needs at least {MIN_RECORDS} (a Bedrock service quota).")
        job.set_status("Scheduled")
        job.set_status("InProgress")
        out_bucket, out_prefix = parse_s3_uri(
            job.params["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"], "outputDataConfig s3Uri")
        folder = f"{out_prefix.rstrip('/')}/{job.job_id}" if out_prefix.strip("/") else job.job_id
        for key, records in files:
            lines = []
            for record in records:
                if job.stop_requested:
                    break
                lines.append(json.dumps(self._invoke(job, record)))
            self.s3().put_object(Bucket=out_bucket, Key=f"{folder}/{key.rsplit('/', 1)[-1]}.out",
                                 Body=("\n".join(lines) + "\n" if lines else "").encode())
            if job.stop_requested:
                break
        manifest = {"totalRecordCount": job.total, "processedRecordCount": job.processed,
                    "successRecordCount": job.success, "errorRecordCount": job.errors,
                    "inputTokenCount": job.input_tokens, "outputTokenCount": job.output_tokens}
        self.s3().put_object(Bucket=out_bucket, Key=f"{folder}/manifest.json.out",
                             Body=json.dumps(manifest).encode())
        job.set_status("Stopped" if job.stop_requested else "Completed")

    def _invoke(self, job: Job, record: dict) -> dict:
        """One output line: the record with modelOutput, or with error."""
        if "_invalid" in record:
            job.processed += 1
            job.errors += 1
            return {"recordId": None, "modelInput": record["raw"],
                    "error": {"errorCode": 400, "errorMessage": record["_invalid"]}}
        line = {"recordId": record["recordId"], "modelInput": record["modelInput"]}
        attempt = 0
        while True:
            try:
                output, tokens = self._call_model(job, record["modelInput"])
                line["modelOutput"] = output
                job.input_tokens += tokens[0]
                job.output_tokens += tokens[1]
                job.success += 1
                break
            except EngineError as err:
                if err.code == "ThrottlingException" and not job.stop_requested:
                    time.sleep(0.02)  # the service paces its own work within capacity
                    continue
                attempt += 1
                if err.status >= 500 or err.status == 408:
                    if attempt < SERVER_ATTEMPTS:
                        continue
                line["error"] = {"errorCode": err.status, "errorMessage": err.message}
                job.errors += 1
                break
        job.processed += 1
        job.last_modified = _now()
        return line

    def _call_model(self, job: Job, body: Any) -> tuple[dict, tuple[int, int]]:
        model_id = job.params["modelId"]
        if job.params.get("modelInvocationType") == "Converse":
            from local_bedrock.runtime import converse

            if not isinstance(body, dict):
                raise validation("modelInput must be a JSON object (a Converse request).")
            out = converse.converse(self.engine, {**body, "modelId": model_id})
            usage = out.get("usage", {})
            return out, (usage.get("inputTokens", 0), usage.get("outputTokens", 0))
        from local_bedrock.runtime import invoke

        out = invoke.invoke_model(self.engine, {"modelId": model_id, "body": json.dumps(body).encode(),
                                                "contentType": "application/json"})
        headers = out.get("_headers", {})
        tokens = (int(headers.get("X-Amzn-Bedrock-Input-Token-Count", 0)),
                  int(headers.get("X-Amzn-Bedrock-Output-Token-Count", 0)))
        return json.loads(out["body"]), tokens


def store(engine) -> BatchStore:
    """The engine's batch store (created on first use)."""
    found = engine.state.get("batch")
    if found is None:
        found = engine.state.setdefault("batch", BatchStore(engine))
    return found
