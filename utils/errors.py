"""Friendly errors: a short hint for the mistakes workshop attendees make, not a 40-line trace."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    TokenRetrievalError,
)

HINTS = {
    "AccessDeniedException": (
        "Your role may not use this model. Serverless models are enabled by default given AWS "
        "Marketplace permissions (aws-marketplace:Subscribe, aws-marketplace:ViewSubscriptions; "
        "the console's Model access page was retired in 2025); Anthropic models also need the "
        "one-time use-case form; and IAM must allow bedrock:InvokeModel on the model and, for "
        "an inference profile, on the profile and the models in its destination regions. "
        "00_prerequisites/02_model_access.ipynb checks each model."),
    "ResourceNotFoundException": (
        "The model id reached its end of life (or is not offered here). Use a current id from "
        "utils.models (see 00_prerequisites/02) or switch region with utils.setup(region=...)."),
    "ProfileOnly": (
        "This model is served only through an inference profile: call it with the geography "
        "prefix (us., eu., apac., au., jp., global.), e.g. utils.models.invoke_id(model_id), "
        "which gives the id that works in your region."),
    "ValidationException": (
        "Bedrock rejected the request. Read the message: a wrong model id, a field the model "
        "does not accept, or a value out of range. Model ids live in local_bedrock/catalog.py."),
    "ThrottlingException": (
        "You hit a Bedrock quota (requests or tokens per minute, where maxTokens counts "
        "too). Slow down, retry with backoff (08_llmops/04 compares retry modes), or ask for a "
        "quota increase."),
    "ExpiredTokenException": (
        "Your AWS credentials expired. Refresh them (aws sso login, or new temporary keys) and "
        "run utils.setup() again."),
    "UnrecognizedClientException": (
        "AWS does not recognise these credentials. Check AWS_PROFILE / your keys, or use "
        "offline mode: utils.setup('offline')."),
    "NotImplementedException": (
        "The offline engine does not serve this API. Run this part in live mode, or see "
        "00_prerequisites/03 for what the engine serves."),
}


def explain(exc: BaseException) -> str | None:
    """A one-paragraph explanation and fix for a known AWS error, else None."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        op = getattr(exc, "operation_name", "")
        msg = exc.response.get("Error", {}).get("Message", "")
        hint = HINTS.get(code)
        if code == "ValidationException" and "model identifier is invalid" in msg:
            hint = HINTS["ResourceNotFoundException"]
        if code == "ValidationException" and "inference profile" in msg:
            hint = HINTS["ProfileOnly"]
        if hint:
            return f"{code} from {op}: {msg}\nHow to fix: {hint}"
        return None
    if isinstance(exc, (NoCredentialsError, TokenRetrievalError)):
        return ("No AWS credentials were found. For live mode configure them (aws configure, "
                "aws sso login, or an instance role); or run offline: utils.setup('offline').")
    if isinstance(exc, NoRegionError):
        return "No AWS region is set. Run utils.setup(region='us-east-1') or set AWS_REGION."
    if isinstance(exc, EndpointConnectionError):
        return (f"Could not reach {exc.kwargs.get('endpoint_url', 'the endpoint')}. In live mode "
                "check your network and region; offline, re-run utils.setup() to restart the "
                "local engine.")
    if isinstance(exc, ParamValidationError):
        return f"boto3 rejected the parameters before sending them:\n{exc}"
    return None


def install_ipython_handler() -> bool:
    """Show explain()'s hint instead of a long traceback in Jupyter; False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    if ip is None:
        return False

    def handler(shell, etype, value, tb, tb_offset=None):
        hint = explain(value)
        if hint is None:
            return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        print(f"{etype.__name__}: {hint}\n(utils.errors shortened this error; "
              "the full traceback is in sys.last_traceback)")
        return None

    ip.set_custom_exc((ClientError, NoCredentialsError, TokenRetrievalError, NoRegionError,
                       EndpointConnectionError, ParamValidationError), handler)
    return True
