"""Evaluation jobs run offline: automatic, model-as-judge and RAG jobs complete and write their
results to S3 in Bedrock's documented layout; stop, delete, failures; the metrics by hand."""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError
from shapes import assert_conforms, output_shape, problems

from local_bedrock.evaluation import algorithmic, perturb, runner, spec
from local_bedrock.evaluation.judge import Case, judge
from local_bedrock.faults import FaultConfig

ROLE = "arn:aws:iam::123456789012:role/eval-role"
MODEL, JUDGE = "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0"
BUCKET = "eval-bucket"
KB = "KESTRELKB1"
# s3://<output path>/<job-name>/<job-uuid>/models/<model-id>/taskTypes/<task-type>/datasets/
# <dataset>/<file-uuid>_output.jsonl (model-evaluation-report-s3.html)
LAYOUT = re.compile(r"^out/(?P<job>[a-z0-9-]+)/(?P<id>[a-z0-9]{12})/models/(?P<model>[^/]+)/"
                    r"taskTypes/(?P<task>[^/]+)/datasets/(?P<dataset>[^/]+)/"
                    r"[0-9a-f-]{36}_output\.jsonl$")
LABELS = "Classify the sentiment of this review as one of: positive, negative.\nReview: "


@pytest.fixture
def aws(make_client):
    """(bedrock, s3) clients with an empty bucket (moto's S3 outlives each test's engine)."""
    s3 = make_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for obj in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    return make_client("bedrock"), s3


def put(s3, key: str, records: list[dict]) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(json.dumps(r) for r in records).encode())
    return f"s3://{BUCKET}/{key}"


def wait(bedrock, arn: str, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = bedrock.get_evaluation_job(jobIdentifier=arn)
        if job["status"] not in ("InProgress", "Stopping"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job['status']} after {timeout} s")


def results(s3, prefix: str = "out/") -> dict[str, list[dict]]:
    """Result file key -> its JSON lines."""
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    return {k: [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()
                .decode().splitlines()] for k in keys}


def model_job(name: str, configs: list[dict], evaluator: str | None = None,
              model: dict | None = None) -> dict:
    automated: dict = {"datasetMetricConfigs": configs}
    if evaluator:
        automated["evaluatorModelConfig"] = {"bedrockEvaluatorModels": [{"modelIdentifier": evaluator}]}
    return {"jobName": name, "roleArn": ROLE, "evaluationConfig": {"automated": automated},
            "inferenceConfig": {"models": [model or {"bedrockModel": {
                "modelIdentifier": MODEL,
                "inferenceParams": json.dumps({"inferenceConfig": {"maxTokens": 80}})}}]},
            "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/out/"}}


def rag_job(name: str, uri: str, metrics: tuple[str, ...], rag: dict) -> dict:
    return {"jobName": name, "roleArn": ROLE, "applicationType": "RagEvaluation",
            "evaluationConfig": {"automated": {
                "datasetMetricConfigs": [{"taskType": "General", "metricNames": list(metrics),
                                          "dataset": {"name": "kestrel",
                                                      "datasetLocation": {"s3Uri": uri}}}],
                "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": JUDGE}]}}},
            "inferenceConfig": {"ragConfigs": [rag]},
            "outputDataConfig": {"s3Uri": f"s3://{BUCKET}/out/"}}


def turn(question: str, answer: str | None = None, output: dict | None = None) -> dict:
    t: dict = {"prompt": {"content": [{"text": question}]}}
    if answer:
        t["referenceResponses"] = [{"content": [{"text": answer}]}]
    if output:
        t["output"] = output
    return {"conversationTurns": [t]}


# ------------------------------------------------------------------------ automatic jobs


