"""Abbreviations that do not end a sentence, shared by paragraph building (layout) and sentence splitting.

"see eg. Ahmed", "para. 4.2", "under s. 47", "pp. 12-14" and "Okafor et al. (2011)" go on after the full stop.
They are matched in the case shown, so "Child S." and "Child P." still end sentences. "et al." is the one
that can end a sentence too ("... as shown by Okafor et al. The next ..."): segmentation ends it there only
when a capital follows.
"""

NON_FINAL_ABBREVIATIONS = frozenset("al eg ie cf viz para paras pp p s ss ch fig vol approx ref sec".split())
CITATION_ABBREVIATIONS = frozenset({"al"})
