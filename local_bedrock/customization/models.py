"""Model customization offline: jobs that really run, custom models, provisioned throughput.

What the engine does, honestly:

* `CreateModelCustomizationJob` starts a background job that reads the training (and
  validation) JSONL from S3 (moto, through the engine's own in-process transport), validates it
  the way Bedrock does (format per base model, empty turns, tokens per record, record counts),
  "trains" for a few seconds with Bedrock's status progression, writes Bedrock's metric files
  (`step_wise_training_metrics.csv`, `validation_metrics.csv`) to the output prefix, and
  creates the custom model.
* No weights change. A fine-tuned custom model here is a **nearest-neighbour memory**: the
  local embeddings of the training prompts with their completions. It answers a prompt with the
  completion the k most similar training prompts vote for. The training and validation losses
  are really computed for that memory: the cross-entropy of its vote on each batch (leave-out:
  a record never votes for itself), step by step as the memory fills up during the first epoch.
  Hyperparameters are validated per model and recorded; only epochCount and batchSize change
  the run (the number of steps), learning rates have no effect on a memory.
* Jobs are refused as Bedrock refuses them: an end-of-life base model (ResourceNotFound), an
  inference-profile id (customization takes the base model's id), a method the model does not
  offer (ValidationException). CONTINUED_PRE_TRAINING is offered by no active model: Titan Text
  G1, the only models Bedrock continued to pre-train, are end of life.
* A custom model is invoked, as on Bedrock, through a Provisioned Throughput: its ARN becomes
  a modelId the runtime serves (the engine's `custom_models`). The custom
  model's own ARN is refused with the reason. What the stand-in did travels in the
  `x-local-bedrock-note` response header (JSON), which exists only offline.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from local_bedrock import catalog, pagination
from local_bedrock.customization import specs
from local_bedrock.errors import EngineError, not_found, validation
from local_bedrock.s3uri import parse_s3_uri

ACCOUNT = "123456789012"  # moto's default account, which the engine's STS reports offline
PHASE_SECONDS = 0.6  # how long each job phase lasts offline (validation, data, training)
PT_READY_SECONDS = 1.0  # Creating -> InService for a provisioned throughput offline
MAX_NO_COMMITMENT_PT = 2  # Bedrock: at most 2 no-commitment provisioned throughputs per account
K_NEIGHBOURS = 5
TAU = 0.05  # softmax temperature over cosine similarities of the k neighbours
SMOOTHING = 0.05  # share of probability spread over every completion (no zero probabilities)
ACTIVE = ("InProgress", "Stopping")
_ID_CHARS = string.ascii_lowercase + string.digits
_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9+\-.])*$")
_MODEL_NAME = re.compile(r"^([0-9a-zA-Z][_-]?){1,63}$")
_ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$")
ENGINE_NOTE = ("Served offline by the workshop's local engine: this custom model is a "
               "nearest-neighbour memory of its training examples, not a fine-tuned model.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _new_id() -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(12))



# ----------------------------------------------------------------------------- data


@dataclass
class Example:
    """One training record as the engine uses it: the prompt side and the completion side."""

    prompt: str
    completion: str
    tokens: int


def _texts(blocks) -> str:
    if isinstance(blocks, str):
        return blocks
    if isinstance(blocks, list):
        return "\n".join(b["text"] for b in blocks if isinstance(b, dict)
                         and isinstance(b.get("text"), str))
    return ""


def parse_record(record: Any, data_format: str) -> tuple[Example | None, str | None]:
    """(example, None) for a valid record of `data_format`, else (None, the problem)."""
    if not isinstance(record, dict):
        return None, "the record is not a JSON object"
    required, allowed = specs.FORMAT_KEYS[data_format]
    missing, extra = sorted(required - set(record)), sorted(set(record) - allowed)
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected {', '.join(extra)}"] if extra else [])
        return None, f"wrong keys for the {data_format} format ({'; '.join(parts)})"
    if data_format in (specs.PROMPT_COMPLETION, specs.PRETRAINING):
        values = [record[k] for k in sorted(required)]
        if not all(isinstance(v, str) for v in values):
            return None, "prompt, completion and input must be strings"
        if not all(v.strip() for v in values):
            return None, "an empty " + ("input" if data_format == specs.PRETRAINING
                                        else "prompt or completion")
        if data_format == specs.PRETRAINING:
            return Example("", record["input"], 0), None
        return Example(record["prompt"], record["completion"], 0), None
    messages = record["messages"]
    if not isinstance(messages, list) or len(messages) < 2:
        return None, "messages must hold at least a user turn and an assistant turn"
    for i, m in enumerate(messages):
        want = "user" if i % 2 == 0 else "assistant"
        if not isinstance(m, dict) or m.get("role") != want:
            return None, f"messages[{i}] must have role {want} (turns alternate, user first)"
        text = _texts(m.get("content"))
        if not text.strip():
            return None, f"messages[{i}] ({want}) is empty"
    if messages[-1]["role"] != "assistant":
        return None, "the last turn must be the assistant's"
    prompt = "\n".join(_texts(m["content"]) for m in messages[:-1] if m["role"] == "user")
    return Example(prompt, _texts(messages[-1]["content"]), 0), None


def record_text(record: dict) -> str:
    """Every text of a record (what counts towards its tokens)."""
    parts = []
    for key in ("prompt", "completion", "input"):
        if isinstance(record.get(key), str):
            parts.append(record[key])
    parts.append(_texts(record.get("system", "")))
    for m in record.get("messages") or []:
        if isinstance(m, dict):
            parts.append(_texts(m.get("content")))
    return "\n".join(p for p in parts if p)


def read_dataset(body: str, method: specs.Method, hyperparameters: dict) -> tuple[list[Example], list[str]]:
    """Parse and check a JSONL file as a customization job does: (examples, problems)."""
    from local_bedrock.text.tokens import count_tokens

    examples, problems = [], []
    limit = method.token_limit(hyperparameters)
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        example, problem = parse_record(record, method.data_format)
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        text = record_text(record)
        for word in method.reserved:
            if word.lower() in text.lower():
                problems.append(f"line {number}: contains the reserved word {word!r}")
                break
        example.tokens = count_tokens(text)
        if example.tokens > limit:
            problems.append(f"line {number}: {example.tokens} tokens, over the limit of {limit}")
        examples.append(example)
    return examples, problems


# ----------------------------------------------------------------------------- "models"


class NearestExamples:
    """A fine-tuned model's offline stand-in: training prompts (embedded) -> completions."""

    def __init__(self, examples: list[Example], k: int = K_NEIGHBOURS):
        from local_bedrock.text import embeddings

        self.prompts = [e.prompt for e in examples]
        self.completions = [e.completion for e in examples]
        # The part every training prompt shares (a template such as "Ticket: ") carries no
        # signal: it is left out of the embeddings, of the training prompts and of queries.
        self.template = os.path.commonprefix(self.prompts) if len(self.prompts) > 1 else ""
        self.classes = sorted(set(self.completions))
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.y = np.array([self.index[c] for c in self.completions])
        self.vectors = (embeddings.embed([self.strip(p) for p in self.prompts]) if self.prompts
                        else np.zeros((0, 256)))
        self.k = k

    def strip(self, text: str) -> str:
        return text[len(self.template):] if self.template and text.startswith(self.template) else text

    def probabilities(self, sims: np.ndarray, members: np.ndarray) -> np.ndarray:
        """P(completion) from the k most similar members (indices into the memory)."""
        probs = np.full(len(self.classes), SMOOTHING / max(len(self.classes), 1))
        if len(members):
            top = members[np.argsort(-sims[members])[: self.k]]
            w = np.exp((sims[top] - sims[top].max()) / TAU)
            vote = np.bincount(self.y[top], weights=w, minlength=len(self.classes))
            probs += (1 - SMOOTHING) * vote / vote.sum()
        else:
            probs = np.full(len(self.classes), 1 / max(len(self.classes), 1))
        return probs

    def loss(self, target: str, probs: np.ndarray) -> float:
        i = self.index.get(target)
        p = probs[i] if i is not None else SMOOTHING / max(len(self.classes), 1)
        return -math.log(max(p, 1e-12))

    def predict(self, text: str) -> tuple[str, float, list[tuple[float, int]]]:
        """(completion, its probability, [(similarity, training index)] of the neighbours)."""
        from local_bedrock.text import embeddings

        q = embeddings.embed([self.strip(text)])[0]
        sims = self.vectors @ q
        members = np.arange(len(self.prompts))
        probs = self.probabilities(sims, members)
        best = int(np.argmax(probs))
        top = members[np.argsort(-sims)[: self.k]]
        return self.classes[best], float(probs[best]), [(float(sims[j]), int(j)) for j in top]


