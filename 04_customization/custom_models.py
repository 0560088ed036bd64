"""Lab 04 helpers: customization data (formats, a validator, splits, lengths) and jobs as code.

    report = validate_jsonl("train.jsonl", models.CHEAP_MODEL)   # every problem, by line
    report                                                       # a table: line, kind, message
    train, validation = split_train_validation(records, 0.1, key=lambda r: r["queue"])
    job = wait_for_job(bedrock, job_arn)                         # tqdm bar over the job's stages

The formats, limits and hyperparameter ranges per base model are in
`local_bedrock.customization.specs` (the registry of what Bedrock accepts); token counts use the
workshop's tokenizer (a real BPE tokenizer, not each model's own), so keep a margin below a
limit. Prices come from `local_bedrock.catalog.CUSTOMIZATION_PRICES`, lifecycle from the registry:
tables mark end-of-life base models (Titan Text, Claude 3 Haiku), whose specs and prices are
history. No active model offers continued pre-training on Bedrock; `validate_pretraining` checks
`{"input"}` records against the last spec Bedrock published for it (Titan Text G1 - Express).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from local_bedrock.catalog import CUSTOMIZATION_PRICES, HOURS_PER_MONTH, find
from local_bedrock.customization import specs
from local_bedrock.customization.specs import (  # noqa: F401  (re-exported for notebooks)
    CLAUDE_MESSAGES,
    CONVERSATION,
    PRETRAINING,
    PRETRAINING_REFERENCE,
    PROMPT_COMPLETION,
    base_id,
    customization_id,
)
from utils.display import Table

ERROR_KINDS = ("json", "keys", "empty", "roles", "types", "reserved", "tokens", "count")
TERMINAL = ("Completed", "Failed", "Stopped")
STAGES = ("validationDetails", "dataProcessingDetails", "trainingDetails")


# -- formats ------------------------------------------------------------------------------------


def to_prompt_completion(prompt: str, completion: str) -> dict:
    """A record for Meta Llama 3.1 fine-tuning (and Titan Text's, now end of life)."""
    return {"prompt": prompt, "completion": completion}


def to_conversation(prompt: str, completion: str, system: str | None = None) -> dict:
    """A `bedrock-conversation-2024` record (Amazon Nova; the Converse message shape)."""
    record: dict = {"schemaVersion": "bedrock-conversation-2024"}
    if system:
        record["system"] = [{"text": system}]
    record["messages"] = [{"role": "user", "content": [{"text": prompt}]},
                          {"role": "assistant", "content": [{"text": completion}]}]
    return record


def to_claude_messages(prompt: str, completion: str, system: str | None = None) -> dict:
    """A Claude 3 Haiku record (end of life): `system` and `content` are plain strings."""
    record: dict = {"system": system} if system else {}
    record["messages"] = [{"role": "user", "content": prompt},
                          {"role": "assistant", "content": completion}]
    return record


def to_pretraining(text: str) -> dict:
    """A continued-pre-training record: unlabelled text (the format Bedrock used for Titan Text)."""
    return {"input": text}


def method(model_id: str, customization_type: str = "FINE_TUNING") -> specs.Method:
    """What Bedrock accepts for this model and method (KeyError if it offers no such method)."""
    found = specs.method(model_id, customization_type)
    if found is None:
        offered = [m + (" (end of life)" if status(m) == "EOL" else "")
                   for m, kinds in specs.SPECS.items() if customization_type in kinds]
        raise KeyError(f"{base_id(model_id)} has no {customization_type} in the workshop's specs; "
                       f"models that have: {', '.join(offered)}")
    return found


def status(model_id: str) -> str:
    """The registry's lifecycle status of a base model ("ACTIVE", "LEGACY", "EOL"; "?" if unknown)."""
    model = find(base_id(model_id))
    return model.status if model else "?"


def status_label(model_id: str) -> str:
    """The registry status in words: "active", "legacy" or "end of life"."""
    return {"ACTIVE": "active", "LEGACY": "legacy", "EOL": "end of life"}.get(status(model_id), "?")


def formats_table(include_end_of_life: bool = False) -> Table:
    """One row per base model and method: data format, records, tokens per record, hyperparameters.
    End-of-life base models (whose jobs Bedrock refuses) only with `include_end_of_life=True`."""
    rows = []
    for model_id, kinds in specs.SPECS.items():
        if status(model_id) == "EOL" and not include_end_of_life:
            continue
        for kind, m in kinds.items():
            rows.append({"model": model_id, "status": status_label(model_id), "method": kind,
                         "format": m.data_format, "records": f"{m.min_records:,}-{m.max_records:,}",
                         "tokens/record": f"{m.max_tokens:,}",
                         "hyperparameters": ", ".join(h.name for h in m.hyperparameters)})
    which = "" if include_end_of_life else ", active base models"
    return Table(rows, title="What Bedrock accepts for customization "
                             f"(local_bedrock.customization.specs{which})")


# -- the validator -------------------------------------------------------------------------------


@dataclass
class Problem:
    """One problem found in a file: its line (None for the whole file), kind and message."""

    line: int | None
    kind: str
    message: str


@dataclass
class Report:
    """What `validate_jsonl` found: records read, their token counts, every problem."""

    name: str
    model_id: str
    customization_type: str
    data_format: str
    records: int = 0
    tokens: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_kind(self) -> dict[str, int]:
        return dict(Counter(p.kind for p in self.problems))

    def table(self, limit: int = 20) -> Table:
        rows = [{"line": p.line if p.line is not None else "-", "kind": p.kind,
                 "problem": p.message} for p in self.problems[:limit]]
        more = f" (first {limit})" if len(self.problems) > limit else ""
        status = "OK" if self.ok else f"{len(self.problems)} problems{more}"
        return Table(rows, ["line", "kind", "problem"],
                     title=f"{self.name}: {self.records} records, {self.data_format} for "
                           f"{self.model_id} {self.customization_type}: {status}")

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _lines(source) -> tuple[str, list[str]]:
    if isinstance(source, (str, Path)) and "\n" not in str(source) and Path(source).exists():
        return Path(source).name, Path(source).read_text(encoding="utf-8").splitlines()
    if isinstance(source, str):
        return "<text>", source.splitlines()
    return "<records>", [line if isinstance(line, str) else json.dumps(line) for line in source]


def _blocks(value, where: str, problems: list, line: int) -> str | None:
    """The text of a list of {"text": ...} blocks, or None after recording a type problem."""
    if not isinstance(value, list) or not all(isinstance(b, dict) for b in value):
        problems.append(Problem(line, "types", f"{where} must be a list of content blocks "
                                               '[{"text": ...}]'))
        return None
    texts = [b.get("text") for b in value]
    if not all(isinstance(t, str) for t in texts):
        problems.append(Problem(line, "types", f"{where}: every block needs a text string"))
        return None
    return "\n".join(texts)


def check_record(record, data_format: str, line: int) -> tuple[list[Problem], str]:
    """Problems of one parsed record in `data_format`, and all of its text (for token counts)."""
    problems: list[Problem] = []
    if not isinstance(record, dict):
        return [Problem(line, "json", "the line is JSON but not an object")], ""
    required, allowed = specs.FORMAT_KEYS[data_format]
    missing, extra = sorted(required - set(record)), sorted(set(record) - allowed)
    if missing:
        problems.append(Problem(line, "keys", f"missing key(s) {', '.join(missing)} for the "
                                              f"{data_format} format"))
    if extra:
        problems.append(Problem(line, "keys", f"key(s) {', '.join(extra)} not allowed in the "
                                              f"{data_format} format (allowed: {', '.join(sorted(allowed))})"))
    if missing:
        return problems, ""
    texts: list[str] = []
    if data_format in (PROMPT_COMPLETION, PRETRAINING):
        for key in sorted(required):
            value = record[key]
            if not isinstance(value, str):
                problems.append(Problem(line, "types", f"{key} must be a string"))
            elif not value.strip():
                problems.append(Problem(line, "empty", f"{key} is empty"))
            else:
                texts.append(value)
        return problems, "\n".join(texts)
    conversation = data_format == CONVERSATION
    if "system" in record:
        system = (_blocks(record["system"], "system", problems, line) if conversation
                  else record["system"] if isinstance(record["system"], str) else None)
        if system is None and not conversation:
            problems.append(Problem(line, "types", "system must be a string"))
        elif system is not None:
            texts.append(system)
    messages = record["messages"]
    if not isinstance(messages, list) or not messages:
        problems.append(Problem(line, "types", "messages must be a non-empty list"))
        return problems, "\n".join(texts)
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            problems.append(Problem(line, "roles", f"messages[{i}] needs role user or assistant"))
            continue
        want = "user" if i % 2 == 0 else "assistant"
        if message["role"] != want:
            problems.append(Problem(line, "roles", f"messages[{i}] is {message['role']}: turns "
                                                   "must alternate, starting with user"))
        content = message.get("content")
        text = (_blocks(content, f"messages[{i}].content", problems, line) if conversation
                else content if isinstance(content, str) else None)
        if text is None:
            if not conversation:
                problems.append(Problem(line, "types", f"messages[{i}].content must be a string"))
            continue
        if not text.strip():
            problems.append(Problem(line, "empty", f"messages[{i}] ({message['role']}) is an "
                                                   "empty turn"))
        texts.append(text)
    if len(messages) < 2:
        problems.append(Problem(line, "roles", "a record needs a user turn and an assistant turn"))
    elif isinstance(messages[-1], dict) and messages[-1].get("role") != "assistant":
        problems.append(Problem(line, "roles", "the last turn must be the assistant's (the "
                                               "answer to learn)"))
    return problems, "\n".join(texts)


def validate_jsonl(source, model_id: str, customization_type: str = "FINE_TUNING",
                   hyperparameters: dict | None = None, validation: bool = False,
                   count_records: bool = True) -> Report:
    """Check a JSONL file (path, text, or list of records/lines) for a customization job.

    Reports every problem with its line number: bad JSON, wrong keys for the model's format,
    wrong types, empty turns, role order, reserved words (Nova), records over the model's token
    limit, and (unless count_records=False) too few or too many records. `validation=True`
    checks a validation file (its own maximum; no minimum)."""
    from local_bedrock.text.tokens import count_tokens

    m = method(model_id, customization_type)
    name, lines = _lines(source)
    report = Report(name, base_id(model_id), customization_type, m.data_format)
    limit = m.token_limit(hyperparameters)
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        report.records += 1
        try:
            record = json.loads(raw)
        except ValueError as exc:
            report.problems.append(Problem(number, "json", f"not valid JSON: {exc.msg} at "
                                                           f"column {exc.colno}"))
            continue
        problems, text = check_record(record, m.data_format, number)
        report.problems += problems
        for word in m.reserved:
            if word.lower() in text.lower():
                report.problems.append(Problem(number, "reserved", f"contains {word!r}, a word "
                                                                   f"{report.model_id} reserves"))
                break
        tokens = count_tokens(text)
        report.tokens.append(tokens)
        if tokens > limit:
            report.problems.append(Problem(number, "tokens", f"{tokens:,} tokens: over the "
                                                             f"{limit:,}-token limit per record"))
    if count_records:
        most = m.max_validation_records if validation else m.max_records
        least = 1 if validation else m.min_records
        if not least <= report.records <= most:
            report.problems.append(Problem(None, "count", f"{report.records} records: "
                                                          f"{report.model_id} needs {least:,} to {most:,}"))
    report.problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return report


def validate_pretraining(source, hyperparameters: dict | None = None,
                         validation: bool = False) -> Report:
    """Check `{"input": ...}` records against the last continued-pre-training spec Bedrock
    published (Titan Text G1 - Express, now end of life: 4,096 tokens per record, 2,048 with a
    batchSize of 2 or more). No active model takes such a job on Bedrock; the checks (format,
    empty text, length) still apply to domain text you prepare for another service."""
    return validate_jsonl(source, PRETRAINING_REFERENCE, "CONTINUED_PRE_TRAINING",
                          hyperparameters=hyperparameters, validation=validation)


# -- splits, lengths, files ----------------------------------------------------------------------


def split_train_validation(records: list, validation_fraction: float = 0.1, seed: int = 0,
                           key: Callable | None = None) -> tuple[list, list]:
    """Shuffle (seeded) and split; with `key`, stratified so each class keeps its share."""
    if not 0 < validation_fraction < 1:
        raise ValueError("validation_fraction must be between 0 and 1")
    groups: dict = defaultdict(list)
    for r in records:
        groups[key(r) if key else None].append(r)
    rng = random.Random(seed)
    train, valid = [], []
    for name in sorted(groups, key=str):
        items = groups[name][:]
        rng.shuffle(items)
        n_val = round(len(items) * validation_fraction)
        valid += items[:n_val]
        train += items[n_val:]
    rng.shuffle(train)
    rng.shuffle(valid)
    return train, valid


def record_tokens(record: dict) -> int:
    """Tokens of every text in a record (prompt, completion, input, system, turns)."""
    from local_bedrock.text.tokens import count_tokens

    _, text = check_record(record, _guess_format(record), 0)
    return count_tokens(text)


def _guess_format(record: dict) -> str:
    if "input" in record:
        return PRETRAINING
    if "prompt" in record:
        return PROMPT_COMPLETION
    messages = record.get("messages") or [{}]
    return CLAUDE_MESSAGES if isinstance(messages[0].get("content"), str) else CONVERSATION


def length_summary(lengths: Iterable[int]) -> dict:
    """count, min, median, p90, p99, max and mean of a list of token counts."""
    values = sorted(lengths)
    if not values:
        return {"records": 0}

    def pct(q: float) -> int:
        return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]

    return {"records": len(values), "min": values[0], "median": pct(0.5), "p90": pct(0.9),
            "p99": pct(0.99), "max": values[-1], "mean": round(sum(values) / len(values), 1)}


