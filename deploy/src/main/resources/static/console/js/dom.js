// Small DOM helpers: element building without innerHTML, problem display, tables, the confirmation dialog.

/**
 * h('button', {class: 'x', onclick: fn, 'data-testid': 't'}, 'text', child, ...): an element. Attributes whose name
 * starts with "on" become listeners; `hidden`, `disabled`, `checked`, `selected`, `value` are set as properties;
 * null and false attributes are left out; children may be strings, nodes, arrays, null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (['hidden', 'disabled', 'checked', 'selected', 'value', 'open'].includes(name)) {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(el, child);
    } else if (child instanceof Node) {
      el.appendChild(child);
    } else {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Pretty JSON text. */
export function pretty(value) {
  return JSON.stringify(value === undefined ? null : value, null, 2);
}

/** A <pre> with pretty JSON. */
export function jsonBlock(value, attrs = {}) {
  return h('pre', { class: 'json', ...attrs }, pretty(value));
}

/** An instant as the user reads it (local time, with the ISO text as a title). */
export function when(iso) {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return String(iso);
  }
  return date.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
    minute: '2-digit', second: '2-digit' });
}

export function timeEl(iso) {
  return h('time', { datetime: iso || '', title: iso || '' }, when(iso));
}

/**
 * A problem as the user should see it: title, detail, and where (path, position, parameter, header) when the
 * platform said. err is an ApiError or any Error.
 */
export function problemBox(err, attrs = {}) {
  const p = (err && err.problem) || { title: 'Error', detail: err && err.message ? err.message : String(err) };
  const where = [];
  for (const member of ['path', 'position', 'parameter', 'header']) {
    if (p[member] !== undefined && p[member] !== null) {
      where.push(h('span', { class: 'where' }, `${member}: `, h('code', {}, String(p[member]))));
    }
  }
  return h('div', { class: 'problem', role: 'alert', 'data-testid': 'problem', ...attrs },
    h('strong', { class: 'problem-title' }, p.title || 'Error', p.status ? ` (${p.status}${p.code ? ' ' + p.code : ''})` : ''),
    p.detail ? h('p', { class: 'problem-detail' }, p.detail) : null,
    where.length ? h('p', { class: 'problem-where' }, where) : null);
}

/** A box that shows a message or a problem; returns {el, show(err), clear()}. */
export function messageArea(attrs = {}) {
  const el = h('div', { class: 'messages', ...attrs });
  return {
    el,
    show(err) {
      fill(el, problemBox(err));
    },
    note(text, kind = 'ok') {
      fill(el, h('p', { class: 'note ' + kind, role: 'status' }, text));
    },
    clear() {
      el.replaceChildren();
    },
  };
}

/**
 * A table that scrolls horizontally on a narrow screen. columns: [{title, cell(row) -> node|string}].
 */
export function table(columns, rows, attrs = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', attrs,
      h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c.title)))),
      h('tbody', {}, rows.length === 0
        ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, 'Nothing to show.'))
        : rows.map((row, i) => h('tr', row && row.__attrs ? row.__attrs : {},
          columns.map(c => h('td', {}, cellValue(c.cell(row, i)))))))));
}

function cellValue(value) {
  if (value === null || value === undefined) {
    return '';
  }
  if (value instanceof Node || Array.isArray(value)) {
    return value;
  }
  if (typeof value === 'object') {
    return h('code', {}, JSON.stringify(value));
  }
  return String(value);
}

/** A progress bar with a label: value/max. */
export function progress(value, max, label, attrs = {}) {
  const pct = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return h('div', { class: 'progress-row', ...attrs },
    h('span', { class: 'progress-label' }, label),
    h('progress', { max: max > 0 ? max : 1, value: max > 0 ? value : 0, 'aria-label': label }),
    h('span', { class: 'progress-count' }, `${value} / ${max} (${pct}%)`));
}

/**
 * Asks for confirmation in the page's <dialog>; resolves to {ok, reason}. withReason shows the reason box.
 */
export function confirmDialog(title, text, { withReason = false, okLabel = 'Confirm' } = {}) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const reason = document.getElementById('confirm-reason');
  reason.value = '';
  document.getElementById('confirm-reason-label').hidden = !withReason;
  document.getElementById('confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  return new Promise(resolve => {
    dialog.addEventListener('close', () => {
      resolve({ ok: dialog.returnValue === 'ok', reason: reason.value.trim() });
    }, { once: true });
    dialog.showModal();
    (withReason ? reason : document.getElementById('confirm-cancel')).focus();
  });
}

/** A labelled form field: label wrapping text and the control. */
export function field(labelText, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, labelText), control,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

/** A heading row for a page. */
export function pageHeader(title, ...extra) {
  return h('div', { class: 'page-header' }, h('h1', {}, title), extra);
}

/** Reads JSON from a textarea's text; throws an Error that problemBox can show. */
export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    const err = new Error(e.message);
    err.problem = { title: `${what} is not valid JSON`, detail: e.message };
    throw err;
  }
}
