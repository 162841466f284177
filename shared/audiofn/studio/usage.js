// Usage: the per-day counters every synthesis updates (GET /api/v1/voice/analytics/usage),
// drawn as bars.
import { call, showError } from "./api.js";

const $ = (id) => document.getElementById(id);

export function initUsage() {
  $("usage-period").addEventListener("change", loadUsage);
}

export async function loadUsage() {
  const error = $("usage-error");
  showError(error, null);
  try {
    const { body } = await call("GET", "api/v1/voice/analytics/usage", {
      query: { period: $("usage-period").value, breakdown: "daily" },
    });
    draw(body.daily_breakdown || []);
    $("usage-total").textContent = `${body.total_generations} generations, `
      + `${body.total_characters} characters, ${Number(body.total_duration).toFixed(1)} s of audio `
      + `from ${body.start_date} to ${body.end_date}`;
  } catch (err) {
    showError(error, err);
  }
}

function draw(days) {
  const canvas = $("usage-chart");
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  const bottom = height - 24;
  ctx.clearRect(0, 0, width, height);
  ctx.font = "12px sans-serif";
  ctx.fillStyle = "#555";
  const most = Math.max(1, ...days.map((d) => d.generations));
  ctx.fillText(`${most}`, 4, 12);
  const slot = (width - 30) / Math.max(1, days.length);
  days.forEach((day, i) => {
    const x = 30 + i * slot;
    const h = (day.generations / most) * (bottom - 16);
    ctx.fillStyle = "#2456c7";
    ctx.fillRect(x + 1, bottom - h, Math.max(1, slot - 2), h);
    if (days.length <= 31 && (i % Math.ceil(days.length / 10) === 0)) {
      ctx.fillStyle = "#555";
      ctx.fillText(day.date.slice(5), x, height - 6);
    }
  });
  canvas.setAttribute("aria-label", `Generations a day: ${days.map((d) => `${d.date} ${d.generations}`).join(", ")}`);
}
