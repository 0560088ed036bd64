"""Model customization offline: jobs that run (stages, metric files, failures with line numbers),
custom models, provisioned throughput, and the runtime serving a custom model's ARN."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from shapes import assert_conforms

from local_bedrock.customization import models as cm

NOVA = "amazon.nova-micro-v1:0"
TITAN = "amazon.titan-text-express-v1"
ROLE = "arn:aws:iam::123456789012:role/workshop-customization"
BUCKET = "set-per-test"
PRODUCTS = {"Wren": "floor", "Heron": "floor", "Kite": "outdoor", "Sparrow": "windows"}
PHRASES = {  # what each product's tickets talk about
    "Wren": ["vacuum brush is full of hair", "vacuum dustbin will not click in", "vacuum misses dust on the carpet",
             "vacuum suction is weak on rugs", "vacuum side brush stopped spinning", "vacuum filter is clogged with dust"],
    "Heron": ["mop leaves puddles on the tiles", "mop pads do not spin on the floor", "mop station water tank leaks",
              "mop streaks the wooden floor", "mop station smells of dirty water", "mop pads stay wet after drying"],
    "Kite": ["mower leaves long grass on the lawn", "mower blades rattle when cutting grass", "mower is stuck on tree roots in the garden",
             "mower cuts the lawn unevenly", "mower lost the RTK signal in the garden", "mower drove into the flower bed"],
    "Sparrow": ["window cleaner leaves streaks on the glass", "window cleaner falls off the pane", "window cleaner suction beeps on the glass",
                "window cleaner misses the corners of the window", "window cleaner pads smear the glass", "window cleaner stops at the frame"],
}
PROBLEMS = list(range(6))


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    """Jobs and provisioned throughput move quickly in tests; each test gets its own bucket."""
    monkeypatch.setattr(cm, "PHASE_SECONDS", 0.05)
    monkeypatch.setattr(cm, "PT_READY_SECONDS", 0.1)
    monkeypatch.setitem(globals(), "BUCKET", f"custom-{uuid.uuid4().hex[:12]}")


def conversation(product: str, problem) -> dict:
    text = PHRASES[product][problem] if isinstance(problem, int) else problem
    return {"schemaVersion": "bedrock-conversation-2024", "system": [{"text": "Route the ticket."}],
            "messages": [{"role": "user", "content": [{"text": f"Ticket: My {product} {text}."}]},
                         {"role": "assistant", "content": [{"text": PRODUCTS[product]}]}]}


def put(s3, key: str, lines: list) -> str:
    try:
        s3.create_bucket(Bucket=BUCKET)
    except ClientError:
        pass
    s3.put_object(Bucket=BUCKET, Key=key,
                  Body="\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode())
    return f"s3://{BUCKET}/{key}"


def dataset(s3) -> tuple[str, str]:
    records = [conversation(p, q) for q in PROBLEMS for p in PRODUCTS]
    return put(s3, "train.jsonl", records[:20]), put(s3, "valid.jsonl", records[20:])


def create(bedrock, train: str, valid: str | None = None, name: str = "workshop-job", **kw) -> str:
    params = dict(jobName=name, customModelName=kw.pop("model_name", "workshop-router"), roleArn=ROLE,
                  baseModelIdentifier=kw.pop("base", NOVA), trainingDataConfig={"s3Uri": train},
                  outputDataConfig={"s3Uri": f"s3://{BUCKET}/out/"}, **kw)
    if valid:
        params["validationDataConfig"] = {"validators": [{"s3Uri": valid}]}
    return bedrock.create_model_customization_job(**params)["jobArn"]


def wait(bedrock, arn: str, timeout: float = 30) -> tuple[dict, list[str]]:
    """The final job and every stage string seen while polling."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = bedrock.get_model_customization_job(jobIdentifier=arn)
        assert_conforms(job, "bedrock", "GetModelCustomizationJob")
        stage = "/".join(job["statusDetails"][s]["status"] for s in
                         ("validationDetails", "dataProcessingDetails", "trainingDetails"))
        if not seen or seen[-1] != stage:
            seen.append(stage)
        if job["status"] not in ("InProgress", "Stopping"):
            return job, seen
        time.sleep(0.02)
    raise AssertionError(f"job still {job['status']}")


