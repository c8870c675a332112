// Form helpers: labelled fields, inputs typed by data type, and the API's `validationMessages`
// shown at the fields they name.
//
// The API's messages are sentences ("email is required", "Priority must be one of …",
// "Custom field Cost Center is required"). Each field of a form declares the names it goes
// by (its wire name and its label); a message goes to the field whose name it contains as a
// whole word, the longest such name winning ("Manager Email" before "Email"). Messages that
// name no field are listed in the form's error summary, so none is lost.

import { h, notice } from "./dom.js";
import { ApiFailure } from "./api.js";
import { clearFlash } from "./nav.js";

let counter = 0;
/** A fresh element id with `prefix`. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled field: `<div class=field><label>…</label>input<p class=hint>…</p></div>`. */
export function field(label, input, { hint } = {}) {
  const box = h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  if (hint) {
    const hintId = `${input.id}-hint`;
    box.append(h("p", { class: "hint", id: hintId }, hint));
    input.setAttribute("aria-describedby", hintId);
  }
  return box;
}

/**
 * An input for a value of `type`: text, email, tel, number, date, boolean (a Yes / No / unset
 * select, so that "no value" stays expressible) or select (`choices`: `[{value, label}]`).
 * `value` is the wire form (dates as ISO 8601, booleans as "true"/"false").
 */
export function typedInput(type, { id, value = "", required = false, choices = [], maxLength } = {}) {
  const text = value === null || value === undefined ? "" : String(value);
  switch (type) {
    case "number":
      return h("input", { id, type: "number", step: "any", value: text, required });
    case "date":
      return h("input", { id, type: "date", value: text.slice(0, 10), required });
    case "boolean":
      return h("select", { id, required },
        h("option", { value: "", selected: text === "" }, "\u2014"),
        h("option", { value: "true", selected: text.toLowerCase() === "true" }, "Yes"),
        h("option", { value: "false", selected: text.toLowerCase() === "false" }, "No"));
    case "select":
      return h("select", { id, required },
        choices.map((c) => h("option", { value: c.value, selected: String(c.value) === text }, c.label)));
    default:
      return h("input", { id, type: ["email", "tel"].includes(type) ? type : "text", value: text, required, maxLength });
  }
}

/** Marks `input` invalid with `message` shown under it (or clears it when null). */
export function setFieldError(input, message) {
  const id = `${input.id}-error`;
  let box = document.getElementById(id);
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (!message) {
    input.removeAttribute("aria-invalid");
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
    if (box) box.remove();
    return;
  }
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", [...described, id].join(" "));
  if (!box) {
    box = h("p", { id, class: "field-error" });
    (input.closest(".field, .ip-row") || input.parentElement).append(box);
  }
  box.textContent = message;
}

function wordPattern(name) {
  const escaped = name.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
  return new RegExp(`(^|[^A-Za-z0-9])${escaped}([^A-Za-z0-9]|$)`, "i");
}

/** The field of `fields` (`[{input, names}]`) that `message` names, or null. */
export function fieldFor(message, fields) {
  let best = null;
  let bestLength = 0;
  for (const f of fields) {
    for (const name of f.names) {
      if (name && name.length > bestLength && wordPattern(name).test(message)) {
        best = f;
        bestLength = name.length;
      }
    }
  }
  return best;
}

/**
 * Handles a form's submission: clears the old errors, runs `check()` (client-side rules,
 * returning `[{input, message}]`), then `submit()`. An `ApiFailure` is shown at the fields its
 * messages name, the rest in `errors` (a container above the form); the first problem gets
 * the focus. The submit button is disabled while the request runs.
 *
 * @param {HTMLFormElement} form
 * @param {{errors: HTMLElement, fields: () => Array<{input, names}>, check?: () => Array, submit: () => Promise}} options
 */
export function onSubmit(form, { errors, fields, check = () => [], submit }) {
  form.noValidate = true;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const known = fields();
    clearFlash();
    errors.replaceChildren();
    for (const f of known) setFieldError(f.input, null);
    const problems = check();
    for (const p of problems) setFieldError(p.input, p.message);
    if (problems.length) {
      problems[0].input.focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      await submit();
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      showFailure(errors, err, known);
    } finally {
      if (button && button.isConnected) button.disabled = false;
    }
  });
}

/** Shows `failure` at the fields its messages name and the rest in `errors`. */
export function showFailure(errors, failure, fields) {
  const placed = new Map();
  const rest = [];
  for (const message of failure.messages) {
    const f = fieldFor(message, fields);
    if (f) placed.set(f, [...(placed.get(f) || []), message]);
    else rest.push(message);
  }
  for (const [f, messages] of placed) setFieldError(f.input, messages.join(" "));
  const summary = notice("error", placed.size ? `${failure.message}: see the marked fields.` : failure.message, rest);
  summary.setAttribute("tabindex", "-1");
  errors.replaceChildren(summary);
  const first = [...placed.keys()][0];
  (first ? first.input : summary).focus();
}
