// The one list component: every list in the console is a `dataTable`.
//
// It asks `load` for one page at a time (`{pageNumber, pageSize, orderBy, ascending}` →
// `PagedResults`, the shape every `.../search` answers), and shows the loading, empty and
// error states, a pager ("Page 2 of 5 · 93 users"), sortable column headers (`aria-sort`),
// and, when asked, a checkbox per row whose selection survives paging.

import { h, failureNotice } from "./dom.js";

/**
 * @param {object} options
 * @param {string} options.caption      the table's accessible name
 * @param {Array}  options.columns      `{title, cell: (row) => Node|string, sort?: orderBy name, class?}`
 * @param {Function} options.load       `async ({pageNumber, pageSize, orderBy, ascending}) => PagedResults`
 * @param {string} options.noun         what the rows are, for the pager ("users")
 * @param {string} options.empty        what to say when there are no rows at all
 * @param {number} [options.pageSize]   rows a page (20)
 * @param {string} [options.orderBy]    the initial sort (a column's `sort`)
 * @param {boolean} [options.ascending]
 * @param {Function} [options.rowAttributes] `(row) => attributes of its <tr>`
 * @param {object} [options.select]     `{key: (row) => id, label: (row) => text}`: a checkbox per row
 * @param {Function} [options.onSelect] called with the selection (a Set of keys) when it changes
 */
export function dataTable(options) {
  const { caption, columns, load, noun, empty, rowAttributes = () => ({}), select, onSelect = () => {} } = options;
  const state = {
    pageNumber: 1,
    pageSize: options.pageSize || 20,
    orderBy: options.orderBy,
    ascending: options.ascending ?? true,
  };
  const selected = new Set();
  const element = h("div", { class: "data-table" });
  let page = null;
  let sequence = 0;

  const sortHeader = (column) => {
    if (!column.sort) return h("th", { scope: "col" }, column.title);
    const active = state.orderBy === column.sort;
    return h("th", { scope: "col", "aria-sort": active ? (state.ascending ? "ascending" : "descending") : undefined },
      h("button", {
        type: "button",
        class: "sort",
        onclick: () => {
          state.ascending = active ? !state.ascending : true;
          state.orderBy = column.sort;
          reload(1);
        },
      }, column.title, h("span", { "aria-hidden": "true", class: "sort-mark" }, active ? (state.ascending ? " \u25B2" : " \u25BC") : "")));
  };

  const selectionBox = (row) => {
    const key = select.key(row);
    return h("input", {
      type: "checkbox",
      class: "row-select",
      checked: selected.has(key),
      "aria-label": select.label(row),
      onchange: (e) => {
        if (e.target.checked) selected.add(key);
        else selected.delete(key);
        syncSelectAll();
        onSelect(selected);
      },
    });
  };

  let selectAll = null;
  const syncSelectAll = () => {
    if (!selectAll || !page) return;
    const keys = (page.results || []).map(select.key);
    selectAll.checked = keys.length > 0 && keys.every((k) => selected.has(k));
  };

  const render = () => {
    const rows = page.results || [];
    if (rows.length === 0 && state.pageNumber === 1) {
      element.replaceChildren(h("p", { class: "muted empty" }, empty));
      return;
    }
    const head = columns.map(sortHeader);
    if (select) {
      selectAll = h("input", {
        type: "checkbox",
        "aria-label": "Select all on this page",
        onchange: (e) => {
          for (const row of rows) {
            if (e.target.checked) selected.add(select.key(row));
            else selected.delete(select.key(row));
          }
          for (const box of element.querySelectorAll("input.row-select")) box.checked = e.target.checked;
          onSelect(selected);
        },
      });
      head.unshift(h("th", { scope: "col", class: "select" }, selectAll));
    }
    element.replaceChildren(
      h("table", {},
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, head)),
        h("tbody", {}, rows.map((row) => h("tr", rowAttributes(row),
          select ? h("td", { class: "select" }, selectionBox(row)) : null,
          columns.map((c) => h("td", { class: c.class }, c.cell(row))))))),
      pager());
    syncSelectAll();
  };

  const pager = () => {
    const pages = page.totalNumberOfPages || 0;
    const number = state.pageNumber;
    return h("nav", { class: "pager", "aria-label": `Pages of ${caption}` },
      h("button", { type: "button", class: "secondary", disabled: number <= 1, onclick: () => reload(number - 1) }, "Previous"),
      h("span", { "aria-live": "polite" }, `Page ${pages ? number : 0} of ${pages} · ${page.totalNumberOfRecords} ${noun}`),
      h("button", { type: "button", class: "secondary", disabled: number >= pages, onclick: () => reload(number + 1) }, "Next"));
  };

  /** Loads page `pageNumber` (the current one when absent); stale answers are dropped. */
  async function reload(pageNumber = state.pageNumber) {
    state.pageNumber = pageNumber;
    const mine = ++sequence;
    element.setAttribute("aria-busy", "true");
    try {
      const answer = await load({ ...state });
      if (mine !== sequence) return;
      page = answer || { results: [], totalNumberOfRecords: 0, totalNumberOfPages: 0 };
      // A page emptied by a deletion: step back to the last one that has rows.
      if ((page.results || []).length === 0 && pageNumber > 1 && page.totalNumberOfPages >= 1) {
        await reload(Math.min(pageNumber - 1, page.totalNumberOfPages));
        return;
      }
      render();
    } catch (error) {
      if (mine !== sequence) return;
      element.replaceChildren(failureNotice(error),
        h("button", { type: "button", class: "secondary", onclick: () => reload() }, "Try again"));
    } finally {
      if (mine === sequence) element.removeAttribute("aria-busy");
    }
  }

  return {
    element,
    reload,
    selected,
    clearSelection() {
      selected.clear();
      for (const box of element.querySelectorAll("input[type=checkbox]")) box.checked = false;
      onSelect(selected);
    },
    get page() {
      return page;
    },
    get state() {
      return { ...state };
    },
  };
}

/**
 * A search box for a list: `label` names it; `onSearch()` runs on submit. `text()` is what
 * to send as `searchInputTextValue`. `extra` are more controls for the same toolbar.
 */
export function searchForm(id, label, onSearch, ...extra) {
  const input = h("input", { id, type: "search" });
  const element = h("form", { class: "toolbar", role: "search", onsubmit: (e) => { e.preventDefault(); onSearch(); } },
    h("div", {}, h("label", { for: id }, label), h("div", { class: "inline" }, input, h("button", { type: "submit" }, "Search"))),
    extra.length ? h("div", { class: "toolbar-extra" }, extra) : null);
  return { element, text: () => input.value.trim() };
}
