"""Inference profiles: the system-defined ones from the registry, and APPLICATION ones you create.

Bedrock's shapes (botocore `bedrock` service model): SYSTEM_DEFINED profiles are named
`{geo}.{model id}` and route a call from a source region to the destination regions; an APPLICATION
profile copies one model or system profile (`modelSource.copyFrom`) under an ARN of its own, so
calls through it can be tagged, logged and counted per team or application.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field

from local_bedrock import catalog, pagination
from local_bedrock.errors import EngineError, not_found, validation

ACCOUNT = "123456789012"  # moto's default account: what offline STS answers
_APP_ARN = "arn:aws:bedrock:{region}:{account}:application-inference-profile/{pid}"
_SYS_ARN = "arn:aws:bedrock:{region}:{account}:inference-profile/{pid}"
MAX_TAGS = 200


class DelegateToMoto(Exception):
    """Raised by a handler for a request another backend (moto) serves."""


@dataclass
class AppProfile:
    """One APPLICATION inference profile."""

    profile_id: str
    name: str
    arn: str
    model_arns: list[str]
    base_model_id: str
    source: str  # the ARN it was copied from
    description: str = ""
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    tags: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        """The InferenceProfileSummary / GetInferenceProfile output of this profile."""
        out = {"inferenceProfileName": self.name, "inferenceProfileArn": self.arn,
               "inferenceProfileId": self.profile_id, "status": "ACTIVE", "type": "APPLICATION",
               "createdAt": self.created, "updatedAt": self.created,
               "models": [{"modelArn": a} for a in self.model_arns]}
        if self.description:
            out["description"] = self.description
        return out


class ProfileStore:
    """The engine's application inference profiles and their tags."""

    def __init__(self, region: str):
        self.region = region
        self.lock = threading.Lock()
        self.profiles: dict[str, AppProfile] = {}  # id -> profile
        self.tokens: dict[str, str] = {}  # clientRequestToken -> id

    def lookup(self, identifier: str) -> AppProfile | None:
        """A profile by id or ARN."""
        pid = identifier.rsplit("/", 1)[-1]
        return self.profiles.get(pid)


def store(engine) -> ProfileStore:
    """The engine's profile store (created on first use)."""
    return engine.state.setdefault("inference_profiles", ProfileStore(engine.region))


def system_profiles(region: str) -> list[dict]:
    """Every system-defined profile callable from `region` (the source regions include it)."""
    out = []
    for model in catalog.MODELS:
        if model.status == "EOL":
            continue
        for route in model.routes:
            if region not in route.sources:
                continue
            pid = f"{route.geo}.{model.model_id}"
            dests = route.destinations if route.destinations != ("*",) else route.sources
            out.append({
                "inferenceProfileName": f"{route.geo.upper()} {model.name}",
                "description": f"Routes requests to {model.name} in "
                               + ("any commercial region." if route.destinations == ("*",)
                                  else ", ".join(route.destinations) + "."),
                "inferenceProfileArn": _SYS_ARN.format(region=region, account=ACCOUNT, pid=pid),
                "inferenceProfileId": pid, "status": "ACTIVE", "type": "SYSTEM_DEFINED",
                "models": [{"modelArn": catalog.model_arn(model.model_id, d)} for d in dests],
            })
    return out


def _system(region: str, identifier: str) -> dict | None:
    pid = identifier.rsplit("/", 1)[-1]
    return next((p for p in system_profiles(region) if p["inferenceProfileId"] == pid), None)


def get_inference_profile(engine, params: dict) -> dict:
    """GetInferenceProfile: a system profile callable here, or one of your application profiles."""
    ident = params["inferenceProfileIdentifier"]
    found = _system(engine.call_region, ident)
    if found is None:
        app = store(engine).lookup(ident)
        found = app.summary() if app else None
    if found is None:
        raise not_found(f"Inference profile {ident} does not exist in region {engine.call_region}.")
    return found


def list_inference_profiles(engine, params: dict) -> dict:
    """ListInferenceProfiles: SYSTEM_DEFINED (default) or APPLICATION, paginated."""
    kind = params.get("typeEquals") or "SYSTEM_DEFINED"
    if kind == "SYSTEM_DEFINED":
        items = system_profiles(engine.call_region)
    else:
        with store(engine).lock:
            items = [p.summary() for p in store(engine).profiles.values()]
    return pagination.keyed(items, params, "inferenceProfileSummaries")


