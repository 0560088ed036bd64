"""CreateEvaluationJob checked as Bedrock checks it: names, ARNs, URIs, job kind, task types,
metric names per job kind, datasets, models, knowledge-base configurations.

The wire layer has already checked botocore's shapes (required members, lengths, patterns);
this module checks what the shapes cannot say. Sources are in :mod:`.spec`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from local_bedrock.errors import EngineError, validation
from local_bedrock.evaluation import spec

_JOB_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
_ROLE_ARN = re.compile(r"^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$")
_S3_URI = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+"
                     r"(?:/[-!_*'().a-z0-9A-Z]+)*)?/?$")


@dataclass(frozen=True)
class Plan:
    """What kind of job a valid request asks for."""

    kind: str  # "algorithmic", "judge", "rag" or "human"
    rag_mode: str | None = None  # "retrieve" or "generate" for RAG jobs
    precomputed: bool = False  # responses (or retrievals) come from the dataset


def not_served(what: str) -> EngineError:
    """The engine's answer for a valid request it does not implement."""
    return EngineError("NotImplementedException",
                       f"The local engine does not run {what}; remove it or run this job in "
                       "live mode.", 501)


def check(engine, params: dict) -> Plan:
    """Validate a CreateEvaluationJob request; return its plan or raise an EngineError."""
    _check_names(params)
    config = params["evaluationConfig"]
    if ("automated" in config) == ("human" in config):
        raise validation("evaluationConfig must contain exactly one of automated or human.")
    app = params.get("applicationType") or "ModelEvaluation"
    inference = params["inferenceConfig"]
    models, rags = inference.get("models") or [], inference.get("ragConfigs") or []
    if app == "RagEvaluation":
        if models or not rags:
            raise validation("A RagEvaluation job takes inferenceConfig.ragConfigs (one "
                             "knowledge base or RAG source), not models.")
        if "human" in config:
            raise validation("RAG evaluation jobs are automated: use evaluationConfig.automated "
                             "with an evaluatorModelConfig.")
    elif rags or not models:
        raise validation("A model evaluation job takes inferenceConfig.models (the model to "
                         "evaluate), not ragConfigs.")
    if "human" in config:
        _check_models(engine, models, allow_precomputed=True, most=2)
        return Plan("human", precomputed=_precomputed(models))
    automated = config["automated"]
    if automated.get("customMetricConfig"):
        raise not_served("custom metrics (customMetricConfig)")
    evaluator = automated.get("evaluatorModelConfig")
    if evaluator:
        for judge in evaluator.get("bedrockEvaluatorModels") or []:
            _resolve(engine, judge["modelIdentifier"], "evaluator model")
    if app == "RagEvaluation":
        if not evaluator:
            raise validation("A RAG evaluation job needs evaluatorModelConfig: a judge model "
                             "computes its metrics.")
        mode, precomputed = _check_rag(engine, rags[0])
        allowed = spec.RAG_RETRIEVE if mode == "retrieve" else spec.RAG_GENERATE
        _check_metric_configs(automated, allowed, "rag", f"a {_MODE_NAME[mode]} RAG job")
        return Plan("rag", rag_mode=mode, precomputed=precomputed)
    if evaluator:
        _check_models(engine, models, allow_precomputed=True, most=1)
        _check_metric_configs(automated, spec.JUDGE, "judge", "a model-as-judge job")
        return Plan("judge", precomputed=_precomputed(models))
    _check_models(engine, models, allow_precomputed=False, most=1)
    _check_metric_configs(automated, spec.ALGORITHMIC, "algorithmic",
                          "an automatic (algorithmic) job")
    return Plan("algorithmic")


_MODE_NAME = {"retrieve": "retrieve-only", "generate": "retrieve-and-generate"}


def _check_names(params: dict) -> None:
    if not _JOB_NAME.match(params["jobName"]):
        raise validation(f"jobName {params['jobName']!r} must match "
                         "[a-z0-9](-*[a-z0-9]){0,62}: lower case letters, digits, hyphens.")
    if not _ROLE_ARN.match(params["roleArn"]):
        raise validation(f"roleArn {params['roleArn']!r} is not a valid IAM role ARN.")
    if not _S3_URI.match(params["outputDataConfig"]["s3Uri"]):
        raise validation(f"outputDataConfig.s3Uri {params['outputDataConfig']['s3Uri']!r} "
                         "is not a valid S3 URI.")


def _resolve(engine, model_id: str, what: str):
    from local_bedrock.runtime import models as runtime_models

    try:
        return runtime_models.resolve(model_id, converse=True, engine=engine)
    except EngineError as err:
        raise EngineError(err.code, f"The {what} {model_id}: {err.message}", err.status) from err


def _precomputed(models: list[dict]) -> bool:
    return any("precomputedInferenceSource" in m for m in models)


