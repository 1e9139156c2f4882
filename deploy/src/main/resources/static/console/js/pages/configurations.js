// Configurations: the list, one configuration with its metrics, and starting a rollout of it.

import { get, post, seg } from '../api.js';
import { h, fill, problemBox, table, field, timeEl, pageHeader, jsonBlock, parseJson, pretty, messageArea } from '../dom.js';
import { may } from '../session.js';

export function configurationsPage(view) {
  const list = h('div', { 'data-testid': 'configurations' }, h('p', { class: 'muted' }, 'Loading…'));
  const rolloutId = h('input', { type: 'text', id: 'open-rollout', 'data-testid': 'open-rollout', autocomplete: 'off' });
  fill(view, pageHeader('Configurations'),
    h('section', { class: 'panel' }, list),
    h('form', { class: 'panel', onsubmit: e => {
      e.preventDefault();
      if (rolloutId.value.trim()) {
        location.hash = '#/rollouts/' + encodeURIComponent(rolloutId.value.trim());
      }
    } }, h('h2', {}, 'Open a rollout'), field('Rollout id', rolloutId),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Open'))));
  get('/configurations?top=1000').then(items => {
    fill(list, table([
      { title: 'Id', cell: c => h('a', { href: '#/configurations/' + encodeURIComponent(c.id), 'data-testid': 'configuration-link' }, c.id) },
      { title: 'Target condition', cell: c => h('code', {}, c.targetCondition) },
      { title: 'Priority', cell: c => String(c.priority) },
      { title: 'Staged', cell: c => c.staged ? 'staged' : '' },
      { title: 'Labels', cell: c => c.labels && Object.keys(c.labels).length ? c.labels : '' },
      { title: 'Updated', cell: c => timeEl(c.lastUpdatedTimeUtc) },
    ], items || []));
  }).catch(e => fill(list, problemBox(e)));
}

export function configurationPage(view, { id }) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  fill(view, pageHeader('Configuration ' + id, h('a', { href: '#/configurations' }, 'All configurations')), body);
  get('/configurations/' + seg(id)).then(c => {
    const metricRows = [];
    for (const [group, m] of [['system', c.systemMetrics], ['custom', c.metrics]]) {
      for (const [name, count] of Object.entries((m && m.results) || {})) {
        metricRows.push({ group, name, count, query: ((m && m.queries) || {})[name] });
      }
    }
    fill(body,
      h('section', { class: 'panel' }, h('h2', {}, 'Definition'),
        h('dl', { class: 'summary' },
          h('dt', {}, 'Target condition'), h('dd', {}, h('code', {}, c.targetCondition)),
          h('dt', {}, 'Priority'), h('dd', {}, String(c.priority)),
          h('dt', {}, 'Staged'), h('dd', {}, c.staged ? 'yes: applies only where a rollout admits it' : 'no'),
          h('dt', {}, 'ETag'), h('dd', {}, c.etag || ''),
          h('dt', {}, 'Created'), h('dd', {}, timeEl(c.createdTimeUtc)),
          h('dt', {}, 'Updated'), h('dd', {}, timeEl(c.lastUpdatedTimeUtc))),
        h('h3', {}, 'Content'), jsonBlock(c.content),
        c.labels && Object.keys(c.labels).length ? [h('h3', {}, 'Labels'), jsonBlock(c.labels)] : null),
      h('section', { class: 'panel', 'data-testid': 'configuration-metrics' }, h('h2', {}, 'Metrics'),
        table([{ title: 'Metric', cell: r => r.name }, { title: 'Kind', cell: r => r.group }, { title: 'Twins', cell: r => String(r.count) },
          { title: 'Query', cell: r => h('code', {}, r.query || '') }], metricRows)),
      c.staged && may('write') ? rolloutForm(c) : null);
  }).catch(e => fill(body, problemBox(e)));
}

function rolloutForm(configuration) {
  const metrics = Object.keys((configuration.metrics && configuration.metrics.queries) || {});
  const template = {
    id: configuration.id + '-' + new Date().toISOString().slice(0, 16).replace(/[-:T]/g, ''),
    configurationId: configuration.id,
    phases: [{ name: 'canary', percent: 10 }, { percent: 50 }, { percent: 100 }],
    success: { metric: metrics[0] || 'appliedCount', minPercent: 95, soakSeconds: 300 },
    failure: { reportedCondition: "properties.reported.status = 'error'", maxPercent: 5 },
    onFailure: 'rollback',
    phaseTimeoutSeconds: 3600,
  };
  const area = h('textarea', { id: 'rollout-body', 'data-testid': 'rollout-body', rows: 14, spellcheck: 'false' });
  area.value = pretty(template);
  const out = messageArea({ 'data-testid': 'rollout-start-messages' });
  return h('form', { class: 'panel', 'data-testid': 'rollout-form', onsubmit: async e => {
    e.preventDefault();
    out.clear();
    let body;
    try {
      body = parseJson(area.value, 'The rollout');
    } catch (err) {
      out.show(err);
      return;
    }
    try {
      const created = (await post('/rollouts', body)).body;
      location.hash = '#/rollouts/' + encodeURIComponent(created.id);
    } catch (err) {
      out.show(err);
    }
  } },
  h('h2', {}, 'Start a rollout'),
  h('p', { class: 'hint' }, 'Phases are cumulative shares of the targeted twins. The rollout goes on when the success metric holds for the soak time, and pauses or rolls back when the failed share goes above maxPercent (docs/configurations.md).'),
  field('Rollout (JSON)', area),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'rollout-start' }, 'Start rollout')),
  out.el);
}
