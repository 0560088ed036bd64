"""Find and delete every billable resource the workshop creates - dry run by default.

    plan = utils.cleanup.find()              # list only; nothing changes
    plan                                     # a table: what, name, how it bills, action
    utils.cleanup.delete(plan)               # still a dry run: what would be deleted
    utils.cleanup.delete(plan, dry_run=False, confirm=plan.confirmation)   # really delete

A resource is the workshop's when its name contains "workshop" or starts with "kestrel-" (lab
03's knowledge base resources); pass `match=` to change that. Resources that bill by the hour
(provisioned throughput, running jobs, vector-store collections) are listed even when they are
not the workshop's, marked "keep", so you see them; only the workshop's are ever deleted.

Every listing is guarded: an operation the backend does not serve (some are not served by the
offline engine) or that your role may not call is reported in `plan.unlisted`, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from utils.display import Table

MATCH = ("workshop",)
PREFIXES = ("kestrel-",)


def is_workshop(name: str) -> bool:
    """True for names the workshop gives its resources."""
    low = (name or "").lower()
    return any(m in low for m in MATCH) or low.startswith(PREFIXES)


@dataclass
class Resource:
    """One resource found: what it is, how it bills, and how to delete (or stop) it."""

    kind: str
    name: str
    billing: str
    workshop: bool
    delete: Callable[[], object] = field(repr=False)
    verb: str = "delete"
    order: int = 50

    @property
    def action(self) -> str:
        return self.verb if self.workshop else "keep (not the workshop's)"


@dataclass
class Plan:
    """What `find` saw: resources (the workshop's and hourly-billed others) and unlisted kinds."""

    resources: list[Resource]
    unlisted: list[dict]

    @property
    def to_delete(self) -> list[Resource]:
        return [r for r in self.resources if r.workshop]

    @property
    def confirmation(self) -> str:
        """The text `delete(..., confirm=)` expects: it names the count, so a plan that changed
        since you reviewed it is refused."""
        return f"delete {len(self.to_delete)} resources"

    def table(self) -> Table:
        rows = [{"kind": r.kind, "name": r.name, "billing": r.billing, "action": r.action}
                for r in self.resources]
        return Table(rows, ["kind", "name", "billing", "action"],
                     title=f"{len(self.to_delete)} workshop resources to delete")

    def unlisted_table(self) -> Table:
        return Table(self.unlisted, ["kind", "why not listed"], title="Not listed")

    def __repr__(self) -> str:
        return repr(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _code(exc: Exception) -> str:
    resp = getattr(exc, "response", None) or {}
    err = resp.get("Error", {})
    text = f"{err.get('Code', type(exc).__name__)}: {err.get('Message', str(exc))}"
    return text if len(text) <= 90 else text[:89] + "…"


def _pages(client, op: str, key: str, **kw) -> list[dict]:
    if client.can_paginate(op):
        return [item for page in client.get_paginator(op).paginate(**kw)
                for item in page.get(key, [])]
    return getattr(client, op)(**kw).get(key, [])


class _Clients:
    def __init__(self, region: str | None):
        self.region = region
        self._made: dict = {}

    def __call__(self, service: str):
        if service not in self._made:
            import boto3

            self._made[service] = boto3.client(service, region_name=self.region)
        return self._made[service]


# -- listers: each returns Resources ------------------------------------------------------------
HOURLY = "per hour while it exists"


def _provisioned(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("provisioned throughput", p["provisionedModelName"],
                     f"{HOURLY} (per model unit) - the most expensive item",
                     match(p["provisionedModelName"]),
                     lambda arn=p["provisionedModelArn"]: b.delete_provisioned_model_throughput(
                         provisionedModelId=arn), order=10)
            for p in _pages(b, "list_provisioned_model_throughputs", "provisionedModelSummaries")]


def _customization_jobs(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("customization job (running)", j["jobName"], "training tokens while it runs",
                     match(j["jobName"]),
                     lambda arn=j["jobArn"]: b.stop_model_customization_job(jobIdentifier=arn),
                     verb="stop", order=1)
            for j in _pages(b, "list_model_customization_jobs", "modelCustomizationJobSummaries",
                            statusEquals="InProgress")]


def _batch_jobs(c, match) -> list[Resource]:
    b = c("bedrock")
    out = []
    for status in ("Submitted", "Validating", "Scheduled", "InProgress"):
        for j in _pages(b, "list_model_invocation_jobs", "invocationJobSummaries",
                        statusEquals=status):
            out.append(Resource("batch inference job (running)", j["jobName"],
                                "tokens processed while it runs", match(j["jobName"]),
                                lambda arn=j["jobArn"]: b.stop_model_invocation_job(
                                    jobIdentifier=arn), verb="stop", order=1))
    return out


def _evaluation_jobs(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("evaluation job (running)", j["jobName"], "tokens while it runs",
                     match(j["jobName"]),
                     lambda arn=j["jobArn"]: b.stop_evaluation_job(jobIdentifier=arn),
                     verb="stop", order=1)
            for j in _pages(b, "list_evaluation_jobs", "jobSummaries", statusEquals="InProgress")]


def _custom_models(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("custom model", m["modelName"], "storage per month", True,
                     lambda arn=m["modelArn"]: b.delete_custom_model(modelIdentifier=arn),
                     order=20)
            for m in _pages(b, "list_custom_models", "modelSummaries") if match(m["modelName"])]


def _imported_models(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("imported model", m["modelName"], "storage; model copies while active",
                     True, lambda arn=m["modelArn"]: b.delete_imported_model(
                         modelIdentifier=arn), order=20)
            for m in _pages(b, "list_imported_models", "modelSummaries") if match(m["modelName"])]


def _inference_profiles(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("application inference profile", p["inferenceProfileName"],
                     "nothing at rest (calls bill as the model)", True,
                     lambda arn=p["inferenceProfileArn"]: b.delete_inference_profile(
                         inferenceProfileIdentifier=arn), order=25)
            for p in _pages(b, "list_inference_profiles", "inferenceProfileSummaries",
                            typeEquals="APPLICATION") if match(p["inferenceProfileName"])]


def _guardrails(c, match) -> list[Resource]:
    b = c("bedrock")
    return [Resource("guardrail", g["name"], "per text unit evaluated; nothing at rest", True,
                     lambda gid=g["id"]: b.delete_guardrail(guardrailIdentifier=gid), order=25)
            for g in _pages(b, "list_guardrails", "guardrails") if match(g["name"])]


def _logging_config(c, match) -> list[Resource]:
    b = c("bedrock")
    cfg = b.get_model_invocation_logging_configuration().get("loggingConfig")
    if not cfg:
        return []
    where = [cfg.get("cloudWatchConfig", {}).get("logGroupName", ""),
             cfg.get("s3Config", {}).get("bucketName", "")]
    name = " + ".join(w for w in where if w)
    return [Resource("model invocation logging", name, "log ingestion and storage per call",
                     any(match(w) for w in where if w),
                     b.delete_model_invocation_logging_configuration, order=5)]


def _knowledge_bases(c, match) -> list[Resource]:
    a = c("bedrock-agent")

    def delete(kb_id: str) -> None:
        for ds in _pages(a, "list_data_sources", "dataSourceSummaries", knowledgeBaseId=kb_id):
            a.delete_data_source(knowledgeBaseId=kb_id, dataSourceId=ds["dataSourceId"])
        a.delete_knowledge_base(knowledgeBaseId=kb_id)

    return [Resource("knowledge base (+ data sources)", k["name"],
                     "nothing itself; its vector store bills", True,
                     lambda kid=k["knowledgeBaseId"]: delete(kid), order=30)
            for k in _pages(a, "list_knowledge_bases", "knowledgeBaseSummaries") if match(k["name"])]


def _agents(c, match) -> list[Resource]:
    a = c("bedrock-agent")
    return [Resource("agent", g["agentName"], "per call (model tokens)", True,
                     lambda aid=g["agentId"]: a.delete_agent(agentId=aid,
                                                             skipResourceInUseCheck=True),
                     order=30)
            for g in _pages(a, "list_agents", "agentSummaries") if match(g["agentName"])]


def _collections(c, match) -> list[Resource]:
    o = c("opensearchserverless")
    return [Resource("OpenSearch Serverless collection", col["name"],
                     f"{HOURLY} (OCU-hours, with a minimum)", match(col["name"]),
                     lambda cid=col["id"]: o.delete_collection(id=cid), order=40)
            for col in _pages(o, "list_collections", "collectionSummaries")]


def _vector_buckets(c, match) -> list[Resource]:
    v = c("s3vectors")

    def delete(name: str) -> None:
        for idx in _pages(v, "list_indexes", "indexes", vectorBucketName=name):
            v.delete_index(vectorBucketName=name, indexName=idx["indexName"])
        v.delete_vector_bucket(vectorBucketName=name)

    return [Resource("S3 vector bucket (+ indexes)", b["vectorBucketName"],
                     "vector storage per GB-month, queries", True,
                     lambda n=b["vectorBucketName"]: delete(n), order=40)
            for b in _pages(v, "list_vector_buckets", "vectorBuckets")
            if match(b["vectorBucketName"])]


def _buckets(c, match) -> list[Resource]:
    s3 = c("s3")

    def delete(name: str) -> None:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            keys = [{"Key": o["Key"], "VersionId": o["VersionId"]}
                    for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if keys:
                s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        s3.delete_bucket(Bucket=name)

    return [Resource("S3 bucket (+ objects)", b["Name"], "storage per GB-month", True,
                     lambda n=b["Name"]: delete(n), order=45)
            for b in s3.list_buckets().get("Buckets", []) if match(b["Name"])]


def _log_groups(c, match) -> list[Resource]:
    logs = c("logs")
    return [Resource("CloudWatch log group", g["logGroupName"],
                     "ingestion per GB, storage per GB-month", True,
                     lambda n=g["logGroupName"]: logs.delete_log_group(logGroupName=n), order=45)
            for g in _pages(logs, "describe_log_groups", "logGroups")
            if match(g["logGroupName"])]


def _alarms(c, match) -> list[Resource]:
    cw = c("cloudwatch")
    return [Resource("CloudWatch alarm", a["AlarmName"], "per alarm-month", True,
                     lambda n=a["AlarmName"]: cw.delete_alarms(AlarmNames=[n]), order=45)
            for a in _pages(cw, "describe_alarms", "MetricAlarms") if match(a["AlarmName"])]


def _dashboards(c, match) -> list[Resource]:
    cw = c("cloudwatch")
    return [Resource("CloudWatch dashboard", d["DashboardName"],
                     "per dashboard-month beyond the free ones", True,
                     lambda n=d["DashboardName"]: cw.delete_dashboards(DashboardNames=[n]),
                     order=45)
            for d in _pages(cw, "list_dashboards", "DashboardEntries") if match(d["DashboardName"])]


def _roles(c, match) -> list[Resource]:
    iam = c("iam")

    def delete(name: str) -> None:
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=p)
        for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
        iam.delete_role(RoleName=name)

    return [Resource("IAM role", r["RoleName"], "free (deleted to leave no access behind)", True,
                     lambda n=r["RoleName"]: delete(n), order=90)
            for r in _pages(iam, "list_roles", "Roles") if match(r["RoleName"])]


LISTERS: tuple[tuple[str, Callable], ...] = (
    ("provisioned throughput", _provisioned),
    ("customization jobs", _customization_jobs),
    ("batch inference jobs", _batch_jobs),
    ("evaluation jobs", _evaluation_jobs),
    ("custom models", _custom_models),
    ("imported models", _imported_models),
    ("application inference profiles", _inference_profiles),
    ("guardrails", _guardrails),
    ("model invocation logging", _logging_config),
    ("knowledge bases", _knowledge_bases),
    ("agents", _agents),
    ("OpenSearch Serverless collections", _collections),
    ("S3 vector buckets", _vector_buckets),
    ("S3 buckets", _buckets),
    ("CloudWatch log groups", _log_groups),
    ("CloudWatch alarms", _alarms),
    ("CloudWatch dashboards", _dashboards),
    ("IAM roles", _roles),
)


def find(match: Callable[[str], bool] = is_workshop, region: str | None = None) -> Plan:
    """List the workshop's resources in every service it uses (nothing is changed)."""
    if region is None:
        from utils.setup import current

        region = current().region if current() else None
    clients = _Clients(region)
    resources, unlisted = [], []
    for kind, lister in LISTERS:
        try:
            resources += lister(clients, match)
        except Exception as exc:  # not served here, or not allowed: say so and carry on
            unlisted.append({"kind": kind, "why not listed": _code(exc)})
    resources.sort(key=lambda r: (r.order, r.kind, r.name))
    return Plan(resources, unlisted)


def delete(plan: Plan, dry_run: bool = True, confirm: str | None = None) -> Table:
    """Delete (or stop) the workshop's resources in `plan`, in dependency order.

    Dry run by default: nothing changes. With `dry_run=False`, `confirm` must equal
    `plan.confirmation` ("delete N resources"). Failures are reported per resource."""
    targets = plan.to_delete
    if not dry_run and confirm != plan.confirmation:
        raise ValueError(f"Refusing to delete: review the plan, then call delete(plan, "
                         f"dry_run=False, confirm={plan.confirmation!r}).")
    rows = []
    for r in targets:
        if dry_run:
            status = f"would {r.verb}"
        else:
            try:
                r.delete()
                status = "stopped" if r.verb == "stop" else "deleted"
            except Exception as exc:
                status = f"failed - {_code(exc)}"
        rows.append({"kind": r.kind, "name": r.name, "status": status})
    title = "Dry run: nothing was changed" if dry_run else "Clean-up"
    return Table(rows, ["kind", "name", "status"], title=title)
