// Render: speech (POST /speech) then mastering (POST /mastering) for an audience, with
// progress from the API's own done/total (the 202 answers of GET /speech and GET /mastering).
import { call, el, fillSelect, pollWhile, showError, sleep } from "./api.js";
import { validate } from "./script.js";

const $ = (id) => document.getElementById(id);
let getScript = () => null;
let onMastered = () => {};
let columns = [];

export function initRender(options) {
  getScript = options.getScript;
  onMastered = options.onMastered;
  $("render-form").addEventListener("submit", (event) => {
    event.preventDefault();
    render();
  });
  $("batch-button").addEventListener("click", renderBatch);
  $("audience-add").addEventListener("click", () => addRow({}));
  $("audience-csv").addEventListener("change", readCsv);
  document.addEventListener("studio:voices", (event) => {
    for (const select of $("section-table").querySelectorAll("select[name=section-voice]")) {
      fillSelect(select, event.detail, { blank: "as above" });
    }
  });
  document.addEventListener("studio:script", (event) => {
    setColumns(event.detail.placeholders);
    setSections(event.detail.sections.map((section) => section.sectionName));
  });
}

/** One row per section: its own voice, speed and effect, blank for the top-level ones. */
function setSections(names) {
  const kept = sectionOverrides();
  const effects = [...$("render-form").elements.effect.options].map((o) => [o.text, o.value]);
  const voices = [...$("render-voice").options].map((o) => o.value);
  const rows = names.map((name) => {
    const voice = el("select", { name: "section-voice" });
    fillSelect(voice, voices, { blank: "as above" });
    const speed = el("input", { name: "section-speed", type: "number", min: 25, max: 400, placeholder: "as above" });
    const effect = el("select", { name: "section-effect" });
    fillSelect(effect, effects.slice(1), { blank: "as above" });
    for (const [field, value] of Object.entries(kept[name] || {})) {
      ({ voice, speed, effect })[field].value = value;
    }
    voice.setAttribute("aria-label", `voice of section ${name}`);
    speed.setAttribute("aria-label", `speed of section ${name}`);
    effect.setAttribute("aria-label", `effect of section ${name}`);
    const row = el("tr", {}, el("td", { textContent: name }), el("td", {}, voice), el("td", {}, speed), el("td", {}, effect));
    row.dataset.section = name;
    return row;
  });
  $("section-table").tBodies[0].replaceChildren(...rows);
}

/** {section: {voice, speed, effect}} with only the cells that were filled in. */
function sectionOverrides() {
  const overrides = {};
  for (const row of $("section-table").tBodies[0].rows) {
    const fields = {};
    for (const input of row.querySelectorAll("select, input")) {
      const field = input.name.replace("section-", "");
      if (input.value) fields[field] = field === "speed" ? Number(input.value) : input.value;
    }
    if (Object.keys(fields).length) overrides[row.dataset.section] = fields;
  }
  return overrides;
}

/** Loads the choices the API offers: sound templates and mastering presets. */
export async function loadRenderChoices() {
  const [templates, presets] = await Promise.all([
    call("GET", "sound/template"),
    call("GET", "mastering-presets"),
  ]);
  fillSelect($("render-template"), templates.body.templates.map((t) => [`${t.name} (${t.genre})`, t.name]), { blank: "none (voice only)" });
  fillSelect($("render-preset"), presets.body.map((p) => [`${p.name} (${p.loudness.integratedLufs} LUFS)`, p.name]));
}

function setColumns(placeholders) {
  const rows = audience();
  columns = placeholders;
  const head = $("audience-table").tHead;
  head.replaceChildren(el("tr", {}, ...columns.map((name) => el("th", { textContent: name })), el("th")));
  $("audience-table").tBodies[0].replaceChildren();
  for (const row of rows) addRow(row);
  $("audience-hint").textContent = columns.length
    ? "One row per listener; the columns are the script's placeholders (an empty cell takes the placeholder's default)."
    : "The script has no placeholders: one master is made.";
  $("audience-add").disabled = !columns.length;
}

function addRow(values) {
  if (!columns.length) return;
  const tbody = $("audience-table").tBodies[0];
  const number = tbody.rows.length + 1;
  const remove = el("button", { type: "button", textContent: "Remove" });
  remove.setAttribute("aria-label", `Remove listener ${number}`);
  const row = el("tr", {}, ...columns.map((name) => {
    const input = el("input", { value: values[name] ?? "", name });
    input.setAttribute("aria-label", `${name} of listener ${number}`);
    return el("td", {}, input);
  }), el("td", {}, remove));
  remove.addEventListener("click", () => row.remove());
  tbody.append(row);
}

/** The table's listeners; blank cells are left out, so the script's default applies. */
function audience() {
  return [...$("audience-table").tBodies[0].rows].map((row) => Object.fromEntries(
    [...row.querySelectorAll("input")].filter((i) => i.value.trim()).map((i) => [i.name, i.value.trim()]),
  ));
}

async function readCsv(event) {
  const file = event.target.files[0];
  const error = $("audience-error");
  showError(error, null);
  if (!file) return;
  const lines = (await file.text()).split(/\r?\n/).filter((line) => line.trim());
  const header = splitCsvLine(lines.shift() || "");
  const unknown = header.filter((name) => !columns.includes(name));
  if (unknown.length) {
    showError(error, new Error(`the CSV has columns the script has no placeholder for: ${unknown.join(", ")}`));
    return;
  }
  $("audience-table").tBodies[0].replaceChildren();
  for (const line of lines) {
    const cells = splitCsvLine(line);
    addRow(Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""])));
  }
  event.target.value = "";
}

