// Site-wide progressive enhancements. Everything works without this file.
document.documentElement.classList.add("js");

// The language switcher submits as soon as a language is chosen (the button stays for no-JS).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}
