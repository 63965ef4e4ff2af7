"""Is a message English? Just enough language identification to keep the English-only sentiment
model off text it cannot read (it scores "Super, danke für die schnelle Antwort!" negative).

Function words decide: a message is *foreign* when at least two distinct function words of one
other language occur and they outnumber the English ones two to one. Anything shorter or mixed
("Olá! How long do I have to return something?", "Obrigada!") counts as English, so a stray
greeting never takes a message out of the analysis. Only words that are not also English words
are listed ("die", "also", "man", "will" are left out).
"""

from __future__ import annotations

from functools import lru_cache

from parley.automation.matching.text import words

ENGLISH = "English"
MIN_HITS = 2

_ENGLISH = """the and is are was were to of for with this that you your have has not it my on in
at be can could would will what when where how which please thanks thank hi hello do does did
there their our we they them from but if or about just"""
_OTHERS = {
    "German": """der das und ist nicht ich du sie wir ihr mein meine dein ein eine einen auch auf
    mit fur uber von zum zur wie sehr danke bitte hallo viele grusse gruss schon noch aber
    oder wenn dass kann konnen mochte habe hat sind war guten tag geht nur""",
    "French": """le la les et est une des du je tu nous vous il elle pas pour avec sur dans mais
    merci bonjour tres qui que ce cette mon ma mes votre est-ce avez suis""",
    "Spanish": """el la los las es una unos por para con pero muy gracias hola que como esta
    estoy tengo mi su del al puedo quiero donde cuando""",
    "Portuguese": """os as um uma uns por para com mas muito obrigado obrigada ola que como
    esta estou tenho meu minha seu do da dos das posso quero onde quando nao""",
    "Dutch": """de het een en ik je jij niet voor met op maar dank bedankt hallo hoe wat waar
    wanneer kan mijn zijn graag ook van""",
    "Italian": """il lo la gli le una uno per con ma molto grazie ciao che come sono ho mio mia
    dove quando posso voglio non della del""",
}


@lru_cache(maxsize=1)
def _lexicons() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    english = frozenset(words(_ENGLISH))
    # A word that is also an English function word never counts against English; single
    # letters ("e", "y") are left out too, as splitting "e-mail" or "I'm" makes them.
    others = {
        name: frozenset(w for w in words(text) if len(w) > 1) - english
        for name, text in _OTHERS.items()
    }
    return english, others


def language_of(text: str) -> str:
    """The message's language: :data:`ENGLISH` unless clearly another one (then its name)."""
    english, others = _lexicons()
    seen = set(words(text))
    english_hits = len(seen & english)
    best, hits = ENGLISH, 0
    for name, lexicon in others.items():
        found = len(seen & lexicon)
        if found > hits:
            best, hits = name, found
    if hits >= MIN_HITS and hits >= 2 * max(english_hits, 1):
        return best
    return ENGLISH


def is_english(text: str) -> bool:
    return language_of(text) == ENGLISH
