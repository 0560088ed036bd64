"""Knowledge Bases for Amazon Bedrock, offline (lab 03).

- `documents`, `chunking`, `index`: loaders, chunkers and the faiss/BM25 search index, shared
  with the notebooks through `utils.rag`.
- `models`: knowledge bases, data sources, ingestion jobs (bedrock-agent).
- `retrieval`: Retrieve and RetrieveAndGenerate (bedrock-agent-runtime).
- `responses`: the handlers, installed through `local_bedrock.extensions`.
"""
