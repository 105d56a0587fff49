// The story overview (templates/reader/_overview.html) is open by default, but on a phone it would
// push the text below the first screen: there it starts closed. Once the reader opens or closes
// it, that choice holds for the session, also across the reader's htmx redraws.
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
apply();
