"""Knowledge Bases, offline: state and logic behind bedrock-agent and bedrock-agent-runtime.

What is real here: documents are read from S3 (moto) or from the shipped corpus, parsed
(pypdf for PDFs), chunked with Bedrock's FIXED_SIZE rule (or NONE), embedded with the
engine's local embeddings at the dimension the embedding model is configured for, and
searched with the workshop's faiss index (`index.py`). Metadata filters are evaluated.
Ingestion is incremental (documents are compared by content hash).

What is not: vectors stay in the engine's memory (an S3 Vectors index named in the storage
configuration must exist, but nothing is written to it); answers of RetrieveAndGenerate come
from the local responder (extractive: it quotes the retrieved passages), and follow-up
questions in a session are rewritten by a rule (prefix the previous question when the new one
leans on it), not by a model.

The engine serves one knowledge base from the start, built lazily from the lab 03 corpus on
first use: name `kestrel-workshop-kb`, id `KESTRELKB1`, data source `kestrel-corpus`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from local_bedrock import catalog, pagination
from local_bedrock.errors import EngineError, not_found, validation
from local_bedrock.knowledge_bases import chunking, documents
from local_bedrock.knowledge_bases.index import ChunkIndex
from local_bedrock.text import embeddings

ACCOUNT = "123456789012"  # moto's default account: what offline STS answers
BUILTIN_KB_ID = "KESTRELKB1"
BUILTIN_KB_NAME = "kestrel-workshop-kb"
BUILTIN_DS_ID = "KESTRELDS1"
BUILTIN_DS_NAME = "kestrel-corpus"
BUILTIN_JOB_ID = "KESTRELIJ1"
CORPUS_PREFIX = "corpus/"
DEFAULT_CHUNKING = {"chunkingStrategy": "FIXED_SIZE",
                    "fixedSizeChunkingConfiguration": {"maxTokens": 300, "overlapPercentage": 20}}
_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ROLE_ARN = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
_HYBRID_STORES = ("OPENSEARCH_SERVERLESS", "OPENSEARCH_MANAGED_CLUSTER", "RDS", "MONGO_DB_ATLAS")


def corpus_bucket(account: str, region: str) -> str:
    """The S3 bucket lab 03 uploads the corpus to (the built-in data source reads it)."""
    return f"kestrel-kb-docs-{account}-{region}"


def corpus_dir() -> Path:
    """The shipped corpus: WORKSHOP_KB_CORPUS, else 03_knowledge_bases/data/corpus."""
    env = os.environ.get("WORKSHOP_KB_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "03_knowledge_bases" / "data" / "corpus"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _new_id(prefix: str = "") -> str:
    raw = uuid.uuid4().int
    out = prefix
    while len(out) < 10:
        raw, k = divmod(raw, len(_ID_CHARS))
        out += _ID_CHARS[k]
    return out


# ------------------------------------------------------------------------------ records


@dataclass
class IndexedDocument:
    """One ingested document: its S3 URI, content hash, metadata hash and chunks."""

    uri: str
    digest: str
    meta_digest: str
    chunks: list[chunking.Chunk]
    vectors: np.ndarray


@dataclass
class DataSource:
    kb_id: str
    ds_id: str
    name: str
    config: dict
    ingestion: dict
    deletion_policy: str = "DELETE"
    description: str | None = None
    status: str = "AVAILABLE"
    created: dt.datetime = field(default_factory=_now)
    updated: dt.datetime = field(default_factory=_now)
    docs: dict[str, IndexedDocument] = field(default_factory=dict)
    loaded: bool = False  # the built-in data source: corpus loaded from disk

    def to_dict(self) -> dict:
        out = {"knowledgeBaseId": self.kb_id, "dataSourceId": self.ds_id, "name": self.name,
               "status": self.status, "dataSourceConfiguration": self.config,
               "vectorIngestionConfiguration": self.ingestion,
               "dataDeletionPolicy": self.deletion_policy, "createdAt": self.created,
               "updatedAt": self.updated}
        if self.description:
            out["description"] = self.description
        return out

    def summary(self) -> dict:
        out = {k: v for k, v in self.to_dict().items()
               if k in ("knowledgeBaseId", "dataSourceId", "name", "status", "description",
                        "updatedAt")}
        return out


@dataclass
class IngestionJob:
    kb_id: str
    ds_id: str
    job_id: str
    status: str = "STARTING"
    description: str | None = None
    statistics: dict = field(default_factory=dict)
    failure_reasons: list[str] = field(default_factory=list)
    started: dt.datetime = field(default_factory=_now)
    updated: dt.datetime = field(default_factory=_now)

    def to_dict(self) -> dict:
        out = {"knowledgeBaseId": self.kb_id, "dataSourceId": self.ds_id,
               "ingestionJobId": self.job_id, "status": self.status,
               "statistics": self.statistics, "startedAt": self.started,
               "updatedAt": self.updated}
        if self.description:
            out["description"] = self.description
        if self.failure_reasons:
            out["failureReasons"] = self.failure_reasons
        return out

    def summary(self) -> dict:
        out = self.to_dict()
        out.pop("failureReasons", None)
        return out


@dataclass
class KnowledgeBase:
    kb_id: str
    name: str
    region: str
    role_arn: str
    config: dict
    storage: dict | None
    model_id: str
    dimensions: int
    description: str | None = None
    status: str = "CREATING"
    created: dt.datetime = field(default_factory=_now)
    updated: dt.datetime = field(default_factory=_now)
    builtin: bool = False
    index: ChunkIndex | None = None
    dirty: bool = True
    retained: list[IndexedDocument] = field(default_factory=list)  # of deleted RETAIN sources

    @property
    def arn(self) -> str:
        return f"arn:aws:bedrock:{self.region}:{ACCOUNT}:knowledge-base/{self.kb_id}"

    @property
    def store_type(self) -> str:
        return (self.storage or {}).get("type", "MANAGED")

    def to_dict(self) -> dict:
        out = {"knowledgeBaseId": self.kb_id, "name": self.name, "knowledgeBaseArn": self.arn,
               "roleArn": self.role_arn, "knowledgeBaseConfiguration": self.config,
               "status": self.status, "createdAt": self.created, "updatedAt": self.updated}
        if self.storage:
            out["storageConfiguration"] = self.storage
        if self.description:
            out["description"] = self.description
        return out

    def summary(self) -> dict:
        out = {"knowledgeBaseId": self.kb_id, "name": self.name, "status": self.status,
               "updatedAt": self.updated}
        if self.description:
            out["description"] = self.description
        return out

    def embed(self, texts: list[str]) -> np.ndarray:
        """The knowledge base's embedding function (local vectors at the configured size)."""
        return embed_batched(texts, self.dimensions)


