// Settings → SCIM Settings: the company's SCIM integrations, through which an identity provider
// (Entra ID, Okta, OneLogin, …) provisions target users and groups.
//
// Creating one asks for a name, optional field mappings (an IdP attribute written to a custom
// field), an optional target group and an optional Group By; the answer is the token and the
// SCIM base URL, shown once with copy buttons. The detail page renames, revokes (a new token,
// shown once; the old one stops at once) and deletes.

import { h, notice, formatDate } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable } from "../lib/table.js";
import { field, onSubmit, setFieldError, uid } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, say, success, failure } from "../lib/nav.js";
import { ownerTypeName } from "../lib/people.js";

const path = (id) => `/scim/${encodeURIComponent(id)}`;

/** The department's id in `GET /api/scim/fields`: Group By offers it without a mapping. */
const DEPARTMENT = "scimFld00021";

export async function list(root) {
  const table = dataTable({
    caption: "SCIM integrations",
    noun: "integrations",
    empty: "No SCIM integrations yet. Create one to let your identity provider provision target users.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post("/scim/search", searchBody(page)),
    rowAttributes: (s) => ({ "data-scim": s.name }),
    columns: [
      { title: "Name", sort: "Name", cell: (s) => h("a", { href: link("scim", s.resourceId) }, s.name) },
      { title: "Target Group", cell: (s) => s.groupName || "People (no group)" },
      { title: "Group By", cell: (s) => s.groupByCustomFieldName || "" },
      { title: "Date Created", sort: "CreateTime", cell: (s) => formatDate(s.createTime) },
    ],
  });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "SCIM Settings"),
      can("scim|POST") ? h("a", { class: "button", href: "#/scim/new" }, "+ NEW") : null),
    h("p", { class: "muted" },
      "Email, first and last name, department and phone number always synchronize. Removing a user from the identity provider's application makes the target user Inactive; deleting it there deletes it here."),
    table.element);
  await table.reload(1);
}

/** The token and base URL of an integration, each with a copy button, and why to copy now. */
function handover({ token, baseUrl }, intro) {
  const status = h("span", { "aria-live": "polite", class: "hint", id: "scim-copy-status" });
  const row = (label, id, value) => {
    const input = h("input", { id, type: "text", readOnly: true, class: "mono", value });
    const copy = h("button", {
      type: "button",
      class: "secondary",
      "aria-label": `Copy ${label}`,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(value);
          status.textContent = `${label} copied to the clipboard.`;
        } catch {
          input.select();
          status.textContent = `Select the ${label.toLowerCase()} and copy it.`;
        }
      },
    }, "Copy");
    return h("div", { class: "field" }, h("label", { for: id }, label), h("div", { class: "inline" }, input, copy));
  };
  return h("section", { class: "card", id: "scim-handover", "aria-labelledby": "scim-handover-title" },
    h("h2", { id: "scim-handover-title" }, "Provisioning settings"),
    h("p", {}, intro),
    row("SCIM Base URL", "scim-base-url", baseUrl),
    row("Secret Token", "scim-token", token),
    status,
    notice("warning", "Copy the secret token now: it is shown only this once. If it is lost, revoke it to issue a new one."));
}

