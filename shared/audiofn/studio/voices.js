// Voices: the catalogue (GET /voice and its filters), previews, blends, and custom voices' status.
import { call, el, fillSelect, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
const FILTERS = ["language", "accent", "gender", "provider"];
let onUseVoice = () => {};
let parametersLoaded = false;

export function initVoices({ onUse }) {
  onUseVoice = onUse;
  const form = $("voice-filters");
  form.addEventListener("change", () => loadVoices());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadVoices();
  });
  initBlend();
}

export async function loadVoices() {
  const form = $("voice-filters");
  const error = $("voice-error");
  showError(error, null);
  try {
    if (!parametersLoaded) {
      const { body } = await call("GET", "voice/parameter");
      for (const name of FILTERS) {
        fillSelect(form.elements[name], body[name] || [], { blank: "any" });
      }
      parametersLoaded = true;
    }
    const query = Object.fromEntries(FILTERS.map((name) => [name, form.elements[name].value]));
    query.tags = form.elements.tags.value.trim();
    $("voice-status").textContent = "Loading…";
    const { body } = await call("GET", "voice", { query });
    renderVoices(body.voices);
    $("voice-status").textContent = `${body.voices.length} voices`;
    fillRenderVoices(body.voices);
  } catch (err) {
    $("voice-status").textContent = "";
    showError(error, err);
  }
  loadCustomVoices();
}

function renderVoices(voices) {
  const rows = voices.map((voice) => {
    const preview = el("button", { type: "button", textContent: "▶ Preview" });
    preview.dataset.testid = "voice-preview";
    preview.setAttribute("aria-label", `Play a preview of ${voice.voiceName}`);
    preview.addEventListener("click", () => playPreview(voice.voiceName, preview));
    const use = el("button", { type: "button", textContent: "Use" });
    use.setAttribute("aria-label", `Use ${voice.voiceName} for rendering`);
    use.addEventListener("click", () => onUseVoice(voice.voiceName));
    const row = el(
      "tr",
      { title: voice.description || "" },
      el("td", {}, el("strong", { textContent: voice.voiceName })),
      el("td", { textContent: `${voice.language} (${voice.languageCode})` }),
      el("td", { textContent: voice.accent || "" }),
      el("td", { textContent: voice.gender || "" }),
      el("td", { textContent: voice.provider || "" }),
      el("td", { textContent: voice.tags || "", className: "tags" }),
      el("td", { className: "actions" }, preview, use),
    );
    row.dataset.voice = voice.voiceName;
    return row;
  });
  $("voice-list").replaceChildren(...rows);
}

/** The render panel offers every catalogue voice (and custom ones, added later). */
let catalogueNames = [];
function fillRenderVoices(voices) {
  if (!catalogueNames.length || voices.length > catalogueNames.length) {
    catalogueNames = voices.map((voice) => voice.voiceName);
  }
  offerVoices();
}

/** The render panel's voice choices (its per-section ones follow the event). */
function offerVoices() {
  const names = [...catalogueNames, ...customNames, ...blendNames];
  fillSelect($("render-voice"), names);
  document.dispatchEvent(new CustomEvent("studio:voices", { detail: names }));
}

async function playPreview(voiceName, button) {
  const audio = $("voice-preview-audio");
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Rendering…";
  showError($("voice-error"), null);
  try {
    const { body } = await call(
      "GET", `api/v1/voice/voice-profiles/${encodeURIComponent(voiceName)}/preview`,
      { query: { audio_format: "mp3" } },
    );
    audio.src = body.audio_url;
    audio.dataset.voice = voiceName;
    await audio.play();
    button.textContent = "▶ Playing";
    audio.onended = () => { button.textContent = label; };
  } catch (err) {
    button.textContent = label;
    showError($("voice-error"), err);
  } finally {
    button.disabled = false;
  }
}

let customNames = [];
async function loadCustomVoices() {
  const body = $("custom-voice-list");
  try {
    const { body: answer } = await call("GET", "api/v1/voice/voice-profiles", {
      query: { voice_type: "CUSTOM", include_public: "false", limit: 50 },
    });
    const voices = answer.voices || [];
    customNames = voices.filter((v) => v.status === "COMPLETED").map((v) => String(v.id));
    offerVoices();
    if (!voices.length) {
      body.replaceChildren(el("tr", {}, el("td", { colSpan: 4, textContent: "None yet: upload a sample under Samples." })));
      return;
    }
    body.replaceChildren(...voices.map(customVoiceRow));
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 5, className: "error", textContent: err.message })));
  }
}

export function customVoiceRow(voice) {
  const synthesis = (voice.synthesis || voice.voice_characteristics?.synthesis) || {};
  const speaksAs = synthesis.base_voice
    ? `${synthesis.base_voice}${synthesis.pitch_shift_semitones ? `, ${Number(synthesis.pitch_shift_semitones).toFixed(1)} st` : ""}`
    : "";
  const similarity = voice.similarity ?? synthesis.similarity;
  return el(
    "tr",
    {},
    el("td", { textContent: `${voice.name} (${voice.id})` }),
    el("td", { textContent: voice.status, className: `state state-${String(voice.status).toLowerCase()}` }),
    el("td", { textContent: speaksAs + (similarity !== undefined && similarity !== null ? ` · similarity ${Number(similarity).toFixed(2)}` : "") }),
    el("td", { textContent: voice.error_message || "" }),
    el("td", { className: "consent", textContent: consentSummary(voice.consent, voice.synthesis?.method) }),
  );
}

