// The public API, as the SDKs call it: the studio has no route of its own and no power a
// client lacks. The key lives in sessionStorage, so it is forgotten when the tab closes.

const KEY_STORE = "audiofn.studio.apiKey";
// The page is served at <base>/studio/; the API's routes hang off <base>/.
export const apiBase = new URL("../", window.location.href);

export class ApiError extends Error {
  constructor(status, body) {
    // Our routes answer {message, field}; the OpenAI-compatible ones {error: {message, param}}.
    const error = (body && typeof body.error === "object" && body.error) || {};
    super((body && body.message) || error.message || `the API answered ${status}`);
    this.status = status;
    this.field = (body && body.field) || error.param;
    this.body = body;
  }
}

export const session = {
  get key() {
    return window.sessionStorage.getItem(KEY_STORE) || "";
  },
  set key(value) {
    if (value) window.sessionStorage.setItem(KEY_STORE, value);
    else window.sessionStorage.removeItem(KEY_STORE);
  },
};

/** Calls a route; answers {status, body, headers}. 4xx/5xx throw ApiError with the API's
 *  message. With `binary`, a successful body is a Blob (audio). */
export async function call(method, path, { query, json, form, accept, binary } = {}) {
  const url = new URL(path.replace(/^\//, ""), apiBase);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { "x-api-key": session.key };
  let body;
  if (json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  if (accept) headers.accept = accept;
  const response = await fetch(url, { method, headers, body });
  const type = response.headers.get("content-type") || "";
  if (binary && response.ok) return { status: response.status, body: await response.blob(), headers: response.headers };
  const parsed = type.includes("json") ? await response.json() : await response.text();
  if (response.status === 401) {
    // The key was revoked (or the admin rotated it): back to the sign-in form, saying why.
    document.dispatchEvent(new CustomEvent("studio:unauthorised", { detail: parsed }));
  }
  if (!response.ok) {
    throw new ApiError(response.status, typeof parsed === "object" ? parsed : { message: parsed });
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Shows an error's message in an element (hidden when there is none). */
export function showError(element, error) {
  if (!error) {
    element.hidden = true;
    element.textContent = "";
    return;
  }
  element.hidden = false;
  const named = !error.field || String(error.message).startsWith(`${error.field}:`);
  element.textContent = error instanceof ApiError
    ? `${error.message}${named ? "" : ` (${error.field})`}`
    : String(error.message || error);
}

/** Repeats `poll` every `intervalMs` until `finished` resolves; `poll` errors end nothing.
 *  The first poll waits a little longer, so the request has made its job before it is asked
 *  about (a job not yet made is a 404). */
export async function pollWhile(finished, poll, intervalMs = 600, firstMs = 1500) {
  let done = false;
  const end = () => { done = true; };
  finished.then(end, end);
  let wait = firstMs;
  while (!done) {
    await Promise.race([finished.catch(() => {}), sleep(wait)]);
    wait = intervalMs;
    if (!done) await poll().catch(() => {});
  }
  return finished;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fills a <select> with values; keeps the current choice where it still exists. */
export function fillSelect(select, values, { blank } = {}) {
  const current = select.value;
  select.replaceChildren();
  if (blank !== undefined) select.append(new Option(blank, ""));
  for (const value of values) {
    const [text, val] = Array.isArray(value) ? value : [value, value];
    select.append(new Option(text, val));
  }
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

/** A tiny element builder: el("td", {className: "x"}, "text", child). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}
