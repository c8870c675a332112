// Targets → Target Groups: the list (create, rename, delete: a group's users stay), and one
// group's members (add users picked from those not in it yet, remove users).

import { h, formatDate } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, typedInput, onSubmit, uid } from "../lib/form.js";
import { confirm, modal } from "../lib/dialog.js";
import { link, refresh, say, success, failure } from "../lib/nav.js";
import { PRIORITY_LABELS, priorityChoices } from "../lib/people.js";

export async function list(root) {
  const search = searchForm("target-group-search", "Search target groups", () => table.reload(1));
  const table = dataTable({
    caption: "Target groups",
    noun: "groups",
    empty: "No target groups match. Create one with + NEW.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post("/target-groups/search", searchBody({ ...page, text: search.text() })),
    rowAttributes: (g) => ({ "data-group": g.name }),
    columns: [
      { title: "Name", sort: "Name", cell: (g) => (can("target-groups/{resourceId}/users|POST") ? h("a", { href: link("target-groups", g.resourceId) }, g.name) : g.name) },
      { title: "Users", cell: (g) => String(g.userCount ?? "") },
      { title: "Priority", sort: "Priority", cell: (g) => PRIORITY_LABELS[g.priority] || g.priority || "" },
      { title: "Date Created", sort: "CreateTime", cell: (g) => formatDate(g.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (g) => [
          can("target-groups/{resourceId}|PUT") && g.isEditable !== false
            ? h("button", { type: "button", class: "link", "aria-label": `Rename ${g.name}`, onclick: () => edit(g) }, "Rename") : null,
          can("target-groups/{resourceId}|DELETE") && g.isEditable !== false
            ? h("button", { type: "button", class: "link danger-text", "aria-label": `Delete ${g.name}`, onclick: () => remove(g) }, "Delete") : null,
        ],
      },
    ],
  });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "Target Groups"),
      can("target-groups|POST") ? h("button", { type: "button", onclick: () => edit(null) }, "+ NEW") : null),
    search.element,
    table.element);
  await table.reload(1);
}

