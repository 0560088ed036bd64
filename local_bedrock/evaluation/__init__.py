"""Bedrock evaluation jobs offline: automatic, model-as-judge and knowledge-base (RAG) jobs run to
the end and write their results to S3 in Bedrock's layout. See `models` for what is real.
"""