def embed_batched(texts: list[str], dimensions: int, batch: int = 512) -> np.ndarray:
    """Embed texts in batches (one local model call per batch, not per text); texts of similar
    length go together, so less padding is computed."""
    if not texts:
        return np.zeros((0, dimensions), np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), dimensions), np.float32)
    for i in range(0, len(order), batch):
        rows = order[i:i + batch]
        out[rows] = embeddings.embed([texts[j] for j in rows], dimensions)
    return out


# ------------------------------------------------------------------- the built-in corpus

_builtin_lock = threading.Lock()
_builtin_cache: dict[tuple, dict[str, IndexedDocument]] = {}


def _corpus_signature(directory: Path) -> tuple:
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in documents.FORMATS)
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def builtin_documents(region: str, dimensions: int = 1024) -> dict[str, IndexedDocument]:
    """The corpus chunked (FIXED_SIZE 300/20) and embedded: built on first use, then cached."""
    directory = corpus_dir()
    if not directory.is_dir():
        raise EngineError("ResourceNotFoundException",
                          f"The built-in knowledge base reads the corpus from {directory}, which "
                          "does not exist (set WORKSHOP_KB_CORPUS).", 404)
    key = (str(directory), _corpus_signature(directory), region, dimensions)
    with _builtin_lock:
        if key not in _builtin_cache:
            bucket = corpus_bucket(ACCOUNT, region)
            files = sorted(p for p in directory.iterdir() if p.suffix.lower() in documents.FORMATS)
            docs = {}
            for path in files:
                data = path.read_bytes()
                sidecar = documents.metadata_sidecar(path.stem, path.suffix)
                uri = f"s3://{bucket}/{CORPUS_PREFIX}{path.name}"
                docs[uri] = _prepare_document(uri, data, sidecar, DEFAULT_CHUNKING, BUILTIN_DS_ID)
            _embed_documents(list(docs.values()), dimensions)
            _builtin_cache.clear()
            _builtin_cache[key] = docs
        return _builtin_cache[key]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunker(ingestion: dict):
    cfg = (ingestion or {}).get("chunkingConfiguration") or DEFAULT_CHUNKING
    strategy = cfg.get("chunkingStrategy", "FIXED_SIZE")
    if strategy == "FIXED_SIZE":
        fixed = cfg.get("fixedSizeChunkingConfiguration") or {}
        max_tokens = int(fixed.get("maxTokens", 300))
        overlap = int(fixed.get("overlapPercentage", 20))
        if not 1 <= overlap <= 99:
            raise validation("overlapPercentage must be between 1 and 99.")
        return lambda doc: chunking.fixed_tokens(doc, max_tokens, overlap)
    if strategy == "NONE":
        return chunking.whole
    raise EngineError("NotImplementedException",
                      f"The local engine chunks with FIXED_SIZE or NONE; {strategy} chunking "
                      "needs live mode.", 501)


