// The one way the console talks to the server.
//
// `/console/session` signs in and out; everything else goes to `/console/api/...`, the same
// route table as the public `/api/...`, authorized by the session cookie. Every request that
// changes state carries the session's CSRF token, and every company-level call names the
// company the console acts on (`X-KEEPNET-Company-Id`). A failed call throws an `ApiFailure`
// carrying the envelope's `message` and `validationMessages`, which the form helpers show at
// their fields.

/** What every call needs: the signed-in session and the company acted on. */
export const context = {
  /** `/console/session`'s data: csrfToken, companyResourceId, resellerAccess, permissions… */
  session: null,
  /** The company the console acts on; the user's own by default. */
  companyId: null,
  /** Called when the server says the session is over (a 401 mid-session). */
  onSessionEnded: (message) => {},
};

/** Whether the signed-in user holds a permission key (`target-users/search|POST`). */
export function can(key) {
  return Boolean(context.session && context.session.permissions.includes(key));
}

export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.messages = (body && body.validationMessages) || [];
  }
}

async function send(method, path, { json, form, company = true, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  if (method !== "GET" && context.session) headers["X-CSRF-Token"] = context.session.csrfToken;
  if (company && context.companyId) headers["X-KEEPNET-Company-Id"] = context.companyId;
  const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  if (response.status === 401 && context.session && path !== "/console/session") {
    const envelope = await readJson(response);
    context.session = null;
    context.onSessionEnded((envelope && envelope.message) || "Your session has ended. Sign in again.");
    throw new ApiFailure(401, envelope);
  }
  return response;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** Calls `path` (a full path) and returns the envelope's `data`, or throws an `ApiFailure`. */
export async function call(method, path, json, options = {}) {
  const response = await send(method, path, { ...options, json });
  const envelope = await readJson(response);
  if (!response.ok || !envelope || envelope.isSuccess === false) throw new ApiFailure(response.status, envelope);
  return envelope.data;
}

/** `api.post("/target-users/search", body)`: the route table at `/console/api`. */
export const api = {
  get: (path, options) => call("GET", `/console/api${path}`, undefined, options),
  post: (path, body = {}, options) => call("POST", `/console/api${path}`, body, options),
  put: (path, body = {}, options) => call("PUT", `/console/api${path}`, body, options),
  delete: (path, body, options) => call("DELETE", `/console/api${path}`, body, options),

  /** A JSON call whose answer is not wrapped in the envelope (the import preview). */
  async bare(method, path, body) {
    const response = await send(method, `/console/api${path}`, { json: body });
    const answer = await readJson(response);
    if (!response.ok || !answer) throw new ApiFailure(response.status, answer);
    return answer;
  },

  /** Uploads `file` as the multipart field `File`; returns the envelope's `data`. */
  async upload(path, file, field = "File") {
    const form = new FormData();
    form.append(field, file, file.name);
    const response = await send("POST", `/console/api${path}`, { form });
    const envelope = await readJson(response);
    if (!response.ok || !envelope || envelope.isSuccess === false) throw new ApiFailure(response.status, envelope);
    return envelope.data;
  },

  /** Sends a whole `FormData` (a multipart form such as the company's); returns `data`. */
  async form(method, path, form, options = {}) {
    const response = await send(method, `/console/api${path}`, { ...options, form });
    const envelope = await readJson(response);
    if (!response.ok || !envelope || envelope.isSuccess === false) throw new ApiFailure(response.status, envelope);
    return envelope.data;
  },

  /** Posts `body` to an export operation and saves the file it answers. */
  async download(path, body, fallbackName, options = {}) {
    const response = await send("POST", `/console/api${path}`, { ...options, json: body, accept: "*/*" });
    if (!response.ok) throw new ApiFailure(response.status, await readJson(response));
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/i.exec(disposition);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = named ? named[1] : fallbackName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
};

/** The search body every `.../search` takes. */
export function searchBody({ pageNumber = 1, pageSize = 20, orderBy, ascending = true, text = "", filterItems = [], ...extra } = {}) {
  const filter = { condition: "AND", searchInputTextValue: text };
  if (filterItems.length) filter.filterGroups = [{ condition: "AND", filterItems, filterGroups: [] }];
  return { pageNumber, pageSize, orderBy, ascending, filter, ...extra };
}
