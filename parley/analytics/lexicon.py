"""The sentiment vocabulary: general valences, customer-service overrides, emoji, modifiers.

General word valences come from the VADER lexicon (Hutto and Gilbert, 2014; MIT licence,
``data/VADER_LICENSE.txt``), shipped as ``data/vader_lexicon.tsv``. Everything else here was
written for Parley: VADER rates social-media English, where "help", "please" and "hold" are
mildly positive or neutral, but in a contact centre a message about a delay, a cancellation or
a long hold is a complaint. Those overrides were written from the domain, not fitted to any
data set (see docs/analytics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from parley.automation.matching.text import normalize

LEXICON_FILE = Path(__file__).parent / "data" / "vader_lexicon.tsv"

# Customer-service vocabulary on VADER's -4..4 scale. Replaces VADER's value when both exist.
DOMAIN_WORDS: dict[str, float] = {
    # Requests and politeness are not sentiment in a support conversation.
    "help": 0.0,
    "please": 0.0,
    "pls": 0.0,
    "plz": 0.0,
    "want": 0.0,
    "like": 0.0,
    "care": 0.0,
    "ok": 0.0,
    "okay": 0.0,
    "yes": 0.0,
    "no": 0.0,
    "free": 0.0,
    "fly": 0.0,
    "flying": 0.0,
    "reach": 0.0,
    # Service failures.
    "delayed": -1.6,
    "delay": -1.4,
    "delays": -1.4,
    "cancelled": -1.6,
    "canceled": -1.6,
    "cancellation": -1.0,
    "stranded": -2.2,
    "stuck": -1.6,
    "lost": -1.6,
    "missing": -1.3,
    "missed": -1.3,
    "late": -1.0,
    "overbooked": -1.8,
    "overcharged": -2.2,
    "charged": -0.4,
    "waiting": -0.9,
    "waited": -1.0,
    "wait": -0.6,
    "hours": -0.4,
    "nobody": -1.0,
    "unacceptable": -2.6,
    "ridiculous": -2.2,
    "useless": -2.2,
    "unhelpful": -2.0,
    "incompetent": -2.4,
    "disappointing": -2.0,
    "worse": -2.1,
    "rebook": -0.3,
    "rebooked": -0.3,
    "refund": -0.5,
    "complaint": -1.6,
    "again": -0.2,
    "yet": -0.2,
    "still": -0.3,
    "broke": -1.5,
    "damaged": -1.8,
    "error": -1.2,
    "glitch": -1.2,
    "fix": -0.4,
    "fixed": 0.6,
    "resolved": 1.2,
    "solved": 1.2,
    "sorted": 0.8,
    "appreciated": 2.0,
    "helpful": 2.0,
    "kudos": 2.4,
}

# Multi-word cues (normalised words). Matched before single words; their words then count once.
DOMAIN_PHRASES: dict[tuple[str, ...], float] = {
    ("on", "hold"): -1.6,
    ("still", "waiting"): -2.0,
    ("no", "one"): -1.2,
    ("no", "response"): -1.8,
    ("no", "answer"): -1.4,
    ("no", "reply"): -1.6,
    ("not", "working"): -1.8,
    ("doesnt", "work"): -1.8,
    ("didnt", "work"): -1.8,
    ("not", "received"): -1.6,
    ("never", "received"): -2.0,
    ("never", "arrived"): -2.0,
    ("never", "again"): -2.4,
    ("fed", "up"): -2.0,
    ("cant", "wait"): 2.0,
    ("waste", "of", "time"): -2.4,
    ("customer", "service"): 0.0,
    ("thank", "you"): 1.6,
    ("thanks", "so", "much"): 2.4,
    ("thank", "you", "so", "much"): 2.6,
    ("well", "done"): 2.0,
    ("works", "now"): 1.6,
    ("working", "now"): 1.6,
    ("all", "good"): 1.6,
    ("no", "problem"): 1.2,
    ("no", "worries"): 1.2,
}

EMOJI: dict[str, float] = {
    "\U0001f600": 2.0, "\U0001f601": 2.0, "\U0001f602": 1.6, "\U0001f603": 2.0,
    "\U0001f604": 2.0, "\U0001f60a": 2.0, "\U0001f60d": 2.8, "\U0001f618": 2.4,
    "\U0001f642": 1.2, "\U0001f643": 0.0, "\U0001f60e": 1.6, "\U0001f970": 2.8,
    "\U0001f929": 2.6, "\U0001f44d": 1.8, "\U0001f44f": 2.0, "\U0001f64f": 1.4,
    "\U0001f389": 2.4, "\U0001f38a": 2.2, "\u2764": 2.6, "\U0001f499": 2.4,
    "\U0001f49c": 2.4, "\U0001f49a": 2.4, "\U0001f49b": 2.4, "\U0001f495": 2.4,
    "\u2705": 1.2, "\u2b50": 1.6, "\U0001f31f": 1.8, "\u263a": 2.0,
    "\U0001f610": -0.4, "\U0001f611": -0.8, "\U0001f612": -1.6, "\U0001f614": -1.6,
    "\U0001f615": -1.2, "\U0001f61e": -2.0, "\U0001f61f": -1.6, "\U0001f620": -2.6,
    "\U0001f621": -3.0, "\U0001f622": -2.2, "\U0001f623": -1.8, "\U0001f624": -2.4,
    "\U0001f625": -1.8, "\U0001f627": -1.6, "\U0001f629": -2.2, "\U0001f62b": -2.2,
    "\U0001f62d": -2.4, "\U0001f630": -1.8, "\U0001f631": -2.0, "\U0001f633": -0.8,
    "\U0001f635": -1.6, "\U0001f637": -0.8, "\U0001f644": -1.6, "\U0001f912": -1.2,
    "\U0001f92c": -3.0, "\U0001f926": -1.8, "\U0001f44e": -2.0, "\U0001f494": -2.6,
    "\u2639": -2.0, "\U0001f641": -1.6, "\U0001f4a9": -2.0, "\u274c": -1.0,
}  # fmt: skip


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (long word lists stay readable)."""
    return frozenset(text.split())


