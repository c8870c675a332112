// Latchkey console.
//
// A small single-page application without dependencies. It talks only to this server:
// `/console/session` to sign in and out, and `/console/api/...`, the same operations as the
// public REST API, authorized by the session cookie. Every request that changes state carries
// the session's CSRF token. Text from the server is only ever inserted as text (never as HTML).

const app = document.getElementById("app");

/** What the console knows about the signed-in user, from `/console/session`. */
let session = null;
/** The company the console acts on (`X-KEEPNET-Company-Id`); the user's own by default. */
let companyId = null;
/** Companies the user may switch to: `[{resourceId, name, depth}]`. */
let companies = [];
/** A message to show once on the next page (after a redirect). */
let flash = null;

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** `h("a", {href: "#"}, "text", child)`: an element; strings become text nodes. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function notice(kind, message, details = []) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", {}, message),
    details.length ? h("ul", {}, details.map((d) => h("li", {}, d))) : null);
}

function formatDate(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  // Built-in records carry the epoch as their creation time: they were never created.
  if (d.getTime() <= 0) return "\u2014";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// ---------------------------------------------------------------------------------------------
// Talking to the server

class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.messages = (body && body.validationMessages) || [];
  }
}

/** Calls the server and returns the envelope's `data`, or throws an `ApiFailure`. */
async function call(method, path, body, { company = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session) headers["X-CSRF-Token"] = session.csrfToken;
  if (company && companyId) headers["X-KEEPNET-Company-Id"] = companyId;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    envelope = null;
  }
  if (response.status === 401 && session && path !== "/console/session") {
    session = null;
    flash = { kind: "error", message: (envelope && envelope.message) || "Your session has ended. Sign in again." };
    render();
    throw new ApiFailure(401, envelope);
  }
  if (!response.ok || !envelope || envelope.isSuccess === false) throw new ApiFailure(response.status, envelope);
  return envelope.data;
}

const api = (method, path, body) => call(method, `/console/api${path}`, body);

// ---------------------------------------------------------------------------------------------
// Validation shared by the forms

/** Why `text` is not an IPv4/IPv6 address or CIDR range, or null when it is one. */
function ipError(text) {
  const value = text.trim();
  if (!value) return "Enter an IP address or range, or remove this row";
  const parts = value.split("/");
  if (parts.length > 2) return "Invalid ip address";
  const [address, prefix] = parts;
  let bits;
  const octets = address.split(".");
  if (octets.length === 4 && octets.every((o) => /^(0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255)) {
    bits = 32;
  } else if (address.includes(":") && isIpv6(address)) {
    bits = 128;
  } else {
    return "Invalid ip address";
  }
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)) return "Invalid ip address";
  return null;
}

