from __future__ import annotations

import json
import pathlib

import pytest
from typer.testing import CliRunner

from ramparts.cli.main import build_app
from ramparts.detectors.evaluate.pii import DATASETS


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    text = "Mail bob@example.com or call +44 20 7946 0958."
    row = {
        "full_text": text,
        "template_id": 1,
        "spans": [
            {"entity_type": "EMAIL_ADDRESS", "entity_value": "bob@example.com",
             "start_position": 5, "end_position": 20},
            {"entity_type": "PHONE_NUMBER", "entity_value": "+44 20 7946 0958",
             "start_position": 29, "end_position": 45},
        ],
    }  # fmt: skip
    pii = tmp_path / "pii"
    pii.mkdir()
    for name in DATASETS:
        path = pii / name
        if name.endswith(".jsonl"):
            path.write_text(json.dumps(row) + "\n", encoding="utf-8")
        else:
            path.write_text(json.dumps([row]), encoding="utf-8")
    return tmp_path


def test_eval_pii_json(data_dir: pathlib.Path) -> None:
    result = CliRunner().invoke(build_app(), ["eval", "pii", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["dataset"] == "pii"
    rows = {(r["set"], r["split"], r["match"], r["entity"]): r for r in payload["rows"]}
    email = rows[("synth_dataset_v2.json", "all", "exact", "email")]
    assert (email["tp"], email["fp"], email["fn"], email["f1"]) == (1, 0, 0, 1.0)
    phone = rows[(DATASETS[0], "held_out_templates", "overlap", "phone")]
    assert phone["tp"] == 1


def test_eval_rejects_unknown_suite_and_missing_dir(tmp_path: pathlib.Path) -> None:
    app = build_app()
    assert CliRunner().invoke(app, ["eval", "nope", "--data-dir", str(tmp_path)]).exit_code != 0
    missing = CliRunner().invoke(app, ["eval", "pii", "--data-dir", str(tmp_path / "x")])
    assert missing.exit_code != 0