def test_automatic_job_completes_and_writes_the_documented_layout(aws):
    bedrock, s3 = aws
    records = [{"prompt": LABELS + "Lovely fabric, fits perfectly.", "referenceResponse": "positive",
                "category": "clothes"},
               {"prompt": LABELS + "It ripped after one wash.", "referenceResponse": "negative"},
               {"prompt": "Question: Which planet is known as the Red Planet?\nAnswer briefly.",
                "referenceResponse": "Mars"}]
    uri = put(s3, "data/mixed.jsonl", records)
    arn = bedrock.create_evaluation_job(**model_job("auto-qa", [
        {"taskType": "Classification", "dataset": {"name": "reviews", "datasetLocation": {"s3Uri": uri}},
         "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"]},
        {"taskType": "QuestionAndAnswer", "dataset": {"name": "qa", "datasetLocation": {"s3Uri": uri}},
         "metricNames": ["Builtin.Accuracy", "Builtin.Toxicity"]}]))["jobArn"]
    assert bedrock.get_evaluation_job(jobIdentifier=arn)["status"] == "InProgress"
    job = wait(bedrock, arn)
    assert_conforms(job, "bedrock", "GetEvaluationJob")
    assert job["status"] == "Completed" and "failureMessages" not in job
    files = results(s3)
    assert len(files) == 2
    by_task = {}
    for key, lines in files.items():
        m = LAYOUT.match(key)
        assert m, key
        assert (m["job"], m["id"], m["model"]) == ("auto-qa", arn.rsplit("/", 1)[1], MODEL)
        by_task[m["task"]] = (m["dataset"], lines)
    dataset, lines = by_task["Classification"]
    assert dataset == "reviews" and len(lines) == 3
    for line, record in zip(lines, records, strict=True):
        assert list(line) == ["automatedEvaluationResult", "inputRecord", "modelResponses"]
        assert line["inputRecord"] == record
        (resp,) = line["modelResponses"]
        assert resp["modelIdentifier"] == f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}"
        names = [s["metricName"] for s in line["automatedEvaluationResult"]["scores"]]
        assert names == ["Accuracy", "Robustness"]  # the docs' example names, no Builtin. prefix
    first = {s["metricName"]: s["result"] for s in lines[0]["automatedEvaluationResult"]["scores"]}
    assert lines[0]["modelResponses"][0]["response"] == "positive" and first["Accuracy"] == 1.0
    _, qa = by_task["QuestionAndAnswer"]
    for line in qa:
        scores = {s["metricName"]: s["result"] for s in line["automatedEvaluationResult"]["scores"]}
        response, reference = line["modelResponses"][0]["response"], line["inputRecord"]["referenceResponse"]
        assert scores["Accuracy"] == pytest.approx(algorithmic.f1(response, reference), abs=1e-4)
        assert scores["Toxicity"] == 0.0


def test_builtin_datasets_of_every_task_run_on_the_engine_stand_ins(aws):
    bedrock, s3 = aws
    configs = [
        {"taskType": "Summarization", "dataset": {"name": "Builtin.Gigaword"},
         "metricNames": ["Builtin.Accuracy", "Builtin.Toxicity"]},
        {"taskType": "Classification", "dataset": {"name": "Builtin.WomensEcommerceClothingReviews"},
         "metricNames": ["Builtin.Accuracy"]},
        {"taskType": "General", "dataset": {"name": "Builtin.T-Rex"},
         "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"]},
        {"taskType": "QuestionAndAnswer", "dataset": {"name": "Builtin.TriviaQa"},
         "metricNames": ["Builtin.Accuracy"]},
    ]
    job = wait(bedrock, bedrock.create_evaluation_job(**model_job("builtins", configs))["jobArn"])
    assert job["status"] == "Completed", job.get("failureMessages")
    found = {LAYOUT.match(k)["dataset"]: lines for k, lines in results(s3).items()}
    assert set(found) == {"Builtin.Gigaword", "Builtin.WomensEcommerceClothingReviews",
                          "Builtin.T-Rex", "Builtin.TriviaQa"}
    reviews = found["Builtin.WomensEcommerceClothingReviews"]
    accuracy = [line["automatedEvaluationResult"]["scores"][0]["result"] for line in reviews]
    assert len(reviews) == 20 and 0 < sum(accuracy) < 20  # the stand-in picks labels, not always right
    for line in found["Builtin.Gigaword"]:
        bert = line["automatedEvaluationResult"]["scores"][0]["result"]
        assert 0.0 < bert < 1.0


def test_a_failed_invocation_keeps_its_line_without_scores(aws, engine):
    bedrock, s3 = aws
    uri = put(s3, "data/one.jsonl", [{"prompt": "Say hello.", "referenceResponse": "hello"}])
    engine.faults.configure(FaultConfig(error_rate=1.0))
    job = wait(bedrock, bedrock.create_evaluation_job(**model_job("faulty", [
        {"taskType": "QuestionAndAnswer", "dataset": {"name": "d", "datasetLocation": {"s3Uri": uri}},
         "metricNames": ["Builtin.Accuracy"]}]))["jobArn"])
    assert job["status"] == "Completed"
    (lines,) = results(s3).values()
    assert lines[0]["automatedEvaluationResult"]["scores"] == []
    assert lines[0]["modelResponses"][0]["response"] == ""


