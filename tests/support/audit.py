"""A plain audit event for tests: a successful OpenAI chat request of one tenant."""

from __future__ import annotations

from typing import Any

from ramparts.audit.writer import AuditEvent


def audit_event(request_id: str, tenant: str, **fields: Any) -> AuditEvent:
    """``fields`` override or add to the defaults (status, endpoint, created_at...)."""
    values: dict[str, Any] = {
        "api": "openai",
        "endpoint": "/v1/chat/completions",
        "status": "success",
        "http_status": 200,
        **fields,
    }
    return AuditEvent(request_id=request_id, tenant_id=tenant, **values)