function isIpv6(address) {
  if (!/^[0-9A-Fa-f:.]+$/.test(address)) return false;
  try {
    new URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Marks `input` invalid with `message` shown under it (or clears it when null). */
function setFieldError(input, message) {
  const id = `${input.id}-error`;
  let box = document.getElementById(id);
  if (!message) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    if (box) box.remove();
    return;
  }
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  if (!box) {
    box = h("p", { id, class: "field-error" });
    input.closest(".field, .ip-row").append(box);
  }
  box.textContent = message;
}

// ---------------------------------------------------------------------------------------------
// Layout and routing

const pages = [
  { hash: "#/rest-api", title: "REST API", show: () => true },
  { hash: "#/companies", title: "Companies", show: () => session.resellerAccess },
  { hash: "#/roles", title: "User Roles", show: () => true },
];

function layout(content) {
  const current = location.hash || "#/rest-api";
  const switcher = companies.length > 1
    ? h("div", {},
      h("label", { for: "company-switcher" }, "Company"),
      h("select", {
        id: "company-switcher",
        onchange: (e) => {
          companyId = e.target.value;
          location.hash = "#/rest-api";
          render();
        },
      }, companies.map((c) => h("option", { value: c.resourceId, selected: c.resourceId === companyId },
        `${"\u00a0\u00a0\u00a0".repeat(c.depth)}${c.name}`))))
    : h("span", { class: "who" }, session.companyName);
  return [
    h("header", { class: "top" },
      h("span", { class: "brand" }, "Latchkey"),
      switcher,
      h("button", { type: "button", onclick: signOut }, "Sign out")),
    h("nav", { class: "side", "aria-label": "Console" },
      h("ul", {}, pages.filter((p) => p.show()).map((p) => h("li", {},
        h("a", { href: p.hash, "aria-current": current.startsWith(p.hash) ? "page" : undefined }, p.title))))),
    h("main", { id: "main", tabindex: "-1" }, content),
  ];
}

async function render() {
  const path = location.pathname.replace(/\/+$/, "");
  if (path === "/console/password") {
    app.replaceChildren(h("main", { id: "main", tabindex: "-1" }, passwordPage()));
    return;
  }
  if (!session) {
    app.replaceChildren(h("main", { id: "main", tabindex: "-1" }, signInPage()));
    return;
  }
  const hash = location.hash || "#/rest-api";
  const body = h("div", {});
  app.replaceChildren(...layout(body));
  const shown = flash;
  flash = null;
  if (shown) body.append(notice(shown.kind, shown.message));
  try {
    if (hash === "#/rest-api/new") await clientForm(body, null);
    else if (hash.startsWith("#/rest-api/")) await clientForm(body, decodeURIComponent(hash.slice("#/rest-api/".length)));
    else if (hash.startsWith("#/companies") && session.resellerAccess) await companiesPage(body);
    else if (hash.startsWith("#/roles")) await rolesPage(body);
    else await clientsPage(body);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return;
    body.append(notice("error", e.message, e.messages || []));
  }
  const heading = body.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Latchkey console` : "Latchkey console";
}

window.addEventListener("hashchange", () => render());

// ---------------------------------------------------------------------------------------------
// Sign in, sign out, set password

async function loadSession() {
  try {
    session = await call("GET", "/console/session", undefined, { company: false });
  } catch {
    session = null;
  }
  if (session) await loadCompanies();
}

async function loadCompanies() {
  companyId = session.companyResourceId;
  companies = [{ resourceId: session.companyResourceId, name: session.companyName, depth: 0 }];
  if (!session.resellerAccess) return;
  const tree = await call("GET", "/console/api/companies/my", undefined, { company: false });
  const flat = [];
  const walk = (nodes, depth) => {
    for (const node of nodes || []) {
      flat.push({ resourceId: node.resourceId, name: node.name, depth });
      walk(node.children, depth + 1);
    }
  };
  walk(tree, 0);
  if (flat.length) companies = flat;
}

function signInPage() {
  const error = h("div", { "aria-live": "assertive" });
  const email = h("input", { id: "email", type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", name: "password", autocomplete: "current-password", required: true });
  const shown = flash;
  flash = null;
  const form = h("form", {
    class: "card narrow",
    onsubmit: async (e) => {
      e.preventDefault();
      error.replaceChildren();
      try {
        session = await call("POST", "/console/session", { email: email.value, password: password.value }, { company: false });
        await loadCompanies();
        if (!location.hash) location.hash = "#/rest-api";
        await render();
      } catch (err) {
        error.replaceChildren(notice("error", err.message, err.messages));
        password.value = "";
        password.focus();
      }
    },
  },
  h("h1", {}, "Sign in to Latchkey"),
  shown ? notice(shown.kind, shown.message) : null,
  error,
  h("div", { class: "field" }, h("label", { for: "email" }, "Email"), email),
  h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
  h("div", { class: "buttons" }, h("button", { type: "submit" }, "Sign in")));
  queueMicrotask(() => email.focus());
  return form;
}

async function signOut() {
  try {
    await call("DELETE", "/console/session", undefined, { company: false });
  } finally {
    session = null;
    companies = [];
    companyId = null;
    flash = { kind: "success", message: "You have signed out." };
    history.replaceState(null, "", "/console/");
    render();
  }
}

function passwordPage() {
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const purpose = params.get("purpose") === "reset" ? "reset" : "create";
  const result = h("div", { "aria-live": "assertive" });
  const password = h("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true, minLength: 12, maxLength: 128 });
  const confirm = h("input", { id: "confirm-password", type: "password", autocomplete: "new-password", required: true });
  const form = h("form", {
    class: "card narrow",
    onsubmit: async (e) => {
      e.preventDefault();
      result.replaceChildren();
      if (password.value !== confirm.value) {
        setFieldError(confirm, "The passwords do not match");
        confirm.focus();
        return;
      }
      setFieldError(confirm, null);
      try {
        await call("POST", `/console/api/system-users/${purpose}-password`,
          { token, newPassword: password.value, confirmNewPassword: confirm.value }, { company: false });
        // The token is spent; keep it out of the address bar and history.
        history.replaceState(null, "", "/console/");
        flash = { kind: "success", message: "Your password is set. Sign in with it." };
        render();
      } catch (err) {
        result.replaceChildren(notice("error", err.message, err.messages));
      }
    },
  },
  h("h1", {}, purpose === "reset" ? "Reset your password" : "Set your password"),
  result,
  token ? null : notice("error", "This link has no token. Ask for a new one."),
  h("div", { class: "field" }, h("label", { for: "new-password" }, "New password"), password,
    h("p", { class: "hint", id: "password-hint" }, "At least 12 characters.")),
  h("div", { class: "field" }, h("label", { for: "confirm-password" }, "Confirm new password"), confirm),
  h("div", { class: "buttons" }, h("button", { type: "submit", disabled: !token }, "Save password")));
  password.setAttribute("aria-describedby", "password-hint");
  return form;
}

// ---------------------------------------------------------------------------------------------
// REST API clients

/** Previous / "Page n of m" / Next for a paged search result; `load(n)` shows page n. */
function pager(number, page, noun, load) {
  const pages = page.totalNumberOfPages || 0;
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "secondary", disabled: number <= 1, onclick: () => load(number - 1) }, "Previous"),
    h("span", { "aria-live": "polite" }, `Page ${pages ? number : 0} of ${pages} · ${page.totalNumberOfRecords} ${noun}`),
    h("button", { type: "button", class: "secondary", disabled: number >= pages, onclick: () => load(number + 1) }, "Next"));
}

async function clientsPage(body) {
  const results = h("div", {});
  const load = async (number) => {
    const page = await api("POST", "/companies/clients/search",
      { pageNumber: number, pageSize: 20, orderBy: "CreateTime", ascending: false });
    const rows = page.results || [];
    if (rows.length === 0 && number === 1) {
      results.replaceChildren(h("p", { class: "muted" }, "No REST API clients yet."));
      return;
    }
    results.replaceChildren(
      h("table", {},
        h("caption", { class: "visually-hidden" }, "REST API clients"),
        h("thead", {}, h("tr", {}, ["Client Name", "API Key", "Status", "Date Created", "Action"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((c) => h("tr", { "data-client": c.clientId },
          h("td", {}, c.clientName),
          h("td", { class: "mono" }, c.clientId),
          h("td", {}, h("span", { class: `status ${c.statusId === 1 ? "active" : "inactive"}` }, c.statusName || (c.statusId === 1 ? "Active" : "Inactive"))),
          h("td", {}, formatDate(c.createTime)),
          h("td", { class: "actions" },
            h("a", { href: `#/rest-api/${encodeURIComponent(c.resourceId)}`, "aria-label": `Edit ${c.clientName}` }, "Edit"),
            h("button", { type: "button", class: "link danger-text", "aria-label": `Delete ${c.clientName}`, onclick: () => confirmDelete(c) }, "Delete")))))),
      page.totalNumberOfPages > 1 ? pager(number, page, "clients", load) : "");
  };
  body.append(
    h("div", { class: "toolbar" },
      h("h1", {}, "REST API"),
      h("a", { class: "button", href: "#/rest-api/new" }, "+ NEW")),
    results);
  await load(1);
}

