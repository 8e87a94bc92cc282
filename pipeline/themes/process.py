"""Passages about the review itself, found by their wording wherever they sit in a review.

Every review says how it came about and how it was done: who commissioned it and why, its statutory footing, its
terms of reference and lines of enquiry, the records read and the people met, parallel trials and inquests. The
labelling policy gives these no theme, but they are full of theme words ("how well did agencies share
information?"), and the theme model tags about a third of them. :mod:`pipeline.themes.sections` leaves them
untagged when they sit under a recognised heading; this detector finds them anywhere else.

It is a logistic regression on the theme model's own TF-IDF features (no extra analysis of the text), trained by
``casereview train`` on the training split: positives are the examples whose writers marked them as methodology or
terms of reference and that carry no theme, plus the review-only passages under ``models/training/probes/``;
everything else (findings told in the review's words included) is negative.

The pipeline drops a tag when both the passage and the tag's evidence sentence score at least ``CUT``
(``ThemeModel.tag_passages(..., drop_review_process=True)``). The passage alone is not enough: a real
passage often opens in the review's words and goes on to a finding ("The review heard a range of views on this
decision ... the decision was therefore not properly tested"), and on the demo reviews a rule on the passage alone
dropped 14 tags, five of them findings; requiring the evidence sentence too dropped three tags, none of them a
finding. The model card reports the detector on held-out passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.themes.data import Example
from pipeline.themes.linear import fit_weights, sigmoid

STYLES = frozenset({"methodology", "method", "terms_of_reference"})  # writers' notes of a review-process passage
CUT = 0.8  # probability at or above which a passage counts as about the review itself
C = 4.0
MIN_EXAMPLES = 10  # fewer positives than this (a tiny training folder): no detector


def is_about_the_review(example: Example, probe: bool = False) -> bool:
    """Whether a training example is a review-process passage: it has no theme and its writer marked it as
    methodology or terms of reference, or it is a probe passage with no theme (every probe is about the review).

    >>> is_about_the_review(Example("x", "The panel met four times.", frozenset(), style="methodology"))
    True
    >>> is_about_the_review(Example("y", "The panel found no one saw the child.", frozenset({"voice_of_child"}),
    ...                             style="methodology"))
    False
    """
    return not example.labels and (probe or example.style in STYLES)


@dataclass
class ReviewProcessDetector:
    """A linear model over the theme model's TF-IDF features: probability that a passage is about the review."""

    coef: np.ndarray  # (features,)
    intercept: float
    cut: float = CUT

    @classmethod
    def fit(cls, features, about: np.ndarray, seed: int) -> ReviewProcessDetector | None:
        """Fit on feature rows and 0/1 flags (the theme model's own logistic regression, one column); None when
        there are too few of either class to learn from."""
        if min(int(about.sum()), int(len(about) - about.sum())) < MIN_EXAMPLES:
            return None
        coef, intercept = fit_weights(features, np.asarray(about).reshape(-1, 1), C, seed)
        return cls(coef[0], float(intercept[0]))

    def probability(self, features) -> np.ndarray:
        """Probability, per row of features, that the passage is about the review itself."""
        return sigmoid(np.asarray(features @ self.coef).ravel() + self.intercept)

    def flags(self, features) -> np.ndarray:
        """Whether each row is at or above the cut."""
        return self.probability(features) >= self.cut

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"process.coef": self.coef.astype(np.float32), "process.intercept": np.array([self.intercept]),
                "process.cut": np.array([self.cut])}

    @classmethod
    def from_arrays(cls, arrays) -> ReviewProcessDetector | None:
        """Rebuild from saved arrays; None for a model folder saved without a detector."""
        if "process.coef" not in arrays:
            return None
        return cls(np.asarray(arrays["process.coef"], dtype=np.float64), float(arrays["process.intercept"][0]),
                   float(arrays["process.cut"][0]))


def detector_report(detector: ReviewProcessDetector, features, examples: Sequence[Example],
                    about: np.ndarray) -> dict:
    """How the detector does on examples it was not trained on: the share of review-process passages it flags,
    and of passages with a theme (which it must leave alone)."""
    flagged = detector.flags(features)
    themed = np.array([bool(e.labels) for e in examples], dtype=bool)
    other = ~about.astype(bool) & ~themed
    return {
        "cut": detector.cut,
        "about_the_review": {"items": int(about.sum()), "flagged": int(flagged[about.astype(bool)].sum())},
        "with_a_theme": {"items": int(themed.sum()), "flagged": int(flagged[themed].sum())},
        "other_without_a_theme": {"items": int(other.sum()), "flagged": int(flagged[other].sum())},
    }