def create_inference_profile(engine, params: dict) -> dict:
    """CreateInferenceProfile: an APPLICATION profile copying a foundation model or system profile."""
    profiles = store(engine)
    source = params["modelSource"].get("copyFrom", "")
    kind = source.split(":", 5)[-1].split("/", 1)[0] if source.startswith("arn:") else ""
    if kind not in ("foundation-model", "inference-profile"):
        raise validation("modelSource.copyFrom must be the ARN of a foundation model or of a "
                         "system-defined inference profile.")
    model = catalog.find(source)
    if model is None or model.status == "EOL":
        raise validation("The provided model identifier is invalid.")
    if kind == "inference-profile":
        system = _system(engine.call_region, source)
        if system is None:
            raise not_found(f"Inference profile {source.rsplit('/', 1)[-1]} does not exist in "
                            f"region {engine.call_region}.")
        model_arns = [m["modelArn"] for m in system["models"]]
    else:
        region = source.split(":")[3]
        if region != engine.call_region:
            raise validation(f"The foundation model must be in this region ({engine.call_region}).")
        if engine.call_region not in model.in_region:
            raise validation(f"{model.model_id} is not available on demand in {engine.call_region}: "
                             "copy from a system-defined inference profile that carries it.")
        model_arns = [source]
    tags = _tags(params.get("tags") or [])
    with profiles.lock:
        token = params.get("clientRequestToken")
        if token and token in profiles.tokens:
            app = profiles.profiles[profiles.tokens[token]]
            return {"inferenceProfileArn": app.arn, "status": "ACTIVE"}
        if any(p.name == params["inferenceProfileName"] for p in profiles.profiles.values()):
            raise EngineError("ConflictException", "An inference profile named "
                              f"{params['inferenceProfileName']} already exists.", 409)
        pid = uuid.uuid4().hex[:12]
        arn = _APP_ARN.format(region=engine.call_region, account=ACCOUNT, pid=pid)
        profiles.profiles[pid] = AppProfile(pid, params["inferenceProfileName"], arn, model_arns,
                                            model.model_id, source,
                                            params.get("description") or "", tags=tags)
        if token:
            profiles.tokens[token] = pid
    return {"inferenceProfileArn": arn, "status": "ACTIVE"}


def delete_inference_profile(engine, params: dict) -> dict:
    """DeleteInferenceProfile: application profiles only (system ones belong to AWS)."""
    ident = params["inferenceProfileIdentifier"]
    if _system(engine.call_region, ident) is not None:
        raise validation("System-defined inference profiles can't be deleted.")
    profiles = store(engine)
    with profiles.lock:
        app = profiles.lookup(ident)
        if app is None:
            raise not_found(f"Inference profile {ident} does not exist in region {engine.call_region}.")
        del profiles.profiles[app.profile_id]
    return {}


def _tags(pairs: list[dict]) -> dict[str, str]:
    if len(pairs) > MAX_TAGS:
        raise EngineError("TooManyTagsException",
                          f"A resource can have at most {MAX_TAGS} tags.", 400)
    return {p["key"]: p["value"] for p in pairs}


def _owned(engine, arn: str) -> AppProfile | None:
    if ":application-inference-profile/" not in arn:
        raise DelegateToMoto()
    app = store(engine).lookup(arn)
    if app is None:
        raise not_found(f"The resource {arn} does not exist.")
    return app


def tag_resource(engine, params: dict) -> dict:
    """TagResource for application inference profiles (other ARNs: moto)."""
    app = _owned(engine, params["resourceARN"])
    with store(engine).lock:
        merged = {**app.tags, **_tags(params["tags"])}
        _tags([{"key": k, "value": v} for k, v in merged.items()])
        app.tags = merged
    return {}


def untag_resource(engine, params: dict) -> dict:
    """UntagResource for application inference profiles (other ARNs: moto)."""
    app = _owned(engine, params["resourceARN"])
    with store(engine).lock:
        for key in params["tagKeys"]:
            app.tags.pop(key, None)
    return {}


def list_tags_for_resource(engine, params: dict) -> dict:
    """ListTagsForResource for application inference profiles (other ARNs: moto)."""
    app = _owned(engine, params["resourceARN"])
    return {"tags": [{"key": k, "value": v} for k, v in app.tags.items()]}


HANDLERS = {
    ("bedrock", "GetInferenceProfile"): get_inference_profile,
    ("bedrock", "ListInferenceProfiles"): list_inference_profiles,
    ("bedrock", "CreateInferenceProfile"): create_inference_profile,
    ("bedrock", "DeleteInferenceProfile"): delete_inference_profile,
    ("bedrock", "TagResource"): tag_resource,
    ("bedrock", "UntagResource"): untag_resource,
    ("bedrock", "ListTagsForResource"): list_tags_for_resource,
}
