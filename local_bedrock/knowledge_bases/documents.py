"""Document loaders for Markdown, plain text and PDF (pypdf), shared by the engine and `utils.rag`.

A `Document` keeps the text as extracted (newlines included, so chunkers can see headings and
lists), the character offset where each PDF page starts, and metadata attributes of the kind a
Bedrock knowledge base reads from `<file>.metadata.json` sidecar files.
"""

from __future__ import annotations

import io
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = (".md", ".txt", ".pdf")
PRODUCTS = ("wren", "heron", "kite", "sparrow", "hub")
_FOOTER = re.compile(r"^\s*[^\n]{0,80}\s-\s+page\s+\d+\s*$", re.I | re.M)
_CATEGORY = {"release": "release-notes", "kb": "support", "guide": "manual", "notes": "memo",
             "company": "company"}


@dataclass
class Document:
    """One source document: id (file stem), extracted text, format and metadata."""

    doc_id: str
    text: str
    source: str
    format: str
    page_starts: list[int] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The first non-empty line, without Markdown '#' marks."""
        for line in self.text.splitlines():
            if line.strip():
                return line.strip().lstrip("#").strip()
        return self.doc_id

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a character offset (PDFs), else None."""
        if not self.page_starts:
            return None
        return bisect_right(self.page_starts, offset)

    @property
    def words(self) -> int:
        return len(self.text.split())


def category_of(doc_id: str) -> str:
    """The workshop's category attribute for a document id ('policy', 'manual', 'faq', ...)."""
    prefix = doc_id.split("-", 1)[0]
    return _CATEGORY.get(prefix, prefix)


def default_metadata(doc_id: str, fmt: str) -> dict:
    """Metadata attributes for a corpus document: category, format and products it names."""
    products = [p for p in PRODUCTS if p in doc_id]
    meta = {"category": category_of(doc_id), "format": fmt.lstrip(".")}
    if products:
        meta["product"] = products[0]
    return meta


def pdf_pages(data: bytes) -> list[str]:
    """Text of each PDF page (pypdf), page footers like 'Company - page 2' removed."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return [_FOOTER.sub("", page.extract_text() or "").strip() for page in reader.pages]


def load_bytes(name: str, data: bytes, metadata: dict | None = None) -> Document:
    """A Document from a file's name and bytes (.md, .txt or .pdf)."""
    path = Path(name)
    suffix = path.suffix.lower()
    doc_id = path.stem
    if suffix == ".pdf":
        pages = pdf_pages(data)
        starts, text = [], ""
        for page in pages:
            if text:
                text += "\n\n"
            starts.append(len(text))
            text += page
        doc = Document(doc_id, text, name, "pdf", starts)
    elif suffix in (".md", ".txt"):
        text = data.decode("utf-8").replace("\r\n", "\n").strip()
        doc = Document(doc_id, text, name, suffix[1:])
    else:
        raise ValueError(f"{name}: unsupported format {suffix!r} (use one of {', '.join(FORMATS)})")
    doc.metadata = dict(metadata) if metadata is not None else default_metadata(doc_id, suffix)
    return doc


def load_file(path: str | Path) -> Document:
    """Load one document; a sibling `<file>.metadata.json` supplies its metadata attributes."""
    path = Path(path)
    sidecar = path.with_name(path.name + ".metadata.json")
    meta = None
    if sidecar.exists():
        meta = json.loads(sidecar.read_text()).get("metadataAttributes", {})
    return load_bytes(path.name, path.read_bytes(), meta)


def load_corpus(directory: str | Path) -> list[Document]:
    """Every .md, .txt and .pdf document of a folder, sorted by id."""
    paths = sorted(p for p in Path(directory).iterdir() if p.suffix.lower() in FORMATS)
    return [load_file(p) for p in paths]


def metadata_sidecar(doc_id: str, fmt: str) -> dict:
    """The `<file>.metadata.json` body a Bedrock S3 data source reads for a corpus document."""
    return {"metadataAttributes": default_metadata(doc_id, fmt)}
