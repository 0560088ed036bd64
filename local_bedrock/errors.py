"""The errors the engine answers with, in Bedrock's own error codes and HTTP statuses."""

from __future__ import annotations


class EngineError(Exception):
    """An error the engine returns on the wire as Bedrock would (code, message, status)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def validation(message: str) -> EngineError:
    """400 ValidationException: the request is malformed."""
    return EngineError("ValidationException", message, 400)


def not_found(message: str) -> EngineError:
    """404 ResourceNotFoundException."""
    return EngineError("ResourceNotFoundException", message, 404)


def access_denied(message: str) -> EngineError:
    """403 AccessDeniedException."""
    return EngineError("AccessDeniedException", message, 403)


def throttled(message: str = "Too many requests, please wait before trying again.") -> EngineError:
    """429 ThrottlingException."""
    return EngineError("ThrottlingException", message, 429)
