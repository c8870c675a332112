// Targets → Import Users: the spreadsheet import as four steps.
//
//   1. Upload   `POST /target-users/upload` (multipart `File`) gives a transaction; its summary
//               (`GET /target-users/upload/{transactionId}`) lists the file's columns.
//   2. Map      a dropdown of the file's columns for each of our fields and custom fields;
//               a workbook with several sheets offers them (another sheet's columns come from
//               `GET /target-groups/upload/{transactionId}/search?sheetName=`: both uploads
//               share their transactions); `POST /target-users/create-mapping` starts the
//               mapping job, polled through `GET /target-users/mapping-job/{id}` behind a
//               progress bar.
//   3. Preview  `POST /target-users/{transactionId}/search` (not wrapped in the envelope):
//               every row New, Exists or Error, invalid rows marked with their
//               `validationDetail`, an "only invalid" toggle (`Status Include "Error"`), and a
//               selection, and the rows as CSV (`…/search/export`). Going back to the mapping
//               re-issues the transaction (`PUT /target-users/{transactionId}/update`) and
//               carries on with the new id.
//   4. Import   `POST /target-users/{transactionId}/import`: All, Selected, OnlyNew or
//               OnlyUpdateExisting; then the job (`GET /jobs/{id}`) feeds a progress bar until
//               it ends.
//
// The wizard lives on one page; its state is this module's closure, not the URL (a
// transaction expires anyway, and a reload starts over).

import { h, notice, failureNotice, statusBadge } from "../lib/dom.js";
import { api, can, searchBody } from "../lib/api.js";
import { dataTable } from "../lib/table.js";
import { field, onSubmit, uid } from "../lib/form.js";
import { link } from "../lib/nav.js";
import { progressBar, poll, jobFinished, jobStatusName, percent } from "../lib/progress.js";
import { userCustomFields } from "../lib/people.js";

/** Our fields a column can be mapped to, by the names `create-mapping` takes. */
const FIELDS = [
  { name: "email", label: "Email", required: true },
  { name: "firstName", label: "First Name" },
  { name: "lastName", label: "Last Name" },
  { name: "phoneNumber", label: "Phone Number" },
  { name: "department", label: "Department" },
  { name: "priority", label: "Priority" },
  { name: "timeZone", label: "Time Zone" },
  { name: "preferredLanguage", label: "Preferred Language" },
  { name: "managerFirstName", label: "Manager First Name" },
  { name: "managerLastName", label: "Manager Last Name" },
  { name: "managerEmail", label: "Manager Email" },
];

const STEPS = ["Upload", "Map Fields", "Preview", "Import"];

/** `First_Name`, `first name` and `FirstName` are one name. */
const fold = (text) => String(text).toLowerCase().replace(/[\s_-]+/g, "");

/** The job id in a `create-mapping` or `import` answer (an object holding it, or the id). */
const jobIdOf = (data) => (typeof data === "string" ? data : data && (data.resourceId || data.jobResourceId || data.jobId));

