"""Where a URL in a model answer really points, as a renderer and a browser read it.

Markdown decodes backslash escapes and HTML entities in link destinations, HTML
decodes entities in attribute values, and browsers drop tabs and line breaks
from URLs, read ``\\`` as ``/`` and accept ``https:evil.example`` without the
slashes. A check that looked for ``//`` in the raw text would miss
``https:\\/\\/evil.example`` or ``https&colon;//evil.example``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_URL_NOISE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]{0,31}):")
# Schemes a browser fetches from a host; others (mailto:, data:, javascript:) name no
# host to send data to (javascript: URLs are the HTML detector's business).
_NETWORK_SCHEMES = frozenset({"http", "https", "ftp", "ws", "wss"})
# A redaction placeholder, as ``policy.redaction.PLACEHOLDER`` writes it (``[EMAIL_1]``).
# The output guard checks an answer before placeholders are restored: one inside a URL
# becomes the redacted value once restored, so such a URL carries data.
PLACEHOLDER = r"\[[A-Z][A-Z0-9_]{0,40}_\d{1,6}\]"
_PLACEHOLDER = re.compile(PLACEHOLDER)
# What a placeholder is read as when finding a URL's host: one plain label, so
# ``https://[EMAIL_1].example.com`` is under example.com and ``https://[EMAIL_1]`` is
# under no registered domain.
_STAND_IN = "redacted-value"
_PATH_START = re.compile(r"[/?#]")


def markdown_destination(raw: str) -> str:
    """A markdown link destination as the renderer emits it."""
    return _URL_NOISE.sub("", html.unescape(_MARKDOWN_ESCAPE.sub(r"\1", raw))).strip()


def html_attribute(raw: str) -> str:
    """An HTML attribute value as the browser uses it."""
    return _URL_NOISE.sub("", html.unescape(raw)).strip()


def has_placeholder(url: str) -> bool:
    """Whether restoring the answer would put a redacted value into ``url``."""
    return "[" in url and _PLACEHOLDER.search(url) is not None


def external_host(url: str, *, keep_case: bool = False) -> str | None:
    """The host an absolute or protocol-relative URL points to; None when relative.

    Lower-cased unless ``keep_case``: DNS ignores case, so mixed case in a host name
    is a sign of encoded data (see ``links.host_carries_data``). A placeholder reads as
    one plain label. A host that does not parse (``https://[x]/``) comes back as written,
    in brackets: a host that no allowlist entry matches (``links.is_allowed``).
    """
    url = url.strip().replace("\\", "/")
    if "[" in url:
        url = _PLACEHOLDER.sub(_STAND_IN, url)
    if url.startswith("//"):
        rest = url[2:]
    else:
        scheme = _SCHEME.match(url)
        if scheme is None or scheme.group(1).lower() not in _NETWORK_SCHEMES:
            return None
        rest = url[scheme.end() :].lstrip("/")
    try:
        parts = urlsplit("http://" + rest)
        host = parts.hostname
    except ValueError:  # a malformed IPv6 literal or host name: judged as an unknown host
        return _unparsed_host(rest, keep_case)
    if not host or not keep_case:
        return host or None
    written = parts.netloc.rpartition("@")[2]
    return written if written.startswith("[") else written.partition(":")[0]


def _unparsed_host(rest: str, keep_case: bool) -> str:
    """The host part of ``rest`` (a URL after its scheme) that ``urlsplit`` rejected, in
    brackets (``[x]``): no allowlist entry matches it."""
    authority = _PATH_START.split(rest, maxsplit=1)[0].rpartition("@")[2]
    if authority.startswith("[") and "]" in authority:
        host = authority[1 : authority.index("]")]
    else:
        host = authority.strip("[").partition(":")[0]
    return "[" + (host if keep_case else host.lower()) + "]"
