// Settings → Job Log: the company's background jobs (mapping and importing
// spreadsheets), newest first, and one job's steps with the rows that failed and why. A job
// still running is followed live.

import { h, formatDate } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { dataTable } from "../lib/table.js";
import { link } from "../lib/nav.js";
import { jobFinished, jobStatusName, percent } from "../lib/progress.js";

const STATUS_LABELS = { Idle: "Queued", Running: "Running", Finished: "Finished", FinishedWithError: "Finished with errors" };

function statusCell(job) {
  const name = jobStatusName(job);
  return h("span", { class: `status ${name.toLowerCase()}` }, STATUS_LABELS[name]);
}

function bar(item, label) {
  const value = Math.round(percent(item));
  return h("span", { class: "inline" }, h("progress", { max: 100, value, "aria-label": label }), `${value} %`);
}

/** The jobs as `PagedResults`, whether the API answers a list, a page or one job. */
function asPage(answer, { pageNumber, pageSize }) {
  if (answer && Array.isArray(answer.results)) return answer;
  const all = Array.isArray(answer) ? answer : answer ? [answer] : [];
  all.sort((a, b) => String(b.createTime).localeCompare(String(a.createTime)));
  return {
    results: all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize),
    totalNumberOfRecords: all.length,
    totalNumberOfPages: Math.ceil(all.length / pageSize),
  };
}

export async function list(root) {
  const table = dataTable({
    caption: "Jobs",
    noun: "jobs",
    empty: "No jobs yet. Importing users runs as a job, listed here.",
    load: async (page) => asPage(await api.get("/jobs"), page),
    rowAttributes: (j) => ({ "data-job": j.resourceId }),
    columns: [
      { title: "Job", cell: (j) => h("a", { href: link("job-log", j.resourceId) }, j.name) },
      { title: "Status", cell: statusCell },
      { title: "Progress", cell: (j) => bar(j, `Progress of ${j.name}`) },
      { title: "Started", cell: (j) => formatDate(j.createTime) },
      { title: "Ended", cell: (j) => formatDate(j.endTime) },
      { title: "Error", cell: (j) => j.errorMessage || "" },
    ],
  });
  root.append(h("h1", {}, "Job Log"), table.element);
  await table.reload(1);
}

/** The rows a step could not take, with the input as it came. */
function errorsOf(step) {
  const rows = step.processErrors.map((e) => h("tr", {}, h("td", {}, e.errorMessage), h("td", { class: "mono" }, e.inputData || "")));
  return h("section", { class: "section" },
    h("h2", {}, `Errors of ${step.name}`),
    h("table", { "data-errors": step.name },
      h("caption", { class: "visually-hidden" }, `Errors of ${step.name}`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Error"), h("th", { scope: "col" }, "Input"))),
      h("tbody", {}, rows)));
}

export async function detail(root, { id }) {
  const path = `/jobs/${encodeURIComponent(id)}`;
  const job = await api.get(path);
  const view = h("div", {});
  const draw = (j) => {
    const steps = j.processResults || [];
    view.replaceChildren(
      h("dl", { class: "facts" },
        h("dt", {}, "Status"), h("dd", {}, statusCell(j)),
        h("dt", {}, "Progress"), h("dd", {}, bar(j, "Progress of the job")),
        h("dt", {}, "Started"), h("dd", {}, formatDate(j.createTime)),
        h("dt", {}, "Ended"), h("dd", {}, formatDate(j.endTime) || "\u2014"),
        j.errorMessage ? [h("dt", {}, "Error"), h("dd", {}, j.errorMessage)] : null),
      h("h2", {}, "Steps"),
      steps.length ? h("table", {},
        h("caption", { class: "visually-hidden" }, "Steps of the job"),
        h("thead", {}, h("tr", {}, ["Step", "Done", "Progress", "Ended", "Errors"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, steps.map((s) => h("tr", { "data-step": s.name },
          h("td", {}, s.name),
          h("td", {}, `${s.currentCount ?? 0} of ${s.targetCount ?? 0}`),
          h("td", {}, bar(s, `Progress of ${s.name}`)),
          h("td", {}, formatDate(s.endTime)),
          h("td", {}, String((s.processErrors || []).length)))))) : h("p", { class: "muted" }, "No steps yet."),
      ...steps.filter((s) => (s.processErrors || []).length).map(errorsOf));
  };
  root.append(h("p", {}, h("a", { href: "#/job-log" }, "\u2190 Job Log")), h("h1", {}, job.name), view);
  draw(job);
  // Follow a running job while its page is shown.
  let current = job;
  while (!jobFinished(current) && view.isConnected) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!view.isConnected) break;
    current = await api.get(path);
    draw(current);
  }
}
