"""The OpenAPI 3.1 description of the open-data JSON API (served at /annotations/openapi.json),
and the request validation that uses the very same schemas.

The request schemas (``AnnotationIn``, ``ImportDocument``) and the query parameters are defined
once, here: ``description()`` publishes them and ``request_problem()`` checks request bodies
against them (JSON Schema 2020-12, the dialect of OpenAPI 3.1, with ``jsonschema``), so the
description and the server cannot drift. Whatever a schema admits the server reads; what it reads
but cannot honour (an unknown article, words not in the text) is a 422 that names the problem.
``opendata/tests/test_views.py`` validates the document with openapi-spec-validator and
``opendata/tests/test_schemathesis.py`` runs schemathesis against the server with it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

LD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {LD: {"schema": {"$ref": schema_ref}}},
    }


def _problem(description: str) -> dict[str, Any]:
    # application/problem+json: what the site-wide input guard (textkernel, issue 14) answers.
    schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {
        "description": description,
        "content": {"application/json": schema, "application/problem+json": schema},
    }


_ERRORS = {
    "400": _problem("Malformed JSON."),
    "401": _problem("Not logged in, or the token is not valid."),
    "403": _problem("Not allowed (not the author, or the CSRF check failed)."),
    "413": _problem("Body larger than the limit."),
    "415": _problem("Content type is not application/ld+json."),
    "422": {
        "description": "Nothing was written: the body does not fit its schema, holds text that "
        "cannot be stored (NUL, lone surrogates), or an item cannot be imported (the report "
        "says which and why).",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/ImportReport"},
                        {"$ref": "#/components/schemas/Problem"},
                    ]
                }
            }
        },
    },
}

_ANNOTATION_ID = {
    "name": "annotation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^(claim|link)-[1-9][0-9]{0,17}$"},
    "description": "claim-<id> for a claim, link-<id> for a link.",
}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]{1,120}$"},
}
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": "Strong validator."}}
_CONTENT_LOCATION = {
    "Content-Location": {"schema": {"type": "string"}, "description": "The resource's IRI (its id)."}
}


def _request(schema: str) -> dict[str, Any]:
    """The same request schema under every media type the server reads."""
    ref = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    return {LD: ref, "application/ld+json": ref, "application/json": ref}


_TYPE_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_IRI = {"type": "string", "minLength": 1, "maxLength": 2000}


def _type_is(name: str) -> dict[str, Any]:
    """``type`` equal to ``name`` or a list holding it (JSON-LD allows both)."""
    return {
        "anyOf": [
            {"const": name},
            {"type": "array", "items": _TYPE_NAME, "contains": {"const": name}, "maxItems": 10},
        ]
    }


_SELECTOR = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"anyOf": [_TYPE_NAME, {"type": "array", "items": _TYPE_NAME}]}},
}
_SOURCE = {
    "anyOf": [
        _IRI,
        {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": _IRI,
                "px:sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "px:story": {"type": "string", "maxLength": 120},
            },
        },
    ]
}
_TARGET = {
    "anyOf": [
        _IRI,
        {
            "type": "object",
            "properties": {
                "type": {"anyOf": [_TYPE_NAME, {"type": "array", "items": _TYPE_NAME}]},
                "source": _SOURCE,
                "selector": {
                    "anyOf": [_SELECTOR, {"type": "array", "items": _SELECTOR, "maxItems": 20}]
                },
            },
        },
    ]
}

#: The schemas of request bodies (published in the description and enforced by the views).
REQUEST_SCHEMAS: dict[str, Any] = {
    "AnnotationIn": {
        "type": "object",
        "description": "A W3C Web Annotation to create or replace (highlighting, commenting, "
        "tagging or linking). Its target names an article's text by IRI (or px:sha256), with a "
        "TextQuoteSelector and/or TextPositionSelector. id is kept as via; canonical unchanged.",
        "required": ["type", "target"],
        "properties": {
            "@context": {},
            "id": _IRI,
            "canonical": _IRI,
            "via": {"anyOf": [_IRI, {"type": "array", "items": _IRI, "maxItems": 10}]},
            "type": _type_is("Annotation"),
            "motivation": {"anyOf": [_TYPE_NAME, {"type": "array", "items": _TYPE_NAME}]},
            "creator": {},
            "created": {"type": "string", "maxLength": 64},
            "modified": {"type": "string", "maxLength": 64},
            "generator": {"anyOf": [_IRI, {"type": "object"}]},
            "bodyValue": {"type": "string"},
            "body": {},
            "target": {
                "anyOf": [_TARGET, {"type": "array", "items": _TARGET, "minItems": 1}]
            },
            "px:visibility": {"enum": ["private", "team", "public"]},
            "px:team": {"type": "string", "minLength": 1, "maxLength": 120},
            "px:status": {"enum": ["proposed", "confirmed", "rejected"]},
        },
    },
    "ImportDocument": {
        "description": "A W3C AnnotationCollection (pages embedded), AnnotationPage, Annotation "
        "or list of them; or Hypothesis's JSON (its client's export with annotations, an API "
        "answer with rows, or a list).",
        "anyOf": [
            {"$ref": "#/components/schemas/AnnotationIn"},
            {
                "type": "object",
                "required": ["type", "items"],
                "properties": {"type": _type_is("AnnotationPage"), "items": {"type": "array"}},
            },
            {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": _type_is("AnnotationCollection"),
                    "total": {"type": "integer", "minimum": 0},
                    "first": {"type": "object", "required": ["items"]},
                },
            },
            {"type": "object", "required": ["annotations"], "properties": {
                "annotations": {"type": "array"}}},
            {"type": "object", "required": ["rows"], "properties": {"rows": {"type": "array"}}},
            {"type": "array"},
        ],
    },
}


@cache
def _validator(name: str) -> Draft202012Validator:
    document = {
        "$ref": f"#/components/schemas/{name}",
        "components": {"schemas": REQUEST_SCHEMAS},
    }
    return Draft202012Validator(document)


def request_problem(name: str, data: Any) -> str | None:
    """Why ``data`` does not fit request schema ``name`` (where, and what), or None if it does."""
    error = best_match(_validator(name).iter_errors(data))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "the body"
    return f"{where}: {error.message[:300]}"


#: Query parameters, shared by the description and ``views`` (which check them the same way).
PAGE_PARAMETER = {
    "name": "page",
    "in": "query",
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    "description": "An AnnotationPage of the container (0 is the first); 400 if not a whole "
    "number ≥ 0, 404 past the last page.",
}
IRIS_PARAMETER = {
    "name": "iris",
    "in": "query",
    "schema": {"enum": ["0", "1"]},
    "description": "1: the page lists annotation IRIs only.",
}
STORY_PARAMETER = {
    "name": "story",
    "in": "query",
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]{0,120}$"},
    "description": "Only this story's annotations (its slug; empty: all); 404 if there is no "
    "such story.",
}


_BAD_REQUEST = _problem(
    "Malformed: a query or header holds a NUL or a value the server cannot read, or the body "
    "is not JSON."
)


def description(*, server: str = "") -> dict[str, Any]:
    """The OpenAPI document; ``server`` is this site's base URL."""
    document = _document(server)
    for operations in document["paths"].values():
        for method, operation in operations.items():
            if method != "parameters":
                operation["responses"].setdefault("400", _BAD_REQUEST)
    return document