export async function form(root) {
  const [fields, customFields, groups] = await Promise.all([
    api.get("/scim/fields"),
    can("custom-fields/company|GET") ? api.get("/custom-fields/company") : Promise.resolve([]),
    can("target-groups|GET") ? api.get("/target-groups") : Promise.resolve([]),
  ]);
  const attributes = (fields && fields.fields) || [];
  const userFields = (customFields || []).filter((f) => ownerTypeName(f.ownerType) === "TargetUser" && f.isActive !== false);
  const errors = h("div", { "aria-live": "assertive" });
  const name = h("input", { id: "scim-name", type: "text", maxLength: 30, required: true });
  const group = h("select", { id: "scim-group" },
    h("option", { value: "" }, "None: users stay under People"),
    (groups || []).map((g) => h("option", { value: g.resourceId }, g.name)));
  const groupBy = h("select", { id: "scim-group-by" });
  const sync = h("input", { id: "scim-sync", type: "checkbox" });

  // Field mappings: rows of (IdP attribute, custom field).
  const mappingBody = h("tbody", {});
  const mappings = [];
  const attributeName = (id) => (attributes.find((a) => a.resourceId === id) || {}).name || id;
  const refreshGroupBy = () => {
    const kept = groupBy.value;
    const mapped = mappings.filter((m) => m.attribute.value && m.attribute.value !== DEPARTMENT);
    groupBy.replaceChildren(
      h("option", { value: "" }, "No Group By"),
      h("option", { value: DEPARTMENT }, "Department"),
      ...mapped.map((m) => h("option", { value: m.attribute.value },
        `${m.custom.selectedOptions[0] ? m.custom.selectedOptions[0].textContent : ""} (${attributeName(m.attribute.value)})`)));
    groupBy.value = [...groupBy.options].some((o) => o.value === kept) ? kept : "";
  };
  const addMapping = () => {
    const n = mappings.length + 1;
    const attribute = h("select", { id: uid("scim-attribute"), onchange: refreshGroupBy },
      h("option", { value: "" }, "Choose an attribute"),
      attributes.map((a) => h("option", { value: a.resourceId }, a.name)));
    const custom = h("select", { id: uid("scim-custom-field"), onchange: refreshGroupBy },
      h("option", { value: "" }, "Choose a custom field"),
      userFields.map((f) => h("option", { value: f.resourceId }, f.name)));
    const mapping = { attribute, custom };
    const tr = h("tr", {},
      h("td", {}, h("label", { for: attribute.id, class: "visually-hidden" }, `Identity provider attribute ${n}`), attribute),
      h("td", {}, h("label", { for: custom.id, class: "visually-hidden" }, `Custom field ${n}`), custom),
      h("td", { class: "actions" }, h("button", {
        type: "button",
        class: "secondary",
        "aria-label": `Remove mapping ${n}`,
        onclick: () => {
          mappings.splice(mappings.indexOf(mapping), 1);
          tr.remove();
          refreshGroupBy();
        },
      }, "Remove")));
    mappings.push(mapping);
    mappingBody.append(tr);
    refreshGroupBy();
    return attribute;
  };
  refreshGroupBy();
  const mappingTable = h("table", { class: "mappings" },
    h("caption", { class: "visually-hidden" }, "Field mappings"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Identity provider attribute"),
      h("th", { scope: "col" }, "Custom field"),
      h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Action")))),
    mappingBody);
  const addButton = h("button", { type: "button", class: "secondary", onclick: () => addMapping().focus() }, "Add Field Mapping");

  const result = h("div", {});
  const form = h("form", { class: "card" },
    errors,
    field("Integration Name", name, { hint: "1 to 30 characters, unique in the company." }),
    h("fieldset", {},
      h("legend", {}, "Field Mappings"),
      userFields.length
        ? [mappingTable, addButton]
        : h("p", { class: "muted" }, "The company has no custom fields to fill: add them under Custom Fields first.")),
    field("Target Group", group, { hint: "The group provisioned users join." }),
    field("Group By", groupBy, { hint: "One target group per department, or per value of a mapped field; users without a value join the target group." }),
    h("div", { class: "field" }, h("label", { class: "choice", for: sync.id }, sync, "Synchronize groups with the identity management platform (Okta Push Groups)")),
    h("div", { class: "buttons" },
      h("button", { type: "submit" }, "Create"),
      h("a", { class: "button secondary", href: "#/scim" }, "Cancel")));

  onSubmit(form, {
    errors,
    fields: () => [
      { input: name, names: ["name", "Name", "Integration Name"] },
      { input: group, names: ["groupResourceId", "Target group"] },
      { input: groupBy, names: ["groupBySCIMFieldResourceId", "Group By"] },
      ...mappings.flatMap((m) => [
        { input: m.attribute, names: [m.attribute.value, m.attribute.value && attributeName(m.attribute.value)].filter(Boolean) },
        { input: m.custom, names: m.custom.value ? [m.custom.value] : [] },
      ]),
    ],
    check: () => {
      const problems = [];
      if (!name.value.trim()) problems.push({ input: name, message: "Integration name is required" });
      const seen = new Set();
      for (const m of mappings) {
        if (!m.attribute.value) problems.push({ input: m.attribute, message: "Choose an attribute, or remove this mapping" });
        else if (seen.has(m.attribute.value)) problems.push({ input: m.attribute, message: "This attribute is mapped already" });
        seen.add(m.attribute.value);
        if (!m.custom.value) problems.push({ input: m.custom, message: "Choose a custom field, or remove this mapping" });
      }
      return problems;
    },
    submit: async () => {
      const payload = {
        name: name.value.trim(),
        groupResourceId: group.value || null,
        groupBySCIMFieldResourceId: groupBy.value || null,
        fieldMappings: mappings.map((m) => ({ scimFieldResourceId: m.attribute.value, customFieldResourceId: m.custom.value })),
        syncPlatformGroup: sync.checked,
      };
      const created = await api.post("/scim", payload);
      // What the identity provider needs replaces the form: the token is never shown again.
      form.remove();
      result.replaceChildren(
        notice("success", `SCIM integration "${payload.name}" was created.`),
        handover(created, "Enter these in the identity provider's provisioning settings (Tenant URL and Secret Token in Entra ID; SCIM connector base URL and API token in Okta)."),
        h("div", { class: "buttons" }, h("a", { class: "button", href: "#/scim", id: "scim-done" }, "Done")));
      document.getElementById("scim-token").focus();
    },
  });
  root.append(h("h1", {}, "New SCIM integration"), result, form);
  name.focus();
}

export async function detail(root, { id }) {
  const s = await api.get(path(id));
  const errors = h("div", { "aria-live": "assertive" });
  const result = h("div", {});
  const name = h("input", { id: "scim-name", type: "text", maxLength: 30, required: true, value: s.name });
  const canEdit = can("scim/{resourceId}|PUT");
  name.readOnly = !canEdit;
  const rename = h("form", { class: "card" },
    errors,
    field("Integration Name", name),
    canEdit ? h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save")) : null);
  onSubmit(rename, {
    errors,
    fields: () => [{ input: name, names: ["name", "Name"] }],
    check: () => (name.value.trim() ? [] : [{ input: name, message: "Integration name is required" }]),
    submit: async () => {
      await api.put(path(id), { name: name.value.trim() });
      go("#/scim", success(`SCIM integration "${name.value.trim()}" was saved.`));
    },
  });
  const facts = h("dl", { class: "facts" },
    h("dt", {}, "SCIM Base URL"), h("dd", { class: "mono" }, s.baseUrl || ""),
    h("dt", {}, "Target Group"), h("dd", {}, s.groupName || "People (no group)"),
    h("dt", {}, "Group By"), h("dd", {}, s.groupByCustomFieldName || "None"),
    h("dt", {}, "Synchronize groups"), h("dd", {}, s.syncPlatformGroup ? "Yes" : "No"),
    h("dt", {}, "Field mappings"),
    h("dd", {}, (s.mappingDetails || []).length
      ? h("ul", {}, s.mappingDetails.map((m) => h("li", {}, h("span", { class: "mono" }, m.scimPath), " \u2192 ", m.customFieldName)))
      : "None"));
  const revoke = can("scim/{resourceId}/revoke|POST") ? h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      const sure = await confirm("Revoke the token?",
        `The identity provider's current token for "${s.name}" stops working at once. A new token is shown once; enter it in the identity provider.`, "Revoke");
      if (!sure) return;
      try {
        const answer = await api.post(`${path(id)}/revoke`, {});
        const fresh = (answer && answer.results && answer.results[0]) || answer;
        result.replaceChildren(
          notice("success", "The token was revoked; this is the new one."),
          handover(fresh, "Enter the new token in the identity provider's provisioning settings."));
        document.getElementById("scim-token").focus();
      } catch (e) {
        result.replaceChildren(notice("error", e.message, e.messages));
      }
    },
  }, "Revoke Token") : null;
  const remove = can("scim/{resourceId}|DELETE") ? h("button", {
    type: "button",
    class: "danger",
    onclick: async () => {
      const sure = await confirm("Delete the integration?",
        `"${s.name}" will be deleted and its token refused from then on. The target users and groups it provisioned stay.`);
      if (!sure) return;
      try {
        await api.delete(path(id));
        go("#/scim", success(`SCIM integration "${s.name}" was deleted.`));
      } catch (e) {
        say(failure(e.message));
        go("#/scim");
      }
    },
  }, "Delete") : null;
  root.append(
    h("h1", {}, s.name),
    result,
    rename,
    h("section", { class: "card", "aria-labelledby": "scim-facts" }, h("h2", { id: "scim-facts" }, "Settings"), facts),
    h("div", { class: "page-actions" }, revoke, remove, h("a", { class: "button secondary", href: "#/scim" }, "Back to SCIM Settings")));
  setFieldError(name, null);
}
