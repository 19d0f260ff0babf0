"""Website furniture in plain text: what it is, and the method that finds it.

Plain text carries no markup cues, so DOM extractors keep the whole tail of a page
(shared/docs/arabic-text.md). The method here is line-based and conservative:

1. Every line is classified:
   - *marker*: it matches a known site marker (correction notice, related articles,
     newsletter, subscribe, login and password forms, copyright, share/follow);
   - *source line*: the whole line is a publication in guillemets or parentheses,
     ``«القدس العربي»``, ``(رويترز)``; it becomes ``metadata.outlet``;
   - *ui*: a short line without terminal punctuation (at most ``short_words`` words),
     or, in an Arabic document, a line that is mostly Latin;
   - *body*: anything else.
2. From the end of the document backwards, marker, ui, source and blank lines are
   removed until the first body line: the tail never reaches into the body, so a body
   paragraph after a marker stops the cut and is kept.
3. From the start, only *marker* lines (and blank lines between them) are removed, so a
   title line (short, without a full stop) is kept and recorded as ``metadata.title``.

Every removed line is returned with its reason, so the document keeps it as a raw span.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

__all__ = ["BoilerplateResult", "find_boilerplate", "MARKERS"]

# name -> pattern (searched, case-insensitive) of a line that is site furniture
MARKERS: dict[str, str] = {
    "correction-notice": r"اذا كنت تعتقد|إذا كنت تعتقد|أرسل/أرسلي تصحيح|ارسل تصحيح",
    "related-articles": r"المقالات ذات الصلة|مقالات ذات صلة|اقرأ أيضا|اقرأ ايضا|related (articles|posts|stories)|read more",
    "newsletter": r"النشرة البريدية|النشرة الإخبارية|newsletter",
    "subscribe": r"^اشترك|اشترك ليصلك|subscribe",
    "search-box": r"^ابحث\s*هنا$|^ابحثهنا$|^search$",
    "login": r"welcome back|login to your account|log in|sign in|sign up|تسجيل الدخول|create an account",
    "password": r"password|كلمة المرور|كلمة السر",
    "playlist": r"add new playlist|playlist",
    "share": r"^(شارك|مشاركة|share)(\s|:|$)|share (this|on)|تابعونا|follow us",
    "copyright": r"جميع الحقوق محفوظة|all rights reserved|©|copyright",
    "cookies": r"cookies?|ملفات تعريف الارتباط",
    "comments": r"^التعليقات$|^(أضف|اضف) تعليق|leave a (comment|reply)",
}
# one alternation with a named group a marker: one search a line
_MARKER_RE = re.compile("|".join(f"(?P<{name.replace('-', '_')}>{p})" for name, p in MARKERS.items()), re.I | re.M)
_SOURCE_LINE = re.compile(r"^\s*(?:«\s*([^«»\n]{2,60}?)\s*»|\(\s*([^()\n]{2,60}?)\s*\))\s*$")
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_TERMINAL = re.compile(r"[.!?؟…:»\"”)]\s*$")


_NOT_LETTERS = bytes(b for b in range(256) if not chr(b).isalpha())


def _mostly_arabic(sample: str) -> bool:
    """More non-ASCII than ASCII letters: counted in C (encode, translate), not by regex."""
    ascii_part = sample.encode("ascii", "ignore")
    latin = len(ascii_part.translate(None, _NOT_LETTERS))
    return len(sample) - len(ascii_part) > latin


@dataclass
class BoilerplateResult:
    removed: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, reason)
    outlet: str | None = None
    title: str | None = None


def _classify(line: str, arabic_doc: bool, short_words: int) -> str:
    stripped = line.strip()
    if not stripped:
        return "blank"
    if len(stripped) > 200:  # furniture lines are short; a long line is a paragraph
        return "body"
    return _classify_short(stripped, arabic_doc, short_words)


@functools.lru_cache(maxsize=8192)
def _classify_short(stripped: str, arabic_doc: bool, short_words: int) -> str:
    """The kind of a short stripped line. Remembered: furniture is the same lines on every
    page of a site, and the marker search is the costliest step of ingest's Python."""
    m = _MARKER_RE.search(stripped)
    if m:
        return f"footer-marker:{m.lastgroup.replace('_', '-')}"
    if _SOURCE_LINE.match(stripped):
        return "source-line"
    words = len(_WORD.findall(stripped))
    if arabic_doc:
        latin = len(_LATIN.findall(stripped))
        arabic = len(_ARABIC.findall(stripped))
        if latin > 2 * arabic:
            return "ui-line:latin"
    if words <= short_words and not _TERMINAL.search(stripped):
        return "ui-line:short"
    return "body"


def find_boilerplate(text: str, short_words: int = 3) -> BoilerplateResult:
    """Boilerplate lines of ``text`` (already normalized: ``\\n`` line ends)."""
    # only the lines at the two ends are ever classified: the body in between is not read
    spans = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    arabic_doc = _mostly_arabic(text[:1000])

    def kind(k: int) -> str:
        s, e = spans[k]
        return _classify(text[s:e], arabic_doc, short_words)

    result = BoilerplateResult()
    # the tail, backwards, until the first body line
    tail: list[tuple[int, int, str]] = []
    i = len(spans) - 1
    while i >= 0:
        k = kind(i)
        if k == "body":
            break
        tail.append((*spans[i], k))
        i -= 1
    if i < 0:
        # no line reads as body (a headline, a tweet): only known site markers go, the
        # short lines are the document
        tail = [t for t in tail if t[2].startswith("footer-marker:") or t[2] in ("source-line", "blank")]
        i = -1  # and no head to look for: the tail has every marker line
    # the head: marker lines only (titles are short lines and must stay)
    head: list[tuple[int, int, str]] = []
    j = 0
    while j <= i:
        k = kind(j)
        if not (k.startswith("footer-marker:") or k == "blank"):
            break
        head.append((*spans[j], k.replace("footer-marker:", "header-marker:")))
        j += 1
    for s, e, k in head + sorted(tail):
        if k == "blank":
            continue
        if k == "source-line" and result.outlet is None:
            m = _SOURCE_LINE.match(text[s:e])
            result.outlet = (m.group(1) or m.group(2)).strip()
        result.removed.append((s, e, k))
    # the title: the first kept line, when it reads like a headline (no terminal stop)
    cut = {(s, e) for s, e, _ in result.removed}
    for s, e in spans[j:] if i >= 0 else spans:
        if (s, e) in cut:
            continue
        line = text[s:e].strip()
        if not line:
            continue
        if not _TERMINAL.search(line) and len(_WORD.findall(line)) <= 30:
            result.title = line
        break
    return result