def _check_models(engine, models: list[dict], allow_precomputed: bool, most: int) -> None:
    if len(models) > most:
        raise validation(f"This kind of evaluation job evaluates at most {most} model(s); "
                         f"the request names {len(models)}.")
    for model in models:
        if ("bedrockModel" in model) == ("precomputedInferenceSource" in model):
            raise validation("Each inferenceConfig.models item needs exactly one of "
                             "bedrockModel or precomputedInferenceSource.")
        if "precomputedInferenceSource" in model:
            if not allow_precomputed:
                raise validation("Automatic (algorithmic) jobs invoke a Bedrock model: bring "
                                 "your own inference responses to a model-as-judge job instead.")
            continue
        bedrock_model = model["bedrockModel"]
        _resolve(engine, bedrock_model["modelIdentifier"], "model")
        raw = bedrock_model.get("inferenceParams")
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                raise validation(f"inferenceParams is not valid JSON: {exc}") from exc
            if not isinstance(parsed, dict):
                raise validation("inferenceParams must be a JSON object such as "
                                 '{"inferenceConfig": {"maxTokens": 512}}.')


def _check_rag(engine, rag: dict) -> tuple[str, bool]:
    """(mode, precomputed) of the one RAG config."""
    kb, pre = rag.get("knowledgeBaseConfig"), rag.get("precomputedRagSourceConfig")
    if (kb is None) == (pre is None):
        raise validation("A ragConfigs item needs exactly one of knowledgeBaseConfig or "
                         "precomputedRagSourceConfig.")
    if pre is not None:
        if ("retrieveSourceConfig" in pre) == ("retrieveAndGenerateSourceConfig" in pre):
            raise validation("precomputedRagSourceConfig needs exactly one of "
                             "retrieveSourceConfig or retrieveAndGenerateSourceConfig.")
        return ("retrieve" if "retrieveSourceConfig" in pre else "generate"), True
    if ("retrieveConfig" in kb) == ("retrieveAndGenerateConfig" in kb):
        raise validation("knowledgeBaseConfig needs exactly one of retrieveConfig or "
                         "retrieveAndGenerateConfig.")
    if "retrieveConfig" in kb:
        return "retrieve", False
    rag_config = kb["retrieveAndGenerateConfig"]
    if rag_config["type"] != "KNOWLEDGE_BASE":
        raise not_served(f"RetrieveAndGenerate of type {rag_config['type']} in an evaluation job")
    kbc = rag_config.get("knowledgeBaseConfiguration")
    if not kbc:
        raise validation("retrieveAndGenerateConfig of type KNOWLEDGE_BASE needs "
                         "knowledgeBaseConfiguration.")
    _resolve(engine, kbc["modelArn"], "generator model (modelArn)")
    return "generate", False


def _check_metric_configs(automated: dict, allowed: tuple[str, ...], kind: str,
                          job: str) -> None:
    for item in automated["datasetMetricConfigs"]:
        task, dataset = item["taskType"], item["dataset"]
        if task not in spec.TASK_TYPES:
            raise validation(f"taskType {task!r} is not one of {list(spec.TASK_TYPES)}.")
        bad = [m for m in item["metricNames"] if m not in allowed]
        if bad:
            hint = ""
            if kind == "algorithmic" and set(bad) & set(spec.JUDGE):
                hint = " Judge metrics need evaluationConfig.automated.evaluatorModelConfig."
            elif set(bad) & set(spec.ALGORITHMIC):
                hint = " Accuracy, Robustness and Toxicity are for jobs without a judge model."
            raise validation(f"Metric name(s) {bad} are not valid for {job}; use "
                             f"{list(allowed)}.{hint}")
        _check_dataset(task, dataset, item["metricNames"], kind)


def _check_dataset(task: str, dataset: dict, metrics: list[str], kind: str) -> None:
    location = dataset.get("datasetLocation")
    if location:
        if not _S3_URI.match(location.get("s3Uri", "")):
            raise validation(f"datasetLocation.s3Uri {location.get('s3Uri')!r} is not a valid "
                             "S3 URI.")
        return
    if kind != "algorithmic":
        raise validation(f"Dataset {dataset['name']!r} needs a datasetLocation (s3Uri): "
                         "model-as-judge and RAG jobs use your own prompt dataset.")
    canon = spec.canonical_builtin(dataset["name"])
    if canon is None:
        raise validation(f"Dataset {dataset['name']!r} needs a datasetLocation (s3Uri), or use "
                         "a built-in dataset name (Builtin....).")
    algorithmic_task = spec.ALGORITHMIC_TASKS.get(task, task)
    known = spec.BUILTIN_DATASETS.get(algorithmic_task, ())
    if canon not in known:
        raise validation(f"{dataset['name']} is not a built-in dataset for task type {task}; "
                         f"use one of {list(known)}.")
