"""The pure parts of the email channel: every real file parses, results match the expected
parses in ../shared/data/email, charsets fall back sensibly, the reply token cannot be forged."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from parley.channels.email import threading
from parley.channels.email.mime import decode_bytes, message_ids, sanitize_html
from parley.channels.email.parse import FORWARDED, parse
from tests.test_email_delivery import every_file
from tests.test_email_smtp import DATA

EXPECTED = sorted(DATA.rglob("*.expected.json"))
VALID = re.compile(r"[^\s@]+@[^\s@]+")
# Where Parley deliberately differs from imap_tools' parse, and why.
FORWARDS_KEPT_WHOLE = {  # imap_tools reads a forwarded message/rfc822's text as the sender's own
    "attachment_8bit",
    "attachment_message_rfc822",
    "raw_email_with_mimepart_without_content_type",
    "multi_address_bounce1",
    "multi_address_bounce2",
    "multipart_report_multiple_status",
    "attachment_2_base64",  # imap_tools shows the base64 of the forwarded message as text
}
BETTER_CHARSET = {  # 8-bit text in a Western charset: imap_tools drops or mangles the letters
    "content_transfer_encoding_7-bit",
    "content_transfer_encoding_plain",
    "raw_email6",
    "invalid_subject_characters",
}
OBSOLETE_SYNTAX = {"example13"}  # a literal "__" line ends the header block
NOT_ATTACHMENTS = {
    "content_transfer_encoding_x_uuencode": "an empty part (0 bytes) is not stored",
    "text_with_content_id": "a text/plain part with a Content-ID is the body",
}


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


@pytest.mark.parametrize("path", every_file(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_file_parses_into_storable_values(path: Path) -> None:
    parsed = parse(path.read_bytes())
    for value in (
        parsed.text,
        parsed.subject,
        parsed.html or "",
        *(a.filename for a in parsed.attachments),
    ):
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogates: both databases accept it
    assert len(parsed.text) <= 20_000
    assert all(a.data for a in parsed.attachments)
    body = path.read_bytes().replace(b"\r\n", b"\n").partition(b"\n\n")[2]
    if body.strip():
        assert parsed.text or parsed.html or parsed.attachments, "nothing silently dropped"
    if parsed.html:
        assert not re.search(r"<script|\son\w+\s*=|javascript:", parsed.html, re.IGNORECASE)
    for found in (parsed.message_id, *parsed.refers_to):
        assert found is None or (found.startswith("<") and found.endswith(">"))


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: str(p.relative_to(DATA)))
def test_parse_matches_the_expected_parse(expected: Path) -> None:
    name = expected.name.removesuffix(".expected.json")
    want = json.loads(expected.read_text())
    got = parse(expected.with_name(f"{name}.eml").read_bytes())
    if name not in BETTER_CHARSET:
        assert _norm(got.subject) == _norm(want["subject"])
    if VALID.fullmatch(want["from_"]):
        assert got.sender is not None and got.sender.email == want["from_"].lower()
    if all(VALID.fullmatch(t) for t in want["to"]):
        assert [a.email for a in got.to] == [t.lower() for t in want["to"]]
    text = _norm(got.text.removeprefix(FORWARDED))
    if want["text"] and not ({name} & (FORWARDS_KEPT_WHOLE | BETTER_CHARSET | OBSOLETE_SYNTAX)):
        assert text == _norm(want["text"])
    if want["html"] and name not in FORWARDS_KEPT_WHOLE:
        assert got.html
    if name in NOT_ATTACHMENTS or name in FORWARDS_KEPT_WHOLE - {"attachment_8bit"}:
        return
    ours = [(a.filename, a.content_type, len(a.data)) for a in got.attachments]
    for att in want["attachments"]:
        size, ctype = att["payload"]["bytes_len"], att["content_type"]
        found = [f for f, c, s in ours if (c, s) == (ctype, size)]
        assert any(att["filename"] in ("", f) for f in found), (att, ours)


def test_threading_headers_and_the_rfc_thread() -> None:
    rfc = DATA / "imap_tools/rfc2822"
    first, reply, again = (parse((rfc / f"example0{n}.eml").read_bytes()) for n in (5, 6, 7))
    assert first.message_id == "<1234@local.machine.example>" and first.refers_to == ()
    assert reply.in_reply_to == ("<1234@local.machine.example>",)
    assert again.refers_to == ("<3456@example.net>", "<1234@local.machine.example>")
    assert reply.reply_to[0].email == "smith@home.example"
    folded = parse((DATA / "chatwoot/multiple_in_reply_to.eml").read_bytes())
    assert len(folded.in_reply_to) >= 1
    assert message_ids("foo@bar, <a@b> (comment) <c@d>") == ["<a@b>", "<c@d>"]
    assert message_ids("foo@bar") == ["<foo@bar>"]


def test_automated_mail_is_recognized() -> None:
    auto = parse((DATA / "chatwoot/non_utf_encoded_mail.eml").read_bytes())
    assert auto.automated and auto.auto_submitted == "auto-submitted: auto-replied"
    assert auto.subject.startswith("أهلين")
    dsn = parse((DATA / "imap_tools/multipart_report_emails/report_530.eml").read_bytes())
    assert dsn.bounce and dsn.bounce_failed
    assert dsn.bounced_ids == ("<200712232303.lBNN3jDq002941@mail12.rrrr.com.au>",)
    person = parse((DATA / "imap_tools/rfc2822/example05.eml").read_bytes())
    assert not person.automated


def test_charsets_fall_back_sensibly() -> None:
    assert decode_bytes("Grüße".encode("cp1252"), "us-ascii") == "Grüße"
    assert decode_bytes("Grüße".encode(), "x-no-such-charset") == "Grüße"
    assert decode_bytes("스티해".encode("cp949"), "ks_c_5601-1987") == "스티해"
    assert decode_bytes(b"caf\xe9", None) == "café"
    assert "\ufffd" in decode_bytes(b"\x82\xa0\x82", "shift_jis")  # kept in its charset
    sjis = parse((DATA / "imap_tools/multi_charset/japanese_shift_jis.eml").read_bytes())
    assert sjis.text.startswith("あいうえお")


def test_html_is_sanitized() -> None:
    dirty = '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:evil()">x</a>'
    dirty += '<img src="cid:logo@x"><a href="https://ok.example">ok</a></p>'
    clean = sanitize_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert 'src="cid:logo@x"' in clean and 'href="https://ok.example"' in clean


def test_the_reply_token_round_trips_and_cannot_be_forged() -> None:
    secret, org, other = "s" * 32, uuid.uuid4(), uuid.uuid4()
    interaction = uuid.uuid4()
    address = threading.reply_address(secret, "parley.test", org, interaction)
    assert len(address.split("@")[0]) <= 64  # RFC 5321 local-part limit
    token = threading.read_reply_address(address.upper(), "parley.test")
    assert token is not None and token.interaction_id == interaction
    assert threading.verify(secret, org, token)
    assert not threading.verify(secret, other, token)
    assert not threading.verify("t" * 32, org, token)
    tampered = threading.read_reply_address(
        threading.reply_address(secret, "parley.test", org, uuid.uuid4())[:20] + address[20:],
        "parley.test",
    )
    assert tampered is None or not threading.verify(secret, org, tampered)
    assert threading.read_reply_address(address, "elsewhere.test") is None
    assert threading.read_reply_address("reply+zz@parley.test", "parley.test") is None
