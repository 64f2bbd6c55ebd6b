"""Measure the secret detectors on the CredSweeper fixtures.

``expected_output.json`` is CredSweeper's own output on its test samples, not
human truth, so every disagreement is listed (file, line, rule, who found it),
with the value's length and keyed fingerprint but never the value itself.

Matching is by line or by value: an expected finding is found when one of our
findings touches one of its lines, or covers the same value in the same file
(CredSweeper sometimes reports a multi-line value on its parent element's line).
Our findings are first merged where their spans overlap (a token found by two
detectors counts once).

"Provider formats" are expected findings of a named credential format (AWS,
GitHub, Slack, JWT, PEM keys...), as opposed to CredSweeper's generic keyword
rules (Password, Secret, Token, Key, Auth...). For them, only our
format-specific detectors count: the entropy catch-all and ``password=`` rule
may not rescue recall.

Every disagreement has been read by hand: ``secrets_disagreements.toml`` gives
each one a verdict (``ours``: the expected finding is not a secret, or our extra
is a real one that CredSweeper missed; ``theirs``: a genuine miss or a false
positive of ours) and a reason. The report shows the raw numbers and the
adjudicated ones next to each other, marks disagreements nobody has reviewed,
and lists entries that no longer match any disagreement (stale).
"""

from __future__ import annotations

import bisect
import json
import pathlib
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ramparts.detectors.base import Detector, Finding, ScanContext
from ramparts.detectors.secrets import DETECTORS
from ramparts.errors import ConfigError

# CredSweeper rules that are keyword heuristics rather than credential formats.
GENERIC_RULES = frozenset(
    {
        "API",
        "Auth",
        "Basic Authorization",
        "Bearer Authorization",
        "CMD ConvertTo-SecureString",
        "CMD Password",
        "CMD Secret",
        "CMD Token",
        "CURL Options",
        "CURL User Password",
        "Credential",
        "Key",
        "Nonce",
        "Password",
        "SQL Password",
        "Salt",
        "Secret",
        "Token",
        "URL Credentials",
        "UUID",
    }
)
FORMAT_DETECTORS = frozenset(
    {"secrets.provider", "secrets.jwt", "secrets.private_key", "secrets.connection_string"}
)
_CONTEXT = ScanContext(fingerprint_key=b"ramparts-secrets-eval")
REVIEW_FILE = pathlib.Path(__file__).with_name("secrets_disagreements.toml")
VERDICTS = ("ours", "theirs")


@dataclass
class Expected:
    path: str
    lines: frozenset[int]
    rule: str
    length: int
    fingerprint: str

    @property
    def is_provider(self) -> bool:
        return self.rule not in GENERIC_RULES


@dataclass
class Cluster:
    """Our findings on one file whose spans overlap: one detection."""

    path: str
    start: int
    end: int
    first_line: int
    last_line: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def detectors(self) -> set[str]:
        return {f.detector for f in self.findings}

    @property
    def fingerprints(self) -> set[str]:
        return {f.fingerprint for f in self.findings}

    @property
    def is_format(self) -> bool:
        return bool(self.detectors & FORMAT_DETECTORS)

    @property
    def ours(self) -> str:
        """What we reported, as the review file names it: ``detector:kind, ...``."""
        return ", ".join(sorted({f"{f.detector}:{f.kind}" for f in self.findings}))

    def touches(self, lines: frozenset[int]) -> bool:
        return any(self.first_line <= line <= self.last_line for line in lines)


def _data_root(data_dir: pathlib.Path) -> pathlib.Path:
    return data_dir / "secrets" if (data_dir / "secrets" / "samples").is_dir() else data_dir


def load_expected(root: pathlib.Path) -> list[Expected]:
    raw = json.loads((root / "expected_output.json").read_text(encoding="utf-8"))
    items = []
    for entry in raw:
        first = entry["line_data_list"][0]
        value = str(first.get("value") or "")
        items.append(
            Expected(
                path=pathlib.PurePosixPath(first["path"]).name,
                lines=frozenset(int(d["line_num"]) for d in entry["line_data_list"]),
                rule=entry["rule"],
                length=len(value),
                fingerprint=_CONTEXT.fingerprint(value),
            )
        )
    return items