def write_jsonl(path: str | Path, records: Iterable[dict]) -> Path:
    """Write records one JSON object per line (UTF-8); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def read_jsonl(path: str | Path) -> list[dict]:
    """The records of a JSONL file (blank lines skipped)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip()]


_PARAGRAPH = re.compile(r"\n\s*\n")


def chunk_text(text: str, max_tokens: int) -> list[str]:
    """Cut unlabelled text into pieces of at most `max_tokens` tokens, at paragraph breaks
    where possible, else at sentence ends, else between words (for continued pre-training)."""
    from local_bedrock.text.tokens import count_tokens, truncate_to_tokens

    pieces: list[str] = []
    for para in (p.strip() for p in _PARAGRAPH.split(text)):
        if not para:
            continue
        if count_tokens(para) <= max_tokens:
            pieces.append(para)
            continue
        sentences = re.split(r"(?<=[.!?])\s+", para)
        for sentence in sentences:
            while count_tokens(sentence) > max_tokens:
                head, _ = truncate_to_tokens(sentence, max_tokens)
                cut = head.rfind(" ") if " " in head.strip() else len(head)
                pieces.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            if sentence:
                pieces.append(sentence)
    chunks, current = [], ""
    for piece in pieces:  # pack neighbouring pieces up to the limit
        joined = f"{current}\n\n{piece}" if current else piece
        if current and count_tokens(joined) > max_tokens:
            chunks.append(current)
            current = piece
        else:
            current = joined
    if current:
        chunks.append(current)
    return chunks


