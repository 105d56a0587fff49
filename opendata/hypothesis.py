"""Hypothesis's own JSON, read as W3C Web Annotations.

Three shapes are accepted, all holding Hypothesis annotations (``id``, ``user``, ``created``,
``updated``, ``text``, ``tags``, ``target[].source``/``selector``, ``user_info``):

- the file the Hypothesis client exports (``{"export_date", "export_userid", "client_version",
  "annotations": [...]}``);
- an API search answer (``{"total", "rows": [...]}``);
- a bare list of such annotations.

Each becomes a W3C Annotation that keeps everything Parallax can keep: the author's ``acct:``
IRI and display name, ``created``/``updated``, the note as ``text/markdown`` (Hypothesis notes
are Markdown), the tags, Hypothesis as the generator, the annotation's public IRI as its ``id``,
and every selector (the Range/XPath ones are kept as provenance by the W3C reader). An
annotation the whole world could not read there (its author's only, or one group's) is imported
private, its group named in the report as not kept, as are the ``hidden``/``flagged`` moderation
flags. Replies and
page notes (no selector) cannot become highlights: they are converted faithfully and the W3C
reader refuses them with the reason.
"""

from __future__ import annotations

from typing import Any

GENERATOR = {"id": "https://hypothes.is/", "type": "Software", "name": "Hypothesis"}
ANNOTATION_BASE = "https://hypothes.is/a/"


def is_hypothesis_annotation(item: Any) -> bool:
    """Whether ``item`` looks like one annotation in Hypothesis's JSON (not W3C)."""
    return (
        isinstance(item, dict)
        and "type" not in item
        and isinstance(item.get("target"), list)
        and ("user" in item or "text" in item or "uri" in item)
    )


def hypothesis_rows(data: Any) -> list[Any] | None:
    """The Hypothesis annotations in ``data`` if it is one of Hypothesis's JSON shapes."""
    if isinstance(data, dict):
        for key in ("annotations", "rows"):
            rows = data.get(key)
            if isinstance(rows, list) and "type" not in data:
                if not rows or any(is_hypothesis_annotation(r) for r in rows):
                    return rows
        return None
    if isinstance(data, list) and data and all(is_hypothesis_annotation(r) for r in data):
        return data
    return None


def _iri(raw_id: Any, links: Any) -> str:
    if isinstance(links, dict) and isinstance(links.get("html"), str):
        return links["html"]
    return f"{ANNOTATION_BASE}{raw_id}" if isinstance(raw_id, str) and raw_id else ""


def _w3c_selector(selector: Any) -> Any:
    """Hypothesis's RangeSelector (``startContainer``/``startOffset`` XPaths) in the W3C form (a
    RangeSelector of two XPathSelectors refined by a TextPositionSelector each), so that what is
    kept is valid W3C when it is exported again. Other selectors are already W3C."""
    if not (isinstance(selector, dict) and selector.get("type") == "RangeSelector"):
        return selector
    if "startContainer" not in selector:
        return selector

    def point(container: Any, offset: Any) -> dict[str, Any]:
        point = {"type": "XPathSelector", "value": container if isinstance(container, str) else ""}
        if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            point["refinedBy"] = {"type": "TextPositionSelector", "start": offset, "end": offset}
        return point

    return {
        "type": "RangeSelector",
        "startSelector": point(selector.get("startContainer"), selector.get("startOffset")),
        "endSelector": point(selector.get("endContainer"), selector.get("endOffset")),
    }


def to_w3c(row: Any) -> Any:
    """One Hypothesis annotation as a W3C Annotation (anything else is passed on unchanged, for
    the W3C reader to refuse with its reason)."""
    if not is_hypothesis_annotation(row):
        return row
    annotation: dict[str, Any] = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "generator": GENERATOR,
    }
    if iri := _iri(row.get("id"), row.get("links")):
        annotation["id"] = iri
    creator: dict[str, Any] = {"type": "Person"}
    if isinstance(row.get("user"), str):
        creator["id"] = row["user"]
    info = row.get("user_info")
    if isinstance(info, dict) and isinstance(info.get("display_name"), str):
        creator["name"] = info["display_name"]
    if len(creator) > 1:
        annotation["creator"] = creator
    for ours, theirs in (("created", "created"), ("modified", "updated")):
        if isinstance(row.get(theirs), str):
            annotation[ours] = row[theirs]
    text = row.get("text") if isinstance(row.get("text"), str) else ""
    bodies: list[Any] = []
    if text.strip():
        bodies.append(
            {"type": "TextualBody", "purpose": "commenting", "value": text,
             "format": "text/markdown"}
        )
    tags = row.get("tags") if isinstance(row.get("tags"), list) else []
    bodies += [
        {"type": "TextualBody", "purpose": "tagging", "value": tag}
        for tag in tags
        if isinstance(tag, str)
    ]
    if bodies:
        annotation["body"] = bodies
    annotation["motivation"] = "commenting" if text.strip() else "highlighting"
    if row.get("references"):
        # A reply: it annotates another annotation, not words in the text.
        annotation["motivation"] = "replying"
    # Who could read it there. Not the whole world (only its author, or one group's members):
    # imported private, so it is shown to no one else here, and the group is named in the
    # report as not kept. Moderation flags are named too.
    permissions = row.get("permissions")
    read = permissions.get("read") if isinstance(permissions, dict) else None
    if isinstance(read, list) and "group:__world__" not in read:
        annotation["px:visibility"] = "private"
    if isinstance(row.get("group"), str) and row["group"] != "__world__":
        annotation["group"] = row["group"]
    for flag in ("hidden", "flagged"):
        if row.get(flag) is True:
            annotation[flag] = True
    targets = []
    for target in row.get("target") or []:
        if not isinstance(target, dict):
            continue
        source = target.get("source") or row.get("uri")
        selectors = target.get("selector")
        if not selectors:
            targets.append(source)  # a page note: the whole page
            continue
        if isinstance(selectors, list):
            selectors = [_w3c_selector(s) for s in selectors]
        targets.append({"type": "SpecificResource", "source": source, "selector": selectors})
    annotation["target"] = targets[0] if len(targets) == 1 else targets
    return annotation


def convert(rows: list[Any]) -> list[Any]:
    """Hypothesis annotations as W3C Annotations, in the same order (the report's indexes)."""
    return [to_w3c(row) for row in rows]
