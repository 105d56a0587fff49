"""The OpenAPI 3.1 description of the open-data JSON API (served at /annotations/openapi.json).

Kept as Python data next to the views it describes; ``tests/test_openapi.py`` validates it with
openapi-spec-validator and checks every documented path resolves to a view.
"""

from __future__ import annotations

from typing import Any

LD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {LD: {"schema": {"$ref": schema_ref}}},
    }


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


_ERRORS = {
    "400": _problem("Malformed JSON."),
    "401": _problem("Not logged in, or the token is not valid."),
    "403": _problem("Not allowed (not the author, or the CSRF check failed)."),
    "413": _problem("Body larger than the limit."),
    "415": _problem("Content type is not application/ld+json."),
    "422": {
        "description": "An item cannot be imported; nothing was written.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}},
    },
}

_ANNOTATION_ID = {
    "name": "annotation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^(claim|link)-[0-9]+$"},
    "description": "claim-<id> for a claim, link-<id> for a link.",
}
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": "Strong validator."}}


def description(*, server: str = "") -> dict[str, Any]:
    """The OpenAPI document; ``server`` is this site's base URL."""
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
                        "counts": {"type": "object"},
                        "errors": {"type": "array", "items": {"type": "string"}},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "index": {"type": "integer"},
                                    "id": {"type": ["string", "null"]},
                                    "kind": {"enum": ["claim", "link", "annotation"]},
                                    "status": {"type": "string"},
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
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {"name": "iris", "in": "query", "schema": {"enum": ["0", "1"]}},
                        {"name": "story", "in": "query", "schema": {"type": "string"}},
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
                            **_json(
                                "#/components/schemas/AnnotationCollection",
                                "The container (or with ?page= an AnnotationPage).",
                            ),
                            "headers": _ETAG,
                        },
                        "304": {"description": "Not modified (If-None-Match)."},
                        "404": _problem("No such page or story."),
                    },
                },
                "post": {
                    "summary": "Create one annotation",
                    "operationId": "annotationCreate",
                    "requestBody": {
                        "required": True,
                        "content": {LD: {"schema": {"$ref": "#/components/schemas/Annotation"}}},
                    },
                    "responses": {
                        "201": {
                            **_json("#/components/schemas/Annotation", "Created."),
                            "headers": {
                                "Location": {"schema": {"type": "string"}},
                                **_ETAG,
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
                        "content": {LD: {"schema": {"$ref": "#/components/schemas/Annotation"}}},
                    },
                    "responses": {
                        "200": _json("#/components/schemas/Annotation", "Replaced."),
                        "404": _problem("No such annotation."),
                        "412": _problem("Stale If-Match."),
                        "428": _problem("If-Match missing."),
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
                        "content": {
                            LD: {"schema": {"$ref": "#/components/schemas/AnnotationCollection"}}
                        },
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
                    {"name": "pk", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "get": {
                    "summary": "An article's text, as the selectors index it",
                    "operationId": "articleText",
                    "responses": {
                        "200": {
                            "description": "Plain text, NFC, \\n line ends.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "404": {"description": "No such article."},
                    },
                },
            },
        },
    }
