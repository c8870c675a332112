// Modal dialogs on the native `<dialog>`: it traps the focus, closes on Escape and gives the
// focus back to what opened it.

import { h } from "./dom.js";
import { uid } from "./form.js";

/**
 * Opens a modal with `title` and `content`; `buttons(close)` gives its buttons. Resolves with
 * the value passed to `close` (undefined on Escape or Cancel).
 */
export function modal(title, content, buttons, { wide = false } = {}) {
  return new Promise((resolve) => {
    const titleId = uid("dialog-title");
    let result;
    const close = (value) => {
      result = value;
      dialog.close();
    };
    const dialog = h("dialog", { "aria-labelledby": titleId, class: wide ? "wide" : undefined },
      h("h2", { id: titleId }, title),
      content,
      h("div", { class: "buttons" }, buttons(close)));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Asks to confirm a destructive action; resolves true when confirmed. */
export async function confirm(title, message, action = "Delete") {
  const answer = await modal(title, h("p", {}, message), (close) => [
    h("button", { type: "button", class: "secondary", onclick: () => close(false) }, "Cancel"),
    h("button", { type: "button", class: "danger", onclick: () => close(true) }, action),
  ]);
  return answer === true;
}