# -- jobs as code --------------------------------------------------------------------------------


def ensure_bucket(s3, name: str, region: str) -> str:
    """Create the bucket unless it exists (us-east-1 takes no location constraint)."""
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **extra)
    return name


def upload_jsonl(s3, bucket: str, key: str, records: Iterable[dict]) -> str:
    """Put records as a JSONL object; returns its s3:// URI."""
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return f"s3://{bucket}/{key}"


def ensure_customization_role(iam, name: str, bucket: str, account: str) -> str:
    """The service role Bedrock assumes to read training data and write outputs in `bucket`."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    access = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                              Description="Bedrock workshop lab 04: model customization")["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="customization-s3-access",
                        PolicyDocument=json.dumps(access))
    return arn


def delete_role(iam, name: str) -> bool:
    """Delete the role and its inline policies; False if it did not exist."""
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def empty_and_delete_bucket(s3, bucket: str) -> int:
    """Delete every object, then the bucket; returns the number of objects deleted."""
    try:
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for o in page.get("Contents", [])]
    except s3.exceptions.NoSuchBucket:
        return 0
    for i in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})
    s3.delete_bucket(Bucket=bucket)
    return len(keys)


def stage_of(job: dict) -> str:
    """The job's current stage, e.g. "training (InProgress)", from its statusDetails."""
    details = job.get("statusDetails") or {}
    for name in reversed(STAGES):
        status = (details.get(name) or {}).get("status")
        if status and status != "NotStarted":
            return f"{name.replace('Details', '')} ({status})"
    return job.get("status", "?")


