"""Retrieval-augmented generation helpers for lab 03.

- Documents and chunks: `load_documents`, `load_qa`, the chunkers (`fixed_size`,
  `fixed_tokens`, `recursive`, `by_heading`, `whole`) and the search index (`ChunkIndex`,
  `VectorIndex` on faiss-cpu, `KeywordIndex` on rank-bm25, `rrf`). These live in
  `local_bedrock.knowledge_bases` so the offline Knowledge Bases engine uses the same code.
- Embeddings through Bedrock: `BedrockEmbedder` (Titan Text Embeddings V2 by InvokeModel,
  concurrent, cached; also a LangChain `Embeddings`).
- Prompting and checking answers: `rag_prompt`, `is_refusal`, `claims`, `faithfulness`.
- Metrics: `recall_at_k`, `reciprocal_rank`, `evaluate_retrieval`, `answer_correct`.
- Knowledge Bases: names, idempotent set-up steps, `ensure_workshop_kb`, `delete_workshop_kb`,
  and rows for tables of Retrieve results and citations.
"""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from local_bedrock.knowledge_bases.chunking import (  # noqa: F401  (re-exported)
    STRATEGIES,
    Chunk,
    by_heading,
    chunk_documents,
    fixed_size,
    fixed_tokens,
    recursive,
    whole,
)
from local_bedrock.knowledge_bases.documents import (  # noqa: F401  (re-exported)
    Document,
    category_of,
    load_bytes,
    load_corpus,
    load_file,
    metadata_sidecar,
)
from local_bedrock.knowledge_bases.index import (  # noqa: F401  (re-exported)
    ChunkIndex,
    Hit,
    KeywordIndex,
    VectorIndex,
    normalize,
    rrf,
    tokenize,
)
from local_bedrock.knowledge_bases.models import (
    BUILTIN_DS_NAME,
    BUILTIN_KB_NAME,
    CORPUS_PREFIX,
    DEFAULT_CHUNKING,
    corpus_bucket,
)
from local_bedrock.knowledge_bases.retrieval import condense as _condense
from local_bedrock.markers import MARKER as _MARKER
from local_bedrock.text.responder import sentences
from utils.display import short
from utils.evaluation import f1_score

DATA_DIR = Path(__file__).resolve().parent.parent / "03_knowledge_bases" / "data"
CORPUS_DIR = DATA_DIR / "corpus"
QA_PATH = DATA_DIR / "qa.jsonl"
NOT_FOUND = "not in the documents"

KB_NAME = BUILTIN_KB_NAME  # "kestrel-workshop-kb": the engine serves it offline; lab 03 creates it live
DATA_SOURCE_NAME = BUILTIN_DS_NAME
VECTOR_INDEX = "kestrel-chunks"
ROLE_NAME = "KestrelWorkshopKbRole"
CHUNKING = DEFAULT_CHUNKING


# ------------------------------------------------------------------------------ data


def load_documents(directory: str | Path = CORPUS_DIR) -> list[Document]:
    """The lab 03 corpus (46 documents: Markdown, text and PDF)."""
    return load_corpus(directory)


