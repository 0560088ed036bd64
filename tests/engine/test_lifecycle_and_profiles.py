"""Model lifecycle, regions and inference profiles: the engine refuses what Bedrock refuses,
with Bedrock's codes and messages, and serves the inference-profile APIs."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from shapes import assert_conforms

from local_bedrock import Engine, InProcessTransport, catalog

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
MSG = [{"role": "user", "content": [{"text": "Hello"}]}]
NOVA_LITE = "amazon.nova-lite-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE_ONLY = ("Invocation of model ID {} with on-demand throughput isn\u2019t supported. Retry "
                "your request with the ID or ARN of an inference profile that contains this model.")


@pytest.fixture
def client():
    """client(service, region): a boto3 client for any region, answered by one engine."""
    engine = Engine()
    transport = InProcessTransport(engine, "http://127.0.0.1:9")

    def make(service: str = "bedrock-runtime", region: str = "us-east-1"):
        c = boto3.client(service, endpoint_url="http://127.0.0.1:9", region_name=region,
                         aws_access_key_id="testing", aws_secret_access_key="testing",
                         config=NO_RETRY)
        transport.attach(c)
        return c

    make.engine = engine
    return make


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def test_end_of_life_models_answer_resource_not_found(client):
    for model in ("anthropic.claude-3-haiku-20240307-v1:0", "amazon.titan-text-express-v1",
                  "us.anthropic.claude-sonnet-4-20250514-v1:0"):
        code, msg = error_of(client().converse, modelId=model, messages=MSG)
        assert code == "ResourceNotFoundException" and "reached the end of its life" in msg


def test_profile_only_model_by_bare_id_is_refused_with_bedrocks_message(client):
    code, msg = error_of(client().converse, modelId=HAIKU, messages=MSG)
    assert (code, msg) == ("ValidationException", PROFILE_ONLY.format(HAIKU))
    assert client().converse(modelId="us." + HAIKU, messages=MSG)["stopReason"] == "end_turn"
    assert client().converse(modelId="global." + HAIKU, messages=MSG)["usage"]["inputTokens"] > 0


def test_nova_v1_is_in_region_in_us_east_1_and_needs_the_us_profile_in_us_west_2(client):
    assert client(region="us-east-1").converse(modelId=NOVA_LITE, messages=MSG)
    code, msg = error_of(client(region="us-west-2").converse, modelId=NOVA_LITE, messages=MSG)
    assert (code, msg) == ("ValidationException", PROFILE_ONLY.format(NOVA_LITE))
    assert client(region="us-west-2").converse(modelId="us." + NOVA_LITE, messages=MSG)
    assert client(region="eu-central-1").converse(modelId="eu." + NOVA_LITE, messages=MSG)


def test_unknown_or_wrong_geography_profiles_are_invalid_identifiers(client):
    for region, model in (("us-east-1", "global." + NOVA_LITE),  # Nova v1 has no global profile
                          ("us-east-1", "eu." + NOVA_LITE),  # an EU profile from a US region
                          ("eu-central-1", "us." + HAIKU),
                          ("us-east-1", "us.amazon.nova-lite-v9:0")):
        code, msg = error_of(client(region=region).converse, modelId=model, messages=MSG)
        assert (code, msg) == ("ValidationException", "The provided model identifier is invalid.")


def test_arns_are_accepted_in_their_own_region_only(client):
    east = client(region="us-east-1")
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_LITE}"
    assert east.converse(modelId=arn, messages=MSG)
    profile = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"
    assert east.converse(modelId=profile, messages=MSG)
    code, _ = error_of(east.converse, modelId=arn.replace("us-east-1", "us-west-2"), messages=MSG)
    assert code == "ValidationException"


def test_foundation_models_report_lifecycle_and_inference_types(client):
    bedrock = client("bedrock")
    listed = bedrock.list_foundation_models()
    assert_conforms(listed, "bedrock", "ListFoundationModels")
    by_id = {m["modelId"]: m for m in listed["modelSummaries"]}
    assert "anthropic.claude-3-haiku-20240307-v1:0" not in by_id  # end of life: not listed
    assert by_id[NOVA_LITE]["inferenceTypesSupported"] == ["ON_DEMAND"]
    assert by_id[HAIKU]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    life = by_id[NOVA_LITE]["modelLifecycle"]
    assert life["status"] == "ACTIVE" and life["startOfLifeTime"].year == 2024
    on_demand = bedrock.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]
    assert NOVA_LITE in {m["modelId"] for m in on_demand}
    assert HAIKU not in {m["modelId"] for m in on_demand}
    west = {m["modelId"]: m for m in client("bedrock", "us-west-2")
            .list_foundation_models()["modelSummaries"]}
    assert west[NOVA_LITE]["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    detail = bedrock.get_foundation_model(modelIdentifier=NOVA_LITE)["modelDetails"]
    assert detail["modelLifecycle"]["status"] == "ACTIVE"


def test_legacy_models_are_served_and_marked(client, monkeypatch):
    legacy = catalog.Lifecycle("LEGACY", launch="2024-12-05", legacy="2026-11-01",
                               eol="2027-05-01")
    model = catalog.find(NOVA_LITE)
    monkeypatch.setattr(type(model), "lifecycle", property(lambda self: legacy), raising=False)
    try:
        assert client().converse(modelId=NOVA_LITE, messages=MSG)
        detail = client("bedrock").get_foundation_model(modelIdentifier=NOVA_LITE)["modelDetails"]
        assert detail["modelLifecycle"]["status"] == "LEGACY"
        assert detail["modelLifecycle"]["endOfLifeTime"].date() == dt.date(2027, 5, 1)
    finally:
        monkeypatch.undo()


def test_system_inference_profiles_are_listed_and_got(client):
    bedrock = client("bedrock")
    listed = bedrock.list_inference_profiles()
    assert_conforms(listed, "bedrock", "ListInferenceProfiles")
    ids = {p["inferenceProfileId"] for p in listed["inferenceProfileSummaries"]}
    assert {"us." + HAIKU, "global." + HAIKU, "us." + NOVA_LITE} <= ids
    assert "eu." + NOVA_LITE not in ids  # its source regions are in Europe
    got = bedrock.get_inference_profile(inferenceProfileIdentifier="us." + HAIKU)
    assert got["type"] == "SYSTEM_DEFINED" and got["status"] == "ACTIVE"
    assert {m["modelArn"].split(":")[3] for m in got["models"]} == {"us-east-1", "us-east-2",
                                                                  "us-west-2"}
    code, _ = error_of(bedrock.get_inference_profile, inferenceProfileIdentifier="eu." + HAIKU)
    assert code == "ResourceNotFoundException"
    page = bedrock.list_inference_profiles(maxResults=2)
    assert len(page["inferenceProfileSummaries"]) == 2 and page["nextToken"]


def test_application_profiles_create_tag_invoke_log_and_delete(client):
    bedrock, runtime = client("bedrock"), client()
    seen = []
    client.engine.observers.append(lambda **kw: seen.append(kw["params"]["modelId"]))
    source = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"
    arn = bedrock.create_inference_profile(
        inferenceProfileName="team-support", modelSource={"copyFrom": source},
        tags=[{"key": "team", "value": "support"}])["inferenceProfileArn"]
    assert ":application-inference-profile/" in arn
    got = bedrock.get_inference_profile(inferenceProfileIdentifier=arn)
    assert_conforms(got, "bedrock", "GetInferenceProfile")
    assert got["type"] == "APPLICATION" and len(got["models"]) == 3
    apps = bedrock.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert [p["inferenceProfileArn"] for p in apps] == [arn]
    bedrock.tag_resource(resourceARN=arn, tags=[{"key": "cost-centre", "value": "cc-42"}])
    bedrock.untag_resource(resourceARN=arn, tagKeys=["team"])
    assert bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "cost-centre", "value": "cc-42"}]
    assert runtime.converse(modelId=arn, messages=MSG)["usage"]["outputTokens"] > 0
    assert seen[-1] == arn  # logs and metrics see the profile, so cost can be split per team
    code, _ = error_of(bedrock.create_inference_profile, inferenceProfileName="team-support",
                       modelSource={"copyFrom": source})
    assert code == "ConflictException"
    bedrock.delete_inference_profile(inferenceProfileIdentifier=arn)
    code, _ = error_of(runtime.converse, modelId=arn, messages=MSG)
    assert code == "ValidationException"


def test_application_profile_from_a_model_needs_it_in_region(client):
    bedrock = client("bedrock")
    ok = bedrock.create_inference_profile(
        inferenceProfileName="nova-app", modelSource={
            "copyFrom": f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_LITE}"})
    assert ok["status"] == "ACTIVE"
    code, msg = error_of(bedrock.create_inference_profile, inferenceProfileName="haiku-app",
                         modelSource={"copyFrom": catalog.model_arn(HAIKU, "us-east-1")})
    assert code == "ValidationException" and "inference profile" in msg


def test_an_unserved_operation_is_a_client_error_not_a_python_exception(client):
    code, msg = error_of(client("bedrock").list_prompt_routers)
    assert code in ("NotImplementedException", "UnknownOperationException")
    assert "offline" in msg or "local engine" in msg


def test_roles_resolve_per_region():
    for region in catalog.WORKSHOP_REGIONS:
        for tag in ("default-text", "cheapest-text", "claude", "default-embedding"):
            ident = catalog.invocation_id(catalog.by_tag(tag), region)
            assert ident is not None, (tag, region)
    assert catalog.invocation_id(catalog.by_tag("default-text"), "us-west-2") == "us." + NOVA_LITE
    assert catalog.invocation_id(catalog.by_tag("default-text"), "eu-central-1") == "eu." + NOVA_LITE
    arns = catalog.invocation_arns(catalog.find(HAIKU), "us-west-2", "111122223333")
    assert arns[0].endswith(f":inference-profile/us.{HAIKU}")
    assert {a.split(":")[3] for a in arns[1:]} == {"us-east-1", "us-east-2", "us-west-2"}


def test_an_application_profile_answers_as_the_model_it_copies(make_client):
    """Answers are seeded by the resolved model, not by the profile's random id: the same request
    through an application profile and through its model gets the same text and usage."""
    bedrock, runtime = make_client("bedrock"), make_client("bedrock-runtime")
    source = bedrock.get_foundation_model(modelIdentifier="amazon.nova-lite-v1:0")["modelDetails"]["modelArn"]
    arn = bedrock.create_inference_profile(inferenceProfileName="seeded-as-model",
                                           modelSource={"copyFrom": source})["inferenceProfileArn"]
    kw = {"messages": [{"role": "user", "content": [{"text": "Two sentences on operating LLM apps."}]}],
          "inferenceConfig": {"temperature": 0}}
    via_profile, direct = runtime.converse(modelId=arn, **kw), runtime.converse(modelId="amazon.nova-lite-v1:0", **kw)
    assert via_profile["output"] == direct["output"] and via_profile["usage"] == direct["usage"]
