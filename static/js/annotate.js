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
  const start = model.starts16.get(a.p) + startIn;
  const end = model.starts16.get(b.p) + endIn;
  if (end <= start) return null;
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

function showPopup(span) {
  if (!popup) return;
  pendingSpan = span;
  popup.hidden = false;
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
    if (!popupMessage?.textContent.trim() || !canAnnotate()) hidePopup();
    return;
  }
  showPopup(span);
}

document.addEventListener("mouseup", (event) => {
  if (popup?.contains(event.target)) return;
  setTimeout(refreshPopup, 0);
});
document.addEventListener("keyup", (event) => {
  if (event.shiftKey || event.key.startsWith("Arrow")) setTimeout(refreshPopup, 0);
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

popupButton?.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
popupButton?.addEventListener("click", () => highlight(pendingSpan ?? selectionSpan()));

// ---------------------------------------------------------------- keyboard selection
// J / K select the next / previous sentence in the focused column; Shift+J extends; H highlights.
const SENTENCE = /[^.!?…]+[.!?…]*["”’)\]]*\s*/gu;

function sentenceRanges(columnBody) {
  const ranges = [];
  for (const p of columnModel(columnBody).paragraphs) {
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
      if (!trimmed.trim()) continue;
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

document.addEventListener("keydown", (event) => {
  if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const key = event.key.toLowerCase();
  if (key === "escape") {
    hidePopup();
    cancelLinkMode();
    return;
  }
  if (key === "h") {
    const span = selectionSpan();
    if (span) {
      event.preventDefault();
      highlight(span);
    }
    return;
  }
  if (key !== "j" && key !== "k") return;
  const columnBody = event.target.closest?.(".column-body") ?? document.activeElement?.closest?.(".column-body");
  if (!columnBody) return;
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

// ---------------------------------------------------------------- claims and link mode
let linkMode = null; // {claim, article}

function cancelLinkMode() {
  if (!linkMode) return;
  linkMode = null;
  document.body.classList.remove("link-mode");
  for (const hint of document.querySelectorAll(".link-mode-hint")) hint.hidden = true;
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

function chooseClaim(mark) {
  const claimId = mark.dataset.claim;
  const article = mark.closest("[data-article]").dataset.article;
  if (linkMode) {
    if (claimId === linkMode.claim) return;
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
    const mark = document.querySelector(`mark[data-claim="${start.dataset.startLink}"]`);
    linkMode = { claim: start.dataset.startLink, article: mark?.closest("[data-article]")?.dataset.article };
    document.body.classList.add("link-mode");
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
  chooseClaim(mark);
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" && event.key !== " ") return;
  const mark = event.target.closest?.("mark[data-claim]");
  if (!mark) return;
  event.preventDefault();
  chooseClaim(mark);
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
  scrollIntoColumn(selected, 0.3);
  const targetTop = selected.getBoundingClientRect().top;
  const related = (root.dataset.relatedClaims || "").split(",").filter(Boolean);
  const done = new Set([selected.closest("[data-article]").dataset.article]);
  for (const id of related) {
    const mark = document.getElementById(`claim-${id}`);
    const column = mark?.closest("[data-article]");
    if (!mark || done.has(column.dataset.article)) continue;
    done.add(column.dataset.article);
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