export async function wizard(root) {
  const state = { transactionId: null, upload: null, summary: null, sheet: null, mapping: new Map(), groups: new Set(), fields: [] };
  const steps = h("ol", { class: "steps", "aria-label": "Import steps" });
  const view = h("div", {});
  const left = () => !view.isConnected;
  root.append(h("h1", {}, "Import Target Users"), steps, view);

  const show = (n, ...content) => {
    steps.replaceChildren(...STEPS.map((s, i) => h("li", { "aria-current": i === n ? "step" : undefined }, `${i + 1}. ${s}`)));
    view.replaceChildren(...content);
    const heading = view.querySelector("h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  };

  // ---- 1. Upload ------------------------------------------------------------------------------
  const uploadStep = () => {
    const errors = h("div", { "aria-live": "assertive" });
    const file = h("input", { id: "import-file", type: "file", accept: ".csv,.xlsx,.xls,text/csv" });
    const example = (exportType, extension) => h("button", {
      type: "button",
      class: "secondary",
      onclick: async () => {
        try {
          await api.download("/target-users/example-file", { exportType }, `target-users-example.${extension}`);
        } catch (e) {
          errors.replaceChildren(failureNotice(e));
        }
      },
    }, `Example ${extension.toUpperCase()}`);
    const form = h("form", { class: "card" },
      h("h2", {}, "Upload a spreadsheet"),
      errors,
      field("Spreadsheet file", file, { hint: "CSV (UTF-8 or Latin-1, comma or semicolon), XLSX or XLS, with a header row. Email is required; First Name, Last Name, Phone Number, Department, Time Zone and Priority are optional." }),
      can("target-users/example-file|POST") ? h("div", { class: "actions-bar" }, h("span", {}, "Start from an example:"), example("Csv", "csv"), example("Excel", "xlsx")) : null,
      h("div", { class: "buttons" }, h("button", { type: "submit" }, "Upload")));
    onSubmit(form, {
      errors,
      fields: () => [{ input: file, names: ["File", "file"] }],
      check: () => (file.files.length ? [] : [{ input: file, message: "Choose a file to upload" }]),
      submit: async () => {
        const upload = await api.upload("/target-users/upload", file.files[0]);
        state.transactionId = upload.transactionId;
        state.upload = upload;
        state.sheet = null;
        state.mapping.clear();
        await mapStep();
      },
    });
    show(0, form);
  };

  // ---- 2. Map fields --------------------------------------------------------------------------
  const mapStep = async () => {
    const tid = encodeURIComponent(state.transactionId);
    const [summary, customFields, groups] = await Promise.all([
      state.sheet
        ? api.get(`/target-groups/upload/${tid}/search?sheetName=${encodeURIComponent(state.sheet)}`)
        : api.get(`/target-users/upload/${tid}`),
      can("custom-fields/company|GET") ? userCustomFields() : Promise.resolve([]),
      can("target-groups|GET") ? api.get("/target-groups") : Promise.resolve([]),
    ]);
    state.summary = summary;
    const columns = summary.fileFieldNames || [];
    const targets = [...FIELDS, ...customFields.map((f) => ({ name: f.name, label: f.name, required: f.isRequired, custom: true }))];
    const errors = h("div", { "aria-live": "assertive" });
    const selects = targets.map((t) => {
      // Keep what was chosen before going back; else the column called like the field.
      const chosen = state.mapping.get(t.name) ?? columns.find((c) => fold(c) === fold(t.name) || fold(c) === fold(t.label)) ?? "";
      const select = h("select", { id: uid("map") },
        h("option", { value: "" }, "\u2014 not imported \u2014"),
        columns.map((c) => h("option", { value: c, selected: c === chosen }, c)));
      return { target: t, select };
    });
    const groupBoxes = (groups || []).map((g) => h("input", { type: "checkbox", id: uid("import-group"), value: g.resourceId, checked: state.groups.has(g.resourceId), "data-name": g.name }));
    // Another sheet: its own columns, so the choices made for this one are dropped.
    const sheets = summary.sheetNames || [];
    const firstSheet = !state.sheet || state.sheet === sheets[0];
    const sheetSelect = sheets.length > 1 && can("target-groups/upload/{transactionId}/search|GET")
      ? h("select", {
        id: uid("sheet"),
        onchange: async (event) => {
          state.sheet = event.target.value;
          state.mapping.clear();
          try {
            await mapStep();
          } catch (e) {
            errors.replaceChildren(failureNotice(e));
          }
        },
      }, sheets.map((name) => h("option", { value: name, selected: name === (state.sheet || sheets[0]) }, name)))
      : null;
    const progress = progressBar("Mapping the file");
    progress.element.hidden = true;
    const form = h("form", { class: "card" },
      h("h2", {}, "Map the file's columns to fields"),
      h("dl", { class: "facts" },
        h("dt", {}, "File type"), h("dd", {}, summary.fileType || ""),
        sheets.length > 1 && !sheetSelect ? [h("dt", {}, "Sheets"), h("dd", {}, sheets.join(", "))] : null,
        // The upload's counts are of the first sheet.
        firstSheet ? [
          h("dt", {}, "Rows"), h("dd", {}, String(state.upload.rowCount ?? "")),
          h("dt", {}, "Columns"), h("dd", {}, String(state.upload.columnCount ?? columns.length)),
          h("dt", {}, "Duplicate emails"), h("dd", {}, String(state.upload.duplicateCount ?? 0)),
        ] : [h("dt", {}, "Columns"), h("dd", {}, String(columns.length))]),
      errors,
      sheetSelect ? field("Sheet", sheetSelect, { hint: "The sheet whose rows are imported." }) : null,
      h("div", { class: "grid" }, selects.map((s) => field(s.target.required ? `${s.target.label} (required)` : s.target.label, s.select))),
      groupBoxes.length ? h("fieldset", {},
        h("legend", {}, "Add the imported users to these groups"),
        groupBoxes.map((b) => h("label", { class: "choice", for: b.id }, b, b.dataset.name))) : null,
      progress.element,
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", onclick: uploadStep }, "Upload Another File"),
        h("button", { type: "submit" }, "Map Fields")));
    onSubmit(form, {
      errors,
      // "Column 'Mail' is not in the file" and "email is required" land at their dropdowns.
      fields: () => selects.map((s) => ({ input: s.select, names: [s.target.name, s.target.label, s.select.value].filter(Boolean) })),
      check: () => selects.filter((s) => s.target.name === "email" && !s.select.value)
        .map((s) => ({ input: s.select, message: "Choose the column that holds the email addresses" })),
      submit: async () => {
        state.mapping = new Map(selects.filter((s) => s.select.value).map((s) => [s.target.name, s.select.value]));
        state.groups = new Set(groupBoxes.filter((b) => b.checked).map((b) => b.value));
        const started = await api.post("/target-users/create-mapping", {
          transactionId: state.transactionId,
          sheetName: state.sheet || undefined,
          fieldMappings: [...state.mapping].map(([fieldName, excelColumnName]) => ({ excelColumnName, fieldName })),
          targetGroupResourceIds: [...state.groups],
        });
        progress.element.hidden = false;
        progress.set(0, "Queued");
        const done = await poll(() => api.get(`/target-users/mapping-job/${encodeURIComponent(jobIdOf(started))}`), {
          done: jobFinished,
          isLeft: left,
          each: (job) => {
            const total = job.totalRowCount || state.upload.rowCount || 0;
            const seen = (job.newUserCount || 0) + (job.existingUserCount || 0) + (job.invalidUserCount || 0);
            progress.set(total ? (100 * seen) / total : percent(job), `${seen} of ${total} rows checked`);
          },
        });
        if (jobStatusName(done) === "FinishedWithError") {
          errors.replaceChildren(notice("error", `The mapping failed: ${done.errorMessage || "see the Job Log"}`));
          return;
        }
        await previewStep();
      },
    });
    show(1, form);
  };

  // ---- 3. Preview -----------------------------------------------------------------------------
  const previewStep = async () => {
    const counts = h("div", { class: "counts", "aria-live": "polite" });
    const onlyInvalid = h("input", { type: "checkbox", id: "only-invalid" });
    const importSelected = h("button", { type: "button", disabled: true }, "Import Selected");
    const errors = h("div", { "aria-live": "assertive" });
    const tid = () => encodeURIComponent(state.transactionId);
    const shown = () => (onlyInvalid.checked ? [{ fieldName: "Status", operator: "Include", value: "Error" }] : []);
    const table = dataTable({
      caption: "Rows of the file",
      noun: "rows",
      empty: "No rows to show.",
      orderBy: "Email",
      load: async (page) => {
        const answer = await api.bare("POST", `/target-users/${tid()}/search`, searchBody({
          ...page,
          filterItems: shown(),
        }));
        counts.replaceChildren(
          h("div", {}, h("strong", {}, String(answer.newUserCount ?? 0)), "New"),
          h("div", {}, h("strong", {}, String(answer.existingUserCount ?? 0)), "Existing"),
          h("div", {}, h("strong", {}, String(answer.invalidUserCount ?? 0)), "Invalid"));
        return answer.items;
      },
      rowAttributes: (r) => ({ "data-row": r.email || "", class: isInvalid(r) ? "invalid" : undefined }),
      select: { key: (r) => r.resourceId, label: (r) => `Select ${r.email || "row"}` },
      onSelect: (selected) => {
        importSelected.disabled = selected.size === 0;
        importSelected.textContent = selected.size ? `Import Selected (${selected.size})` : "Import Selected";
      },
      columns: [
        { title: "Email", sort: "Email", cell: (r) => r.email || "" },
        { title: "First Name", sort: "FirstName", cell: (r) => r.firstName || "" },
        { title: "Last Name", sort: "LastName", cell: (r) => r.lastName || "" },
        { title: "Department", sort: "Department", cell: (r) => r.department || "" },
        { title: "Status", sort: "Status", cell: (r) => statusBadge(r.status) },
        {
          title: "Problems",
          cell: (r) => ((r.validationDetail || []).length
            ? h("ul", { class: "row-errors" }, r.validationDetail.map((v) => h("li", {}, v.message || `${v.fieldName}: invalid`)))
            : ""),
        },
      ],
    });
    onlyInvalid.addEventListener("change", () => {
      table.clearSelection();
      table.reload(1);
    });
    importSelected.addEventListener("click", () => importStep("Selected", [...table.selected]));
    // The rows shown (all, or only the invalid ones) with their problems, to fix in the file.
    const exportRows = async () => {
      errors.replaceChildren();
      try {
        await api.download(`/target-users/${tid()}/search/export`,
          { ...searchBody({ pageNumber: 1, pageSize: 1, orderBy: "Email", ascending: true, filterItems: shown() }), exportType: "Csv", reportAllPages: true },
          "import-preview.csv");
      } catch (e) {
        errors.replaceChildren(failureNotice(e));
      }
    };
    const back = async () => {
      errors.replaceChildren();
      try {
        const renewed = await api.put(`/target-users/${tid()}/update`, {});
        state.transactionId = renewed.transactionId;
        await mapStep();
      } catch (e) {
        errors.replaceChildren(failureNotice(e));
      }
    };
    show(2, h("div", { class: "card" },
      h("h2", {}, "Preview"),
      h("p", { class: "muted" }, "Rows marked invalid are not imported; fix them in the file and upload it again, or import the others."),
      errors,
      counts,
      h("div", { class: "actions-bar" },
        h("label", { class: "choice", for: onlyInvalid.id }, onlyInvalid, "Show only invalid rows"),
        can("target-users/{transactionId}/search/export|POST")
          ? h("button", { type: "button", class: "secondary", onclick: exportRows }, "Export Rows")
          : null),
      table.element,
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", onclick: back }, "Back to Mapping"),
        h("button", { type: "button", class: "secondary", onclick: () => importStep("OnlyNew", []),
          title: "Create the new users; leave the existing ones as they are" }, "Import New Only"),
        h("button", { type: "button", class: "secondary", onclick: () => importStep("OnlyUpdateExisting", []),
          title: "Update the users that exist; create none" }, "Update Existing Only"),
        importSelected,
        h("button", { type: "button", onclick: () => importStep("All", []) }, "Import All"))));
    await table.reload(1);
  };

  // ---- 4. Import ------------------------------------------------------------------------------
  const importStep = async (importType, selectedResourceIds) => {
    const progress = progressBar("Importing");
    const outcome = h("div", { "aria-live": "polite" });
    show(3, h("div", { class: "card" }, h("h2", {}, "Import"), progress.element, outcome));
    progress.set(0, "Starting");
    try {
      const started = await api.post(`/target-users/${encodeURIComponent(state.transactionId)}/import`, { importType, selectedResourceIds });
      const jobId = jobIdOf(started);
      const job = await poll(() => api.get(`/jobs/${encodeURIComponent(jobId)}`), {
        done: jobFinished,
        isLeft: left,
        interval: 400,
        each: (j) => {
          const steps = j.processResults || [];
          const done = steps.reduce((n, s) => n + (s.currentCount || 0), 0);
          const total = steps.reduce((n, s) => n + (s.targetCount || 0), 0);
          progress.set(percent(j), total ? `${done} of ${total} done` : "");
        },
      });
      const failed = (job.processResults || []).reduce((n, s) => n + (s.processErrors || []).length, 0);
      const ok = jobStatusName(job) === "Finished" && failed === 0;
      outcome.replaceChildren(
        notice(ok ? "success" : "warning",
          ok ? "The import has finished." : `The import has finished with ${failed || "some"} error(s)${job.errorMessage ? `: ${job.errorMessage}` : ""}.`),
        h("ul", {}, (job.processResults || []).map((s) => h("li", {}, `${s.name}: ${s.currentCount ?? 0} of ${s.targetCount ?? 0}`))),
        h("div", { class: "actions-bar" },
          h("a", { class: "button", href: "#/target-users" }, "Go to Target Users"),
          can("jobs/{resourceId}|GET") ? h("a", { class: "button secondary", href: link("job-log", jobId) }, "See the job") : null,
          h("button", { type: "button", class: "secondary", onclick: uploadStep }, "Import Another File")));
    } catch (e) {
      if (left()) return;
      outcome.replaceChildren(failureNotice(e),
        h("button", { type: "button", class: "secondary", onclick: previewStep }, "Back to Preview"));
    }
  };

  uploadStep();
}

const isInvalid = (row) => String(row.status).toLowerCase() === "error" || (row.validationDetail || []).length > 0;
