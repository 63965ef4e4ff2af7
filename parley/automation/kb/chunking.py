"""Cutting knowledge into searchable chunks. Pure functions: text in, chunks out.

An FAQ is one chunk (its question and alternatives are the titles, the answer the body). A
resource is cut along its structure: markdown at headings, HTML at its heading elements (after
sanitizing, as text), plain text at blank lines; then any section longer than ``max_chars`` is
split at paragraph, then sentence, then word boundaries into pieces of at most ``max_chars``,
each starting with the last ``overlap`` characters of the previous one so that a sentence cut in
two is still found whole in one of them.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

import nh3

from parley.channels.email.mime import html_to_text

MAX_CHARS = 1200
OVERLAP = 150
HEADING_CHARS = 500


class Format(StrEnum):
    markdown = "markdown"
    html = "html"
    text = "text"


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    heading: str
    titles: tuple[str, ...]
    text: str


def faq_chunk(*, question: str, alternatives: list[str], answer: str) -> Chunk:
    return Chunk(0, question[:HEADING_CHARS], (question, *alternatives), answer)


def resource_chunks(
    *,
    title: str,
    content: str,
    format: Format,
    max_chars: int = MAX_CHARS,
    overlap: int = OVERLAP,
) -> list[Chunk]:
    """The chunks of a document, in reading order. A document with no text gives none."""
    if format is Format.markdown:
        sections = markdown_sections(content)
    elif format is Format.html:
        sections = html_sections(content)
    else:
        sections = [("", content)]
    chunks: list[Chunk] = []
    for heading, body in sections:
        label = f"{title} - {heading}" if heading and heading != title else title
        for piece in split_text(body, max_chars=max_chars, overlap=overlap):
            titles = (title, heading) if heading and heading != title else (title,)
            chunks.append(Chunk(len(chunks), label[:HEADING_CHARS], titles, piece))
    return chunks


_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def markdown_sections(content: str) -> list[tuple[str, str]]:
    """(heading, text) per ATX heading (``#`` .. ``######``); text before the first heading has
    an empty heading. Headings inside fenced code blocks are text."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in content.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _MD_HEADING.match(line)
        if match:
            sections.append((match.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in sections if h or "".join(lines).strip()]


_HTML_HEADING = re.compile(r"(?is)<h([1-6])\b[^>]*>(.*?)</h\1\s*>")


def html_sections(content: str) -> list[tuple[str, str]]:
    """(heading, text) per ``<h1>`` .. ``<h6>``, the markup sanitized and reduced to text."""
    clean = nh3.clean(content, tags={"h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "li", "div"})
    sections: list[tuple[str, str]] = []
    position, heading = 0, ""
    for match in _HTML_HEADING.finditer(clean):
        sections.append((heading, html_to_text(clean[position : match.start()])))
        heading = " ".join(html.unescape(nh3.clean(match.group(2), tags=set())).split())
        position = match.end()
    sections.append((heading, html_to_text(clean[position:])))
    return [(h, text) for h, text in sections if h or text]


_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def split_text(text: str, *, max_chars: int = MAX_CHARS, overlap: int = OVERLAP) -> list[str]:
    """Pieces of at most ``max_chars``: whole paragraphs packed together where they fit, long
    ones cut at sentences or words; every piece after the first repeats ``overlap`` characters."""
    if max_chars <= overlap:
        raise ValueError("max_chars must exceed overlap")
    budget = max_chars - overlap - 1  # room for the repeated tail and its line break
    units: list[str] = []
    for paragraph in _PARAGRAPH.split(text.strip()):
        paragraph = paragraph.strip()
        if paragraph:
            units.extend(_fit(paragraph, budget))
    pieces: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 2 + len(unit) > budget:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{unit}" if current else unit
    if current:
        pieces.append(current)
    if not pieces:
        return []
    return [pieces[0], *(_tail(prev, overlap) + p for prev, p in itertools.pairwise(pieces))]


def _fit(paragraph: str, limit: int) -> list[str]:
    """A paragraph as units of at most ``limit`` characters: sentences, else words, else cuts."""
    if len(paragraph) <= limit:
        return [paragraph]
    out: list[str] = []
    for sentence in _SENTENCE.split(paragraph):
        for part in _pack(sentence.split() if len(sentence) > limit else [sentence], limit):
            out.extend(part[i : i + limit] for i in range(0, len(part), limit))
    return _pack(out, limit)


def _pack(parts: list[str], limit: int) -> list[str]:
    packed: list[str] = []
    for part in parts:
        if packed and len(packed[-1]) + 1 + len(part) <= limit:
            packed[-1] = f"{packed[-1]} {part}"
        else:
            packed.append(part)
    return packed


def _tail(piece: str, overlap: int) -> str:
    """The last ``overlap`` characters of ``piece``, from a word boundary, then a break."""
    if overlap <= 0:
        return ""
    tail = piece[-overlap:]
    space = tail.find(" ")
    if 0 <= space < len(tail) - 1 and len(piece) > overlap:
        tail = tail[space + 1 :]
    return tail + "\n"
