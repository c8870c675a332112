// Settings → People: the company's system users, who sign in to this console. The list
// (search, status filter, paging, activate / deactivate, reset link, delete one or a
// selection), the invite form (the server emails the new user a link to set a password) and
// one user's page: details, roles (added and taken away one at a time) and a reset link.
//
// The API has no read of one user: a user is the row `system-users/search` finds by its
// `ResourceId`, whose `roles` are names; they are matched to the roles the company may assign
// (`roleswithavailable`). A row that is not `isEditable` belongs to someone who holds more
// than the signed-in user, who is then offered nothing to change it with.

import { h, notice, formatDate, statusBadge } from "../lib/dom.js";
import { api, can, context, searchBody, ApiFailure } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, onSubmit } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, refresh, say, success, failure } from "../lib/nav.js";

const ACTIVE = 1;
const INACTIVE = 0;

/** Why a call failed: the API's messages when it gave any ("assigned to 2 user(s)…"). */
const reason = (e) => (e.messages && e.messages.length ? e.messages.join(" ") : e.message);
const userPath = (id) => `/system-users/${encodeURIComponent(id)}`;
const fullName = (u) => `${u.firstName || ""} ${u.lastName || ""}`.trim();
const isSelf = (u) => context.session && u.resourceId === context.session.userResourceId;

const may = {
  invite: () => can("system-users|POST"),
  edit: (u) => u.isEditable && can("system-users/{resourceId}|PUT"),
  remove: (u) => u.isEditable && !isSelf(u) && can("system-users/{resourceId}|DELETE"),
  removeMany: () => can("system-users/bulk-delete|DELETE"),
  reset: () => can("system-users/send-reset-password-link|POST"),
  addRole: (u) => u.isEditable && can("system-users/{resourceId}/role|POST") && can("roleswithavailable|GET"),
  takeRole: (u) => u.isEditable && can("system-users/{userResourceId}/role/{roleResourceId}|DELETE") && can("roleswithavailable|GET"),
};

/** A call whose envelope's `message` is worth showing (what was mailed, or why not). */
async function withMessage(method, path, body) {
  const answer = await api.bare(method, path, body);
  if (answer.isSuccess === false) throw new ApiFailure(400, answer);
  return answer;
}

/** The user `id` as the search finds it, or null. */
async function findUser(id) {
  const page = await api.post("/system-users/search", searchBody({
    pageSize: 1,
    filterItems: [{ fieldName: "ResourceId", operator: "=", value: id }],
  }));
  return (page && page.results && page.results[0]) || null;
}

/** The fields of an update, from a user row, with `changes` over them (roles stay as they are). */
const updateBody = (u, changes = {}) => ({
  firstName: u.firstName,
  lastName: u.lastName,
  email: u.email,
  phoneNumber: u.phoneNumber,
  statusId: u.statusId,
  ...changes,
});

/** Activates or deactivates `user`; the message to show. */
async function setStatus(user, statusId) {
  try {
    await api.put(userPath(user.resourceId), updateBody(user, { statusId }));
    return success(`${user.email} was ${statusId === ACTIVE ? "activated" : "deactivated"}.`);
  } catch (e) {
    return failure(reason(e));
  }
}

/** Emails `user` a link to reset their password; the message to show. */
async function sendReset(user) {
  try {
    const answer = await withMessage("POST", "/system-users/send-reset-password-link", { email: user.email });
    return success(answer.message || `A reset link was sent to ${user.email}.`);
  } catch (e) {
    return failure(reason(e));
  }
}

/** Deletes `user` once confirmed; the message to show, or null when not confirmed. */
async function remove(user) {
  const sure = await confirm("Delete user?",
    `${user.email} will be deleted and can no longer sign in. This cannot be undone.`);
  if (!sure) return null;
  try {
    await api.delete(userPath(user.resourceId));
    return success(`User ${user.email} was deleted.`);
  } catch (e) {
    return failure(reason(e));
  }
}