def read_text(path: pathlib.Path) -> str | None:
    """A fixture as text; None for binary files (archives, images, office documents)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Legacy 8-bit encodings (ISO-8859-x, KOI8) are text; control bytes mean binary.
    head = data[:8192]
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return None if controls > len(head) // 100 else data.decode("latin-1")


def scan_file(path: str, text: str, detectors: list[Detector]) -> list[Cluster]:
    findings = sorted(
        (f for d in detectors for f in d.scan(text, _CONTEXT)), key=lambda f: (f.start, -f.end)
    )
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    clusters: list[Cluster] = []
    for finding in findings:
        if clusters and finding.start < clusters[-1].end:
            clusters[-1].findings.append(finding)
            clusters[-1].end = max(clusters[-1].end, finding.end)
            clusters[-1].last_line = bisect.bisect_right(line_starts, clusters[-1].end - 1)
            continue
        clusters.append(
            Cluster(
                path=path,
                start=finding.start,
                end=finding.end,
                first_line=bisect.bisect_right(line_starts, finding.start),
                last_line=bisect.bisect_right(line_starts, max(finding.start, finding.end - 1)),
                findings=[finding],
            )
        )
    return clusters


@dataclass(frozen=True)
class Review:
    """One hand-read disagreement from the review file."""

    verdict: str
    reason: str


ReviewKey = tuple[str, str, int, str]  # (missed | extra, file, line, their rule | ours)


def load_reviews(path: pathlib.Path = REVIEW_FILE) -> dict[ReviewKey, Review]:
    """The checked-in verdicts, keyed like the disagreements they judge."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    reviews: dict[ReviewKey, Review] = {}
    for side, what in (("missed", "theirs"), ("extra", "ours")):
        for entry in data.get(side, []):
            key: ReviewKey = (side, entry["file"], int(entry["line"]), entry[what])
            if entry["verdict"] not in VERDICTS or not entry.get("reason"):
                raise ValueError(f"{path.name}: {key} needs a verdict in {VERDICTS} and a reason")
            if key in reviews:
                raise ValueError(f"{path.name}: {key} is listed twice")
            reviews[key] = Review(entry["verdict"], entry["reason"])
    return reviews


class _Matcher:
    """Which of our clusters find which expected items (by line, or by value in the file)."""

    def __init__(self, expected: list[Expected], clusters: list[Cluster]) -> None:
        self.by_file: dict[str, list[Expected]] = defaultdict(list)
        for item in expected:
            self.by_file[item.path].append(item)
        self.clusters_by_file: dict[str, list[Cluster]] = defaultdict(list)
        for cluster in clusters:
            self.clusters_by_file[cluster.path].append(cluster)

    @staticmethod
    def _same(item: Expected, cluster: Cluster) -> bool:
        return cluster.touches(item.lines) or item.fingerprint in cluster.fingerprints

    def found_by(self, item: Expected, only_formats: bool) -> list[Cluster]:
        return [
            c
            for c in self.clusters_by_file[item.path]
            if self._same(item, c) and (not only_formats or c.is_format)
        ]

    def matches_expected(self, cluster: Cluster) -> bool:
        return any(self._same(item, cluster) for item in self.by_file[cluster.path])


def _check_data(root: pathlib.Path) -> None:
    """A clear error, naming what is missing, instead of a traceback from deep inside."""
    if not (root / "expected_output.json").is_file():
        missing = root / "expected_output.json"
    elif not (root / "samples").is_dir():
        missing = root / "samples"
    else:
        return
    raise ConfigError(
        f"secrets data set not found: {missing} is missing; pass --data-dir pointing at shared/data"
    )


def evaluate(data_dir: pathlib.Path, review_file: pathlib.Path = REVIEW_FILE) -> dict[str, Any]:
    """Precision and recall against ``expected_output.json``, raw and adjudicated."""
    root = _data_root(data_dir)
    _check_data(root)
    expected = load_expected(root)
    clusters, skipped = _scan_samples(root / "samples")
    matcher = _Matcher(expected, clusters)
    reviews = load_reviews(review_file)
    disagreements = _disagreements(expected, clusters, matcher, skipped)
    _apply_reviews(disagreements, reviews)
    present = {_key(row) for row in disagreements}
    return {
        "dataset": "secrets",
        "source": str(root / "expected_output.json"),
        "review_file": review_file.name,
        "rows": _rows(expected, clusters, matcher, disagreements),
        "per_detector": _per_detector(clusters, matcher.matches_expected),
        "skipped_binary_files": skipped,
        "unreviewed": sum(row["verdict"] == "unreviewed" for row in disagreements),
        "stale_reviews": [list(key) for key in reviews if key not in present],
        "disagreements": disagreements,
    }


def _apply_reviews(disagreements: list[dict[str, Any]], reviews: dict[ReviewKey, Review]) -> None:
    for row in disagreements:
        review = reviews.get(_key(row))
        row["verdict"] = review.verdict if review else "unreviewed"
        row["reason"] = review.reason if review else ""


