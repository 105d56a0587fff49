// Annotation in the reader: selection → offsets → Highlight; claim selection, link mode,
// alignment of linked claims across columns, and connector lines.
//
// Offsets on the wire are UTF-16 code units (what the DOM counts) into the article body; the
// server converts them to code points and checks the quote. Each paragraph's `data-start` is in
// code points, and the gaps between paragraphs are "\n" only, so the body can be rebuilt here.

const $reader = () => document.getElementById("reader");
const csrfToken = () => {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
};
const codePointLength = (text) => {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
};

function announce(message) {
  const status = document.getElementById("reader-status");
  if (status) status.textContent = message;
}

// ---------------------------------------------------------------- body model per column
const models = new WeakMap();

/** Paragraph starts in UTF-16 units and the rebuilt body string for one column body. */
function columnModel(columnBody) {
  let model = models.get(columnBody);
  if (model) return model;
  const paragraphs = [...columnBody.querySelectorAll("p[data-start]")];
  let body = "";
  let lastEndCp = 0;
  const starts16 = new Map();
  for (const p of paragraphs) {
    const startCp = Number(p.dataset.start);
    const text = p.textContent;
    body += "\n".repeat(Math.max(0, startCp - lastEndCp));
    starts16.set(p, body.length);
    body += text;
    lastEndCp = startCp + codePointLength(text);
  }
  model = { body, starts16, paragraphs };
  models.set(columnBody, model);
  return model;
}

/** UTF-16 offset of a DOM boundary point (node, offset) inside paragraph `p`. */
function offsetInParagraph(p, node, offset) {
  const range = document.createRange();
  range.selectNodeContents(p);
  range.setEnd(node, offset);
  return range.toString().length;
}

function boundaryParagraph(node, columnBody, atEnd) {
  const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  const p = element?.closest("p[data-start]");
  if (p && columnBody.contains(p)) return { p, node, offset: null };
  // The boundary sits between paragraphs (e.g. a triple-click): snap to the nearest one.
  const paragraphs = columnModel(columnBody).paragraphs;
  if (!paragraphs.length) return null;
  const probe = document.createRange();
  probe.setStart(node, 0);
  for (const candidate of atEnd ? [...paragraphs].reverse() : paragraphs) {
    const position = candidate.compareDocumentPosition(node);
    if (!atEnd && position & Node.DOCUMENT_POSITION_PRECEDING) return { p: candidate, snap: "start" };
    if (atEnd && position & Node.DOCUMENT_POSITION_FOLLOWING) return { p: candidate, snap: "end" };
  }
  return { p: atEnd ? paragraphs.at(-1) : paragraphs[0], snap: atEnd ? "end" : "start" };
}

// ---------------------------------------------------------------- whole words
// A selection is widened to whole words ("…2.048 chip Nvid" becomes "…2.048 chip Nvidia"), and
// spaces at its ends are dropped; holding Alt while selecting keeps the exact selection.
const WORD_CHAR = /[\p{L}\p{M}\p{N}_]/u;
let exactSelection = false;

/** [start, end] in UTF-16 units of `body`, widened to whole words and trimmed of spaces. */
function snapToWords(body, start, end) {
  let s = start;
  let e = end;
  while (s < e && /\s/u.test(body[s])) s += 1;
  while (e > s && /\s/u.test(body[e - 1])) e -= 1;
  if (s === e) return [start, end]; // only spaces: the server says why it refuses that
  while (s > 0 && WORD_CHAR.test(body[s - 1]) && WORD_CHAR.test(body[s])) s -= 1;
  while (e < body.length && WORD_CHAR.test(body[e]) && WORD_CHAR.test(body[e - 1])) e += 1;
  return [s, e];
}

/** The DOM point (text node, offset) at UTF-16 offset `at` of a column's body. */
function domPoint(model, at) {
  let paragraph = model.paragraphs[0];
  for (const p of model.paragraphs) if (model.starts16.get(p) <= at) paragraph = p;
  let rest = Math.max(0, at - model.starts16.get(paragraph));
  const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
  let last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (rest <= node.data.length) return { node, offset: rest };
    rest -= node.data.length;
    last = node;
  }
  return last ? { node: last, offset: last.data.length } : null;
}