def _prepare_document(uri: str, data: bytes, sidecar: dict | None, ingestion: dict,
                      ds_id: str) -> IndexedDocument:
    """Parse and chunk one document (vectors are added by `_embed_documents`)."""
    attrs = (sidecar or {}).get("metadataAttributes", {})
    attrs = {k: (v.get("value", v) if isinstance(v, dict) and "value" in v else v)
             for k, v in attrs.items()}
    doc = documents.load_bytes(uri.rsplit("/", 1)[-1], data, attrs)
    chunks = _chunker(ingestion)(doc)
    for n, c in enumerate(chunks):
        meta = {**attrs,
                "x-amz-bedrock-kb-source-uri": uri,
                "x-amz-bedrock-kb-chunk-id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ds_id}/{uri}#{n}")),
                "x-amz-bedrock-kb-data-source-id": ds_id}
        if "page" in c.metadata:
            meta["x-amz-bedrock-kb-document-page-number"] = float(c.metadata["page"])
        c.metadata = meta
    meta_digest = _digest(json.dumps(sidecar, sort_keys=True).encode()) if sidecar else ""
    return IndexedDocument(uri, _digest(data), meta_digest, chunks, np.zeros((0, 0), np.float32))


def _embed_documents(docs: list[IndexedDocument], dimensions: int) -> None:
    """Embed the chunks of many documents together (batched), then hand each its vectors."""
    texts = [c.text for d in docs for c in d.chunks]
    vectors = embed_batched(texts, dimensions)
    pos = 0
    for d in docs:
        d.vectors = vectors[pos:pos + len(d.chunks)]
        pos += len(d.chunks)


# ---------------------------------------------------------------------------- the store


