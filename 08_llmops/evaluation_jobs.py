"""Lab 08 helpers for Bedrock evaluation jobs: the bucket and role, datasets in S3, waiting, and
reading the results Bedrock writes to S3 (the same code offline and live).

Sources (checked 2026-12-07):

* results layout: https://docs.aws.amazon.com/bedrock/latest/userguide/model-evaluation-report-s3.html
  ``<s3Uri>/<job-name>/<job-uuid>/models/<model-id>/taskTypes/<task-type>/datasets/<dataset>/
  <file-uuid>_output.jsonl``, one JSON line per prompt (``automatedEvaluationResult.scores``,
  ``inputRecord``, ``modelResponses``); the docs say nothing of judge explanations or RAG result
  records, so :func:`read_results` reads what the job wrote defensively (``evaluatorDetails``,
  ``conversationTurns[].results``);
* service roles: .../automatic-service-roles.html, .../judge-service-roles.html,
  .../rag-eval-service-roles.html (trust ``bedrock.amazonaws.com``; S3 read/write on the bucket;
  ``bedrock:InvokeModel`` and friends; ``bedrock:Retrieve`` / ``RetrieveAndGenerate`` for RAG);
* supported evaluator models: .../evaluation-judge.html (Amazon Nova Pro is one).
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from statistics import mean
from urllib.parse import unquote

# Workshop QA records ({question, answers[, passage]}) in Bedrock's custom-dataset shape, with
# the loop's prompts: the same conversion the local engine uses for its built-in stand-ins.
from local_bedrock.evaluation.datasets import to_bedrock_record  # noqa: F401  (re-exported)

ROLE_NAME = "bedrock-workshop-eval-role"
JUDGE_MODEL_NAME = "Nova Pro"  # a supported evaluator model, by its registry name
KEY = re.compile(r"(?:^|/)(?P<job>[^/]+)/(?P<job_id>[^/]+)/models/(?P<source>[^/]+)/taskTypes/"
                 r"(?P<task>[^/]+)/datasets/(?P<dataset>[^/]+)/[^/]+_output\.jsonl$")
FINISHED = ("Completed", "Failed", "Stopped")


# ------------------------------------------------------------------------ setup as code


def bucket_name(account: str, region: str) -> str:
    """The lab's evaluation bucket (datasets in, results out)."""
    return f"bedrock-workshop-eval-{account}-{region}"


def ensure_bucket(s3, bucket: str, region: str) -> str:
    """Create the bucket if it is not there yet; return its name."""
    try:
        s3.head_bucket(Bucket=bucket)
        return bucket
    except s3.exceptions.ClientError:
        pass
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    return bucket


def role_policy(bucket: str, account: str, region: str) -> dict:
    """What Bedrock needs for automatic, judge and RAG jobs on the lab's bucket."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DatasetsAndResults", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation",
                    "s3:AbortMultipartUpload", "s3:ListBucketMultipartUploads"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]},
        {"Sid": "InvokeModels", "Effect": "Allow",
         "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream",
                    "bedrock:CreateModelInvocationJob", "bedrock:StopModelInvocationJob",
                    "bedrock:GetInferenceProfile"],
         "Resource": ["arn:aws:bedrock:*::foundation-model/*",
                      f"arn:aws:bedrock:{region}:{account}:inference-profile/*"]},
        {"Sid": "KnowledgeBases", "Effect": "Allow",
         "Action": ["bedrock:Retrieve", "bedrock:RetrieveAndGenerate"],
         "Resource": [f"arn:aws:bedrock:{region}:{account}:knowledge-base/*"]}]}


def ensure_role(iam, bucket: str, account: str, region: str, name: str = ROLE_NAME) -> str:
    """The evaluation service role (trust: bedrock.amazonaws.com from this account); its ARN."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="evaluation-access",
                        PolicyDocument=json.dumps(role_policy(bucket, account, region)))
    return arn


def judge_model() -> str:
    """The id that invokes the lab's judge (Nova Pro, a documented evaluator) in this region."""
    import utils

    model = next(m for m in utils.models.MODELS if m.name == JUDGE_MODEL_NAME)
    return utils.models.invoke_id(model)


# ------------------------------------------------------------------------ datasets and jobs


def upload_jsonl(s3, bucket: str, key: str, records: Iterable[dict]) -> str:
    """Write records as JSON Lines; return the s3:// URI."""
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"))
    return f"s3://{bucket}/{key}"


def create_job(bedrock, retries: int = 6, pause_s: float = 10, **request) -> str:
    """CreateEvaluationJob, retried while a new IAM role propagates; the job ARN."""
    for attempt in range(retries):
        try:
            return bedrock.create_evaluation_job(**request)["jobArn"]
        except bedrock.exceptions.ValidationException as err:
            if "role" not in str(err).lower() or attempt == retries - 1:
                raise
            time.sleep(pause_s)
    raise RuntimeError("unreachable")


