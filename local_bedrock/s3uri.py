"""S3 URIs in Bedrock requests (batch, customization, ...): parsed and validated in one place."""

from __future__ import annotations

import re

from local_bedrock.errors import validation

S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?$")


def parse_s3_uri(uri: str, what: str) -> tuple[str, str]:
    """(bucket, key or prefix) of an s3:// URI, or the ValidationException Bedrock gives."""
    m = S3_URI.match(uri or "")
    if not m:
        raise validation(f"{what} {uri!r} is not a valid S3 URI (s3://bucket/prefix).")
    return m.group(1), m.group(2) or ""
