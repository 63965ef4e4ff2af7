"""Keywords of a conversation: a YAKE-style statistical scorer, single document, no corpus.

YAKE (Campos et al., 2020) rates each word from five statistics inside the text itself:
casing (capitalised away from a sentence start, acronyms), position (early sentences),
frequency, relatedness (a word seen next to many different words is a function word) and
spread over sentences. Candidate phrases of up to three consecutive content words (no stop
word, no number, no clause break) combine their words' scores; lower is better. This is a
re-implementation from the paper (the ``yake`` package is GPL/LGPL and is not used).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from parley.analytics.lexicon import wordset
from parley.analytics.transcript import sentences
from parley.automation.matching.text import normalize, stem

MAX_WORDS = 3
_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f][\w'\u2019-]*")
_CLAUSE = re.compile(r"[,;:()\"\u201c\u201d]")

STOP_WORDS = wordset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each else
    even ever every few for from further get gets getting got had has have having he her here hers
    herself him himself his how i if in into is it its itself just let lets like me might more most
    much must my myself no nor not now of off on once one only or other our ours ourselves out over
    own please same shall she should so some such than that thats the their theirs them themselves
    then there these they this those through to too under until up upon us very via was we were
    what when where which while who whom why will with within without would yes yet you your yours
    yourself yourselves im ive id ill youre youve youll hes shes its were theyre weve wed dont
    doesnt didnt cant couldnt wont wouldnt isnt arent wasnt werent hasnt havent hadnt shouldnt
    hi hello hey dear thanks thank thx ok okay sure yeah yep hmm oh ah regards cheers bye goodbye
    morning afternoon evening today tomorrow yesterday still really well need want know think see
    tell told say said go going come make made take way thing things something anything lot bit
    back right able again also already another ask asked may maybe new one two first last next
    day days week weeks month months year years time times minute minutes speaking
    ola hola hallo bonjour ciao hej gracias merci danke grazie obrigado obrigada"""
)


@dataclass(frozen=True)
class Keyword:
    phrase: str
    """As first written in the text (original casing)."""
    score: float
    """YAKE score: lower is more important."""


@dataclass
class _Stats:
    tf: int = 0
    upper: int = 0
    acronym: int = 0
    sentence_ids: set[int] | None = None
    left: Counter[str] | None = None
    right: Counter[str] | None = None


def _key(word: str) -> str:
    return "".join(c for c in normalize(word) if c.isalnum())


def _chunks(texts: Sequence[str]) -> list[tuple[int, list[str]]]:
    """(sentence index, words) for each clause of each sentence, in order."""
    out: list[tuple[int, list[str]]] = []
    index = 0
    for text in texts:
        for sentence in sentences(text):
            for clause in _CLAUSE.split(sentence):
                words = [w for w in _TOKEN.findall(clause) if not w.startswith("http")]
                if words:
                    out.append((index, words))
            index += 1
    return out


def _word_scores(chunks: list[tuple[int, list[str]]]) -> dict[str, float]:
    stats: dict[str, _Stats] = defaultdict(_Stats)
    for sid, words in chunks:
        keys = [_key(w) for w in words]
        for i, (word, key) in enumerate(zip(words, keys, strict=True)):
            if not key or key in STOP_WORDS or key.isdigit():
                continue
            s = stats[key]
            s.tf += 1
            s.sentence_ids = (s.sentence_ids or set()) | {sid}
            if word.isupper() and len(word) > 1:
                s.acronym += 1
            elif word[0].isupper() and i > 0:
                s.upper += 1
            s.left = s.left or Counter()
            s.right = s.right or Counter()
            if i > 0:
                s.left[keys[i - 1]] += 1
            if i + 1 < len(keys):
                s.right[keys[i + 1]] += 1
    if not stats:
        return {}
    tfs = [s.tf for s in stats.values()]
    mean_tf, std_tf, max_tf = statistics.mean(tfs), statistics.pstdev(tfs), max(tfs)
    n_sentences = max(sid for sid, _ in chunks) + 1
    scores: dict[str, float] = {}
    for key, s in stats.items():
        ids = sorted(s.sentence_ids or {0})
        t_case = max(s.upper, s.acronym) / (1.0 + math.log(s.tf))
        t_pos = math.log(math.log(3.0 + statistics.median(ids)))
        t_freq = s.tf / (mean_tf + std_tf)
        left, right = s.left or Counter(), s.right or Counter()
        dl = len(left) / sum(left.values()) if left else 0.0
        dr = len(right) / sum(right.values()) if right else 0.0
        t_rel = 1.0 + (dl + dr) * s.tf / max_tf
        t_sent = len(ids) / n_sentences
        scores[key] = (t_rel * t_pos) / (t_case + t_freq / t_rel + t_sent / t_rel)
    return scores


def extract_keywords(
    texts: Sequence[str], *, limit: int = 8, names: Collection[str] = ()
) -> list[Keyword]:
    """Up to ``limit`` keywords and key phrases of ``texts`` (one conversation), best first.

    Deterministic; empty when there is nothing but stop words. A candidate whose stemmed words
    are all inside a better candidate is dropped ("refund" after "refund request"). No
    candidate contains a word of ``names`` (the customer's, the agents', the organization's):
    they say who was talking, not what about ("Tom speaking", "Northwind Outfitters").
    """
    chunks = _chunks(texts)
    word_score = _word_scores(chunks)
    banned = {_key(w) for name in names for w in _TOKEN.findall(name)} - {""}
    counts: Counter[tuple[str, ...]] = Counter()
    surface: dict[tuple[str, ...], str] = {}
    for _, words in chunks:
        keys = [_key(w) for w in words]
        for n in range(1, MAX_WORDS + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(keys[i : i + n])
                if any(k not in word_score or k in banned for k in gram):
                    continue
                counts[gram] += 1
                surface.setdefault(gram, " ".join(words[i : i + n]))
    ranked: list[tuple[float, tuple[str, ...]]] = []
    for gram, tf in counts.items():
        content = [word_score[k] for k in gram]
        product = math.prod(content)
        ranked.append((product / (tf * (1.0 + sum(content))), gram))
    ranked.sort(key=lambda r: (r[0], r[1]))
    chosen: list[Keyword] = []
    taken: list[set[str]] = []
    for score, gram in ranked:
        stems = {stem(k) for k in gram}
        if any(stems <= other for other in taken):
            continue
        taken.append(stems)
        chosen.append(Keyword(phrase=surface[gram], score=round(score, 6)))
        if len(chosen) == limit:
            break
    return chosen
