"""Prompt-attack detection: injection, jailbreaks, prompt extraction, hidden text.

Layers, cheapest first: Unicode normalisation and decoding (``normalize``,
``decode``), hand-written rules (``rules``), then a linear model over word
n-grams that ships inside the package (``model``; trained by
``training/injection/train.py``).
"""

from __future__ import annotations

from ramparts.detectors.base import Detector
from ramparts.detectors.injection.detector import PromptInjectionDetector

DETECTORS: tuple[type[Detector], ...] = (PromptInjectionDetector,)

__all__ = ["DETECTORS", "PromptInjectionDetector"]
