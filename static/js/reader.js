// Reader enhancements: phone tabs, focus kept across htmx swaps, keyboard moves between columns.
// The reader works without this file: every control is a real link whose URL holds the view.

const reader = () => document.getElementById("reader");

function setParam(name, value) {
  const url = new URL(window.location.href);
  if (value === null) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  history.replaceState(history.state, "", url);
}

function activateTab(tab, { focus = false } = {}) {
  const root = reader();
  if (!root || !tab) return;
  for (const other of root.querySelectorAll(".column-tab")) {
    other.setAttribute("aria-selected", String(other === tab));
    other.tabIndex = other === tab ? 0 : -1;
  }
  for (const column of root.querySelectorAll(".column")) {
    column.classList.toggle("is-active", column.dataset.article === tab.dataset.tab);
  }
  setParam("tab", tab.dataset.tab);
  // Keep the reader's own idea of its URL in step, so the next claim picked keeps this tab.
  if (root.dataset.currentUrl) {
    const current = new URL(root.dataset.currentUrl, window.location.origin);
    current.searchParams.set("tab", tab.dataset.tab);
    root.dataset.currentUrl = current.pathname + current.search;
  }
  if (focus) tab.focus();
}

// Links in the reader were drawn with the tab that was open then; a request made after a tab
// switch asks for the tab open now (a link that names another tab on purpose keeps it).
let renderedTab = null;
function rememberRenderedTab() {
  renderedTab = reader()?.querySelector('.column-tab[aria-selected="true"]')?.dataset.tab ?? null;
}
rememberRenderedTab();
document.addEventListener("htmx:configRequest", (event) => {
  const active = reader()?.querySelector('.column-tab[aria-selected="true"]')?.dataset.tab;
  if (!active || !renderedTab || active === renderedTab || event.detail.verb !== "get") return;
  const url = new URL(event.detail.path, window.location.origin);
  if (url.searchParams.get("tab") !== renderedTab) return;
  url.searchParams.set("tab", active);
  event.detail.path = url.pathname + url.search;
});

// The selected claim's column is the open tab: picking a claim in another column (a link's
// other end, a conflict in the overview) switches to it.
let selectedBefore = reader()?.dataset.selectedClaim ?? "";
function followSelectedClaim() {
  const root = reader();
  const selected = root?.dataset.selectedClaim ?? "";
  const changed = selected !== selectedBefore;
  selectedBefore = selected;
  if (!selected || !changed) return;
  const column = document.getElementById(`claim-${selected}`)?.closest("[data-article]");
  const tab = column && root.querySelector(`.column-tab[data-tab="${column.dataset.article}"]`);
  if (tab && tab.getAttribute("aria-selected") !== "true") activateTab(tab);
}
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target.id !== "reader" && event.detail?.target?.id !== "reader") return;
  followSelectedClaim();
  rememberRenderedTab();
});

// On a phone the story's tools (live status, layers, filters) fold away under one button, so
// the article text starts in the first third of the screen.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-tools-toggle]");
  if (!toggle) return;
  const open = document.body.classList.toggle("tools-open");
  toggle.setAttribute("aria-expanded", String(open));
});

document.addEventListener("click", (event) => {
  const tab = event.target.closest(".column-tab");
  if (!tab || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  activateTab(tab);
});

// Arrow keys move along the tab list, as the ARIA tabs pattern expects.
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest?.(".column-tab");
  if (!tab) return;
  const tabs = [...tab.parentElement.querySelectorAll(".column-tab")];
  const index = tabs.indexOf(tab);
  const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  activateTab(tabs[(next + tabs.length) % tabs.length], { focus: true });
});

// "[" and "]" move keyboard focus to the previous or next column's text.
document.addEventListener("keydown", (event) => {
  if (event.key !== "[" && event.key !== "]") return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const bodies = [...document.querySelectorAll(".column:not([hidden]) .column-body")].filter(
    (el) => el.offsetParent !== null,
  );
  if (!bodies.length) return;
  const current = bodies.findIndex((el) => el.contains(document.activeElement));
  const step = event.key === "]" ? 1 : -1;
  const target = bodies[(current + step + bodies.length) % bodies.length] ?? bodies[0];
  event.preventDefault();
  target.focus();
  target.closest(".column").scrollIntoView({ inline: "nearest", block: "nearest" });
});

// Keep keyboard focus on the same control after htmx replaces the reader.
// A jump link (Connections panel, a link's other claim) puts focus on the claim it jumps to;
// otherwise the selected claim, then the first column control, takes it.
let focusKey = null;
let jumpClaim = null;
// A live refresh (live.js) redraws the reader for someone else's change: it must leave focus
// where the person put it. The last focused control in the reader is remembered by its focus
// key or id, and focused again if the redraw took it away.
const liveRequests = new WeakSet();
// Where Esc asked focus to go back (annotate.js sets it just before its request): kept with that
// request, so an earlier request settling in between does not use it up.
const returnFocusOf = new WeakMap();
let lastFocus = null;
document.addEventListener("focusin", (event) => {
  const el = event.target;
  if (!reader()?.contains(el)) return;
  if (el.dataset?.focusKey) lastFocus = `[data-focus-key="${CSS.escape(el.dataset.focusKey)}"]`;
  else if (el.id) lastFocus = `#${CSS.escape(el.id)}`;
  else lastFocus = null;
});
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail?.requestConfig?.headers?.["X-Parallax-Live"]) {
    liveRequests.add(event.detail.xhr);
    return;
  }
  focusKey = document.activeElement?.dataset?.focusKey ?? null;
  jumpClaim = event.detail?.elt?.closest?.("[data-jump-claim]")?.dataset.jumpClaim ?? null;
  if (document.body.dataset.returnFocus) {
    returnFocusOf.set(event.detail.xhr, document.body.dataset.returnFocus);
    delete document.body.dataset.returnFocus;
  }
});
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target.id !== "reader" && event.detail?.target?.id !== "reader") return;
  const root = reader();
  if (!root) return;
  if (liveRequests.has(event.detail?.xhr)) {
    const active = document.activeElement;
    if ((!active || active === document.body) && lastFocus) root.querySelector(lastFocus)?.focus({ preventScroll: true });
    return;
  }
  // Esc asked for focus to go back somewhere (annotate.js); a new link form wants its relation.
  const back = returnFocusOf.get(event.detail?.xhr);
  const target =
    (back && root.querySelector(back)) ||
    (focusKey && root.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)) ||
    (jumpClaim && document.getElementById(`claim-${jumpClaim}`)) ||
    root.querySelector('.link-form input[name="relation"]:checked, .link-form input[name="relation"]') ||
    (root.dataset.selectedClaim && document.getElementById(`claim-${root.dataset.selectedClaim}`)) ||
    root.querySelector(".column-controls a, .hidden-columns a");
  target?.focus({ preventScroll: Boolean(jumpClaim) });
  focusKey = null;
  jumpClaim = null;
});

// On a phone the selected tab may sit off-screen in the tab strip: bring it into view.
function revealActiveTab() {
  reader()?.querySelector('.column-tab[aria-selected="true"]')?.scrollIntoView({ inline: "center", block: "nearest" });
}
revealActiveTab();
document.addEventListener("htmx:afterSettle", revealActiveTab);

// Toggle chips are links (their URL holds the view) that say they are toggle buttons
// (role="button" aria-pressed): Space presses them too, as it does a button.
document.addEventListener("keydown", (event) => {
  if (event.key !== " ") return;
  const toggle = event.target.closest?.('a[role="button"][aria-pressed]');
  if (!toggle) return;
  event.preventDefault();
  toggle.click();
});