def _document(server: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parallax open data",
            "version": "1.0.0",
            "summary": "Claims and links as W3C Web Annotations: protocol, export, import, CSV.",
            "license": {"name": "BSD-3-Clause", "identifier": "BSD-3-Clause"},
        },
        "servers": [{"url": server or "/"}],
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal token from /annotations/tokens/.",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
            "schemas": {
                **REQUEST_SCHEMAS,
                "Annotation": {
                    "type": "object",
                    "description": "A W3C Web Annotation (highlighting, commenting or linking).",
                    "required": ["type", "target"],
                    "properties": {
                        "@context": {},
                        "id": {"type": "string", "format": "uri"},
                        "type": {"const": "Annotation"},
                        "motivation": {
                            "enum": ["highlighting", "commenting", "tagging", "linking"]
                        },
                        "body": {},
                        "target": {"$ref": "#/components/schemas/SpecificResource"},
                        "px:visibility": {"enum": ["private", "team", "public"]},
                        "px:team": {"type": "string"},
                        "px:status": {"enum": ["proposed", "confirmed", "rejected"]},
                    },
                },
                "SpecificResource": {
                    "type": "object",
                    "required": ["source", "selector"],
                    "properties": {
                        "type": {"const": "SpecificResource"},
                        "source": {},
                        "selector": {"type": "array"},
                    },
                },
                "AnnotationPage": {
                    "type": "object",
                    "required": ["id", "type", "items"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"const": "AnnotationPage"},
                        "startIndex": {"type": "integer", "minimum": 0},
                        "partOf": {"type": "object"},
                        "next": {"type": "string"},
                        "prev": {"type": "string"},
                        "items": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    {"type": "string", "format": "uri"},
                                    {"$ref": "#/components/schemas/Annotation"},
                                ]
                            },
                        },
                    },
                },
                "AnnotationCollection": {
                    "type": "object",
                    "required": ["id", "type", "total"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {},
                        "label": {"type": "string"},
                        "total": {"type": "integer", "minimum": 0},
                        "first": {
                            "oneOf": [
                                {"type": "string"},
                                {"$ref": "#/components/schemas/AnnotationPage"},
                            ]
                        },
                        "last": {"type": "string"},
                    },
                },
                "ImportReport": {
                    "type": "object",
                    "required": ["ok", "counts", "errors", "items"],
                    "properties": {
                        "ok": {"type": "boolean"},
                        "dry_run": {"type": "boolean"},
                        "counts": {
                            "type": "object",
                            "description": "claims, links, created, existing, reanchored, "
                            "orphaned, refused (= errors).",
                            "additionalProperties": {"type": "integer", "minimum": 0},
                        },
                        "errors": {"type": "array", "items": {"type": "string"}},
                        "warnings": {"type": "array", "items": {"type": "string"}},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "index": {"type": "integer"},
                                    "id": {"type": ["string", "null"]},
                                    "kind": {"enum": ["claim", "link", "annotation"]},
                                    "quote": {"type": "string"},
                                    "status": {
                                        "enum": [
                                            "pending",
                                            "created",
                                            "existing",
                                            "reanchored",
                                            "orphaned",
                                        ]
                                    },
                                    "new_id": {"type": ["string", "null"]},
                                    "errors": {"type": "array", "items": {"type": "string"}},
                                    "warnings": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["status", "detail"],
                    "properties": {"status": {"type": "integer"}, "detail": {"type": "string"}},
                },
            },
        },
        "security": [{"token": []}, {"session": []}, {}],
        "paths": {
            "/annotations/": {
                "get": {
                    "summary": "The annotation container (W3C Web Annotation Protocol)",
                    "operationId": "containerGet",
                    "parameters": [
                        PAGE_PARAMETER,
                        IRIS_PARAMETER,
                        STORY_PARAMETER,
                        {
                            "name": "Prefer",
                            "in": "header",
                            "schema": {"type": "string"},
                            "description": 'return=representation;include="…PreferContainedIRIs'
                            ' | …PreferContainedDescriptions | ldp#PreferMinimalContainer"',
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The container (an AnnotationCollection), or with "
                            "?page= one AnnotationPage of it.",
                            "content": {
                                LD: {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/AnnotationCollection"},
                                            {"$ref": "#/components/schemas/AnnotationPage"},
                                        ]
                                    }
                                }
                            },
                            "headers": {**_ETAG, **_CONTENT_LOCATION},
                        },
                        "304": {"description": "Not modified (If-None-Match)."},
                        "400": _problem("page or iris is not a valid value."),
                        "404": _problem("No such page or story."),
                    },
                },
                "post": {
                    "summary": "Create one annotation",
                    "operationId": "annotationCreate",
                    "requestBody": {
                        "required": True,
                        "content": _request("AnnotationIn"),
                    },
                    "responses": {
                        "201": {
                            **_json("#/components/schemas/Annotation", "Created."),
                            "headers": {
                                "Location": {"schema": {"type": "string"}},
                                **_ETAG,
                                **_CONTENT_LOCATION,
                            },
                        },
                        "200": {
                            **_json(
                                "#/components/schemas/Annotation",
                                "Nothing created: you had already highlighted these words, or "
                                "this annotation was imported before (same id, canonical or "
                                "via). The existing one.",
                            ),
                            "headers": {
                                "Location": {"schema": {"type": "string"}},
                                **_CONTENT_LOCATION,
                            },
                        },
                        **_ERRORS,
                    },
                },
            },
            "/annotations/{annotation_id}": {
                "parameters": [_ANNOTATION_ID],
                "get": {
                    "summary": "One annotation",
                    "operationId": "annotationGet",
                    "responses": {
                        "200": {
                            **_json("#/components/schemas/Annotation", "The annotation."),
                            "headers": _ETAG,
                        },
                        "404": _problem("No such annotation, or not visible to you."),
                    },
                },
                "put": {
                    "summary": "Replace an annotation (note and tags; relation and rationale)",
                    "operationId": "annotationReplace",
                    "parameters": [
                        {
                            "name": "If-Match",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": _request("AnnotationIn"),
                    },
                    "responses": {
                        "200": _json("#/components/schemas/Annotation", "Replaced."),
                        "404": _problem("No such annotation."),
                        "412": _problem("Stale If-Match."),
                        "428": _problem(
                            "If-Match missing: GET the annotation and send its ETag as If-Match."
                        ),
                        **_ERRORS,
                    },
                },
                "delete": {
                    "summary": "Delete an annotation",
                    "operationId": "annotationDelete",
                    "responses": {
                        "204": {"description": "Deleted."},
                        "403": _problem("Not the author."),
                        "404": _problem("No such annotation."),
                        "412": _problem("Stale If-Match."),
                    },
                },
            },
            "/annotations/stories/{slug}.jsonld": {
                "parameters": [_SLUG],
                "get": {
                    "summary": "A story's annotations as one AnnotationCollection",
                    "operationId": "storyExport",
                    "responses": {
                        "200": _json("#/components/schemas/AnnotationCollection", "The export."),
                        "404": _problem("No such story."),
                    },
                },
            },
            "/annotations/stories/{slug}.csv": {
                "parameters": [_SLUG],
                "get": {
                    "summary": "A story's links as CSV",
                    "operationId": "storyCsv",
                    "responses": {
                        "200": {
                            "description": "link_id, relation, status, both quotes and sources.",
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        "404": _problem("No such story."),
                    },
                },
            },
            "/annotations/import": {
                "post": {
                    "summary": "Import annotations (all or nothing)",
                    "operationId": "annotationsImport",
                    "requestBody": {
                        "required": True,
                        "content": _request("ImportDocument"),
                    },
                    "responses": {
                        "201": {
                            "description": "Imported; the report says what each item became.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ImportReport"}
                                }
                            },
                        },
                        **_ERRORS,
                    },
                },
            },
            "/annotations/articles/{pk}": {
                "parameters": [
                    {
                        "name": "pk",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                    }
                ],
                "get": {
                    "summary": "An article's text, as the selectors index it",
                    "operationId": "articleText",
                    "responses": {
                        "200": {
                            "description": "Plain text, NFC, \\n line ends.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "404": _problem("No such article."),
                    },
                },
            },
        },
    }
