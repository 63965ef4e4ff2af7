"""Is a message English? Enough to keep the English-only sentiment model off other languages."""

from __future__ import annotations

import pytest

from parley.analytics.language import ENGLISH, is_english, language_of


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Super, danke für die schnelle Antwort!", "German"),
        ("Hallo, ist der Schlafsack auch für Personen über 1,90 m geeignet?", "German"),
        ("Merci beaucoup, c'est très gentil", "French"),
        ("¿Dónde está mi pedido? Gracias", "Spanish"),
        ("Olá! How long do I have to return something?", ENGLISH),  # a greeting is not enough
        ("Obrigada!", ENGLISH),  # one word: too little to tell
        ("YES", ENGLISH),
        ("My e-mail is joe@example.com, I'm still waiting", ENGLISH),
        ("Die cast models: is the die included?", ENGLISH),  # "die" is English too
    ],
)
def test_language_of(text: str, language: str) -> None:
    assert language_of(text) == language
    assert is_english(text) == (language == ENGLISH)