/** Show the snapped span as the page's selection, so what gets highlighted is what one sees. */
function showSpan(span) {
  const model = columnModel(span.columnBody);
  const from = domPoint(model, span.start);
  const to = domPoint(model, span.end);
  const selection = window.getSelection();
  if (!from || !to || !selection.rangeCount) return;
  const current = selection.getRangeAt(0);
  if (current.startContainer === from.node && current.startOffset === from.offset &&
      current.endContainer === to.node && current.endOffset === to.offset) return;
  const range = document.createRange();
  range.setStart(from.node, from.offset);
  range.setEnd(to.node, to.offset);
  selection.removeAllRanges();
  selection.addRange(range);
  span.rect = range.getBoundingClientRect();
}

/** The current selection as {columnBody, article, start, end, exact}, or null. */
function selectionSpan() {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  const startEl = range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentElement;
  const columnBody = startEl?.closest(".column-body");
  if (!columnBody || !columnBody.contains(range.endContainer)) return null;
  const model = columnModel(columnBody);
  const a = boundaryParagraph(range.startContainer, columnBody, false);
  const b = boundaryParagraph(range.endContainer, columnBody, true);
  if (!a || !b) return null;
  const startIn = a.snap ? (a.snap === "start" ? 0 : a.p.textContent.length) : offsetInParagraph(a.p, range.startContainer, range.startOffset);
  const endIn = b.snap ? (b.snap === "start" ? 0 : b.p.textContent.length) : offsetInParagraph(b.p, range.endContainer, range.endOffset);
  let start = model.starts16.get(a.p) + startIn;
  let end = model.starts16.get(b.p) + endIn;
  if (end <= start) return null;
  if (!exactSelection) [start, end] = snapToWords(model.body, start, end);
  return {
    columnBody,
    article: columnBody.closest("[data-article]").dataset.article,
    start,
    end,
    exact: model.body.slice(start, end),
    rect: range.getBoundingClientRect(),
  };
}

// ---------------------------------------------------------------- the Highlight popup
// The popup is part of the page (server-rendered, translated); for someone who may not annotate
// it holds a "log in" message instead of the button.
const popup = document.getElementById("highlight-popup");
const popupButton = popup?.querySelector(".highlight-button");
const popupMessage = document.getElementById("popup-message");
const loginMessage = popupMessage?.innerHTML ?? "";
let pendingSpan = null;

// On a touch screen the popup docks at the bottom of the screen, where the phone's own
// selection menu and handles do not cover it and it stays in view while the selection grows.
const coarse = window.matchMedia("(pointer: coarse)");
let returnFocus = null; // where Esc puts focus back after closing the popup

function showPopup(span) {
  if (!popup) return;
  pendingSpan = span;
  if (popup.hidden) returnFocus = document.activeElement;
  popup.hidden = false;
  const docked = coarse.matches || lastPointer === "touch";
  popup.classList.toggle("is-docked", docked);
  if (docked) {
    popup.style.top = "";
    popup.style.left = "";
    // Docked at the top instead when the selection ends where the button would cover it.
    const bottom = span?.rect?.bottom ?? 0;
    popup.classList.toggle("is-docked-top", bottom > window.innerHeight - popup.offsetHeight - 32);
    return;
  }
  const rect = span?.rect ?? popup.getBoundingClientRect();
  const top = Math.max(8, rect.top - popup.offsetHeight - 8);
  const left = Math.min(window.innerWidth - popup.offsetWidth - 8, Math.max(8, rect.left));
  // Below the selection when there is no room above; always inside the viewport.
  const wanted = top < 8 ? rect.bottom + 8 : top;
  popup.style.top = `${Math.max(8, Math.min(window.innerHeight - popup.offsetHeight - 8, wanted))}px`;
  popup.style.left = `${left}px`;
}

function hidePopup() {
  if (!popup) return;
  popup.hidden = true;
  pendingSpan = null;
  if (popupMessage) popupMessage.innerHTML = canAnnotate() ? "" : loginMessage;
}

function canAnnotate() {
  return $reader()?.dataset.canAnnotate === "true";
}

function refreshPopup() {
  const span = selectionSpan();
  if (!span) {
    if (popupPressed) return; // a tap on the popup collapsed the selection: keep the span
    if (!popupMessage?.textContent.trim() || !canAnnotate()) hidePopup();
    return;
  }
  if (!exactSelection) showSpan(span);
  showPopup(span);
}

