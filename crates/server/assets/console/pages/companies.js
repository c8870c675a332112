// Reseller → Companies: every company the user manages, with search, pages and the licence
// columns.

import { h, formatDate } from "../lib/dom.js";
import { call, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";

export async function list(root) {
  const search = searchForm("company-search", "Search companies", () => table.reload(1));
  const table = dataTable({
    caption: "Companies",
    noun: "companies",
    empty: "No companies match.",
    orderBy: "Name",
    // Every company the user manages, whichever one is selected for the other pages.
    load: (page) => call("POST", "/console/api/companies/search", searchBody({ ...page, text: search.text() }), { company: false }),
    columns: [
      { title: "Company Name", sort: "Name", cell: (c) => c.companyName },
      { title: "Reseller", cell: (c) => c.resellerName || "" },
      { title: "Industry", cell: (c) => c.industryName || "" },
      { title: "License Type", cell: (c) => c.licenseTypeName || "" },
      { title: "Number of Users", sort: "NumberOfUsers", cell: (c) => `${c.numberOfUsers ?? ""}${c.isNumberOfUsersLimited ? "" : " (unlimited)"}` },
      { title: "License End Date", sort: "LicenseEndDate", cell: (c) => formatDate(c.licenseEndDate) },
      { title: "Date Created", sort: "CreateTime", cell: (c) => formatDate(c.createTime) },
    ],
  });
  root.append(h("h1", {}, "Companies"), search.element, table.element);
  await table.reload(1);
}
