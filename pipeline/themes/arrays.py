"""The weights file of a theme model: named numpy arrays in an ``.npz`` archive, loadable without pickle.

Entries are written with a fixed timestamp and in name order, so the same weights always give the same
bytes (and so the same model version hash).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (a compressed ``.npz``), byte-for-byte reproducibly."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asarray(arrays[name]), allow_pickle=False)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read every array of a weights file (refusing pickled objects)."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}
