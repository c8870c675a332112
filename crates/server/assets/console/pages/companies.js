// Reseller → Companies: every company the user manages (search, pages, the licence columns, the
// "exceeding licence limit" toggle, export, delete and bulk delete), and the company form that
// creates or edits one: profile, reference data, licence, user limit and logo.
//
// The calls name no company (`{ company: false }`): the list covers every company the user
// manages whichever one is selected for the other pages, and a new company is created under the
// user's own. The form goes as the contract's multipart form (PascalCase fields, the logo as
// `File`). Picking a country proposes its time zone, date and time formats and language
// (`/lookups/country-timezones`); picking a licence type proposes the modules it includes.

import { h, formatDate } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable, searchForm } from "../lib/table.js";
import { field, typedInput, onSubmit, setFieldError } from "../lib/form.js";
import { confirm } from "../lib/dialog.js";
import { go, link, refresh, say, success, failure } from "../lib/nav.js";

const OWN = { company: false };
const companyPath = (id) => `/companies/${encodeURIComponent(id)}`;

/** The lookup types the form offers (`GET /api/codetypes`). */
const COUNTRY = 1;
const INDUSTRY = 2;
const LICENSE_PERIOD = 4;
const LANGUAGE = 21;

/** What goes with a company (the delete handler's cascade), for the confirmations. */
const GOES_WITH =
  "its API clients, console users, roles, target users and groups, custom fields, import jobs, SCIM and SIEM settings, logo, the company groups it owns and its place in other groups";

/** Why the API refused, in its own words (a refusal's reasons are its validation messages). */
function why(e) {
  return e.messages && e.messages.length ? e.messages.join(" ") : e.message;
}

/** The licence limit as the list shows it. */
function limitCell(c) {
  return c.isNumberOfUsersLimited ? String(c.numberOfUsers ?? "") : "Unlimited";
}

/** Target users, marked when over a limited licence. */
function usersCell(c) {
  const over = c.isNumberOfUsersLimited && Number(c.targetUserCount) > Number(c.numberOfUsers);
  return over
    ? h("span", { class: "over-limit" }, `${c.targetUserCount} (over the limit)`)
    : String(c.targetUserCount ?? 0);
}

function renewalCell(c) {
  if (!c.licenseEndDate) return "";
  return c.licenceExpired ? h("span", { class: "expired" }, `${c.licenseEndDate.slice(0, 10)} (expired)`) : c.licenseEndDate.slice(0, 10);
}

