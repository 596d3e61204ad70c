"""Typo tolerance for catalog search: "fluxx" finds FLUX, "stabel diffusion" Stable Diffusion.

When a search matches nothing, each of its words that appears in no model's search text is
replaced by the closest word that does (difflib, over the catalog's vocabulary of a few
thousand words). Python-side, so SQLite and Postgres behave the same; the vocabulary is
read once and kept until the catalog changes (one cheap aggregate query tells).
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass

from django.db.models import Count, Max

WORD = re.compile(r"[a-z0-9]+")
MIN_LENGTH = 3  # shorter words are too easy to "correct" into something unrelated
CUTOFF = 0.75  # difflib similarity: "fluxx"/"flux" 0.89, "stabel"/"stable" 0.83


@dataclass(frozen=True)
class Vocabulary:
    version: tuple[int, str]
    text: str  # every search text, joined: a word is known if it is a substring here
    words: tuple[str, ...]


_lock = threading.Lock()
_vocabulary: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    """The catalog's words, rebuilt only when endpoints were added, removed or changed."""
    global _vocabulary
    from playground.catalog.models import Endpoint

    stats = Endpoint.objects.aggregate(n=Count("id"), last=Max("updated"))
    version = (stats["n"], str(stats["last"]))
    with _lock:
        if _vocabulary is None or _vocabulary.version != version:
            texts = Endpoint.objects.values_list("search_text", flat=True)
            text = "\n".join(texts)
            words = {w for w in WORD.findall(text) if len(w) >= MIN_LENGTH}
            _vocabulary = Vocabulary(version, text, tuple(sorted(words)))
        return _vocabulary


def corrected(query: str) -> str | None:
    """`query` with its unknown words replaced by the closest known ones, or None when
    nothing could be corrected."""
    from playground.catalog.models import search_terms

    terms = search_terms(query)
    known = vocabulary()
    fixed = [_closest(term, known) for term in terms]
    if fixed == terms:
        return None
    return " ".join(fixed)


def _closest(term: str, known: Vocabulary) -> str:
    if term in known.text or len(term) < MIN_LENGTH:
        return term
    matches = difflib.get_close_matches(term, known.words, n=1, cutoff=CUTOFF)
    return matches[0] if matches else term