class Store:
    """Knowledge bases, data sources, ingestion jobs and RetrieveAndGenerate sessions."""

    def __init__(self, engine):
        self.engine = engine
        self.region = engine.region
        self.lock = threading.RLock()
        self.kbs: dict[str, KnowledgeBase] = {}
        self.sources: dict[tuple[str, str], DataSource] = {}
        self.jobs: dict[tuple[str, str, str], IngestionJob] = {}
        self.sessions: dict[str, list[dict]] = {}
        self._add_builtin()

    # -- built-in -------------------------------------------------------------------------
    def _add_builtin(self) -> None:
        model = catalog.by_tag("default-embedding")
        bucket = corpus_bucket(ACCOUNT, self.region)
        kb = KnowledgeBase(
            BUILTIN_KB_ID, BUILTIN_KB_NAME, self.region,
            f"arn:aws:iam::{ACCOUNT}:role/KestrelWorkshopKbRole",
            {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{self.region}::foundation-model/{model.model_id}",
                "embeddingModelConfiguration": {"bedrockEmbeddingModelConfiguration": {
                    "dimensions": 1024, "embeddingDataType": "FLOAT32"}}}},
            {"type": "S3_VECTORS", "s3VectorsConfiguration": {
                "indexArn": f"arn:aws:s3vectors:{self.region}:{ACCOUNT}:bucket/"
                            f"kestrel-kb-vectors-{ACCOUNT}/index/kestrel-chunks"}},
            model.model_id, 1024,
            description="Lab 03: the Kestrel Home Robotics corpus (built into the offline engine)",
            status="ACTIVE", builtin=True)
        self.kbs[kb.kb_id] = kb
        ds = DataSource(BUILTIN_KB_ID, BUILTIN_DS_ID, BUILTIN_DS_NAME,
                        {"type": "S3", "s3Configuration": {
                            "bucketArn": f"arn:aws:s3:::{bucket}",
                            "inclusionPrefixes": [CORPUS_PREFIX]}},
                        {"chunkingConfiguration": DEFAULT_CHUNKING},
                        description="The documents of 03_knowledge_bases/data/corpus")
        self.sources[(kb.kb_id, ds.ds_id)] = ds
        self.jobs[(kb.kb_id, ds.ds_id, BUILTIN_JOB_ID)] = IngestionJob(
            kb.kb_id, ds.ds_id, BUILTIN_JOB_ID, "COMPLETE",
            description="Built from the shipped corpus when the engine first needed it")

    def _load_builtin(self, kb: KnowledgeBase) -> None:
        ds = self.sources.get((kb.kb_id, BUILTIN_DS_ID))
        if ds is None or ds.loaded:
            return
        ds.docs = dict(builtin_documents(self.region, kb.dimensions))
        ds.loaded = True
        job = self.jobs.get((kb.kb_id, ds.ds_id, BUILTIN_JOB_ID))
        if job is not None:
            n = len(ds.docs)
            job.statistics = _stats(scanned=n, meta=n, new=n)
        kb.dirty = True

    # -- lookups --------------------------------------------------------------------------
    def kb(self, kb_id: str) -> KnowledgeBase:
        kb = self.kbs.get(kb_id)
        if kb is None:
            raise not_found(f"Knowledge base with id {kb_id} does not exist.")
        if kb.status == "CREATING":
            kb.status, kb.updated = "ACTIVE", _now()
        return kb

    def source(self, kb_id: str, ds_id: str) -> DataSource:
        self.kb(kb_id)
        ds = self.sources.get((kb_id, ds_id))
        if ds is None:
            raise not_found(f"Data source with id {ds_id} does not exist in knowledge base "
                            f"{kb_id}.")
        return ds

    def searchable(self, kb_id: str) -> KnowledgeBase:
        """The knowledge base with its index up to date (builds the built-in one lazily)."""
        with self.lock:
            kb = self.kb(kb_id)
            if kb.builtin:
                self._load_builtin(kb)
            if kb.dirty or kb.index is None:
                docs = [d for (k, _), ds in self.sources.items() if k == kb_id
                        for d in ds.docs.values()]
                docs += kb.retained
                chunks = [c for d in docs for c in d.chunks]
                vectors = (np.vstack([d.vectors for d in docs]) if docs
                           else np.zeros((0, kb.dimensions), np.float32))
                kb.index = ChunkIndex(chunks, kb.embed, vectors=vectors)
                kb.dirty = False
            return kb

    # -- S3 through moto -----------------------------------------------------------------
    def s3(self):
        """An S3 client answered in-process by this engine (so by moto)."""
        return self.engine.client("s3")

    def s3vectors_index_exists(self, storage: dict) -> tuple[bool, int | None]:
        """(exists, dimension) of the S3 Vectors index a storage configuration names (moto)."""
        from botocore.exceptions import ClientError


        cfg = storage.get("s3VectorsConfiguration") or {}
        client = self.engine.client("s3vectors")
        args = ({"indexArn": cfg["indexArn"]} if cfg.get("indexArn") else
                {"vectorBucketName": cfg.get("vectorBucketArn", "").rsplit("/", 1)[-1],
                 "indexName": cfg.get("indexName", "")})
        try:
            index = client.get_index(**args)["index"]
        except ClientError:
            return False, None
        return True, index.get("dimension")


