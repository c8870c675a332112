// Settings → User Roles: built-in and custom roles with their user counts.

import { h, formatDate } from "../lib/dom.js";
import { api, searchBody } from "../lib/api.js";
import { dataTable } from "../lib/table.js";

export async function list(root) {
  const table = dataTable({
    caption: "User roles",
    noun: "roles",
    empty: "No roles.",
    orderBy: "CreateTime",
    load: (page) => api.post("/roles/search", searchBody(page)),
    columns: [
      { title: "Role Name", sort: "Name", cell: (r) => [h("span", {}, r.roleName), r.roleDescription ? h("div", { class: "hint" }, r.roleDescription) : null] },
      { title: "Users", cell: (r) => String(r.userCount) },
      { title: "Tenant Users", cell: (r) => String(r.tenantUserCount) },
      { title: "Type", cell: (r) => r.typeName },
      { title: "Date Created", sort: "CreateTime", cell: (r) => formatDate(r.createTime) },
    ],
  });
  root.append(h("h1", {}, "User Roles"), table.element);
  await table.reload(1);
}