# ----------------------------------------------------------------------------- resources


@dataclass
class Job:
    job_id: str
    arn: str
    params: dict
    base_id: str
    customization_type: str
    hyperparameters: dict
    status: str = "InProgress"
    failure: str | None = None
    creation_time: dt.datetime = field(default_factory=_now)
    last_modified: dt.datetime = field(default_factory=_now)
    end_time: dt.datetime | None = None
    stages: dict = field(default_factory=dict)  # validation/dataProcessing/training -> dict
    training_loss: float | None = None
    validation_losses: list = field(default_factory=list)
    model_arn: str | None = None
    stop_requested: bool = False

    def stage(self, name: str, status: str) -> None:
        now = _now()
        entry = self.stages.setdefault(name, {"status": "NotStarted", "creationTime": now})
        entry["status"], entry["lastModifiedTime"] = status, now
        self.last_modified = now

    def finish(self, status: str, failure: str | None = None) -> None:
        self.status, self.failure = status, failure
        self.last_modified = self.end_time = _now()

    def details(self) -> dict:
        out = {}
        for name in ("validation", "dataProcessing", "training"):
            entry = self.stages.get(name, {"status": "NotStarted"})
            out[f"{name}Details"] = {k: v for k, v in entry.items()}
        return out

    def describe(self, region: str) -> dict:
        p = self.params
        out = {
            "jobArn": self.arn, "jobName": p["jobName"], "outputModelName": p["customModelName"],
            "roleArn": p["roleArn"], "status": self.status, "statusDetails": self.details(),
            "creationTime": self.creation_time, "lastModifiedTime": self.last_modified,
            "baseModelArn": foundation_arn(region, self.base_id),
            "hyperParameters": self.hyperparameters,
            "trainingDataConfig": p["trainingDataConfig"],
            "validationDataConfig": p.get("validationDataConfig") or {"validators": []},
            "outputDataConfig": p["outputDataConfig"],
            "customizationType": self.customization_type,
        }
        if self.model_arn:
            out["outputModelArn"] = self.model_arn
        if p.get("clientRequestToken"):
            out["clientRequestToken"] = p["clientRequestToken"]
        if self.failure:
            out["failureMessage"] = self.failure
        if self.end_time:
            out["endTime"] = self.end_time
        if self.training_loss is not None:
            out["trainingMetrics"] = {"trainingLoss": self.training_loss}
        if self.validation_losses:
            out["validationMetrics"] = [{"validationLoss": v} for v in self.validation_losses]
        return out

    def summary(self, region: str) -> dict:
        d = self.describe(region)
        out = {k: d[k] for k in ("jobArn", "baseModelArn", "jobName", "status", "statusDetails",
                                 "lastModifiedTime", "creationTime", "customizationType")}
        if self.end_time:
            out["endTime"] = self.end_time
        if self.model_arn:
            out["customModelArn"] = self.model_arn
            out["customModelName"] = self.params["customModelName"]
        return out


