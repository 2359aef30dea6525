"""The analysis itself: pure CPU, no I/O, so it is trivially testable and safe to repeat."""

import re
from collections import Counter

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
WORDS_PER_MINUTE = 200


def analyse(text: str, top: int = 5) -> dict:
    words = [w.lower() for w in WORD.findall(text)]
    sentences = len(SENTENCE_END.findall(text)) or (1 if words else 0)
    return {
        "characters": len(text),
        "words": len(words),
        "unique_words": len(set(words)),
        "sentences": sentences,
        "average_word_length": round(sum(map(len, words)) / len(words), 2) if words else 0.0,
        "top_words": [[word, count] for word, count in Counter(words).most_common(top)],
        "reading_seconds": round(len(words) * 60 / WORDS_PER_MINUTE),
    }