def _stats(scanned=0, meta=0, new=0, modified=0, meta_modified=0, deleted=0, failed=0) -> dict:
    return {"numberOfDocumentsScanned": scanned, "numberOfMetadataDocumentsScanned": meta,
            "numberOfNewDocumentsIndexed": new, "numberOfModifiedDocumentsIndexed": modified,
            "numberOfMetadataDocumentsModified": meta_modified,
            "numberOfDocumentsDeleted": deleted, "numberOfDocumentsFailed": failed}


def store(engine) -> Store:
    """The engine's knowledge-base store (created on first use)."""
    st = engine.state.get("knowledge_bases")
    if st is None:
        st = engine.state["knowledge_bases"] = Store(engine)
    return st


# ------------------------------------------------------------------------- control plane


def _embedding_model(config: dict) -> tuple[str, int]:
    kind = config.get("type")
    if kind == "VECTOR":
        vec = config.get("vectorKnowledgeBaseConfiguration") or {}
        arn = vec.get("embeddingModelArn")
        if not arn:
            raise validation("knowledgeBaseConfiguration.vectorKnowledgeBaseConfiguration."
                             "embeddingModelArn is required for a VECTOR knowledge base.")
    elif kind == "MANAGED":
        managed = config.get("managedKnowledgeBaseConfiguration") or {}
        arn = managed.get("embeddingModelArn") if managed.get("embeddingModelType") == "CUSTOM" \
            else catalog.by_tag("default-embedding").model_id
        vec = managed
    else:
        raise EngineError("NotImplementedException",
                          f"The local engine serves VECTOR and MANAGED knowledge bases, not {kind}.",
                          501)
    model = catalog.find(arn or "")
    if model is None or "EMBEDDING" not in model.output_modalities:
        raise validation(f"The embedding model {arn} is not a supported embedding model.")
    dims = ((vec.get("embeddingModelConfiguration") or {})
            .get("bedrockEmbeddingModelConfiguration") or {}).get("dimensions")
    dims = dims or model.embedding_dims[0]
    if dims not in model.embedding_dims:
        raise validation(f"{model.model_id} supports dimensions {list(model.embedding_dims)}, "
                         f"not {dims}.")
    return model.model_id, int(dims)


def create_knowledge_base(st: Store, params: dict) -> dict:
    with st.lock:
        name = params["name"]
        if any(kb.name == name for kb in st.kbs.values()):
            raise EngineError("ConflictException",
                              f"KnowledgeBase with name {name} already exists.", 409)
        if not _ROLE_ARN.fullmatch(params.get("roleArn", "")):
            raise validation(f"roleArn {params.get('roleArn')!r} is not an IAM role ARN.")
        config = params["knowledgeBaseConfiguration"]
        model_id, dims = _embedding_model(config)
        storage = params.get("storageConfiguration")
        if config.get("type") == "VECTOR":
            if not storage:
                raise validation("storageConfiguration is required for a VECTOR knowledge base.")
            if storage.get("type") == "S3_VECTORS":
                exists, index_dims = st.s3vectors_index_exists(storage)
                if not exists:
                    raise validation("The knowledge base storage configuration provided is "
                                     "invalid... The S3 Vectors index does not exist.")
                if index_dims and index_dims != dims:
                    raise validation(f"The S3 Vectors index has dimension {index_dims} but the "
                                     f"embedding model is configured for {dims}.")
        kb = KnowledgeBase(_new_id(), name, st.region, params["roleArn"], config, storage,
                           model_id, dims, description=params.get("description"))
        st.kbs[kb.kb_id] = kb
        return {"knowledgeBase": kb.to_dict()}


