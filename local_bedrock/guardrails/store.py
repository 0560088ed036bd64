"""Bedrock Guardrails control plane, in memory: Create/Get/List/Update/CreateVersion/Delete.

Every function takes and returns the botocore input/output dicts of the Bedrock operation of the
same name (camelCase members, timestamps as ``datetime``). Guardrails are identified by a
12-character lowercase id or by their ARN
(``arn:aws:bedrock:<region>:123456789012:guardrail/<id>``). ``DRAFT`` is the working copy that
UpdateGuardrail edits; CreateGuardrailVersion freezes it as ``"1"``, ``"2"``, ...

Validation follows the service model (lengths, patterns, enums, list sizes) plus the rules Bedrock
enforces on top of it (e.g. the PROMPT_ATTACK filter only filters inputs, so its outputStrength
must be NONE; filter, topic, PII and regex entries must not repeat; regexes must compile;
contextual grounding thresholds must be in [0, 0.99]).
"""

from __future__ import annotations

import base64
import copy
import os
import re
import secrets
import string
import threading
from datetime import datetime, timezone

from local_bedrock.errors import EngineError, not_found, validation
from local_bedrock.guardrails import classifier, topics

ACCOUNT_ID = "123456789012"
DRAFT = "DRAFT"

CONTENT_FILTER_TYPES = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK")
FILTER_STRENGTHS = ("NONE", "LOW", "MEDIUM", "HIGH")
PII_ENTITY_TYPES = (
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER", "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL", "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE", "PIN",
    "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER", "VEHICLE_IDENTIFICATION_NUMBER",
)
SENSITIVE_ACTIONS = ("BLOCK", "ANONYMIZE", "NONE")
BLOCK_OR_NONE = ("BLOCK", "NONE")
TIERS = ("CLASSIC", "STANDARD")
MODALITIES = ("TEXT", "IMAGE")
GROUNDING_TYPES = ("GROUNDING", "RELEVANCE")

