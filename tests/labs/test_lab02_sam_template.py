"""Lab 02/05: the SAM template of the prompt API passes cfn-lint and agrees with the code.

cfn-lint runs the SAM transform and checks every resource against the CloudFormation specs.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

cfnlint_api = pytest.importorskip("cfnlint.api")
from cfnlint.decode import decode  # noqa: E402

LAB = Path(__file__).resolve().parents[2] / "02_text_generation" / "lambda_app"
TEMPLATE = LAB / "template.yaml"
SCHEMAS = LAB / "src" / "bedrock_api" / "schemas"


def template() -> dict:
    data, errors = decode(str(TEMPLATE))
    assert not errors, errors
    return data


def lint(path: Path) -> list[str]:
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in cfnlint_api.lint_file(path)]


def test_template_passes_cfn_lint():
    assert lint(TEMPLATE) == []


def test_cfn_lint_catches_a_broken_copy(tmp_path):
    broken = TEMPLATE.read_text().replace("Runtime: python3.12", "Runtime: python2.7") \
        .replace("Handler: bedrock_api.handler.lambda_handler", "Handlr: x")
    path = tmp_path / "template.yaml"
    path.write_text(broken)
    found = lint(path)
    assert any("python2.7" in f for f in found), found
    assert any("Handlr" in f for f in found), found


def test_api_model_is_the_prompt_schema_file():
    model = template()["Resources"]["PromptApi"]["Properties"]["Models"]["BedrockPromptSchema"]
    assert json.loads(json.dumps(model)) == json.loads((SCHEMAS / "prompt.schema.json").read_text())


def test_both_schema_files_are_the_seed_decks_draft_04_schemas():
    for name, title, required in (("prompt", "Bedrock Prompt Schema", ["prompt"]),
                                  ("response", "Bedrock Response Schema",
                                   ["response", "statusCode"])):
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
        jsonschema.Draft4Validator.check_schema(schema)
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
        assert schema["title"] == title and schema["required"] == required
        assert all(p["type"] == "string" for p in schema["properties"].values())


def test_gateway_400_body_follows_the_response_schema():
    gr = template()["Resources"]["PromptApi"]["Properties"]["GatewayResponses"]
    body = gr["BAD_REQUEST_BODY"]["ResponseTemplates"]["application/json"]
    rendered = json.loads(body.replace("$context.requestId", "abc-123"))
    response_schema = json.loads((SCHEMAS / "response.schema.json").read_text())
    jsonschema.Draft4Validator(response_schema).validate(rendered)
    assert rendered["statusCode"] == gr["BAD_REQUEST_BODY"]["StatusCode"] == "400"


def test_default_model_agrees_with_code_and_registry():
    import sys

    sys.path.insert(0, str(LAB / "src"))
    from bedrock_api import config

    import utils.models

    params = template()["Parameters"]
    default = params["ModelId"]["Default"]
    assert default == config.DEFAULT_MODEL_ID == utils.models.role("default-text", "us-east-1")
    assert params["FoundationModelId"]["Default"] == utils.models.base_model_id(default)
    statement = template()["Resources"]["PromptFunction"]["Properties"]["Policies"][0]["Statement"][0]
    arns = [r["Fn::Sub"] for r in statement["Resource"]]
    assert any(":inference-profile/${ModelId}" in a for a in arns)
    assert any("bedrock:*::foundation-model/${FoundationModelId}" in a for a in arns)


def test_function_points_at_the_handler_and_reads_the_model_from_the_parameter():
    fn = template()["Resources"]["PromptFunction"]["Properties"]
    module, func = fn["Handler"].rsplit(".", 1)
    assert (LAB / fn["CodeUri"] / (module.replace(".", "/") + ".py")).exists()
    assert func == "lambda_handler"
    env = fn["Environment"]["Variables"]
    assert env["MODEL_ID"] == {"Ref": "ModelId"}
    assert int(env["MAX_BODY_BYTES"]) == config_default("DEFAULT_MAX_BODY_BYTES")
    assert (LAB / fn["CodeUri"] / "requirements.txt").exists()


def test_function_timeout_fits_api_gateway_and_the_client_timeout():
    import sys

    sys.path.insert(0, str(LAB / "src"))
    from bedrock_api import handler

    timeout = template()["Globals"]["Function"]["Timeout"]
    assert timeout <= 29  # API Gateway REST integration timeout
    cfg = handler.CLIENT_CONFIG
    assert (cfg.read_timeout + cfg.connect_timeout) * handler.MAX_ATTEMPTS < timeout
    assert cfg.retries["total_max_attempts"] == handler.MAX_ATTEMPTS  # the first call included


def config_default(name: str):
    import sys

    sys.path.insert(0, str(LAB / "src"))
    from bedrock_api import config

    return getattr(config, name)
