from __future__ import annotations

from pathlib import Path

import pytest

from ramparts.discovery.usermap import load_user_map
from ramparts.errors import ConfigError

T = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_directory_export_and_departments(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("IP,User,Department\n10.0.0.1,ann,Legal\n,bob,Finance\n10.0.0.3,,x\n")
    users = load_user_map(path)
    assert users.user_for("10.0.0.1") == "ann"
    assert users.user_for("10.0.0.3") == ""
    assert (users.department_for("ann"), users.department_for("bob")) == ("Legal", "Finance")


def test_dhcp_leases_follow_time(tmp_path: Path) -> None:
    path = tmp_path / "dhcp.csv"
    path.write_text(
        "ip,user,start,end\n"
        "10.0.0.9,ann,2026-01-01T00:00:00Z,2026-01-01T12:00:00Z\n"
        f"10.0.0.9,bob,{T + 12 * 3600},{T + 86400}\n"
    )
    users = load_user_map(path)
    assert users.user_for("10.0.0.9", T + 60) == "ann"
    assert users.user_for("10.0.0.9", T + 13 * 3600) == "bob"
    assert users.user_for("10.0.0.9", T + 2 * 86400) == ""
    assert users.user_for("10.0.0.9", None) == ""  # no time, two holders: unknown


@pytest.mark.parametrize(
    ("text", "message"),
    [("ip,name\n1.2.3.4,ann\n", "needs a header"), ("ip,user,start\n1.2.3.4,ann,soon\n", "ISO")],
)
def test_bad_user_maps(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "u.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_user_map(path)
