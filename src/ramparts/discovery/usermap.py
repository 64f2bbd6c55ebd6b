"""IP-to-user (DHCP lease or directory export) and user-to-department mapping, from CSV.

Header row required. ``ip`` + ``user`` rows map addresses to users; optional ``start``
and ``end`` columns (ISO time or epoch seconds) bound a DHCP lease, so the same address
can belong to different users over time. ``user`` + ``department`` rows map users to
departments. Either kind of row may be absent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ramparts.discovery.parsers.tabular import parse_time
from ramparts.errors import ConfigError

_FOREVER = (float("-inf"), float("inf"))


@dataclass
class UserMap:
    # ip -> [(start, end, user)]; a row without start/end covers all time.
    leases: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)

    def add_lease(self, ip: str, user: str, start: float | None, end: float | None) -> None:
        low = start if start is not None else _FOREVER[0]
        high = end if end is not None else _FOREVER[1]
        self.leases.setdefault(ip, []).append((low, high, user))

    def user_for(self, ip: str, ts: float | None = None) -> str:
        """The user holding ``ip`` at ``ts`` (latest-starting lease wins), or "".

        Without a time only an address that ever had one holder names a user: with
        several, nothing says which of them sent the record."""
        leases = self.leases.get(ip)
        if not leases:
            return ""
        if len(leases) == 1 and leases[0][:2] == _FOREVER:
            return leases[0][2]
        if ts is None:
            holders = {lease[2] for lease in leases}
            return holders.pop() if len(holders) == 1 else ""
        best: tuple[float, float, str] | None = None
        for lease in leases:
            inside = lease[0] <= ts < lease[1]
            if inside and (best is None or lease[0] >= best[0]):
                best = lease
        return best[2] if best else ""

    def department_for(self, user: str) -> str:
        return self.departments.get(user, "") or self.departments.get(user.lower(), "")


def load_user_map(path: Path) -> UserMap:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = {c.strip().lower() for c in reader.fieldnames or []}
            if "user" not in columns:
                raise ConfigError(
                    "user map needs a header with 'user' and 'ip' and/or 'department' columns",
                    source=str(path),
                )
            mapping = UserMap()
            for line, row in enumerate(reader, start=2):
                clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                user = clean.get("user", "")
                if not user:
                    continue
                if clean.get("ip"):
                    start, end = _time(clean, "start", path, line), _time(clean, "end", path, line)
                    mapping.add_lease(clean["ip"], user, start, end)
                if clean.get("department"):
                    mapping.departments[user] = clean["department"]
            return mapping
    except OSError as exc:
        raise ConfigError(f"cannot read user map: {exc.strerror}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"user map is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            source=str(path),
        ) from None


def _time(row: dict[str, str], key: str, path: Path, line: int) -> float | None:
    text = row.get(key, "")
    if not text:
        return None
    value = parse_time(text)
    if value is None:
        raise ConfigError(
            "expected an ISO time or epoch seconds", source=str(path), line=line, key=key
        )
    return value
