// Settings → User Roles: built-in and custom roles with their user counts, and the form that
// creates or edits a custom role: its name, description, permissions picked from the tree of
// `permissions/all` (one group per module, each with a select-all box that shows "some" as
// mixed) and, for a reseller, the companies and company groups it is made available for.
//
// Built-in roles and roles another company shared are shown read-only. A role still held by
// users or REST API clients cannot be deleted; the API says by how many, and that is shown.

import { h, notice, formatDate } from "../lib/dom.js";
import { api, can, context, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, onSubmit, setFieldError, uid } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, refresh, say, success, failure } from "../lib/nav.js";

/** Why a call failed: the API's messages when it gave any ("assigned to 2 user(s)…"). */
const reason = (e) => (e.messages && e.messages.length ? e.messages.join(" ") : e.message);
const rolePath = (id) => `/roles/${encodeURIComponent(id)}`;
const COMPANY = "Company";
const GROUP = "CompanyGroup";

/** Whether the signed-in user may change `role` (a search row): a custom role of this company. */
const changeable = (r) => r.typeName === "Custom" && r.isOwner;

export async function list(root) {
  const search = searchForm("role-search", "Search roles", () => table.reload(1));
  const table = dataTable({
    caption: "User roles",
    noun: "roles",
    empty: "No roles match.",
    orderBy: "CreateTime",
    load: (page) => api.post("/roles/search", searchBody({ ...page, text: search.text() })),
    rowAttributes: (r) => ({ "data-role": r.roleName }),
    columns: [
      {
        title: "Role Name",
        sort: "Name",
        cell: (r) => [
          can("roles/{resourceId}|GET") ? h("a", { href: link("roles", r.resourceId) }, r.roleName) : h("span", {}, r.roleName),
          r.roleDescription ? h("div", { class: "hint" }, r.roleDescription) : null,
        ],
      },
      { title: "Users", cell: (r) => String(r.userCount) },
      { title: "Tenant Users", cell: (r) => String(r.tenantUserCount) },
      { title: "Type", cell: (r) => r.typeName },
      { title: "Date Created", sort: "CreateTime", cell: (r) => formatDate(r.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (r) => [
          changeable(r) && can("roles/{resourceId}|PUT") && can("roles/{resourceId}|GET")
            ? h("a", { href: link("roles", r.resourceId), "aria-label": `Edit ${r.roleName}` }, "Edit") : null,
          changeable(r) && can("roles/{resourceId}|DELETE")
            ? h("button", {
              type: "button",
              class: "link danger-text",
              "aria-label": `Delete ${r.roleName}`,
              onclick: async () => {
                const message = await remove(r.resourceId, r.roleName);
                if (!message) return;
                say(message);
                refresh();
              },
            }, "Delete") : null,
        ],
      },
    ],
  });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "User Roles"),
      mayCreate() ? h("a", { class: "button", href: "#/roles/new" }, "+ NEW") : null),
    search.element,
    table.element);
  await table.reload(1);
}

const mayCreate = () => can("roles|POST") && can("permissions/all|GET");
const mayShare = () => Boolean(context.session && context.session.resellerAccess) && can("available-for/search|POST");

/** Deletes the role once confirmed; the message to show, or null when not confirmed. */
async function remove(resourceId, name) {
  const sure = await confirm("Delete role?", `The role "${name}" will be deleted. This cannot be undone.`);
  if (!sure) return null;
  try {
    await api.delete(rolePath(resourceId));
    return success(`Role "${name}" was deleted.`);
  } catch (e) {
    return failure(`The role "${name}" was not deleted: ${reason(e)}`);
  }
}

/**
 * The permission tree: a fieldset per module with a select-all box (checked, unchecked, or
 * mixed when only some are picked) and its permissions behind a Show button. Permissions the
 * signed-in user does not hold are disabled: nobody can grant what they lack.
 */