# ------------------------------------------------------------------------ model as judge


JUDGE_RECORDS = [
    {"prompt": "<document>Express shipping costs $19 and delivers in 2 business days.</document>\n"
               "How much does express shipping cost?", "referenceResponse": "$19",
     "category": "passage"},
    {"prompt": LABELS + "The robot got stuck every day.", "referenceResponse": "negative"},
    {"prompt": "What is the capital of Australia? Answer briefly.", "referenceResponse": "Canberra"},
]


def test_judge_job_scores_every_metric_with_the_documented_scales(aws):
    bedrock, s3 = aws
    uri = put(s3, "data/judge.jsonl", JUDGE_RECORDS)
    job = wait(bedrock, bedrock.create_evaluation_job(**model_job("judged", [
        {"taskType": "General", "dataset": {"name": "support", "datasetLocation": {"s3Uri": uri}},
         "metricNames": list(spec.JUDGE)}], evaluator=JUDGE))["jobArn"])
    assert job["status"] == "Completed", job.get("failureMessages")
    summary = bedrock.list_evaluation_jobs()["jobSummaries"][0]
    assert summary["evaluatorModelIdentifiers"] == [JUDGE]
    ((key, lines),) = results(s3).items()
    assert LAYOUT.match(key)["task"] == "General"
    verdicts = []
    for line in lines:
        scores = {s["metricName"]: s for s in line["automatedEvaluationResult"]["scores"]}
        assert list(scores) == list(spec.JUDGE)
        for name, s in scores.items():
            (details,) = s["evaluatorDetails"]
            assert details["modelIdentifier"] == JUDGE
            assert details["explanation"].startswith("Local engine judge (rule-based, not an LLM)")
            steps = {spec.normalized(name, label) for label, _ in spec.SCALES[name]}
            assert s["result"] in steps  # a documented label, normalised
        verdicts.append({n: s["result"] for n, s in scores.items()})
    passage, label, closed = verdicts
    assert passage["Builtin.Correctness"] == 1.0 and passage["Builtin.Refusal"] == 0.0
    assert passage["Builtin.FollowingInstructions"] is None  # no explicit instruction: NaN/null
    assert label["Builtin.FollowingInstructions"] == 1.0  # answered with one of the labels
    assert closed["Builtin.Refusal"] == 1.0 and closed["Builtin.Correctness"] == 0.0


def test_judge_job_with_your_own_responses(aws):
    bedrock, s3 = aws
    records = [dict(r, modelResponses=[{"response": answer, "modelIdentifier": "my-app"}])
               for r, answer in zip(JUDGE_RECORDS, ["Express shipping costs $19.",
                                                    "negative", "I cannot help with that."],
                                    strict=True)]
    records.append({"prompt": "Rate my essay.", "modelResponses": [
        {"response": "You are an idiot and your essay is garbage.", "modelIdentifier": "my-app"}]})
    uri = put(s3, "data/byoi.jsonl", records)
    byoi = {"precomputedInferenceSource": {"inferenceSourceIdentifier": "my-app"}}
    job = wait(bedrock, bedrock.create_evaluation_job(**model_job("byoi", [
        {"taskType": "General", "dataset": {"name": "mine", "datasetLocation": {"s3Uri": uri}},
         "metricNames": ["Builtin.Correctness", "Builtin.Harmfulness", "Builtin.Refusal",
                         "Builtin.ProfessionalStyleAndTone"]}], evaluator=JUDGE, model=byoi))["jobArn"])
    assert job["status"] == "Completed", job.get("failureMessages")
    ((key, lines),) = results(s3).items()
    assert LAYOUT.match(key)["model"] == "my-app"
    got = [{s["metricName"]: s["result"] for s in line["automatedEvaluationResult"]["scores"]}
           for line in lines]
    assert [line["modelResponses"][0]["response"] for line in lines][:2] == [
        "Express shipping costs $19.", "negative"]
    assert "modelResponses" not in lines[0]["inputRecord"]
    assert got[0]["Builtin.Correctness"] == 1.0 and got[1]["Builtin.Correctness"] == 1.0
    assert got[2]["Builtin.Refusal"] == 1.0
    assert got[3]["Builtin.Harmfulness"] == 1.0 and got[3]["Builtin.ProfessionalStyleAndTone"] == 0.0
    # a record without a response from the named source fails the job, with the reason
    put(s3, "data/bad.jsonl", [{"prompt": "Hi", "modelResponses": [
        {"response": "Hello", "modelIdentifier": "other-app"}]}])
    failed = wait(bedrock, bedrock.create_evaluation_job(**model_job("byoi-bad", [
        {"taskType": "General", "dataset": {"name": "bad", "datasetLocation": {
            "s3Uri": f"s3://{BUCKET}/data/bad.jsonl"}}, "metricNames": ["Builtin.Refusal"]}],
        evaluator=JUDGE, model=byoi))["jobArn"])
    assert failed["status"] == "Failed" and "my-app" in failed["failureMessages"][0]
    # a record of the wrong type fails the job with the reason, not with an engine error
    put(s3, "data/typed.jsonl", [{"prompt": "Hi", "referenceResponse": 42}])
    typed = wait(bedrock, bedrock.create_evaluation_job(**model_job("typed", [
        {"taskType": "QuestionAndAnswer", "dataset": {"name": "typed", "datasetLocation": {
            "s3Uri": f"s3://{BUCKET}/data/typed.jsonl"}}, "metricNames": ["Builtin.Accuracy"]}]))[
        "jobArn"])
    assert typed["status"] == "Failed"
    assert typed["failureMessages"] == ["Record 1 of dataset typed: referenceResponse must be a "
                                        "string."]


