"""Normalisation, stemming, n-grams and BERT's WordPiece: the tokens every feature is built on."""

from __future__ import annotations

from parley.automation.matching.text import char_ngrams, normalize, stem, terms, words
from parley.automation.matching.wordpiece import UNK, WordPiece, basic_tokenize


def test_normalize_folds_case_accents_and_apostrophes() -> None:
    assert normalize("Café ÉTÉ, don\u2019t") == "cafe ete, dont"


def test_stem_meets_inflections_and_keeps_short_words() -> None:
    assert stem("cards") == stem("card") == "card"
    assert stem("charged") == stem("charging") == stem("charge")
    assert stem("stopped") == "stop"
    assert stem("bus") == "bus" and stem("is") == "is" and stem("2024") == "2024"


def test_terms_and_words() -> None:
    assert words("Where's my NEW card?!") == ["wheres", "my", "new", "card"]
    assert terms("blocked transfers") == ["block", "transfer"]


def test_char_ngrams_stay_inside_word_boundaries() -> None:
    grams = char_ngrams(["ab", "cd"], 3, 4)
    assert " ab" in grams and "ab " in grams and " ab " in grams
    assert not any("b c" in g for g in grams)


def test_basic_tokenize_splits_punctuation_and_strips_accents() -> None:
    assert basic_tokenize("Héllo,  WORLD!\u00a0$5") == ["hello", ",", "world", "!", "$", "5"]


def test_wordpiece_longest_match_first() -> None:
    vocab = ["[UNK]", "un", "##aff", "##able", "want", "##ed", "runn", "##ing", ","]
    wp = WordPiece(vocab)
    assert wp.tokenize("unaffable, wanted running") == [
        "un",
        "##aff",
        "##able",
        ",",
        "want",
        "##ed",
        "runn",
        "##ing",
    ]
    assert wp.tokenize("unwantedx") == [UNK]
    assert wp.ids("want") == [4]
