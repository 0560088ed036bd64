"""Evaluation jobs offline: created like Bedrock creates them, run to the end, results in S3.

CreateEvaluationJob validates the request (:mod:`.validation`), stores the job InProgress and
starts it (:mod:`.runner`): automatic jobs with algorithmic metrics, model-as-judge jobs and
knowledge-base (RAG) evaluation jobs run to Completed and write their results where Bedrock
documents them (:mod:`.output`). StopEvaluationJob moves a running job to Stopping, then
Stopped; BatchDeleteEvaluationJob deletes finished jobs. Jobs with human workers need a
SageMaker Ground Truth workforce the engine does not have: they are stored and Failed at once,
with a message that says so.

What is not Bedrock: the evaluated model's answers come from the engine's stand-in responder,
the judge is the engine's rule-based judge (:mod:`.judge`), Toxicity and BERTScore use the
engine's own classifiers and word vectors (:mod:`.algorithmic`), and ``Builtin.*`` datasets are
the workshop's small stand-ins (:mod:`.datasets`). A job takes seconds, not tens of minutes.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
import threading
from dataclasses import dataclass, field

from local_bedrock import pagination
from local_bedrock.errors import EngineError, not_found, validation
from local_bedrock.evaluation import validation as checks

ACCOUNT = "123456789012"  # moto's default account, which the engine's STS reports offline
HUMAN_NOT_RUN = ("The local engine (offline mode) does not run evaluation jobs with human "
                 "workers: they need a SageMaker Ground Truth work team. Run this job in live "
                 "mode, or use an automatic or model-as-judge job offline.")
FINISHED = ("Completed", "Failed", "Stopped")
_ID_CHARS = string.ascii_lowercase + string.digits


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Job:
    """One evaluation job and where it stands."""

    job_id: str
    arn: str
    params: dict
    plan: checks.Plan
    account: str = ACCOUNT
    status: str = "InProgress"
    failure_messages: list[str] = field(default_factory=list)
    creation_time: dt.datetime = field(default_factory=_now)
    last_modified: dt.datetime = field(default_factory=_now)
    stop_requested: bool = False
    thread: threading.Thread | None = field(default=None, repr=False)

    def finish(self, status: str, message: str | None = None) -> None:
        """End the job (a stop request turns Completed into Stopped)."""
        if self.stop_requested and status == "Completed":
            status = "Stopped"
        self.status = status
        if message:
            self.failure_messages.append(message)
        self.last_modified = _now()

    def describe(self) -> dict:
        """GetEvaluationJob's output."""
        p = self.params
        out = {
            "jobArn": self.arn, "jobName": p["jobName"], "status": self.status,
            "roleArn": p["roleArn"], "jobType": "Human" if self.plan.kind == "human" else "Automated",
            "applicationType": p.get("applicationType") or "ModelEvaluation",
            "evaluationConfig": p["evaluationConfig"], "inferenceConfig": p["inferenceConfig"],
            "outputDataConfig": p["outputDataConfig"], "creationTime": self.creation_time,
            "lastModifiedTime": self.last_modified,
        }
        for key in ("jobDescription", "customerEncryptionKeyId"):
            if p.get(key):
                out[key] = p[key]
        if self.failure_messages:
            out["failureMessages"] = list(self.failure_messages)
        return out

    def summary(self) -> dict:
        """ListEvaluationJobs' summary of the job."""
        p = self.params
        config = p["evaluationConfig"].get("automated") or p["evaluationConfig"]["human"]
        inference = p["inferenceConfig"]
        models = [m["bedrockModel"]["modelIdentifier"] for m in inference.get("models") or []
                  if "bedrockModel" in m]
        sources = [m["precomputedInferenceSource"]["inferenceSourceIdentifier"]
                   for m in inference.get("models") or [] if "precomputedInferenceSource" in m]
        kbs, rag_sources = _rag_identifiers(inference.get("ragConfigs") or [])
        evaluators = [e["modelIdentifier"] for e in
                      (config.get("evaluatorModelConfig") or {}).get("bedrockEvaluatorModels") or []]
        out = {"jobArn": self.arn, "jobName": p["jobName"], "status": self.status,
               "creationTime": self.creation_time, "jobType": self.describe()["jobType"],
               "evaluationTaskTypes": sorted({c["taskType"] for c in config["datasetMetricConfigs"]}),
               "applicationType": p.get("applicationType") or "ModelEvaluation"}
        if models or sources:
            out["modelIdentifiers"] = models
            out["inferenceConfigSummary"] = {"modelConfigSummary": {
                "bedrockModelIdentifiers": models, "precomputedInferenceSourceIdentifiers": sources}}
        else:
            out["ragIdentifiers"] = kbs + rag_sources
            out["inferenceConfigSummary"] = {"ragConfigSummary": {
                "bedrockKnowledgeBaseIdentifiers": kbs, "precomputedRagSourceIdentifiers": rag_sources}}
        if evaluators:
            out["evaluatorModelIdentifiers"] = evaluators
        return out


