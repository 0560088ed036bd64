"""Message content shared by both APIs: text from a string or parts, images from data URLs."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from local_bedrock.openai_compat.common import bad_request

_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,(.+)$", re.S)
_TEXT_PARTS = ("text", "input_text", "output_text")


def text_of(content: Any, where: str) -> str:
    """The text of a message's content: a string, or text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content and all(
            isinstance(p, dict) and p.get("type") in _TEXT_PARTS and isinstance(p.get("text"), str)
            for p in content):
        return "".join(p["text"] for p in content)
    raise bad_request(f"{where} must be a string or an array of text parts.", where)


def image_block(url: Any, where: str) -> dict:
    """A Converse image block from a base64 data URL (the engine fetches no web URL)."""
    match = _DATA_URL.match(url) if isinstance(url, str) else None
    if match is None:
        raise bad_request(f"{where}: give the image as a base64 data URL "
                          "(data:image/png;base64,...); the local engine fetches no web URL.", where)
    fmt = "jpeg" if match.group(1) == "jpg" else match.group(1)
    try:
        data = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{where}: the data URL is not valid base64.", where) from None
    return {"image": {"format": fmt, "source": {"bytes": data}}}