# ------------------------------------------------------------------------ RAG jobs


RAG = [turn("Where do online orders ship from?",
            "All online orders ship from the Reno Distribution Centre in Nevada."),
       turn("How many days of paid sick leave do employees get?",
            "10 days of paid sick leave per fiscal year.")]
RETRIEVE = {"knowledgeBaseConfig": {"retrieveConfig": {
    "knowledgeBaseId": KB, "knowledgeBaseRetrievalConfiguration": {
        "vectorSearchConfiguration": {"numberOfResults": 3}}}}}
GENERATE = {"knowledgeBaseConfig": {"retrieveAndGenerateConfig": {
    "type": "KNOWLEDGE_BASE", "knowledgeBaseConfiguration": {"knowledgeBaseId": KB,
                                                             "modelArn": MODEL}}}}


def test_retrieve_only_rag_job_on_the_builtin_knowledge_base(aws):
    bedrock, s3 = aws
    uri = put(s3, "data/rag.jsonl", RAG)
    arn = bedrock.create_evaluation_job(**rag_job("rag-retrieve", uri, spec.RAG_RETRIEVE,
                                                  RETRIEVE))["jobArn"]
    job = wait(bedrock, arn)
    assert job["status"] == "Completed", job.get("failureMessages")
    assert job["applicationType"] == "RagEvaluation"
    listed = bedrock.list_evaluation_jobs(applicationTypeEquals="RagEvaluation")
    # the one departure from botocore's output enum: the task type "General" the request used
    found = problems(listed, output_shape("bedrock", "ListEvaluationJobs"))
    assert found == ["$.jobSummaries[0].evaluationTaskTypes[0]: 'General' is not one of "
                     "['Summarization', 'Classification', 'QuestionAndAnswer', 'Generation', "
                     "'Custom']"]
    (summary,) = listed["jobSummaries"]
    assert summary["ragIdentifiers"] == [KB]
    assert summary["inferenceConfigSummary"]["ragConfigSummary"]["bedrockKnowledgeBaseIdentifiers"] == [KB]
    ((key, lines),) = results(s3).items()
    assert LAYOUT.match(key)["model"] == KB
    for line, record in zip(lines, RAG, strict=True):
        (t,) = line["conversationTurns"]
        assert t["prompt"] == record["conversationTurns"][0]["prompt"]
        assert t["output"]["knowledgeBaseIdentifier"] == KB
        passages = t["output"]["retrievedResults"]["retrievalResults"]
        assert len(passages) == 3 and all(p["content"]["text"] for p in passages)
        scores = {r["metricName"]: r["result"] for r in t["results"]}
        assert set(scores) == set(spec.RAG_RETRIEVE)
        assert scores["Builtin.ContextCoverage"] >= 0.75  # the built-in corpus holds the answers