// Which pointer made the selection: mouse selections are read on mouseup, touch selections
// (long press, then the handles) on selectionchange, since a phone sends no mouseup for them.
let lastPointer = "mouse";
let mouseDown = false;
let popupPressed = false;
document.addEventListener("pointerdown", (event) => {
  lastPointer = event.pointerType || "mouse";
  popupPressed = Boolean(popup?.contains(event.target));
  if (lastPointer === "mouse" && !popupPressed) mouseDown = true;
});
document.addEventListener("pointerup", (event) => {
  mouseDown = false;
  if (popup?.contains(event.target)) return;
  exactSelection = event.altKey;
  if (event.pointerType !== "mouse") setTimeout(refreshPopup, 0);
});
document.addEventListener("mouseup", (event) => {
  mouseDown = false;
  if (popup?.contains(event.target)) return;
  exactSelection = event.altKey;
  setTimeout(refreshPopup, 0);
});
document.addEventListener("keyup", (event) => {
  if (event.shiftKey || event.key.startsWith("Arrow")) {
    exactSelection = event.altKey;
    setTimeout(refreshPopup, 0);
  }
});
let selectionTimer = 0;
document.addEventListener("selectionchange", () => {
  if (mouseDown) return; // a mouse drag: read the selection when the button is let go
  clearTimeout(selectionTimer);
  selectionTimer = setTimeout(refreshPopup, 120);
});

/**
 * Highlight a span: the server stores the claim and answers with the column's text redrawn
 * (marks are drawn by the server only), or with the reason it refused, which htmx puts in the
 * popup's message (the server retargets it there).
 */
function highlight(span) {
  if (!span || !canAnnotate() || !window.htmx) return;
  if (popupButton) popupButton.disabled = true;
  if (popupMessage) popupMessage.textContent = "";
  window.htmx
    .ajax("POST", `/articles/${span.article}/claims/`, {
      source: popupButton ?? span.columnBody,
      target: `#article-${span.article}`,
      swap: "none", // the answer's paragraphs swap themselves in by id (hx-swap-oob)
      values: { start: span.start, end: span.end, exact: span.exact, offsets: "utf16" },
    })
    .finally(() => {
      if (popupButton) popupButton.disabled = false;
    });
}

// After a highlight: the paragraphs it changed were swapped in by id (so the column's offsets
// model is rebuilt from the new text nodes), the new mark takes focus, and the page says so.
document.body.addEventListener("parallax:claim-created", (event) => {
  window.getSelection()?.removeAllRanges();
  hidePopup();
  const mark = document.getElementById(`claim-${event.detail.claim}`);
  const columnBody = mark?.closest(".column-body");
  if (columnBody) models.delete(columnBody);
  mark?.focus({ preventScroll: true });
  announce(event.detail.message);
});
// A redrawn column has new text nodes: its offsets model must be rebuilt.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail?.target?.classList?.contains("column-body")) models.delete(event.detail.target);
});

function saveScroll() {
  return new Map([...document.querySelectorAll("[data-article] .column-body")].map((el) => [el.closest("[data-article]").dataset.article, el.scrollTop]));
}

function restoreScroll(scrolls) {
  for (const el of document.querySelectorAll("[data-article] .column-body")) {
    const top = scrolls.get(el.closest("[data-article]").dataset.article);
    if (top !== undefined) el.scrollTop = top;
  }
}

// Keep the selection when the popup is pressed (mouse or finger).
popup?.addEventListener("mousedown", (event) => event.preventDefault());
popup?.addEventListener("pointerdown", (event) => {
  if (event.target.closest("a")) return;
  event.preventDefault();
});
popupButton?.addEventListener("click", () => {
  popupPressed = false;
  highlight(pendingSpan ?? selectionSpan());
});

// ---------------------------------------------------------------- keyboard selection
// J / K select the next / previous sentence in the focused column; Shift+J extends; H highlights.
// Paragraphs the server lists as not the article (the column's data-skip-starts: ad notices,
// related lists, image markdown; textkernel/boilerplate.py) are passed over, and so is image
// markdown inside one.
const SENTENCE = /[^.!?…]+[.!?…]*["”’)\]]*\s*/gu;
const IMAGE_MARKDOWN = /^!\[[^\]]*\]\(/u;

function sentenceRanges(columnBody) {
  const ranges = [];
  const skip = new Set((columnBody.dataset.skipStarts || "").split(",").filter(Boolean));
  for (const p of columnModel(columnBody).paragraphs) {
    if (skip.has(p.dataset.start)) continue;
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let total = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push({ node: n, start: total });
      total += n.data.length;
    }
    const locate = (offset) => {
      let hit = nodes[0];
      for (const item of nodes) if (item.start <= offset) hit = item;
      return { node: hit.node, offset: Math.min(offset - hit.start, hit.node.data.length) };
    };
    for (const match of p.textContent.matchAll(SENTENCE)) {
      const trimmed = match[0].trimEnd();
      if (!trimmed.trim() || IMAGE_MARKDOWN.test(trimmed.trim())) continue;
      ranges.push({ p, start: locate(match.index), end: locate(match.index + trimmed.length) });
    }
  }
  return ranges;
}