export async function list(root) {
  const status = h("select", { id: "system-user-status" },
    h("option", { value: "" }, "Any"),
    h("option", { value: String(ACTIVE) }, "Active"),
    h("option", { value: String(INACTIVE) }, "Inactive"));
  status.addEventListener("change", () => table.reload(1));
  const search = searchForm("system-user-search", "Search people", () => table.reload(1),
    h("div", {}, h("label", { for: status.id }, "Status"), status));
  const body = (page) => searchBody({
    ...page,
    text: search.text(),
    filterItems: status.value ? [{ fieldName: "StatusId", operator: "=", value: Number(status.value) }] : [],
  });
  const after = (message) => {
    say(message);
    refresh();
  };
  const deleteSelected = h("button", {
    type: "button",
    class: "danger",
    disabled: true,
    onclick: async () => {
      const ids = [...table.selected];
      const sure = await confirm(`Delete ${ids.length} user${ids.length === 1 ? "" : "s"}?`,
        `The selected users will be deleted and can no longer sign in. This cannot be undone.`);
      if (!sure) return;
      try {
        const answer = await api.delete("/system-users/bulk-delete", { items: ids });
        after(success(`${answer.resourceId} user${answer.resourceId === "1" ? " was" : "s were"} deleted.`));
      } catch (e) {
        after(failure(reason(e)));
      }
    },
  }, "Delete selected");
  const table = dataTable({
    caption: "People",
    noun: "users",
    empty: "No users match.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post("/system-users/search", body(page)),
    rowAttributes: (u) => ({ "data-user": u.email }),
    select: may.removeMany() ? { key: (u) => u.resourceId, label: (u) => `Select ${u.email}` } : undefined,
    onSelect: (selected) => {
      deleteSelected.disabled = selected.size === 0;
      deleteSelected.textContent = selected.size ? `Delete selected (${selected.size})` : "Delete selected";
    },
    columns: [
      { title: "Name", sort: "FirstName", cell: (u) => h("a", { href: link("system-users", u.resourceId) }, fullName(u) || u.email) },
      { title: "Email", sort: "Email", cell: (u) => u.email },
      { title: "Roles", cell: (u) => u.roles || "" },
      { title: "Phone Number", cell: (u) => u.phoneNumber || "" },
      { title: "Status", sort: "StatusId", cell: (u) => statusBadge(u.statusName) },
      { title: "Date Created", sort: "CreateTime", cell: (u) => formatDate(u.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (u) => [
          may.edit(u) ? h("a", { href: link("system-users", u.resourceId), "aria-label": `Edit ${u.email}` }, "Edit") : null,
          may.edit(u) && !isSelf(u)
            ? h("button", {
              type: "button",
              class: "link",
              "aria-label": `${u.statusId === ACTIVE ? "Deactivate" : "Activate"} ${u.email}`,
              onclick: async () => after(await setStatus(u, u.statusId === ACTIVE ? INACTIVE : ACTIVE)),
            }, u.statusId === ACTIVE ? "Deactivate" : "Activate") : null,
          may.reset() && u.isEditable
            ? h("button", {
              type: "button",
              class: "link",
              "aria-label": `Send reset link to ${u.email}`,
              onclick: async () => after(await sendReset(u)),
            }, "Send reset link") : null,
          may.remove(u)
            ? h("button", {
              type: "button",
              class: "link danger-text",
              "aria-label": `Delete ${u.email}`,
              onclick: async () => {
                const message = await remove(u);
                if (message) after(message);
              },
            }, "Delete") : null,
        ],
      },
    ],
  });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "People"),
      h("div", { class: "toolbar-extra" },
        may.removeMany() ? deleteSelected : null,
        may.invite() ? h("a", { class: "button", href: "#/system-users/new" }, "+ INVITE") : null)),
    search.element,
    table.element);
  await table.reload(1);
}

/** The roles the company may assign: `[{resourceId, name}]` (empty when not allowed to ask). */
async function assignableRoles() {
  if (!can("roleswithavailable|GET")) return [];
  return (await api.get("/roleswithavailable")) || [];
}