@dataclass
class CustomModel:
    model_id: str
    arn: str
    name: str
    job: Job
    learned: Any  # NearestExamples (the fine-tuned stand-in)
    examples: int
    creation_time: dt.datetime = field(default_factory=_now)

    def describe(self, region: str) -> dict:
        job, p = self.job, self.job.params
        out = {
            "modelArn": self.arn, "modelName": self.name, "jobName": p["jobName"],
            "jobArn": job.arn, "baseModelArn": foundation_arn(region, job.base_id),
            "customizationType": job.customization_type, "hyperParameters": job.hyperparameters,
            "trainingDataConfig": p["trainingDataConfig"],
            "outputDataConfig": p["outputDataConfig"], "creationTime": self.creation_time,
            "modelStatus": "Active",
        }
        if p.get("validationDataConfig"):
            out["validationDataConfig"] = p["validationDataConfig"]
        if job.training_loss is not None:
            out["trainingMetrics"] = {"trainingLoss": job.training_loss}
        if job.validation_losses:
            out["validationMetrics"] = [{"validationLoss": v} for v in job.validation_losses]
        return out

    def summary(self, region: str) -> dict:
        return {"modelArn": self.arn, "modelName": self.name, "creationTime": self.creation_time,
                "baseModelArn": foundation_arn(region, self.job.base_id),
                "baseModelName": self.job.base_id.split(":")[0],
                "customizationType": self.job.customization_type, "ownerAccountId": ACCOUNT,
                "modelStatus": "Active"}


