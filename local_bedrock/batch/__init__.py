"""Bedrock batch inference offline: model invocation jobs over JSONL in (moto) S3.

`models` holds the job store and the runner; `responses` the boto3-facing handlers.
"""