export async function list(root) {
  const exceeding = h("input", { id: "company-exceeding", type: "checkbox" });
  exceeding.addEventListener("change", () => {
    table.clearSelection();
    table.reload(1);
  });
  const overCount = h("span", { class: "hint", id: "company-exceeding-count", "aria-live": "polite" });
  const search = searchForm("company-search", "Search companies", () => table.reload(1),
    h("div", {}, h("label", { class: "choice", for: exceeding.id }, exceeding, "Only companies exceeding their licence limit"), overCount));
  const body = (page) => searchBody({ ...page, text: search.text(), isTargetUserCountExceededLimit: exceeding.checked });
  const canDelete = can("companies/{resourceId}|DELETE");
  const canBulk = can("companies/bulk-delete|DELETE");
  const bulkButton = h("button", { type: "button", class: "danger", disabled: true }, "Delete Selected");
  const table = dataTable({
    caption: "Companies",
    noun: "companies",
    empty: "No companies match.",
    orderBy: "Name",
    load: async (page) => {
      const answer = await api.post("/companies/search", body(page), OWN);
      const n = answer ? answer.limitExceededCompanyCount || 0 : 0;
      overCount.textContent = `${n} compan${n === 1 ? "y exceeds its" : "ies exceed their"} licence limit.`;
      return answer;
    },
    rowAttributes: (c) => ({ "data-company": c.companyName }),
    select: canBulk ? { key: (c) => c.companyResourceId, label: (c) => `Select ${c.companyName}` } : undefined,
    onSelect: (selected) => {
      bulkButton.disabled = selected.size === 0;
      bulkButton.textContent = selected.size ? `Delete Selected (${selected.size})` : "Delete Selected";
    },
    columns: [
      {
        title: "Company Name",
        sort: "Name",
        cell: (c) => (can("companies/{resourceId}|GET") ? h("a", { href: link("companies", c.companyResourceId) }, c.companyName) : c.companyName),
      },
      { title: "Reseller", cell: (c) => c.resellerName || "" },
      { title: "Industry", cell: (c) => c.industryName || "" },
      { title: "License Type", cell: (c) => c.licenseTypeName || "" },
      { title: "License Limit", sort: "NumberOfUsers", cell: limitCell },
      { title: "Target Users", sort: "TargetUserCount", cell: usersCell },
      { title: "Monthly Users", cell: (c) => String(c.monthlyActiveUserCount ?? 0) },
      { title: "Renewal Date", sort: "LicenseEndDate", class: "nowrap", cell: renewalCell },
      { title: "Date Created", sort: "CreateTime", cell: (c) => formatDate(c.createTime) },
      {
        title: "Action",
        class: "actions",
        cell: (c) => [
          can("companies/{resourceId}|GET")
            ? h("a", { href: link("companies", c.companyResourceId), "aria-label": `Edit ${c.companyName}` }, "Edit") : null,
          canDelete
            ? h("button", {
              type: "button",
              class: "link danger-text",
              "aria-label": `Delete ${c.companyName}`,
              onclick: async () => {
                const message = await remove({ resourceId: c.companyResourceId, name: c.companyName });
                if (!message) return;
                say(message);
                refresh();
              },
            }, "Delete") : null,
        ],
      },
    ],
  });
  bulkButton.addEventListener("click", async () => {
    const ids = [...table.selected];
    const names = (table.page.results || []).filter((c) => table.selected.has(c.companyResourceId)).map((c) => c.companyName);
    const sure = await confirm(`Delete ${ids.length} compan${ids.length === 1 ? "y" : "ies"}?`,
      `${names.length === ids.length ? names.join(", ") : `${ids.length} companies`} will be deleted, each with ${GOES_WITH}. `
      + "A company with companies under it is refused unless they are selected too; if one is refused, none is deleted. This cannot be undone.");
    if (!sure) return;
    try {
      const answer = await api.delete("/companies/bulk-delete", { items: ids }, OWN);
      say(success(`${answer.resourceId} compan${answer.resourceId === "1" ? "y was" : "ies were"} deleted.`));
    } catch (e) {
      say(failure(`Nothing was deleted: ${why(e)}`));
    }
    refresh();
  });
  const exporting = h("span", { class: "hint", "aria-live": "polite" });
  const exportAs = (exportType, extension) => h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      exporting.textContent = "";
      try {
        await api.download("/companies/search/export",
          { ...body({ ...table.state, pageNumber: 1 }), exportType, reportAllPages: true }, `companies.${extension}`, OWN);
        exporting.textContent = "Export downloaded.";
      } catch (e) {
        exporting.textContent = `Export failed: ${e.message}`;
      }
    },
  }, `Export ${extension.toUpperCase()}`);
  root.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "Companies"),
      h("div", { class: "toolbar-extra" },
        can("companies/search/export|POST") ? [exportAs("Csv", "csv"), exportAs("Excel", "xlsx")] : null,
        canBulk ? bulkButton : null,
        can("companies|POST") ? h("a", { class: "button", href: "#/companies/new" }, "+ NEW") : null)),
    search.element,
    exporting,
    table.element);
  await table.reload(1);
}

/** Deletes `company` once confirmed; the message to show, or null when not confirmed. */
async function remove(company) {
  const sure = await confirm("Delete company?",
    `"${company.name}" will be deleted with ${GOES_WITH}. A company with companies under it is refused until they are moved or deleted. This cannot be undone.`);
  if (!sure) return null;
  try {
    await api.delete(companyPath(company.resourceId), undefined, OWN);
    return success(`Company "${company.name}" was deleted.`);
  } catch (e) {
    return failure(`Company "${company.name}" was not deleted: ${why(e)}`);
  }
}

