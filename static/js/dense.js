// Dense columns (issue 18; docs/page-hooks.md, "Dense columns"): a column with many claims
// arrives as plain paragraphs plus its claims as data (`.claim-data`: `data-claim-styles`,
// `data-claims`), and is drawn here with the CSS Custom Highlight API: one Range per claim, put
// in one Highlight per class it carries (`px-state-agreed`, `px-vis-private`, …) and per overlap
// depth (`px-overlap-2`, `px-overlap-3`), styled by `::highlight(...)` rules in
// static/css/comparison.css; one range per run of text a look covers (claims of the same look
// merged). No element per claim, so the page grows with the number of claims, not with their
// overlaps. A column gets its ranges for the paragraphs near what it shows when it is drawn, and
// for the others as it scrolls near them (an IntersectionObserver a column height ahead):
// painting highlights is their cost, and Chromium paints a scrolling column far beyond its view.
//
// A click (or tap) on highlighted text finds the claims covering that character from the data
// and picks one as a click on a server-drawn mark does (innermost first, then outwards); the
// reader (static/js/annotate.js) then opens its panel from the server. The selected claim and
// those linked to it get a small empty anchor (`#claim-<pk>`, tab stop), so jumping to them,
// alignment and the connector lines work as with marks. Each column's accessible list of claims
// loads on demand (its "Claims in this column" disclosure). Any swap of the reader or a column
// (a live refresh, a new highlight) redraws from the new data.
//
// For tests and tools: `window.parallaxDense.claimsAt(column, offset)` lists the claims
// covering a body offset (code points), `window.parallaxDense.drawn` counts the claims drawn.

const supported = typeof CSS !== "undefined" && "highlights" in CSS && typeof Highlight === "function";
const PREFIX = "px-";
const columns = new Map(); // column-body element → parsed claims

/** The claims of one column's `.claim-data`: [{pk, start, end, classes}], in pk order. The
 * records (`dpk,start,length,look`, base 36, space-separated) are read a character at a time:
 * splitting them into strings cost more than drawing at a few thousand claims. */
function parse(data) {
  const styles = (data.dataset.claimStyles || "").split("|").map((s) => s.split(" ").filter(Boolean));
  const text = data.dataset.claims || "";
  const claims = [];
  const fields = [0, 0, 0, 0];
  let pk = 0;
  let field = 0;
  let value = 0;
  let sign = 1;
  let digits = 0;
  for (let i = 0; i <= text.length; i += 1) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (c === 44 || c === 32) { // "," ends a field, " " a record
      if (field < 4) fields[field] = sign * value;
      field += 1;
      value = 0;
      sign = 1;
      if (c === 32) {
        if (field === 4 && digits) {
          pk += fields[0];
          claims.push({ pk, start: fields[1], end: fields[1] + fields[2], classes: styles[fields[3]] || [] });
        }
        field = 0;
        digits = 0;
      }
    } else if (c === 45) sign = -1; // "-"
    else {
      value = value * 36 + (c <= 57 ? c - 48 : c - 87);
      digits += 1;
    }
  }
  return claims;
}

/** Code points in a string (its length when it has no surrogate pairs). */
function codePoints(text, astral) {
  if (!astral) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n += 1; // a low surrogate continues the previous code point
  }
  return n;
}

const models = new Map(); // column-body element → its paragraph model, made once per drawing

/** Per paragraph: its start in code points, its text node and whether UTF-16 differs. */
function paragraphModel(body) {
  let model = models.get(body);
  if (!model || (model.length && !model[0].p.isConnected)) {
    model = [...body.querySelectorAll("p[data-start]")].map((p) => {
      const text = p.textContent;
      const astral = /[\uD800-\uDFFF]/.test(text);
      return { p, start: Number(p.dataset.start), text, length: codePoints(text, astral), astral };
    });
    models.set(body, model);
  }
  return model;
}