def wait_for_job(bedrock, job_arn: str, timeout_s: float = 6 * 3600, max_poll_s: float = 60,
                 progress: bool = True) -> dict:
    """Poll GetModelCustomizationJob until it ends (or `timeout_s`); returns the last answer.

    Polls quickly at first, then every `max_poll_s` (live jobs take from under an hour to many
    hours). The tqdm bar counts the three stages Bedrock reports: validation, data processing,
    training."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(STAGES), desc="customization job", unit="stage",
               **({} if progress else {"disable": True}))  # TQDM_DISABLE applies otherwise
    deadline, pause = time.monotonic() + timeout_s, 0.25
    while True:
        job = bedrock.get_model_customization_job(jobIdentifier=job_arn)
        done = sum((job.get("statusDetails") or {}).get(s, {}).get("status") == "Completed"
                   for s in STAGES)
        bar.n = done
        bar.set_postfix_str(f"{job['status']}: {stage_of(job)}")
        bar.refresh()
        if job["status"] in TERMINAL or time.monotonic() > deadline:
            bar.close()
            return job
        time.sleep(pause)
        pause = min(pause * 1.5, max_poll_s)


def wait_for_provisioned(bedrock, arn: str, timeout_s: float = 3600, max_poll_s: float = 30) -> dict:
    """Poll GetProvisionedModelThroughput until InService or Failed."""
    deadline, pause = time.monotonic() + timeout_s, 0.25
    while True:
        pt = bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
        if pt["status"] in ("InService", "Failed") or time.monotonic() > deadline:
            return pt
        time.sleep(pause)
        pause = min(pause * 1.5, max_poll_s)


def metrics_keys(output_uri: str, job_arn: str) -> tuple[str, str, str]:
    """(bucket, training metrics key, validation metrics key) where Bedrock writes them."""
    bucket, _, prefix = output_uri.removeprefix("s3://").partition("/")
    folder = f"{prefix.rstrip('/')}/model-customization-job-{job_arn.rsplit('/', 1)[-1]}".lstrip("/")
    return (bucket, f"{folder}/training_artifacts/step_wise_training_metrics.csv",
            f"{folder}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv")


def read_metrics(s3, output_uri: str, job_arn: str) -> tuple[list[dict], list[dict]]:
    """The job's step-wise training metrics and validation metrics (empty list if absent)."""
    bucket, train_key, valid_key = metrics_keys(output_uri, job_arn)
    out = []
    for key in (train_key, valid_key):
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except s3.exceptions.NoSuchKey:
            out.append([])
            continue
        out.append([{k: (float(v) if k.endswith(("loss", "perplexity")) else int(v))
                     for k, v in row.items()} for row in csv.DictReader(io.StringIO(body))])
    return out[0], out[1]


