// Building the page. Text from the server is only ever inserted as text (never as HTML), so
// nothing a user typed can become markup or script.

/** `h("a", {href: "#"}, "text", child)`: an element; strings become text nodes. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A message box: `kind` is error, success or warning; errors are announced at once. */
export function notice(kind, message, details = []) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", {}, message),
    details.length ? h("ul", {}, details.map((d) => h("li", {}, d))) : null);
}

/** A notice for a failed call: its message and the API's `validationMessages`. */
export function failureNotice(error) {
  return notice("error", error.message, error.messages || []);
}

/** `2026-03-01 14:05` in the browser's time zone; a dash for the epoch (never happened). */
export function formatDate(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  // Built-in records carry the epoch as their creation time: they were never created.
  if (d.getTime() <= 0) return "\u2014";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A pill for a status name (Active, Inactive, Deleted, New, Error, …). */
export function statusBadge(name) {
  const text = name || "";
  return h("span", { class: `status ${text.toLowerCase()}` }, text);
}

/** Sets `document.title` from the page's first heading. */
export function titleFromHeading(root) {
  const heading = root.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Latchkey console` : "Latchkey console";
}
