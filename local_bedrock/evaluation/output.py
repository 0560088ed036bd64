"""Where and how an evaluation job's results are written to S3.

Bedrock documents one layout for automatic model evaluation jobs
(https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-s3.html, checked
2026-12-07):

    s3://<output path>/<job-name>/<job-uuid>/models/<model-id>/taskTypes/<task-type>/
        datasets/<dataset>/<file-uuid>_output.jsonl

one JSON line per prompt: ``automatedEvaluationResult.scores`` [{``metricName``, ``result``}],
``inputRecord`` (a copy of the dataset record) and ``modelResponses`` [{``modelIdentifier`` (the
model's ARN), ``response``}]. The page's example names the metric ``Accuracy``, without the
``Builtin.`` prefix of the request: the engine does the same for Accuracy, Robustness and Toxicity.

The docs are silent on the rest, so the engine keeps to the same layout and says so:

* judge metrics keep their request names (``Builtin.Correctness``) and add ``evaluatorDetails``
  [{``modelIdentifier``, ``explanation``}] to each score; a metric that does not apply (Following
  instructions' "Not applicable", documented as NaN) has ``result`` null;
* RAG jobs write each input record back with, in every turn, the ``output`` the job obtained (the
  documented bring-your-own-inference shape: ``knowledgeBaseIdentifier`` and ``retrievedResults``
  for retrieve-only, ``text`` and ``retrievedPassages`` for retrieve-and-generate, plus
  ``citations``) and ``results`` [{``metricName``, ``result``, ``evaluatorDetails``}]; the
  ``models/<id>`` folder is named after the knowledge base or RAG source;
* a prompt whose invocation failed keeps its line, with an empty response and no scores
  (Bedrock counts it as a prompt without a response).
"""

from __future__ import annotations

import json
import uuid

from local_bedrock.s3uri import parse_s3_uri

ALGORITHMIC_NAMES = {"Builtin.Accuracy": "Accuracy", "Builtin.Robustness": "Robustness",
                     "Builtin.Toxicity": "Toxicity"}


def job_prefix(job) -> tuple[str, str]:
    """(bucket, key prefix) of a job's results: <output path>/<job-name>/<job-uuid>/."""
    bucket, prefix = parse_s3_uri(job.params["outputDataConfig"]["s3Uri"], "outputDataConfig.s3Uri")
    parts = [p for p in (prefix.strip("/"), job.params["jobName"], job.job_id) if p]
    return bucket, "/".join(parts) + "/"


def result_key(job, source: str, task: str, dataset: str) -> tuple[str, str]:
    """(bucket, key) of one dataset's result file."""
    bucket, prefix = job_prefix(job)
    return bucket, (f"{prefix}models/{source}/taskTypes/{task}/datasets/{dataset}/"
                    f"{uuid.uuid4()}_output.jsonl")


def score(metric: str, result: float | None, evaluator: str | None = None,
          explanation: str | None = None) -> dict:
    """One entry of automatedEvaluationResult.scores (or of a RAG turn's results)."""
    out: dict = {"metricName": ALGORITHMIC_NAMES.get(metric, metric), "result": result}
    if evaluator is not None:
        out["evaluatorDetails"] = [{"modelIdentifier": evaluator, "explanation": explanation}]
    return out


def model_line(input_record: dict, scores: list[dict], model_arn: str, response: str) -> dict:
    """One line of a model job's result file, in the documented key order."""
    record = {k: v for k, v in input_record.items() if k != "modelResponses"}
    return {"automatedEvaluationResult": {"scores": scores}, "inputRecord": record,
            "modelResponses": [{"modelIdentifier": model_arn, "response": response}]}


def write(engine, bucket: str, key: str, lines: list[dict]) -> None:
    """Put the JSON Lines file (through the engine's own S3, moto)."""
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    engine.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"),
                                   ContentType="application/jsonl")
