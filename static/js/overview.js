// The story overview (templates/reader/_overview.html) is open by default, but on a phone it would
// push the text below the first screen: there it starts closed. Once the reader opens or closes
// it, that choice holds for the session, also across the reader's htmx redraws.
// A Highlight swaps in only the paragraphs it changed; the overview then redraws itself (the
// same view, HX-Target: overview-bar) so its counts include the new claim.
const PHONE = window.matchMedia("(max-width: 700px)");
const KEY = "parallax:overview";

function apply() {
  const overview = document.getElementById("overview");
  if (!overview) return;
  const chosen = sessionStorage.getItem(KEY);
  overview.open = chosen ? chosen === "open" : !PHONE.matches;
}

document.addEventListener("click", (event) => {
  const summary = event.target.closest?.("#overview > summary");
  if (summary) sessionStorage.setItem(KEY, summary.parentElement.open ? "closed" : "open");
});
document.addEventListener("htmx:afterSwap", apply);
document.body.addEventListener("parallax:claim-created", () => {
  if (!window.htmx || !document.getElementById("overview-bar")) return;
  window.htmx.ajax("GET", window.location.href, {
    target: "#overview-bar",
    swap: "outerHTML",
    headers: { "X-Parallax-Live": "1" }, // the same view: no history entry
  });
});
apply();