let keyboardCursor = null; // {columnBody, index, anchor}

function selectSentences(columnBody, from, to) {
  const ranges = sentenceRanges(columnBody);
  if (!ranges.length) return;
  const a = Math.max(0, Math.min(from, to));
  const b = Math.min(ranges.length - 1, Math.max(from, to));
  const range = document.createRange();
  range.setStart(ranges[a].start.node, ranges[a].start.offset);
  range.setEnd(ranges[b].end.node, ranges[b].end.offset);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  ranges[b].p.scrollIntoView({ block: "nearest" });
  refreshPopup();
  announce(range.toString());
}

// Single-letter shortcuts act only while focus is in a column's text (the column itself or a
// claim in it), so typing elsewhere never triggers them; "?" lists them (templates/reader/
// _shortcuts.html).
const inReaderText = (element) => Boolean(element?.closest?.(".column-body"));
const isEditable = (element) => Boolean(element?.closest?.("input, textarea, select, [contenteditable]"));

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "Escape") {
    escape(event);
    return;
  }
  if (event.key === "?" && !isEditable(event.target)) {
    event.preventDefault();
    openShortcuts();
    return;
  }
  if (!inReaderText(document.activeElement) || isEditable(event.target)) return;
  const key = event.key.toLowerCase();
  if (key === "h") {
    const span = selectionSpan();
    if (span) {
      event.preventDefault();
      highlight(span);
    }
    return;
  }
  if (key !== "j" && key !== "k") return;
  const columnBody = document.activeElement.closest(".column-body");
  event.preventDefault();
  const count = sentenceRanges(columnBody).length;
  if (!keyboardCursor || keyboardCursor.columnBody !== columnBody) {
    keyboardCursor = { columnBody, index: -1, anchor: 0 };
  }
  const step = key === "j" ? 1 : -1;
  keyboardCursor.index = Math.max(0, Math.min(count - 1, keyboardCursor.index + step));
  if (!event.shiftKey) keyboardCursor.anchor = keyboardCursor.index;
  selectSentences(columnBody, keyboardCursor.anchor, keyboardCursor.index);
});

// ---------------------------------------------------------------- Esc and the help dialog
// Esc closes the innermost thing open (the Highlight popup, link mode, an open menu, then the
// side panel) and puts focus back where it was before that thing opened.
function escape(event) {
  const menu = event.target.closest?.("details[open]") ?? document.querySelector("details.export-menu[open]");
  if (popup && !popup.hidden) {
    event.preventDefault();
    hidePopup();
    window.getSelection()?.removeAllRanges();
    const back = returnFocus?.isConnected ? returnFocus : null;
    returnFocus = null;
    back?.focus({ preventScroll: true });
    return;
  }
  if (linkMode) {
    event.preventDefault();
    const claim = linkMode.claim;
    cancelLinkMode();
    document.querySelector(`[data-start-link="${claim}"]`)?.focus();
    return;
  }
  if (menu) {
    event.preventDefault();
    menu.open = false;
    menu.querySelector("summary")?.focus();
    return;
  }
  const close = document.querySelector("#side-panel [data-close-panel]");
  if (close && window.htmx) {
    event.preventDefault();
    // Back to the claim the panel was about, or to the control that opened it.
    const root = $reader();
    const claim = root?.dataset.selectedClaim;
    document.body.dataset.returnFocus = claim ? `#claim-${claim}` : '[data-focus-key="connections"]';
    window.htmx.ajax("GET", close.getAttribute("href"), { target: "#reader", swap: "outerHTML" });
  }
}

const shortcuts = document.getElementById("shortcuts-dialog");
function openShortcuts() {
  if (shortcuts && !shortcuts.open) shortcuts.showModal(); // a modal dialog: Esc closes it and focus goes back
}
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-open-shortcuts]")) openShortcuts();
});