def load_qa(types: Iterable[str] | None = None, path: str | Path = QA_PATH) -> list[dict]:
    """The QA set; `types` keeps only 'single', 'multi' and/or 'unanswerable' questions."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    keep = set(types) if types else None
    return [r for r in rows if keep is None or r["type"] in keep]


def doc_id_of(uri_or_id: str) -> str:
    """'s3://bucket/corpus/policy-travel.pdf' or 'policy-travel#3' -> 'policy-travel'."""
    return Path(uri_or_id.split("#", 1)[0]).stem


# ------------------------------------------------------------------------ embeddings


class BedrockEmbedder:
    """Text embeddings from a Bedrock embedding model, one InvokeModel call per text.

    Titan Text Embeddings V2 takes one `inputText` per call, so throughput comes from running
    calls concurrently (`workers`); results are cached by text, so re-embedding the same chunk
    or question is free. Usable wherever a function `texts -> np.ndarray` or a LangChain
    `Embeddings` (`embed_documents`, `embed_query`) is expected.
    """

    def __init__(self, client=None, model_id: str | None = None, dimensions: int = 1024,
                 workers: int = 8):
        import boto3

        from utils import models

        self.client = client or boto3.client("bedrock-runtime")
        self.model_id = model_id or models.EMBEDDING_MODEL
        self.dimensions = dimensions
        self.workers = workers
        self.calls = 0
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _one(self, text: str) -> np.ndarray:
        body = json.dumps({"inputText": text, "dimensions": self.dimensions, "normalize": True})
        resp = self.client.invoke_model(modelId=self.model_id, body=body)
        with self._lock:
            self.calls += 1
        return np.asarray(json.loads(resp["body"].read())["embedding"], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (rows) for texts, fetching only the ones not cached yet."""
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            with ThreadPoolExecutor(self.workers) as pool:
                for text, vec in zip(missing, pool.map(self._one, missing), strict=True):
                    self._cache[text] = vec
        if not texts:
            return np.zeros((0, self.dimensions), np.float32)
        return np.vstack([self._cache[t] for t in texts])

    __call__ = embed

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()


# ---------------------------------------------------------------------------- prompts

SYSTEM_PROMPT = (
    "You answer questions about Kestrel Home Robotics using only the documents you are given. "
    "Quote or closely paraphrase them, and cite the id of each document you used in square "
    f"brackets, like [policy-warranty#2]. If the documents do not contain the answer, reply "
    f"exactly: {NOT_FOUND}.")


def rag_prompt(question: str, hits: Sequence[Hit]) -> str:
    """The user message: each passage in <document id=...> tags, then the question."""
    docs = "\n".join(f'<document id="{h.item.chunk_id}">\n{h.item.text}\n</document>'
                     for h in hits)
    return f"{docs}\n\nQuestion: {question}"


_REFUSAL = re.compile(r"not in the documents|could not find|couldn't find|no information|"
                      r"do(?:es)? not (?:contain|mention|say)|unable to (?:find|answer)", re.I)
_CITE = re.compile(r"\[([a-z0-9-]+#\d+)\]")


def is_refusal(answer: str) -> bool:
    """True when an answer declines ("not in the documents", "could not find", ...)."""
    return bool(_REFUSAL.search(answer))


def cited_ids(answer: str) -> list[str]:
    """Passage ids the model cited in square brackets, e.g. [policy-travel#0]."""
    return list(dict.fromkeys(_CITE.findall(answer)))


def claims(answer: str) -> list[str]:
    """The sentences of an answer that state something (engine marker and lead-in removed)."""
    text = answer.replace(_MARKER, " ")
    text = re.sub(r"^\s*(?:from|according to|based on) the provided documents\s*:\s*", "", text,
                  flags=re.I)
    text = _CITE.sub("", text)
    out = []
    for s in sentences(text):
        if is_refusal(s) or not tokenize(s):
            continue
        out.append(s.strip())
    return out


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def support(claim: str, passage: str) -> float:
    """How well one passage supports a claim: 1.0 if quoted; else the share of its content
    words the passage contains, 0 when a number in the claim is missing from the passage.

    A lexical check: it catches added facts, names and numbers, not a wrong recombination of
    words that all occur in the passage (that needs a model-graded check)."""
    norm_claim, norm_passage = " ".join(claim.split()).lower(), " ".join(passage.split()).lower()
    if norm_claim.strip(" .") in norm_passage:
        return 1.0
    numbers = set(_NUMBER.findall(claim))
    if numbers - set(_NUMBER.findall(passage)):
        return 0.0
    words = set(tokenize(claim))
    if not words:
        return 0.0
    return len(words & set(tokenize(passage))) / len(words)