NEGATORS = wordset(
    "not no never none nobody nothing neither nor nowhere cannot cant dont doesnt didnt isnt "
    "arent wasnt werent wont wouldnt shouldnt couldnt hasnt havent hadnt aint without rarely "
    "seldom hardly barely nope neednt mustnt darent"
)

# Degree words: added to (or, negative, taken from) the magnitude of the next sentiment word.
BOOST = 0.293
BOOSTERS: dict[str, float] = {
    **dict.fromkeys(
        wordset(
            "absolutely amazingly awfully completely considerably decidedly deeply enormously "
            "entirely especially exceptionally extremely fabulously flipping freaking fucking "
            "fully greatly highly hugely incredibly intensely majorly more most particularly "
            "purely quite really remarkably so substantially thoroughly totally tremendously "
            "truly uber unbelievably unusually utterly very super seriously such"
        ),
        BOOST,
    ),
    **dict.fromkeys(
        wordset(
            "almost barely hardly kinda kindof less little marginally occasionally partly "
            "scarcely slightly somewhat sorta"
        ),
        -BOOST,
    ),
}

# Clauses after a contrast carry the writer's point: "the agent was nice but nothing works".
# ("yet" and "though" are left out: "not yet" and "even though" are not contrasts.)
CONTRAST = frozenset({"but", "however"})


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, float]
    phrases: dict[tuple[str, ...], float]
    emoticons: dict[str, float]

    @property
    def longest_phrase(self) -> int:
        return max((len(p) for p in self.phrases), default=1)


def word_key(token: str) -> str:
    """The lexicon key of a raw token: normalised, apostrophes dropped, letters and digits only."""
    return "".join(c for c in normalize(token) if c.isalnum())


@lru_cache(maxsize=2)
def load_lexicon(*, domain: bool = True) -> Lexicon:
    """VADER's entries split into words, phrases and emoticons, with the domain overrides.

    ``domain=False`` gives VADER's general entries alone (a baseline for the evaluation).
    """
    words: dict[str, float] = {}
    phrases: dict[tuple[str, ...], float] = {}
    emoticons: dict[str, float] = dict(EMOJI)
    for line in LEXICON_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("# "):
            continue
        token, _, value = line.partition("\t")
        if " " in token and any(c.isalpha() for c in token):
            phrases[tuple(word_key(t) for t in token.split())] = float(value)
        elif token.replace("'", "").isalnum():
            words.setdefault(word_key(token), float(value))
        else:
            emoticons[token] = float(value)
    if domain:
        words.update(DOMAIN_WORDS)
        phrases.update(DOMAIN_PHRASES)
    return Lexicon(words=words, phrases=phrases, emoticons=emoticons)