def test_retrieve_and_generate_rag_job_scores_answers_and_citations(aws):
    bedrock, s3 = aws
    uri = put(s3, "data/rag.jsonl", RAG)
    job = wait(bedrock, bedrock.create_evaluation_job(**rag_job(
        "rag-generate", uri, spec.RAG_GENERATE, GENERATE))["jobArn"])
    assert job["status"] == "Completed", job.get("failureMessages")
    ((_, lines),) = results(s3).items()
    for line in lines:
        (t,) = line["conversationTurns"]
        out = t["output"]
        assert out["text"] and out["knowledgeBaseIdentifier"] == KB
        assert out["retrievedPassages"]["retrievalResults"] and out["citations"]
        scores = {r["metricName"]: r["result"] for r in t["results"]}
        assert list(scores) == list(spec.RAG_GENERATE)
        assert scores["Builtin.Correctness"] == 1.0 and scores["Builtin.CitationPrecision"] == 1.0


def test_rag_job_with_your_own_retrievals(aws):
    bedrock, s3 = aws
    good = {"knowledgeBaseIdentifier": "my-rag", "retrievedResults": {"retrievalResults": [
        {"content": {"text": "All online orders ship from our Reno Distribution Centre in Nevada."}}]}}
    bad = {"knowledgeBaseIdentifier": "my-rag", "retrievedResults": {"retrievalResults": [
        {"content": {"text": "The office canteen serves soup on Fridays."}}]}}
    question = "Where do online orders ship from?"
    reference = "From the Reno Distribution Centre in Nevada."
    uri = put(s3, "data/own.jsonl", [turn(question, reference, good), turn(question, reference, bad)])
    pre = {"precomputedRagSourceConfig": {"retrieveSourceConfig": {"ragSourceIdentifier": "my-rag"}}}
    job = wait(bedrock, bedrock.create_evaluation_job(**rag_job("rag-own", uri, spec.RAG_RETRIEVE,
                                                                pre))["jobArn"])
    assert job["status"] == "Completed", job.get("failureMessages")
    ((key, lines),) = results(s3).items()
    assert LAYOUT.match(key)["model"] == "my-rag"
    good_scores, bad_scores = ({r["metricName"]: r["result"] for r in line["conversationTurns"][0]
                                ["results"]} for line in lines)
    assert good_scores["Builtin.ContextRelevance"] > bad_scores["Builtin.ContextRelevance"]
    assert good_scores["Builtin.ContextCoverage"] == 1.0 and bad_scores["Builtin.ContextCoverage"] == 0.0


def test_rag_job_on_a_missing_knowledge_base_fails_with_the_reason(aws):
    bedrock, s3 = aws
    uri = put(s3, "data/rag.jsonl", RAG)
    rag = json.loads(json.dumps(RETRIEVE).replace(KB, "NOSUCHKB00"))
    job = wait(bedrock, bedrock.create_evaluation_job(**rag_job("rag-missing", uri,
                                                                spec.RAG_RETRIEVE, rag))["jobArn"])
    assert job["status"] == "Failed" and "NOSUCHKB00" in job["failureMessages"][0]
    assert results(s3) == {}


# ------------------------------------------------------------------------ lifecycle


def test_stop_moves_a_running_job_to_stopped_without_results(aws, monkeypatch):
    bedrock, s3 = aws
    monkeypatch.setattr(runner, "START_DELAY_S", 5.0)
    arn = bedrock.create_evaluation_job(**model_job("to-stop", [
        {"taskType": "QuestionAndAnswer", "dataset": {"name": "Builtin.BoolQ"},
         "metricNames": ["Builtin.Accuracy"]}]))["jobArn"]
    bedrock.stop_evaluation_job(jobIdentifier=arn)
    assert bedrock.get_evaluation_job(jobIdentifier=arn)["status"] in ("Stopping", "Stopped")
    assert wait(bedrock, arn)["status"] == "Stopped"
    assert results(s3) == {}
    with pytest.raises(ClientError) as err:
        bedrock.stop_evaluation_job(jobIdentifier=arn)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_batch_delete_removes_finished_jobs_only(aws, monkeypatch):
    bedrock, s3 = aws
    uri = put(s3, "data/one.jsonl", [{"prompt": "Say hello.", "referenceResponse": "hello"}])
    config = [{"taskType": "QuestionAndAnswer", "dataset": {"name": "d", "datasetLocation": {
        "s3Uri": uri}}, "metricNames": ["Builtin.Accuracy"]}]
    done = bedrock.create_evaluation_job(**model_job("done", config))["jobArn"]
    wait(bedrock, done)
    monkeypatch.setattr(runner, "START_DELAY_S", 5.0)
    running = bedrock.create_evaluation_job(**model_job("running", config))["jobArn"]
    out = bedrock.batch_delete_evaluation_job(jobIdentifiers=[done, running])
    assert_conforms(out, "bedrock", "BatchDeleteEvaluationJob")
    assert out["evaluationJobs"] == [{"jobIdentifier": done, "jobStatus": "Deleting"}]
    assert [e["jobIdentifier"] for e in out["errors"]] == [running]
    assert [j["jobName"] for j in bedrock.list_evaluation_jobs()["jobSummaries"]] == ["running"]
    bedrock.stop_evaluation_job(jobIdentifier=running)


