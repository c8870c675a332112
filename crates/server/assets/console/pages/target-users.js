// Targets → Target Users: the people a company's programme is for. The list (search, status
// filter, paging, sorting, export, delete), and one user's form (add or edit, with the
// company's custom fields as typed inputs) with the groups the user is in.

import { h, formatDate, statusBadge } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, typedInput, onSubmit, uid } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, refresh, say, success, failure } from "../lib/nav.js";
import { PRIORITY_LABELS, dataTypeName, priorityChoices, userCustomFields } from "../lib/people.js";


export async function list(root) {
  const status = h("select", { id: "target-user-status" },
    h("option", { value: "" }, "Any"),
    h("option", { value: "Active" }, "Active"),
    h("option", { value: "Inactive" }, "Inactive"));
  status.addEventListener("change", () => table.reload(1));
  const search = searchForm("target-user-search", "Search target users", () => table.reload(1),
    h("div", {}, h("label", { for: status.id }, "Status"), status));
  const body = (page) => searchBody({
    ...page,
    text: search.text(),
    filterItems: status.value ? [{ fieldName: "Status", operator: "=", value: status.value }] : [],
  });
  const table = dataTable({
    caption: "Target users",
    noun: "users",
    empty: "No target users match. Add one with + NEW, or import a spreadsheet.",
    orderBy: "CreateTime",
    ascending: false,
    load: (page) => api.post("/target-users/search", body(page)),
    rowAttributes: (u) => ({ "data-user": u.email }),
    columns: [
      { title: "Email", sort: "Email", cell: (u) => u.email },
      { title: "First Name", sort: "FirstName", cell: (u) => u.firstName || "" },
      { title: "Last Name", sort: "LastName", cell: (u) => u.lastName || "" },
      { title: "Department", sort: "Department", cell: (u) => u.department || "" },
      { title: "Priority", sort: "Priority", cell: (u) => PRIORITY_LABELS[u.priority] || u.priority || "" },
      { title: "Status", sort: "Status", cell: (u) => statusBadge(u.status) },
      { title: "Date Created", sort: "CreateTime", cell: (u) => formatDate(u.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (u) => [
          can("target-users/{resourceId}|GET")
            ? h("a", { href: link("target-users", u.resourceId), "aria-label": `Edit ${u.email}` }, "Edit") : null,
          can("target-users/{resourceId}|DELETE")
            ? h("button", { type: "button", class: "link danger-text", "aria-label": `Delete ${u.email}`, onclick: () => remove(u) }, "Delete") : null,
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
        await api.download("/target-users/search/export",
          { ...body({ ...table.state, pageNumber: 1 }), exportType, reportAllPages: true }, `target-users.${extension}`);
        exporting.textContent = "Export downloaded.";
      } catch (e) {
        exporting.textContent = `Export failed: ${e.message}`;
      }
    },
  }, `Export ${extension.toUpperCase()}`);
  const counts = h("div", { class: "counts", role: "group", "aria-label": "Target user counts" });
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "Target Users"),
      h("div", { class: "toolbar-extra" },
        can("target-users/upload|POST") ? h("a", { class: "button secondary", href: "#/target-users/import" }, "Import") : null,
        can("target-users/search/export|POST") ? [exportAs("Csv", "csv"), exportAs("Excel", "xlsx")] : null,
        can("target-users|POST") ? h("a", { class: "button", href: "#/target-users/new" }, "+ NEW") : null)),
    counts,
    search.element,
    exporting,
    table.element);
  await Promise.all([table.reload(1), showCounts(counts)]);
}

/** Active, inactive, deleted and monthly-active users (`count-summary`), when allowed. */
async function showCounts(box) {
  if (!can("target-users/count-summary|GET")) return;
  const c = await api.get("/target-users/count-summary").catch(() => null);
  if (!c) return;
  const tile = (n, label) => h("div", {}, h("strong", {}, String(n ?? 0)), label);
  box.replaceChildren(tile(c.activeUserCount, "Active"), tile(c.inactiveUserCount, "Inactive"),
    tile(c.deletedUserCount, "Deleted"), tile(c.monthlyActiveUserCount, "Monthly active"));
}

async function remove(user) {
  const sure = await confirm("Delete target user?",
    `${user.email} will be deleted and removed from every group. Deleting does not give back a licence.`);
  if (!sure) return;
  try {
    await api.delete(`/target-users/${encodeURIComponent(user.resourceId)}`);
    say(success(`Target user ${user.email} was deleted.`));
  } catch (e) {
    say(failure(e.message));
  }
  refresh();
}

