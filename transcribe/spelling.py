"""Spell names and terms the way the meeting spells them, without adding a word (a pure function).

Passing names and the SEN glossary to Whisper as a prompt (hotwords) helps it
spell them, but on multi-speaker meetings it also made tiny.en put glossary
words where nobody said them ("EHCP" for a child's name) and give one
segment per 30-s window (``bench/attribution.py``, ``bench/README.md``).
So by default the engine hears no prompt, and this pass does the spelling
afterwards instead: a capitalised word that is a near miss of one word of a
name or term ("Claflan", "Sendco") takes that spelling. It only ever
replaces a word with a near-identical one; it cannot insert, delete or move
words, and common words are left alone because only capitalised words that
are not at the start of a sentence are considered.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Sequence

from .types import Word

__all__ = ["respell", "spelling_table"]

_EDGE = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def spelling_table(vocabulary: Iterable[str]) -> dict[str, str]:
    """Return {lower-case word: spelling} for the single words of names and terms (4 letters or more)."""
    table: dict[str, str] = {}
    for entry in vocabulary:
        for word in re.findall(r"[A-Za-z][A-Za-z'\-]{3,}", entry or ""):
            table.setdefault(word.lower(), word)
    return table


def respell(words: Sequence[Word], vocabulary: Iterable[str], *, cutoff: float = 0.8) -> list[Word]:
    """Return the words with near-miss names and terms spelled as in ``vocabulary``.

    Args:
        words: Time-ordered words as the engine gave them.
        vocabulary: Attendee names and glossary terms.
        cutoff: How alike (difflib ratio, 0..1) a word and a spelling must be.

    Returns:
        New words (same times and probabilities), the same number, in order.
    """
    table = spelling_table(vocabulary)
    if not table:
        return list(words)
    keys = list(table)
    out: list[Word] = []
    for i, w in enumerate(words):
        lead, core, tail = _EDGE.match(w.text).groups()
        prev = words[i - 1].text.strip() if i else ""
        sentence_start = not prev or prev[-1] in ".?!"
        if len(core) >= 4 and core[0].isupper() and not sentence_start and core.lower() not in table:
            close = difflib.get_close_matches(core.lower(), keys, n=1, cutoff=cutoff)
            if close and close[0][0] == core[0].lower():
                w = dataclasses.replace(w, text=f"{lead}{table[close[0]]}{tail}")
        out.append(w)
    return out
