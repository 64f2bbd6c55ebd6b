"""The Ramparts exception tree.

Every error Ramparts raises on purpose derives from :class:`RampartsError`.
Messages say what went wrong, where, and what to do next; they never carry a
secret or a matched sensitive value.

    RampartsError
    ├── ConfigError            settings or policy files that do not validate
    ├── StoreError             the database could not be reached or migrated
    ├── NotFoundError          a tenant, team, key or record that does not exist
    ├── ConflictError          a name or id that already exists
    ├── DetectorError          unknown detector names or bad detector settings
    ├── ParseError             input that could not be parsed (logs, bodies)
    └── GatewayError           request-time errors with an HTTP status
        ├── InvalidRequestError  400 / 413: malformed or oversized requests
        ├── AuthenticationError  401: missing, wrong, expired or revoked key
        ├── PermissionDeniedError 403: model or resource not allowed
        ├── ModelNotFoundError   404: unknown model
        ├── RateLimitError       429
        ├── UpstreamError        502 / 504: the provider failed or timed out
        └── BlockedError         the request was blocked by policy
"""

from __future__ import annotations

from typing import ClassVar


class RampartsError(Exception):
    """Root of every error Ramparts raises on purpose."""


class ConfigError(RampartsError):
    """A settings or policy file, or an environment variable, does not validate."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        key: str | None = None,
        allowed: list[str] | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.key = key
        self.allowed = allowed
        parts = []
        if source:
            parts.append(f"{source}:{line}" if line else source)
        if key:
            parts.append(f"key '{key}'")
        where = ": ".join(parts)
        text = f"{where}: {message}" if where else message
        if allowed:
            text += f" (allowed: {', '.join(allowed)})"
        super().__init__(text)


class StoreError(RampartsError):
    """The store could not be reached, migrated or written."""


class NotFoundError(RampartsError):
    """A named object does not exist."""


class ConflictError(RampartsError):
    """An object with that name or id already exists."""


class DetectorError(RampartsError):
    """A detector name or detector setting is invalid."""


class ParseError(RampartsError):
    """Input could not be parsed."""


class GatewayError(RampartsError):
    """An error that answers an API request; rendered in the caller's API shape."""

    status: int = 500
    openai_type: ClassVar[str] = "server_error"
    anthropic_type: ClassVar[str] = "api_error"
    code: str | None = None

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param

    @property
    def http_status(self) -> int:
        return self.status


class InvalidRequestError(GatewayError):
    status = 400
    openai_type = "invalid_request_error"
    anthropic_type = "invalid_request_error"


class RequestTooLargeError(InvalidRequestError):
    status = 413
    anthropic_type = "request_too_large"


class RouteNotFoundError(InvalidRequestError):
    """No endpoint at that path (Anthropic names this ``not_found_error``)."""

    status = 404
    anthropic_type = "not_found_error"


class AuthenticationError(GatewayError):
    status = 401
    openai_type = "authentication_error"
    anthropic_type = "authentication_error"


class PermissionDeniedError(GatewayError):
    status = 403
    openai_type = "permission_error"
    anthropic_type = "permission_error"


class ModelNotFoundError(GatewayError):
    status = 404
    openai_type = "invalid_request_error"
    anthropic_type = "not_found_error"
    code = "model_not_found"


class RateLimitError(GatewayError):
    status = 429
    openai_type = "rate_limit_error"
    anthropic_type = "rate_limit_error"


class UpstreamError(GatewayError):
    """The provider failed, returned garbage, or was unreachable."""

    status = 502
    openai_type = "upstream_error"
    anthropic_type = "api_error"
    code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable
        if status is not None:
            self.status = status  # e.g. 400 when the provider rejected the request itself


class UpstreamTimeoutError(UpstreamError):
    status = 504
    code = "upstream_timeout"


class BlockedError(GatewayError):
    """The request or response was blocked by tenant policy."""

    status = 400
    openai_type = "invalid_request_error"
    anthropic_type = "invalid_request_error"
    code = "policy_blocked"

    def __init__(
        self, message: str, *, rule_ids: list[str] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.rule_ids = rule_ids or []
