"""The one place that hooks every botocore session: botocore's BUILTIN_HANDLERS list.

botocore registers these (event, handler) pairs in each new session, which is how moto's
mocks reach clients that libraries create themselves. Sessions already created keep what
they had.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import botocore.handlers

Entry = tuple[str, Callable[..., Any]]


def install_global(entries: Iterable[Entry]) -> None:
    """Register each (event, handler) pair in every botocore session created from now on."""
    for entry in entries:
        if entry not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(entry)


def uninstall_global(entries: Iterable[Entry]) -> None:
    """Undo install_global for these pairs."""
    for entry in entries:
        while entry in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.remove(entry)
