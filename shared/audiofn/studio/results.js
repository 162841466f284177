// Results: the master in a player with its waveform (decoded here with WebAudio and drawn on a
// canvas), the captions beside it following playback, the loudness report, and the files.
import { call, el, fillSelect, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
let result = null;
let peaks = null; // [min, max] per canvas column
let cues = [];

export function initResults() {
  const audio = $("player");
  audio.addEventListener("timeupdate", follow);
  audio.addEventListener("seeked", follow);
  $("result-listener").addEventListener("change", () => {
    showListener(Number($("result-listener").value)).catch((err) => showError($("result-error"), err));
  });
  const canvas = $("waveform");
  canvas.addEventListener("click", (event) => {
    if (!audio.duration) return;
    const box = canvas.getBoundingClientRect();
    audio.currentTime = ((event.clientX - box.left) / box.width) * audio.duration;
  });
  canvas.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 5, ArrowLeft: -5 }[event.key];
    if (step && audio.duration) audio.currentTime = Math.max(0, Math.min(audio.duration, audio.currentTime + step));
  });
}

/** Lists every master of a script (GET /mastering/list), newest job first; each opens here. */
export async function listMasters(scriptId) {
  const body = $("master-list");
  try {
    const { body: answer } = await call("GET", "mastering/list", { query: { scriptId } });
    body.replaceChildren(...answer.masters.map((master) => {
      const open = el("button", { type: "button", textContent: "Open", disabled: master.status !== "done" });
      const who = Object.entries(master.parameters || {}).map(([k, v]) => `${k}=${v}`).join(", ") || "default";
      open.setAttribute("aria-label", `Open the master for ${who} made ${master.createdAt}`);
      open.addEventListener("click", () => {
        showResults({ scriptId, listeners: [master.parameters || {}], formats: master.formats,
          public: master.public, vast: master.vast }).catch((err) => showError($("result-error"), err));
      });
      return el("tr", {},
        el("td", { textContent: master.createdAt.replace("T", " ").slice(0, 19) }),
        el("td", { textContent: who }),
        el("td", { textContent: master.soundTemplate || "none" }),
        el("td", { textContent: master.masteringPreset }),
        el("td", { textContent: master.formats.join(", ") }),
        el("td", { textContent: master.status }),
        el("td", {}, open));
    }));
  } catch (err) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 7, className: "error", textContent: err.message })));
  }
}

export async function showResults(rendered) {
  result = rendered;
  const names = rendered.listeners.map((values, index) => [
    Object.keys(values).length ? Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ") : "default",
    String(index),
  ]);
  fillSelect($("result-listener"), names);
  $("result-listener").value = "0";
  listMasters(rendered.scriptId);
  await showListener(0);
}

async function showListener(index) {
  showError($("result-error"), null);
  $("waveform").dataset.drawn = "false";
  const listener = result.listeners[index];
  const query = { scriptId: result.scriptId, ...listener, public: String(result.public), vast: String(result.vast) };
  const answers = await Promise.all(result.formats.map((format) => call("GET", "mastering", {
    query: { ...query, endFormat: format },
  })));
  const first = answers[0].body;
  const audio = $("player");
  audio.src = first.url;
  showReport(first.report);
  showFiles(answers.map((answer, i) => [result.formats[i], answer.body]));
  await Promise.all([loadCaptions(first.captions?.vtt), drawWaveform(first.url)]);
}

function showReport(report) {
  const rows = [
    ["Integrated loudness", `${report.integrated_lufs.toFixed(1)} LUFS`, `target ${report.target_lufs} LUFS`],
    ["True peak", `${report.true_peak_dbtp.toFixed(1)} dBTP`, `limit ${report.true_peak_limit_dbtp} dBTP`],
    ["Loudness range", `${report.loudness_range_lu.toFixed(1)} LU`, ""],
    ["Speech over bed", report.speech_to_bed_db === null || report.speech_to_bed_db === undefined ? "no bed" : `${report.speech_to_bed_db.toFixed(1)} dB`, ""],
    ["Duration", `${report.duration.toFixed(1)} s`, `${report.sample_rate} Hz, ${report.channels} ch`],
    ["Preset", report.preset, ""],
  ];
  const items = [];
  for (const [name, value, note] of rows) {
    const dd = el("dd", {}, el("strong", { textContent: value }), note ? el("small", { textContent: ` ${note}` }) : null);
    dd.dataset.figure = name;
    items.push(el("dt", { textContent: name }), dd);
  }
  for (const [format, figures] of Object.entries(report.formats || {})) {
    items.push(
      el("dt", { textContent: format }),
      el("dd", { textContent: `${figures.integratedLufs.toFixed(2)} LUFS, ${figures.truePeakDbtp.toFixed(2)} dBTP`
        + `${figures.bitrateKbps ? `, ${figures.bitrateKbps} kbps` : ""}, ${(figures.bytes / 1024).toFixed(0)} KB` }),
    );
  }
  $("loudness-report").replaceChildren(...items);
}

