"""Word error rate between what a script said and what Whisper heard.

Used to check that rendered speech is intelligible: both sides are normalised first, so
capitals, punctuation and contractions ("don't" versus "do not") are not counted as errors.
"""

from __future__ import annotations

import re
import unicodedata

import jiwer

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_IRREGULAR = {
    "won't": "will not",
    "can't": "cannot",
    "shan't": "shall not",
    "ain't": "is not",
    "let's": "let us",
}
# "'s" is usually "is" after these words and usually possessive elsewhere.
_IS_CONTRACTIONS = ("it", "that", "there", "here", "what", "where", "who", "he", "she")
_SUFFIXES = (
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'d\b"), " would"),
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def _expand_contractions(text: str) -> str:
    for short, long in _IRREGULAR.items():
        text = re.sub(rf"\b{re.escape(short)}\b", long, text)
    for word in _IS_CONTRACTIONS:
        text = re.sub(rf"\b{word}'s\b", f"{word} is", text)
    for pattern, replacement in _SUFFIXES:
        text = pattern.sub(replacement, text)
    return text


def normalize_text(text: str) -> str:
    """Lower-case words separated by single spaces: no punctuation, contractions expanded.

    Numbers are left as written ("7" and "seven" still differ); "'s" becomes "is" only after
    pronouns like "it" and "here", and is otherwise kept as a possessive. Hyphens split words
    ("well-known" -> "well known").
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = _expand_contractions(text)
    return " ".join(_WORD.findall(text))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after normalising both.

    An empty reference has no words to get wrong: the rate is then the number of inserted
    words (0.0 when the hypothesis is empty too), so silence heard as silence scores 0.
    """
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        return float(len(hyp.split()))
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))