function confirmDelete(client) {
  const dialog = h("dialog", { "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, "Delete client?"),
    h("p", {}, `"${client.clientName}" will be deleted and its tokens stop working at once. This cannot be undone.`),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel"),
      h("button", {
        type: "button",
        class: "danger",
        onclick: async () => {
          dialog.close();
          try {
            await api("DELETE", `/companies/clients/${encodeURIComponent(client.resourceId)}`);
            flash = { kind: "success", message: `Client "${client.clientName}" was deleted.` };
          } catch (e) {
            flash = { kind: "error", message: e.message };
          }
          render();
        },
      }, "Delete")));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

async function clientForm(body, resourceId) {
  const editing = resourceId !== null;
  const [roles, existing] = await Promise.all([
    api("GET", "/roles"),
    editing ? api("GET", `/companies/clients/${encodeURIComponent(resourceId)}`) : Promise.resolve(null),
  ]);
  const errors = h("div", { "aria-live": "assertive" });
  const name = h("input", { id: "client-name", type: "text", maxLength: 64, required: true, value: existing ? existing.name : "" });
  const clientIdInput = h("input", { id: "client-id", type: "text", readOnly: true, value: existing ? existing.clientId : "", class: "mono" });
  const secretInput = h("input", { id: "client-secret", type: "text", readOnly: true, value: "", class: "mono", placeholder: editing ? "Hidden (shown only when generated)" : "" });
  const copyStatus = h("span", { "aria-live": "polite", class: "hint" });
  const secretWarning = h("div", { hidden: true });
  let secret = null;

  const showSecret = (value) => {
    secret = value;
    secretInput.value = value;
    secretWarning.hidden = false;
    secretWarning.replaceChildren(notice("warning",
      "Copy the client secret now and keep it somewhere safe. It is shown only this once: it cannot be viewed again after you leave this page."));
  };
  const generate = h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      try {
        const credentials = await api("GET", "/companies/clients/generate-client-credentials");
        if (!editing) clientIdInput.value = credentials.clientId;
        showSecret(credentials.clientSecret);
        setFieldError(clientIdInput, null);
      } catch (e) {
        errors.replaceChildren(notice("error", e.message, e.messages));
      }
    },
  }, editing ? "Generate New Client Secret" : "Generate Client Credentials");
  const copy = h("button", {
    type: "button",
    class: "secondary",
    onclick: async () => {
      if (!secretInput.value) return;
      try {
        await navigator.clipboard.writeText(secretInput.value);
        copyStatus.textContent = "Copied to the clipboard.";
      } catch {
        secretInput.select();
        copyStatus.textContent = "Select the secret and copy it.";
      }
    },
  }, "Copy");

  // IP restriction
  const restricted = existing ? existing.hasIpAddressRestriction : false;
  const allowAll = h("input", { type: "radio", name: "ip-restriction", id: "ip-all", value: "all", checked: !restricted });
  const restrict = h("input", { type: "radio", name: "ip-restriction", id: "ip-restrict", value: "restrict", checked: restricted });
  const ipList = h("div", { id: "ip-list" });
  let ipCounter = 0;
  const addIpRow = (value = "") => {
    ipCounter += 1;
    const id = `ip-${ipCounter}`;
    const input = h("input", { id, type: "text", class: "mono ip-input", value, placeholder: "203.0.113.7 or 10.0.0.0/24",
      onblur: () => setFieldError(input, ipError(input.value)),
      oninput: () => { if (input.getAttribute("aria-invalid")) setFieldError(input, ipError(input.value)); } });
    const row = h("div", { class: "ip-row" },
      h("label", { for: id, class: "visually-hidden" }, `IP address ${ipCounter}`),
      h("div", { class: "inline" }, input,
        h("button", { type: "button", class: "secondary", "aria-label": `Remove IP address ${ipCounter}`, onclick: () => row.remove() }, "Remove")));
    ipList.append(row);
    return input;
  };
  for (const ip of (existing && existing.allowedIpAddresses) || []) addIpRow(ip);
  const addIp = h("button", { type: "button", class: "secondary", onclick: () => addIpRow().focus() }, "Add IP Address");
  const ipDetails = h("div", { hidden: !restricted }, ipList, addIp);
  const syncIp = () => {
    ipDetails.hidden = !restrict.checked;
    if (restrict.checked && ipList.children.length === 0) addIpRow();
  };
  allowAll.addEventListener("change", syncIp);
  restrict.addEventListener("change", syncIp);

  // Roles and status
  const chosen = new Set((existing && existing.roleResourceIdList) || []);
  const roleBoxes = roles.map((r) => h("input", { type: "checkbox", name: "role", value: r.resourceId, id: `role-${r.resourceId}`, checked: chosen.has(r.resourceId) }));
  const status = h("select", { id: "client-status" },
    h("option", { value: "1", selected: !existing || existing.statusId === 1 }, "Active"),
    h("option", { value: "0", selected: existing && existing.statusId === 0 }, "Inactive"));

  const form = h("form", {
    class: "card",
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      errors.replaceChildren();
      const problems = [];
      setFieldError(name, name.value.trim() ? null : "Client name is required");
      if (!name.value.trim()) problems.push(name);
      if (!editing && !secret) {
        setFieldError(clientIdInput, "Generate client credentials first");
        problems.push(clientIdInput);
      }
      const ipInputs = [...ipList.querySelectorAll("input")];
      if (restrict.checked) {
        for (const input of ipInputs) {
          const message = ipError(input.value);
          setFieldError(input, message);
          if (message) problems.push(input);
        }
      }
      const roleIds = roleBoxes.filter((b) => b.checked).map((b) => b.value);
      const roleError = document.getElementById("roles-error");
      roleError.textContent = roleIds.length ? "" : "Role should be selected";
      if (!roleIds.length) problems.push(roleBoxes[0] || name);
      if (problems.length) {
        problems[0].focus();
        return;
      }
      const payload = {
        name: name.value.trim(),
        clientId: clientIdInput.value,
        clientSecret: secret,
        statusId: Number(status.value),
        hasIpAddressRestriction: restrict.checked,
        allowedIpAddresses: restrict.checked ? ipInputs.map((i) => i.value.trim()) : [],
        roleResourceIdList: roleIds,
      };
      try {
        if (editing) await api("PUT", `/companies/clients/${encodeURIComponent(resourceId)}`, payload);
        else await api("POST", "/companies/clients", payload);
        flash = { kind: "success", message: `Client "${payload.name}" was ${editing ? "saved" : "created"}.` };
        location.hash = "#/rest-api";
      } catch (err) {
        errors.replaceChildren(notice("error", err.message, err.messages));
        errors.querySelector(".notice").setAttribute("tabindex", "-1");
        errors.querySelector(".notice").focus();
      }
    },
  },
  errors,
  h("div", { class: "field" }, h("label", { for: "client-name" }, "Client Name"), name),
  h("div", { class: "field" }, generate),
  h("div", { class: "field" }, h("label", { for: "client-id" }, "Client ID"), clientIdInput),
  h("div", { class: "field" }, h("label", { for: "client-secret" }, "Client Secret"),
    h("div", { class: "inline" }, secretInput, copy), copyStatus),
  secretWarning,
  h("fieldset", {},
    h("legend", {}, "IP Restriction"),
    h("label", { class: "choice", for: "ip-all" }, allowAll, "Allow all IPs"),
    h("label", { class: "choice", for: "ip-restrict" }, restrict, "Restrict by IP address"),
    ipDetails),
  h("fieldset", { "aria-describedby": "roles-error" },
    h("legend", {}, "Client Role"),
    roleBoxes.length ? roleBoxes.map((box, i) => h("label", { class: "choice", for: box.id }, box, roles[i].name))
      : h("p", { class: "muted" }, "No roles are available to this company."),
    h("p", { id: "roles-error", class: "field-error", "aria-live": "polite" })),
  h("div", { class: "field" }, h("label", { for: "client-status" }, "Status"), status),
  h("div", { class: "buttons" },
    h("button", { type: "submit" }, editing ? "Save" : "Create"),
    h("a", { class: "button secondary", href: "#/rest-api" }, "Cancel")));
  body.append(h("h1", {}, editing ? `Edit REST API client` : "New REST API client"), form);
  name.focus();
}

