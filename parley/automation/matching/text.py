"""Text normalisation and tokenisation shared by the lexical features.

Deterministic and dependency-free: lowercase, fold accents and typographic quotes, split into
alphanumeric words, and strip the commonest English inflections so "cards", "card" and
"carded" meet. Char n-grams are taken inside word boundaries so they absorb typos.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalize(text: str) -> str:
    """Lowercase ASCII-folded text with apostrophes inside words removed ("don't" -> "dont")."""
    folded = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"(?<=[a-z])'(?=[a-z])", "", ascii_text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English suffix stripper (plural, -ing, -ed); never shortens below 3 letters."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopp" (from "stopped") -> "stop"
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # "charge", "charg(ed)" and "charg(ing)" meet
    return word


def words(text: str) -> list[str]:
    """Normalised words, unstemmed."""
    return _WORD.findall(normalize(text))


def terms(text: str) -> list[str]:
    """Stemmed words."""
    return [stem(w) for w in words(text)]


def word_ngrams(tokens: list[str], n: int = 2) -> list[str]:
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def char_ngrams(tokens: list[str], low: int = 3, high: int = 5) -> list[str]:
    """Char n-grams of each word padded with spaces (sklearn's ``char_wb``)."""
    grams: list[str] = []
    for token in tokens:
        padded = f" {token} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams
