// Pronunciations: the organisation's dictionary entries (the SDK's Lexi), listed, added and
// deleted through /diction/custom/item; words the preview marks can be added with a click.
import { call, el, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
let changed = () => {};

export function initLexi({ onChange }) {
  changed = onChange;
  $("lexi-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target.elements;
    const entry = {
      word: form.word.value.trim(),
      replacement: form.replacement.value.trim(),
      lang: form.lang.value.trim() || "en",
      contentType: form.contentType.value,
    };
    if (form.specialization.value.trim()) entry.specialization = form.specialization.value.trim();
    try {
      await call("PUT", "diction/custom/item", { json: entry });
      showError($("lexi-error"), null);
      form.word.value = "";
      form.replacement.value = "";
      await loadLexi();
      changed();
    } catch (err) {
      showError($("lexi-error"), err);
      if (err.field && form[err.field]) form[err.field].focus();
    }
  });
}

/** Puts a word into the form, as when a word the dictionary lacks is clicked. */
export function proposeWord(word) {
  const form = $("lexi-form").elements;
  form.word.value = word;
  form.replacement.focus();
}

export async function loadLexi() {
  try {
    const { body } = await call("GET", "diction/custom/item");
    $("lexi-list").replaceChildren(...body.map((entry) => {
      const remove = el("button", { type: "button", textContent: "Delete", className: "small" });
      remove.setAttribute("aria-label", `Delete the pronunciation of ${entry.word}`);
      remove.addEventListener("click", async () => {
        try {
          await call("DELETE", "diction/custom/item", {
            query: { word: entry.word, lang: entry.lang, specialization: entry.specialization },
          });
          await loadLexi();
          changed();
        } catch (err) {
          showError($("lexi-error"), err);
        }
      });
      const scope = `${entry.lang}${entry.specialization !== "default" ? `, ${entry.specialization}` : ""}`;
      return el("li", {}, el("strong", { textContent: entry.word }), ` → ${entry.replacement} `,
        el("small", { textContent: `(${scope}${entry.contentType === "ipa" ? ", IPA" : ""}) ` }), remove);
    }));
  } catch (err) {
    showError($("lexi-error"), err);
  }
}
