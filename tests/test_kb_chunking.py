"""Chunking: markdown by headings, HTML sanitized to text, plain text by paragraphs, bounded."""

from __future__ import annotations

import itertools

from parley.automation.kb.chunking import Format, faq_chunk, resource_chunks, split_text


def test_an_faq_is_one_chunk_with_its_phrasings_as_titles() -> None:
    chunk = faq_chunk(question="Where is my order?", alternatives=["Track parcel"], answer="See.")
    assert chunk.titles == ("Where is my order?", "Track parcel")
    assert chunk.text == "See."


def test_markdown_is_cut_at_headings_but_not_inside_code() -> None:
    md = "Intro.\n\n# Returns\nWithin 30 days.\n```\n# not a heading\n```\n## Refunds\nFive days."
    chunks = resource_chunks(title="Help", content=md, format=Format.markdown)
    assert [c.heading for c in chunks] == ["Help", "Help - Returns", "Help - Refunds"]
    assert "# not a heading" in chunks[1].text
    assert chunks[2].titles == ("Help", "Refunds")


def test_html_is_sanitized_and_cut_at_headings() -> None:
    page = "<h1>Ship</h1><p>We ship <b>fast</b><script>alert(1)</script></p><h2>Fees &amp; tax</h2>"
    page += "<p onclick='x()'>None</p>"
    chunks = resource_chunks(title="T", content=page, format=Format.html)
    assert [(c.heading, c.text) for c in chunks] == [
        ("T - Ship", "We ship fast"),
        ("T - Fees & tax", "None"),
    ]


def test_long_text_is_bounded_with_overlap() -> None:
    text = "\n\n".join(
        f"Paragraph {i} says something about refunds and returns." * 4 for i in range(40)
    )
    pieces = split_text(text, max_chars=400, overlap=60)
    assert len(pieces) > 5
    assert all(len(p) <= 400 for p in pieces)
    for previous, piece in itertools.pairwise(pieces):
        assert piece.split("\n", 1)[0] in previous  # the tail of one starts the next


def test_a_huge_word_is_still_cut() -> None:
    pieces = split_text("x" * 2500, max_chars=1000, overlap=100)
    assert all(len(p) <= 1000 for p in pieces)
    assert "".join(p.split("\n")[-1] for p in pieces) == "x" * 2500


def test_plain_text_without_content_gives_nothing() -> None:
    assert resource_chunks(title="T", content="  \n\n ", format=Format.text) == []
