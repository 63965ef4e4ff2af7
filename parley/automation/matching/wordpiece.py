"""BERT's uncased WordPiece tokenizer, enough to feed MiniLM's vocabulary.

Mirrors ``BertTokenizer(do_lower_case=True)``: clean, lowercase, strip accents, split on
whitespace and punctuation, then greedy longest-match-first WordPiece with ``##`` continuations.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

UNK = "[UNK]"
_MAX_WORD_CHARS = 100


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    # BERT treats every non-alphanumeric ASCII symbol as punctuation, "$" and "^" included.
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def basic_tokenize(text: str) -> list[str]:
    """Lowercase, strip accents, and split into words and single punctuation marks."""
    chars: list[str] = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD:
            continue
        category = unicodedata.category(char)
        if char in "\t\n\r" or category == "Zs":
            chars.append(" ")
        elif category in ("Cc", "Cf"):
            continue
        elif _is_cjk(code):
            chars.extend((" ", char, " "))
        else:
            chars.append(char)
    words: list[str] = []
    for raw in "".join(chars).lower().split():
        word = "".join(
            c for c in unicodedata.normalize("NFD", raw) if unicodedata.category(c) != "Mn"
        )
        current: list[str] = []
        for char in word:
            if _is_punctuation(char):
                if current:
                    words.append("".join(current))
                    current = []
                words.append(char)
            else:
                current.append(char)
        if current:
            words.append("".join(current))
    return words


class WordPiece:
    """Greedy longest-match-first subword splitting over a fixed vocabulary."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocab: Mapping[str, int] = {token: i for i, token in enumerate(vocabulary)}
        self._split = lru_cache(maxsize=65536)(self._split_word)

    def _split_word(self, word: str) -> tuple[str, ...]:
        if len(word) > _MAX_WORD_CHARS:
            return (UNK,)
        pieces: list[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            piece = None
            while start < end:
                candidate = word[start:end] if start == 0 else "##" + word[start:end]
                if candidate in self.vocab:
                    piece = candidate
                    break
                end -= 1
            if piece is None:
                return (UNK,)
            pieces.append(piece)
            start = end
        return tuple(pieces)

    def tokenize(self, text: str) -> list[str]:
        return [piece for word in basic_tokenize(text) for piece in self._split(word)]

    def word_pieces(self, word: str) -> tuple[str, ...]:
        """The pieces of one already basic-tokenized word."""
        return self._split(word)

    def ids(self, text: str) -> list[int]:
        return [self.vocab[piece] for piece in self.tokenize(text)]