function permissionTree(modules, chosen, readOnly) {
  const boxes = [];
  const groups = (modules || []).map((module, index) => {
    const listId = `permission-group-${index}`;
    const children = (module.children || []).map((p) => {
      const box = h("input", {
        type: "checkbox",
        id: uid("permission"),
        value: p.permissionResourceId,
        checked: chosen.has(p.permissionResourceId),
        disabled: readOnly || p.isDisabled,
        "data-key": p.permissionName,
      });
      boxes.push(box);
      return { permission: p, box };
    });
    const all = h("input", {
      type: "checkbox",
      id: `${listId}-all`,
      class: "group-all",
      disabled: readOnly || children.every((c) => c.box.disabled),
    });
    const count = h("span", { class: "hint", id: `${listId}-count` });
    all.setAttribute("aria-describedby", count.id);
    const list = h("ul", { id: listId, class: "permission-list", hidden: true },
      children.map(({ permission: p, box }) => h("li", {},
        h("label", { class: "choice", for: box.id }, box,
          h("span", {}, p.permissionDescription || p.permissionName,
            h("span", { class: "mono hint" }, p.permissionName))))));
    const toggle = h("button", {
      type: "button",
      class: "link",
      "aria-expanded": "false",
      "aria-controls": listId,
      "aria-label": `Show the ${module.moduleName} permissions`,
      onclick: () => {
        list.hidden = !list.hidden;
        toggle.setAttribute("aria-expanded", String(!list.hidden));
        toggle.textContent = list.hidden ? "Show" : "Hide";
        toggle.setAttribute("aria-label", `${list.hidden ? "Show" : "Hide"} the ${module.moduleName} permissions`);
      },
    }, "Show");
    const sync = () => {
      const picked = children.filter((c) => c.box.checked).length;
      all.checked = picked > 0 && picked === children.length;
      all.indeterminate = picked > 0 && picked < children.length;
      count.textContent = `${picked} of ${children.length} selected`;
    };
    all.addEventListener("change", () => {
      for (const c of children) if (!c.box.disabled) c.box.checked = all.checked;
      sync();
    });
    for (const c of children) c.box.addEventListener("change", sync);
    sync();
    return h("fieldset", { class: "permission-group", "data-group": module.moduleName },
      h("legend", {}, module.moduleName),
      h("div", { class: "permission-head" },
        h("label", { class: "choice", for: all.id }, all, `All ${module.moduleName} permissions`),
        count,
        toggle),
      list);
  });
  return {
    element: h("div", { class: "permission-tree" }, groups),
    first: boxes.find((b) => !b.disabled) || null,
    picked: () => boxes.filter((b) => b.checked).map((b) => b.value),
  };
}

/**
 * "Make available for": the picked companies and company groups, and a search of the others
 * (`available-for/search`, which leaves out those already picked).
 */
function availableFor(initial, readOnly) {
  const picked = initial.map((a) => ({ type: a.typeName, resourceId: a.targetResourceId, name: a.targetName }));
  const chosen = h("ul", { class: "picked", "aria-label": "Available for" });
  const results = h("div", { "aria-live": "polite" });
  const query = h("input", { id: "available-for-search", type: "search" });
  const label = (entry) => `${entry.name} (${entry.type === GROUP ? "company group" : "company"})`;

  const drawPicked = () => {
    chosen.replaceChildren(...(picked.length ? picked.map((entry) => h("li", {},
      h("span", {}, label(entry)),
      readOnly ? null : h("button", {
        type: "button",
        class: "link danger-text",
        "aria-label": `Remove ${label(entry)}`,
        onclick: () => {
          picked.splice(picked.indexOf(entry), 1);
          drawPicked();
          query.focus();
        },
      }, "Remove"))) : [h("li", { class: "muted" }, "Only this company.")]));
  };
  const find = async () => {
    try {
      const answer = await api.post("/available-for/search", {
        name: query.value.trim(),
        pageNumber: 1,
        pageSize: 10,
        selectedCompanyGroup: picked.map((p) => ({ resourceId: p.resourceId, typeName: p.type })),
      });
      const found = [
        ...((answer.companies && answer.companies.results) || []).map((c) => ({ type: COMPANY, resourceId: c.resourceId, name: c.companyName })),
        ...((answer.groups && answer.groups.results) || []).map((g) => ({ type: GROUP, resourceId: g.resourceId, name: g.name })),
      ];
      results.replaceChildren(found.length
        ? h("ul", { class: "found" }, found.map((entry) => h("li", {},
          h("span", {}, label(entry)),
          h("button", {
            type: "button",
            class: "secondary",
            "aria-label": `Add ${label(entry)}`,
            onclick: () => {
              picked.push(entry);
              drawPicked();
              find();
            },
          }, "Add"))))
        : h("p", { class: "muted" }, "No other companies or groups match."));
    } catch (e) {
      results.replaceChildren(notice("error", e.message, e.messages || []));
    }
  };
  drawPicked();
  const element = h("fieldset", { id: "available-for" },
    h("legend", {}, "Make available for"),
    h("p", { class: "hint" }, "Companies and company groups you manage that may also give this role to their users."),
    chosen,
    readOnly ? null : h("div", { class: "field" },
      h("label", { for: query.id }, "Find a company or group"),
      h("div", { class: "inline" }, query,
        h("button", { type: "button", class: "secondary", onclick: find }, "Find"))),
    readOnly ? null : results);
  query.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      find();
    }
  });
  return {
    element,
    input: query,
    requests: () => picked.map((p) => ({ type: p.type, resourceId: p.resourceId })),
  };
}

