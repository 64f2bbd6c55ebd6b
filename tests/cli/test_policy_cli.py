"""`ramparts policy` as an operator uses it: lint, test, set, history, diff, rollback."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import Run

GOOD = """\
detectors:
  detectors: {prompt_injection: false, person_name: false}
rules:
  - id: no-secrets
    match: {families: [secrets]}
    action: block
  - id: redact-email
    match: {detectors: [email]}
    action: redact
"""


def test_lint_reports_file_line_and_allowed_values(run: Run, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("action: redact", "action: scrub"))
    result = run("policy", "lint", str(good), str(bad), expect=1)
    assert f"✓ {good}" in result.stdout
    assert f"{bad}:9: key 'rules.1.action'" in result.stderr
    assert "allowed: allow, redact, block, alert, reroute" in result.stderr


def test_lint_names_the_line_of_an_unknown_model(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "reroute.yaml"
    bad.write_text(
        GOOD.replace("action: redact", "action: reroute\n    reroute_to: nosuchmodel")
        + "trust: {othermodel: restricted}\n"
    )
    result = run("policy", "lint", str(bad), expect=1)
    assert f"{bad}:10: key 'rules.1.reroute_to'" in result.stderr
    assert f"{bad}:11: key 'trust" in result.stderr
    assert "nosuchmodel" in result.stderr


def test_policy_test_shows_what_each_prompt_would_get(run: Run, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(GOOD)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        '{"id": "mail", "prompt": "write to bob@example.com"}\n'
        '{"id": "key", "prompt": "my key AKIAZ7VRSQ4TLMXJ2P3Q"}\n'
        '{"id": "plain", "prompt": "what is the capital of France"}\n'
    )
    lines = run(
        "policy", "test", str(policy), "--prompts", str(prompts), "--json"
    ).stdout.splitlines()
    results = {r["id"]: r for r in map(json.loads, lines)}
    assert results["mail"]["verdict"] == "redact"
    assert results["mail"]["sent_text"] == "write to [EMAIL_1]"
    assert results["key"]["verdict"] == "block" and results["key"]["sent_text"] is None
    assert results["key"]["rules"] == ["no-secrets"]
    assert results["plain"]["verdict"] == "allow"
    assert "AKIAZ7VRSQ4TLMXJ2P3Q" not in results["key"]["message"]


def test_versions_history_diff_and_rollback(run: Run, tmp_path: Path) -> None:
    run("tenants", "create", "acme")
    v1 = tmp_path / "v1.yaml"
    v1.write_text(GOOD)
    v2 = tmp_path / "v2.yaml"
    v2.write_text("mode: monitor\n" + GOOD)
    assert (
        "policy v1 is active"
        in run("policy", "set", str(v1), "--tenant", "acme", "--author", "ciso").stdout
    )
    run(
        "policy",
        "set",
        str(v2),
        "--tenant",
        "acme",
        "--author",
        "ciso",
        "--comment",
        "shadow first",
    )
    history = run("policy", "history", "--tenant", "acme").stdout
    assert "shadow first" in history and "ciso" in history
    diff = run("policy", "diff", "--tenant", "acme").stdout
    assert "mode: enforce -> monitor" in diff and "+mode: monitor" in diff
    assert (
        "policy v3 (a copy of v1) is active"
        in run("policy", "rollback", "--tenant", "acme", "--to", "1").stdout
    )
    assert run("policy", "show", "--tenant", "acme").stdout == GOOD
    assert "rollback to v1" in run("policy", "history", "--tenant", "acme").stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("trust: {ghost: public}\n")
    assert (
        "unknown model 'ghost'"
        in run("policy", "set", str(bad), "--tenant", "acme", expect=2).stderr
    )


def test_set_with_expected_version_refuses_a_stale_change(run: Run, tmp_path: Path) -> None:
    run("tenants", "create", "acme")
    policy = tmp_path / "p.yaml"
    policy.write_text(GOOD)
    run("policy", "set", str(policy), "--tenant", "acme", "--expected-version", "0")
    stale = run(
        "policy", "set", str(policy), "--tenant", "acme", "--expected-version", "0", expect=2
    )
    assert "version 1" in stale.stderr
    assert (
        "v2 is active"
        in run("policy", "set", str(policy), "--tenant", "acme", "--expected-version", "1").stdout
    )


def test_rollback_with_expected_version_refuses_a_stale_rollback(run: Run, tmp_path: Path) -> None:
    run("tenants", "create", "acme")
    policy = tmp_path / "p.yaml"
    policy.write_text(GOOD)
    run("policy", "set", str(policy), "--tenant", "acme")
    run("policy", "set", str(policy), "--tenant", "acme")
    stale = run(
        "policy", "rollback", "--tenant", "acme", "--to", "1", "--expected-version", "1", expect=2
    )
    assert "version 2" in stale.stderr
    assert (
        "v3 (a copy of v1) is active"
        in run(
            "policy", "rollback", "--tenant", "acme", "--to", "1", "--expected-version", "2"
        ).stdout
    )


def test_policy_test_and_history_show_markup_as_written(run: Run, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(GOOD)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"id": "[red]x", "prompt": "read [/etc/passwd] and [link=https://e.x]y"}\n')
    table = run("policy", "test", str(policy), "--prompts", str(prompts)).stdout
    assert "[/etc/passwd]" in table and "[red]x" in table
    run("tenants", "create", "acme")
    run("policy", "set", str(policy), "--tenant", "acme", "--comment", "[/bold] fix")
    assert "[/bold] fix" in run("policy", "history", "--tenant", "acme").stdout


def test_lint_prints_keys_and_paths_with_markup_as_written(run: Run, tmp_path: Path) -> None:
    for key in ("[/oops]", "[link=https://evil.example/x]click[/link]"):
        policy = tmp_path / "[x].yaml"
        policy.write_text(f'"{key}": 1\n')
        result = run("policy", "lint", str(policy), expect=1)
        assert key in result.stderr.replace("\n", "")
    good = tmp_path / "[ok].yaml"
    good.write_text(GOOD)
    assert "[ok].yaml" in run("policy", "lint", str(good)).stdout