// Who attested the speaker's consent and the record's digest (what masters' credentials cite).
function consentSummary(consent, method) {
  if (consent) return `${consent.attested_by || "recorded"}${consent.basis === "api-key" ? " (key)" : ""} · ${consent.sha256.slice(0, 12)}`;
  return method === "blend" ? "not needed (a blend)" : "none recorded";
}

// ---------------------------------------------------------------- blends
// Heard through the OpenAI-compatible speech route (the one that takes any text and answers
// the audio), so a blend is checked by the same API that will render it.

const MAX_BLEND_PARTS = 8;
let kokoroNames = null; // loaded when the blend box is first opened
let blendNames = []; // blends chosen for rendering, offered beside the catalogue
let heardBlend = ""; // the last blend the API spoke
let blendAudioUrl = null;

function initBlend() {
  const box = $("blend-box");
  box.addEventListener("toggle", () => {
    if (box.open) loadBlendVoices();
  });
  $("blend-add").addEventListener("click", () => {
    addBlendPart(kokoroNames?.[$("blend-parts").tBodies[0].rows.length] || "", 1);
    composeBlend();
  });
  $("blend-parts").addEventListener("input", composeBlend);
  $("blend-expression").addEventListener("input", () => markBlend(null));
  $("blend-form").addEventListener("submit", (event) => {
    event.preventDefault();
    previewBlend();
  });
  $("blend-use").addEventListener("click", useBlend);
}

async function loadBlendVoices() {
  if (kokoroNames) return;
  try {
    const { body } = await call("GET", "voice", { query: { provider: "kokoro" } });
    kokoroNames = body.voices.map((voice) => voice.voiceName);
    addBlendPart(kokoroNames[0], 1);
    addBlendPart(kokoroNames[1], 1);
    composeBlend();
  } catch (err) {
    markBlend(err);
  }
}

function addBlendPart(name, weight) {
  const rows = $("blend-parts").tBodies[0];
  const number = rows.rows.length + 1;
  const voice = el("select", { name: "blend-voice" });
  fillSelect(voice, kokoroNames || []);
  voice.value = name;
  voice.setAttribute("aria-label", `voice ${number} of the blend`);
  const share = el("input", { type: "number", name: "blend-weight", min: "0", step: "any", value: String(weight) });
  share.setAttribute("aria-label", `weight of voice ${number}`);
  const remove = el("button", { type: "button", className: "small", textContent: "Remove" });
  remove.setAttribute("aria-label", `remove voice ${number} from the blend`);
  remove.addEventListener("click", () => {
    remove.closest("tr").remove();
    composeBlend();
  });
  rows.append(el("tr", {}, el("td", {}, voice), el("td", {}, share), el("td", {}, remove)));
}

/** The rows as a blend expression: `a+b` for equal weights, else `a(2)+b(1)`. */
function composeBlend() {
  const rows = [...$("blend-parts").tBodies[0].rows];
  const parts = rows.map((row) => [row.querySelector("select").value, row.querySelector("input").value.trim() || "1"]);
  const equal = parts.every(([, weight]) => Number(weight) === Number(parts[0][1]));
  $("blend-expression").value = parts
    .map(([name, weight]) => (equal ? name : `${name}(${weight})`))
    .join("+");
  for (const button of $("blend-parts").querySelectorAll("button")) button.disabled = rows.length <= 2;
  $("blend-add").disabled = rows.length >= MAX_BLEND_PARTS;
  markBlend(null);
}

function markBlend(error) {
  showError($("blend-error"), error);
  $("blend-expression").setAttribute("aria-invalid", String(Boolean(error)));
}

/** Speaks the blend (POST /v1/audio/speech); a 400 is shown at the blend's field. */
async function previewBlend() {
  const expression = $("blend-expression").value.trim();
  const button = $("blend-preview");
  const status = $("blend-status");
  markBlend(null);
  button.disabled = true;
  status.textContent = "Rendering…";
  try {
    const { body, headers } = await call("POST", "v1/audio/speech", {
      json: {
        model: "tts-1",
        input: $("blend-text").value.trim() || "Hello!",
        voice: expression,
        response_format: "mp3",
      },
      binary: true,
    });
    const audio = $("voice-preview-audio");
    if (blendAudioUrl) URL.revokeObjectURL(blendAudioUrl);
    blendAudioUrl = URL.createObjectURL(body);
    audio.src = blendAudioUrl;
    audio.dataset.voice = expression;
    heardBlend = expression;
    status.textContent = `Playing ${headers.get("x-audiofn-voice") || expression}`;
    audio.onended = () => { status.textContent = ""; };
    await audio.play();
    return true;
  } catch (err) {
    status.textContent = "";
    markBlend(err);
    $("blend-expression").focus();
    return false;
  } finally {
    button.disabled = false;
  }
}

/** Offers the blend to the render panel, heard (and so checked by the API) first. */
async function useBlend() {
  const expression = $("blend-expression").value.trim();
  if (expression !== heardBlend && !(await previewBlend())) return;
  if (!blendNames.includes(expression)) blendNames.push(expression);
  offerVoices();
  onUseVoice(expression);
}