def read_csv(s3, key: str) -> list[dict]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_job_runs_through_the_stages_and_writes_bedrocks_metric_files(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    arn = create(bedrock, *dataset(s3), hyperParameters={"epochCount": "3"})
    assert_conforms({"jobArn": arn}, "bedrock", "CreateModelCustomizationJob")
    assert "/amazon.nova-micro-v1:0:128k/" in arn
    job, seen = wait(bedrock, arn)
    assert job["status"] == "Completed"
    # what a poller sees depends on when it polls (a loaded machine may miss a 50 ms stage), so
    # check the order of what was seen, and that the stages' own timestamps progress
    order = ["InProgress/NotStarted/NotStarted", "Completed/InProgress/NotStarted",
             "Completed/Completed/InProgress", "Completed/Completed/Completed"]
    assert all(s in order for s in seen) and seen == sorted(seen, key=order.index), seen
    assert seen[-1] == order[-1]
    stages = [job["statusDetails"][f"{s}Details"] for s in ("validation", "dataProcessing", "training")]
    for before, after in zip(stages, stages[1:]):
        assert before["creationTime"] <= before["lastModifiedTime"] <= after["creationTime"]
    assert job["hyperParameters"]["epochCount"] == "3"
    job_id = arn.rsplit("/", 1)[-1]
    folder = f"out/model-customization-job-{job_id}"
    steps = read_csv(s3, f"{folder}/training_artifacts/step_wise_training_metrics.csv")
    valid = read_csv(s3, f"{folder}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv")
    assert list(steps[0]) == ["step_number", "epoch_number", "training_loss", "perplexity"]
    assert len(steps) == 20 * 3 and [r["step_number"] for r in steps[:3]] == ["0", "1", "2"]
    assert {r["epoch_number"] for r in steps} == {"1", "2", "3"}
    assert list(valid[0]) == ["step_number", "epoch_number", "validation_loss", "perplexity"]
    assert len(valid) == 3
    loss = [float(r["training_loss"]) for r in steps]
    assert sum(loss[:5]) / 5 > sum(loss[20:40]) / 20  # the memory has learned by epoch 2
    assert all(abs(float(r["perplexity"]) - __import__("math").exp(float(r["training_loss"]))) < 1e-3
               for r in steps)
    assert job["validationMetrics"] == [{"validationLoss": float(valid[-1]["validation_loss"])}]


def test_custom_model_get_list_and_conflicts(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    train, valid = dataset(s3)
    job, _ = wait(bedrock, create(bedrock, train, valid))
    model = bedrock.get_custom_model(modelIdentifier=job["outputModelArn"])
    assert_conforms(model, "bedrock", "GetCustomModel")
    assert model["modelName"] == "workshop-router" and model["modelStatus"] == "Active"
    assert bedrock.get_custom_model(modelIdentifier="workshop-router")["modelArn"] == model["modelArn"]
    listed = bedrock.list_custom_models(nameContains="router")
    assert_conforms(listed, "bedrock", "ListCustomModels")
    assert [m["modelName"] for m in listed["modelSummaries"]] == ["workshop-router"]
    jobs = bedrock.list_model_customization_jobs(statusEquals="Completed")
    assert_conforms(jobs, "bedrock", "ListModelCustomizationJobs")
    assert jobs["modelCustomizationJobSummaries"][0]["customModelName"] == "workshop-router"
    with pytest.raises(ClientError) as err:
        create(bedrock, train, name="workshop-job-2")  # the custom model name is taken
    assert err.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as err:
        create(bedrock, train, model_name="other")  # the job name is taken
    assert err.value.response["Error"]["Code"] == "ConflictException"


def test_bad_data_fails_the_job_with_line_numbers(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    records = [conversation("Kite", p) for p in PROBLEMS] * 2
    records[2] = "{not json"
    records[6] = {"prompt": "x", "completion": "y"}
    bad = conversation("Wren", "is noisy")
    bad["messages"][1]["content"][0]["text"] = ""
    records[9] = bad
    job, _ = wait(bedrock, create(bedrock, put(s3, "bad.jsonl", records)))
    assert job["status"] == "Failed"
    assert job["statusDetails"]["validationDetails"]["status"] == "Failed"
    message = job["failureMessage"]
    assert "line 3: not valid JSON" in message and "line 7: wrong keys" in message
    assert "line 10: messages[1] (assistant) is empty" in message
    assert "outputModelArn" not in job
    few, _ = wait(bedrock, create(bedrock, put(s3, "few.jsonl", records[:1]), name="few"))
    assert few["status"] == "Failed" and "needs 8 to 20000" in few["failureMessage"]


def test_requests_are_validated_like_bedrock(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    train, _ = dataset(s3)
    cases = [({"hyperParameters": {"epochCount": "9"}}, "ValidationException", "out of range"),
             ({"hyperParameters": {"batchSize": "4"}}, "ValidationException", "Unknown hyperparameter"),
             ({"customizationType": "CONTINUED_PRE_TRAINING"}, "ValidationException", "does not support"),
             ({"base": "mistral.mistral-7b-instruct-v0:2"}, "ValidationException", "does not support"),
             ({"base": "anthropic.claude-v2"}, "ResourceNotFoundException", "end of its life"),
             ({"base": f"us.{NOVA}"}, "ValidationException", "inference profile"),  # base ids only
             ({"base": "anthropic.claude-3-haiku-20240307-v1:0"}, "ResourceNotFoundException",
              "end of its life")]  # fine-tuned on Bedrock until its end of life
    for i, (kw, code, text) in enumerate(cases):
        with pytest.raises(ClientError) as err:
            create(bedrock, train, name=f"bad-{i}", **kw)
        assert err.value.response["Error"]["Code"] == code and text in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        bedrock.get_model_customization_job(jobIdentifier="missing-job")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_stop_a_running_job(make_client, monkeypatch):
    monkeypatch.setattr(cm, "PHASE_SECONDS", 1.0)
    s3, bedrock = make_client("s3"), make_client("bedrock")
    arn = create(bedrock, *dataset(s3))
    bedrock.stop_model_customization_job(jobIdentifier=arn)
    job, _ = wait(bedrock, arn)
    assert job["status"] == "Stopped" and "outputModelArn" not in job
    assert bedrock.list_custom_models()["modelSummaries"] == []
    with pytest.raises(ClientError):
        bedrock.stop_model_customization_job(jobIdentifier=arn)


def test_provisioned_throughput_lifecycle_and_serving(make_client, engine, monkeypatch):
    monkeypatch.setattr(cm, "PT_READY_SECONDS", 3600)  # stays Creating until the test says so
    s3, bedrock, runtime = make_client("s3"), make_client("bedrock"), make_client("bedrock-runtime")
    job, _ = wait(bedrock, create(bedrock, *dataset(s3)))
    model_arn = job["outputModelArn"]
    ask = {"messages": [{"role": "user", "content": [{"text": "Ticket: My Kite mower has a flat tyre on the lawn."}]}]}
    with pytest.raises(ClientError) as err:
        runtime.converse(modelId=model_arn, **ask)
    assert "Provisioned Throughput" in err.value.response["Error"]["Message"]
    pt_arn = bedrock.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="workshop-pt", modelId=model_arn)["provisionedModelArn"]
    assert_conforms({"provisionedModelArn": pt_arn}, "bedrock", "CreateProvisionedModelThroughput")
    pt = bedrock.get_provisioned_model_throughput(provisionedModelId=pt_arn)
    assert_conforms(pt, "bedrock", "GetProvisionedModelThroughput")
    assert pt["status"] == "Creating" and pt["modelArn"] == model_arn and "commitmentDuration" not in pt
    with pytest.raises(ClientError) as err:
        runtime.converse(modelId=pt_arn, **ask)
    assert "Creating" in err.value.response["Error"]["Message"]
    monkeypatch.setattr(cm, "PT_READY_SECONDS", 0)  # time passes: no sleeping in tests
    assert bedrock.get_provisioned_model_throughput(provisionedModelId="workshop-pt")["status"] == "InService"
    listed = bedrock.list_provisioned_model_throughputs()
    assert_conforms(listed, "bedrock", "ListProvisionedModelThroughputs")
    assert [p["provisionedModelName"] for p in listed["provisionedModelSummaries"]] == ["workshop-pt"]
    out = runtime.converse(modelId=pt_arn, **ask)
    assert_conforms(out, "bedrock-runtime", "Converse")
    assert out["output"]["message"]["content"][0]["text"] == "outdoor"  # learned: Kite -> outdoor
    assert "additionalModelResponseFields" not in out  # Nova sends none; the note is a header
    note = json.loads(out["ResponseMetadata"]["HTTPHeaders"]["x-local-bedrock-note"])
    assert "nearest-neighbour memory" in note["note"] and "Kite" in note["nearestExample"]["prompt"]
    body = {"schemaVersion": "messages-v1", "inferenceConfig": {"maxTokens": 5},
            "messages": [{"role": "user", "content": [{"text": "Ticket: My Heron mop leaves water on the floor."}]}]}
    invoked = json.loads(runtime.invoke_model(modelId=pt_arn, body=json.dumps(body))["body"].read())
    assert invoked["output"]["message"]["content"][0]["text"] == "floor"
    with pytest.raises(ClientError) as err:
        bedrock.delete_custom_model(modelIdentifier=model_arn)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    bedrock.delete_provisioned_model_throughput(provisionedModelId=pt_arn)
    assert pt_arn not in engine.custom_models  # served no more, by this engine
    with pytest.raises(ClientError) as err:
        runtime.converse(modelId=pt_arn, **ask)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    bedrock.delete_custom_model(modelIdentifier=model_arn)
    assert bedrock.list_custom_models()["modelSummaries"] == []
    assert bedrock.list_provisioned_model_throughputs()["provisionedModelSummaries"] == []


def test_provisioned_throughput_quotas(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    job, _ = wait(bedrock, create(bedrock, *dataset(s3)))
    arn = job["outputModelArn"]

    def buy(name, **kw):
        return bedrock.create_provisioned_model_throughput(
            modelUnits=kw.pop("units", 1), provisionedModelName=name, modelId=kw.pop("model", arn), **kw)

    for kw, code in (({"units": 2}, "ServiceQuotaExceededException"),
                     ({"commitmentDuration": "OneMonth"}, "ServiceQuotaExceededException"),
                     ({"model": NOVA}, "ValidationException"),
                     ({"model": "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/aaaaaaaaaaaa"},
                      "ResourceNotFoundException")):
        with pytest.raises(ClientError) as err:
            buy("workshop-x", **kw)
        assert err.value.response["Error"]["Code"] == code
    buy("workshop-1")
    buy("workshop-2")
    with pytest.raises(ClientError) as err:
        buy("workshop-3")  # at most two no-commitment throughputs per account
    assert err.value.response["Error"]["Code"] == "ServiceQuotaExceededException"


def test_continued_pretraining_is_refused_now_that_titan_text_is_end_of_life(make_client):
    s3, bedrock = make_client("s3"), make_client("bedrock")
    passages = [{"input": f"The Kite L1 mower uses an RTK reference station {i} metres away."}
                for i in range(30)]
    uri = put(s3, "cpt.jsonl", passages)
    with pytest.raises(ClientError) as err:  # the only models Bedrock continued to pre-train
        create(bedrock, uri, base=TITAN, customizationType="CONTINUED_PRE_TRAINING")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:  # and no active model offers it
        create(bedrock, uri, name="cpt-nova", customizationType="CONTINUED_PRE_TRAINING")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    message = err.value.response["Error"]["Message"]
    assert "does not support CONTINUED_PRE_TRAINING" in message
    assert "No active base model offers it" in message and "titan" not in message
    assert bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"] == []
    cpt = bedrock.list_foundation_models(byCustomizationType="CONTINUED_PRE_TRAINING")
    assert cpt["modelSummaries"] == []
