// Voices: the catalogue (GET /voice and its filters), previews, and custom voices' status.
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
  fillSelect($("render-voice"), [...catalogueNames, ...customNames]);
  document.dispatchEvent(new CustomEvent("studio:voices", { detail: [...catalogueNames, ...customNames] }));
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