/** The reference data the form offers, fetched at once. */
async function references() {
  const [lookups, licenses, zones, suggestions] = await Promise.all([
    api.post("/lookups", { typeIdList: [COUNTRY, INDUSTRY, LICENSE_PERIOD, LANGUAGE] }),
    api.get("/lookups/licenses"),
    api.get("/timezone/timezones"),
    api.get("/lookups/country-timezones").catch(() => []),
  ]);
  const ofType = (type) => (lookups || []).filter((l) => l.genericCodeTypeId === type);
  return {
    countries: ofType(COUNTRY),
    industries: ofType(INDUSTRY),
    periods: ofType(LICENSE_PERIOD),
    languages: ofType(LANGUAGE),
    licenses: (licenses && licenses.licenses) || [],
    modules: (licenses && licenses.allLicenseModules) || [],
    zones: (zones && zones.timeZoneList) || [],
    dateFormats: (zones && zones.dateFormatList) || [],
    timeFormats: (zones && zones.timeFormatList) || [],
    suggestions: new Map((suggestions || []).map((s) => [s.countryCode, s])),
  };
}

/** Reads `file` as a `data:` URL (the page's CSP admits `data:` images, not `blob:`). */
function dataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export async function form(root, { id = null }) {
  const editing = id !== null;
  const [existing, refs, logo] = await Promise.all([
    editing ? api.get(companyPath(id), OWN) : Promise.resolve(null),
    references(),
    editing && can("companies/{resourceId}/logo|GET") ? api.get(`${companyPath(id)}/logo`, OWN).catch(() => null) : Promise.resolve(null),
  ]);
  const company = existing || { statusId: 1, isNumberOfUsersLimited: true, licenseModules: [] };
  const canSave = editing ? can("companies/{resourceId}|PUT") : can("companies|POST");
  const errors = h("div", { "aria-live": "assertive" });
  const none = { value: "", label: "\u2014" };
  const choices = (items) => [none, ...items.map((l) => ({ value: l.resourceId, label: l.name }))];
  const text = (list) => [none, ...list.map((f) => ({ value: f, label: f }))];
  const select = (key, list, value) => typedInput("select", { id: `company-${key}`, value: value ?? "", choices: list });

  const inputs = {
    name: typedInput("text", { id: "company-name", value: company.name, maxLength: 64 }),
    industry: select("industry", choices(refs.industries), company.industryResourceId),
    country: select("country", choices(refs.countries), company.countryResourceId),
    timeZone: select("timeZone", [none, ...refs.zones.map((z) => ({ value: z.id, label: z.displayName }))], company.timeZoneId),
    dateFormat: select("dateFormat", text(refs.dateFormats), company.dateFormat),
    timeFormat: select("timeFormat", text(refs.timeFormats), company.timeFormat),
    language: select("language", choices(refs.languages), company.preferredLanguageTypeResourceId),
    address: typedInput("text", { id: "company-address", value: company.address, maxLength: 200 }),
    website: typedInput("text", { id: "company-website", value: company.websiteUrl, maxLength: 2000 }),
    status: select("status", [{ value: "1", label: "Active" }, { value: "0", label: "Inactive" }], String(company.statusId ?? 1)),
    licenseType: select("licenseType", choices(refs.licenses), company.licenseTypeResourceId),
    period: select("period", choices(refs.periods), company.licensePeriodTypeResourceId),
    start: typedInput("date", { id: "company-start", value: company.licenseStartDate }),
    end: typedInput("date", { id: "company-end", value: company.licenseEndDate }),
    users: h("input", { id: "company-users", type: "number", min: 0, step: 1, value: company.numberOfUsers ?? "" }),
  };
  const description = h("textarea", { id: "company-description", rows: 3, maxLength: 300 });
  description.value = company.description || "";
  const unlimited = h("input", { id: "company-unlimited", type: "checkbox", checked: company.isNumberOfUsersLimited === false });
  // Whether a company resells is chosen when it is created (the company read does not say it,
  // so an edit could only guess and would demote a reseller).
  const reseller = editing ? null : h("input", { id: "company-reseller", type: "checkbox" });
  const suggested = h("p", { class: "hint", id: "company-suggestion", "aria-live": "polite" });

  // Picking a country proposes its defaults; each stays a choice of its own.
  inputs.country.addEventListener("change", () => {
    const country = refs.countries.find((c) => c.resourceId === inputs.country.value);
    const s = country && refs.suggestions.get(country.code);
    if (!s) {
      suggested.textContent = "";
      return;
    }
    const proposed = [];
    const propose = (input, value, what) => {
      if (value && [...input.options].some((o) => o.value === value)) {
        input.value = value;
        setFieldError(input, null);
        proposed.push(`${what} ${input.selectedOptions[0].textContent}`);
      }
    };
    propose(inputs.timeZone, s.timezone, "time zone");
    propose(inputs.dateFormat, s.dateFormat, "dates");
    propose(inputs.timeFormat, s.timeFormat, "times");
    propose(inputs.language, s.languageResourceId, "language");
    suggested.textContent = proposed.length ? `Proposed for ${country.name}: ${proposed.join(", ")}. Change them if needed.` : "";
  });
  inputs.timeZone.setAttribute("aria-describedby", suggested.id);

  // A licence type proposes the modules it includes.
  const moduleBoxes = refs.modules.map((m) => h("input", {
    type: "checkbox",
    id: `company-module-${m.resourceId}`,
    value: m.resourceId,
    "data-name": m.name,
    checked: (company.licenseModules || []).some((x) => x.resourceId === m.resourceId),
  }));
  inputs.licenseType.addEventListener("change", () => {
    const type = refs.licenses.find((l) => l.resourceId === inputs.licenseType.value);
    if (!type) return;
    const included = new Set((type.licenseModules || []).map((m) => m.resourceId));
    for (const box of moduleBoxes) box.checked = included.has(box.value);
  });
  const modules = h("fieldset", { id: "company-modules" },
    h("legend", {}, "Modules"),
    h("div", { class: "module-list" }, moduleBoxes.map((box) => h("label", { class: "choice", for: box.id }, box, box.dataset.name))));

  const syncLimit = () => {
    inputs.users.disabled = unlimited.checked;
  };
  unlimited.addEventListener("change", syncLimit);
  syncLimit();

  const logoInput = h("input", { id: "company-logo", type: "file", accept: "image/png,image/jpeg,image/gif,image/webp" });
  const preview = h("img", { id: "company-logo-preview", class: "logo-preview", alt: "" });
  const showLogo = (src, alt) => {
    preview.hidden = !src;
    if (src) preview.src = src;
    else preview.removeAttribute("src");
    preview.alt = alt;
  };
  showLogo(logo && logo.fileContent ? `data:${logoType(logo.fileName)};base64,${logo.fileContent}` : null,
    logo && logo.fileName ? `Current logo (${logo.fileName})` : "");
  logoInput.addEventListener("change", async () => {
    setFieldError(logoInput, null);
    const file = logoInput.files[0];
    if (!file) return;
    showLogo(await dataUrl(file), `Preview of the new logo (${file.name})`);
  });

  const labels = {
    name: "Company Name", industry: "Industry", country: "Country", timeZone: "Time Zone", dateFormat: "Date Format",
    timeFormat: "Time Format", language: "Preferred Language", address: "Address", website: "Website",
    status: "Status", licenseType: "License Type", period: "License Period", start: "License Start Date",
    end: "License End Date", users: "Number of Users",
  };
  const wire = {
    name: "Name", industry: "IndustryResourceId", country: "CountryResourceId", timeZone: "TimeZoneId", dateFormat: "DateFormat",
    timeFormat: "TimeFormat", language: "PreferredLanguageTypeResourceId", address: "Address", website: "WebsiteUrl",
    status: "StatusId", licenseType: "LicenseTypeResourceId", period: "LicensePeriodTypeResourceId", start: "LicenseStartDate",
    end: "LicenseEndDate", users: "NumberOfUsers",
  };
  const row = (...keys) => keys.map((k) => field(labels[k], inputs[k]));
  const remover = editing && can("companies/{resourceId}|DELETE")
    ? h("button", {
      type: "button",
      class: "danger",
      onclick: async () => {
        const message = await remove({ resourceId: id, name: existing.name });
        if (message && message.kind === "success") go("#/companies", message);
        else if (message) errors.replaceChildren(h("div", { class: "notice error", role: "alert" }, h("p", {}, message.message)));
      },
    }, "Delete")
    : null;

  const form = h("form", { class: "card" },
    errors,
    h("fieldset", {},
      h("legend", {}, "Company"),
      h("div", { class: "grid" },
        row("name", "industry", "country"),
        field(labels.timeZone, inputs.timeZone),
        row("dateFormat", "timeFormat", "language", "address", "website", "status")),
      suggested,
      field("Description", description),
      reseller ? h("div", { class: "field" },
        h("label", { class: "choice", for: reseller.id }, reseller, "Reseller"),
        h("p", { class: "hint", id: "company-reseller-hint" }, "A reseller manages companies of its own.")) : null),
    h("fieldset", {},
      h("legend", {}, "Licence"),
      h("div", { class: "grid" },
        row("licenseType", "period", "start", "end"),
        h("div", { class: "field" },
          h("label", { for: inputs.users.id }, labels.users), inputs.users,
          h("label", { class: "choice", for: unlimited.id }, unlimited, "Unlimited users"))),
      modules),
    h("fieldset", {},
      h("legend", {}, "Logo"),
      field("Logo image", logoInput, { hint: "PNG, JPEG, GIF or WebP, at most 1 MiB." }),
      preview),
    h("div", { class: "buttons" },
      canSave ? h("button", { type: "submit", id: "company-save" }, editing ? "Save" : "Create") : null,
      h("a", { class: "button secondary", href: "#/companies" }, "Cancel"),
      remover));
  if (reseller) reseller.setAttribute("aria-describedby", "company-reseller-hint");

  onSubmit(form, {
    errors,
    fields: () => [
      ...Object.entries(inputs).map(([key, el]) => ({ input: el, names: [wire[key], labels[key]] })),
      { input: description, names: ["Description"] },
      { input: unlimited, names: ["IsNumberOfUsersLimited"] },
      ...(reseller ? [{ input: reseller, names: ["IsReseller"] }] : []),
      { input: logoInput, names: ["File", "Logo"] },
      ...(moduleBoxes.length ? [{ input: moduleBoxes[0], names: ["LicenseModuleResourceIdArray", "Modules"] }] : []),
    ],
    check: () => (inputs.start.value && inputs.end.value && inputs.end.value < inputs.start.value
      ? [{ input: inputs.end, message: "The end date must not be before the start date" }] : []),
    submit: async () => {
      const data = new FormData();
      for (const [key, el] of Object.entries(inputs)) {
        if (key === "users") continue;
        data.append(wire[key], el.value.trim());
      }
      data.append("Description", description.value.trim());
      data.append("IsNumberOfUsersLimited", unlimited.checked ? "false" : "true");
      // Unlimited keeps the number as it is (the contract requires one on create).
      data.append("NumberOfUsers", inputs.users.value.trim() || (unlimited.checked ? "0" : ""));
      if (reseller) data.append("IsReseller", reseller.checked ? "true" : "false");
      const picked = moduleBoxes.filter((b) => b.checked).map((b) => b.value);
      // One empty value when none is picked: the field is there, so the set is emptied.
      for (const m of picked.length ? picked : [""]) data.append("LicenseModuleResourceIdArray", m);
      if (logoInput.files[0]) data.append("File", logoInput.files[0], logoInput.files[0].name);
      const name = inputs.name.value.trim();
      if (editing) await api.form("PUT", companyPath(id), data, OWN);
      else await api.form("POST", "/companies", data, OWN);
      go("#/companies", success(`Company "${name}" was ${editing ? "saved" : "created"}.`));
    },
  });

  // A field marked by a refused save is cleared once it is changed.
  for (const input of [...Object.values(inputs), description]) {
    input.addEventListener(input.tagName === "SELECT" ? "change" : "input", () => {
      if (input.getAttribute("aria-invalid")) setFieldError(input, null);
    });
  }

  root.append(
    h("p", {}, h("a", { href: "#/companies" }, "\u2190 Companies")),
    h("h1", {}, editing ? `Edit company ${existing.name}` : "New company"),
    form);
  inputs.name.focus();
}

/** The image type of a logo, from its file name (the API sends the content without one). */
function logoType(name) {
  const ext = String(name || "").split(".").pop().toLowerCase();
  return { jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" }[ext] || "image/png";
}