function splitCsvLine(line) {
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { cells.push(cell.trim()); cell = ""; } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

function progress(label, done, total) {
  const bar = $("render-progress");
  $("render-progress-label").textContent = label;
  if (total) {
    bar.max = total;
    bar.value = done;
  } else {
    bar.removeAttribute("value"); // indeterminate: the API gave no count
  }
}

async function render() {
  const error = $("render-error");
  const button = $("render-button");
  showError(error, null);
  button.disabled = true;
  try {
    const script = getScript() || (await validate());
    const form = $("render-form").elements;
    const listeners = audience();
    const people = listeners.length ? listeners : undefined;
    const speech = {
      scriptId: script.scriptId,
      voice: form.voice.value,
      speed: Number(form.speed.value),
      audience: people,
    };
    if (form.effect.value) speech.effect = form.effect.value;
    const sections = sectionOverrides();
    if (Object.keys(sections).length) speech.sections = sections;
    progress("Speech: starting", 0, 0);
    await runJob("Speech", call("POST", "speech", { json: speech }), "speech", { scriptId: script.scriptId });

    const formats = [...form.endFormat].filter((box) => box.checked).map((box) => box.value);
    if (!formats.length) throw new Error("choose at least one end format");
    const mastering = {
      scriptId: script.scriptId,
      masteringPreset: form.masteringPreset.value,
      endFormat: formats,
      public: form.public.checked,
      vast: form.vast.checked && form.public.checked,
      audience: people,
    };
    if (form.soundTemplate.value) mastering.soundTemplate = form.soundTemplate.value;
    const first = { scriptId: script.scriptId, ...(listeners[0] || {}), endFormat: formats[0],
      public: String(mastering.public), vast: String(mastering.vast) };
    progress("Mastering: starting", 0, 0);
    await runJob("Mastering", call("POST", "mastering", { json: mastering }), "mastering", first);
    onMastered({ scriptId: script.scriptId, listeners: listeners.length ? listeners : [{}], formats,
      public: mastering.public, vast: mastering.vast, placeholders: script.placeholders });
  } catch (err) {
    progress("Stopped", 0, 1);
    showError(error, err);
  } finally {
    button.disabled = false;
  }
}

/** Follows a job: the POST waits a while and may answer 202; GET then reports done/total. */
async function runJob(kind, posted, route, query) {
  let counted; // the job's total from its 202 answers: a finished GET names one listener's file
  const report = (body) => {
    counted = body.total;
    progress(`${kind}: ${body.done} of ${body.total}`, body.done, body.total);
  };
  let answer = await pollWhile(posted, async () => {
    const { status, body } = await call("GET", route, { query });
    if (status === 202) report(body);
  });
  counted = answer.body.total ?? counted;
  let finished = answer.body.status === "done";
  while (!finished) {
    const { status, body } = await call("GET", route, { query });
    finished = status !== 202;
    if (!finished) {
      report(body);
      await sleep(800);
    }
    answer = { body };
  }
  const total = answer.body.files ?? answer.body.masters ?? counted ?? 1;
  progress(`${kind}: done, ${total} ${kind === "Speech" ? "files" : "masters"}`, total, total);
  return answer.body;
}

/** The batch road (POST /batch): one master per listener, followed by GET /batch/{id}'s
 *  done/failed/total, ending with the manifest and every failed listener's reason. */
async function renderBatch() {
  const error = $("render-error");
  const button = $("batch-button");
  showError(error, null);
  $("batch-result").replaceChildren();
  button.disabled = true;
  try {
    const script = getScript() || (await validate());
    const form = $("render-form").elements;
    const listeners = audience();
    const formats = [...form.endFormat].filter((box) => box.checked).map((box) => box.value);
    const request = {
      scriptId: script.scriptId,
      voice: form.voice.value,
      speed: Number(form.speed.value),
      masteringPreset: form.masteringPreset.value,
      endFormat: formats[0] || "mp3",
      audience: listeners.length ? listeners : [{}],
    };
    if (form.effect.value) request.effect = form.effect.value;
    if (form.soundTemplate.value) request.soundTemplate = form.soundTemplate.value;
    const { body: started } = await call("POST", "batch", { json: request });
    progress(`Batch: 0 of ${started.total}`, 0, started.total);
    let batch = started;
    while (!["done", "failed"].includes(batch.status)) {
      await sleep(1000);
      batch = (await call("GET", `batch/${encodeURIComponent(started.batchId)}`)).body;
      const finished = (batch.done || 0) + (batch.failed || 0);
      progress(`Batch: ${finished} of ${batch.total}${batch.failed ? ` (${batch.failed} failed)` : ""}`, finished, batch.total);
    }
    progress(`Batch: ${batch.status}, ${batch.done} of ${batch.total} made`, batch.total, batch.total);
    const items = Object.entries(batch.manifest || {}).map(([kind, url]) => el(
      "li", {}, el("a", { href: url, textContent: `Manifest (${kind.toUpperCase()})`, download: "" }),
    ));
    for (const failure of batch.failures || []) {
      const values = Object.entries(failure.parameters || {}).map(([k, v]) => `${k}=${v}`).join(", ");
      items.push(el("li", { className: "error",
        textContent: `listener ${failure.index + 1}${values ? ` (${values})` : ""}: ${failure.reason}` }));
    }
    if (batch.status === "failed" && batch.reason) items.push(el("li", { className: "error", textContent: batch.reason }));
    $("batch-result").replaceChildren(el("ul", { className: "outline" }, ...items));
  } catch (err) {
    progress("Stopped", 0, 1);
    showError(error, err);
  } finally {
    button.disabled = false;
  }
}
