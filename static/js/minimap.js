// Minimaps: a thin strip beside each column's text marking where its claims sit and, in the
// relation's colour, where its conflicts are; the part in view is outlined. A click scrolls the
// column there (to the claim under the pointer, if any). Drawn from the page itself, so whatever
// changes the text (a highlight, a live refresh, another filter) redraws it. SVG attributes only:
// no inline styles (the CSP allows style-src 'self').

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 1000; // the strip's viewBox height: offsets are drawn in thousandths of the text

/** One tick as SVG markup: a strip's ticks are parsed at once (a thousand claims' ticks built
 * element by element took most of a strip's drawing). Only numbers, our own class names and
 * claim ids (digits) go in. */
function rect(y, height, className, claimId) {
  const claim = claimId && /^\d+$/.test(claimId) ? ` data-claim="${claimId}"` : "";
  return `<rect x="0" width="10" y="${y.toFixed(1)}" height="${Math.max(height, 3).toFixed(1)}" class="${className}"${claim}/>`;
}

function kind(has) {
  if (has("state-contradicted")) return "mm-contradicted";
  if (has("state-agreed")) return "mm-agreed";
  return "mm-claim";
}

/** A column's claims as {id, top, height, has(class)}: from its anchors, or for a dense column
 * (claims sent as data, static/js/dense.js) from its data. */
function claimBoxes(body) {
  const dense = window.parallaxDense?.ticks(body);
  if (dense) {
    return dense.map((t) => ({ id: String(t.pk), top: t.top, height: t.height, has: (name) => t.classes.includes(name) }));
  }
  return [...body.querySelectorAll('[id^="claim-"][tabindex]')].map((anchor) => ({
    id: anchor.id.slice(6), top: anchor.offsetTop, height: anchor.offsetHeight,
    has: (name) => anchor.classList.contains(name),
  }));
}

function viewBox(body) {
  const total = body.scrollHeight || 1;
  return [(body.scrollTop / total) * HEIGHT, (body.clientHeight / total) * HEIGHT];
}

/** A dense column's ticks merged: per kind, one rect per run of the strip's rows (ROW units)
 * that claims cover, carrying its first claim's id, so a column with a thousand claims draws
 * a few dozen rects, not a thousand. Each as [kind, markup]. */
const ROW = 4;
function merged(boxes, total) {
  const rows = new Map(); // kind → Map(row → first claim id)
  for (const box of boxes) {
    const name = kind(box.has);
    let cells = rows.get(name);
    if (!cells) rows.set(name, (cells = new Map()));
    const first = Math.floor(((box.top / total) * HEIGHT) / ROW);
    const last = Math.max(first, Math.floor((((box.top + box.height) / total) * HEIGHT) / ROW));
    for (let row = first; row <= last; row += 1) if (!cells.has(row)) cells.set(row, box.id);
  }
  const ticks = [];
  for (const [name, cells] of rows) {
    const sorted = [...cells.keys()].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j += 1;
      ticks.push([name, rect(sorted[i] * ROW, (sorted[j] - sorted[i] + 1) * ROW, name, cells.get(sorted[i]))]);
      i = j + 1;
    }
  }
  return ticks;
}

/** What a strip shows, read from the page (geometry only: nothing is written, so reading every
 * strip's costs one layout), or null for a hidden tab (drawn when it shows). */
function measure(strip) {
  const column = strip.closest("[data-article]");
  const body = column?.querySelector(".column-body");
  if (!body || body.offsetParent === null) return null;
  const total = body.scrollHeight || 1;
  // Each claim's anchor (its first segment, id="claim-<pk>": the mark, or a span around it
  // carrying the claim's classes): one tick per claim; conflicts drawn last, on top. A dense
  // column's claims come from its data, merged into runs.
  const boxes = claimBoxes(body);
  return { boxes, total, dense: body.dataset.dense === "true", view: viewBox(body) };
}

/** Draw a strip from what `measure` read. */
function paint(strip, { boxes, total, dense, view }) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 10 ${HEIGHT}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("focusable", "false");
  const ticks = dense
    ? merged(boxes, total)
    : boxes.map((box) => {
        const name = kind(box.has);
        return [name, rect((box.top / total) * HEIGHT, (box.height / total) * HEIGHT, name, box.id)];
      });
  const [top, height] = view;
  svg.innerHTML =
    ticks.filter(([name]) => name !== "mm-contradicted").map(([, markup]) => markup).join("") +
    ticks.filter(([name]) => name === "mm-contradicted").map(([, markup]) => markup).join("") +
    rect(top, height, "mm-view");
  strip.replaceChildren(svg);
  // Claims and contradicted claims counted (not rects: a dense column's are merged).
  strip.dataset.claims = String(boxes.length);
  strip.dataset.conflicts = String(boxes.filter((box) => kind(box.has) === "mm-contradicted").length);
}

