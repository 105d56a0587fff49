// Live session in the reader: a Server-Sent Events stream of the story's changes (fed by
// Postgres LISTEN/NOTIFY on the server), who else is here and which column they read.
//
// On an event about someone else's work the reader fragment is fetched again (the server applies
// visibility and layers), unless the reader is mid-selection or typing, in which case the refresh
// waits until they are done. EventSource reconnects by itself and sends Last-Event-ID, so the
// server replays what was missed; ids already seen are dropped here.

const bar = document.getElementById("live-bar");
const statusEl = document.getElementById("live-status");
const presenceList = document.getElementById("presence-list");
const myId = bar?.dataset.userId || "";
const seen = new Set();
let pendingRefresh = false;
let refreshTimer = null;
let lastArticle = null;
let lastId = 0; // the newest event id seen, to resume from after a reconnect of our own

function setStatus(state, { retrying = false } = {}) {
  if (!statusEl) return;
  statusEl.dataset.state = state;
  statusEl.textContent = {
    live: bar.dataset.labelLive,
    connecting: bar.dataset.labelConnecting,
    offline: retrying ? bar.dataset.labelReconnecting : bar.dataset.labelOffline,
  }[state];
  document.body.dataset.live = state;
}

function columnLabel(articleId) {
  const column = document.querySelector(`[data-article="${CSS.escape(String(articleId))}"]`);
  return column?.querySelector(".column-source")?.textContent.trim() || "";
}

function renderPresence(people) {
  if (!presenceList) return;
  presenceList.replaceChildren(
    ...people.map((person) => {
      const li = document.createElement("li");
      li.className = "presence-person" + (String(person.user_id) === myId ? " is-me" : "");
      li.dataset.userId = person.user_id;
      const name = document.createElement("span");
      name.className = "presence-name";
      name.textContent = person.name;
      li.append(name);
      const label = person.article ? columnLabel(person.article) : "";
      if (label) {
        const where = document.createElement("span");
        where.className = "presence-column";
        where.dataset.reading = person.article;
        where.textContent = `${bar.dataset.labelReading} ${label}`;
        li.append(" ", where);
      }
      return li;
    }),
  );
}

function busy() {
  const reader = document.getElementById("reader");
  if (!reader) return false;
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed && reader.contains(selection.anchorNode)) return true;
  const active = document.activeElement;
  return Boolean(active && reader.contains(active) && active.matches("input, textarea, select"));
}

function refreshReader() {
  const reader = document.getElementById("reader");
  if (!reader || !window.htmx) {
    delete document.body.dataset.liveRefreshing;
    return;
  }
  if (busy()) {
    pendingRefresh = true;
    return;
  }
  pendingRefresh = false;
  const url = reader.dataset.currentUrl || window.location.pathname + window.location.search;
  const focusedId = document.activeElement?.id || "";
  window.htmx
    .ajax("GET", url, { target: "#reader", swap: "outerHTML", headers: { "X-Parallax-Live": "1" } })
    .then(() => {
      if (!pendingRefresh) delete document.body.dataset.liveRefreshing;
      const again = focusedId && document.getElementById(focusedId);
      if (again && document.activeElement !== again) again.focus({ preventScroll: true });
      document.dispatchEvent(new CustomEvent("parallax:live-refreshed"));
    });
}

// While a refresh is due or in flight, <body data-live-refreshing> (tests wait for it to go:
// a click racing a refresh would be swapped away).
function scheduleRefresh() {
  document.body.dataset.liveRefreshing = "true";
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshReader, 120); // one fetch for a burst of events
}

// A deferred refresh runs once the selection is gone or the field loses focus.
document.addEventListener("selectionchange", () => {
  if (pendingRefresh && !busy()) scheduleRefresh();
});
document.addEventListener("focusout", () => {
  if (pendingRefresh) setTimeout(() => pendingRefresh && !busy() && scheduleRefresh(), 0);
});

function activeArticle() {
  const focused = document.activeElement?.closest?.("[data-article]");
  return (focused || document.querySelector(".column.is-active[data-article]") || document.querySelector("[data-article]"))
    ?.dataset.article;
}

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function reportColumn(articleId) {
  const url = bar.dataset.presenceUrl;
  if (!url || !articleId || articleId === lastArticle) return;
  lastArticle = articleId;
  fetch(url, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ article: articleId }),
    credentials: "same-origin",
  }).catch(() => {});
}

let columnTimer = null;
function onColumnActivity(event) {
  const column = event.target.closest?.("section[data-article]");
  if (!column) return;
  clearTimeout(columnTimer);
  columnTimer = setTimeout(() => reportColumn(column.dataset.article), 300);
}

let retryDelay = 2000;
function connect() {
  if (!bar || !("EventSource" in window)) {
    setStatus("offline");
    return;
  }
  // First connection: everything since the page was rendered; later ones: after the last id.
  const params = new URLSearchParams(lastId ? { after: lastId } : { since: bar.dataset.since || "" });
  const article = activeArticle();
  if (article) params.set("article", article);
  lastArticle = article || null;
  const source = new EventSource(`${bar.dataset.liveUrl}?${params}`);
  setStatus("connecting");
  source.addEventListener("ready", () => {
    retryDelay = 2000;
    setStatus("live");
  });
  source.addEventListener("event", (message) => {
    const data = JSON.parse(message.data);
    if (seen.has(data.id)) return;
    seen.add(data.id);
    lastId = Math.max(lastId, data.id);
    document.dispatchEvent(new CustomEvent("parallax:live-event", { detail: data }));
    if (String(data.actor_id) !== myId) scheduleRefresh();
  });
  source.addEventListener("presence", (message) => renderPresence(JSON.parse(message.data).people));
  source.addEventListener("error", () => {
    // EventSource retries on its own (after `retry:` ms) and resumes with Last-Event-ID; a
    // refused stream (503 while the database is away) closes, and we try again below: either
    // way the page says it is reconnecting.
    setStatus("offline", { retrying: true });
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    }
  });
  window.parallaxLive = source; // for tests: close() simulates a dropped connection
}

document.addEventListener("focusin", onColumnActivity);
document.addEventListener("pointerdown", onColumnActivity);
document.addEventListener("click", (event) => {
  const tab = event.target.closest?.(".column-tab[data-tab]");
  if (tab) reportColumn(tab.dataset.tab);
});
connect();
