// Reseller → Company Groups: the user's company groups (search, pages, create, rename, delete
// one or several), and one group's member companies (add companies the user manages, remove
// them). What a group shares (SMTP settings, roles, templates…) reaches its members.
//
// Groups belong to the user's own company, as the Companies list covers every company the user
// manages: the calls name no company (`{ company: false }`).

import { h, formatDate } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, typedInput, onSubmit, uid } from "../lib/form.js";
import { confirm, modal } from "../lib/dialog.js";
import { link, refresh, say, success, failure } from "../lib/nav.js";

const OWN = { company: false };
const BASE = "/company-groups";
const groupPath = (id) => `${BASE}/${encodeURIComponent(id)}`;

/** Why the API refused, in its own words (a refusal's reasons are its validation messages). */
function why(e) {
  return e.messages && e.messages.length ? e.messages.join(" ") : e.message;
}

export async function list(root) {
  const search = searchForm("company-group-search", "Search company groups", () => table.reload(1));
  const canBulk = can("company-groups/bulk-delete|DELETE");
  const bulkButton = h("button", { type: "button", class: "danger", disabled: true }, "Delete Selected");
  const table = dataTable({
    caption: "Company groups",
    noun: "groups",
    empty: "No company groups match. Create one with + NEW.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post(`${BASE}/search`, searchBody({ ...page, text: search.text() }), OWN),
    rowAttributes: (g) => ({ "data-group": g.name }),
    select: canBulk ? { key: (g) => g.resourceId, label: (g) => `Select ${g.name}` } : undefined,
    onSelect: (selected) => {
      bulkButton.disabled = selected.size === 0;
      bulkButton.textContent = selected.size ? `Delete Selected (${selected.size})` : "Delete Selected";
    },
    columns: [
      {
        title: "Group Name",
        sort: "Name",
        cell: (g) => (can("company-groups/{resourceId}/companies/search|POST") ? h("a", { href: link("company-groups", g.resourceId) }, g.name) : g.name),
      },
      { title: "Companies", cell: (g) => String(g.companyCount ?? 0) },
      { title: "Date Created", sort: "CreateTime", cell: (g) => formatDate(g.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (g) => [
          can("company-groups/{resourceId}|PUT")
            ? h("button", { type: "button", class: "link", "aria-label": `Rename ${g.name}`, onclick: () => edit(g) }, "Rename") : null,
          can("company-groups/{resourceId}|DELETE")
            ? h("button", { type: "button", class: "link danger-text", "aria-label": `Delete ${g.name}`, onclick: () => remove(g) }, "Delete") : null,
        ],
      },
    ],
  });
  bulkButton.addEventListener("click", async () => {
    const ids = [...table.selected];
    const sure = await confirm(`Delete ${ids.length} company group${ids.length === 1 ? "" : "s"}?`,
      `${ids.length} group(s) will be deleted. Their companies are kept, but no longer get what was shared with the groups.`);
    if (!sure) return;
    try {
      const answer = await api.delete(`${BASE}/bulk-delete`, { items: ids }, OWN);
      say(success(`${answer.resourceId} company group(s) deleted.`));
    } catch (e) {
      say(failure(`Nothing was deleted: ${why(e)}`));
    }
    refresh();
  });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "Company Groups"),
      h("div", { class: "toolbar-extra" },
        canBulk ? bulkButton : null,
        can("company-groups|POST") ? h("button", { type: "button", onclick: () => edit(null) }, "+ NEW") : null)),
    search.element,
    table.element);
  await table.reload(1);
}

/** Creates a group (`group` null) or renames one, in a dialog. */
async function edit(group) {
  const errors = h("div", { "aria-live": "assertive" });
  const formId = uid("company-group-form");
  const name = typedInput("text", { id: uid("company-group-name"), value: group ? group.name : "", maxLength: 64 });
  const form = h("form", { id: formId }, errors, field("Group Name", name));
  let saved = null;
  const closed = modal(group ? `Rename ${group.name}` : "New company group", form, (close) => {
    onSubmit(form, {
      errors,
      fields: () => [{ input: name, names: ["name", "Group name", "Group Name"] }],
      submit: async () => {
        const body = { name: name.value.trim() };
        if (group) await api.put(groupPath(group.resourceId), body, OWN);
        else await api.post(BASE, body, OWN);
        saved = body.name;
        close(true);
      },
    });
    return [
      h("button", { type: "button", class: "secondary", onclick: () => close(false) }, "Cancel"),
      h("button", { type: "submit", form: formId }, group ? "Save" : "Create"),
    ];
  });
  name.focus();
  if (await closed) {
    say(success(`Company group "${saved}" was ${group ? "renamed" : "created"}.`));
    refresh();
  }
}

