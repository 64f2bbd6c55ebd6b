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


def markdown_destination(raw: str) -> str:
    """A markdown link destination as the renderer emits it."""
    return _URL_NOISE.sub("", html.unescape(_MARKDOWN_ESCAPE.sub(r"\1", raw))).strip()


def html_attribute(raw: str) -> str:
    """An HTML attribute value as the browser uses it."""
    return _URL_NOISE.sub("", html.unescape(raw)).strip()


def external_host(url: str, *, keep_case: bool = False) -> str | None:
    """The host an absolute or protocol-relative URL points to; None when relative.

    Lower-cased unless ``keep_case``: DNS ignores case, so mixed case in a host name
    is a sign of encoded data (see ``links.host_carries_data``).
    """
    url = url.strip().replace("\\", "/")
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
    except ValueError:  # a malformed port or IPv6 literal: not a host a browser reaches
        return None
    if not host or not keep_case:
        return host or None
    written = parts.netloc.rpartition("@")[2]
    return written if written.startswith("[") else written.partition(":")[0]
