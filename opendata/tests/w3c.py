"""Check JSON against the MUST assertions of the official W3C Web Annotation JSON Schemas
(web-platform-tests' annotation-model suite, copied unchanged into ``opendata/schemas/w3c``).

Each ``*Musts.test`` manifest lists assertion schemas with their expected result; a document
passes when every assertion gives that result. ``$ref``s resolve against the local definition
schemas through a ``referencing.Registry``: nothing is fetched.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).resolve().parents[1] / "schemas" / "w3c" / "annotation-model"
MANIFESTS = {
    "annotation": ROOT / "annotations" / "annotationMusts.test",
    "collection": ROOT / "collections" / "collectionMusts.test",
    "page": ROOT / "collections" / "pages" / "pageMusts.test",
}


@functools.cache
def _registry() -> Registry:
    resources = []
    for path in ROOT.rglob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema.get("id", path.name), Resource(schema, specification=DRAFT4)))
    return Registry().with_resources(resources)


@functools.cache
def _assertions(kind: str) -> list[tuple[str, Draft4Validator, bool]]:
    manifest = json.loads(MANIFESTS[kind].read_text(encoding="utf-8"))
    checks = []
    for entry in manifest["assertions"]:
        name = entry if isinstance(entry, str) else entry["assertionFile"]
        path = ROOT / name if "/" in name else MANIFESTS[kind].parent / name
        schema = json.loads(path.read_text(encoding="utf-8"))
        expected = schema.get("expectedResult", "valid") == "valid"
        checks.append((name, Draft4Validator(schema, registry=_registry()), expected))
    return checks


def must_failures(document: dict, kind: str) -> list[str]:
    """The MUST assertions (of ``kind``: annotation, collection, page) ``document`` fails."""
    failures = []
    for name, validator, expected in _assertions(kind):
        if validator.is_valid(document) != expected:
            failures.append(name)
    return failures


def assertion_count(kind: str) -> int:
    return len(_assertions(kind))
