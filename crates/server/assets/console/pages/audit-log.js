// Settings → Audit Log: every change recorded in the company's log, newest first, with free
// text, operation, entity and date filters, and the filtered log exported as CSV or Excel.
//
// The values before and after a change are JSON (redacted by the server). A long one is shown
// cut short, with the whole value, pretty-printed, behind a disclosure (`<details>`): a
// native control that the keyboard and screen readers know, and nothing to open or close.

import { h, formatDate } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";

const OPERATIONS = ["Create", "Update", "Delete", "CreateMany", "UpdateMany", "DeleteMany"];
/** Characters of a value shown before it is cut short. */
const SHORT = 60;

/** `value` pretty-printed when it is JSON, as it came otherwise. */
function pretty(value) {
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/**
 * A cell for a long text: whole when short, otherwise its start in a `<summary>` that opens
 * the whole value. `what` names the value for a screen reader ("New value of Create SiemSetting").
 */
function longText(value, what, { json = false, limit = SHORT } = {}) {
  if (value === null || value === undefined || value === "") return "";
  const text = String(value);
  if (text.length <= limit) return h("span", { class: json ? "mono" : undefined }, text);
  return h("details", { class: "long-value" },
    h("summary", {},
      h("span", { class: json ? "mono" : undefined }, `${text.slice(0, limit)}\u2026`),
      h("span", { class: "visually-hidden" }, ` Show the whole ${what}`)),
    h("pre", { class: "mono" }, json ? pretty(text) : text));
}

export async function list(root) {
  const operation = h("select", { id: "audit-operation" },
    h("option", { value: "" }, "Any"),
    OPERATIONS.map((o) => h("option", { value: o }, o)));
  const entity = h("input", { id: "audit-entity", type: "text", placeholder: "TargetUser" });
  const from = h("input", { id: "audit-from", type: "date" });
  const to = h("input", { id: "audit-to", type: "date" });
  for (const control of [operation, from, to]) control.addEventListener("change", () => table.reload(1));
  const labelled = (label, input) => h("div", {}, h("label", { for: input.id }, label), input);
  const search = searchForm("audit-search", "Search the audit log", () => table.reload(1),
    labelled("Operation", operation),
    labelled("Entity Name", entity),
    labelled("Logged from (UTC)", from),
    labelled("Logged until (UTC)", to));

  /** The filter as the search engine takes it; a date alone stands for its whole day. */
  const filterItems = () => {
    const items = [];
    if (operation.value) items.push({ fieldName: "Operation", operator: "=", value: operation.value });
    if (entity.value.trim()) items.push({ fieldName: "EntityName", operator: "Contains", value: entity.value.trim() });
    if (from.value) items.push({ fieldName: "LogDate", operator: ">=", value: from.value });
    if (to.value) items.push({ fieldName: "LogDate", operator: "<=", value: to.value });
    return items;
  };
  const body = (page) => searchBody({ ...page, text: search.text(), filterItems: filterItems() });
  const label = (r) => `${r.operation} ${r.entityName}`;
  const table = dataTable({
    caption: "Audit log",
    noun: "records",
    empty: "No audit records match.",
    orderBy: "LogDate",
    ascending: false,
    load: (page) => api.post("/audit-logs/search", body(page)),
    rowAttributes: (r) => ({ "data-log": r.resourceId, "data-entity": r.entityName, "data-operation": r.operation }),
    columns: [
      { title: "Log Date", sort: "LogDate", cell: (r) => formatDate(r.logDate) },
      { title: "User Name", sort: "UserName", cell: (r) => r.userName },
      { title: "Entity Name", sort: "EntityName", cell: (r) => r.entityName },
      { title: "Operation", sort: "Operation", cell: (r) => r.operation },
      { title: "Changed Set", class: "value", cell: (r) => longText(r.oldValue, `old value of ${label(r)}`, { json: true }) },
      { title: "New Value", class: "value", cell: (r) => longText(r.newValue, `new value of ${label(r)}`, { json: true }) },
      { title: "IP", sort: "Ip", class: "nowrap", cell: (r) => r.ip || "" },
      { title: "Browser User Agent", sort: "UserAgent", cell: (r) => longText(r.userAgent, `user agent of ${label(r)}`, { limit: 40 }) },
    ],
  });

  const exporting = h("span", { class: "hint", "aria-live": "polite" });
  const exportAs = (exportType, extension) => h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      exporting.textContent = "";
      try {
        await api.download("/audit-logs/search/export",
          { ...body({ ...table.state, pageNumber: 1 }), exportType, reportAllPages: true }, `audit-logs.${extension}`);
        exporting.textContent = "Export downloaded.";
      } catch (e) {
        exporting.textContent = `Export failed: ${e.message}`;
      }
    },
  }, `Export ${extension.toUpperCase()}`);

  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "Audit Log"),
      can("audit-logs/search/export|POST")
        ? h("div", { class: "toolbar-extra" }, exportAs("Csv", "csv"), exportAs("Excel", "xlsx")) : null),
    search.element,
    exporting,
    table.element);
  await table.reload(1);
}