/** Creates a group (`group` null) or renames one, in a dialog. */
async function edit(group) {
  const errors = h("div", { "aria-live": "assertive" });
  const formId = uid("group-form");
  const name = typedInput("text", { id: uid("group-name"), value: group ? group.name : "", maxLength: 64 });
  const priority = typedInput("select", { id: uid("group-priority"), value: group ? group.priority : "Medium", choices: priorityChoices() });
  const form = h("form", { id: formId }, errors, field("Group Name", name), field("Priority", priority));
  let saved = null;
  const closed = modal(group ? `Rename ${group.name}` : "New target group", form, (close) => {
    onSubmit(form, {
      errors,
      fields: () => [{ input: name, names: ["name", "Group name", "Name"] }, { input: priority, names: ["priority"] }],
      check: () => (name.value.trim() ? [] : [{ input: name, message: "Group name is required" }]),
      submit: async () => {
        const body = { name: name.value.trim(), priority: priority.value };
        if (group) await api.put(`/target-groups/${encodeURIComponent(group.resourceId)}`, { ...body, isActive: true });
        else await api.post("/target-groups", body);
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
    say(success(`Target group "${saved}" was ${group ? "saved" : "created"}.`));
    refresh();
  }
}

async function remove(group) {
  const sure = await confirm("Delete target group?",
    `"${group.name}" will be deleted. Its users are kept: only the group goes.`);
  if (!sure) return;
  try {
    await api.delete(`/target-groups/${encodeURIComponent(group.resourceId)}`);
    say(success(`Target group "${group.name}" was deleted.`));
  } catch (e) {
    say(failure(e.message));
  }
  refresh();
}

/** The columns of a list of target users inside a group page. */
const userColumns = [
  { title: "Email", sort: "Email", cell: (u) => u.email },
  { title: "First Name", sort: "FirstName", cell: (u) => u.firstName || "" },
  { title: "Last Name", sort: "LastName", cell: (u) => u.lastName || "" },
  { title: "Department", sort: "Department", cell: (u) => u.department || "" },
];

export async function members(root, { id }) {
  const path = `/target-groups/${encodeURIComponent(id)}`;
  const group = await api.get(path);
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const search = searchForm("member-search", "Search members", () => table.reload(1));
  const removeButton = h("button", { type: "button", class: "danger", disabled: true }, "Remove Selected");
  const table = dataTable({
    caption: `Members of ${group.name}`,
    noun: "users",
    empty: "No users in this group yet. Add some with Add Users.",
    orderBy: "Email",
    load: (page) => api.post(`${path}/users`, { ...searchBody({ ...page, text: search.text() }), excludeGroupUsers: false }),
    rowAttributes: (u) => ({ "data-user": u.email }),
    select: { key: (u) => u.resourceId, label: (u) => `Select ${u.email}` },
    onSelect: (selected) => {
      removeButton.disabled = selected.size === 0;
      removeButton.textContent = selected.size ? `Remove Selected (${selected.size})` : "Remove Selected";
    },
    columns: userColumns,
  });
  removeButton.addEventListener("click", async () => {
    const ids = [...table.selected];
    if (!(await confirm("Remove users from the group?", `${ids.length} user(s) will leave "${group.name}". They stay target users.`, "Remove"))) return;
    try {
      await api.delete(`${path}/users`, { targetUserResourceIds: ids });
      status.textContent = `${ids.length} user(s) removed from the group.`;
      table.clearSelection();
    } catch (e) {
      status.textContent = e.message;
    }
    await table.reload();
  });
  const canAdd = can("target-groups/users|PUT");
  root.append(
    h("p", {}, h("a", { href: "#/target-groups" }, "\u2190 Target Groups")),
    h("div", { class: "toolbar" },
      h("h1", {}, group.name),
      h("div", { class: "toolbar-extra" },
        canAdd ? h("button", { type: "button", onclick: () => addUsers(group, path, status, table) }, "Add Users") : null,
        can("target-groups/{resourceId}/users|DELETE") ? removeButton : null)),
    h("p", { class: "muted" }, `Priority: ${PRIORITY_LABELS[group.priority] || group.priority || ""}`),
    status,
    search.element,
    table.element);
  await table.reload(1);
}

/** A dialog listing the company's users not in the group yet; adds the ones picked. */
async function addUsers(group, path, status, members) {
  const search = searchForm("candidate-search", "Search users not in the group", () => candidates.reload(1));
  const count = h("span", { class: "hint", "aria-live": "polite" }, "None selected.");
  const candidates = dataTable({
    caption: `Users not in ${group.name}`,
    noun: "users",
    empty: "Every target user is in this group already.",
    orderBy: "Email",
    pageSize: 10,
    load: (page) => api.post(`${path}/users`, { ...searchBody({ ...page, text: search.text() }), excludeGroupUsers: true }),
    rowAttributes: (u) => ({ "data-candidate": u.email }),
    select: { key: (u) => u.resourceId, label: (u) => `Pick ${u.email}` },
    onSelect: (selected) => {
      count.textContent = selected.size ? `${selected.size} selected.` : "None selected.";
    },
    columns: userColumns,
  });
  const loaded = candidates.reload(1);
  const added = await modal(`Add users to ${group.name}`, h("div", {}, search.element, candidates.element, count), (close) => [
    h("button", { type: "button", class: "secondary", onclick: () => close(false) }, "Cancel"),
    h("button", {
      type: "button",
      onclick: async () => {
        const ids = [...candidates.selected];
        if (!ids.length) {
          count.textContent = "Pick at least one user.";
          return;
        }
        try {
          await api.put("/target-groups/users", { targetUserResourceIds: ids, targetGroupResourceIds: [group.resourceId] });
          close(ids.length);
        } catch (e) {
          count.textContent = e.message;
        }
      },
    }, "Add Selected"),
  ], { wide: true });
  await loaded;
  if (added) {
    status.textContent = `${added} user(s) added to the group.`;
    await members.reload(1);
  }
}