_NAME_RE = re.compile(r"[0-9a-zA-Z-_]+")
_TOPIC_NAME_RE = re.compile(r"[0-9a-zA-Z-_ !?.]+")
_ID_RE = re.compile(r"[a-z0-9]+")
_ARN_RE = re.compile(r"arn:aws(-[^:]+)?:bedrock:([a-z0-9-]{1,20}):([0-9]{12}):guardrail/([a-z0-9]+)")
_NUM_VERSION_RE = re.compile(r"[1-9][0-9]{0,7}")
_TOKEN_RE = re.compile(r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?")
_KMS_RE = re.compile(
    r"(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))"
    r"|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)")
_TAG_RE = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _conflict(message: str) -> EngineError:
    return EngineError("ConflictException", message, 409)


def _quota(message: str) -> EngineError:
    return EngineError("ServiceQuotaExceededException", message, 400)


# --------------------------------------------------------------------------- validation helpers

def _constraint(value, where: str, constraint: str) -> EngineError:
    shown = "***" if isinstance(value, str) and len(value) > 200 else value
    return validation(f"1 validation error detected: Value '{shown}' at '{where}' failed to "
                      f"satisfy constraint: {constraint}")


def _check_str(value, where: str, *, min_len: int = 1, max_len: int | None = None,
               pattern: re.Pattern | None = None, required: bool = False) -> None:
    if value is None:
        if required:
            raise validation(f"1 validation error detected: Value null at '{where}' failed to "
                             "satisfy constraint: Member must not be null")
        return
    if not isinstance(value, str):
        raise validation(f"Invalid type for '{where}': expected a string.")
    if len(value) < min_len:
        raise _constraint(value, where, f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        raise _constraint(value, where, f"Member must have length less than or equal to {max_len}")
    if pattern is not None and not pattern.fullmatch(value):
        raise _constraint(value, where, f"Member must satisfy regular expression pattern: {pattern.pattern}")


def _check_enum(value, where: str, allowed, *, required: bool = False) -> None:
    if value is None:
        if required:
            raise validation(f"1 validation error detected: Value null at '{where}' failed to "
                             "satisfy constraint: Member must not be null")
        return
    if value not in allowed:
        raise _constraint(value, where, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _check_bool(value, where: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise validation(f"Invalid type for '{where}': expected a boolean.")


def _check_list(value, where: str, *, min_len: int = 0, max_len: int | None = None,
                required: bool = False) -> list:
    if value is None:
        if required:
            raise validation(f"1 validation error detected: Value null at '{where}' failed to "
                             "satisfy constraint: Member must not be null")
        return []
    if not isinstance(value, list):
        raise validation(f"Invalid type for '{where}': expected a list.")
    if len(value) < min_len:
        raise _constraint(value, where, f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        raise _constraint("[...]", where, f"Member must have length less than or equal to {max_len}")
    return value


def _check_struct(value, where: str, *, required: bool = False) -> dict | None:
    if value is None:
        if required:
            raise validation(f"1 validation error detected: Value null at '{where}' failed to "
                             "satisfy constraint: Member must not be null")
        return None
    if not isinstance(value, dict):
        raise validation(f"Invalid type for '{where}': expected a structure.")
    return value


def _no_duplicates(items: list, key, what: str) -> None:
    seen = set()
    for item in items:
        k = key(item)
        if k in seen:
            raise validation(f"Duplicate {what} found: {k}. Each {what} can be specified only once.")
        seen.add(k)


# --------------------------------------------------------------------------- policy normalisation
# Each validator returns the policy as GetGuardrail reports it (defaults filled in).

def _topic_policy(cfg: dict | None) -> dict | None:
    cfg = _check_struct(cfg, "topicPolicyConfig")
    if cfg is None:
        return None
    topics = _check_list(cfg.get("topicsConfig"), "topicPolicyConfig.topicsConfig",
                         min_len=1, max_len=30, required=True)
    out = []
    for i, t in enumerate(topics):
        w = f"topicPolicyConfig.topicsConfig.{i + 1}.member"
        _check_struct(t, w, required=True)
        _check_str(t.get("name"), f"{w}.name", max_len=100, pattern=_TOPIC_NAME_RE, required=True)
        _check_str(t.get("definition"), f"{w}.definition", max_len=200, required=True)
        _check_enum(t.get("type"), f"{w}.type", ("DENY",), required=True)
        examples = _check_list(t.get("examples"), f"{w}.examples", max_len=5)
        for j, ex in enumerate(examples):
            _check_str(ex, f"{w}.examples.{j + 1}.member", max_len=100, required=True)
        for k in ("inputAction", "outputAction"):
            _check_enum(t.get(k), f"{w}.{k}", BLOCK_OR_NONE)
        for k in ("inputEnabled", "outputEnabled"):
            _check_bool(t.get(k), f"{w}.{k}")
        out.append({
            "name": t["name"], "definition": t["definition"], "examples": list(examples),
            "type": "DENY",
            "inputAction": t.get("inputAction", "BLOCK"), "outputAction": t.get("outputAction", "BLOCK"),
            "inputEnabled": t.get("inputEnabled", True), "outputEnabled": t.get("outputEnabled", True),
        })
    _no_duplicates(out, lambda t: t["name"].lower(), "topic name")
    policy = {"topics": out}
    tier = _tier(cfg.get("tierConfig"), "topicPolicyConfig.tierConfig")
    if tier:
        policy["tier"] = tier
    return policy


def _tier(cfg, where: str) -> dict | None:
    cfg = _check_struct(cfg, where)
    if cfg is None:
        return None
    _check_enum(cfg.get("tierName"), f"{where}.tierName", TIERS, required=True)
    return {"tierName": cfg["tierName"]}


def _content_policy(cfg: dict | None) -> dict | None:
    cfg = _check_struct(cfg, "contentPolicyConfig")
    if cfg is None:
        return None
    filters = _check_list(cfg.get("filtersConfig"), "contentPolicyConfig.filtersConfig",
                          min_len=1, max_len=6, required=True)
    out = []
    for i, f in enumerate(filters):
        w = f"contentPolicyConfig.filtersConfig.{i + 1}.member"
        _check_struct(f, w, required=True)
        _check_enum(f.get("type"), f"{w}.type", CONTENT_FILTER_TYPES, required=True)
        _check_enum(f.get("inputStrength"), f"{w}.inputStrength", FILTER_STRENGTHS, required=True)
        _check_enum(f.get("outputStrength"), f"{w}.outputStrength", FILTER_STRENGTHS, required=True)
        for k in ("inputModalities", "outputModalities"):
            mods = _check_list(f.get(k), f"{w}.{k}", min_len=1, max_len=2)
            for m in mods:
                _check_enum(m, f"{w}.{k}.member", MODALITIES)
        for k in ("inputAction", "outputAction"):
            _check_enum(f.get(k), f"{w}.{k}", BLOCK_OR_NONE)
        for k in ("inputEnabled", "outputEnabled"):
            _check_bool(f.get(k), f"{w}.{k}")
        if f["type"] == "PROMPT_ATTACK" and f["outputStrength"] != "NONE":
            raise validation("PROMPT_ATTACK content filter only applies to inputs: its "
                             "outputStrength must be NONE.")
        out.append({
            "type": f["type"], "inputStrength": f["inputStrength"], "outputStrength": f["outputStrength"],
            "inputModalities": list(f.get("inputModalities") or ["TEXT"]),
            "outputModalities": list(f.get("outputModalities") or ["TEXT"]),
            "inputAction": f.get("inputAction", "BLOCK"), "outputAction": f.get("outputAction", "BLOCK"),
            "inputEnabled": f.get("inputEnabled", True), "outputEnabled": f.get("outputEnabled", True),
        })
    _no_duplicates(out, lambda f: f["type"], "content filter type")
    policy = {"filters": out}
    tier = _tier(cfg.get("tierConfig"), "contentPolicyConfig.tierConfig")
    if tier:
        policy["tier"] = tier
    return policy


def _word_policy(cfg: dict | None) -> dict | None:
    cfg = _check_struct(cfg, "wordPolicyConfig")
    if cfg is None:
        return None
    words = _check_list(cfg.get("wordsConfig"), "wordPolicyConfig.wordsConfig", min_len=1, max_len=10000)
    managed = _check_list(cfg.get("managedWordListsConfig"), "wordPolicyConfig.managedWordListsConfig")
    if not words and not managed:
        raise validation("wordPolicyConfig must contain wordsConfig or managedWordListsConfig.")
    out_words, out_managed = [], []
    for i, wd in enumerate(words):
        w = f"wordPolicyConfig.wordsConfig.{i + 1}.member"
        _check_struct(wd, w, required=True)
        _check_str(wd.get("text"), f"{w}.text", max_len=100, required=True)
        if not wd["text"].strip():
            raise _constraint(wd["text"], f"{w}.text", "Member must not be blank")
        for k in ("inputAction", "outputAction"):
            _check_enum(wd.get(k), f"{w}.{k}", BLOCK_OR_NONE)
        for k in ("inputEnabled", "outputEnabled"):
            _check_bool(wd.get(k), f"{w}.{k}")
        out_words.append({
            "text": wd["text"],
            "inputAction": wd.get("inputAction", "BLOCK"), "outputAction": wd.get("outputAction", "BLOCK"),
            "inputEnabled": wd.get("inputEnabled", True), "outputEnabled": wd.get("outputEnabled", True),
        })
    for i, m in enumerate(managed):
        w = f"wordPolicyConfig.managedWordListsConfig.{i + 1}.member"
        _check_struct(m, w, required=True)
        _check_enum(m.get("type"), f"{w}.type", ("PROFANITY",), required=True)
        for k in ("inputAction", "outputAction"):
            _check_enum(m.get(k), f"{w}.{k}", BLOCK_OR_NONE)
        for k in ("inputEnabled", "outputEnabled"):
            _check_bool(m.get(k), f"{w}.{k}")
        out_managed.append({
            "type": m["type"],
            "inputAction": m.get("inputAction", "BLOCK"), "outputAction": m.get("outputAction", "BLOCK"),
            "inputEnabled": m.get("inputEnabled", True), "outputEnabled": m.get("outputEnabled", True),
        })
    _no_duplicates(out_words, lambda x: x["text"].strip().lower(), "word")
    _no_duplicates(out_managed, lambda x: x["type"], "managed word list")
    policy: dict = {}
    if out_words:
        policy["words"] = out_words
    if out_managed:
        policy["managedWordLists"] = out_managed
    return policy


def _sensitive_policy(cfg: dict | None) -> dict | None:
    cfg = _check_struct(cfg, "sensitiveInformationPolicyConfig")
    if cfg is None:
        return None
    pii = _check_list(cfg.get("piiEntitiesConfig"), "sensitiveInformationPolicyConfig.piiEntitiesConfig",
                      min_len=1)
    regexes = _check_list(cfg.get("regexesConfig"), "sensitiveInformationPolicyConfig.regexesConfig",
                          min_len=1, max_len=30)
    if not pii and not regexes:
        raise validation("sensitiveInformationPolicyConfig must contain piiEntitiesConfig or regexesConfig.")
    out_pii, out_regex = [], []
    for i, p in enumerate(pii):
        w = f"sensitiveInformationPolicyConfig.piiEntitiesConfig.{i + 1}.member"
        _check_struct(p, w, required=True)
        _check_enum(p.get("type"), f"{w}.type", PII_ENTITY_TYPES, required=True)
        _check_enum(p.get("action"), f"{w}.action", SENSITIVE_ACTIONS, required=True)
        for k in ("inputAction", "outputAction"):
            _check_enum(p.get(k), f"{w}.{k}", SENSITIVE_ACTIONS)
        for k in ("inputEnabled", "outputEnabled"):
            _check_bool(p.get(k), f"{w}.{k}")
        out_pii.append({
            "type": p["type"], "action": p["action"],
            "inputAction": p.get("inputAction", p["action"]), "outputAction": p.get("outputAction", p["action"]),
            "inputEnabled": p.get("inputEnabled", True), "outputEnabled": p.get("outputEnabled", True),
        })
    for i, r in enumerate(regexes):
        w = f"sensitiveInformationPolicyConfig.regexesConfig.{i + 1}.member"
        _check_struct(r, w, required=True)
        _check_str(r.get("name"), f"{w}.name", max_len=100, required=True)
        _check_str(r.get("description"), f"{w}.description", max_len=1000)
        _check_str(r.get("pattern"), f"{w}.pattern", max_len=500, required=True)
        _check_enum(r.get("action"), f"{w}.action", SENSITIVE_ACTIONS, required=True)
        for k in ("inputAction", "outputAction"):
            _check_enum(r.get(k), f"{w}.{k}", SENSITIVE_ACTIONS)
        for k in ("inputEnabled", "outputEnabled"):
            _check_bool(r.get(k), f"{w}.{k}")
        try:
            re.compile(r["pattern"])
        except re.error as exc:
            raise validation(f"The regex pattern for '{r['name']}' is not valid: {exc}.") from None
        item = {"name": r["name"], "pattern": r["pattern"], "action": r["action"],
                "inputAction": r.get("inputAction", r["action"]),
                "outputAction": r.get("outputAction", r["action"]),
                "inputEnabled": r.get("inputEnabled", True), "outputEnabled": r.get("outputEnabled", True)}
        if r.get("description") is not None:
            item["description"] = r["description"]
        out_regex.append(item)
    _no_duplicates(out_pii, lambda x: x["type"], "PII entity type")
    _no_duplicates(out_regex, lambda x: x["name"], "regex name")
    policy: dict = {}
    if out_pii:
        policy["piiEntities"] = out_pii
    if out_regex:
        policy["regexes"] = out_regex
    return policy


def _grounding_policy(cfg: dict | None) -> dict | None:
    cfg = _check_struct(cfg, "contextualGroundingPolicyConfig")
    if cfg is None:
        return None
    filters = _check_list(cfg.get("filtersConfig"), "contextualGroundingPolicyConfig.filtersConfig",
                          min_len=1, required=True)
    out = []
    for i, f in enumerate(filters):
        w = f"contextualGroundingPolicyConfig.filtersConfig.{i + 1}.member"
        _check_struct(f, w, required=True)
        _check_enum(f.get("type"), f"{w}.type", GROUNDING_TYPES, required=True)
        t = f.get("threshold")
        if t is None:
            raise validation(f"1 validation error detected: Value null at '{w}.threshold' failed to "
                             "satisfy constraint: Member must not be null")
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise validation(f"Invalid type for '{w}.threshold': expected a number.")
        if t < 0:
            raise _constraint(t, f"{w}.threshold", "Member must have value greater than or equal to 0")
        if t > 0.99:
            raise validation(f"The threshold for the {f['type']} filter must be between 0 and 0.99.")
        _check_enum(f.get("action"), f"{w}.action", BLOCK_OR_NONE)
        _check_bool(f.get("enabled"), f"{w}.enabled")
        out.append({"type": f["type"], "threshold": float(t), "action": f.get("action", "BLOCK"),
                    "enabled": f.get("enabled", True)})
    _no_duplicates(out, lambda x: x["type"], "contextual grounding filter type")
    policy = {"filters": out}
    tier = _tier(cfg.get("tierConfig"), "contextualGroundingPolicyConfig.tierConfig")
    if tier:
        policy["tier"] = tier
    return policy


_POLICY_KEYS = (
    ("topicPolicyConfig", "topicPolicy", _topic_policy),
    ("contentPolicyConfig", "contentPolicy", _content_policy),
    ("wordPolicyConfig", "wordPolicy", _word_policy),
    ("sensitiveInformationPolicyConfig", "sensitiveInformationPolicy", _sensitive_policy),
    ("contextualGroundingPolicyConfig", "contextualGroundingPolicy", _grounding_policy),
)


def _validate_definition(request: dict) -> dict:
    """Validate the fields shared by Create and Update; return the stored (Get-shaped) definition."""
    if not isinstance(request, dict):
        raise validation("The request must be a JSON object.")
    _check_str(request.get("name"), "name", max_len=50, pattern=_NAME_RE, required=True)
    _check_str(request.get("description"), "description", max_len=200)
    _check_str(request.get("blockedInputMessaging"), "blockedInputMessaging", max_len=500, required=True)
    _check_str(request.get("blockedOutputsMessaging"), "blockedOutputsMessaging", max_len=500, required=True)
    _check_str(request.get("kmsKeyId"), "kmsKeyId", max_len=2048, pattern=_KMS_RE)
    definition: dict = {
        "name": request["name"],
        "blockedInputMessaging": request["blockedInputMessaging"],
        "blockedOutputsMessaging": request["blockedOutputsMessaging"],
    }
    if request.get("description") is not None:
        definition["description"] = request["description"]
    for in_key, out_key, fn in _POLICY_KEYS:
        policy = fn(request.get(in_key))
        if policy is not None:
            definition[out_key] = policy
    if request.get("automatedReasoningPolicyConfig") is not None:
        ar = _check_struct(request["automatedReasoningPolicyConfig"], "automatedReasoningPolicyConfig")
        _check_list(ar.get("policies"), "automatedReasoningPolicyConfig.policies", min_len=1,
                    max_len=2, required=True)
        definition["automatedReasoningPolicy"] = copy.deepcopy(ar)  # stored, never evaluated offline
    if request.get("crossRegionConfig") is not None:
        cr = _check_struct(request["crossRegionConfig"], "crossRegionConfig")
        _check_str(cr.get("guardrailProfileIdentifier"), "crossRegionConfig.guardrailProfileIdentifier",
                   min_len=15, max_len=2048, required=True)
        profile = cr["guardrailProfileIdentifier"]
        profile_id = profile.rsplit("/", 1)[-1]
        definition["crossRegionDetails"] = {
            "guardrailProfileId": profile_id,
            "guardrailProfileArn": profile if profile.startswith("arn:") else
            f"arn:aws:bedrock:{_region()}:{ACCOUNT_ID}:guardrail-profile/{profile_id}",
        }
    kms = request.get("kmsKeyId")
    if kms:
        if kms.startswith("arn:") and ":key/" in kms:
            definition["kmsKeyArn"] = kms
        elif re.fullmatch(r"[a-zA-Z0-9-]{36}", kms):
            definition["kmsKeyArn"] = f"arn:aws:kms:{_region()}:{ACCOUNT_ID}:key/{kms}"
    return definition


def _validate_tags(tags) -> list:
    tags = _check_list(tags, "tags", max_len=200)
    for i, t in enumerate(tags):
        _check_struct(t, f"tags.{i + 1}.member", required=True)
        _check_str(t.get("key"), f"tags.{i + 1}.member.key", max_len=128, pattern=_TAG_RE, required=True)
        _check_str(t.get("value"), f"tags.{i + 1}.member.value", min_len=0, max_len=256,
                   pattern=_TAG_RE, required=True)
    return [dict(t) for t in tags]


# --------------------------------------------------------------------------- the store

class GuardrailStore:
    """Thread-safe in-memory guardrails, with DRAFT plus numbered immutable versions."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._guardrails: dict[str, dict] = {}  # id -> {"draft": {...}, "versions": {n: {...}}, ...}
        self._tokens: dict[tuple, dict] = {}

    # -- helpers
    def reset(self) -> None:
        with self._lock:
            self._guardrails.clear()
            self._tokens.clear()

    @staticmethod
    def _new_id() -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(12))

    @staticmethod
    def _arn(gid: str) -> str:
        return f"arn:aws:bedrock:{_region()}:{ACCOUNT_ID}:guardrail/{gid}"

    def _resolve(self, identifier) -> dict:
        if not isinstance(identifier, str) or not identifier:
            raise validation("1 validation error detected: Value at 'guardrailIdentifier' failed to "
                             "satisfy constraint: Member must not be null")
        m = _ARN_RE.fullmatch(identifier)
        if m:
            gid = m.group(4)
        elif _ID_RE.fullmatch(identifier):
            gid = identifier
        else:
            raise _constraint(identifier, "guardrailIdentifier",
                              "Member must satisfy regular expression pattern: "
                              "(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))")
        record = self._guardrails.get(gid)
        if record is None:
            raise not_found(f"The guardrail {identifier} was not found. Check the guardrail "
                            "identifier and try your request again.")
        return record

    def _version_record(self, record: dict, version) -> dict:
        if version is None or version == DRAFT:
            return record["draft"]
        if not isinstance(version, str) or not _NUM_VERSION_RE.fullmatch(version):
            raise _constraint(version, "guardrailVersion",
                              "Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))")
        snap = record["versions"].get(version)
        if snap is None:
            raise not_found(f"The guardrail {record['id']} version {version} was not found. Check "
                            "the guardrail version and try your request again.")
        return snap

    def _describe(self, record: dict, snap: dict) -> dict:
        out = {
            "name": snap["definition"]["name"],
            "guardrailId": record["id"],
            "guardrailArn": record["arn"],
            "version": snap["version"],
            "status": "READY",
            "createdAt": record["createdAt"],
            "updatedAt": snap["updatedAt"],
        }
        defin = copy.deepcopy(snap["definition"])
        if "description" in defin:
            out["description"] = defin.pop("description")
        defin.pop("name")
        out.update(defin)
        return out

    # -- operations
    def create_guardrail(self, request: dict) -> dict:
        definition = _validate_definition(request)
        tags = _validate_tags(request.get("tags"))
        token = request.get("clientRequestToken")
        _check_str(token, "clientRequestToken", max_len=256, pattern=_TOKEN_RE)
        with self._lock:
            if token is not None and ("create", token) in self._tokens:
                return dict(self._tokens[("create", token)])
            if any(r["draft"]["definition"]["name"] == definition["name"]
                   for r in self._guardrails.values()):
                raise _conflict(f"A guardrail with the name {definition['name']} already exists.")
            if len(self._guardrails) >= 100:
                raise _quota("You have reached the maximum number of guardrails (100) in this account.")
            gid = self._new_id()
            while gid in self._guardrails:
                gid = self._new_id()
            now = datetime.now(timezone.utc)
            record = {
                "id": gid, "arn": self._arn(gid), "createdAt": now, "tags": tags,
                "draft": {"version": DRAFT, "definition": definition, "updatedAt": now},
                "versions": {}, "nextVersion": 1,
            }
            self._guardrails[gid] = record
            response = {"guardrailId": gid, "guardrailArn": record["arn"], "version": DRAFT,
                        "createdAt": now}
            if token is not None:
                self._tokens[("create", token)] = response
        _warm_up(definition)
        return dict(response)

    def get_guardrail(self, identifier, version=None) -> dict:
        with self._lock:
            record = self._resolve(identifier)
            return self._describe(record, self._version_record(record, version))

    def list_guardrails(self, identifier=None, max_results=None, next_token=None) -> dict:
        if max_results is not None:
            if isinstance(max_results, bool) or not isinstance(max_results, int):
                raise validation("Invalid type for 'maxResults': expected an integer.")
            if not 1 <= max_results <= 1000:
                raise _constraint(max_results, "maxResults",
                                  "Member must have value between 1 and 1000")
        start = 0
        if next_token is not None:
            try:
                start = int(base64.urlsafe_b64decode(next_token.encode()).decode().split(":", 1)[1])
            except Exception:  # noqa: BLE001 - any malformed token is the caller's error
                raise validation("The provided pagination token is not valid.") from None
        with self._lock:
            rows: list[tuple[dict, dict]] = []
            if identifier:
                record = self._resolve(identifier)
                rows.append((record, record["draft"]))
                for v in sorted(record["versions"], key=int):
                    rows.append((record, record["versions"][v]))
            else:
                for record in sorted(self._guardrails.values(), key=lambda r: r["createdAt"]):
                    rows.append((record, record["draft"]))
            page_size = max_results or 100
            page = rows[start:start + page_size]
            summaries = []
            for record, snap in page:
                s = {"id": record["id"], "arn": record["arn"], "status": "READY",
                     "name": snap["definition"]["name"], "version": snap["version"],
                     "createdAt": record["createdAt"], "updatedAt": snap["updatedAt"]}
                if "description" in snap["definition"]:
                    s["description"] = snap["definition"]["description"]
                if "crossRegionDetails" in snap["definition"]:
                    s["crossRegionDetails"] = dict(snap["definition"]["crossRegionDetails"])
                summaries.append(s)
            out: dict = {"guardrails": summaries}
            if start + page_size < len(rows):
                out["nextToken"] = base64.urlsafe_b64encode(f"gr:{start + page_size}".encode()).decode()
            return out

    def update_guardrail(self, request: dict) -> dict:
        if not isinstance(request, dict):
            raise validation("The request must be a JSON object.")
        identifier = request.get("guardrailIdentifier")
        definition = _validate_definition(request)
        with self._lock:
            record = self._resolve(identifier)
            if any(r is not record and r["draft"]["definition"]["name"] == definition["name"]
                   for r in self._guardrails.values()):
                raise _conflict(f"A guardrail with the name {definition['name']} already exists.")
            now = datetime.now(timezone.utc)
            record["draft"] = {"version": DRAFT, "definition": definition, "updatedAt": now}
            out = {"guardrailId": record["id"], "guardrailArn": record["arn"], "version": DRAFT,
                   "updatedAt": now}
        _warm_up(definition)
        return out

    def create_guardrail_version(self, identifier, description=None, client_request_token=None) -> dict:
        _check_str(description, "description", max_len=200)
        _check_str(client_request_token, "clientRequestToken", max_len=256, pattern=_TOKEN_RE)
        with self._lock:
            record = self._resolve(identifier)
            key = ("version", record["id"], client_request_token)
            if client_request_token is not None and key in self._tokens:
                return dict(self._tokens[key])
            version = str(record["nextVersion"])
            record["nextVersion"] += 1
            definition = copy.deepcopy(record["draft"]["definition"])
            if description is not None:
                definition["description"] = description
            record["versions"][version] = {"version": version, "definition": definition,
                                           "updatedAt": datetime.now(timezone.utc)}
            response = {"guardrailId": record["id"], "version": version}
            if client_request_token is not None:
                self._tokens[key] = response
            return dict(response)

    def delete_guardrail(self, identifier, version=None) -> dict:
        with self._lock:
            record = self._resolve(identifier)
            if version is None:
                del self._guardrails[record["id"]]
                return {}
            if version == DRAFT or not isinstance(version, str) or not _NUM_VERSION_RE.fullmatch(version):
                raise _constraint(version, "guardrailVersion",
                                  "Member must satisfy regular expression pattern: [1-9][0-9]{0,7}")
            if version not in record["versions"]:
                raise not_found(f"The guardrail {record['id']} version {version} was not found.")
            del record["versions"][version]
            return {}

    def resolve_for_apply(self, identifier, version) -> dict:
        """The GetGuardrail view of (identifier, version) for ApplyGuardrail/Converse.

        ``version`` is required by the runtime APIs ("DRAFT" or a number)."""
        if version is None or version == "":
            raise validation("1 validation error detected: Value at 'guardrailVersion' failed to "
                             "satisfy constraint: Member must not be null")
        return self.get_guardrail(identifier, version)


def _warm_up(definition: dict) -> None:
    """Start training the guardrail's classifier in the background (3.6-4.5 s, see
    :mod:`.classifier`), so that the first ApplyGuardrail rarely waits for it."""
    classifier.warm_up(topics.model_key((definition.get("topicPolicy") or {}).get("topics", [])))
