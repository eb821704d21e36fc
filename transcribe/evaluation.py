"""Scoring transcripts against references (for tests and benchmarks).

Word error rate is computed with ``jiwer`` (a test/bench dependency, imported
only when scoring) after both texts go through :func:`normalise`:

* lower-case; ``&`` becomes "and"; hyphens and slashes become spaces;
* every other character that is not a letter, digit, apostrophe or space is
  removed, as are apostrophes themselves ("don't" = "dont");
* "mr"/"mrs"/"dr" become "mister"/"missus"/"doctor";
* numbers are spelled out as the references spell them: 0–99 as words, a
  four-digit number as a year ("1813" → "eighteen thirteen", "1905" →
  "nineteen oh five", "2000" → "two thousand"), "1st".."99th" as ordinals.

This is a simpler stand-in for openai-whisper's ``EnglishTextNormalizer``,
which ``/work/shared/asr.md``'s "whisper-norm" figures used; on these clips
the two agree on everything but rare spellings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["normalise", "word_error_rate", "number_words"]

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


def _two_digits(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])


def number_words(n: int) -> str:
    """Spell a number the way the reference transcripts do (years as pairs)."""
    if n < 100:
        return _two_digits(n)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + _two_digits(rest))
    if n < 10000:
        high, low = divmod(n, 100)
        if low == 0:
            if high % 10 == 0:
                return _ONES[high // 10] + " thousand"
            return _two_digits(high) + " hundred"
        if low < 10:
            return _two_digits(high) + " oh " + _ONES[low]
        return _two_digits(high) + " " + _two_digits(low)
    return " ".join(_ONES[int(d)] for d in str(n))


def _ordinal(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL:
        words[-1] = _ORDINAL[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def normalise(text: str) -> str:
    """Normalise text for scoring (see the module docstring for the rules)."""
    text = text.lower().replace("&", " and ")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 -> 1000
    text = re.sub(r"[-‐–—/]", " ", text)
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: " " + _ordinal(int(m.group(1))) + " ", text)
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group(0))) + " ", text)
    text = re.sub(r"[^\w\s]", "", text).replace("_", " ")
    return " ".join(_ABBREVIATIONS.get(w, w) for w in text.split())


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    """Return the pooled WER (0..1) of hypotheses against references, normalised."""
    import jiwer

    refs = [normalise(r) for r in references]
    hyps = [normalise(h) for h in hypotheses]
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    return float(jiwer.wer([r for r, _ in pairs], [h or "<empty>" for _, h in pairs]))