/** Draw `strips`: every strip measured before any is drawn (drawing one and then measuring the
 * next would lay the page out again for each). */
function draw(strips) {
  const measured = strips.map(measure);
  strips.forEach((strip, i) => {
    if (measured[i]) paint(strip, measured[i]);
  });
}

function moveView(body) {
  const view = body.closest("[data-article]")?.querySelector(".minimap .mm-view");
  if (!view) return;
  const [top, height] = viewBox(body);
  view.setAttribute("y", top.toFixed(1));
  view.setAttribute("height", Math.max(height, 3).toFixed(1));
}

// What each strip was drawn for: its column's size and text height. A column that resized or
// reflowed (ResizeObserver, fonts arriving) is drawn again only if one of them changed; a change
// to the text itself (MutationObserver) always draws again.
const drawnFor = new WeakMap();
function size(strip) {
  const body = strip.closest("[data-article]")?.querySelector(".column-body");
  return body ? `${body.clientWidth}x${body.clientHeight}:${body.scrollHeight}` : "";
}

let frame = 0;
let forced = false;
function drawAll(force = true) {
  forced ||= force;
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(() => {
    const strips = [...document.querySelectorAll(".minimap[data-minimap]")];
    const sizes = strips.map(size);
    const due = strips.filter((strip, i) => forced || drawnFor.get(strip) !== sizes[i] || !strip.querySelector("svg"));
    draw(due);
    strips.forEach((strip, i) => drawnFor.set(strip, sizes[i]));
    forced = false;
  });
}

document.addEventListener("click", (event) => {
  const strip = event.target.closest?.(".minimap[data-minimap]");
  if (!strip) return;
  const body = strip.closest("[data-article]")?.querySelector(".column-body");
  if (!body) return;
  const tick = event.target.closest("rect[data-claim]");
  const mark = tick && document.getElementById(`claim-${tick.dataset.claim}`);
  const box = strip.getBoundingClientRect();
  const dense = tick && !mark && window.parallaxDense?.ticks(body)?.find((t) => String(t.pk) === tick.dataset.claim);
  const at = mark ? mark.offsetTop : dense ? dense.top : ((event.clientY - box.top) / box.height) * body.scrollHeight;
  body.scrollTo({ top: Math.max(0, at - body.clientHeight / 3) });
});

// The part in view follows each column's scrolling.
document.addEventListener(
  "scroll",
  (event) => {
    if (event.target.classList?.contains("column-body")) moveView(event.target);
  },
  true,
);

// Redraw when the text changes (htmx swaps, live refreshes, highlights), when a column changes
// size (window, panel, a phone tab shown) and once the fonts are in.
const sized = new ResizeObserver(() => drawAll(false));
function watch() {
  sized.disconnect();
  for (const body of document.querySelectorAll(".column-body")) sized.observe(body);
}
const main = document.getElementById("reader")?.parentElement;
if (main) {
  // A change to the reader's text: the reader replaced (a redraw, a live refresh) or a change
  // inside it; not our own drawing, the connectors annotate.js redraws on every scroll, or the
  // presence list and popup beside the reader.
  const relevant = (record) => {
    const target = record.target;
    if (target === main) return [...record.addedNodes, ...record.removedNodes].some((n) => n.id === "reader");
    if (!target.closest?.("#reader") || target.closest(".minimap, svg.connectors")) return false;
    const nodes = [...record.addedNodes, ...record.removedNodes];
    return !nodes.length || !nodes.every((n) => n.matches?.("svg.connectors"));
  };
  new MutationObserver((records) => {
    if (!records.some(relevant)) return;
    watch();
    drawAll();
  }).observe(main, { childList: true, subtree: true });
}
watch();
drawAll();
document.fonts?.ready.then(() => drawAll(false));
document.addEventListener("parallax:dense-drawn", drawAll);

/** Draw every strip now (the benchmark, bench/reader_browser.py, times this). */
export function drawNow() {
  draw([...document.querySelectorAll(".minimap[data-minimap]")]);
}
