// Results: the master in a player with its waveform (decoded here with WebAudio and drawn on a
// canvas), the captions beside it following playback, the loudness report with its
// loudness-over-time plot, and the files.
import { call, el, fillSelect, showError } from "./api.js";

const $ = (id) => document.getElementById(id);
let result = null;
let peaks = null; // [min, max] per canvas column
let cues = [];
let loudness = null; // the report the plot shows

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
  const plot = $("loudness-plot");
  plot.addEventListener("click", (event) => {
    if (!loudness?.short_term_loudness || !audio.duration) return;
    const box = plot.getBoundingClientRect();
    const fraction = (event.clientX - box.left - PLOT.left) / (box.width - PLOT.left - PLOT.right);
    audio.currentTime = Math.max(0, Math.min(audio.duration, fraction * plotSeconds()));
  });
  window.addEventListener("resize", () => {
    if (loudness && $("loudness-plot").clientWidth) drawLoudness(loudness); // not while hidden
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
  drawLoudness(report);
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
  paintLoudness(now);
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

// ---------------------------------------------------------------- loudness over time

const PLOT = { left: 56, right: 14, top: 12, bottom: 34, height: 200 };
const fmtLu = (value) => `${value.toFixed(1)} LUFS`;

/** Short-term loudness of the report's series, with the target, axes and, as its text
 *  alternative, a summary and a table of every value. Reports made before the series existed
 *  have none: the figure says so. */
function drawLoudness(report) {
  loudness = report;
  const canvas = $("loudness-plot");
  const series = report.short_term_loudness;
  const rows = $("loudness-values").tBodies[0];
  canvas.dataset.drawn = "false";
  if (!series || !series.lufs.length) {
    canvas.hidden = true;
    $("loudness-values-box").hidden = true;
    $("loudness-plot-summary").textContent = "This master's report has no loudness over time (it was made before the report carried it).";
    rows.replaceChildren();
    return;
  }
  canvas.hidden = false;
  $("loudness-values-box").hidden = false;
  const at = (index) => series.start + index * series.step;
  const heard = series.lufs.filter((value) => value !== null);
  const silent = series.lufs.length - heard.length;
  $("loudness-plot-summary").textContent = heard.length
    ? `From ${at(0).toFixed(1)} s to ${at(series.lufs.length - 1).toFixed(1)} s every ${series.step} s: `
      + `between ${fmtLu(Math.min(...heard))} and ${fmtLu(Math.max(...heard))}, target ${fmtLu(report.target_lufs)}`
      + `${silent ? `; silent in ${silent} of ${series.lufs.length} windows` : ""}.`
    : "Silent throughout.";
  rows.replaceChildren(...series.lufs.map((value, index) => el("tr", {},
    el("td", { textContent: `${at(index).toFixed(1)} s` }),
    el("td", { textContent: value === null ? "silence" : fmtLu(value) }))));
  // Sharp on any screen: the backing store follows the displayed size.
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 960;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(PLOT.height * ratio);
  canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  canvas.dataset.points = String(series.lufs.length);
  paintLoudness($("player").currentTime || 0);
  canvas.dataset.drawn = "true";
}

/** LUFS range shown: the values and the target with room around them, on a 6 LU grid. */
function loudnessScale(values, target) {
  const low = Math.floor((Math.min(target, ...values) - 3) / 6) * 6;
  let high = Math.ceil((Math.max(target, ...values) + 3) / 6) * 6;
  if (high - low < 18) high = low + 18;
  return [low, high];
}

function niceStep(span, slots) {
  const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((step) => span / step <= slots) || steps[steps.length - 1];
}

const clock = (seconds, step) => (seconds >= 60 || step >= 60
  ? `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, "0")}`
  : `${Number(seconds.toFixed(1))} s`);

/** The plot's time axis: the whole master (the last window may end a hop short of it). */
function plotSeconds() {
  const series = loudness.short_term_loudness;
  return Math.max(loudness.duration, series.start + (series.lufs.length - 1) * series.step);
}

function paintLoudness(now) {
  const canvas = $("loudness-plot");
  const series = loudness?.short_term_loudness;
  if (!series || !series.lufs.length || canvas.hidden) return;
  const ctx = canvas.getContext("2d");
  const width = canvas.width / (window.devicePixelRatio || 1);
  const height = PLOT.height;
  const right = width - PLOT.right;
  const bottom = height - PLOT.bottom;
  const duration = plotSeconds();
  const heard = series.lufs.filter((value) => value !== null);
  const [low, high] = loudnessScale(heard, loudness.target_lufs);
  const x = (seconds) => PLOT.left + (seconds / duration) * (right - PLOT.left);
  const y = (lufs) => bottom - ((Math.max(low, lufs) - low) / (high - low)) * (bottom - PLOT.top);

  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "12px system-ui, sans-serif";
  ctx.lineWidth = 1;
  // before the first whole window there is no short-term value
  const first = x(series.start);
  ctx.fillStyle = "#f1f3f8";
  ctx.fillRect(PLOT.left, PLOT.top, first - PLOT.left, bottom - PLOT.top);
  if (first - PLOT.left > 190) {
    ctx.fillStyle = "#5b6478";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(`before the first whole ${series.window} s window`, (PLOT.left + first) / 2, (PLOT.top + bottom) / 2);
  }
  // grid and axes' labels
  ctx.fillStyle = "#5b6478";
  ctx.strokeStyle = "#e3e7ef";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const grid = high - low > 36 ? 12 : 6;
  for (let level = low; level <= high; level += grid) {
    ctx.beginPath();
    ctx.moveTo(PLOT.left, Math.round(y(level)) + 0.5);
    ctx.lineTo(right, Math.round(y(level)) + 0.5);
    ctx.stroke();
    ctx.fillText(String(level), PLOT.left - 6, y(level));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const tick = niceStep(duration, Math.max(2, Math.floor((right - PLOT.left) / 70)));
  for (let t = 0; t <= duration + 1e-6; t += tick) {
    ctx.fillRect(Math.round(x(t)), bottom, 1, 4);
    ctx.fillText(clock(t, tick), x(t), bottom + 6);
  }
  ctx.save();
  ctx.translate(14, (PLOT.top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("LUFS", 0, -6);
  ctx.restore();
  ctx.strokeStyle = "#9aa3b5";
  ctx.strokeRect(PLOT.left + 0.5, PLOT.top + 0.5, right - PLOT.left, bottom - PLOT.top);
  // the target
  ctx.strokeStyle = "#c0392b";
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(PLOT.left, Math.round(y(loudness.target_lufs)) + 0.5);
  ctx.lineTo(right, Math.round(y(loudness.target_lufs)) + 0.5);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#c0392b";
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  ctx.fillText(`target ${loudness.target_lufs} LUFS`, right - 4, y(loudness.target_lufs) - 2);
  // the series, broken where it is silent
  ctx.strokeStyle = "#2456c7";
  ctx.lineWidth = 2;
  ctx.lineJoin = "round";
  ctx.beginPath();
  let drawing = false;
  series.lufs.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    const px = x(series.start + index * series.step);
    if (drawing) ctx.lineTo(px, y(value));
    else ctx.moveTo(px, y(value));
    drawing = true;
  });
  ctx.stroke();
  ctx.fillStyle = "#2456c7";
  series.lufs.forEach((value, index) => {
    const alone = (series.lufs[index - 1] ?? null) === null && (series.lufs[index + 1] ?? null) === null;
    if (value === null || !alone) return;
    ctx.beginPath();
    ctx.arc(x(series.start + index * series.step), y(value), 3, 0, 2 * Math.PI);
    ctx.fill();
  });
  // where playback is
  if (now > 0) {
    ctx.fillStyle = "rgba(192, 57, 43, 0.8)";
    ctx.fillRect(Math.round(x(Math.min(now, duration))), PLOT.top, 2, bottom - PLOT.top);
  }
}
