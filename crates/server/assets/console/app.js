// Latchkey console: the shell.
//
// The console is a set of ES modules without dependencies or a build step, served from the
// binary under `script-src 'self'`:
//
//   app.js            this shell: the session, the company switcher, the navigation and the
//                     route table below, which loads a page's module when it is first shown
//   lib/api.js        the one API client (CSRF, company header, envelope, uploads, downloads)
//   lib/dom.js        `h()` to build elements (text only, never HTML), notices, dates
//   lib/table.js      `dataTable`: every list (paging, sorting, empty / error states, selection)
//   lib/form.js       labelled and typed fields; `validationMessages` shown at their fields
//   lib/dialog.js     modal dialogs and delete confirmations
//   lib/nav.js        going to a page with a one-time message
//   lib/progress.js   progress bars and polling of background jobs
//   pages/*.js        one module per area; each exports the views the route table names
//
// A page view is `async (root, params) => void`: it draws into `root` (inside `<main>`) and
// may throw an `ApiFailure`, which the shell shows. Pages hold no state between visits: the
// hash is the page, so reload, back and forward work.

import { h, notice, failureNotice, titleFromHeading } from "./lib/dom.js";
import { context, call, can, ApiFailure } from "./lib/api.js";
import { setRenderer, takeFlash, say, success, failure } from "./lib/nav.js";
import { signInPage, passwordPage } from "./pages/session.js";

const app = document.getElementById("app");

/** Where the tab keeps the company it acts on, across reloads. */
const COMPANY_KEY = "latchkey.companyId";

/** Companies the user may switch to: `[{resourceId, name, depth}]`. */
let companies = [];

const resellers = () => context.session.resellerAccess;

/**
 * The route table: `path` (with `:name` parameters), the module in `pages/` and the view it
 * exports. Entries with a `title` are in the navigation under their `section`; `allowed`
 * decides whether the user may see the page at all (a permission key of the API it calls,
 * so that nobody is shown a page they can only be refused on).
 */
const routes = [
  { path: "/target-users", module: "target-users", view: "list", title: "Target Users", section: "Targets", allowed: () => can("target-users/search|POST") },
  { path: "/target-users/new", module: "target-users", view: "form", allowed: () => can("target-users|POST") },
  { path: "/target-users/import", module: "import", view: "wizard", title: "Import Users", section: "Targets", allowed: () => can("target-users/upload|POST") },
  { path: "/target-users/:id", module: "target-users", view: "form", allowed: () => can("target-users/{resourceId}|GET") },
  { path: "/target-groups", module: "target-groups", view: "list", title: "Target Groups", section: "Targets", allowed: () => can("target-groups/search|POST") },
  { path: "/target-groups/:id", module: "target-groups", view: "members", allowed: () => can("target-groups/{resourceId}/users|POST") },
  { path: "/custom-fields", module: "custom-fields", view: "manage", title: "Custom Fields", section: "Targets", allowed: () => can("custom-fields/company|GET") },
  { path: "/rest-api", module: "rest-api", view: "list", title: "REST API", section: "Settings", allowed: () => true },
  { path: "/rest-api/new", module: "rest-api", view: "form", allowed: () => true },
  { path: "/rest-api/:id", module: "rest-api", view: "form", allowed: () => true },
  { path: "/system-users", module: "system-users", view: "list", title: "People", section: "Settings", allowed: () => can("system-users/search|POST") },
  { path: "/system-users/new", module: "system-users", view: "form", allowed: () => can("system-users|POST") },
  { path: "/system-users/:id", module: "system-users", view: "form", allowed: () => can("system-users/search|POST") },
  { path: "/roles", module: "roles", view: "list", title: "User Roles", section: "Settings", allowed: () => true },
  { path: "/roles/new", module: "roles", view: "form", allowed: () => can("roles|POST") && can("permissions/all|GET") },
  { path: "/roles/:id", module: "roles", view: "form", allowed: () => can("roles/{resourceId}|GET") },
  { path: "/profile", module: "profile", view: "page", allowed: () => true },
  { path: "/scim", module: "scim", view: "list", title: "SCIM Settings", section: "Settings", allowed: () => can("scim/search|POST") },
  { path: "/scim/new", module: "scim", view: "form", allowed: () => can("scim|POST") },
  { path: "/scim/:id", module: "scim", view: "detail", allowed: () => can("scim/{resourceId}|GET") },
  { path: "/siem", module: "siem", view: "list", title: "SIEM Integrations", section: "Settings", allowed: () => can("companies/siem-settings/search|POST") },
  { path: "/siem/new", module: "siem", view: "form", allowed: () => can("companies/siem-settings|POST") },
  { path: "/siem/:id", module: "siem", view: "form", allowed: () => can("companies/siem-settings/{resourceId}|GET") },
  { path: "/audit-log", module: "audit-log", view: "list", title: "Audit Log", section: "Settings", allowed: () => can("audit-logs/search|POST") },
  { path: "/job-log", module: "job-log", view: "list", title: "Job Log", section: "Settings", allowed: () => can("jobs|GET") },
  { path: "/job-log/:id", module: "job-log", view: "detail", allowed: () => can("jobs/{resourceId}|GET") },
  { path: "/companies", module: "companies", view: "list", title: "Companies", section: "Reseller", allowed: resellers },
  { path: "/companies/new", module: "companies", view: "form", allowed: () => resellers() && can("companies|POST") },
  { path: "/companies/:id", module: "companies", view: "form", allowed: () => resellers() && can("companies/{resourceId}|GET") },
  { path: "/company-groups", module: "company-groups", view: "list", title: "Company Groups", section: "Reseller", allowed: () => resellers() && can("company-groups/search|POST") },
  { path: "/company-groups/:id", module: "company-groups", view: "members", allowed: () => resellers() && can("company-groups/{resourceId}/companies/search|POST") },
];
const home = "/rest-api";

