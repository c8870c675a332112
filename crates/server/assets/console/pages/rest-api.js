// Settings → REST API: the company's API clients, and the form that creates one
// (showing its secret once) or edits one.

import { h, notice, formatDate, statusBadge } from "../lib/dom.js";
import { api, searchBody } from "../lib/api.js";
import { dataTable } from "../lib/table.js";
import { field, setFieldError, onSubmit } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, refresh, say, success, failure } from "../lib/nav.js";

export async function list(root) {
  const table = dataTable({
    caption: "REST API clients",
    noun: "clients",
    empty: "No REST API clients yet.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post("/companies/clients/search", searchBody(page)),
    rowAttributes: (c) => ({ "data-client": c.clientId }),
    columns: [
      { title: "Client Name", sort: "Name", cell: (c) => c.clientName },
      { title: "API Key", class: "mono", cell: (c) => c.clientId },
      { title: "Status", cell: (c) => statusBadge(c.statusName || (c.statusId === 1 ? "Active" : "Inactive")) },
      { title: "Date Created", sort: "CreateTime", cell: (c) => formatDate(c.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (c) => [
          h("a", { href: link("rest-api", c.resourceId), "aria-label": `Edit ${c.clientName}` }, "Edit"),
          h("button", { type: "button", class: "link danger-text", "aria-label": `Delete ${c.clientName}`, onclick: () => remove(c) }, "Delete"),
        ],
      },
    ],
  });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "REST API"),
      h("a", { class: "button", href: "#/rest-api/new" }, "+ NEW")),
    table.element);
  await table.reload(1);
}

async function remove(client) {
  const sure = await confirm("Delete client?",
    `"${client.clientName}" will be deleted and its tokens stop working at once. This cannot be undone.`);
  if (!sure) return;
  try {
    await api.delete(`/companies/clients/${encodeURIComponent(client.resourceId)}`);
    say(success(`Client "${client.clientName}" was deleted.`));
  } catch (e) {
    say(failure(e.message));
  }
  refresh();
}

/** Why `text` is not an IPv4/IPv6 address or CIDR range, or null when it is one. */
function ipError(text) {
  const value = text.trim();
  if (!value) return "Enter an IP address or range, or remove this row";
  const parts = value.split("/");
  if (parts.length > 2) return "Invalid ip address";
  const [address, prefix] = parts;
  let bits;
  const octets = address.split(".");
  if (octets.length === 4 && octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255)) {
    bits = 32;
  } else if (address.includes(":") && isIpv6(address)) {
    bits = 128;
  } else {
    return "Invalid ip address";
  }
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)) return "Invalid ip address";
  return null;
}

