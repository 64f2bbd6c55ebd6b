from __future__ import annotations

from collections.abc import Callable

import pytest

from ramparts.detectors.base import ScanContext, Sensitivity
from ramparts.detectors.business.categories import BusinessCategoryDetector
from ramparts.detectors.business.markings import ClassificationMarkingDetector
from ramparts.detectors.business.terms import TenantTermsDetector
from ramparts.errors import DetectorError

Found = Callable[..., list[tuple[str, str]]]


def test_markings_upper_case_and_labelled() -> None:
    text = "STRICTLY CONFIDENTIAL\nClassification: Internal Only\nkeep this confidential please"
    findings = ClassificationMarkingDetector().scan(text, ScanContext())
    assert [(text[f.start : f.end], f.sensitivity) for f in findings] == [
        ("STRICTLY CONFIDENTIAL", Sensitivity.RESTRICTED),
        ("Internal Only", Sensitivity.INTERNAL),
    ]


def test_attorney_client_is_restricted() -> None:
    findings = ClassificationMarkingDetector().scan(
        "ATTORNEY-CLIENT PRIVILEGED memo", ScanContext()
    )
    assert [f.sensitivity for f in findings] == [Sensitivity.RESTRICTED]


def test_tenant_terms_case_folded_whole_words(found: Found) -> None:
    terms = {
        "project": ["Bluebird", "Night Jar"],
        "customer": {"terms": ["Acme"], "sensitivity": "restricted"},
    }
    text = "bluebird launch with NIGHT JAR for acme; not bluebirds or acmeco"
    assert found("tenant_terms", text, terms=terms) == [
        ("tenant_term", "bluebird"),
        ("tenant_term", "NIGHT JAR"),
        ("tenant_term", "acme"),
    ]
    assert found("tenant_terms", text, terms=terms, case_sensitive=True) == []


def test_tenant_terms_scale_to_100k_terms(found: Found) -> None:
    terms = [f"codename{i:06d}" for i in range(100_000)]
    assert found("tenant_terms", "ship codename099999 now", terms=terms) == [
        ("tenant_term", "codename099999")
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"terms": "Bluebird"},
        {"terms": {"x": [1]}},
        {"bogus": 1},
        {"terms": {"x": {"terms": ["a"], "sensitivity": "top"}}},
    ],
)  # fmt: skip
def test_tenant_terms_bad_options(options: dict[str, object]) -> None:
    with pytest.raises(DetectorError):
        TenantTermsDetector.check_options(options)


def test_category_signals_need_weight() -> None:
    detector = BusinessCategoryDetector()
    text = "Her performance review led to a written warning; salary frozen."
    findings = detector.scan(text, ScanContext())
    assert [(f.kind, f.sensitivity) for f in findings] == [("hr", Sensitivity.CONFIDENTIAL)]
    assert detector.scan("the pipeline has a bonus stage", ScanContext()) == []
    health = detector.scan("Patient diagnosed with diabetes, new prescription", ScanContext())
    assert [(f.kind, f.sensitivity) for f in health] == [("health", Sensitivity.RESTRICTED)]


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("import os\n\ndef main(argv):\n    return 0\n", "python"),
        ("package main\n\nfunc main() {\n\tx := 1\n}\n", "go"),
        ('#include <stdio.h>\nint main(void) {\n  printf("hi");\n}\n', "c_cpp"),
        ("SELECT id, name FROM users WHERE id = 1;\nDELETE FROM logs;\n", "sql"),
        ('fn main() {\n    let mut x = 1;\n    println!("{}", x);\n}\n', "rust"),
    ],
)
def test_source_code_language(found: Found, code: str, language: str) -> None:
    from ramparts.detectors.business.source_code import SourceCodeDetector

    findings = SourceCodeDetector().scan("see this:\n" + code, ScanContext())
    assert len(findings) == 1
    assert f"language {language} " in findings[0].explanation


def test_prose_is_not_source_code(found: Found) -> None:
    assert found("source_code", "We should import more coffee. Then we define goals.") == []
