"""HTML to text with an exact offset map, and the main-content filter.

Two passes, so that every character of the text maps back into the HTML source:

1. ``html_to_text``: a tokenizer over the raw HTML that drops tags, comments and the
   content of non-text elements (script, style, head…), removes page furniture elements
   (nav, aside, footer, header, form, and elements whose class or id names share,
   social, subscribe, newsletter, related, comment, cookie, advert, menu, breadcrumb)
   as raw spans with a reason, decodes entities and turns block elements into line
   breaks. Every change is an edit.
2. ``main_content_lines``: trafilatura (a well-kept extractor, F1 0.958 on the
   ScrapingHub benchmark) picks the main text of the page; lines of our text that it
   did not keep are removed with the reason ``html:not-main-content``.
"""

from __future__ import annotations

import html as _html
import re

from .offsets import Edit, EditBuilder

__all__ = ["html_to_text", "main_content_lines"]

_SPACE = re.compile(r"\s+")

_SKIP_CONTENT = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas", "select", "button"}
_FURNITURE = {"nav", "aside", "footer", "header", "form", "menu", "dialog"}
_FURNITURE_CLASS = re.compile(
    r"\b(share|sharing|social|subscribe|newsletter|related|comments?|cookie|advert|ads?|banner|menu|breadcrumbs?|sidebar|footer|navbar|promo|popup|modal)\b",
    re.I,
)
_BLOCK = {
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "tr", "td", "th", "table",
    "section", "article", "blockquote", "pre", "hr", "figure", "figcaption", "dd", "dt", "dl", "main", "title",
    "address", "center",
} | _FURNITURE
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr", "param"}

_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<![^>]*>|<\?[^>]*>"
    r"|<(/?)([A-Za-z][A-Za-z0-9:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?"
    r"|[ \t\r\n\f]+",
    re.S,
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S | re.I)
_ATTR_CLASS_ID = re.compile(r"""\b(?:class|id|role)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def html_to_text(raw: str) -> tuple[str, list[Edit], list[tuple[int, int, str]], dict]:
    """``(text, edits, removed, metadata)``: removed are raw spans with a reason."""
    b = EditBuilder(raw)
    removed: list[tuple[int, int, str]] = []
    meta: dict = {}
    skip_until: tuple[str, int, str] | None = None  # (tag, depth, reason) of an element dropped whole
    depth: dict[str, int] = {}
    skip_start = 0
    for m in _TOKEN.finditer(raw):
        s, e = m.span()
        tok = m.group()
        tag = m.group(2).lower() if m.group(2) else None
        closing = bool(m.group(1))
        if skip_until is not None:
            # inside an element removed whole: wait for its matching end tag
            want, level, reason = skip_until
            if tag == want and not tok.endswith("/>"):
                depth[want] = depth.get(want, 0) + (-1 if closing else 1)
                if closing and depth[want] < level:
                    b.replace(skip_start, e, "\n" if want in _BLOCK else "")
                    if reason != "markup":
                        removed.append((skip_start, e, reason))
                    skip_until = None
            continue
        if tag is None:
            if tok.startswith("<"):
                b.replace(s, e, "")  # comment, doctype, processing instruction
            elif tok.startswith("&"):
                b.replace(s, e, _html.unescape(tok))
            else:  # white space in HTML source is one space
                b.replace(s, e, " ")
            continue
        if not closing and tag not in _VOID and not tok.endswith("/>"):
            attrs = " ".join(x for g in _ATTR_CLASS_ID.findall(m.group(3) or "") for x in g if x)
            reason = None
            if tag in _SKIP_CONTENT:
                reason = "markup"
            elif tag in _FURNITURE:
                reason = f"html:<{tag}>"
            elif attrs and _FURNITURE_CLASS.search(attrs):
                reason = f"html:{tag}.{_FURNITURE_CLASS.search(attrs).group(1).lower()}"
            if reason is not None:
                depth[tag] = depth.get(tag, 0) + 1
                skip_until = (tag, depth[tag], reason)
                skip_start = s
                continue
        if tag not in _SKIP_CONTENT and not closing and tag not in _VOID:
            depth[tag] = depth.get(tag, 0) + 1
        elif closing and depth.get(tag):
            depth[tag] -= 1
        b.replace(s, e, "\n" if tag in _BLOCK else "")
    if skip_until is not None:  # an element never closed: drop it to the end
        b.replace(skip_start, len(raw), "")
        if skip_until[2] != "markup":
            removed.append((skip_start, len(raw), skip_until[2]))
    title = _TITLE.search(raw)
    if title and title.group(1).strip():
        meta["title"] = _SPACE.sub(" ", _html.unescape(title.group(1))).strip()
    text, edits = b.finish()
    return text, edits, removed, meta


def main_content_lines(raw_html: str, text: str) -> tuple[list[tuple[int, int, str]], dict]:
    """Lines of ``text`` that trafilatura does not count as main content, and metadata.

    When trafilatura finds no main content, nothing is removed (the text rules still
    run): an extractor failure must never drop body text.
    """
    import trafilatura

    try:
        main = trafilatura.extract(raw_html, include_comments=False, include_tables=True, favor_recall=True, with_metadata=False)
        meta_doc = trafilatura.extract_metadata(raw_html)
    except Exception:  # trafilatura raises a variety of parser errors on broken markup
        return [], {}
    meta = {}
    if meta_doc is not None:
        for key in ("title", "author", "date", "url", "sitename"):
            value = getattr(meta_doc, key, None)
            if value:
                meta[{"date": "published", "sitename": "outlet"}.get(key, key)] = str(value)
    if not main or not main.strip():
        return [], meta
    kept = _SPACE.sub(" ", main).strip()
    title = _SPACE.sub(" ", meta.get("title", "")).strip()
    out = []
    pos = 0
    for line in text.split("\n"):
        flat = _SPACE.sub(" ", line).strip()
        if flat and flat not in kept and flat != title:
            out.append((pos, pos + len(line), "html:not-main-content"))
        pos += len(line) + 1
    return out, meta
