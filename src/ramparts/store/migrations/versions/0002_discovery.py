"""Discovery tables: runs, per-service and per-user usage, findings.

Revision ID: 0002_discovery
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_discovery"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discovery_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_first", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_last", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("broken_lines", sa.BigInteger(), nullable=False),
        sa.Column("ai_requests", sa.BigInteger(), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_runs")),
    )
    op.create_index(op.f("ix_discovery_runs_tenant"), "discovery_runs", ["tenant"])
    op.create_table(
        "discovery_service_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("active_days", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bytes_up", sa.BigInteger(), nullable=False),
        sa.Column("bytes_down", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["discovery_runs.id"],
            name=op.f("fk_discovery_service_usage_run_id_discovery_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_service_usage")),
    )
    op.create_index(
        op.f("ix_discovery_service_usage_run_id"), "discovery_service_usage", ["run_id"]
    )
    op.create_index(
        op.f("ix_discovery_service_usage_service_id"), "discovery_service_usage", ["service_id"]
    )
    op.create_table(
        "discovery_user_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(256), nullable=False),
        sa.Column("department", sa.String(256), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("bytes_up", sa.BigInteger(), nullable=False),
        sa.Column("bytes_down", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["discovery_runs.id"],
            name=op.f("fk_discovery_user_usage_run_id_discovery_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_user_usage")),
    )
    op.create_index(op.f("ix_discovery_user_usage_run_id"), "discovery_user_usage", ["run_id"])
    op.create_table(
        "discovery_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("service_id", sa.String(128), nullable=True),
        sa.Column("user", sa.String(256), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["discovery_runs.id"],
            name=op.f("fk_discovery_findings_run_id_discovery_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_findings")),
    )
    op.create_index(op.f("ix_discovery_findings_run_id"), "discovery_findings", ["run_id"])


def downgrade() -> None:
    for table in (
        "discovery_findings",
        "discovery_user_usage",
        "discovery_service_usage",
        "discovery_runs",
    ):
        op.drop_table(table)