@dataclass
class Provisioned:
    pt_id: str
    arn: str
    name: str
    model: CustomModel
    units: int
    commitment: str | None
    creation_time: dt.datetime = field(default_factory=_now)
    last_modified: dt.datetime = field(default_factory=_now)

    @property
    def status(self) -> str:
        ready = (_now() - self.creation_time).total_seconds() >= PT_READY_SECONDS
        return "InService" if ready else "Creating"

    def describe(self, region: str) -> dict:
        out = {"modelUnits": self.units, "desiredModelUnits": self.units,
               "provisionedModelName": self.name, "provisionedModelArn": self.arn,
               "modelArn": self.model.arn, "desiredModelArn": self.model.arn,
               "foundationModelArn": foundation_arn(region, self.model.job.base_id),
               "status": self.status, "creationTime": self.creation_time,
               "lastModifiedTime": max(self.last_modified, self.creation_time)}
        if self.commitment:
            months = 1 if self.commitment == "OneMonth" else 6
            out["commitmentDuration"] = self.commitment
            out["commitmentExpirationTime"] = self.creation_time + dt.timedelta(days=30 * months)
        return out


def foundation_arn(region: str, base_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{base_id}"


# ----------------------------------------------------------------------------- the store


class CustomizationStore:
    """The engine's customization jobs, custom models and provisioned throughputs."""

    def __init__(self, engine):
        self.engine = engine
        self.jobs: dict[str, Job] = {}
        self.models: dict[str, CustomModel] = {}
        self.provisioned: dict[str, Provisioned] = {}
        self.lock = threading.Lock()

    @property
    def region(self) -> str:
        return self.engine.region

    def s3(self):
        """A boto3 S3 client answered in-process by this engine (moto's S3)."""
        return self.engine.client("s3")

    # -- jobs ------------------------------------------------------------------------------
    def create_job(self, params: dict) -> dict:
        name, model_name = params["jobName"], params["customModelName"]
        if not _JOB_NAME.match(name) or len(name) > 63:
            raise validation(f"jobName {name!r} must match [a-zA-Z0-9](-*[a-zA-Z0-9+\\-.])* "
                             "(at most 63 characters).")
        if not _MODEL_NAME.match(model_name):
            raise validation(f"customModelName {model_name!r} must match ([0-9a-zA-Z][_-]?){{1,63}}.")
        if not _ROLE_ARN.match(params["roleArn"]):
            raise validation(f"roleArn {params['roleArn']!r} is not a valid IAM role ARN.")
        ctype = params.get("customizationType") or "FINE_TUNING"
        identifier = params["baseModelIdentifier"]
        base = specs.base_id(identifier)
        model = catalog.find(base)
        if model is None:
            raise not_found(f"The base model {identifier} was not found.")
        if model.status == "EOL":
            raise not_found(f"{base} has reached the end of its life.")
        if catalog.profile_geo(identifier):
            raise validation(f"{identifier} is an inference profile: a customization job takes "
                             f"the base model's id ({specs.customization_id(base)}).")
        method = specs.method(base, ctype)
        if method is None or ctype not in model.customizations:
            offered = [m for m, kinds in specs.SPECS.items() if ctype in kinds
                       and (catalog.find(m) is not None and catalog.find(m).status != "EOL")
                       and ctype in catalog.find(m).customizations]
            raise validation(f"{base} does not support {ctype} customization. "
                             + (f"Models that do: {', '.join(offered)}." if offered
                                else "No active base model offers it."))
        hyper, problems = specs.check_hyperparameters(base, ctype, params.get("hyperParameters"))
        if problems:
            raise validation(" ".join(problems))
        train = params["trainingDataConfig"].get("s3Uri")
        if not train:
            raise validation("trainingDataConfig.s3Uri is required.")
        parse_s3_uri(train, "trainingDataConfig.s3Uri")
        validators = (params.get("validationDataConfig") or {}).get("validators") or []
        if len(validators) > 1:
            raise validation("validationDataConfig takes at most one validator.")
        for v in validators:
            parse_s3_uri(v["s3Uri"], "validationDataConfig s3Uri")
        parse_s3_uri(params["outputDataConfig"]["s3Uri"], "outputDataConfig.s3Uri")
        with self.lock:
            token = params.get("clientRequestToken")
            for job in self.jobs.values():
                if token and job.params.get("clientRequestToken") == token:
                    return {"jobArn": job.arn}
                if job.params["jobName"] == name:
                    raise EngineError("ConflictException",
                                      f"A model customization job named {name} already exists.", 400)
            taken = {m.name for m in self.models.values()} | {
                j.params["customModelName"] for j in self.jobs.values() if j.status in ACTIVE}
            if model_name in taken:
                raise EngineError("ConflictException",
                                  f"A custom model named {model_name} already exists.", 400)
            job_id = _new_id()
            cid = specs.customization_id(base)
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:model-customization-job/{cid}/{job_id}"
            job = Job(job_id, arn, dict(params), cid, ctype, hyper)
            self.jobs[job_id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True,
                         name=f"customization-{job_id}").start()
        return {"jobArn": arn}

    def job(self, identifier: str) -> Job:
        for job in self.jobs.values():
            if identifier in (job.arn, job.job_id, job.params["jobName"]):
                return job
        raise not_found(f"The model customization job {identifier} was not found.")

    def list_jobs(self, params: dict) -> dict:
        jobs = list(self.jobs.values())
        if params.get("statusEquals"):
            jobs = [j for j in jobs if j.status == params["statusEquals"]]
        if params.get("nameContains"):
            jobs = [j for j in jobs if params["nameContains"] in j.params["jobName"]]
        jobs = _time_filter(jobs, params, "creation_time")
        page, token = _paged(sorted(jobs, key=lambda j: j.creation_time,
                                   reverse=params.get("sortOrder") != "Ascending"), params)
        out: dict[str, Any] = {"modelCustomizationJobSummaries": [j.summary(self.region) for j in page]}
        if token:
            out["nextToken"] = token
        return out

    def stop_job(self, identifier: str) -> dict:
        job = self.job(identifier)
        with self.lock:
            if job.status != "InProgress":
                raise validation(f"The job is {job.status} and can no longer be stopped.")
            job.stop_requested = True
            job.status = "Stopping"
            job.last_modified = _now()
        return {}

    # -- the runner ------------------------------------------------------------------------
    def _run(self, job: Job) -> None:
        try:
            self._execute(job)
        except _Stopped:
            for name, entry in job.stages.items():
                if entry["status"] == "InProgress":
                    job.stage(name, "Stopped")
            job.finish("Stopped")
        except EngineError as err:
            for name, entry in job.stages.items():
                if entry["status"] == "InProgress":
                    job.stage(name, "Failed")
            job.finish("Failed", err.message)
        except Exception as exc:  # an engine bug: report it on the job rather than hide it
            job.finish("Failed", f"Local engine error: {type(exc).__name__}: {exc}")

    def _pause(self, job: Job, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if job.stop_requested:
                raise _Stopped()
            time.sleep(min(0.05, max(end - time.monotonic(), 0)))
        if job.stop_requested:
            raise _Stopped()

    def _read(self, uri: str, what: str) -> str:
        from botocore.exceptions import ClientError

        bucket, key = parse_s3_uri(uri, what)
        try:
            return self.s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except ClientError as err:
            raise validation(f"Could not read the {what} at {uri}: "
                             f"{err.response['Error'].get('Message', err)}") from err
        except UnicodeDecodeError as err:
            raise validation(f"The {what} at {uri} is not UTF-8 text.") from err

    def _execute(self, job: Job) -> None:
        p = job.params
        method = specs.method(job.base_id, job.customization_type)
        job.stage("validation", "InProgress")
        train_uri = p["trainingDataConfig"]["s3Uri"]
        train, problems = read_dataset(self._read(train_uri, "training data"), method,
                                       job.hyperparameters)
        val_uri = next(iter((p.get("validationDataConfig") or {}).get("validators") or []), {}).get("s3Uri")
        valid: list[Example] = []
        if val_uri:
            valid, val_problems = read_dataset(self._read(val_uri, "validation data"), method,
                                               job.hyperparameters)
            problems += [f"validation {x}" for x in val_problems]
            if len(valid) > method.max_validation_records:
                problems.append(f"the validation data has {len(valid)} records; at most "
                                f"{method.max_validation_records} are allowed")
        total = len(train) + len(valid)
        if total < method.min_records or len(train) > method.max_records:
            problems.append(f"{len(train)} training and {len(valid)} validation records: "
                            f"{job.base_id} needs {method.min_records} to {method.max_records}")
        self._pause(job, PHASE_SECONDS)
        if problems:
            shown = "; ".join(problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise validation(f"Data validation failed for {train_uri}: {shown}{more}.")
        job.stage("validation", "Completed")
        job.stage("dataProcessing", "InProgress")
        learned = NearestExamples(train)  # create_job admits fine-tuning only (see above)
        self._pause(job, PHASE_SECONDS)
        job.stage("dataProcessing", "Completed")
        job.stage("training", "InProgress")
        steps, val_rows = _train_memory(learned, train, valid, job.hyperparameters)
        self._pause(job, PHASE_SECONDS)
        self._write_metrics(job, steps, val_rows)
        last_epoch = max(r["epoch_number"] for r in steps)
        job.training_loss = round(float(np.mean([r["training_loss"] for r in steps
                                                 if r["epoch_number"] == last_epoch])), 6)
        job.validation_losses = [r["validation_loss"] for r in val_rows[-1:]]
        job.stage("training", "Completed")
        with self.lock:
            model_id = _new_id()
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:custom-model/{job.base_id}/{model_id}"
            self.models[model_id] = CustomModel(model_id, arn, p["customModelName"], job, learned,
                                                len(train))
            job.model_arn = arn
            job.finish("Completed")
        self._register_model(self.models[model_id])

    def _write_metrics(self, job: Job, steps: list[dict], val_rows: list[dict]) -> None:
        bucket, prefix = parse_s3_uri(job.params["outputDataConfig"]["s3Uri"], "outputDataConfig")
        folder = f"{prefix.rstrip('/')}/model-customization-job-{job.job_id}".lstrip("/")
        self.s3().put_object(Bucket=bucket, Key=f"{folder}/training_artifacts/step_wise_training_metrics.csv",
                             Body=_csv(steps, ["step_number", "epoch_number", "training_loss",
                                               "perplexity"]).encode())
        if val_rows:
            self.s3().put_object(
                Bucket=bucket,
                Key=f"{folder}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv",
                Body=_csv(val_rows, ["step_number", "epoch_number", "validation_loss",
                                     "perplexity"]).encode())

    # -- custom models -----------------------------------------------------------------------
    def model(self, identifier: str) -> CustomModel:
        for m in self.models.values():
            if identifier in (m.arn, m.name, m.model_id):
                return m
        raise not_found(f"The custom model {identifier} was not found.")

    def list_models(self, params: dict) -> dict:
        found = list(self.models.values())
        if params.get("nameContains"):
            found = [m for m in found if params["nameContains"] in m.name]
        if params.get("modelStatus") and params["modelStatus"] != "Active":
            found = []
        for key in ("baseModelArnEquals", "foundationModelArnEquals"):
            if params.get(key):
                found = [m for m in found if foundation_arn(self.region, m.job.base_id) == params[key]]
        if params.get("creationTimeAfter") or params.get("creationTimeBefore"):
            found = _time_filter(found, params, "creation_time")
        page, token = _paged(sorted(found, key=lambda m: m.creation_time,
                                   reverse=params.get("sortOrder") != "Ascending"), params)
        out: dict[str, Any] = {"modelSummaries": [m.summary(self.region) for m in page]}
        if token:
            out["nextToken"] = token
        return out

    def delete_model(self, identifier: str) -> dict:
        m = self.model(identifier)
        users = [pt.name for pt in self.provisioned.values() if pt.model is m]
        if users:
            raise EngineError("ConflictException",
                              f"The custom model {m.name} is used by provisioned throughput "
                              f"{', '.join(users)}: delete that first.", 400)
        with self.lock:
            self.models.pop(m.model_id, None)
        self.engine.custom_models.pop(m.arn, None)
        return {}

    # -- provisioned throughput --------------------------------------------------------------
    def create_provisioned(self, params: dict) -> dict:
        name, units = params["provisionedModelName"], params["modelUnits"]
        commitment = params.get("commitmentDuration")
        if not re.match(r"^([0-9a-zA-Z][_-]?)+$", name) or len(name) > 63:
            raise validation(f"provisionedModelName {name!r} must match ([0-9a-zA-Z][_-]?)+.")
        if units < 1:
            raise validation("modelUnits must be at least 1.")
        try:
            model = self.model(params["modelId"])
        except EngineError:
            base = catalog.find(specs.base_id(params["modelId"]))
            if base is None:
                raise not_found(f"The model {params['modelId']} was not found.") from None
            if not commitment:
                raise validation(f"{base.model_id} is a base model: Provisioned Throughput for "
                                 "base models needs a commitment (OneMonth or SixMonths).") from None
            raise EngineError("ServiceQuotaExceededException",
                              "Your account's quota of model units for Provisioned Throughput with a "
                              "commitment is 0 by default: request an increase first.", 400) from None
        with self.lock:
            token = params.get("clientRequestToken")
            for pt in self.provisioned.values():
                if token and pt.model is model and getattr(pt, "token", None) == token:
                    return {"provisionedModelArn": pt.arn}
                if pt.name == name:
                    raise validation(f"A provisioned throughput named {name} already exists.")
            if commitment:
                raise EngineError("ServiceQuotaExceededException",
                                  "Your account's quota of model units for Provisioned Throughput "
                                  "with a commitment is 0 by default: request an increase, or "
                                  "omit commitmentDuration (no commitment, hourly).", 400)
            if units != 1:
                raise EngineError("ServiceQuotaExceededException",
                                  "A no-commitment Provisioned Throughput has a quota of 1 model unit.",
                                  400)
            if sum(1 for pt in self.provisioned.values() if not pt.commitment) >= MAX_NO_COMMITMENT_PT:
                raise EngineError("ServiceQuotaExceededException",
                                  f"You can have at most {MAX_NO_COMMITMENT_PT} no-commitment "
                                  "Provisioned Throughputs per account: delete one first.", 400)
            pt_id = _new_id()
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT}:provisioned-model/{pt_id}"
            pt = Provisioned(pt_id, arn, name, model, units, commitment)
            pt.token = token  # type: ignore[attr-defined]
            self.provisioned[pt_id] = pt
        self._register_provisioned(pt)
        return {"provisionedModelArn": arn}

    def get_provisioned(self, identifier: str) -> Provisioned:
        for pt in self.provisioned.values():
            if identifier in (pt.arn, pt.name, pt.pt_id):
                return pt
        raise not_found(f"The provisioned throughput {identifier} was not found.")

    def list_provisioned(self, params: dict) -> dict:
        found = list(self.provisioned.values())
        if params.get("statusEquals"):
            found = [p for p in found if p.status == params["statusEquals"]]
        if params.get("nameContains"):
            found = [p for p in found if params["nameContains"] in p.name]
        if params.get("modelArnEquals"):
            found = [p for p in found if p.model.arn == params["modelArnEquals"]]
        found = _time_filter(found, params, "creation_time")
        page, token = _paged(sorted(found, key=lambda p: p.creation_time,
                                   reverse=params.get("sortOrder") != "Ascending"), params)
        out: dict[str, Any] = {"provisionedModelSummaries": [
            {k: v for k, v in p.describe(self.region).items() if k != "failureMessage"} for p in page]}
        if token:
            out["nextToken"] = token
        return out

    def update_provisioned(self, params: dict) -> dict:
        pt = self.get_provisioned(params["provisionedModelId"])
        if params.get("desiredModelId"):
            model = self.model(params["desiredModelId"])
            if model.job.base_id != pt.model.job.base_id:
                raise validation("The new model must be customized from the same base model.")
            self.engine.custom_models.pop(pt.arn, None)
            pt.model = model
            self._register_provisioned(pt)
        if params.get("desiredProvisionedModelName"):
            pt.name = params["desiredProvisionedModelName"]
        pt.last_modified = _now()
        return {}

    def delete_provisioned(self, identifier: str) -> dict:
        pt = self.get_provisioned(identifier)
        with self.lock:
            self.provisioned.pop(pt.pt_id, None)
        self.engine.custom_models.pop(pt.arn, None)
        return {}

    # -- serving -------------------------------------------------------------------------------
    def _register_model(self, model: CustomModel) -> None:
        def refuse(req):
            raise validation(
                f"The custom model {model.name} cannot be invoked by its own ARN: purchase "
                "Provisioned Throughput for it (CreateProvisionedModelThroughput) and use the "
                "provisionedModelArn as modelId.")

        self.engine.custom_models[model.arn] = {
            "baseModelId": specs.base_id(model.job.base_id), "respond": refuse, "name": model.name}

    def _register_provisioned(self, pt: Provisioned) -> None:
        self.engine.custom_models[pt.arn] = {
            "baseModelId": specs.base_id(pt.model.job.base_id), "name": pt.name,
            "respond": lambda req: self.respond(pt, req)}

    def respond(self, pt: Provisioned, req) -> Any:
        """Answer a runtime request sent to a provisioned throughput's ARN."""
        from local_bedrock.text.responder import count_request_tokens, finish

        if self.provisioned.get(pt.pt_id) is not pt:
            raise not_found(f"The provisioned throughput {pt.name} was deleted.")
        if pt.status != "InService":
            raise validation(f"The provisioned throughput {pt.name} is {pt.status}; wait until "
                             "it is InService.")
        prompt = "\n".join(t.text for t in req.messages if t.role == "user")
        learned, model = pt.model.learned, pt.model
        text, prob, neighbours = learned.predict(prompt)
        sim, j = neighbours[0]
        note = {"engine": "local_bedrock", "customModel": model.name, "note": ENGINE_NOTE,
                "nearestExample": {"similarity": round(sim, 3),
                                   "prompt": learned.prompts[j][:200],
                                   "completion": learned.completions[j][:200]},
                "vote": {"neighbours": len(neighbours), "probability": round(prob, 3)}}
        result = finish(req, text, count_request_tokens(req))
        result.note = note  # type: ignore[attr-defined]  (sent as the x-local-bedrock-note header)
        return result


class _Stopped(Exception):
    pass


# ----------------------------------------------------------------------------- training runs


def _epochs_and_batch(hyper: dict) -> tuple[int, int]:
    return int(float(hyper.get("epochCount", 1))), max(int(float(hyper.get("batchSize", 1))), 1)


def _order(examples: list[Example]) -> np.ndarray:
    """A fixed shuffle of the records, seeded by the data (the same data trains the same)."""
    digest = hashlib.sha256("\n".join(e.prompt + "\t" + e.completion for e in examples).encode())
    return np.random.default_rng(int(digest.hexdigest()[:8], 16)).permutation(len(examples))


def _train_memory(mem: NearestExamples, train: list[Example], valid: list[Example],
                  hyper: dict) -> tuple[list[dict], list[dict]]:
    """Step-wise training loss of the nearest-neighbour memory (see the module docstring)."""
    from local_bedrock.text import embeddings

    epochs, batch = _epochs_and_batch(hyper)
    n = len(train)
    sims = mem.vectors @ mem.vectors.T if n else np.zeros((0, 0))
    order = _order(train)
    seen = np.zeros(n, dtype=bool)
    rows, step = [], 0
    val_rows = []
    val_vectors = embeddings.embed([mem.strip(e.prompt) for e in valid]) if valid else None
    for epoch in range(1, epochs + 1):
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            losses = []
            for i in idx:
                members = np.flatnonzero(seen if epoch == 1 else np.ones(n, dtype=bool))
                members = members[~np.isin(members, idx)]
                losses.append(mem.loss(train[i].completion, mem.probabilities(sims[i], members)))
            seen[idx] = True
            loss = float(np.mean(losses))
            rows.append({"step_number": step, "epoch_number": epoch,
                         "training_loss": round(loss, 6), "perplexity": round(math.exp(loss), 6)})
            step += 1
        if valid:
            everyone = np.arange(n)
            losses = [mem.loss(e.completion, mem.probabilities(mem.vectors @ v, everyone))
                      for e, v in zip(valid, val_vectors, strict=True)]
            loss = float(np.mean(losses))
            val_rows.append({"step_number": step - 1, "epoch_number": epoch,
                             "validation_loss": round(loss, 6), "perplexity": round(math.exp(loss), 6)})
    return rows, val_rows


# ----------------------------------------------------------------------------- helpers


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _time_filter(items: list, params: dict, attr: str) -> list:
    for key, keep in (("creationTimeAfter", lambda t, x: t > x), ("creationTimeBefore", lambda t, x: t < x)):
        if params.get(key):
            items = [i for i in items if keep(getattr(i, attr), params[key])]
    return items




def store(engine) -> CustomizationStore:
    """The engine's customization store (created on first use)."""
    found = engine.state.get("customization")
    if found is None:
        found = engine.state.setdefault("customization", CustomizationStore(engine))
    return found


def _paged(items: list, params: dict) -> tuple[list, str | None]:
    return pagination.page(items, params.get("nextToken"), params.get("maxResults"))