// In the link form, Enter on a relation creates the link: choose the target, then an arrow key
// and Enter finish linking (the form takes focus on its relation choice).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  const radio = event.target.closest?.('.link-form input[type="radio"]');
  if (!radio) return;
  event.preventDefault();
  radio.checked = true;
  radio.form.requestSubmit();
});

// ---------------------------------------------------------------- claims and link mode
let linkMode = null; // {claim, article}

function cancelLinkMode() {
  if (!linkMode) return;
  linkMode = null;
  document.body.classList.remove("link-mode");
  for (const column of document.querySelectorAll(".is-link-source")) column.classList.remove("is-link-source");
  for (const hint of document.querySelectorAll(".link-mode-hint")) {
    hint.hidden = true;
    hint.classList.remove("is-refused");
  }
  announce("Linking cancelled.");
}

function readerUrl(changes) {
  const url = new URL($reader()?.dataset.currentUrl || window.location.href, window.location.origin);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === "") url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

function getReader(url) {
  window.htmx.ajax("GET", url, { target: "#reader", swap: "outerHTML" }).then(() => {
    history.pushState({ htmx: true }, "", url);
  });
}

// A segment of text is one <mark data-claim="12 15 19"> listing every claim covering it,
// outermost first (docs/page-hooks.md). A click picks the innermost (shortest) claim; another
// click on a segment of the selected claim picks the next claim outwards, then wraps round, so
// every claim under the pointer can be reached. From the keyboard each claim has its own tab
// stop, its anchor: the element with id="claim-<pk>" (the mark itself, or a span around it).
const claimIds = (mark) => mark.dataset.claim.split(" ");

function clickedClaim(mark) {
  const ids = claimIds(mark);
  const at = ids.indexOf($reader()?.dataset.selectedClaim);
  return at > 0 ? ids[at - 1] : ids.at(-1);
}

/** The claim a focused anchor stands for (its id is "claim-<pk>"), or null. */
function anchoredClaim(element) {
  const anchor = element.closest?.('[id^="claim-"][tabindex]');
  return anchor?.closest(".column-body") ? anchor.id.slice("claim-".length) : null;
}

function chooseClaim(mark, claimId) {
  const article = mark.closest("[data-article]").dataset.article;
  if (linkMode) {
    if (claimId === linkMode.claim) return;
    if (article === linkMode.article) {
      // A link joins two columns: a claim in the source's own column is not a target.
      announce(document.querySelector(".link-mode-hint")?.dataset.sameColumn ?? "");
      for (const hint of document.querySelectorAll(".link-mode-hint")) hint.classList.add("is-refused");
      return;
    }
    const url = readerUrl({ claim: linkMode.claim, link_to: claimId, panel: null });
    linkMode = null;
    document.body.classList.remove("link-mode");
    getReader(url);
    return;
  }
  getReader(readerUrl({ claim: claimId, link_to: null }));
}

document.addEventListener("click", (event) => {
  const start = event.target.closest("[data-start-link]");
  if (start) {
    const mark = document.getElementById(`claim-${start.dataset.startLink}`);
    linkMode = { claim: start.dataset.startLink, article: mark?.closest("[data-article]")?.dataset.article };
    document.body.classList.add("link-mode");
    document.getElementById(`col-${linkMode.article}`)?.classList.add("is-link-source");
    for (const hint of document.querySelectorAll(".link-mode-hint")) hint.hidden = false;
    announce("Choose a claim in another column to link to.");
    return;
  }
  const jump = event.target.closest("[data-jump-claim]");
  if (jump && jump.getAttribute("href")?.startsWith("#")) {
    event.preventDefault();
    focusClaim(jump.dataset.jumpClaim);
    return;
  }
  const mark = event.target.closest("mark[data-claim]");
  if (!mark || !window.getSelection().isCollapsed) return;
  chooseClaim(mark, linkMode ? claimIds(mark).at(-1) : clickedClaim(mark));
});

// A click on a claim drawn in a dense column (static/js/dense.js: no mark, the claims come
// from the column's data) picks a claim as a click on a mark does.
document.addEventListener("parallax:choose-claim", (event) => {
  const { claim, column, innermost } = event.detail;
  chooseClaim(column, linkMode ? innermost : claim);
});
// A dense column's anchors (the selected claim's, its linked claims') exist once it is drawn.
document.addEventListener("parallax:dense-drawn", () => alignSelected());

document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" && event.key !== " ") return;
  const claimId = event.target.closest && anchoredClaim(event.target);
  if (!claimId) return;
  event.preventDefault();
  chooseClaim(event.target, claimId);
});

