"""CreateEvaluationJob and friends: validated like Bedrock, stored, and failed with a reason.

Bedrock's automatic evaluation scores responses with its own classifiers (Detoxify for
toxicity) and its own samples of the built-in datasets; the engine has neither, so it does
not pretend to run a job. It checks the request as Bedrock would (names, task types, built-in
dataset and metric names, one model, S3 URIs, inference parameters), so a malformed job
fails offline with the same kind of ValidationException, and stores a valid job with status
Failed and a failure message that says why and what to do instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
import threading

from local_bedrock.errors import EngineError, not_found, validation

ACCOUNT = "123456789012"
NOT_RUN = ("The local engine (offline mode) validates and stores model evaluation jobs but does "
           "not run them: Bedrock's scores come from its own classifiers and dataset samples. "
           "Run this job in live mode, or compute the same QuestionAndAnswer metrics locally "
           "with utils.evaluation (lab 08, notebook 03).")
AUTOMATED_METRICS = {"Builtin.Accuracy", "Builtin.Robustness", "Builtin.Toxicity"}
BUILTIN_DATASETS = {
    "QuestionAndAnswer": {"Builtin.BoolQ", "Builtin.TriviaQa", "Builtin.NaturalQuestions"},
    "Summarization": {"Builtin.Gigaword"},
    "Classification": {"Builtin.WomensEcommerceClothingReviews"},
    "Generation": {"Builtin.Bold", "Builtin.RealToxicityPrompts", "Builtin.T-Rex",
                   "Builtin.WikiText2"},
}
_JOB_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
_ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$")
_S3_URI = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+"
                     r"(?:/[-!_*'().a-z0-9A-Z]+)*)?/?$")
_ID_CHARS = string.ascii_lowercase + string.digits


class EvaluationStore:
    """The engine's evaluation jobs, keyed by job id."""

    def __init__(self, engine):
        self.engine = engine
        self.jobs: dict[str, dict] = {}
        self.lock = threading.Lock()

    def create(self, params: dict) -> dict:
        """Validate the request like Bedrock; store the job as Failed (not run offline)."""
        self._validate(params)
        with self.lock:
            token = params.get("clientRequestToken")
            for job in self.jobs.values():
                if token and job["clientRequestToken"] == token:
                    return {"jobArn": job["jobArn"]}
                if job["jobName"] == params["jobName"]:
                    raise EngineError("ConflictException", f"An evaluation job named "
                                      f"{params['jobName']} already exists.", 400)
            job_id = "".join(secrets.choice(_ID_CHARS) for _ in range(12))
            now = dt.datetime.now(dt.timezone.utc)
            job = {
                "jobArn": f"arn:aws:bedrock:{self.engine.region}:{ACCOUNT}:evaluation-job/{job_id}",
                "jobName": params["jobName"], "status": "Failed", "roleArn": params["roleArn"],
                "jobType": "Automated" if "automated" in params["evaluationConfig"] else "Human",
                "applicationType": params.get("applicationType", "ModelEvaluation"),
                "evaluationConfig": params["evaluationConfig"],
                "inferenceConfig": params["inferenceConfig"],
                "outputDataConfig": params["outputDataConfig"], "creationTime": now,
                "lastModifiedTime": now, "failureMessages": [NOT_RUN],
                "clientRequestToken": token,
            }
            for key in ("jobDescription", "customerEncryptionKeyId"):
                if params.get(key):
                    job[key] = params[key]
            self.jobs[job_id] = job
        return {"jobArn": job["jobArn"]}

    def _validate(self, params: dict) -> None:
        if not _JOB_NAME.match(params["jobName"]):
            raise validation(f"jobName {params['jobName']!r} must match "
                             "[a-z0-9](-*[a-z0-9]){0,62}: lower case letters, digits, hyphens.")
        if not _ROLE_ARN.match(params["roleArn"]):
            raise validation(f"roleArn {params['roleArn']!r} is not a valid IAM role ARN.")
        if not _S3_URI.match(params["outputDataConfig"]["s3Uri"]):
            raise validation(f"outputDataConfig.s3Uri {params['outputDataConfig']['s3Uri']!r} "
                             "is not a valid S3 URI.")
        config = params["evaluationConfig"]
        if ("automated" in config) == ("human" in config):
            raise validation("evaluationConfig must contain exactly one of automated or human.")
        models = params["inferenceConfig"].get("models") or []
        if not models:
            raise validation("inferenceConfig.models must name the model to evaluate.")
        if "automated" in config and len(models) != 1:
            raise validation("An automatic model evaluation job evaluates exactly one model.")
        from local_bedrock.runtime import models as runtime_models

        for model in models:
            bedrock_model = model.get("bedrockModel")
            if not bedrock_model:
                continue
            runtime_models.resolve(bedrock_model["modelIdentifier"], engine=self.engine)
            raw = bedrock_model.get("inferenceParams")
            if raw:
                try:
                    json.loads(raw)
                except ValueError as exc:
                    raise validation(f"inferenceParams is not valid JSON: {exc}") from exc
        if "automated" in config:
            for item in config["automated"]["datasetMetricConfigs"]:
                self._validate_dataset(item)

    @staticmethod
    def _validate_dataset(item: dict) -> None:
        task, dataset = item["taskType"], item["dataset"]
        bad = [m for m in item["metricNames"] if m not in AUTOMATED_METRICS]
        if bad:
            raise validation(f"Unknown metric name(s) {bad} for an automatic evaluation job; use "
                             f"{sorted(AUTOMATED_METRICS)}.")
        location = dataset.get("datasetLocation")
        if location:
            if not _S3_URI.match(location.get("s3Uri", "")):
                raise validation(f"datasetLocation.s3Uri {location.get('s3Uri')!r} is not a "
                                 "valid S3 URI.")
        elif dataset["name"].startswith("Builtin."):
            known = BUILTIN_DATASETS.get(task, set())
            if known and dataset["name"] not in known:
                raise validation(f"{dataset['name']} is not a built-in dataset for task type "
                                 f"{task}; use one of {sorted(known)}.")
        else:
            raise validation(f"Dataset {dataset['name']!r} needs a datasetLocation (s3Uri), or "
                             "use a built-in dataset name (Builtin....).")

    def get(self, identifier: str) -> dict:
        """The job for an id or ARN, or ResourceNotFoundException."""
        job = self.jobs.get(identifier.rsplit("/", 1)[-1])
        if job is None:
            raise not_found(f"The evaluation job {identifier} was not found.")
        return job

    def describe(self, identifier: str) -> dict:
        """GetEvaluationJob's output."""
        job = self.get(identifier)
        return {k: v for k, v in job.items() if k != "clientRequestToken"}

    def list(self, params: dict) -> dict:
        """ListEvaluationJobs: filters, newest first by default, pagination."""
        jobs = list(self.jobs.values())
        for key, field in (("statusEquals", "status"), ("applicationTypeEquals", "applicationType")):
            if params.get(key):
                jobs = [j for j in jobs if j[field] == params[key]]
        if params.get("nameContains"):
            jobs = [j for j in jobs if params["nameContains"] in j["jobName"]]
        if params.get("creationTimeAfter"):
            jobs = [j for j in jobs if j["creationTime"] > params["creationTimeAfter"]]
        if params.get("creationTimeBefore"):
            jobs = [j for j in jobs if j["creationTime"] < params["creationTimeBefore"]]
        jobs.sort(key=lambda j: j["creationTime"], reverse=params.get("sortOrder") != "Ascending")
        start, size = int(params.get("nextToken") or 0), params.get("maxResults") or 1000
        out: dict = {"jobSummaries": [self._summary(j) for j in jobs[start:start + size]]}
        if start + size < len(jobs):
            out["nextToken"] = str(start + size)
        return out

    @staticmethod
    def _summary(job: dict) -> dict:
        automated = job["evaluationConfig"].get("automated") or job["evaluationConfig"].get("human")
        tasks = sorted({c["taskType"] for c in automated["datasetMetricConfigs"]})
        models = [m["bedrockModel"]["modelIdentifier"]
                  for m in job["inferenceConfig"].get("models", []) if "bedrockModel" in m]
        return {"jobArn": job["jobArn"], "jobName": job["jobName"], "status": job["status"],
                "creationTime": job["creationTime"], "jobType": job["jobType"],
                "evaluationTaskTypes": tasks, "modelIdentifiers": models,
                "applicationType": job["applicationType"]}

    def stop(self, identifier: str) -> dict:
        """StopEvaluationJob: only in-progress jobs can be stopped (offline none are)."""
        job = self.get(identifier)
        if job["status"] != "InProgress":
            raise validation(f"The evaluation job is {job['status']} and cannot be stopped.")
        return {}


def store(engine) -> EvaluationStore:
    """The engine's evaluation store (created on first use)."""
    found = engine.state.get("evaluation")
    if found is None:
        found = engine.state.setdefault("evaluation", EvaluationStore(engine))
    return found