/** The invite form (`#/system-users/new`) or a user's page (`#/system-users/:id`). */
export async function form(root, { id = null }) {
  // `#/system-users/new` reaches this route only for someone who may not invite.
  if (id === "new") throw new Error("Your roles do not let you invite users.");
  const editing = id !== null;
  const [existing, roles] = await Promise.all([editing ? findUser(id) : Promise.resolve(null), assignableRoles()]);
  if (editing && !existing) throw new Error("This user was not found. They may have been deleted.");
  const writable = editing ? may.edit(existing) : may.invite();
  const user = existing || { statusId: ACTIVE };
  const errors = h("div", { "aria-live": "assertive" });
  const input = (key, type, maxLength) => h("input", {
    id: `system-user-${key}`, type, maxLength, required: true, value: user[key] || "", readOnly: !writable,
  });
  const inputs = {
    firstName: input("firstName", "text", 40),
    lastName: input("lastName", "text", 40),
    email: input("email", "email", 320),
    phoneNumber: input("phoneNumber", "tel", 20),
  };
  inputs.email.setAttribute("autocomplete", "off");
  const status = h("select", { id: "system-user-status-field", disabled: !writable || isSelf(user) },
    h("option", { value: String(ACTIVE), selected: user.statusId === ACTIVE }, "Active"),
    h("option", { value: String(INACTIVE), selected: user.statusId === INACTIVE }, "Inactive"));
  const labels = { firstName: "First Name", lastName: "Last Name", email: "Email", phoneNumber: "Phone Number" };
  const hints = { email: editing ? undefined : "The invitation with a link to set a password goes here.", phoneNumber: "Digits, spaces and + - ( ) ." };
  // Roles are picked on the invitation; a user's roles are changed one at a time below.
  const roleBoxes = editing ? [] : roles.map((r) => h("input", { type: "checkbox", id: `system-user-role-${r.resourceId}`, value: r.resourceId }));

  const form = h("form", { class: "card" },
    errors,
    h("div", { class: "grid" },
      Object.entries(inputs).map(([key, el]) => field(labels[key], el, { hint: writable ? hints[key] : undefined })),
      field("Status", status, { hint: isSelf(user) ? "You cannot deactivate yourself." : undefined })),
    roleBoxes.length ? h("fieldset", { id: "system-user-roles" },
      h("legend", {}, "Roles"),
      roleBoxes.map((box, i) => h("label", { class: "choice", for: box.id }, box, roles[i].name))) : null,
    h("div", { class: "buttons" },
      writable ? h("button", { type: "submit", id: "system-user-save" }, editing ? "Save" : "Send invitation") : null,
      h("a", { class: "button secondary", href: "#/system-users" }, writable ? "Cancel" : "Back")));

  onSubmit(form, {
    errors,
    fields: () => [
      { input: inputs.firstName, names: ["firstName", "First name"] },
      { input: inputs.lastName, names: ["lastName", "Last name"] },
      { input: inputs.email, names: ["email", "Email"] },
      { input: inputs.phoneNumber, names: ["phoneNumber", "Phone number"] },
      { input: status, names: ["statusId", "Status", "deactivate"] },
      ...(roleBoxes.length ? [{ input: roleBoxes[0], names: ["Role", "roleResourceIdList"] }] : []),
    ],
    check: () => Object.entries(inputs)
      .filter(([, el]) => !el.value.trim())
      .map(([key, el]) => ({ input: el, message: `${labels[key]} is required` })),
    submit: async () => {
      const payload = {
        firstName: inputs.firstName.value.trim(),
        lastName: inputs.lastName.value.trim(),
        email: inputs.email.value.trim(),
        phoneNumber: inputs.phoneNumber.value.trim(),
        statusId: Number(status.value),
      };
      if (editing) {
        await api.put(userPath(id), payload);
        go("#/system-users", success(`User ${payload.email} was saved.`));
        return;
      }
      payload.roleResourceIdList = roleBoxes.filter((b) => b.checked).map((b) => b.value);
      const answer = await withMessage("POST", "/system-users", payload);
      go("#/system-users", success(answer.message || `${payload.email} was invited.`));
    },
  });

  root.append(
    h("p", {}, h("a", { href: "#/system-users" }, "\u2190 People")),
    h("h1", {}, editing ? `${writable ? "Edit" : "User"} ${existing.email}` : "Invite a user"),
    form);
  if (writable) inputs.firstName.focus();
  if (!editing) return;
  root.append(rolesOf(existing, roles), accountActions(existing));
}

