// Samples: a voice sample dropped or chosen, sent as the voice-management protocol's
// multipart upload, then followed until the profile is COMPLETED or FAILED with its reasons.
import { call, el, showError, sleep } from "./api.js";
import { customVoiceRow, loadVoices } from "./voices.js";

const $ = (id) => document.getElementById(id);
const ACCEPTED = /\.(wav|mp3|flac|ogg|m4a)$/i;
const MAX_BYTES = 20 * 1024 * 1024;

export function initSamples() {
  const drop = $("sample-drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const [file] = event.dataTransfer.files;
    if (file) {
      const files = new DataTransfer();
      files.items.add(file);
      $("sample-file").files = files.files;
    }
  });
  $("sample-form").addEventListener("submit", (event) => {
    event.preventDefault();
    upload();
  });
}

async function upload() {
  const form = $("sample-form").elements;
  const error = $("sample-error");
  showError(error, null);
  const file = form.file.files[0];
  // The same rules the API applies, checked first so a wrong file costs no upload.
  if (!file) return showError(error, new Error("choose a sample file"));
  if (!ACCEPTED.test(file.name)) return showError(error, new Error("file: WAV, MP3, FLAC, OGG or M4A only"));
  if (file.size > MAX_BYTES) return showError(error, new Error("file: at most 20 MB"));
  // Consent is the person's own attestation: never sent unless ticked and signed.
  if (!form.consent.checked) return showError(error, new Error("consent: tick the attestation that the speaker consented"));
  if (!form.consent_attested_by.value.trim()) return showError(error, new Error("consent_attested_by: say who attests"));
  const body = new FormData();
  body.set("name", form.name.value);
  body.set("language", form.language.value || "en");
  body.set("denoise", String(form.denoise.checked));
  body.set("consent_attested_by", form.consent_attested_by.value);
  body.set("consent_statement", form.consent_statement.value);
  body.set("file", file);
  const result = $("sample-result");
  try {
    const { body: voice } = await call("POST", "api/v1/voice/voice-profiles", { form: body });
    let current = voice;
    for (let tries = 0; current.status === "PROCESSING" && tries < 300; tries += 1) {
      result.replaceChildren(el("p", { className: "status", textContent: `${current.name}: checking the sample…` }));
      await sleep(1000);
      current = (await call("GET", `api/v1/voice/voices/${current.id}/status`)).body;
    }
    showVoice(current);
    loadVoices();
  } catch (err) {
    showError(error, err);
  }
}

function showVoice(voice) {
  const table = el("table", { className: "list voice" },
    el("thead", {}, el("tr", {}, ...["name", "status", "speaks as", "reason", "consent"].map((h) => el("th", { textContent: h })))),
    el("tbody", {}, customVoiceRow(voice)));
  const facts = voice.voice_characteristics || {};
  const list = el("dl", { className: "figures" });
  for (const [name, value] of Object.entries(facts)) {
    if (typeof value !== "object") list.append(el("dt", { textContent: name.replaceAll("_", " ") }), el("dd", { textContent: String(value) }));
  }
  const checks = (voice.samples || []).map((sample) => el("table", { className: "list checks" },
    el("caption", { textContent: `${sample.filename}: ${sample.duration ? `${Number(sample.duration).toFixed(1)} s, ` : ""}`
      + `${sample.sample_rate ? `${sample.sample_rate} Hz` : ""}` }),
    el("thead", {}, el("tr", {}, ...["check", "result", "what was found"].map((h) => el("th", { textContent: h })))),
    el("tbody", {}, ...(sample.checks || []).map((check) => {
      const row = el("tr", {},
        el("td", { textContent: check.name }),
        el("td", { textContent: check.passed ? "passed" : "failed", className: check.passed ? "state-completed" : "state-failed" }),
        el("td", { textContent: check.message }));
      row.dataset.check = check.name;
      row.dataset.passed = String(check.passed);
      return row;
    }))));
  const consent = voice.consent;
  const record = consent ? el("p", { className: "status consent", textContent:
    `Consent recorded ${consent.recorded_at}: attested by ${consent.attested_by} (${consent.basis === "api-key" ? "the API key's standing attestation" : "this upload"}); `
    + `samples ${consent.samples.map((s) => s.sha256.slice(0, 12)).join(", ")}; record ${consent.sha256.slice(0, 12)}` }) : "";
  $("sample-result").replaceChildren(table, record, ...checks, list);
}
