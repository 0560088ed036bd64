"""Bedrock batch inference offline: model invocation jobs over JSONL in (moto) S3."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from shapes import assert_conforms

from local_bedrock.batch import models as batch_models
from local_bedrock.text.responder import MARKER

MODEL = "amazon.nova-lite-v1:0"
BUCKET = "set-per-test"
ROLE = "arn:aws:iam::123456789012:role/workshop-batch"


@pytest.fixture(autouse=True)
def fresh_bucket(monkeypatch):
    """moto's S3 lives for the whole process: each test gets its own bucket."""
    monkeypatch.setitem(globals(), "BUCKET", f"batch-{uuid.uuid4().hex[:12]}")


def nova_body(text: str) -> dict:
    return {"schemaVersion": "messages-v1",
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "inferenceConfig": {"maxTokens": 64, "temperature": 0}}


def put_records(s3, records: list[dict], key: str = "input/questions.jsonl") -> str:
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=key,
                  Body="\n".join(json.dumps(r) for r in records).encode())
    return f"s3://{BUCKET}/{key}"


def records(n: int) -> list[dict]:
    return [{"recordId": f"REC{i:08d}", "modelInput": nova_body(f"What is item number {i}?")}
            for i in range(n)]


def create(bedrock, uri: str, name: str = "batch-test", **kw) -> str:
    return bedrock.create_model_invocation_job(
        jobName=name, roleArn=ROLE, modelId=kw.pop("modelId", MODEL),
        inputDataConfig={"s3InputDataConfig": {"s3Uri": uri}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/output/"}}, **kw)["jobArn"]


def wait(bedrock, arn: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = bedrock.get_model_invocation_job(jobIdentifier=arn)
        if job["status"] not in batch_models.STATUSES_ACTIVE:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job['status']} after {timeout}s")


def read_jsonl(s3, key: str) -> list[dict]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def test_job_runs_every_record_and_writes_output_and_manifest(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    recs = records(120)
    recs[5]["modelInput"] = nova_body("<document>The Wren V3 battery lasts 140 minutes."
                                      "</document>\nHow long does the battery last?")
    arn = create(bedrock, put_records(s3, recs))
    assert_conforms({"jobArn": arn}, "bedrock", "CreateModelInvocationJob")
    job = wait(bedrock, arn)
    assert_conforms(job, "bedrock", "GetModelInvocationJob")
    assert job["status"] == "Completed"
    assert (job["totalRecordCount"], job["processedRecordCount"], job["successRecordCount"],
            job["errorRecordCount"]) == (120, 120, 120, 0)
    job_id = arn.rsplit("/", 1)[-1]
    out = read_jsonl(s3, f"output/{job_id}/questions.jsonl.out")
    assert [o["recordId"] for o in out] == [r["recordId"] for r in recs]  # input order kept
    assert all(o["modelInput"] == r["modelInput"] for o, r in zip(out, recs, strict=True))
    texts = [o["modelOutput"]["output"]["message"]["content"][0]["text"] for o in out]
    assert all(t.startswith(MARKER) for t in texts)
    assert "140 minutes" in texts[5]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"output/{job_id}/manifest.json.out")
                          ["Body"].read())
    assert manifest["successRecordCount"] == 120 and manifest["errorRecordCount"] == 0
    assert manifest["inputTokenCount"] > 0 and manifest["outputTokenCount"] > 0
    assert manifest["outputTokenCount"] == sum(o["modelOutput"]["usage"]["outputTokens"] for o in out)


def test_bad_records_become_error_lines_not_lost(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    recs = records(100)
    recs[3]["modelInput"] = {"messages": "not a list"}  # nova rejects it: a 400 on that record
    s3.create_bucket(Bucket=BUCKET)
    body = "\n".join(json.dumps(r) for r in recs) + "\n{not json\n"
    s3.put_object(Bucket=BUCKET, Key="input/mixed.jsonl", Body=body.encode())
    job = wait(bedrock, create(bedrock, f"s3://{BUCKET}/input/"))
    assert job["status"] == "Completed"
    assert job["totalRecordCount"] == 101
    assert job["errorRecordCount"] == 2 and job["successRecordCount"] == 99
    job_id = job["jobArn"].rsplit("/", 1)[-1]
    out = read_jsonl(s3, f"output/{job_id}/mixed.jsonl.out")
    assert len(out) == 101
    assert out[3]["error"]["errorCode"] == 400 and "modelOutput" not in out[3]
    assert "not valid JSON" in out[-1]["error"]["errorMessage"]


def test_too_few_records_fails_the_job_with_the_quota_message(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    job = wait(bedrock, create(bedrock, put_records(s3, records(10))))
    assert job["status"] == "Failed"
    assert "at least 100" in job["message"]


def test_missing_input_fails_and_bad_requests_are_rejected(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    s3.create_bucket(Bucket=BUCKET)
    job = wait(bedrock, create(bedrock, f"s3://{BUCKET}/nothing-here/"))
    assert job["status"] == "Failed" and "No .jsonl" in job["message"]
    with pytest.raises(ClientError) as err:
        create(bedrock, f"s3://{BUCKET}/x.jsonl", name="retired", modelId="anthropic.claude-v2")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        create(bedrock, "not-a-uri", name="bad-uri")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as err:
        bedrock.get_model_invocation_job(jobIdentifier="abcdef123456")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_converse_invocation_type_and_injected_faults(make_client, engine):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    engine.faults.configure(rpm=40, window_s=0.2, error_rate=0.3, seed=3)
    recs = [{"recordId": f"C{i:010d}", "modelInput": {
        "messages": [{"role": "user", "content": [{"text": f"Say hello {i}"}]}],
        "inferenceConfig": {"maxTokens": 32}}} for i in range(100)]
    job = wait(bedrock, create(bedrock, put_records(s3, recs), modelInvocationType="Converse"))
    assert job["status"] == "Completed"
    assert job["processedRecordCount"] == 100
    assert job["successRecordCount"] + job["errorRecordCount"] == 100
    assert 0 < job["errorRecordCount"] < 20  # 3 tries each: about 0.3**3 of records fail
    out = read_jsonl(s3, f"output/{job['jobArn'].rsplit('/', 1)[-1]}/questions.jsonl.out")
    assert sum("error" in o for o in out) == job["errorRecordCount"]
    assert all(o["error"]["errorCode"] >= 408 for o in out if "error" in o)
    assert "stopReason" in next(o["modelOutput"] for o in out if "modelOutput" in o)


def test_list_and_stop(make_client, engine):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    engine.faults.configure(latency_ms=20)  # slow enough to stop mid-way
    uri = put_records(s3, records(150))
    first = wait(bedrock, create(bedrock, uri, name="first"))
    arn = create(bedrock, uri, name="second")
    deadline = time.monotonic() + 20  # stop it once it has started (not after a fixed sleep:
    while time.monotonic() < deadline:  # a loaded machine may not have begun in 0.2 s)
        if bedrock.get_model_invocation_job(jobIdentifier=arn).get("processedRecordCount"):
            break
        time.sleep(0.02)
    assert bedrock.stop_model_invocation_job(jobIdentifier=arn)["ResponseMetadata"]
    stopped = wait(bedrock, arn)
    assert stopped["status"] == "Stopped"
    assert 0 < stopped["processedRecordCount"] < 150
    listed = bedrock.list_model_invocation_jobs()
    assert_conforms(listed, "bedrock", "ListModelInvocationJobs")
    assert [j["jobName"] for j in listed["invocationJobSummaries"]] == ["second", "first"]
    done = bedrock.list_model_invocation_jobs(statusEquals="Completed")["invocationJobSummaries"]
    assert [j["jobArn"] for j in done] == [first["jobArn"]]
    page = bedrock.list_model_invocation_jobs(maxResults=1, sortOrder="Ascending")
    assert page["invocationJobSummaries"][0]["jobName"] == "first" and page["nextToken"]
    with pytest.raises(ClientError):
        bedrock.stop_model_invocation_job(jobIdentifier=first["jobArn"])
    with pytest.raises(ClientError) as err:
        create(bedrock, uri, name="first")
    assert err.value.response["Error"]["Code"] == "ConflictException"
