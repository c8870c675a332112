// Settings → SIEM Integrations: where the company's audit log is forwarded (a Splunk HTTP
// Event Collector or a syslog receiver), how delivery to each is going, and the form that
// adds or edits one, with Test Connection.
//
// The token of a Splunk collector is write-only: the API answers only `hasToken`, so the form
// never shows it and an empty token field on an edit keeps the stored one. Test Connection
// sends the form's destination as it stands (with the setting's `resourceId` when editing,
// so that the stored token stands in for an empty field) and shows what the receiver said.

import { h, formatDate, statusBadge } from "../lib/dom.js";
import { api, can, searchBody, ApiFailure } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, onSubmit, setFieldError } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, refresh, say, success, failure } from "../lib/nav.js";

const BASE = "/companies/siem-settings";
const SPLUNK = 1;
const SYSLOG = 2;
const DEFAULT_VENDOR = "Keepnet Labs";
const DEFAULT_PRODUCT = "Latchkey";

const settingPath = (id) => `${BASE}/${encodeURIComponent(id)}`;

/** How delivery is going, in one cell: the state, the backlog and, when failing, why. */
function deliveryCell(d) {
  if (!d) return "";
  const facts = [`${d.backlog} waiting`,
    d.lastDeliveryTime ? `last delivered ${formatDate(d.lastDeliveryTime)}` : "nothing delivered yet"];
  return h("div", { class: "delivery" },
    statusBadge(d.state),
    h("span", { class: "hint" }, ` ${facts.join(" \u00b7 ")}`),
    d.state === "Retrying"
      ? h("p", { class: "delivery-error" },
        `Last error: ${d.lastError || "unknown"}`,
        d.nextAttemptTime ? ` \u00b7 next attempt ${formatDate(d.nextAttemptTime)}` : "")
      : null);
}

/** The delivery state of one setting, as facts (the edit page). */
function deliveryFacts(d) {
  const fact = (term, value) => [h("dt", {}, term), h("dd", {}, value)];
  const records = (n) => `${n} record${n === 1 ? "" : "s"}`;
  return h("section", { class: "section", "aria-labelledby": "siem-delivery-title" },
    h("h2", { id: "siem-delivery-title" }, "Delivery"),
    h("dl", { class: "facts", "data-delivery": d.state },
      fact("State", statusBadge(d.state)),
      fact("Backlog", `${records(d.backlog)} waiting`),
      fact("Delivered", records(d.deliveredCount)),
      fact("Last delivery", d.lastDeliveryTime ? formatDate(d.lastDeliveryTime) : "\u2014"),
      d.lastError ? fact("Last error", d.lastError) : null,
      d.lastErrorTime ? fact("Last error at", formatDate(d.lastErrorTime)) : null,
      d.failedAttempts ? fact("Failed attempts", String(d.failedAttempts)) : null,
      d.nextAttemptTime ? fact("Next attempt", formatDate(d.nextAttemptTime)) : null));
}

export async function list(root) {
  const search = searchForm("siem-search", "Search SIEM integrations", () => table.reload(1));
  const body = (page) => searchBody({ ...page, text: search.text() });
  const table = dataTable({
    caption: "SIEM integrations",
    noun: "integrations",
    empty: "No SIEM integrations yet. Add one with + NEW to forward the audit log.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post(`${BASE}/search`, body(page)),
    rowAttributes: (s) => ({ "data-siem": s.name }),
    columns: [
      {
        title: "Integration Name",
        sort: "Name",
        cell: (s) => (can("companies/siem-settings/{resourceId}|GET") ? h("a", { href: link("siem", s.resourceId) }, s.name) : s.name),
      },
      { title: "Integration Type", sort: "TypeId", cell: (s) => s.typeName },
      { title: "Status", sort: "StatusId", cell: (s) => statusBadge(s.statusName) },
      { title: "Delivery", cell: (s) => deliveryCell(s.delivery) },
      { title: "Date Created", sort: "CreateTime", cell: (s) => formatDate(s.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (s) => [
          can("companies/siem-settings/{resourceId}|GET")
            ? h("a", { href: link("siem", s.resourceId), "aria-label": `Edit ${s.name}` }, "Edit") : null,
          can("companies/siem-settings/{resourceId}|DELETE")
            ? h("button", {
              type: "button",
              class: "link danger-text",
              "aria-label": `Delete ${s.name}`,
              onclick: async () => {
                const message = await remove(s);
                if (!message) return;
                say(message);
                refresh();
              },
            }, "Delete") : null,
        ],
      },
    ],
  });
  const exporting = h("span", { class: "hint", "aria-live": "polite" });
  const exportAs = (exportType, extension) => h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      exporting.textContent = "";
      try {
        await api.download(`${BASE}/search/export`,
          { ...body({ ...table.state, pageNumber: 1 }), exportType, reportAllPages: true }, `siem-settings.${extension}`);
        exporting.textContent = "Export downloaded.";
      } catch (e) {
        exporting.textContent = `Export failed: ${e.message}`;
      }
    },
  }, `Export ${extension.toUpperCase()}`);
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "SIEM Integrations"),
      h("div", { class: "toolbar-extra" },
        can("companies/siem-settings/search/export|POST") ? [exportAs("Csv", "csv"), exportAs("Excel", "xlsx")] : null,
        can("companies/siem-settings|POST") ? h("a", { class: "button", href: "#/siem/new" }, "+ NEW") : null)),
    search.element,
    exporting,
    table.element);
  await table.reload(1);
}