def wait(bedrock, arn: str, timeout_s: float = 3600, poll_s: float = 0.5,
         max_poll_s: float = 60) -> tuple[dict, list[str]]:
    """Poll GetEvaluationJob until the job ends (backing off to max_poll_s); (job, statuses
    seen in order)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while True:
        job = bedrock.get_evaluation_job(jobIdentifier=arn)
        if not seen or seen[-1] != job["status"]:
            seen.append(job["status"])
        if job["status"] in FINISHED:
            return job, seen
        if time.monotonic() > deadline:
            raise TimeoutError(f"{job['jobName']} still {job['status']} after {timeout_s} s")
        time.sleep(poll_s)
        poll_s = min(poll_s * 1.25, max_poll_s)


# ------------------------------------------------------------------------ results


def job_prefix(job: dict) -> tuple[str, str]:
    """(bucket, prefix) where a job's results are: <s3Uri>/<job-name>/<job-uuid>/."""
    uri = job["outputDataConfig"]["s3Uri"].removeprefix("s3://")
    bucket, _, prefix = uri.partition("/")
    parts = [p for p in (prefix.strip("/"), job["jobName"], job["jobArn"].rsplit("/", 1)[-1]) if p]
    return bucket, "/".join(parts) + "/"


def result_files(s3, job: dict) -> list[str]:
    """The keys of a job's *_output.jsonl files."""
    bucket, prefix = job_prefix(job)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", [])
                  if o["Key"].endswith("_output.jsonl"))


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(c.get("text", "") for c in value.get("content", []))
    return ""


def _score_rows(base: dict, scores: list[dict]) -> list[dict]:
    rows = []
    for s in scores:
        details = s.get("evaluatorDetails") or [{}]
        result = s.get("result")
        if isinstance(result, dict):  # tolerate {"floatValue": ...}
            result = result.get("floatValue", result.get("value"))
        rows.append({**base, "metric": s["metricName"].removeprefix("Builtin."),
                     "result": result, "explanation": details[0].get("explanation")})
    return rows


def read_results(s3, job: dict) -> list[dict]:
    """One row per (prompt, metric): dataset, task, source, prompt, response, category, metric,
    result, explanation; prompts without a response give a row with metric None."""
    bucket, _ = job_prefix(job)
    rows: list[dict] = []
    for key in result_files(s3, job):
        m = KEY.search(key)
        where = {k: unquote(v) for k, v in m.groupdict().items() if k in ("source", "task", "dataset")}
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        for n, line in enumerate(x for x in body.splitlines() if x.strip()):
            record = json.loads(line)
            if "conversationTurns" in record:  # RAG: each turn carries output and results
                for t, turn in enumerate(record["conversationTurns"]):
                    out = turn.get("output") or {}
                    base = {**where, "record": n, "turn": t, "prompt": _text(turn.get("prompt")),
                            "response": out.get("text", ""), "category": None}
                    rows += _score_rows(base, turn.get("results") or []) or [dict(base, metric=None)]
                continue
            inp = record.get("inputRecord", {})
            resp = (record.get("modelResponses") or [{}])[0].get("response", "")
            base = {**where, "record": n, "turn": 0, "prompt": _text(inp.get("prompt")),
                    "response": resp, "category": inp.get("category")}
            scores = (record.get("automatedEvaluationResult") or {}).get("scores") or []
            rows += _score_rows(base, scores) or [dict(base, metric=None)]
    return rows


def report(rows: list[dict], by: tuple[str, ...] = ("dataset", "metric")) -> list[dict]:
    """The console's summary: mean per group over responses, with prompt and response counts."""
    prompts: dict[tuple, set] = defaultdict(set)
    values: dict[tuple, list[float]] = defaultdict(list)
    for row in rows:
        prompts[row["dataset"]].add((row["record"], row["turn"]))
        if row["metric"] is not None and row["result"] is not None:
            values[tuple(row[k] for k in by)].append(row["result"])
    answered: dict[str, set] = defaultdict(set)
    for row in rows:
        if row["metric"] is not None:
            answered[row["dataset"]].add((row["record"], row["turn"]))
    out = []
    for group, vals in sorted(values.items()):
        entry = dict(zip(by, group, strict=True))
        entry.update({"Value": round(mean(vals), 4),
                      "Number of prompts": len(prompts[entry.get("dataset")]),
                      "Number of responses": len(answered[entry.get("dataset")])})
        out.append(entry)
    return out


def pivot(rows: list[dict], index: str = "record", columns: str = "metric") -> dict:
    """{index value: {column value: result}} for a heat map or a wide table."""
    out: dict = defaultdict(dict)
    for row in rows:
        if row["metric"] is not None:
            out[row[index]][row[columns]] = row["result"]
    return dict(out)