def _rag_identifiers(rags: list[dict]) -> tuple[list[str], list[str]]:
    kbs, sources = [], []
    for rag in rags:
        kb = rag.get("knowledgeBaseConfig") or {}
        config = kb.get("retrieveConfig") or (kb.get("retrieveAndGenerateConfig") or {}).get(
            "knowledgeBaseConfiguration")
        if config:
            kbs.append(config["knowledgeBaseId"])
        for source in (rag.get("precomputedRagSourceConfig") or {}).values():
            sources.append(source["ragSourceIdentifier"])
    return kbs, sources


class EvaluationStore:
    """The engine's evaluation jobs, keyed by job id."""

    def __init__(self, engine):
        self.engine = engine
        self.jobs: dict[str, Job] = {}
        self.tokens: dict[str, str] = {}  # clientRequestToken -> job id
        self.lock = threading.Lock()

    def create(self, params: dict) -> dict:
        """Validate like Bedrock, store the job InProgress and start it."""
        plan = checks.check(self.engine, params)
        with self.lock:
            token = params.get("clientRequestToken")
            if token and token in self.tokens:
                return {"jobArn": self.jobs[self.tokens[token]].arn}
            if any(j.params["jobName"] == params["jobName"] for j in self.jobs.values()):
                raise EngineError("ConflictException", f"An evaluation job named "
                                  f"{params['jobName']} already exists.", 400)
            job_id = "".join(secrets.choice(_ID_CHARS) for _ in range(12))
            arn = f"arn:aws:bedrock:{self.engine.region}:{ACCOUNT}:evaluation-job/{job_id}"
            job = Job(job_id, arn, dict(params), plan)
            self.jobs[job_id] = job
            if token:
                self.tokens[token] = job_id
        if plan.kind == "human":
            job.finish("Failed", HUMAN_NOT_RUN)
            return {"jobArn": arn}
        from local_bedrock.evaluation.runner import Runner

        job.thread = threading.Thread(target=Runner(self.engine, job).run, daemon=True,
                                      name=f"evaluation-job-{job_id}")
        job.thread.start()
        return {"jobArn": arn}

    def get(self, identifier: str) -> Job:
        """The job for an ARN, or ResourceNotFoundException."""
        job = self.jobs.get(identifier.rsplit("/", 1)[-1])
        if job is None:
            raise not_found(f"The evaluation job {identifier} was not found.")
        return job

    def list(self, params: dict) -> dict:
        """ListEvaluationJobs: filters, newest first by default, pagination."""
        jobs = list(self.jobs.values())
        if params.get("statusEquals"):
            jobs = [j for j in jobs if j.status == params["statusEquals"]]
        if params.get("applicationTypeEquals"):
            jobs = [j for j in jobs if (j.params.get("applicationType") or "ModelEvaluation")
                    == params["applicationTypeEquals"]]
        if params.get("nameContains"):
            jobs = [j for j in jobs if params["nameContains"] in j.params["jobName"]]
        if params.get("creationTimeAfter"):
            jobs = [j for j in jobs if j.creation_time > params["creationTimeAfter"]]
        if params.get("creationTimeBefore"):
            jobs = [j for j in jobs if j.creation_time < params["creationTimeBefore"]]
        jobs.sort(key=lambda j: j.creation_time, reverse=params.get("sortOrder") != "Ascending")
        return pagination.keyed([j.summary() for j in jobs], params, "jobSummaries")

    def stop(self, identifier: str) -> dict:
        """StopEvaluationJob: an InProgress job goes Stopping, then Stopped."""
        job = self.get(identifier)
        with self.lock:
            if job.status != "InProgress":
                raise validation(f"The evaluation job is {job.status} and cannot be stopped; "
                                 "only InProgress jobs can be stopped.")
            job.stop_requested = True
            job.status, job.last_modified = "Stopping", _now()
        return {}

    def batch_delete(self, identifiers: list[str]) -> dict:
        """BatchDeleteEvaluationJob: finished jobs are deleted; others are listed as errors."""
        deleted, errors = [], []
        with self.lock:
            for identifier in identifiers:
                job = self.jobs.get(identifier.rsplit("/", 1)[-1])
                if job is None:
                    errors.append({"jobIdentifier": identifier, "code": "ResourceNotFound",
                                   "message": f"The evaluation job {identifier} was not found."})
                elif job.status not in FINISHED:
                    errors.append({"jobIdentifier": identifier, "code": "ValidationException",
                                   "message": f"The evaluation job is {job.status}: only Failed, "
                                              "Completed and Stopped jobs can be deleted."})
                else:
                    del self.jobs[job.job_id]
                    deleted.append({"jobIdentifier": identifier, "jobStatus": "Deleting"})
        return {"errors": errors, "evaluationJobs": deleted}


def store(engine) -> EvaluationStore:
    """The engine's evaluation store (created on first use)."""
    found = engine.state.get("evaluation")
    if found is None:
        found = engine.state.setdefault("evaluation", EvaluationStore(engine))
    return found