def quoted_from(claim: str, passages: dict[str, str], min_words: int = 4,
                max_pieces: int = 3) -> list[str] | None:
    """The passage ids a claim is quoted from, when it is made of at most `max_pieces` verbatim
    pieces of the passages (an extractive answer joins sentences of several passages); else None."""
    words = " ".join(claim.split()).lower().split()
    texts = {pid: " ".join(t.split()).lower() for pid, t in passages.items()}
    used, i = [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            piece = " ".join(words[i:j])
            owner = next((pid for pid, t in texts.items() if piece in t), None)
            if owner is not None and (j - i >= min(min_words, len(words))):
                used.append(owner)
                i = j
                break
        else:
            return None
        if len(used) > max_pieces:
            return None
    return list(dict.fromkeys(used))


def attribute(answer: str, passages: dict[str, str], threshold: float = 0.8) -> list[dict]:
    """For each claim: the passage(s) that support it best, the support score, supported?

    A claim quoted from the passages (in up to three verbatim pieces) has support 1.0; otherwise
    its support is the best single passage's `support` score."""
    rows = []
    for claim in claims(answer):
        quoted = quoted_from(claim, passages)
        if quoted:
            rows.append({"claim": claim, "passage": ", ".join(quoted), "support": 1.0,
                         "supported": True})
            continue
        scored = [(support(claim, text), pid) for pid, text in passages.items()]
        best, pid = max(scored, default=(0.0, None))
        rows.append({"claim": claim, "passage": pid if best > 0 else None,
                     "support": round(best, 2), "supported": best >= threshold})
    return rows


def faithfulness(answer: str, passages: dict[str, str], threshold: float = 0.8) -> float | None:
    """Share of an answer's claims supported by the passages (None: a refusal, no claims)."""
    rows = attribute(answer, passages, threshold)
    if not rows:
        return None
    return sum(r["supported"] for r in rows) / len(rows)


def answer_correct(answer: str, record: dict) -> float:
    """Token F1 against the gold answer; for unanswerable questions, 1.0 iff it declines."""
    if record["type"] == "unanswerable":
        return float(is_refusal(answer))
    if is_refusal(answer):
        return 0.0
    return f1_score(answer.replace(_MARKER, " "), record["answer"])


# ----------------------------------------------------------------------------- metrics


def condense_question(anchor: str | None, question: str) -> str:
    """A search query for a follow-up, by rule (no model): `anchor`, the last question that stood
    on its own, goes in front when the follow-up leans on it (a pronoun such as "it" or "its", or
    under 3 content words). The offline engine rewrites follow-ups in a session the same way."""
    history = [{"question": anchor, "query": anchor}] if anchor else []
    return _condense(history, question)


def ranked_doc_ids(hits: Sequence[Hit]) -> list[str]:
    """Document ids in rank order, each once (a document can own several top chunks)."""
    return list(dict.fromkeys(h.item.doc_id for h in hits))


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Share of the gold documents found among the first k ranked documents."""
    gold = set(gold)
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: Iterable[str]) -> float:
    """1 / rank of the first gold document (0 if none is ranked)."""
    gold = set(gold)
    return next((1 / i for i, d in enumerate(ranked, 1) if d in gold), 0.0)


def evaluate_retrieval(search: Callable[[str], Sequence[Hit]], qa: Sequence[dict],
                       ks: Sequence[int] = (1, 3, 5, 10)) -> dict:
    """Mean recall@k (document level, chunks ranked by `search`) and MRR over answerable
    questions. `search(question)` returns hits, best first."""
    rows = [r for r in qa if r["doc_ids"]]
    recalls = {k: [] for k in ks}
    rr = []
    for r in rows:
        ranked = ranked_doc_ids(search(r["question"]))
        for k in ks:
            recalls[k].append(recall_at_k(ranked, r["doc_ids"], k))
        rr.append(reciprocal_rank(ranked, r["doc_ids"]))
    out = {f"recall@{k}": round(float(np.mean(v)), 3) for k, v in recalls.items()}
    out["MRR"] = round(float(np.mean(rr)), 3)
    out["questions"] = len(rows)
    return out


# ----------------------------------------------------------------------- knowledge bases


def workshop_names(account: str, region: str) -> dict:
    """The names lab 03 gives the AWS resources of its knowledge base."""
    return {"kb": KB_NAME, "data_source": DATA_SOURCE_NAME,
            "docs_bucket": corpus_bucket(account, region),
            "vector_bucket": f"kestrel-kb-vectors-{account}", "vector_index": VECTOR_INDEX,
            "role": ROLE_NAME}


def upload_corpus(s3, bucket: str, region: str, directory: str | Path = CORPUS_DIR,
                  prefix: str = CORPUS_PREFIX) -> int:
    """Create the bucket if needed; upload every document with its .metadata.json sidecar."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **extra)
    n = 0
    for path in sorted(Path(directory).iterdir()):
        if path.suffix.lower() not in (".md", ".txt", ".pdf"):
            continue
        s3.upload_file(str(path), bucket, f"{prefix}{path.name}")
        s3.put_object(Bucket=bucket, Key=f"{prefix}{path.name}.metadata.json",
                      Body=json.dumps(metadata_sidecar(path.stem, path.suffix)).encode())
        n += 1
    return n


def create_vector_index(s3v, vector_bucket: str, index: str, dimension: int = 1024) -> str:
    """An S3 Vectors bucket and index for a knowledge base (kept if they exist); its ARN."""
    for call in (lambda: s3v.create_vector_bucket(vectorBucketName=vector_bucket),
                 lambda: s3v.create_index(
                     vectorBucketName=vector_bucket, indexName=index, dataType="float32",
                     dimension=dimension, distanceMetric="cosine",
                     # chunk text is too large for filterable metadata (2 KB per vector)
                     metadataConfiguration={"nonFilterableMetadataKeys": ["AMAZON_BEDROCK_TEXT"]})):
        try:
            call()
        except s3v.exceptions.ConflictException:
            pass
    return s3v.get_index(vectorBucketName=vector_bucket, indexName=index)["index"]["indexArn"]


def create_kb_role(iam, role: str, account: str, region: str, docs_bucket: str,
                   index_arn: str, embedding_model_arn: str) -> str:
    """The service role Bedrock assumes to read the bucket, embed and write vectors; its ARN."""
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account},
                      "ArnLike": {"aws:SourceArn":
                                  f"arn:aws:bedrock:{region}:{account}:knowledge-base/*"}}}]}
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": embedding_model_arn},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{docs_bucket}", f"arn:aws:s3:::{docs_bucket}/*"]},
        {"Effect": "Allow", "Action": ["s3vectors:PutVectors", "s3vectors:GetVectors",
                                       "s3vectors:DeleteVectors", "s3vectors:QueryVectors",
                                       "s3vectors:GetIndex"],
         "Resource": index_arn}]}
    try:
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust),
                              Description="Lab 03: Bedrock knowledge base service role")["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="kb-access", PolicyDocument=json.dumps(policy))
    return arn


def find_knowledge_base(agent, name: str = KB_NAME) -> dict | None:
    """The summary of the knowledge base called `name` (bedrock-agent ListKnowledgeBases)."""
    for page in agent.get_paginator("list_knowledge_bases").paginate():
        for kb in page["knowledgeBaseSummaries"]:
            if kb["name"] == name:
                return kb
    return None


def find_data_source(agent, kb_id: str, name: str = DATA_SOURCE_NAME) -> dict | None:
    """The summary of a knowledge base's data source called `name`."""
    for page in agent.get_paginator("list_data_sources").paginate(knowledgeBaseId=kb_id):
        for ds in page["dataSourceSummaries"]:
            if ds["name"] == name:
                return ds
    return None


def knowledge_base_id(agent, name: str = KB_NAME) -> str:
    """The id of the workshop knowledge base, found by name (or a clear error)."""
    kb = find_knowledge_base(agent, name)
    if kb is None:
        raise LookupError(
            f"No knowledge base named {name!r} in this account and region. Create it with "
            "03_knowledge_bases/04_knowledge_bases_api.ipynb or utils.rag.ensure_workshop_kb().")
    return kb["knowledgeBaseId"]


def wait_for(get: Callable[[], dict], done: Callable[[dict], bool], timeout: float = 900,
             interval: float = 5) -> dict:
    """Poll `get()` until `done(result)`; return the last result (TimeoutError after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        result = get()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout:.0f} s: {result}")
        time.sleep(interval)


def retry_while_role_propagates(call: Callable[[], dict], attempts: int = 8,
                                pause: float = 10) -> dict:
    """Retry a create call that fails while a new IAM role propagates (seconds in AWS)."""
    from botocore.exceptions import ClientError

    for attempt in range(attempts):
        try:
            return call()
        except ClientError as err:
            msg = err.response["Error"].get("Message", "").lower()
            if attempt == attempts - 1 or "role" not in msg and "assume" not in msg:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def ensure_workshop_kb(region: str | None = None, quiet: bool = False) -> str:
    """The workshop knowledge base's id: found by name, else created, synced (as in lab 03/04).

    Offline the engine already serves it. Live, creating it takes a few minutes and creates
    billed resources (an S3 bucket, an S3 Vectors index, an IAM role); delete_workshop_kb()
    removes them.
    """
    import boto3

    from utils import models

    agent = boto3.client("bedrock-agent", region_name=region)
    found = find_knowledge_base(agent)
    if found is not None:
        return found["knowledgeBaseId"]
    region = agent.meta.region_name
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    n = workshop_names(account, region)
    embed_arn = models.model_arn(models.EMBEDDING_MODEL, region)
    upload_corpus(boto3.client("s3", region_name=region), n["docs_bucket"], region)
    index_arn = create_vector_index(boto3.client("s3vectors", region_name=region),
                                    n["vector_bucket"], n["vector_index"])
    role_arn = create_kb_role(boto3.client("iam"), n["role"], account, region,
                              n["docs_bucket"], index_arn, embed_arn)
    kb = retry_while_role_propagates(lambda: agent.create_knowledge_base(
        name=n["kb"], roleArn=role_arn, description="Lab 03: the Kestrel corpus",
        knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
            "embeddingModelArn": embed_arn, "embeddingModelConfiguration": {
                "bedrockEmbeddingModelConfiguration": {"dimensions": 1024}}}},
        storageConfiguration={"type": "S3_VECTORS",
                              "s3VectorsConfiguration": {"indexArn": index_arn}}))
    kb_id = kb["knowledgeBase"]["knowledgeBaseId"]
    wait_for(lambda: agent.get_knowledge_base(knowledgeBaseId=kb_id)["knowledgeBase"],
             lambda k: k["status"] == "ACTIVE")
    ds = agent.create_data_source(
        knowledgeBaseId=kb_id, name=n["data_source"],
        dataSourceConfiguration={"type": "S3", "s3Configuration": {
            "bucketArn": f"arn:aws:s3:::{n['docs_bucket']}", "inclusionPrefixes": [CORPUS_PREFIX]}},
        vectorIngestionConfiguration={"chunkingConfiguration": CHUNKING})["dataSource"]
    job = agent.start_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds["dataSourceId"])
    job_id = job["ingestionJob"]["ingestionJobId"]
    wait_for(lambda: agent.get_ingestion_job(knowledgeBaseId=kb_id, dataSourceId=ds["dataSourceId"],
                                             ingestionJobId=job_id)["ingestionJob"],
             lambda j: j["status"] in ("COMPLETE", "FAILED"))
    if not quiet:
        print(f"Created and synced knowledge base {n['kb']} ({kb_id}).")
    return kb_id


def delete_workshop_kb(region: str | None = None) -> list[str]:
    """Delete the workshop knowledge base and what lab 03 created for it; what was deleted."""
    import boto3
    from botocore.exceptions import ClientError

    agent = boto3.client("bedrock-agent", region_name=region)
    region = agent.meta.region_name
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    n = workshop_names(account, region)
    done = []
    kb = find_knowledge_base(agent)
    if kb is not None:
        kb_id = kb["knowledgeBaseId"]
        for page in agent.get_paginator("list_data_sources").paginate(knowledgeBaseId=kb_id):
            for ds in page["dataSourceSummaries"]:
                agent.delete_data_source(knowledgeBaseId=kb_id, dataSourceId=ds["dataSourceId"])
                done.append(f"data source {ds['name']}")
        wait_for(lambda: agent.list_data_sources(knowledgeBaseId=kb_id)["dataSourceSummaries"],
                 lambda left: all(d["status"] != "DELETING" for d in left), timeout=600,
                 interval=5)  # deleting a data source removes its vectors first
        agent.delete_knowledge_base(knowledgeBaseId=kb_id)
        done.append(f"knowledge base {n['kb']}")
    s3v = boto3.client("s3vectors", region_name=region)
    steps = [
        (f"vector index {n['vector_index']}", lambda: s3v.delete_index(
            vectorBucketName=n["vector_bucket"], indexName=n["vector_index"])),
        (f"vector bucket {n['vector_bucket']}", lambda: s3v.delete_vector_bucket(
            vectorBucketName=n["vector_bucket"])),
        (f"IAM role {n['role']}", lambda: _delete_role(boto3.client("iam"), n["role"])),
        (f"S3 bucket {n['docs_bucket']}", lambda: _delete_bucket(
            boto3.client("s3", region_name=region), n["docs_bucket"])),
    ]
    for what, call in steps:
        try:
            call()
            done.append(what)
        except ClientError:
            pass  # already gone
    return done


def _delete_role(iam, role: str) -> None:
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    iam.delete_role(RoleName=role)


def _delete_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    s3.delete_bucket(Bucket=bucket)


# ---------------------------------------------------------------------------- display


def retrieval_rows(results: Sequence[dict], width: int = 90) -> list[dict]:
    """Table rows for Retrieve results: rank, score, document, page, passage."""
    rows = []
    for i, r in enumerate(results, 1):
        meta = r.get("metadata", {})
        page = meta.get("x-amz-bedrock-kb-document-page-number")
        rows.append({"rank": i, "score": round(r.get("score", 0.0), 3),
                     "document": doc_id_of(r["location"]["s3Location"]["uri"]),
                     "page": int(page) if page else "",
                     "passage": short(r["content"]["text"], width)})
    return rows


def citation_rows(response: dict, width: int = 70) -> list[dict]:
    """Table rows for a RetrieveAndGenerate response: answer part -> cited document(s)."""
    rows = []
    for i, c in enumerate(response.get("citations", []), 1):
        part = c["generatedResponsePart"]["textResponsePart"]
        for ref in c["retrievedReferences"] or [{}]:
            loc = ref.get("location", {}).get("s3Location", {}).get("uri", "")
            rows.append({"citation": i, "answer text": short(part["text"], width),
                         "span": f"{part['span']['start']}-{part['span']['end']}",
                         "document": doc_id_of(loc) if loc else "(none)",
                         "passage": short(ref.get("content", {}).get("text", ""), width)})
    return rows


def hit_rows(hits: Sequence[Hit], width: int = 90) -> list[dict]:
    """Table rows for local search hits: rank, score, chunk id, passage."""
    return [{"rank": i, "score": round(h.score, 3), "chunk": h.item.chunk_id,
             "passage": short(h.item.text, width)} for i, h in enumerate(hits, 1)]
