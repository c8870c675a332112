// Moving between pages: the hash is the page (`#/target-users/abc123`), and a message may
// travel to the next page ("User saved.") and be shown there once.

let flash = null;
let renderer = async () => {};

/** The shell registers how to draw the current page. */
export function setRenderer(fn) {
  renderer = fn;
}

/** Draws the current page again (after a change it shows). */
export function refresh() {
  return renderer();
}

/** Goes to `hash`, showing `message` (`{kind, message}`) there once. */
export function go(hash, message = null) {
  flash = message;
  if (location.hash === hash) return renderer();
  location.hash = hash;
  return undefined;
}

/** Shows `message` on the next page drawn. */
export function say(message) {
  flash = message;
}

/** The message waiting for this page, if any (it is shown only once). */
export function takeFlash() {
  const shown = flash;
  flash = null;
  return shown;
}

/** Takes the last page's message away once the user acts again (it would read as current). */
export function clearFlash() {
  for (const old of document.querySelectorAll("main .flash")) old.remove();
}

export const success = (message) => ({ kind: "success", message });
export const failure = (message) => ({ kind: "error", message });

/** `#/target-users/x y` → `"#/target-users/x%20y"`: a link to a page with path parameters. */
export function link(...parts) {
  return `#/${parts.map((p) => encodeURIComponent(p)).join("/")}`;
}
