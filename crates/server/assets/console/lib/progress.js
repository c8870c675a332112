// Progress of background work: a labelled progress bar and a poll loop.

import { h } from "./dom.js";
import { uid } from "./form.js";

/** A `<progress>` with a visible label and a live text ("40 of 100 rows"). */
export function progressBar(label) {
  const id = uid("progress");
  const bar = h("progress", { id, max: 100, value: 0 });
  const text = h("span", { class: "hint", "aria-live": "polite" });
  const element = h("div", { class: "progress" }, h("label", { for: id }, label), bar, text);
  return {
    element,
    /** `percent` 0..100; `detail` a short text beside the bar. */
    set(percent, detail = "") {
      bar.value = Math.max(0, Math.min(100, Number(percent) || 0));
      text.textContent = detail || `${Math.round(bar.value)} %`;
    },
  };
}

/**
 * Calls `read()` every `interval` ms, handing each answer to `each`, until `done(answer)`;
 * resolves with the last answer. Stops (rejecting) when `signal` says the page was left.
 */
export async function poll(read, { done, each = () => {}, interval = 500, isLeft = () => false }) {
  for (;;) {
    const answer = await read();
    each(answer);
    if (done(answer)) return answer;
    if (isLeft()) throw new Error("The page was left");
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

// Jobs (`/api/jobs`, the mapping job): status 0 Idle (queued), 1 Running, 2 Finished,
// 3 FinishedWithError, sent as a number or a name.

const STATUSES = ["Idle", "Running", "Finished", "FinishedWithError"];

/** A job's status by name, whether the API sent the number (0 Idle … 3) or the name. */
export function jobStatusName(job) {
  const s = job.statusName ?? job.status;
  if (typeof s === "number") return STATUSES[s] || "Idle";
  return STATUSES.find((x) => x.toLowerCase() === String(s || "").toLowerCase()) || (job.isFinished ? "Finished" : "Running");
}

/** 0..100 from a job's or step's `progress`, or from its counts. */
export function percent(item) {
  if (typeof item.progress === "number") return item.progress;
  if (item.targetCount) return (100 * (item.currentCount || 0)) / item.targetCount;
  return item.isFinished ? 100 : 0;
}

/** Whether a job (or the mapping job's answer) has ended, well or not. */
export function jobFinished(job) {
  return job.isFinished === true || ["Finished", "FinishedWithError"].includes(jobStatusName(job));
}