def test_unreadable_dataset_or_output_fails_the_job_with_the_reason(aws):
    bedrock, s3 = aws
    missing = f"s3://{BUCKET}/data/nothing.jsonl"
    job = wait(bedrock, bedrock.create_evaluation_job(**model_job("no-data", [
        {"taskType": "QuestionAndAnswer", "dataset": {"name": "d", "datasetLocation": {
            "s3Uri": missing}}, "metricNames": ["Builtin.Accuracy"]}]))["jobArn"])
    assert job["status"] == "Failed" and missing in job["failureMessages"][0]
    req = model_job("no-bucket", [{"taskType": "QuestionAndAnswer", "dataset": {
        "name": "Builtin.BoolQ"}, "metricNames": ["Builtin.Toxicity"]}])
    req["outputDataConfig"] = {"s3Uri": "s3://no-such-bucket-here/out/"}
    job = wait(bedrock, bedrock.create_evaluation_job(**req)["jobArn"])
    assert job["status"] == "Failed" and "no-such-bucket-here" in job["failureMessages"][0]


@pytest.mark.parametrize(("job", "code"), [
    (model_job("judge-metric-no-judge", [{"taskType": "General", "dataset": {
        "name": "d", "datasetLocation": {"s3Uri": f"s3://{BUCKET}/d.jsonl"}},
        "metricNames": ["Builtin.Correctness"]}]), "ValidationException"),
    (model_job("accuracy-with-judge", [{"taskType": "General", "dataset": {
        "name": "d", "datasetLocation": {"s3Uri": f"s3://{BUCKET}/d.jsonl"}},
        "metricNames": ["Builtin.Accuracy"]}], evaluator=JUDGE), "ValidationException"),
    (model_job("judge-builtin-dataset", [{"taskType": "QuestionAndAnswer", "dataset": {
        "name": "Builtin.BoolQ"}, "metricNames": ["Builtin.Correctness"]}], evaluator=JUDGE),
     "ValidationException"),
    (model_job("bad-task", [{"taskType": "Poetry", "dataset": {"name": "Builtin.BoolQ"},
                             "metricNames": ["Builtin.Accuracy"]}]), "ValidationException"),
    (model_job("unknown-judge", [{"taskType": "General", "dataset": {
        "name": "d", "datasetLocation": {"s3Uri": f"s3://{BUCKET}/d.jsonl"}},
        "metricNames": ["Builtin.Correctness"]}], evaluator="anthropic.claude-v2"),
     "ResourceNotFoundException"),
    (rag_job("rag-generate-metric-on-retrieve", f"s3://{BUCKET}/d.jsonl",
             ("Builtin.Correctness",), RETRIEVE), "ValidationException"),
    (dict(rag_job("rag-with-models", f"s3://{BUCKET}/d.jsonl", spec.RAG_RETRIEVE, RETRIEVE),
          inferenceConfig={"models": [{"bedrockModel": {"modelIdentifier": MODEL}}]}),
     "ValidationException"),
])
def test_malformed_jobs_are_refused_like_bedrock(aws, job, code):
    bedrock, _ = aws
    with pytest.raises(ClientError) as err:
        bedrock.create_evaluation_job(**job)
    assert err.value.response["Error"]["Code"] == code


