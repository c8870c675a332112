// Targets → Custom Fields: the typed attributes a company adds to its target users (or to the
// users of one target group). One form holds them all and saves them with
// `POST /api/custom-fields/bulk-update`, which creates the new rows, updates the others and
// deletes the fields left out: so removing a row asks first, as the values go with it.

import { h, notice } from "../lib/dom.js";
import { api, can } from "../lib/api.js";
import { setFieldError, showFailure, uid } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { clearFlash, go, success } from "../lib/nav.js";
import { DATA_TYPES, companyCustomFields, dataTypeName, ownerTypeName } from "../lib/people.js";

export async function manage(root) {
  const [fields, groups] = await Promise.all([
    companyCustomFields(),
    can("target-groups|GET") ? api.get("/target-groups") : Promise.resolve([]),
  ]);
  const groupName = new Map((groups || []).map((g) => [g.resourceId, g.name]));
  const editable = can("custom-fields/bulk-update|POST");
  const errors = h("div", { "aria-live": "assertive" });
  const body = h("tbody", {});
  const rows = [];

  const addRow = (f) => {
    const n = rows.length + 1;
    const label = (text, input) => [h("label", { for: input.id, class: "visually-hidden" }, `${text} of field ${n}`), input];
    const name = h("input", { id: uid("cf-name"), type: "text", maxLength: 64, value: f.name || "", disabled: !editable });
    const type = h("select", { id: uid("cf-type"), disabled: !editable || Boolean(f.resourceId) },
      DATA_TYPES.map((t) => h("option", { value: t, selected: dataTypeName(f.fieldDataType) === t }, t)));
    const owner = h("select", { id: uid("cf-owner"), disabled: !editable || Boolean(f.resourceId) },
      h("option", { value: "" }, "All target users"),
      [...groupName].map(([id, gName]) => h("option", { value: id, selected: f.targetGroupResourceId === id }, `Group: ${gName}`)));
    if (f.targetGroupResourceId && !groupName.has(f.targetGroupResourceId)) {
      owner.append(h("option", { value: f.targetGroupResourceId, selected: true }, "A target group"));
    }
    const required = h("input", { id: uid("cf-required"), type: "checkbox", checked: Boolean(f.isRequired), disabled: !editable });
    const active = h("input", { id: uid("cf-active"), type: "checkbox", checked: f.isActive !== false, disabled: !editable });
    const row = { field: f, name, type, owner, required, active, removed: false };
    const tr = h("tr", { "data-field": f.name || "" },
      h("td", {}, label("Name", name)),
      h("td", {}, label("Data type", type)),
      h("td", {}, label("Applies to", owner)),
      h("td", {}, label("Required", required)),
      h("td", {}, label("Active", active)),
      h("td", { class: "actions" }, editable ? h("button", {
        type: "button",
        class: "link danger-text",
        "aria-label": `Remove field ${n}`,
        onclick: () => {
          row.removed = true;
          tr.remove();
        },
      }, "Remove") : null));
    rows.push(row);
    body.append(tr);
    return row;
  };
  for (const f of fields) addRow(f);

  const form = h("form", { class: "card" },
    errors,
    h("table", {},
      h("caption", { class: "visually-hidden" }, "Custom fields"),
      h("thead", {}, h("tr", {}, ["Name", "Data Type", "Applies To", "Required", "Active", "Action"].map((t) => h("th", { scope: "col" }, t)))),
      body),
    h("p", { class: "hint" }, "A required field must be filled in for every user added, edited or imported. The data type and whose field it is cannot change once saved."),
    editable ? h("div", { class: "buttons" },
      h("button", {
        type: "button",
        class: "secondary",
        onclick: () => {
          addRow({}).name.focus();
        },
      }, "Add Field"),
      h("button", { type: "submit" }, "Save Fields")) : null);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFlash();
    errors.replaceChildren();
    const kept = rows.filter((r) => !r.removed);
    for (const r of kept) setFieldError(r.name, null);
    const blank = kept.find((r) => !r.name.value.trim());
    if (blank) {
      setFieldError(blank.name, "Name is required");
      blank.name.focus();
      return;
    }
    const dropped = rows.filter((r) => r.removed && r.field.resourceId);
    if (dropped.length && !(await confirm("Delete custom fields?",
      `${dropped.map((r) => r.field.name).join(", ")} will be deleted with every user's value of ${dropped.length > 1 ? "them" : "it"}.`))) return;
    const payload = {
      targetUserCustomFields: kept.map((r, i) => ({
        resourceId: r.field.resourceId || null,
        name: r.name.value.trim(),
        ownerType: r.owner.value ? "TargetGroup" : ownerTypeName(r.field.ownerType ?? "TargetUser"),
        fieldDataType: r.type.value,
        targetGroupResourceId: r.owner.value || null,
        isActive: r.active.checked,
        isRequired: r.required.checked,
        sortOrder: i + 1,
      })),
    };
    try {
      await api.post("/custom-fields/bulk-update", payload);
      go("#/custom-fields", success("Custom fields were saved."));
    } catch (err) {
      showFailure(errors, err, kept.map((r) => ({ input: r.name, names: [r.name.value.trim()] })));
    }
  });

  root.append(h("h1", {}, "Custom Fields"),
    fields.length || editable ? form : notice("warning", "No custom fields."));
}
