"""Learning themes: the taxonomy, training data, classifiers, evaluation and tagging of passages.

Modules, one job each: ``taxonomy`` (the theme definitions), ``data`` (training and gold files),
``keywords``, ``linear`` and ``approaches`` (the compared classifiers), ``train`` (comparison and model
folder), ``card`` (the model card), ``model`` (a trained model: probabilities and passage tags) and
``evaluate`` (precision, recall and F1).
"""
