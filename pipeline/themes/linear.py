"""One-vs-rest logistic regression with Platt-calibrated probabilities, kept as plain numpy arrays.

Each theme has its own linear model (weights and an intercept) and two Platt parameters that map its raw
score to a probability. The Platt parameters are fitted on out-of-fold scores from cross-validation, so the
probabilities reflect how the model does on examples it was not trained on. Saving and loading needs only
numpy: no pickle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class CalibratedLinear:
    """Per-theme weights, intercepts and Platt parameters (``p = 1 / (1 + exp(-(slope * score + offset))))``)."""

    coef: np.ndarray  # (themes, features)
    intercept: np.ndarray  # (themes,)
    platt_slope: np.ndarray  # (themes,)
    platt_offset: np.ndarray  # (themes,)

    def decision(self, features) -> np.ndarray:
        """Raw linear scores, one column per theme (``features`` dense or sparse)."""
        return np.asarray(features @ self.coef.T) + self.intercept

    def predict_proba(self, features) -> np.ndarray:
        """Calibrated probabilities, one column per theme."""
        return sigmoid(self.decision(features) * self.platt_slope + self.platt_offset)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays to save, with names starting ``prefix``."""
        return {f"{prefix}.coef": self.coef.astype(np.float32), f"{prefix}.intercept": self.intercept,
                f"{prefix}.platt_slope": self.platt_slope, f"{prefix}.platt_offset": self.platt_offset}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> CalibratedLinear:
        """Rebuild from arrays saved by ``to_arrays``."""
        return cls(*(np.asarray(arrays[f"{prefix}.{name}"]) for name in
                     ("coef", "intercept", "platt_slope", "platt_offset")))


def fit_calibrated(features, labels: np.ndarray, folds: Folds, c: float, seed: int,
                   fold_features: list | None = None, fold_extra: list[list[tuple]] | None = None,
                   extra: list[tuple] | None = None) -> tuple[CalibratedLinear, np.ndarray]:
    """Fit one calibrated logistic regression per theme.

    Parameters
    ----------
    features : array or sparse matrix
        One row per training example.
    labels : ndarray of 0/1, shape (examples, themes)
    folds : list of (train_rows, test_rows)
        Cross-validation folds: each example is scored once by a model that did not see it.
    c : float
        Inverse regularisation strength.
    seed : int
    fold_features : list of (train_features, test_features), optional
        Per-fold feature matrices, when features must be rebuilt inside each fold (e.g. a TF-IDF vocabulary
        learned from the fold's training rows only). By default rows of ``features`` are used.
    fold_extra : list (one per fold) of lists of (features, labels), optional
        Extra training rows per fold (e.g. synthetic passages made from that fold's training rows only): they
        are trained on but never scored, so out-of-fold scores and the Platt fit use real examples alone. With
        several sets for a fold, one model is fitted with each set and their weights are averaged (bagging over
        the synthetic rows; an average of linear models is one linear model, so it costs nothing to apply).
    extra : list of (features, labels), optional
        Extra training row sets for the final fit on all examples, used the same way.

    Returns
    -------
    model : CalibratedLinear
        Weights fitted on all rows, with Platt parameters fitted on the out-of-fold scores.
    out_of_fold : ndarray, shape (examples, themes)
        Calibrated out-of-fold probabilities (for choosing thresholds and reporting cross-validated scores).
    """
    scores = np.zeros(labels.shape, dtype=np.float64)
    for k, (train_rows, test_rows) in enumerate(folds):
        x_train, x_test = fold_features[k] if fold_features else (features[train_rows], features[test_rows])
        coef, intercept = _fit_averaged(x_train, labels[train_rows], fold_extra[k] if fold_extra else [], c, seed)
        scores[test_rows] = np.asarray(x_test @ coef.T) + intercept
    slopes, offsets = zip(*(_fit_platt(scores[:, j], labels[:, j]) for j in range(labels.shape[1])), strict=True)
    coef, intercept = _fit_averaged(features, labels, extra or [], c, seed)
    model = CalibratedLinear(coef, intercept, np.array(slopes), np.array(offsets))
    return model, sigmoid(scores * model.platt_slope + model.platt_offset)


def _fit_averaged(features, labels: np.ndarray, extra_sets: list[tuple], c: float, seed: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Weights fitted on ``features`` alone, or averaged over one fit per set of extra rows appended to them."""
    if not extra_sets:
        return fit_weights(features, labels, c, seed)
    fits = [fit_weights(*_append_rows(features, labels, *extra), c, seed) for extra in extra_sets]
    return np.mean([coef for coef, _ in fits], axis=0), np.mean([intercept for _, intercept in fits], axis=0)


def _append_rows(features, labels: np.ndarray, more_features, more_labels: np.ndarray):
    from scipy.sparse import issparse, vstack

    stacked = vstack([features, more_features], format="csr") if issparse(features) else np.vstack(
        [features, more_features])
    return stacked, np.vstack([labels, more_labels])


def fit_weights(features, labels: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    n_themes = labels.shape[1]
    coef = np.zeros((n_themes, features.shape[1]), dtype=np.float64)
    intercept = np.zeros(n_themes, dtype=np.float64)
    for j in range(n_themes):
        column = labels[:, j]
        if column.min() == column.max():  # a theme with no positives (or no negatives) here: a constant
            intercept[j] = 10.0 if column.max() else -10.0
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=seed)
        model.fit(features, column)
        coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
    return coef, intercept


def _fit_platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    if labels.min() == labels.max():
        return 1.0, 0.0
    model = LogisticRegression(C=1e4, max_iter=1000).fit(scores.reshape(-1, 1), labels)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -40, 40)))