def get_knowledge_base(st: Store, params: dict) -> dict:
    return {"knowledgeBase": st.kb(params["knowledgeBaseId"]).to_dict()}


def list_knowledge_bases(st: Store, params: dict) -> dict:
    for kb in list(st.kbs.values()):
        if kb.status == "CREATING":
            st.kb(kb.kb_id)
    items = [kb.summary() for kb in st.kbs.values()]
    return pagination.keyed(items, params, "knowledgeBaseSummaries")


def delete_knowledge_base(st: Store, params: dict) -> dict:
    with st.lock:
        kb = st.kb(params["knowledgeBaseId"])
        del st.kbs[kb.kb_id]
        for key in [k for k in st.sources if k[0] == kb.kb_id]:
            del st.sources[key]
        for key in [k for k in st.jobs if k[0] == kb.kb_id]:
            del st.jobs[key]
        return {"knowledgeBaseId": kb.kb_id, "status": "DELETING"}


def create_data_source(st: Store, params: dict) -> dict:
    with st.lock:
        kb = st.kb(params["knowledgeBaseId"])
        if any(ds.name == params["name"] for (k, _), ds in st.sources.items() if k == kb.kb_id):
            raise EngineError("ConflictException",
                              f"DataSource with name {params['name']} already exists.", 409)
        config = params["dataSourceConfiguration"]
        if config.get("type") != "S3" or not (config.get("s3Configuration") or {}).get("bucketArn"):
            raise EngineError("NotImplementedException",
                              "The local engine reads S3 data sources (s3Configuration.bucketArn); "
                              f"{config.get('type')} needs live mode.", 501)
        ingestion = params.get("vectorIngestionConfiguration") or {
            "chunkingConfiguration": DEFAULT_CHUNKING}
        _chunker(ingestion)  # validate now, as Bedrock does
        ds = DataSource(kb.kb_id, _new_id(), params["name"], config, ingestion,
                        params.get("dataDeletionPolicy", "DELETE"), params.get("description"))
        st.sources[(kb.kb_id, ds.ds_id)] = ds
        return {"dataSource": ds.to_dict()}


def get_data_source(st: Store, params: dict) -> dict:
    return {"dataSource": st.source(params["knowledgeBaseId"], params["dataSourceId"]).to_dict()}


def list_data_sources(st: Store, params: dict) -> dict:
    kb = st.kb(params["knowledgeBaseId"])
    items = [ds.summary() for (k, _), ds in st.sources.items() if k == kb.kb_id]
    return pagination.keyed(items, params, "dataSourceSummaries")


def delete_data_source(st: Store, params: dict) -> dict:
    with st.lock:
        ds = st.source(params["knowledgeBaseId"], params["dataSourceId"])
        kb = st.kbs[ds.kb_id]
        if ds.deletion_policy == "RETAIN":  # Bedrock keeps the vectors: they stay searchable
            kb.retained += list(ds.docs.values())
        del st.sources[(ds.kb_id, ds.ds_id)]
        kb.dirty = True
        return {"knowledgeBaseId": ds.kb_id, "dataSourceId": ds.ds_id, "status": "DELETING"}


def start_ingestion_job(st: Store, params: dict) -> dict:
    """Sync a data source from S3 (moto): new, modified and deleted documents, incrementally."""
    with st.lock:
        ds = st.source(params["knowledgeBaseId"], params["dataSourceId"])
        kb = st.kbs[ds.kb_id]
        if kb.builtin:
            st._load_builtin(kb)
        job = IngestionJob(ds.kb_id, ds.ds_id, _new_id(), description=params.get("description"))
        st.jobs[(ds.kb_id, ds.ds_id, job.job_id)] = job
        snapshot = job.to_dict()  # Bedrock answers STARTING; GetIngestionJob shows the outcome
        try:
            job.statistics = _sync(st, kb, ds)
            job.status = "COMPLETE"
        except EngineError as err:
            job.status, job.failure_reasons = "FAILED", [err.message]
            job.statistics = _stats()
        job.updated = _now()
        kb.dirty = True
        return {"ingestionJob": snapshot}


