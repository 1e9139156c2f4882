// Fleet: the fleet views as bar charts, and the fleet query language with paged results.

import { get, post, ApiError } from '../api.js';
import { h, fill, problemBox, table, field, pageHeader } from '../dom.js';
import { barChart, disposeCharts } from '../charts.js';
import { subscribe } from '../live.js';
import { current } from '../session.js';

const DEFAULT_QUERY = 'SELECT deviceId, status, connectionState, tags FROM devices';
let lastQuery = null; // kept while the page changes, so "back" from a twin shows the same query

export function fleetPage(view) {
  const charts = h('div', { class: 'charts', id: 'fleet-views', 'data-testid': 'fleet-views' });
  const viewsProblem = h('div');
  const queryBox = h('textarea', { id: 'query', 'data-testid': 'query', rows: 3, spellcheck: 'false',
    'aria-describedby': 'query-marker' }, lastQuery ? lastQuery.query : DEFAULT_QUERY);
  queryBox.value = lastQuery ? lastQuery.query : DEFAULT_QUERY;
  const marker = h('pre', { id: 'query-marker', class: 'query-marker', 'data-testid': 'query-marker', hidden: true });
  const pageSize = h('select', { id: 'page-size', 'data-testid': 'page-size' },
    [5, 10, 25, 50, 100].map(n => h('option', { value: String(n), selected: n === 25 }, String(n))));
  const results = h('div', { id: 'query-results', 'data-testid': 'query-results' });
  const problem = h('div', { id: 'query-problem' });
  const prev = h('button', { type: 'button', 'data-testid': 'query-prev', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', 'data-testid': 'query-next', disabled: true }, 'Next');
  const pageInfo = h('span', { class: 'page-info', 'data-testid': 'query-page' });

  // Paging: tokens[i] is the continuation token that gives page i (null for the first).
  let tokens = [null];
  let pageIndex = 0;
  let running = null;
  let lastShown = null;
  let lastViews = null;

  /**
   * The raised alerts counted by attribute (GET /alerts, up to 10,000), or null for a scoped caller, to whom the
   * list of alerts (fleet-wide) is not open.
   */
  async function loadAlerts() {
    const me = current();
    if (!me || me.scope) {
      return null;
    }
    const counts = {};
    let after = null;
    let pages = 0;
    do {
      const answer = await get('/alerts?limit=1000' + (after ? '&after=' + encodeURIComponent(after) : ''));
      for (const item of answer.items || []) {
        counts[item.name] = (counts[item.name] || 0) + 1;
      }
      after = answer.next;
      pages++;
    } while (after && pages < 10);
    return { counts, more: Boolean(after) };
  }

  // The alert counts are paged through GET /alerts: read at the start and again only after an alert was raised or
  // cleared, not on every refresh of the views.
  let alerts = null;
  let alertsStale = true;

  async function loadViews() {
    const reloadAlerts = alertsStale;
    alertsStale = false; // an alert event during this load marks it again
    try {
      const [answer, fresh] = await Promise.all([get('/fleet/views'), reloadAlerts ? loadAlerts() : alerts]);
      alerts = fresh;
      const seen = JSON.stringify([answer.views || [], alerts]);
      if (seen === lastViews) {
        return; // nothing moved: keep the charts as drawn
      }
      lastViews = seen;
      disposeCharts();
      fill(viewsProblem);
      fill(charts);
      for (const v of answer.views || []) {
        const box = h('figure', { class: 'chart-box', 'data-testid': 'view-' + v.name },
          h('div', { class: 'chart' }),
          h('figcaption', {}, `${v.name}: ${v.total} twins by `, h('code', {}, v.groupBy)));
        charts.appendChild(box);
        barChart(box.firstChild, v.name, (v.groups || []).map(g => ({
          label: g.value === undefined ? '(undefined)' : typeof g.value === 'object' ? JSON.stringify(g.value) : String(g.value),
          value: g.count,
        })));
      }
      if (alerts) {
        const names = Object.keys(alerts.counts).sort();
        const total = names.reduce((sum, name) => sum + alerts.counts[name], 0);
        const box = h('figure', { class: 'chart-box', 'data-testid': 'view-alerts' },
          h('div', { class: 'chart' }),
          h('figcaption', { 'data-testid': 'alerts-caption' }, names.length === 0 ? 'alerts: none raised'
            : `alerts: ${alerts.more ? 'at least ' : ''}${total} raised, by computed attribute`));
        charts.appendChild(box);
        barChart(box.firstChild, 'alerts', names.map(name => ({ label: name, value: alerts.counts[name] })));
      }
    } catch (e) {
      alertsStale = alertsStale || reloadAlerts;
      fill(viewsProblem, problemBox(e));
    }
  }

  function clearMarker() {
    marker.hidden = true;
    marker.textContent = '';
    queryBox.removeAttribute('aria-invalid');
  }

  /** Marks the fault at `position` (a UTF-16 offset, as the platform counts) in the query box. */
  function markPosition(position) {
    const text = queryBox.value;
    const at = Math.max(0, Math.min(position, text.length));
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd < 0) {
      lineEnd = text.length;
    }
    const tokenMatch = /^\S+/.exec(text.slice(at, lineEnd));
    const end = at + (tokenMatch ? tokenMatch[0].length : 0);
    queryBox.focus();
    queryBox.setSelectionRange(at, Math.max(end, at + (at < text.length ? 1 : 0)));
    queryBox.setAttribute('aria-invalid', 'true');
    const lineNumber = text.slice(0, lineStart).split('\n').length;
    const column = at - lineStart;
    marker.textContent = text.slice(lineStart, lineEnd) + '\n' + ' '.repeat(column) + '^'
      + (end - at > 1 ? '~'.repeat(end - at - 1) : '') + `  line ${lineNumber}, column ${column + 1} (position ${position})`;
    marker.hidden = false;
  }

  async function run(index, quiet = false) {
    const query = quiet && lastQuery ? lastQuery.query : queryBox.value;
    if (running) {
      running.abort();
    }
    const mine = new AbortController();
    running = mine;
    if (!quiet) {
      clearMarker();
      fill(problem);
    }
    const body = { query, pageSize: Number(pageSize.value) };
    if (tokens[index]) {
      body.continuationToken = tokens[index];
    }
    try {
      const answer = (await post('/query', body, { signal: mine.signal })).body;
      if (running !== mine) {
        return;
      }
      pageIndex = index;
      tokens = tokens.slice(0, index + 1);
      if (answer.continuationToken) {
        tokens[index + 1] = answer.continuationToken;
      }
      lastQuery = { query };
      const shown = JSON.stringify(answer.items || []);
      if (!quiet || shown !== lastShown) {
        showResults(answer.items || []); // a live refresh that changes nothing leaves the table (and focus) alone
      }
      lastShown = shown;
      prev.disabled = index === 0;
      next.disabled = !answer.continuationToken;
      pageInfo.textContent = `Page ${index + 1} · ${(answer.items || []).length} rows`;
    } catch (e) {
      if (e.name === 'AbortError' || running !== mine) {
        return;
      }
      fill(problem, problemBox(e, { 'data-testid': 'query-error' }));
      if (e instanceof ApiError && typeof e.problem.position === 'number') {
        markPosition(e.problem.position);
      }
    }
  }

  function showResults(items) {
    const keys = [];
    for (const item of items) {
      for (const key of Object.keys(item)) {
        if (!keys.includes(key)) {
          keys.push(key);
        }
      }
    }
    const columns = keys.map(key => ({
      title: key,
      cell: row => {
        if (key === 'deviceId' && typeof row.deviceId === 'string') {
          const href = row.moduleId
            ? `#/twins/${encodeURIComponent(row.deviceId)}/modules/${encodeURIComponent(row.moduleId)}`
            : `#/twins/${encodeURIComponent(row.deviceId)}`;
          return h('a', { href, 'data-testid': 'twin-link' }, row.deviceId + (row.moduleId ? ' / ' + row.moduleId : ''));
        }
        const value = row[key];
        return value !== null && typeof value === 'object' ? h('code', { class: 'cell-json' }, JSON.stringify(value)) : value;
      },
    }));
    fill(results, table(columns, items, { 'data-testid': 'results-table' }));
  }

  const form = h('form', { class: 'panel', id: 'query-form', onsubmit: e => {
    e.preventDefault();
    tokens = [null];
    run(0);
  } },
  h('h2', {}, 'Query the fleet'),
  field('Query', queryBox, 'IoT Hub query language: SELECT … FROM devices | devices.modules [WHERE …] [GROUP BY …] [ORDER BY …]; Ctrl+Enter runs it'),
  marker,
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'query-run' }, 'Run'),
    field('Page size', pageSize)),
  problem,
  results,
  h('div', { class: 'pager' }, prev, pageInfo, next));
  queryBox.addEventListener('keydown', e => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  queryBox.addEventListener('input', clearMarker);
  prev.addEventListener('click', () => run(Math.max(0, pageIndex - 1)));
  next.addEventListener('click', () => run(pageIndex + 1));

  fill(view,
    pageHeader('Fleet'),
    h('section', { class: 'panel', 'aria-labelledby': 'views-title' }, h('h2', { id: 'views-title' }, 'Fleet views'),
      viewsProblem, charts),
    form);

  loadViews();
  run(0);

  // Live: counts and the page shown follow the fleet, at most once a second, and once more 3 s after the last event
  // (the stream can bring an event before the read side counts it; an unchanged answer redraws nothing).
  let pending = null;
  let trailing = null;
  const refresh = () => {
    loadViews();
    if (!problem.hasChildNodes()) {
      run(pageIndex, true);
    }
  };
  const unsubscribe = subscribe(event => {
    if (/^io\.twinplatform\.twin\.Alert(Raised|Cleared)\./.test(event.type || '')) {
      alertsStale = true;
    }
    clearTimeout(trailing);
    trailing = setTimeout(refresh, 3000);
    if (pending) {
      return;
    }
    pending = setTimeout(() => {
      pending = null;
      refresh();
    }, 1000);
  });
  return () => {
    unsubscribe();
    clearTimeout(trailing);
    if (pending) {
      clearTimeout(pending);
    }
    if (running) {
      running.abort();
    }
  };
}