// ---------------------------------------------------------------------------------------------
// Companies and roles

async function companiesPage(body, pageNumber = 1, text = "") {
  const search = h("input", { id: "company-search", type: "search", value: text });
  const results = h("div", {});
  const load = async (number) => {
    // Every company the user manages, whichever one is selected for the other pages.
    const page = await call("POST", "/console/api/companies/search", {
      pageNumber: number, pageSize: 20, orderBy: "Name", ascending: true,
      filter: { searchInputTextValue: search.value.trim() },
    }, { company: false });
    const rows = page.results || [];
    results.replaceChildren(
      h("table", {},
        h("caption", { class: "visually-hidden" }, "Companies"),
        h("thead", {}, h("tr", {}, ["Company Name", "Reseller", "Industry", "License Type", "Number of Users", "License End Date", "Date Created"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((c) => h("tr", {},
          h("td", {}, c.companyName),
          h("td", {}, c.resellerName || ""),
          h("td", {}, c.industryName || ""),
          h("td", {}, c.licenseTypeName || ""),
          h("td", {}, `${c.numberOfUsers ?? ""}${c.isNumberOfUsersLimited ? "" : " (unlimited)"}`),
          h("td", {}, formatDate(c.licenseEndDate)),
          h("td", {}, formatDate(c.createTime)))))),
      pager(number, page, "companies", load));
  };
  body.append(
    h("h1", {}, "Companies"),
    h("form", { class: "toolbar", role: "search", onsubmit: (e) => { e.preventDefault(); load(1); } },
      h("div", {}, h("label", { for: "company-search" }, "Search companies"), h("div", { class: "inline" }, search, h("button", { type: "submit" }, "Search")))),
    results);
  await load(pageNumber);
}

async function rolesPage(body) {
  const page = await api("POST", "/roles/search", { pageNumber: 1, pageSize: 100, orderBy: "CreateTime", ascending: true });
  const rows = page.results || [];
  body.append(
    h("h1", {}, "User Roles"),
    h("table", {},
      h("caption", { class: "visually-hidden" }, "User roles"),
      h("thead", {}, h("tr", {}, ["Role Name", "Users", "Tenant Users", "Type", "Date Created"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((r) => h("tr", {},
        h("td", {}, h("span", {}, r.roleName), r.roleDescription ? h("div", { class: "hint" }, r.roleDescription) : null),
        h("td", {}, String(r.userCount)),
        h("td", {}, String(r.tenantUserCount)),
        h("td", {}, r.typeName),
        h("td", {}, formatDate(r.createTime)))))));
}

// ---------------------------------------------------------------------------------------------

await loadSession();
await render();
