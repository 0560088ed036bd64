"""One paging scheme for every List* operation the engine serves itself: an offset as the opaque
token (a string of digits), pages of ``maxResults`` (default 1000). A token the engine did not
issue is the caller's error, never a server error."""

from __future__ import annotations

from typing import Callable, TypeVar

from local_bedrock.errors import EngineError, validation

T = TypeVar("T")
BAD_TOKEN = "The provided pagination token is invalid."


def page(items: list[T], token: str | None, size: int | None, default_size: int = 1000,
         bad_token: Callable[[], EngineError] = lambda: validation(BAD_TOKEN)) -> tuple[list[T], str | None]:
    """(this page's items, the next token or None) for a List* call's token and page size."""
    token = str(token or "0")
    if not token.isdigit():
        raise bad_token()
    start, size = int(token), int(size or default_size)
    return items[start:start + size], (str(start + size) if start + size < len(items) else None)


def keyed(items: list, params: dict, key: str) -> dict:
    """A Bedrock-style page: ``{key: items, "nextToken"?: ...}`` from ``nextToken``/``maxResults``."""
    chunk, token = page(items, params.get("nextToken"), params.get("maxResults"))
    return {key: chunk, **({"nextToken": token} if token else {})}
