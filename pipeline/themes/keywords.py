"""The keyword baseline: a theme is tagged when a passage contains one of its seed phrases.

Text and phrases are lowercased and lemmatised with the project's spaCy pipeline, so "assessments were
not updated" matches the seed phrase "assessment was not updated". It is a baseline to compare the
trained classifiers against, and its "probabilities" are 0 or 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


class KeywordMatcher:
    """Seed-phrase matching on lowercased lemmas.

    Parameters
    ----------
    seed_phrases : mapping of theme id to phrases
        The themes (in column order) and their seed phrases, as in the taxonomy.

    Examples
    --------
    >>> from pipeline.themes.taxonomy import load_taxonomy
    >>> taxonomy = load_taxonomy()
    >>> matcher = KeywordMatcher({theme.id: theme.seed_phrases for theme in taxonomy.themes})
    >>> float(matcher.predict_proba(["The child was never seen alone."])[0, 1])
    1.0
    """

    def __init__(self, seed_phrases: Mapping[str, Sequence[str]]):
        from spacy.matcher import PhraseMatcher

        from pipeline.nlp import load_nlp

        self.themes = list(seed_phrases)
        self.nlp = load_nlp()
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        for theme, phrases in seed_phrases.items():
            self.matcher.add(theme, [self.nlp(phrase.lower()) for phrase in phrases])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """1.0 where a text contains a seed phrase of the theme (columns in taxonomy order), else 0.0."""
        scores = np.zeros((len(texts), len(self.themes)), dtype=np.float32)
        column = {theme: j for j, theme in enumerate(self.themes)}
        for row, doc in enumerate(self.nlp.pipe(text.lower() for text in texts)):
            for match_id, _, _ in self.matcher(doc):
                scores[row, column[self.nlp.vocab.strings[match_id]]] = 1.0
        return scores