function showFiles(answers) {
  const items = [];
  for (const [format, body] of answers) {
    const link = el("a", { href: body.url, textContent: `Download ${format}`, download: "" });
    link.dataset.testid = "download-link";
    items.push(el("li", {}, link));
  }
  const first = answers[0][1];
  for (const [kind, url] of Object.entries(first.captions || {})) {
    items.push(el("li", {}, el("a", { href: url, textContent: `Captions (${kind.toUpperCase()})`, download: "" })));
  }
  if (result.public) {
    items.push(el("li", {}, "Public URL: ", el("a", { href: first.url, textContent: first.url })));
  }
  if (first.vastUrl) {
    items.push(el("li", {}, "VAST: ", el("a", { href: first.vastUrl, textContent: first.vastUrl })));
  }
  $("result-files").replaceChildren(...items);
}

// ---------------------------------------------------------------- captions

async function loadCaptions(url) {
  cues = [];
  $("captions").textContent = "";
  if (!url) return;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the captions could not be read (${response.status})`);
  cues = parseVtt(await response.text());
  follow();
}

export function parseVtt(text) {
  const stamp = (s) => s.split(":").reduce((total, part) => total * 60 + Number(part), 0);
  const found = [];
  for (const block of text.replace(/\r/g, "").split(/\n\n+/)) {
    const lines = block.split("\n");
    const at = lines.findIndex((line) => line.includes("-->"));
    if (at < 0) continue;
    const [start, end] = lines[at].split("-->").map((part) => stamp(part.trim().split(/\s/)[0]));
    found.push({ start, end, text: lines.slice(at + 1).join("\n") });
  }
  return found;
}

function follow() {
  const audio = $("player");
  const now = audio.currentTime;
  const cue = cues.find((c) => now >= c.start && now < c.end);
  const box = $("captions");
  const text = cue ? cue.text : "";
  if (box.textContent !== text) box.textContent = text;
  paintWaveform(audio.duration ? now / audio.duration : 0);
}

// ---------------------------------------------------------------- waveform

async function drawWaveform(url) {
  peaks = null;
  paintWaveform(0);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the master could not be read (${response.status})`);
  const context = new OfflineAudioContext(1, 1, 44100);
  const decoded = await context.decodeAudioData(await response.arrayBuffer());
  const width = $("waveform").width;
  const channels = [...Array(decoded.numberOfChannels).keys()].map((c) => decoded.getChannelData(c));
  const per = Math.max(1, Math.floor(decoded.length / width));
  peaks = [];
  for (let x = 0; x < width; x += 1) {
    let low = 0;
    let high = 0;
    for (const data of channels) {
      for (let i = x * per, end = Math.min(decoded.length, i + per); i < end; i += 1) {
        if (data[i] < low) low = data[i];
        else if (data[i] > high) high = data[i];
      }
    }
    peaks.push([low, high]);
  }
  $("waveform").dataset.drawn = "true";
  paintWaveform(0);
}

function paintWaveform(fraction) {
  const canvas = $("waveform");
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#f4f6fa";
  ctx.fillRect(0, 0, width, height);
  if (!peaks) return;
  const middle = height / 2;
  const played = Math.round(fraction * width);
  for (let x = 0; x < peaks.length; x += 1) {
    const [low, high] = peaks[x];
    ctx.fillStyle = x < played ? "#2456c7" : "#93a8d8";
    ctx.fillRect(x, middle - high * middle, 1, Math.max(1, (high - low) * middle));
  }
  ctx.fillStyle = "#c0392b";
  ctx.fillRect(played, 0, 2, height);
}
