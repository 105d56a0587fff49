// Site-wide progressive enhancements. Everything works without this file.
document.documentElement.classList.add("js");

// The language switcher submits as soon as a language is chosen (the button stays for no-JS).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// A failed htmx request says so, in words, instead of silently doing nothing.
function toast(message) {
  let box = document.getElementById("toast");
  if (!box) {
    box = document.createElement("div");
    box.id = "toast";
    box.setAttribute("role", "alert");
    document.body.append(box);
  }
  box.textContent = message;
  box.hidden = false;
  clearTimeout(box._timer);
  box._timer = setTimeout(() => (box.hidden = true), 8000);
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  const text = new DOMParser().parseFromString(xhr.responseText || "", "text/html").body.textContent.trim();
  const fallback = { 403: "You are not allowed to do that (are you logged in?).", 404: "That item no longer exists." }[xhr.status];
  toast(fallback && text.length > 200 ? fallback : text.slice(0, 300) || fallback || `Error ${xhr.status}`);
});
document.addEventListener("htmx:sendError", () => toast("The server could not be reached. Nothing was changed; try again."));