/** The roles `user` holds, each with Remove, and a way to add one of the assignable roles. */
function rolesOf(user, roles) {
  const status = h("div", { "aria-live": "polite" });
  const held = h("ul", { class: "held-roles" });
  const picker = h("select", { id: "add-role" });
  const section = h("section", { class: "section", "aria-labelledby": "user-roles-title" },
    h("h2", { id: "user-roles-title" }, "Roles"), status, held);

  const draw = (current) => {
    const names = (current.roles || "").split(", ").filter(Boolean);
    const byName = new Map(roles.map((r) => [r.name, r]));
    held.replaceChildren(...(names.length ? names.map((name) => {
      const role = byName.get(name);
      return h("li", { "data-role": name }, h("span", {}, name),
        role && may.takeRole(current) ? h("button", {
          type: "button",
          class: "link danger-text",
          "aria-label": `Remove the role ${name}`,
          onclick: () => change(() => api.delete(`${userPath(user.resourceId)}/role/${encodeURIComponent(role.resourceId)}`),
            `The role ${name} was taken from ${user.email}.`),
        }, "Remove") : null);
    }) : [h("li", { class: "muted" }, "No roles: this user can sign in but do nothing.")]));
    const free = roles.filter((r) => !names.includes(r.name));
    picker.replaceChildren(...free.map((r) => h("option", { value: r.resourceId }, r.name)));
    addButton.disabled = free.length === 0;
  };

  /** Runs `action`, says `done` or why not, and draws the user's roles as they now are. */
  const change = async (action, done) => {
    try {
      await action();
      status.replaceChildren(notice("success", done));
    } catch (e) {
      status.replaceChildren(notice("error", e.message, e.messages || []));
    }
    const fresh = await findUser(user.resourceId).catch(() => null);
    if (fresh) draw(fresh);
  };

  const addButton = h("button", {
    type: "button",
    class: "secondary",
    onclick: () => {
      const chosen = picker.selectedOptions[0];
      if (!chosen) return;
      const name = chosen.textContent;
      change(() => api.post(`${userPath(user.resourceId)}/role`, { userResourceId: user.resourceId, roleResourceId: chosen.value }),
        `The role ${name} was given to ${user.email}.`);
    },
  }, "Add role");
  if (may.addRole(user)) {
    section.append(h("div", { class: "inline actions-bar" }, h("label", { for: picker.id }, "Add a role"), picker, addButton));
  }
  draw(user);
  return section;
}

/** Send reset link, activate / deactivate and delete, as far as the signed-in user may. */
function accountActions(user) {
  const errors = h("div", { "aria-live": "assertive" });
  const buttons = [];
  if (may.reset() && user.isEditable) {
    buttons.push(h("button", {
      type: "button",
      class: "secondary",
      onclick: async () => {
        const message = await sendReset(user);
        errors.replaceChildren(notice(message.kind, message.message));
      },
    }, "Send reset link"));
  }
  if (may.remove(user)) {
    buttons.push(h("button", {
      type: "button",
      class: "danger",
      onclick: async () => {
        const message = await remove(user);
        if (message && message.kind === "success") go("#/system-users", message);
        else if (message) errors.replaceChildren(notice("error", message.message));
      },
    }, "Delete user"));
  }
  if (!buttons.length) return h("div", {});
  return h("section", { class: "section", "aria-labelledby": "user-account-title" },
    h("h2", { id: "user-account-title" }, "Account"),
    h("p", { class: "hint" }, `Created ${formatDate(user.createTime)} \u00b7 ${user.companyName}`),
    errors,
    h("div", { class: "actions-bar" }, buttons));
}