/** The route for `hash` and its parameters; unknown or forbidden pages fall back to home. */
function resolve(hash) {
  const path = hash.replace(/^#/, "") || home;
  for (const route of routes) {
    const names = [];
    const pattern = new RegExp(`^${route.path.replace(/:(\w+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    })}/?$`);
    const found = pattern.exec(path);
    if (found && route.allowed()) {
      const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])]));
      return { route, params };
    }
  }
  return { route: routes.find((r) => r.path === home), params: {} };
}

/** The navigation entry a route belongs to: the longest titled path it starts with. */
function section(route) {
  return routes
    .filter((r) => r.title && r.allowed() && (route.path === r.path || route.path.startsWith(`${r.path}/`)))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

function layout(route, content) {
  const current = section(route);
  const switcher = companies.length > 1
    ? h("div", {},
      h("label", { for: "company-switcher" }, "Company"),
      h("select", {
        id: "company-switcher",
        onchange: (e) => {
          context.companyId = e.target.value;
          sessionStorage.setItem(COMPANY_KEY, context.companyId);
          // Another company's list of the same kind; a detail page belongs to the old one.
          const target = `#${current ? current.path : home}`;
          if (location.hash === target) render();
          else location.hash = target;
        },
      }, companies.map((c) => h("option", { value: c.resourceId, selected: c.resourceId === context.companyId },
        `${"\u00a0\u00a0\u00a0".repeat(c.depth)}${c.name}`))))
    : h("span", { class: "who" }, context.session.companyName);
  const sections = [];
  for (const r of routes.filter((x) => x.title && x.allowed())) {
    let s = sections.find((x) => x.name === r.section);
    if (!s) sections.push(s = { name: r.section, entries: [] });
    s.entries.push(r);
  }
  return [
    h("header", { class: "top" },
      h("span", { class: "brand" }, "Latchkey"),
      switcher,
      h("a", { href: "#/profile", class: "profile-link", "aria-current": route.path === "/profile" ? "page" : undefined }, "My profile"),
      h("button", { type: "button", onclick: signOut }, "Sign out")),
    h("div", { class: "frame" },
      h("nav", { class: "side", "aria-label": "Console" },
        sections.map((s, i) => h("div", { class: "nav-section" },
          h("p", { class: "nav-title", id: `nav-section-${i}` }, s.name),
          h("ul", { "aria-labelledby": `nav-section-${i}` }, s.entries.map((r) => h("li", {},
            h("a", { href: `#${r.path}`, "aria-current": r === current ? "page" : undefined }, r.title))))))),
      h("main", { id: "main", tabindex: "-1" }, content)),
  ];
}

async function render() {
  const path = location.pathname.replace(/\/+$/, "");
  if (path === "/console/password") {
    app.replaceChildren(h("main", { id: "main", tabindex: "-1" }, passwordPage(render)));
    return;
  }
  if (!context.session) {
    app.replaceChildren(h("main", { id: "main", tabindex: "-1" }, signInPage(signedIn)));
    document.title = "Sign in · Latchkey console";
    return;
  }
  const { route, params } = resolve(location.hash);
  const body = h("div", {});
  app.replaceChildren(...layout(route, body));
  const shown = takeFlash();
  if (shown) body.append(Object.assign(notice(shown.kind, shown.message), { className: `notice ${shown.kind} flash` }));
  try {
    const page = await import(`./pages/${route.module}.js`);
    await page[route.view](body, params);
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return;
    body.append(e instanceof ApiFailure ? failureNotice(e) : notice("error", e.message));
  }
  titleFromHeading(body);
}

window.addEventListener("hashchange", () => render());
setRenderer(render);
context.onSessionEnded = (message) => {
  say(failure(message));
  render();
};

async function signedIn(session) {
  context.session = session;
  await loadCompanies();
  if (!location.hash) location.hash = `#${home}`;
  await render();
}

async function loadCompanies() {
  const { session } = context;
  context.companyId = session.companyResourceId;
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
  // A reload stays in the company chosen in this tab.
  const chosen = sessionStorage.getItem(COMPANY_KEY);
  if (companies.some((c) => c.resourceId === chosen)) context.companyId = chosen;
}

async function signOut() {
  try {
    await call("DELETE", "/console/session", undefined, { company: false });
  } finally {
    context.session = null;
    context.companyId = null;
    companies = [];
    sessionStorage.removeItem(COMPANY_KEY);
    say(success("You have signed out."));
    history.replaceState(null, "", "/console/");
    render();
  }
}

try {
  context.session = await call("GET", "/console/session", undefined, { company: false });
  await loadCompanies();
} catch {
  context.session = null;
}
await render();