/** The reference data the form offers: time zones and languages (empty when unavailable). */
async function references() {
  const [zones, languages] = await Promise.all([
    api.get("/timezone/timezones").catch(() => null),
    api.post("/lookups", { typeName: "PreferredLanguageType" }).catch(() => []),
  ]);
  return {
    zones: ((zones && zones.timeZoneList) || []).map((z) => ({ value: z.id, label: z.displayName })),
    languages: (languages || []).map((l) => ({ value: l.resourceId, label: l.name })),
  };
}

export async function form(root, { id = null }) {
  const editing = id !== null;
  const path = editing ? `/target-users/${encodeURIComponent(id)}` : null;
  const [existing, customFields, refs, groups] = await Promise.all([
    editing ? api.get(path) : Promise.resolve(null),
    can("custom-fields/company|GET") ? userCustomFields() : Promise.resolve([]),
    references(),
    !editing && can("target-groups|GET") ? api.get("/target-groups") : Promise.resolve([]),
  ]);
  const user = existing || { priority: "Medium", isActive: true };
  const errors = h("div", { "aria-live": "assertive" });
  const input = (type, key, options = {}) => typedInput(type, { id: `user-${key}`, value: user[key], ...options });
  const none = { value: "", label: "\u2014" };
  const inputs = {
    email: input("email", "email", { required: true, maxLength: 320 }),
    firstName: input("text", "firstName", { maxLength: 256 }),
    lastName: input("text", "lastName", { maxLength: 256 }),
    phoneNumber: input("tel", "phoneNumber", { maxLength: 20 }),
    department: input("text", "department", { maxLength: 256 }),
    priority: input("select", "priority", { choices: priorityChoices() }),
    isActive: typedInput("select", { id: "user-status", value: user.isActive === false ? "false" : "true", choices: [{ value: "true", label: "Active" }, { value: "false", label: "Inactive" }] }),
    timeZoneId: input("select", "timeZoneId", { choices: [none, ...refs.zones] }),
    preferredLanguageId: input("select", "preferredLanguageId", { choices: [none, ...refs.languages] }),
    managerFirstName: input("text", "managerFirstName", { maxLength: 256 }),
    managerLastName: input("text", "managerLastName", { maxLength: 256 }),
    managerEmail: input("email", "managerEmail", { maxLength: 320 }),
  };
  const labels = {
    email: "Email", firstName: "First Name", lastName: "Last Name", phoneNumber: "Phone Number", department: "Department",
    priority: "Priority", isActive: "Status", timeZoneId: "Time Zone", preferredLanguageId: "Preferred Language",
    managerFirstName: "Manager First Name", managerLastName: "Manager Last Name", managerEmail: "Manager Email",
  };
  const hints = { phoneNumber: "International form, e.g. +15550123456.", email: "Required; unique in the company." };

  const values = new Map((user.customFieldValues || []).map((v) => [v.resourceId, v.value]));
  const custom = customFields.map((f) => ({
    field: f,
    input: typedInput(dataTypeName(f.fieldDataType).toLowerCase(), { id: uid("custom"), value: values.get(f.resourceId) ?? "", required: f.isRequired }),
  }));
  const groupBoxes = (groups || []).map((g) => h("input", { type: "checkbox", id: uid("group"), value: g.resourceId, "data-name": g.name }));

  const form = h("form", { class: "card" },
    errors,
    h("div", { class: "grid" }, Object.entries(inputs).map(([key, el]) => field(labels[key], el, { hint: hints[key] }))),
    custom.length ? h("fieldset", {},
      h("legend", {}, "Custom fields"),
      h("div", { class: "grid" }, custom.map((c) => field(c.field.isRequired ? `${c.field.name} (required)` : c.field.name, c.input)))) : null,
    groupBoxes.length ? h("fieldset", {},
      h("legend", {}, "Target groups"),
      groupBoxes.map((box) => h("label", { class: "choice", for: box.id }, box, box.dataset.name))) : null,
    h("div", { class: "buttons" },
      h("button", { type: "submit" }, editing ? "Save" : "Create"),
      h("a", { class: "button secondary", href: "#/target-users" }, "Cancel")));

  onSubmit(form, {
    errors,
    fields: () => [
      ...Object.entries(inputs).map(([key, el]) => ({ input: el, names: [key, labels[key]] })),
      ...custom.map((c) => ({ input: c.input, names: [c.field.name] })),
    ],
    check: () => {
      const problems = [];
      if (!inputs.email.value.trim()) problems.push({ input: inputs.email, message: "Email is required" });
      for (const c of custom) {
        if (c.field.isRequired && !c.input.value.trim()) problems.push({ input: c.input, message: `${c.field.name} is required` });
      }
      return problems;
    },
    submit: async () => {
      // An empty text clears the field (null would leave it as it was).
      const text = (el) => el.value.trim();
      const payload = {
        email: inputs.email.value.trim(),
        firstName: text(inputs.firstName),
        lastName: text(inputs.lastName),
        phoneNumber: text(inputs.phoneNumber),
        department: text(inputs.department),
        priority: inputs.priority.value,
        isActive: inputs.isActive.value === "true",
        timeZoneId: text(inputs.timeZoneId),
        preferredLanguageId: text(inputs.preferredLanguageId),
        managerFirstName: text(inputs.managerFirstName),
        managerLastName: text(inputs.managerLastName),
        managerEmail: text(inputs.managerEmail),
        customFields: custom.map((c) => ({
          resourceId: c.field.resourceId,
          name: c.field.name,
          dataType: dataTypeName(c.field.fieldDataType),
          value: c.input.value.trim(),
        })),
      };
      if (!editing) payload.targetGroupResourceIds = groupBoxes.filter((b) => b.checked).map((b) => b.value);
      if (editing) await api.put(path, payload);
      else await api.post("/target-users", payload);
      go("#/target-users", success(`Target user ${payload.email} was ${editing ? "saved" : "created"}.`));
    },
  });

  root.append(h("h1", {}, editing ? `Edit ${existing.email}` : "New target user"), form);
  // Focus now, not after the groups load: by then the user may be typing elsewhere.
  inputs.email.focus();
  if (editing && can("target-users/{resourceId}/groups|POST")) root.append(await groupsOf(existing));
}