def _sync(st: Store, kb: KnowledgeBase, ds: DataSource) -> dict:
    from botocore.exceptions import ClientError

    s3cfg = ds.config["s3Configuration"]
    bucket = s3cfg["bucketArn"].split(":::", 1)[-1]
    prefixes = s3cfg.get("inclusionPrefixes") or [""]
    s3 = st.s3()
    objects: dict[str, str] = {}
    try:
        for prefix in prefixes:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    objects[obj["Key"]] = obj["ETag"]
    except ClientError as exc:
        raise EngineError("ValidationException", f"Could not list s3://{bucket}: "
                          f"{exc.response['Error'].get('Message', exc)}") from None
    keys = sorted(k for k in objects if Path(k).suffix.lower() in documents.FORMATS)
    sidecars = {k for k in objects if k.endswith(".metadata.json")}
    stats = _stats()
    seen: set[str] = set()
    changed: list[IndexedDocument] = []
    for key in keys:
        uri = f"s3://{bucket}/{key}"
        seen.add(uri)
        stats["numberOfDocumentsScanned"] += 1
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        sidecar = None
        if f"{key}.metadata.json" in sidecars:
            stats["numberOfMetadataDocumentsScanned"] += 1
            raw = s3.get_object(Bucket=bucket, Key=f"{key}.metadata.json")["Body"].read()
            sidecar = json.loads(raw)
        old = ds.docs.get(uri)
        meta_digest = _digest(json.dumps(sidecar, sort_keys=True).encode()) if sidecar else ""
        if old is not None and old.digest == _digest(data) and old.meta_digest == meta_digest:
            continue
        try:
            doc = _prepare_document(uri, data, sidecar, ds.ingestion, ds.ds_id)
        except Exception:  # an unreadable file fails alone, as in Bedrock
            stats["numberOfDocumentsFailed"] += 1
            continue
        changed.append(doc)
        if old is None:
            stats["numberOfNewDocumentsIndexed"] += 1
        elif old.digest != doc.digest:
            stats["numberOfModifiedDocumentsIndexed"] += 1
        else:
            stats["numberOfMetadataDocumentsModified"] += 1
    _embed_documents(changed, kb.dimensions)
    ds.docs.update({d.uri: d for d in changed})
    for uri in [u for u in ds.docs if u not in seen]:
        del ds.docs[uri]
        stats["numberOfDocumentsDeleted"] += 1
    return stats


def get_ingestion_job(st: Store, params: dict) -> dict:
    st.source(params["knowledgeBaseId"], params["dataSourceId"])
    key = (params["knowledgeBaseId"], params["dataSourceId"], params["ingestionJobId"])
    job = st.jobs.get(key)
    if job is None:
        raise not_found(f"Ingestion job with id {params['ingestionJobId']} does not exist.")
    if key[2] == BUILTIN_JOB_ID:
        st._load_builtin(st.kbs[key[0]])
    return {"ingestionJob": job.to_dict()}


def list_ingestion_jobs(st: Store, params: dict) -> dict:
    ds = st.source(params["knowledgeBaseId"], params["dataSourceId"])
    if ds.ds_id == BUILTIN_DS_ID:
        st._load_builtin(st.kbs[ds.kb_id])
    jobs = [j for (k, d, _), j in st.jobs.items() if (k, d) == (ds.kb_id, ds.ds_id)]
    for f in params.get("filters") or []:
        if f.get("attribute") == "STATUS":
            jobs = [j for j in jobs if j.status in f.get("values", [])]
    sort = params.get("sortBy") or {"attribute": "STARTED_AT", "order": "DESCENDING"}
    attr = "status" if sort.get("attribute") == "STATUS" else "started"
    jobs.sort(key=lambda j: getattr(j, attr), reverse=sort.get("order") == "DESCENDING")
    return pagination.keyed([j.summary() for j in jobs], params, "ingestionJobSummaries")