function isIpv6(address) {
  if (!/^[0-9A-Fa-f:.]+$/.test(address)) return false;
  try {
    new URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}

export async function form(root, { id: resourceId = null }) {
  const editing = resourceId !== null;
  const [roles, existing] = await Promise.all([
    api.get("/roles"),
    editing ? api.get(`/companies/clients/${encodeURIComponent(resourceId)}`) : Promise.resolve(null),
  ]);
  const errors = h("div", { "aria-live": "assertive" });
  const name = h("input", { id: "client-name", type: "text", maxLength: 64, required: true, value: existing ? existing.name : "" });
  const clientIdInput = h("input", { id: "client-id", type: "text", readOnly: true, value: existing ? existing.clientId : "", class: "mono" });
  const secretInput = h("input", { id: "client-secret", type: "text", readOnly: true, value: "", class: "mono", placeholder: editing ? "Hidden (shown only when generated)" : "" });
  const copyStatus = h("span", { "aria-live": "polite", class: "hint" });
  const secretWarning = h("div", { hidden: true });
  let secret = null;

  const generate = h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      try {
        const credentials = await api.get("/companies/clients/generate-client-credentials");
        if (!editing) clientIdInput.value = credentials.clientId;
        secret = credentials.clientSecret;
        secretInput.value = secret;
        secretWarning.hidden = false;
        secretWarning.replaceChildren(notice("warning",
          "Copy the client secret now and keep it somewhere safe. It is shown only this once: it cannot be viewed again after you leave this page."));
        setFieldError(clientIdInput, null);
      } catch (e) {
        errors.replaceChildren(notice("error", e.message, e.messages));
      }
    },
  }, editing ? "Generate New Client Secret" : "Generate Client Credentials");
  const copy = h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      if (!secretInput.value) return;
      try {
        await navigator.clipboard.writeText(secretInput.value);
        copyStatus.textContent = "Copied to the clipboard.";
      } catch {
        secretInput.select();
        copyStatus.textContent = "Select the secret and copy it.";
      }
    },
  }, "Copy");

  // IP restriction: a list of addresses or ranges, each checked as it is typed.
  const restricted = existing ? existing.hasIpAddressRestriction : false;
  const allowAll = h("input", { type: "radio", name: "ip-restriction", id: "ip-all", value: "all", checked: !restricted });
  const restrict = h("input", { type: "radio", name: "ip-restriction", id: "ip-restrict", value: "restrict", checked: restricted });
  const ipList = h("div", { id: "ip-list" });
  let ipCounter = 0;
  const addIpRow = (value = "") => {
    ipCounter += 1;
    const id = `ip-${ipCounter}`;
    const input = h("input", {
      id, type: "text", class: "mono ip-input", value, placeholder: "203.0.113.7 or 10.0.0.0/24",
      onblur: () => setFieldError(input, ipError(input.value)),
      oninput: () => { if (input.getAttribute("aria-invalid")) setFieldError(input, ipError(input.value)); },
    });
    const row = h("div", { class: "ip-row" },
      h("label", { for: id, class: "visually-hidden" }, `IP address ${ipCounter}`),
      h("div", { class: "inline" }, input,
        h("button", { type: "button", class: "secondary", "aria-label": `Remove IP address ${ipCounter}`, onclick: () => row.remove() }, "Remove")));
    ipList.append(row);
    return input;
  };
  for (const ip of (existing && existing.allowedIpAddresses) || []) addIpRow(ip);
  const addIp = h("button", { type: "button", class: "secondary", onclick: () => addIpRow().focus() }, "Add IP Address");
  const ipDetails = h("div", { hidden: !restricted }, ipList, addIp);
  const syncIp = () => {
    ipDetails.hidden = !restrict.checked;
    if (restrict.checked && ipList.children.length === 0) addIpRow();
  };
  allowAll.addEventListener("change", syncIp);
  restrict.addEventListener("change", syncIp);
  const ipInputs = () => [...ipList.querySelectorAll("input")];

  const chosen = new Set((existing && existing.roleResourceIdList) || []);
  const roleBoxes = roles.map((r) => h("input", { type: "checkbox", name: "role", value: r.resourceId, id: `role-${r.resourceId}`, checked: chosen.has(r.resourceId) }));
  const status = h("select", { id: "client-status" },
    h("option", { value: "1", selected: !existing || existing.statusId === 1 }, "Active"),
    h("option", { value: "0", selected: existing && existing.statusId === 0 }, "Inactive"));

  const form = h("form", { class: "card" },
    errors,
    field("Client Name", name),
    h("div", { class: "field" }, generate),
    field("Client ID", clientIdInput),
    h("div", { class: "field" }, h("label", { for: "client-secret" }, "Client Secret"),
      h("div", { class: "inline" }, secretInput, copy), copyStatus),
    secretWarning,
    h("fieldset", {},
      h("legend", {}, "IP Restriction"),
      h("label", { class: "choice", for: "ip-all" }, allowAll, "Allow all IPs"),
      h("label", { class: "choice", for: "ip-restrict" }, restrict, "Restrict by IP address"),
      ipDetails),
    h("fieldset", {},
      h("legend", {}, "Client Role"),
      roleBoxes.length ? roleBoxes.map((box, i) => h("label", { class: "choice", for: box.id }, box, roles[i].name))
        : h("p", { class: "muted" }, "No roles are available to this company.")),
    field("Status", status),
    h("div", { class: "buttons" },
      h("button", { type: "submit" }, editing ? "Save" : "Create"),
      h("a", { class: "button secondary", href: "#/rest-api" }, "Cancel")));

  onSubmit(form, {
    errors,
    fields: () => [
      { input: name, names: ["name", "Client Name"] },
      { input: clientIdInput, names: ["clientId", "Client ID"] },
      { input: secretInput, names: ["clientSecret", "Client Secret"] },
      { input: status, names: ["statusId", "Status"] },
      ...(roleBoxes.length ? [{ input: roleBoxes[0], names: ["Role", "roleResourceIdList"] }] : []),
      // "Invalid ip address: 300.1.2.3" belongs to the row holding that address.
      ...ipInputs().map((input) => ({ input, names: [input.value.trim()] })),
    ],
    check: () => {
      const problems = [];
      if (!name.value.trim()) problems.push({ input: name, message: "Client name is required" });
      if (!editing && !secret) problems.push({ input: clientIdInput, message: "Generate client credentials first" });
      if (restrict.checked) {
        for (const input of ipInputs()) {
          const message = ipError(input.value);
          if (message) problems.push({ input, message });
        }
      }
      if (roleBoxes.length && !roleBoxes.some((b) => b.checked)) problems.push({ input: roleBoxes[0], message: "Role should be selected" });
      return problems;
    },
    submit: async () => {
      const payload = {
        name: name.value.trim(),
        clientId: clientIdInput.value,
        clientSecret: secret,
        statusId: Number(status.value),
        hasIpAddressRestriction: restrict.checked,
        allowedIpAddresses: restrict.checked ? ipInputs().map((i) => i.value.trim()) : [],
        roleResourceIdList: roleBoxes.filter((b) => b.checked).map((b) => b.value),
      };
      if (editing) await api.put(`/companies/clients/${encodeURIComponent(resourceId)}`, payload);
      else await api.post("/companies/clients", payload);
      go("#/rest-api", success(`Client "${payload.name}" was ${editing ? "saved" : "created"}.`));
    },
  });
  root.append(h("h1", {}, editing ? "Edit REST API client" : "New REST API client"), form);
  name.focus();
}