/** The groups a user is in, with a way to add the user to another group or take them out. */
async function groupsOf(user) {
  const id = encodeURIComponent(user.resourceId);
  const canRemove = can("target-groups/{resourceId}/users|DELETE");
  const table = dataTable({
    caption: `Groups of ${user.email}`,
    noun: "groups",
    empty: "Not in any group.",
    orderBy: "Name",
    load: (page) => api.post(`/target-users/${id}/groups`, searchBody(page)),
    rowAttributes: (g) => ({ "data-group": g.name }),
    columns: [
      { title: "Group", sort: "Name", cell: (g) => (can("target-groups/{resourceId}/users|POST") ? h("a", { href: link("target-groups", g.resourceId) }, g.name) : g.name) },
      { title: "Priority", cell: (g) => PRIORITY_LABELS[g.priority] || g.priority || "" },
      {
        title: "Action",
        class: "actions",
        cell: (g) => (canRemove ? h("button", {
          type: "button",
          class: "link danger-text",
          "aria-label": `Remove from ${g.name}`,
          onclick: async () => {
            try {
              await api.delete(`/target-groups/${encodeURIComponent(g.resourceId)}/users`, { targetUserResourceIds: [user.resourceId] });
              status.textContent = `Removed from ${g.name}.`;
            } catch (e) {
              status.textContent = e.message;
            }
            table.reload();
          },
        }, "Remove") : null),
      },
    ],
  });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const section = h("section", { class: "section", "aria-labelledby": "user-groups-title" },
    h("h2", { id: "user-groups-title" }, "Groups"), status);
  if (can("target-groups/users|PUT") && can("target-groups|GET")) {
    const all = await api.get("/target-groups");
    const pick = h("select", { id: "add-to-group" }, (all || []).map((g) => h("option", { value: g.resourceId }, g.name)));
    section.append(h("div", { class: "inline actions-bar" },
      h("label", { for: pick.id }, "Add to group"), pick,
      h("button", {
        type: "button",
        class: "secondary",
        disabled: !(all || []).length,
        onclick: async () => {
          try {
            await api.put("/target-groups/users", { targetUserResourceIds: [user.resourceId], targetGroupResourceIds: [pick.value] });
            status.textContent = `Added to ${pick.selectedOptions[0].textContent}.`;
          } catch (e) {
            status.textContent = e.message;
          }
          table.reload(1);
        },
      }, "Add")));
  }
  section.append(table.element);
  await table.reload(1);
  return section;
}
