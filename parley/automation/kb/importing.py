"""Bringing knowledge in: FAQ lists, document files, and web pages behind the SSRF guard."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from parley.automation.kb.actions import FaqInput
from parley.automation.kb.chunking import Format
from parley.channels.email.mime import decode_bytes
from parley.errors import InvalidInput
from parley.security import ssrf

MAX_PAGE_BYTES = 2_000_000
SUFFIXES = {
    ".md": Format.markdown,
    ".markdown": Format.markdown,
    ".html": Format.html,
    ".htm": Format.html,
    ".txt": Format.text,
    ".text": Format.text,
}


def faqs_from_json(rows: Sequence[Mapping[str, Any]]) -> list[FaqInput]:
    """FAQs in Parley's shape (``question``, ``answer``, ``alternatives``, ``tags``) or in
    StackFAQ's (``question``, ``answers`` [...], ``phrasings`` [...]); several answers are joined
    by blank lines. Raises InvalidInput naming the first bad row."""
    items: list[FaqInput] = []
    for index, row in enumerate(rows):
        answers = row.get("answers")
        answer = row.get("answer")
        if answer is None and isinstance(answers, list):
            answer = "\n\n".join(str(a) for a in answers)
        question = row.get("question")
        alternatives = row.get("alternatives", row.get("phrasings", []))
        tags = row.get("tags", [])
        if not isinstance(question, str) or not isinstance(answer, str):
            raise InvalidInput(
                "each FAQ needs a question and an answer (or answers)",
                fields={f"faqs.{index}": "needs question and answer"},
            )
        if not isinstance(alternatives, list) or not isinstance(tags, list):
            raise InvalidInput(
                "alternatives and tags are lists", fields={f"faqs.{index}": "not a list"}
            )
        items.append(
            FaqInput(
                question=question.strip(),
                answer=answer.strip(),
                alternatives=[str(a).strip() for a in alternatives if str(a).strip()],
                tags=[str(t) for t in tags],
            )
        )
    return items


def format_of(filename: str, declared: str | None = None) -> Format:
    """The declared format, else the one the file name's suffix implies."""
    if declared:
        try:
            return Format(declared)
        except ValueError:
            raise InvalidInput(
                "format must be markdown, html or text", fields={"format": "unknown"}
            ) from None
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(
            f"cannot tell the format of {filename!r}: name it .md, .html or .txt, or say format",
            fields={"format": "unknown"},
        )
    return SUFFIXES[suffix]


def title_of(filename: str, content: str, kind: Format) -> str:
    """A document's title: its first heading (``#`` or ``<title>``/``<h1>``), else the name."""
    if kind is Format.markdown:
        match = re.search(r"(?m)^ {0,3}#\s+(.+?)\s*#*\s*$", content)
    elif kind is Format.html:
        match = re.search(r"(?is)<(title|h1)\b[^>]*>(.*?)</\1\s*>", content)
        if match:
            text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(2)))
            return " ".join(text.split())[:300] or filename
    else:
        match = None
    if match:
        return match.group(1).strip()[:300]
    return (PurePosixPath(filename).stem or filename)[:300]


def _format_from_content_type(content_type: str, url: str) -> Format:
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return Format.html
    if kind in ("text/markdown", "text/x-markdown"):
        return Format.markdown
    if kind == "text/plain":
        path = PurePosixPath(url.split("?", 1)[0])
        return Format.markdown if path.suffix.lower() in (".md", ".markdown") else Format.text
    raise InvalidInput(
        f"cannot import a {kind or 'typeless'} document: HTML, markdown or plain text only",
        fields={"url": "unsupported content type"},
    )


async def fetch_page(url: str, *, allow_private: bool) -> tuple[str, Format, str]:
    """(text, format, final URL) of a page, fetched through the SSRF guard.

    Raises UnsafeUrl (422) for a refused address and InvalidInput for a failed or odd answer.
    """
    try:
        answer = await ssrf.fetch(
            "GET",
            url,
            headers={"accept": "text/html, text/markdown, text/plain"},
            allow_private=allow_private,
            max_bytes=MAX_PAGE_BYTES,
        )
    except ssrf.FetchError as exc:
        raise InvalidInput(
            f"could not fetch the page: {exc}", fields={"url": "fetch failed"}
        ) from None
    if not 200 <= answer.status < 300:
        raise InvalidInput(
            f"the page answered HTTP {answer.status}", fields={"url": f"HTTP {answer.status}"}
        )
    kind = _format_from_content_type(answer.headers.get("content-type", ""), answer.url)
    match = re.search(r"charset=\"?([\w-]+)", answer.headers.get("content-type", ""))
    text = decode_bytes(answer.body, match.group(1) if match else None)
    return text, kind, answer.url