function focusClaim(claimId) {
  const mark = document.getElementById(`claim-${claimId}`);
  if (!mark) return;
  scrollIntoColumn(mark, 0.3);
  mark.focus({ preventScroll: true });
}

/** Scroll a mark's column so the mark sits at `ratio` of the column's height. */
function scrollIntoColumn(mark, ratio) {
  const body = mark.closest(".column-body");
  if (!body) return;
  const bodyRect = body.getBoundingClientRect();
  const markRect = mark.getBoundingClientRect();
  body.scrollTop += markRect.top - bodyRect.top - bodyRect.height * ratio;
}

// ---------------------------------------------------------------- alignment and connectors
function alignSelected() {
  const root = $reader();
  const selectedId = root?.dataset.selectedClaim;
  if (!selectedId) return;
  const selected = document.getElementById(`claim-${selectedId}`);
  if (!selected) return;
  // On a phone only the open tab's column shows. When that is not the selected claim's (a link
  // just made from the other end's tab), there is nothing on screen to line up with: each linked
  // claim is brought into its own column's view instead.
  const shown = selected.offsetParent !== null;
  scrollIntoColumn(selected, 0.3);
  const targetTop = selected.getBoundingClientRect().top;
  const related = (root.dataset.relatedClaims || "").split(",").filter(Boolean);
  const done = new Set([selected.closest("[data-article]").dataset.article]);
  for (const id of related) {
    const mark = document.getElementById(`claim-${id}`);
    const column = mark?.closest("[data-article]");
    if (!mark || done.has(column.dataset.article)) continue;
    done.add(column.dataset.article);
    if (!shown) {
      scrollIntoColumn(mark, 0.3);
      continue;
    }
    const body = mark.closest(".column-body");
    body.scrollTop += mark.getBoundingClientRect().top - targetTop;
  }
  drawConnectors();
}

function drawConnectors() {
  const root = $reader();
  const main = root?.querySelector(".reader-main");
  main?.querySelector("svg.connectors")?.remove();
  const selectedId = root?.dataset.selectedClaim;
  if (!main || !selectedId) return;
  const selected = document.getElementById(`claim-${selectedId}`);
  if (!selected || selected.offsetParent === null) return;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.classList.add("connectors");
  svg.setAttribute("aria-hidden", "true");
  const box = main.getBoundingClientRect();
  svg.setAttribute("width", box.width);
  svg.setAttribute("height", box.height);
  const from = selected.getBoundingClientRect();
  for (const row of root.querySelectorAll(".link-item[data-link]")) {
    const jump = row.querySelector("[data-jump-claim]");
    const mark = jump && document.getElementById(`claim-${jump.dataset.jumpClaim}`);
    if (!mark || mark.offsetParent === null) continue;
    const to = mark.getBoundingClientRect();
    const body = mark.closest(".column-body").getBoundingClientRect();
    if (to.bottom < body.top || to.top > body.bottom) continue; // scrolled out of its column
    const leftToRight = to.left > from.left;
    const x1 = (leftToRight ? from.right : from.left) - box.left;
    const x2 = (leftToRight ? to.left : to.right) - box.left;
    const y1 = from.top + from.height / 2 - box.top;
    const y2 = to.top + to.height / 2 - box.top;
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    const mid = (x1 + x2) / 2;
    path.setAttribute("d", `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`);
    const relation = [...row.classList].find((c) => c.startsWith("rel-"))?.slice(4) ?? "agrees";
    path.setAttribute("class", `connector rel-${relation}`);
    svg.append(path);
  }
  main.append(svg);
}

let frame = 0;
function scheduleConnectors() {
  cancelAnimationFrame(frame);
  frame = requestAnimationFrame(drawConnectors);
}
document.addEventListener("scroll", scheduleConnectors, true);
window.addEventListener("resize", scheduleConnectors);

function afterReaderChange() {
  hidePopup();
  alignSelected();
  const error = document.getElementById("form-error");
  if (error) error.focus?.();
}

document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail?.target?.id === "reader" || event.target.id === "reader") afterReaderChange();
});
let scrollsBeforeSwap = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail?.target?.id === "reader") scrollsBeforeSwap = saveScroll();
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail?.target?.id === "reader" && scrollsBeforeSwap) {
    restoreScroll(scrollsBeforeSwap);
    scrollsBeforeSwap = null;
  }
});

afterReaderChange();
