"""Versioned tenant policies: every change is kept with who made it and when.

The newest version of a tenant is its active policy. A rollback does not
rewrite history: it saves an old version's text again as a new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from ramparts.errors import ConflictError, NotFoundError
from ramparts.policy.model import Policy, parse_policy
from ramparts.store.base import Base


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    tenant_id: str
    version: int
    text: str
    author: str
    comment: str
    created_at: datetime

    @property
    def policy(self) -> Policy:
        return parse_policy(self.text, f"policy v{self.version} of {self.tenant_id}")


class StaleVersionError(ConflictError):
    """The tenant's policy is no longer at the version the change was based on."""

    def __init__(self, expected: int, current: int) -> None:
        self.expected = expected
        self.current = current
        super().__init__(
            f"the policy is at version {current}, not the expected version {expected};"
            " read it again and reapply your change"
        )


def _stored(row: PolicyVersion) -> StoredPolicy:
    return StoredPolicy(
        row.tenant_id, row.version, row.text, row.author, row.comment, row.created_at
    )


class PolicyStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def save(
        self,
        tenant_id: str,
        text: str,
        *,
        author: str,
        comment: str = "",
        expected_version: int | None = None,
        validated: Policy | None = None,
    ) -> StoredPolicy:
        """Validate ``text`` and store it as the tenant's next version.

        With ``expected_version`` (0: the tenant has no policy yet) the change is refused
        with :class:`StaleVersionError` unless that is still the newest version.
        ``validated`` is the text's policy when the caller has just parsed it (it is not
        parsed again: a large policy takes a while).
        """
        if validated is None:
            parse_policy(text, f"new policy for {tenant_id}")
        try:
            with self._sessions.begin() as session:
                current = (
                    session.scalar(
                        select(func.max(PolicyVersion.version)).where(
                            PolicyVersion.tenant_id == tenant_id
                        )
                    )
                    or 0
                )
                if expected_version is not None and expected_version != current:
                    raise StaleVersionError(expected_version, current)
                row = PolicyVersion(
                    tenant_id=tenant_id,
                    version=current + 1,
                    text=text,
                    author=author[:200],
                    comment=comment[:500],
                    created_at=datetime.now(UTC),
                )
                session.add(row)
                session.flush()
                return _stored(row)
        except IntegrityError:
            if expected_version is not None:
                # Another writer took the version after ours was read: it is stale now.
                raise StaleVersionError(expected_version, expected_version + 1) from None
            raise ConflictError(
                "another change to this tenant's policy landed at the same time; try again"
            ) from None

    def latest_version(self, tenant_id: str) -> int | None:
        with self._sessions() as session:
            return session.scalar(
                select(func.max(PolicyVersion.version)).where(PolicyVersion.tenant_id == tenant_id)
            )

    def get(self, tenant_id: str, version: int | None = None) -> StoredPolicy | None:
        """A version, or the active (newest) one; None when the tenant has no policy."""
        with self._sessions() as session:
            query = select(PolicyVersion).where(PolicyVersion.tenant_id == tenant_id)
            if version is None:
                query = query.order_by(PolicyVersion.version.desc()).limit(1)
            else:
                query = query.where(PolicyVersion.version == version)
            row = session.scalar(query)
            return _stored(row) if row else None

    def history(self, tenant_id: str) -> list[StoredPolicy]:
        with self._sessions() as session:
            rows = session.scalars(
                select(PolicyVersion)
                .where(PolicyVersion.tenant_id == tenant_id)
                .order_by(PolicyVersion.version)
            )
            return [_stored(r) for r in rows]

    def rollback(
        self,
        tenant_id: str,
        version: int,
        *,
        author: str,
        expected_version: int | None = None,
    ) -> StoredPolicy:
        """Store a copy of ``version`` as the newest; ``expected_version`` as in :meth:`save`."""
        old = self.get(tenant_id, version)
        if old is None:
            raise NotFoundError(
                f"tenant has no policy version {version}; see `ramparts policy history`"
            )
        return self.save(
            tenant_id,
            old.text,
            author=author,
            comment=f"rollback to v{version}",
            expected_version=expected_version,
        )