def find_custom_model(bedrock, name: str) -> dict | None:
    """The custom model with exactly this name, or None."""
    for page in bedrock.get_paginator("list_custom_models").paginate(nameContains=name):
        for m in page.get("modelSummaries", []):
            if m["modelName"] == name:
                return m
    return None


def find_provisioned(bedrock, name: str) -> dict | None:
    """The provisioned throughput with exactly this name, or None."""
    for page in bedrock.get_paginator("list_provisioned_model_throughputs").paginate(nameContains=name):
        for p in page.get("provisionedModelSummaries", []):
            if p["provisionedModelName"] == name:
                return p
    return None


# -- costs -----------------------------------------------------------------------------------------


def price(model_id: str):
    """The registry's CustomizationPrice for a base model (any id form), or None."""
    return CUSTOMIZATION_PRICES.get(base_id(model_id))


def training_cost(model_id: str, tokens_per_epoch: int, epochs: int) -> float | None:
    """USD to train: tokens in the training data x epochs x the registry's price (None if unknown)."""
    found = price(model_id)
    return None if found is None else tokens_per_epoch * epochs / 1000 * found.train_per_1k_tokens


def provisioned_cost(model_id: str, units: int = 1, commitment: str | None = None,
                     hours: float = HOURS_PER_MONTH) -> float | None:
    """USD for `units` model units of Provisioned Throughput kept for `hours` (a month by
    default), from the registry; None when the registry has no price for it."""
    found = price(model_id)
    hourly = None if found is None else found.provisioned_hourly.get(commitment)
    return None if hourly is None else hourly * units * hours


def cost_rows() -> list[dict]:
    """The registry's customization prices as table rows (USD), with the base model's status:
    an end-of-life model's prices are the last ones published (it can no longer be customized)."""
    rows = []
    for model_id, p in CUSTOMIZATION_PRICES.items():
        model = find(model_id)
        row = {"model": model.name if model else model_id,
               "status": status_label(model_id),
               "train $/1M tokens": round(p.train_per_1k_tokens * 1000, 2),
               "storage $/month": p.storage_per_month}
        for label, commitment in (("PT no commitment $/h", None), ("PT 1 month $/h", "OneMonth"),
                                  ("PT 6 months $/h", "SixMonths")):
            row[label] = p.provisioned_hourly.get(commitment, "see pricing page")
        rows.append(row)
    return rows


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (how sure an accuracy on n items is)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