/** Deletes `setting` once confirmed; the message to show, or null when not confirmed. */
async function remove(setting) {
  const sure = await confirm("Delete SIEM integration?",
    `"${setting.name}" will be deleted and nothing more is forwarded to it. This cannot be undone.`);
  if (!sure) return null;
  try {
    await api.delete(settingPath(setting.resourceId));
    return success(`SIEM integration "${setting.name}" was deleted.`);
  } catch (e) {
    return failure(e.message);
  }
}

/** A message box inside a live region (which announces it; the box itself has no role). */
function result(kind, message, details = []) {
  return h("div", { class: `notice ${kind}` },
    h("p", {}, message),
    details.length ? h("ul", {}, details.map((d) => h("li", {}, d))) : null);
}

export async function form(root, { id: resourceId = null }) {
  const editing = resourceId !== null;
  const existing = editing ? await api.get(settingPath(resourceId)) : null;
  const value = (key, fallback = "") => (existing && existing[key] !== null && existing[key] !== undefined ? existing[key] : fallback);

  const errors = h("div", { "aria-live": "assertive" });
  const name = h("input", { id: "siem-name", type: "text", maxLength: 64, required: true, value: value("name") });
  const history = h("input", { id: "siem-history", type: "checkbox", checked: Boolean(value("isForwardHistoricalAuditLog", false)) });
  const status = h("select", { id: "siem-status" },
    h("option", { value: "1", selected: value("statusId", 1) === 1 }, "Active"),
    h("option", { value: "0", selected: value("statusId", 1) === 0 }, "Inactive"));
  const type = h("select", { id: "siem-type" },
    h("option", { value: String(SPLUNK), selected: value("typeId", SPLUNK) === SPLUNK }, "Splunk"),
    h("option", { value: String(SYSLOG), selected: value("typeId", SPLUNK) === SYSLOG }, "Syslog"));

  const apiUrl = h("input", { id: "siem-apiUrl", type: "text", class: "mono", value: value("apiUrl"), placeholder: "https://splunk.example.com:8088/services/collector/event" });
  const token = h("input", { id: "siem-token", type: "password", autocomplete: "new-password", value: "" });
  const hasToken = Boolean(existing && existing.hasToken);
  const splunk = h("fieldset", { id: "siem-splunk" },
    h("legend", {}, "Splunk HTTP Event Collector"),
    field("HEC URL", apiUrl),
    field("Secret Token", token, { hint: hasToken ? "A token is set; leave empty to keep it." : "The collector's token. It is stored sealed and never shown again." }));

  const server = h("input", { id: "siem-serverAddress", type: "text", value: value("serverAddress"), placeholder: "siem.example.com" });
  const port = h("input", { id: "siem-port", type: "text", inputmode: "numeric", value: value("port") });
  const connection = h("select", { id: "siem-connectionType" },
    ["UDP", "TCP", "TLS"].map((t) => h("option", { value: t, selected: String(value("connectionType", "TCP")).toUpperCase() === t }, t)));
  const syslog = h("fieldset", { id: "siem-syslog" },
    h("legend", {}, "Syslog receiver"),
    field("Server Address", server),
    field("Port", port),
    field("Connection Type", connection, { hint: "UDP cannot confirm delivery; TCP and TLS can." }));

  const ca = h("textarea", { id: "siem-caCertificate", rows: 6, class: "mono", spellcheck: "false" });
  ca.value = value("caCertificate");
  const caField = field("CA certificate (PEM, optional)", ca,
    { hint: "The certificate of the CA that signs the receiver's certificate. Empty: the public web roots." });

  const vendor = h("input", { id: "siem-cefVendor", type: "text", maxLength: 63, value: value("cefVendor", DEFAULT_VENDOR) });
  const product = h("input", { id: "siem-cefProduct", type: "text", maxLength: 63, value: value("cefProduct", DEFAULT_PRODUCT) });
  const advanced = h("details", { class: "advanced" },
    h("summary", {}, "Advanced: CEF header"),
    field("CEF Device Vendor", vendor, { hint: `Rules written for the platform match on "${DEFAULT_VENDOR}".` }),
    field("CEF Device Product", product));

  // Only the chosen type's fields are shown (hidden ones are out of the tab order too); the CA
  // applies to TLS syslog and to an https collector.
  const sync = () => {
    const isSplunk = Number(type.value) === SPLUNK;
    splunk.hidden = !isSplunk;
    syslog.hidden = isSplunk;
    caField.hidden = !(isSplunk || connection.value === "TLS");
  };
  type.addEventListener("change", sync);
  connection.addEventListener("change", sync);
  sync();

  /** The destination as the form has it: what is saved and what Test Connection tries. */
  const destination = () => {
    const typeId = Number(type.value);
    const shown = !caField.hidden && ca.value.trim() ? ca.value.trim() : null;
    return typeId === SPLUNK
      ? { typeId, apiUrl: apiUrl.value.trim(), token: token.value || null, caCertificate: shown }
      : { typeId, serverAddress: server.value.trim(), port: port.value.trim(), connectionType: connection.value, caCertificate: shown };
  };

  const testResult = h("div", { id: "siem-test-result", class: "test-result", "aria-live": "polite" });
  let testing = false;
  const testButton = h("button", {
    type: "button",
    id: "siem-test",
    class: "secondary",
    onclick: async () => {
      // Not disabled while it runs: a disabled button would drop the keyboard focus.
      if (testing) return;
      testing = true;
      testButton.setAttribute("aria-busy", "true");
      testResult.replaceChildren(result("info", "Sending a test event\u2026"));
      try {
        const request = { ...destination(), ...(editing ? { resourceId } : {}) };
        const answer = await api.bare("POST", `${BASE}/test`, request);
        if (answer.isSuccess === false) throw new ApiFailure(400, answer);
        testResult.replaceChildren(result("success", answer.message || "The test event was sent."));
      } catch (e) {
        const reasons = e.messages || [];
        testResult.replaceChildren(result("error",
          reasons.length ? "The connection test failed." : `The connection test failed: ${e.message}`, reasons));
      } finally {
        testing = false;
        testButton.removeAttribute("aria-busy");
      }
    },
  }, "Test Connection");

  const remover = editing && can("companies/siem-settings/{resourceId}|DELETE")
    ? h("button", {
      type: "button",
      class: "danger",
      onclick: async () => {
        const message = await remove(existing);
        if (message && message.kind === "success") go("#/siem", message);
        else if (message) errors.replaceChildren(result("error", message.message));
      },
    }, "Delete")
    : null;

  const form = h("form", { class: "card" },
    errors,
    field("Integration Name", name),
    h("div", { class: "field" },
      h("label", { class: "choice", for: history.id }, history, "History Logs"),
      h("p", { class: "hint", id: "siem-history-hint" }, "Forward the whole existing audit log, not only what is recorded from now on.")),
    field("Status", status, { hint: "Inactive pauses forwarding; nothing is skipped when it resumes." }),
    field("Integration Type", type),
    splunk,
    syslog,
    caField,
    advanced,
    h("div", { class: "buttons" },
      h("button", { type: "submit", id: "siem-save" }, editing ? "Save" : "Create"),
      can("companies/siem-settings/test|POST") ? testButton : null,
      h("a", { class: "button secondary", href: "#/siem" }, "Cancel"),
      remover),
    testResult);
  history.setAttribute("aria-describedby", "siem-history-hint");

  onSubmit(form, {
    errors,
    fields: () => [
      { input: name, names: ["name", "Integration Name"] },
      { input: history, names: ["isForwardHistoricalAuditLog", "History Logs"] },
      { input: status, names: ["statusId", "Status"] },
      { input: type, names: ["typeId", "Integration Type"] },
      { input: apiUrl, names: ["apiUrl", "HEC URL"] },
      { input: token, names: ["token", "Secret Token"] },
      { input: server, names: ["serverAddress", "Server Address"] },
      { input: port, names: ["port", "Port"] },
      { input: connection, names: ["connectionType", "Connection Type"] },
      { input: ca, names: ["caCertificate", "CA certificate"] },
      { input: vendor, names: ["cefVendor", "CEF Device Vendor"] },
      { input: product, names: ["cefProduct", "CEF Device Product"] },
    ],
    check: () => (name.value.trim() ? [] : [{ input: name, message: "Integration name is required" }]),
    submit: async () => {
      const payload = {
        name: name.value.trim(),
        statusId: Number(status.value),
        isForwardHistoricalAuditLog: history.checked,
        ...destination(),
        cefVendor: vendor.value.trim() || null,
        cefProduct: product.value.trim() || null,
      };
      try {
        if (editing) await api.put(settingPath(resourceId), payload);
        else await api.post(BASE, payload);
      } catch (e) {
        // A message about the CEF fields must be seen at them: open the section they are in.
        if (e instanceof ApiFailure && e.messages.some((m) => /cef(Vendor|Product)/.test(m))) advanced.open = true;
        throw e;
      }
      go("#/siem", success(`SIEM integration "${payload.name}" was ${editing ? "saved" : "created"}.`));
    },
  });
  // A field marked by a refused save is cleared once it is changed, and so is a test result
  // about a destination that is no longer the one in the form.
  for (const input of [type, apiUrl, token, server, port, connection, ca]) {
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => {
      if (input.getAttribute("aria-invalid")) setFieldError(input, null);
      testResult.replaceChildren();
    });
  }

  root.append(
    h("p", {}, h("a", { href: "#/siem" }, "\u2190 SIEM Integrations")),
    h("h1", {}, editing ? `Edit SIEM integration ${existing.name}` : "New SIEM integration"),
    form);
  if (existing) root.append(deliveryFacts(existing.delivery));
  name.focus();
}