_SUBSETS: tuple[tuple[str, Callable[[Expected], bool], Callable[[Cluster], bool], bool], ...] = (
    ("provider formats", lambda i: i.is_provider, lambda c: c.is_format, True),
    (
        "generic (password, token, key...)",
        lambda i: not i.is_provider,
        lambda c: not c.is_format,
        False,
    ),
    ("all", lambda i: True, lambda c: True, False),
)


def _rows(
    expected: list[Expected],
    clusters: list[Cluster],
    matcher: _Matcher,
    disagreements: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each subset raw, then adjudicated by the reviews' ``ours`` verdicts."""
    ours_verdicts = [row for row in disagreements if row["verdict"] == "ours"]
    not_secrets = {_key(row)[1:] for row in ours_verdicts if row["type"] == "missed"}
    real_extras = {_key(row)[1:] for row in ours_verdicts if row["type"] == "extra"}
    kept = [i for i in expected if (i.path, min(i.lines), i.rule) not in not_secrets]
    rows = []
    for name, item_in, cluster_in, formats in _SUBSETS:
        ours = [c for c in clusters if cluster_in(c)]
        raw_items = [i for i in expected if item_in(i)]
        kept_items = [i for i in kept if item_in(i)]
        rows.append(_row(name, raw_items, ours, formats, matcher, set()))
        rows.append(_row(f"{name} (adjudicated)", kept_items, ours, formats, matcher, real_extras))
    return rows


def _scan_samples(samples: pathlib.Path) -> tuple[list[Cluster], list[str]]:
    detectors: list[Detector] = [cls() for cls in DETECTORS]
    clusters: list[Cluster] = []
    skipped: list[str] = []
    for path in sorted(samples.iterdir()):
        text = read_text(path) if path.is_file() else None
        if text is None:
            skipped.append(path.name)
            continue
        clusters.extend(scan_file(path.name, text, detectors))
    return clusters, skipped


def _key(row: dict[str, Any]) -> ReviewKey:
    what = row["theirs"] if row["type"] == "missed" else ", ".join(row["ours"])
    return (row["type"], row["file"], row["line"], what)


def _row(
    subset: str,
    items: list[Expected],
    ours: list[Cluster],
    formats: bool,
    matcher: _Matcher,
    real_extras: set[tuple[str, int, str]],
) -> dict[str, Any]:
    """One table row; ``real_extras`` are our extras judged real secrets (adjudicated rows)."""
    matched = sum(1 for c in ours if matcher.matches_expected(c))
    real = sum(
        1
        for c in ours
        if (c.path, c.first_line, c.ours) in real_extras and not matcher.matches_expected(c)
    )
    found = sum(1 for i in items if matcher.found_by(i, formats)) + real
    total = len(items) + real
    tp = matched + real
    return {
        "subset": subset,
        "precision": _ratio(tp, len(ours)),
        "recall": _ratio(found, total),
        "true_positives": tp,
        "false_positives": len(ours) - tp,
        "expected": total,
        "found": found,
        "missed": total - found,
    }


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 1.0


def _per_detector(clusters: list[Cluster], matches: Any) -> list[dict[str, Any]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cluster in clusters:
        hit = matches(cluster)
        for detector in cluster.detectors:
            counts[detector][0 if hit else 1] += 1
    return [
        {"detector": d, "agree": a, "extra": e, "precision": _ratio(a, a + e)}
        for d, (a, e) in sorted(counts.items())
    ]


def _disagreements(
    expected: list[Expected], clusters: list[Cluster], matcher: _Matcher, skipped: list[str]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    skipped_set = set(skipped)
    for item in expected:
        if not matcher.found_by(item, item.is_provider):
            rows.append(
                {
                    "type": "missed",
                    "file": item.path,
                    "line": min(item.lines),
                    "theirs": item.rule,
                    "ours": _ours_near(item, matcher),
                    "length": item.length,
                    "fingerprint": item.fingerprint,
                    "binary_file": item.path in skipped_set,
                }
            )
    for cluster in clusters:
        if not matcher.matches_expected(cluster):
            rows.append(
                {
                    "type": "extra",
                    "file": cluster.path,
                    "line": cluster.first_line,
                    "theirs": None,
                    "ours": cluster.ours.split(", "),
                    "length": cluster.end - cluster.start,
                    "fingerprint": cluster.findings[0].fingerprint,
                    "binary_file": False,
                }
            )
    return rows


def _ours_near(item: Expected, matcher: _Matcher) -> list[str]:
    """What we reported on the same lines (a generic detector may have caught it)."""
    return sorted(
        {f"{f.detector}:{f.kind}" for c in matcher.found_by(item, False) for f in c.findings}
    )