/** Why the role `row` (a search row) is shown read-only. */
function readOnlyReason(row) {
  if (row && row.typeName === "System") return "This is a built-in role: it cannot be changed or deleted.";
  if (row && !row.isOwner) return `This role was shared with your company by ${row.companyName || "its owner"}; only they can change it.`;
  return "Your roles do not let you change roles.";
}

/** A role's page: the form for a new or custom role, the same read-only for any other. */
export async function form(root, { id = null }) {
  // `#/roles/new` reaches this route only for someone who may not create roles.
  if (id === "new") throw new Error("Your roles do not let you create roles.");
  const editing = id !== null;
  const [existing, modules, rows] = await Promise.all([
    editing ? api.get(rolePath(id)) : Promise.resolve(null),
    can("permissions/all|GET") ? api.get("/permissions/all") : Promise.resolve([]),
    // Whether the role is built in or shared is what the search says about it.
    editing ? api.post("/roles/search", searchBody({ pageSize: 1, filterItems: [{ fieldName: "ResourceId", operator: "=", value: id }] }))
      : Promise.resolve(null),
  ]);
  const row = rows && rows.results && rows.results[0];
  const writable = editing ? Boolean(row && changeable(row) && can("roles/{resourceId}|PUT")) : mayCreate();
  const errors = h("div", { "aria-live": "assertive" });
  const name = h("input", { id: "role-name", type: "text", maxLength: 64, required: true, value: existing ? existing.name : "", readOnly: !writable });
  const description = h("textarea", { id: "role-description", rows: 3, maxLength: 300, required: true, readOnly: !writable });
  description.value = existing ? existing.description : "";
  const tree = permissionTree(modules, new Set((existing && existing.permissionResourceIdList) || []), !writable);
  const sharing = mayShare() || (existing && existing.availableForList.length)
    ? availableFor((existing && existing.availableForList) || [], !writable || !mayShare()) : null;

  const remover = editing && row && changeable(row) && can("roles/{resourceId}|DELETE")
    ? h("button", {
      type: "button",
      class: "danger",
      onclick: async () => {
        const message = await remove(id, existing.name);
        if (message && message.kind === "success") go("#/roles", message);
        else if (message) errors.replaceChildren(notice("error", message.message));
      },
    }, "Delete")
    : null;
  const permissionsBox = h("fieldset", { id: "role-permissions" },
    h("legend", {}, "Permissions"),
    writable ? h("p", { class: "hint" }, "Greyed-out permissions are ones you do not hold yourself; you cannot grant them.") : null,
    tree.element);
  const form = h("form", { class: "card" },
    errors,
    writable ? null : notice("info", readOnlyReason(row)),
    field("Role Name", name, { hint: writable ? "1 to 64 characters." : undefined }),
    field("Description", description, { hint: writable ? "1 to 300 characters." : undefined }),
    sharing ? sharing.element : null,
    permissionsBox,
    h("div", { class: "buttons" },
      writable ? h("button", { type: "submit", id: "role-save" }, editing ? "Save" : "Create") : null,
      h("a", { class: "button secondary", href: "#/roles" }, writable ? "Cancel" : "Back"),
      remover));

  // A field marked as missing is cleared once something is typed into it.
  for (const input of [name, description]) {
    input.addEventListener("input", () => {
      if (input.getAttribute("aria-invalid")) setFieldError(input, null);
    });
  }
  onSubmit(form, {
    errors,
    fields: () => [
      { input: name, names: ["name", "Role name"] },
      { input: description, names: ["description", "Description"] },
      ...(tree.first ? [{ input: tree.first, names: ["Permission", "permissionResourceIdList", "grant"] }] : []),
      ...(sharing ? [{ input: sharing.input, names: ["availableForRequests", "Company", "Company group", "resellers"] }] : []),
    ],
    check: () => [
      ...(name.value.trim() ? [] : [{ input: name, message: "Role name is required" }]),
      ...(description.value.trim() ? [] : [{ input: description, message: "Description is required" }]),
    ],
    submit: async () => {
      const payload = {
        name: name.value.trim(),
        description: description.value.trim(),
        permissionResourceIdList: tree.picked(),
      };
      // Sent as it stands even by someone who may not change it: the API keeps or refuses it,
      // rather than the role losing what it was shared with.
      if (sharing) payload.availableForRequests = sharing.requests();
      if (editing) await api.put(rolePath(id), payload);
      else await api.post("/roles", payload);
      go("#/roles", success(`Role "${payload.name}" was ${editing ? "saved" : "created"}.`));
    },
  });

  root.append(
    h("p", {}, h("a", { href: "#/roles" }, "\u2190 User Roles")),
    h("h1", {}, editing ? `${writable ? "Edit role" : "Role"} ${existing.name}` : "New role"),
    form);
  if (writable) name.focus();
}