/** Index of the paragraph holding code point `at` (the last starting at or before it). */
function paragraphAt(model, at) {
  let lo = 0;
  let hi = model.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (model[mid].start <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** UTF-16 offset of code point `cp` inside a paragraph's text. */
function utf16(entry, cp) {
  if (!entry.astral) return cp;
  let units = 0;
  let n = 0;
  for (const ch of entry.text) {
    if (n === cp) break;
    units += ch.length;
    n += 1;
  }
  return units;
}

/** The DOM point (text node, offset) of UTF-16 offset `units` in paragraph `p`. */
function point(p, units) {
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  let last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (units <= node.data.length) return [node, units];
    units -= node.data.length;
    last = node;
  }
  return last ? [last, last.data.length] : [p, 0];
}

/** A Range over body code points [start, end), clamped to the column's paragraphs. */
function claimRange(model, start, end) {
  if (!model.length) return null;
  let a = paragraphAt(model, start);
  const b = paragraphAt(model, end - 1);
  let from = Math.max(0, start - model[a].start);
  if (from >= model[a].length) {
    // Starts on a line break: the claim starts in the next paragraph.
    a += 1;
    from = 0;
    if (a >= model.length) return null;
  }
  const to = Math.min(model[b].length, end - model[b].start);
  if (a > b || (a === b && to <= from)) return null;
  const range = document.createRange();
  range.setStart(...point(model[a].p, utf16(model[a], from)));
  range.setEnd(...point(model[b].p, utf16(model[b], to)));
  return range;
}

/** Runs of text where 2 and 3 or more claims overlap: a sweep over the claims' starts and
 * ends, each sorted as numbers (an end before a start at the same place). */
function overlaps(claims) {
  const starts = new Float64Array(claims.length);
  const ends = new Float64Array(claims.length);
  claims.forEach((c, i) => {
    starts[i] = c.start;
    ends[i] = c.end;
  });
  starts.sort();
  ends.sort();
  const runs = { 2: [], 3: [] };
  let depth = 0;
  let since = 0;
  let s = 0;
  let e = 0;
  while (e < ends.length) {
    const opening = s < starts.length && starts[s] < ends[e];
    const at = opening ? starts[s] : ends[e];
    const level = Math.min(depth, 3);
    if (level >= 2 && at > since) runs[level].push([since, at]);
    if (opening) {
      depth += 1;
      s += 1;
    } else {
      depth -= 1;
      e += 1;
    }
    since = at;
  }
  return runs;
}

function addTo(groups, name, range) {
  let list = groups.get(name);
  if (!list) groups.set(name, (list = []));
  list.push(range);
}

/** Anchors (`#claim-<pk>`, tab stop) for the selected claim and those linked to it. */
function anchor(model, claim, label) {
  if (document.getElementById(`claim-${claim.pk}`)) return;
  const range = claimRange(model, claim.start, claim.end);
  if (!range) return;
  const span = document.createElement("span");
  span.id = `claim-${claim.pk}`;
  span.className = `claim-anchor dense-anchor ${claim.classes.join(" ")}`;
  span.tabIndex = 0;
  span.setAttribute("role", "button");
  span.setAttribute("aria-label", label + range.toString().slice(0, 90));
  range.collapse(true);
  range.insertNode(span);
}

/** The classes static/css/comparison.css gives a `::highlight()` look: only these are drawn. */
const STYLED = new Set([
  "state-unlinked", "state-agreed", "state-contradicted", "is-settled", "vis-private", "vis-team",
  "is-related", "is-selected", "is-dimmed",
]);

/** Intervals [start, end) merged where they overlap or touch, in order. */
function union(intervals) {
  intervals.sort((x, y) => x[0] - y[0]);
  const out = [];
  for (const [start, end] of intervals) {
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Per paragraph of a column (index in `model`), the pieces [name, start, end) of every look's
 * merged spans that fall in it: a span over several paragraphs is cut at their edges. */
function pieces(model, spans) {
  const byParagraph = new Map();
  for (const [name, intervals] of spans) {
    for (const [start, end] of union(intervals)) {
      for (let i = paragraphAt(model, start); i < model.length && model[i].start < end; i += 1) {
        const from = Math.max(start, model[i].start);
        const to = Math.min(end, model[i].start + model[i].length);
        if (to > from) addTo(byParagraph, i, [name, from, to]);
      }
    }
  }
  return byParagraph;
}

/** Paragraphs of a column within one column height of what it shows, by their boxes (all of
 * them when the column does not scroll; none when it is not laid out, as a hidden tab). */
function nearView(body, model) {
  const height = body.clientHeight;
  if (!height) return [];
  if (body.scrollHeight <= height) return model.map((_, i) => i);
  const top = body.scrollTop - height;
  const bottom = body.scrollTop + 2 * height;
  const near = [];
  model.forEach((entry, i) => {
    const y = entry.p.offsetTop;
    if (y <= bottom && y + entry.p.offsetHeight >= top) near.push(i);
  });
  return near;
}

const highlights = new Map(); // highlight name → Highlight, registered in CSS.highlights
// Later highlights paint on top: states first, then overlaps, then selection and dimming.
const order = (name) => (/is-(selected|related|dimmed)/.test(name) ? 2 : /overlap/.test(name) ? 1 : 0);

function highlightFor(name) {
  let highlight = highlights.get(name);
  if (!highlight) {
    highlights.set(name, (highlight = new Highlight()));
    highlight.priority = order(name);
    CSS.highlights.set(name, highlight);
  }
  return highlight;
}

// What each dense column was drawn from and what it added: column-body element → {data (its
// `.claim-data` element), focus, drawn, observer, added: [highlight, range] pairs}.
const drawnColumns = new Map();

/** Take a column's ranges out of the highlights and stop watching it. */
function undraw(body) {
  const state = drawnColumns.get(body);
  if (!state) return;
  state.observer?.disconnect();
  for (const [highlight, range] of state.added) highlight.delete(range);
  drawnColumns.delete(body);
  columns.delete(body);
  models.delete(body);
  delete body.dataset.dense;
}

/** Draw one dense column from its data: anchors for the focused claims, then ranges for the
 * paragraphs near what it shows, the others as it scrolls near them. */
function drawColumn(body, data, focus, focusKey) {
  const claims = parse(data);
  columns.set(body, claims);
  models.delete(body);
  body.dataset.dense = "true";
  const state = { data, focus: focusKey, drawn: 0, observer: null, added: [] };
  drawnColumns.set(body, state);
  for (const claim of claims) if (claim.end > claim.start) state.drawn += 1;
  if (!supported) return;
  for (const claim of claims) {
    if (focus.has(String(claim.pk))) anchor(paragraphModel(body), claim, data.dataset.anchorLabel || "");
  }
  const model = paragraphModel(body);
  const spans = new Map(); // highlight name → [start, end) of its claims
  for (const claim of claims) {
    if (claim.end <= claim.start) continue;
    for (const name of claim.classes) if (STYLED.has(name)) addTo(spans, PREFIX + name, [claim.start, claim.end]);
  }
  for (const [level, runs] of Object.entries(overlaps(claims))) {
    for (const run of runs) addTo(spans, `${PREFIX}overlap-${level}`, run);
  }
  const byParagraph = pieces(model, spans);
  const draw = (i) => {
    for (const [name, start, end] of byParagraph.get(i) || []) {
      const range = claimRange(model, start, end);
      if (!range) continue;
      const highlight = highlightFor(name);
      highlight.add(range);
      state.added.push([highlight, range]);
    }
    byParagraph.delete(i);
  };
  if (typeof IntersectionObserver !== "function") {
    for (const i of [...byParagraph.keys()]) draw(i);
    return;
  }
  for (const i of nearView(body, model)) draw(i);
  const index = new Map([...byParagraph.keys()].map((i) => [model[i].p, i]));
  if (!index.size) return;
  const observer = new IntersectionObserver((entries) => {
    if (drawnColumns.get(body) !== state) return; // drawn again since
    for (const entry of entries) {
      if (!entry.isIntersecting || !index.has(entry.target)) continue;
      draw(index.get(entry.target));
      index.delete(entry.target);
      observer.unobserve(entry.target);
    }
    if (!index.size) observer.disconnect();
  }, { root: body, rootMargin: "100% 0px" });
  for (const p of index.keys()) observer.observe(p);
  state.observer = observer;
}

/** Draw the dense columns on the page: each column whose data changed since it was drawn (a
 * swap brings a new `.claim-data` element; the selected claim changes the looks), and none of
 * the others, so a new highlight redraws its own column. Per look, a column's claims' spans are
 * merged first (a highlight paints a place once however many of its ranges cover it), so the
 * browser gets a range per run of text, not per claim; and only for the paragraphs near what
 * the column shows, the others as it scrolls near them. */
export function drawAll() {
  const root = document.getElementById("reader");
  const focusKey = `${root?.dataset.selectedClaim || ""}|${root?.dataset.relatedClaims || ""}`;
  const focus = new Set(focusKey.split(/[|,]/).filter(Boolean));
  const current = new Map();
  for (const data of document.querySelectorAll(".column-body > .claim-data")) current.set(data.parentElement, data);
  let changed = false;
  for (const body of [...drawnColumns.keys()]) {
    const state = drawnColumns.get(body);
    if (current.get(body) !== state.data || state.focus !== focusKey || !body.isConnected) {
      undraw(body);
      changed = true;
    }
  }
  for (const [body, data] of current) {
    if (drawnColumns.has(body)) continue;
    drawColumn(body, data, focus, focusKey);
    changed = true;
  }
  let drawn = 0;
  for (const state of drawnColumns.values()) drawn += state.drawn;
  api.drawn = drawn;
  document.documentElement.dataset.denseDrawn = String(drawn);
  if (changed) document.dispatchEvent(new CustomEvent("parallax:dense-drawn", { detail: { claims: drawn } }));
}

/** The claims of a dense column covering body code point `at`, outermost first. */
function claimsAt(body, at) {
  return (columns.get(body) || [])
    .filter((c) => c.start <= at && at < c.end)
    .sort((x, y) => x.start - y.start || y.end - x.end || x.pk - y.pk);
}

/** The body offset (code points) under a viewport point, or null when not over a paragraph. */
function offsetAt(body, x, y) {
  let node;
  let offset;
  if (document.caretPositionFromPoint) {
    const position = document.caretPositionFromPoint(x, y);
    if (!position) return null;
    ({ offsetNode: node, offset } = position);
  } else if (document.caretRangeFromPoint) {
    const range = document.caretRangeFromPoint(x, y);
    if (!range) return null;
    node = range.startContainer;
    offset = range.startOffset;
  } else return null;
  const p = (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest("p[data-start]");
  if (!p || !body.contains(p)) return null;
  const range = document.createRange();
  range.selectNodeContents(p);
  range.setEnd(node, offset);
  const before = range.toString();
  // The caret lands between characters: take the character on the side the pointer is on.
  const probe = document.createRange();
  probe.setStart(node, offset);
  probe.setEnd(node, Math.min(offset + 1, node.nodeType === Node.TEXT_NODE ? node.data.length : offset));
  const rect = probe.getBoundingClientRect();
  const step = rect.width && x < rect.left ? -1 : 0;
  return Number(p.dataset.start) + [...before].length + step;
}

document.addEventListener("click", (event) => {
  const body = event.target.closest?.(".column-body");
  if (!body || !columns.has(body)) return;
  const control = event.target.closest("a, button, [tabindex]");
  if (control && control !== body && body.contains(control)) return; // an anchor of its own
  if (!window.getSelection().isCollapsed) return;
  const at = offsetAt(body, event.clientX, event.clientY);
  if (at === null) return;
  const ids = claimsAt(body, at).map((c) => String(c.pk));
  if (!ids.length) return;
  // As on marks: the innermost claim; another click on the selected one goes outwards.
  const index = ids.indexOf(document.getElementById("reader")?.dataset.selectedClaim);
  const claim = index > 0 ? ids[index - 1] : ids.at(-1);
  document.dispatchEvent(new CustomEvent("parallax:choose-claim", { detail: { claim, column: body, innermost: ids.at(-1) } }));
});

/** Where a dense column's claims sit, for the minimap (static/js/minimap.js): per claim its
 * top and height in the column's text (within its paragraph, in proportion) and its classes. */
function ticks(body) {
  const claims = columns.get(body);
  if (!claims) return null;
  const model = paragraphModel(body);
  if (!model.length) return [];
  const geometry = new Map();
  return claims.map((claim) => {
    const entry = model[paragraphAt(model, claim.start)];
    let box = geometry.get(entry.p);
    if (!box) geometry.set(entry.p, (box = [entry.p.offsetTop, entry.p.offsetHeight]));
    const share = box[1] / Math.max(1, entry.length);
    return {
      pk: claim.pk,
      top: box[0] + Math.max(0, claim.start - entry.start) * share,
      height: (claim.end - claim.start) * share,
      classes: claim.classes,
    };
  });
}

const api = { drawAll, ticks, claimsAt: (body, at) => claimsAt(body, at).map((c) => c.pk), drawn: 0, supported };
window.parallaxDense = api;

let pending = 0;
function schedule() {
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(drawAll);
}
// Right after a swap, before the browser paints it, the new text and data are in place: the
// column is drawn at once (a frame sooner than waiting; only changed columns are drawn).
document.addEventListener("htmx:afterSwap", () => drawAll());
document.addEventListener("htmx:afterSettle", schedule);
document.addEventListener("parallax:live-refreshed", schedule);
drawAll();
