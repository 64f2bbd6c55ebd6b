"""URLs and connection strings that carry a password (``scheme://user:password@host``).

The finding covers the password only, so redaction keeps the URL readable.
Placeholders (``${DB_PASSWORD}``, ``<password>``, ``****``, ``%s``) are ignored.
"""

from __future__ import annotations

import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pattern_set import escape

# Anchored at '://'; the user part may hold an e-mail address (smtp://me@x.com:pw@host).
_CREDENTIALS = re.compile(
    r"://(?P<user>[^\s:/?#\[\]\"'`<>]{0,128}+):(?P<password>[^\s/?#@\"'`<>]{1,256}+)"
    r"@(?P<host>[A-Za-z0-9_\-\[][A-Za-z0-9_.:\-\]%]{0,252})"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}$")
_PLACEHOLDER = re.compile(
    r"(?i)^(?:\$\{?.*|%.*|\{.*\}|<.*>|\*+|x+|\.+|_+|-+|pass(?:word)?|passwd|pwd|secret|"
    r"changeme|example|user(?:name)?|\?+|0|1|:.*|\[.*\])$"
)
_DB_SCHEMES = frozenset(
    {
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "mongodb+srv",
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "mssql",
        "sqlserver",
        "oracle",
        "jdbc",
        "clickhouse",
        "cockroachdb",
        "snowflake",
        "neo4j",
    }
)


class ConnectionStringDetector(Detector):
    """Passwords embedded in URLs and database connection strings."""

    name = "secrets.connection_string"
    option_specs = NO_OPTIONS
    kinds = ("url-password", "database-connection-password")
    description = "Passwords embedded in URLs (scheme://user:password@host)"
    triggers = (escape("://"),)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        position = text.find("://")
        while position != -1:
            match = _CREDENTIALS.match(text, position)
            if match is not None:
                finding = self._check(context, text, match)
                if finding is not None:
                    findings.append(finding)
            position = text.find("://", position + 3)
        return findings

    def _check(self, context: ScanContext, text: str, match: re.Match[str]) -> Finding | None:
        password = match.group("password")
        if _PLACEHOLDER.match(password) or match.group("user").startswith(("${", "{", "<")):
            return None
        before = text[max(0, match.start() - 31) : match.start()]
        scheme_match = _SCHEME.search(before)
        scheme = scheme_match.group().lower() if scheme_match else ""
        is_database = scheme.split(":")[0] in _DB_SCHEMES or scheme.startswith("jdbc")
        kind = "database-connection-password" if is_database else "url-password"
        what = "database connection string" if is_database else f"{scheme or 'URL'} URL"
        return self.finding(
            context,
            text,
            match.start("password"),
            match.end("password"),
            kind=kind,
            score=0.9 if is_database else 0.85,
            explanation=f"password embedded in a {what} ({len(password)} characters)",
            sensitivity=Sensitivity.RESTRICTED,
        )