async function remove(group) {
  const sure = await confirm("Delete company group?",
    `"${group.name}" will be deleted. Its companies are kept, but no longer get what was shared with the group.`);
  if (!sure) return;
  try {
    await api.delete(groupPath(group.resourceId), undefined, OWN);
    say(success(`Company group "${group.name}" was deleted.`));
  } catch (e) {
    say(failure(`Company group "${group.name}" was not deleted: ${why(e)}`));
  }
  refresh();
}

/** The columns of a list of companies. */
const companyColumns = [
  { title: "Company Name", sort: "Name", cell: (c) => c.companyName },
  { title: "Industry", cell: (c) => c.industryName || "" },
  { title: "License Type", cell: (c) => c.licenseTypeName || "" },
  { title: "Date Created", sort: "CreateTime", cell: (c) => formatDate(c.createTime) },
];

export async function members(root, { id }) {
  const path = groupPath(id);
  const group = await api.get(path, OWN);
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const search = searchForm("group-company-search", "Search member companies", () => table.reload(1));
  const removeButton = h("button", { type: "button", class: "danger", disabled: true }, "Remove Selected");
  const table = dataTable({
    caption: `Companies in ${group.name}`,
    noun: "companies",
    empty: "No companies in this group yet. Add some with Add Companies.",
    orderBy: "Name",
    load: (page) => api.post(`${path}/companies/search`, searchBody({ ...page, text: search.text() }), OWN),
    rowAttributes: (c) => ({ "data-company": c.companyName }),
    select: { key: (c) => c.companyResourceId, label: (c) => `Select ${c.companyName}` },
    onSelect: (selected) => {
      removeButton.disabled = selected.size === 0;
      removeButton.textContent = selected.size ? `Remove Selected (${selected.size})` : "Remove Selected";
    },
    columns: [...companyColumns, { title: "Status", cell: (c) => c.companyStatusName || "" }],
  });
  removeButton.addEventListener("click", async () => {
    const ids = [...table.selected];
    if (!(await confirm("Remove companies from the group?",
      `${ids.length} compan${ids.length === 1 ? "y" : "ies"} will leave "${group.name}" and no longer get what the group shares. The companies are kept.`, "Remove"))) return;
    try {
      await api.delete(`${path}/participants`, { companyResourceIdArray: ids }, OWN);
      status.textContent = `${ids.length} compan${ids.length === 1 ? "y" : "ies"} removed from the group.`;
      table.clearSelection();
    } catch (e) {
      status.textContent = why(e);
    }
    await table.reload();
  });
  root.append(
    h("p", {}, h("a", { href: "#/company-groups" }, "\u2190 Company Groups")),
    h("div", { class: "toolbar" },
      h("h1", {}, group.name),
      h("div", { class: "toolbar-extra" },
        can("company-groups/{resourceId}/participants|PUT") && can("companies/search|POST")
          ? h("button", { type: "button", onclick: () => addCompanies(group, path, status, table) }, "Add Companies") : null,
        can("company-groups/{resourceId}/participants|DELETE") ? removeButton : null)),
    status,
    search.element,
    table.element);
  await table.reload(1);
}

/** A dialog listing the companies the user manages; adds the ones picked to the group. */
async function addCompanies(group, path, status, members) {
  const inGroup = new Set(await api.post("/companies/get-with-groups", { companyGroupResourceIds: [group.resourceId] }, OWN).catch(() => []));
  const search = searchForm("candidate-company-search", "Search companies", () => candidates.reload(1));
  const count = h("span", { class: "hint", "aria-live": "polite" }, "None selected.");
  const candidates = dataTable({
    caption: `Companies to add to ${group.name}`,
    noun: "companies",
    empty: "No companies match.",
    orderBy: "Name",
    pageSize: 10,
    load: (page) => api.post("/companies/search", searchBody({ ...page, text: search.text() }), OWN),
    rowAttributes: (c) => ({ "data-candidate": c.companyName }),
    select: { key: (c) => c.companyResourceId, label: (c) => `Pick ${c.companyName}` },
    onSelect: (selected) => {
      count.textContent = selected.size ? `${selected.size} selected.` : "None selected.";
    },
    columns: [...companyColumns, { title: "In Group", cell: (c) => (inGroup.has(c.companyResourceId) ? "Already a member" : "") }],
  });
  const loaded = candidates.reload(1);
  const added = await modal(`Add companies to ${group.name}`, h("div", {}, search.element, candidates.element, count), (close) => [
    h("button", { type: "button", class: "secondary", onclick: () => close(false) }, "Cancel"),
    h("button", {
      type: "button",
      onclick: async () => {
        const ids = [...candidates.selected];
        if (!ids.length) {
          count.textContent = "Pick at least one company.";
          return;
        }
        try {
          await api.put(`${path}/participants`, { companyResourceIdArray: ids }, OWN);
          close(ids.length);
        } catch (e) {
          count.textContent = why(e);
        }
      },
    }, "Add Selected"),
  ], { wide: true });
  await loaded;
  if (added) {
    status.textContent = `${added} compan${added === 1 ? "y" : "ies"} added to the group.`;
    await members.reload(1);
  }
}