def test_custom_metrics_are_refused_as_not_served(aws):
    bedrock, _ = aws
    job = model_job("custom", [{"taskType": "General", "dataset": {
        "name": "d", "datasetLocation": {"s3Uri": f"s3://{BUCKET}/d.jsonl"}},
        "metricNames": ["Builtin.Correctness"]}], evaluator=JUDGE)
    job["evaluationConfig"]["automated"]["customMetricConfig"] = {
        "customMetrics": [{"customMetricDefinition": {"name": "tone", "instructions": "Rate it."}}],
        "evaluatorModelConfig": {"bedrockEvaluatorModels": [{"modelIdentifier": JUDGE}]}}
    with pytest.raises(ClientError) as err:
        bedrock.create_evaluation_job(**job)
    assert err.value.response["Error"]["Code"] == "NotImplementedException"
    assert "live mode" in err.value.response["Error"]["Message"]


# ------------------------------------------------------------------------ the metrics by hand


def test_algorithmic_metrics_by_hand():
    assert algorithmic.f1("The Eiffel Tower", "Eiffel Tower") == 1.0
    # {leonardo, da, vinci, painted, it, is, who} vs {leonardo, da, vinci}: p 3/7, r 1
    assert algorithmic.f1("It is Leonardo da Vinci who painted it", "Leonardo da Vinci") == \
        pytest.approx(2 * (3 / 7) / (3 / 7 + 1))
    assert algorithmic.f1("Jefferson", "Thomas Jefferson<OR>Jefferson") == 1.0
    assert algorithmic.knowledge("It is Tokyo, of course.", "Kyoto<OR>Tokyo") == 1.0
    assert algorithmic.knowledge("Kyotoo", "Kyoto") == 0.0
    assert algorithmic.classification(" Positive. ", "positive") == 1.0
    assert algorithmic.word_error_rate("the cat sat", "the cat sat") == 0.0
    assert algorithmic.word_error_rate("the dog sat down", "the cat sat") == pytest.approx(2 / 3)
    # robustness: mean |F1(original) - F1(perturbed)| over the perturbations
    assert algorithmic.robustness("QuestionAndAnswer", "Mars", ["Mars", "mars planet", "Venus"],
                                  "Mars") == pytest.approx((0 + 1 / 3 + 1) / 3, abs=1e-4)
    assert algorithmic.robustness("Generation", "a b c", ["a b c", "a x c"], None) == \
        pytest.approx(1 / 6, abs=1e-4)
    assert algorithmic.bert_score("the cat sat on the mat", "the cat sat on the mat") == \
        pytest.approx(1.0, abs=1e-4)
    assert algorithmic.toxicity("You are an idiot and I will hurt you.") > 0.8
    assert algorithmic.toxicity("Thanks, the order ships on Monday.") < 0.1


def test_perturbations_are_the_documented_kinds_and_reproducible():
    prompt = "Who painted the Mona Lisa in 1503? Answer briefly."
    out = perturb.perturbations(prompt)
    assert out == perturb.perturbations(prompt) and len(out) == 5
    assert out[0] == prompt.lower()
    assert "one thousand five hundred three" in out[2]
    assert all(p.lower().replace(" ", "") != "" for p in out)
    assert sum(p != prompt for p in out) >= 4
    assert perturb.number_words(1999) == "one thousand nine hundred ninety-nine"


def test_judge_labels_follow_the_rubrics():
    yes_no = Case("Passage: ...\nQuestion: is it red?\nAnswer with one of: yes, no.", "no", "yes")
    assert judge("Builtin.Correctness", yes_no).score == 0.0
    assert judge("Builtin.FollowingInstructions", yes_no).score == 1.0
    long = Case("Summarize in one sentence.", "First point. Second point. Third point.")
    assert judge("Builtin.FollowingInstructions", long).label == "No"
    refusal = Case("How do I pick a lock?", "I can't help with that.")
    assert judge("Builtin.Refusal", refusal).score == 1.0
    assert judge("Builtin.Relevance", refusal).label == "completely"  # "I can't" is relevant
    assert judge("Builtin.Faithfulness", refusal).label == "all is faithful"
    stereo = Case("Describe nurses.", "All women are bad at maths.")
    assert judge("Builtin.Stereotyping", stereo).score == 1.0
    assert spec.normalized("Builtin.Helpfulness", "somewhat helpful") == pytest.approx(4 / 6, abs=1e-4)
    assert spec.normalized("Builtin.Correctness", "partially correct") == 0.5
    assert spec.normalized("Builtin.FollowingInstructions", "Not applicable") is None
