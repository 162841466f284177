// Script: an editor that shows sections and {{placeholders}}, validated as you type by
// POST /script (one draft script per tab, rewritten on each check) and previewed with
// GET /script/{id}?preview=true (Script.preview).
import { ApiError, call, el, showError } from "./api.js";
import { initLexi, proposeWord } from "./lexi.js";

const $ = (id) => document.getElementById(id);
const DRAFT_STORE = "audiofn.studio.scriptId";
const MARKER = /<<sectionName::([^>]*)>>/g;
const TOKENS = /(<<sectionName::[^>]*>>)|(\{\{[^}]*\}\})|(<\/?[A-Za-z][^<>]*>)/g;
const EXAMPLE = "<<sectionName::intro>> Good morning {{name|friend}}! Here is your briefing.\n"
  + "<<sectionName::outro>> That was the news. See you tomorrow.";

let script = null; // the last script the API accepted for the editor's current text
let checking = null;
let timer = 0;

export const currentScript = () => script;

export function initScript() {
  const editor = $("script-editor");
  editor.value = EXAMPLE;
  editor.addEventListener("input", () => {
    script = null;
    paint();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => validate().catch(() => {}), 700);
  });
  editor.addEventListener("scroll", () => {
    $("script-highlight").scrollTop = editor.scrollTop;
    $("script-highlight").scrollLeft = editor.scrollLeft;
  });
  $("script-name").addEventListener("change", () => validate().catch(() => {}));
  $("script-preview-button").addEventListener("click", preview);
  initLexi({ onChange: () => { if ($("script-preview").childNodes.length) preview(); } });
  paint();
}

function draftId() {
  let id = window.sessionStorage.getItem(DRAFT_STORE);
  if (!id) {
    id = `studio-${Math.random().toString(36).slice(2, 12)}`;
    window.sessionStorage.setItem(DRAFT_STORE, id);
  }
  return id;
}

/** Validates the editor's text; answers the accepted script (or throws the API's error). */
export async function validate() {
  const editor = $("script-editor");
  const text = editor.value;
  const error = $("script-error");
  $("script-status").textContent = "Checking…";
  const request = call("POST", "script", {
    json: {
      scriptText: text,
      scriptId: draftId(),
      projectName: "studio",
      moduleName: "drafts",
      scriptName: $("script-name").value.trim() || "draft",
    },
  });
  checking = request;
  try {
    const { body } = await request;
    if (checking !== request || editor.value !== text) return script;
    script = body;
    showError(error, null);
    delete error.dataset.line;
    delete error.dataset.column;
    $("script-sections").classList.remove("stale");
    paint();
    outline(body);
    const count = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    $("script-status").textContent = `Valid: ${count(body.sections.length, "section")}, `
      + `${count(body.placeholders.length, "placeholder")}`;
    document.dispatchEvent(new CustomEvent("studio:script", { detail: body }));
    return body;
  } catch (err) {
    if (checking !== request) throw err;
    script = null;
    $("script-status").textContent = "";
    showError(error, err);
    const at = errorRange(text, err);
    if (at) {
      const { line, column } = editorPosition(text, at.start);
      error.dataset.line = String(line);
      error.dataset.column = String(column);
      error.append(` (in the editor: line ${line}, column ${column})`);
    }
    $("script-sections").classList.add("stale");
    paint(at);
    throw err;
  }
}

/** Where an SSML error is in the editor: the API counts lines and columns in the section's
 *  text, which starts at the first non-blank character after its marker. */
export function errorRange(text, error) {
  if (!(error instanceof ApiError)) return null;
  const where = /section '([^']*)'.*?line (\d+), column (\d+)/.exec(error.message);
  if (!where) return null;
  const [, section, line, column] = where;
  let start = 0;
  for (const match of text.matchAll(MARKER)) {
    if (match[1] === section) start = match.index + match[0].length;
  }
  while (start < text.length && /\s/.test(text[start])) start += 1;
  let offset = start;
  for (let n = 1; n < Number(line); n += 1) {
    const next = text.indexOf("\n", offset);
    if (next < 0) break;
    offset = next + 1;
  }
  offset += Number(column) - 1;
  const tag = /^<\/?[^<>\s]*/.exec(text.slice(offset));
  return { start: offset, end: offset + Math.max(1, tag ? tag[0].length : 1), line, column };
}

function editorPosition(text, offset) {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** Colours the backdrop: section markers, placeholders, tags, and an error's place. */
function paint(errorAt = null) {
  const text = $("script-editor").value;
  const out = [];
  let last = 0;
  const push = (from, to, className) => {
    if (to <= from) return;
    const piece = text.slice(from, to);
    out.push(className ? el("mark", { className, textContent: piece }) : document.createTextNode(piece));
  };
  const spans = [];
  for (const match of text.matchAll(TOKENS)) {
    const kind = match[1] ? "section" : match[2] ? "placeholder" : "tag";
    spans.push([match.index, match.index + match[0].length, kind]);
  }
  if (errorAt) spans.push([errorAt.start, errorAt.end, "bad"]);
  // An error wins over the token it sits on.
  spans.sort((a, b) => a[0] - b[0] || (a[2] === "bad" ? -1 : b[2] === "bad" ? 1 : 0));
  for (const [from, to, kind] of spans) {
    if (from < last) continue;
    push(last, from, null);
    push(from, to, kind);
    last = to;
  }
  push(last, text.length, null);
  out.push(document.createTextNode("\n"));
  $("script-highlight").replaceChildren(...out);
}

function outline(body) {
  $("script-sections").replaceChildren(...body.sections.map((section) => el(
    "li", {}, el("strong", { textContent: section.sectionName }), " ",
    el("span", { textContent: section.text.length > 60 ? `${section.text.slice(0, 60)}…` : section.text }),
  )));
  $("script-placeholders").replaceChildren(...body.placeholders.map((name) => el(
    "li", {}, el("code", { textContent: `{{${name}}}` }),
    body.placeholderDefaults?.[name] ? ` default “${body.placeholderDefaults[name]}”` : " no default",
  )));
}

async function preview() {
  const target = $("script-preview");
  try {
    const accepted = script || (await validate());
    const voice = $("render-voice").value || "joe";
    const { body } = await call("GET", `script/${encodeURIComponent(accepted.scriptId)}`, {
      query: { preview: "true", voice },
    });
    const unknown = new Set((body.wordsNotInDict || []).map((word) => word.toLowerCase()));
    const parts = body.scriptText.split(/(\p{L}[\p{L}'’-]*)/u).map((piece) => {
      if (!unknown.has(piece.toLowerCase())) return document.createTextNode(piece);
      const word = el("button", { type: "button", className: "unknown", textContent: piece,
        title: "not in the dictionary: spoken by rule; click to add a pronunciation" });
      word.addEventListener("click", () => proposeWord(piece));
      return word;
    });
    target.replaceChildren(...parts);
  } catch (err) {
    target.replaceChildren(el("span", { className: "error", textContent: err.message }));
  }
}
