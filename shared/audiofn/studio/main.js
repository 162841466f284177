// Sign-in, tabs, and the hand-offs between the studio's panels.
import { call, session, showError } from "./api.js";
import { initVoices, loadVoices } from "./voices.js";
import { currentScript, initScript, validate } from "./script.js";
import { initRender, loadRenderChoices } from "./render.js";
import { initResults, listMasters, showResults } from "./results.js";
import { loadLexi } from "./lexi.js";
import { initSamples } from "./samples.js";
import { initUsage, loadUsage } from "./usage.js";

const $ = (id) => document.getElementById(id);

function selectTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  if (name === "usage") loadUsage();
  if (name === "results" && currentScript()) listMasters(currentScript().scriptId);
}

function initTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const [index, tab] of tabs.entries()) {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next.id.slice(4));
    });
  }
}

async function signIn(key) {
  const status = $("sign-in-status");
  session.key = key;
  status.textContent = "Checking the key…";
  try {
    const { body } = await call("GET", "org");
    status.textContent = `Signed in: ${body.name || body.orgName || body.orgId || "organisation"}`;
    $("workspace").hidden = false;
    $("sign-out").hidden = false;
    $("api-key").value = "";
    await Promise.all([
      loadVoices(),
      loadRenderChoices().catch((err) => showError($("render-error"), err)),
      validate().catch(() => {}),
      loadLexi(),
    ]);
  } catch (error) {
    session.key = "";
    $("workspace").hidden = true;
    status.textContent = "";
    status.append(document.createTextNode(`Not signed in: ${error.message}`));
  }
}

function initSignIn() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("api-key").value.trim());
  });
  $("sign-out").addEventListener("click", () => {
    session.key = "";
    $("workspace").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in-status").textContent = "Signed out";
  });
  document.addEventListener("studio:unauthorised", (event) => {
    session.key = "";
    $("workspace").hidden = true;
    $("sign-out").hidden = true;
    $("sign-in-status").textContent = `Signed out: ${event.detail?.message || "the key was refused"}`;
  });
  if (session.key) signIn(session.key);
}

initTabs();
initVoices({
  onUse(voiceName) {
    $("render-voice").value = voiceName;
    selectTab("script");
  },
});
initScript();
initRender({
  getScript: currentScript,
  onMastered(result) {
    selectTab("results");
    showResults(result).catch((error) => showError($("result-error"), error));
  },
});
initResults();
initSamples();
initUsage();
initSignIn();
