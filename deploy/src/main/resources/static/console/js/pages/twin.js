// A twin (device or module): its document, edit, direct methods, module twins, telemetry, computed attributes and
// alerts; and, for auditors and admins, its timeline with a diff between two versions and a time slider.

import { api, get, post, seg, qs, ApiError } from '../api.js';
import { h, fill, jsonBlock, problemBox, table, field, timeEl, when, pageHeader, parseJson, pretty, messageArea } from '../dom.js';
import { timeChart } from '../charts.js';
import { may } from '../session.js';
import { subscribe, eventName } from '../live.js';

export function twinPage(view, { device, module }) {
  const base = '/twins/' + seg(device) + (module ? '/modules/' + seg(module) : '');
  const twinKey = module ? device + '/' + module : device;
  const title = module ? `${device} / ${module}` : device;
  let twin = null;
  let etag = null;
  let disposed = false;

  const showMeta = h('input', { type: 'checkbox', id: 'show-metadata', 'data-testid': 'show-metadata' });
  showMeta.addEventListener('change', () => twin && showTwin());
  const summary = h('dl', { class: 'summary', id: 'twin-summary', 'data-testid': 'twin-summary' });
  const docProblem = h('div');
  const sections = h('div', { class: 'sections', 'data-testid': 'twin-sections' });
  const extras = h('div', { class: 'grid2' });
  const liveNote = h('span', { class: 'live-note', 'data-testid': 'twin-live-note', 'aria-live': 'polite' });

  const header = pageHeader(title,
    module ? h('a', { href: '#/twins/' + encodeURIComponent(device) }, 'Device twin ' + device) : null,
    liveNote);
  fill(view, header, docProblem, h('section', { class: 'panel' }, h('h2', {}, 'State'), summary,
    h('label', { class: 'check hint' }, showMeta, ' show $metadata'), sections), extras);

  // ---- The current twin (read role) ---------------------------------------------------------------------------
  /**
   * Reads the twin. atLeast: the version a live event announced; the stream can bring an event before the read side
   * shows it, so an older answer is read again a moment later (for a few seconds at most).
   */
  async function loadTwin(atLeast = 0, attempt = 0) {
    try {
      const answer = await api(base);
      if (disposed) {
        return;
      }
      if (answer.body.version < atLeast && attempt < 30) {
        setTimeout(() => loadTwin(atLeast, attempt + 1), 200);
        return;
      }
      const unchanged = twin !== null && JSON.stringify(twin) === JSON.stringify(answer.body);
      twin = answer.body;
      etag = answer.headers.get('ETag') || twin.etag;
      fill(docProblem);
      if (!unchanged) {
        showTwin(); // redrawn only when something changed, so focus and selection stay put
      }
    } catch (e) {
      if (!disposed) {
        fill(docProblem, problemBox(e, { 'data-testid': 'twin-problem' }));
      }
    }
  }

  function showTwin() {
    const items = [
      ['Device', twin.deviceId], module ? ['Module', twin.moduleId] : null,
      ['Status', twin.status + (twin.statusReason ? ` (${twin.statusReason})` : '')],
      ['Connection', twin.connectionState], ['Last activity', when(twin.lastActivityTime)],
      ['Version', String(twin.version)], ['ETag', etag],
    ].filter(Boolean);
    fill(summary, items.map(([k, v]) => [h('dt', {}, k), h('dd', { 'data-testid': 'twin-' + k.toLowerCase().replace(/\s/g, '-') }, v || '')]));
    const props = twin.properties || {};
    fill(sections,
      section('Desired', showMeta.checked ? props.desired : withoutMetadata(props.desired), 'twin-desired'),
      section('Reported', showMeta.checked ? props.reported : withoutMetadata(props.reported), 'twin-reported'),
      section('Delta', twin.delta, 'twin-delta'),
      section('Tags', twin.tags, 'twin-tags'),
      twin.configurations ? section('Configurations', twin.configurations, 'twin-configurations') : null,
      twin.configSync ? section('Config sync', twin.configSync, 'twin-configsync') : null);
    showAlerts();
    editor.refresh();
  }

  function section(name, value, testid) {
    return h('figure', { class: 'section' }, h('figcaption', {}, name), jsonBlock(value === undefined ? {} : value, { 'data-testid': testid }));
  }

  // ---- Alerts and computed attributes -------------------------------------------------------------------------
  const alertsPanel = h('section', { class: 'panel', 'data-testid': 'twin-alerts' }, h('h2', {}, 'Alerts'));
  const computedPanel = h('section', { class: 'panel', 'data-testid': 'twin-computed' }, h('h2', {}, 'Computed attributes'));

  function showAlerts() {
    const alerts = twin.alerts || {};
    const rows = Object.entries(alerts).map(([name, a]) => ({ name, ...(a && typeof a === 'object' ? a : { value: a }) }));
    fill(alertsPanel, h('h2', {}, 'Alerts'), rows.length === 0 ? h('p', { class: 'muted' }, 'No alert raised.')
      : table([{ title: 'Alert', cell: r => r.name }, { title: 'Side', cell: r => r.side }, { title: 'Value', cell: r => r.value },
        { title: 'Raised', cell: r => timeEl(r.raisedAt || r.since || r.time) },
        { title: 'Details', cell: r => { const { name, side, value, ...rest } = r; return rest; } }], rows));
  }

  async function loadComputed() {
    try {
      const answer = await get(base + '/computed');
      const entries = Object.entries(answer.computed || answer.attributes || answer || {})
        .filter(([, v]) => v && typeof v === 'object');
      fill(computedPanel, h('h2', {}, 'Computed attributes'), entries.length === 0 ? h('p', { class: 'muted' }, 'None.')
        : table([{ title: 'Name', cell: r => r[0] }, { title: 'Value', cell: r => r[1].value },
          { title: 'Function', cell: r => r[1].function || (r[1].detail && r[1].detail.function) },
          { title: 'At', cell: r => timeEl(r[1].time || r[1].computedAt || (r[1].detail && r[1].detail.windowTo)) }], entries));
    } catch (e) {
      fill(computedPanel, h('h2', {}, 'Computed attributes'), problemBox(e));
    }
  }

  // ---- Telemetry ----------------------------------------------------------------------------------------------
  const bucket = h('select', { id: 'telemetry-bucket', 'data-testid': 'telemetry-bucket' },
    ['1m', '5m', '15m', '1h'].map(b => h('option', { value: b, selected: b === '5m' }, b)));
  const range = h('select', { id: 'telemetry-range', 'data-testid': 'telemetry-range' },
    [['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['7d', 7 * 24 * 3600e3]]
      .map(([label, ms]) => h('option', { value: String(ms), selected: label === '24h' }, 'last ' + label)));
  const chartEl = h('div', { class: 'chart wide', 'data-testid': 'telemetry-chart' });
  const telemetryMsg = h('div');
  const telemetryPanel = h('section', { class: 'panel', 'data-testid': 'twin-telemetry' }, h('h2', {}, 'Telemetry'),
    h('div', { class: 'actions' }, field('Bucket', bucket), field('Range', range)), telemetryMsg, chartEl);

  async function loadTelemetry() {
    const to = new Date();
    const from = new Date(to.getTime() - Number(range.value));
    try {
      const answer = await get(base + '/telemetry' + qs({ from: from.toISOString(), to: to.toISOString(), bucket: bucket.value }));
      const series = {};
      for (const [name, points] of Object.entries(answer.series || {})) {
        series[name] = points.map(p => [p.start, p.avg]);
      }
      disposeTelemetry();
      if (Object.keys(series).length === 0) {
        fill(telemetryMsg, h('p', { class: 'muted' }, 'No telemetry in this range.'));
        chartEl.hidden = true;
      } else {
        fill(telemetryMsg);
        chartEl.hidden = false;
        telemetryChart = timeChart(chartEl, `Average per ${bucket.value} bucket`, series, { from: answer.from, to: answer.to });
      }
    } catch (e) {
      fill(telemetryMsg, problemBox(e));
    }
  }
  let telemetryChart = null;
  function disposeTelemetry() {
    if (telemetryChart) {
      telemetryChart.dispose();
      telemetryChart = null;
    }
  }
  bucket.addEventListener('change', loadTelemetry);
  range.addEventListener('change', loadTelemetry);

  // ---- Module twins of a device -------------------------------------------------------------------------------
  const modulesPanel = h('section', { class: 'panel', 'data-testid': 'twin-modules' }, h('h2', {}, 'Module twins'));
  async function loadModules() {
    try {
      const escaped = device.replace(/'/g, "\\'");
      const answer = (await post('/query', { query: `SELECT deviceId, moduleId, status, connectionState FROM devices.modules WHERE deviceId = '${escaped}'`, pageSize: 100 })).body;
      const items = answer.items || [];
      fill(modulesPanel, h('h2', {}, 'Module twins'), items.length === 0 ? h('p', { class: 'muted' }, 'No module twins.')
        : h('ul', { class: 'plain' }, items.map(m => h('li', {}, h('a', { href: `#/twins/${encodeURIComponent(device)}/modules/${encodeURIComponent(m.moduleId)}` }, m.moduleId),
          ` · ${m.status || ''} · ${m.connectionState || ''}`))));
    } catch (e) {
      fill(modulesPanel, h('h2', {}, 'Module twins'), problemBox(e));
    }
  }

  // ---- Edit desired and tags (write role) ----------------------------------------------------------------------
  const editor = makeEditor();
  function makeEditor() {
    const area = h('textarea', { id: 'twin-edit', 'data-testid': 'twin-edit', rows: 12, spellcheck: 'false' });
    const basedOn = h('p', { class: 'muted', 'data-testid': 'twin-edit-version' });
    const messages = messageArea({ 'data-testid': 'twin-edit-messages' });
    let original = null;
    let originalEtag = null;
    let dirty = false;
    area.addEventListener('input', () => { dirty = true; });
    const panel = h('section', { class: 'panel', 'data-testid': 'twin-edit-panel' },
      h('h2', {}, 'Edit tags and desired properties'),
      h('p', { class: 'hint' }, 'Edit the JSON and save: the change is sent as a merge patch (a key you remove is removed) with If-Match set to the version shown here. If the twin changed meanwhile nothing is overwritten.'),
      basedOn,
      field('Tags and desired (JSON)', area),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-testid': 'twin-save', onclick: save }, 'Save'),
        h('button', { type: 'button', 'data-testid': 'twin-edit-reset', onclick: () => reset(true) }, 'Discard changes')),
      messages.el);

    function editable(doc) {
      const desired = { ...((doc.properties || {}).desired || {}) };
      for (const key of Object.keys(desired)) {
        if (key.startsWith('$')) {
          delete desired[key];
        }
      }
      return { tags: doc.tags || {}, properties: { desired } };
    }

    function reset(force) {
      if (!twin) {
        return;
      }
      if (dirty && !force) {
        return; // keep what the user typed; the version it is based on stays as it was
      }
      original = editable(twin);
      originalEtag = etag;
      area.value = pretty(original);
      dirty = false;
      basedOn.textContent = `Based on version ${twin.version} (ETag ${etag}).`;
      if (force) {
        messages.clear();
      }
    }

    async function save() {
      messages.clear();
      let edited;
      try {
        edited = parseJson(area.value, 'The edited twin');
      } catch (e) {
        messages.show(e);
        return;
      }
      const patch = mergeDiff(original, edited);
      if (patch === undefined || (typeof patch === 'object' && patch !== null && Object.keys(patch).length === 0)) {
        messages.note('Nothing changed.', 'muted');
        return;
      }
      try {
        const answer = await api(base, { method: 'PATCH', body: JSON.stringify(patch),
          headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': originalEtag } });
        twin = answer.body;
        etag = answer.headers.get('ETag') || twin.etag;
        dirty = false;
        showTwin();
        reset(true);
        messages.note(`Saved: version ${twin.version}.`);
        if (may('audit')) {
          timeline.load(false);
        }
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) {
          messages.clear();
          messages.el.append(h('div', { class: 'problem conflict', role: 'alert', 'data-testid': 'twin-conflict' },
            h('strong', {}, 'Conflict: the twin changed since you opened it (412).'),
            h('p', {}, e.problem.detail || ''),
            h('p', {}, 'Your edit was not saved and nothing was overwritten. Reload the current version and apply your change again.'),
            h('button', { type: 'button', 'data-testid': 'twin-reload', onclick: async () => { await loadTwin(); reset(true); } },
              'Reload the current version')));
        } else {
          messages.show(e);
        }
      }
    }
    return { panel, refresh: () => reset(false) };
  }

  // ---- Direct method (write role) ------------------------------------------------------------------------------
  function methodPanel() {
    const name = h('input', { type: 'text', id: 'method-name', 'data-testid': 'method-name', required: true, autocomplete: 'off' });
    const payload = h('textarea', { id: 'method-payload', 'data-testid': 'method-payload', rows: 3, spellcheck: 'false' }, '{}');
    payload.value = '{}';
    const timeout = h('input', { type: 'number', id: 'method-timeout', min: 5, max: 300, value: '30' });
    const out = messageArea({ 'data-testid': 'method-result' });
    return h('form', { class: 'panel', 'data-testid': 'twin-method', onsubmit: async e => {
      e.preventDefault();
      out.clear();
      let body;
      try {
        body = { payload: parseJson(payload.value || 'null', 'The payload'), responseTimeoutInSeconds: Number(timeout.value) };
      } catch (err) {
        out.show(err);
        return;
      }
      out.note('Calling…', 'muted');
      try {
        const answer = (await post(base + '/methods/' + seg(name.value.trim()), body)).body;
        fill(out.el, h('p', {}, `The device answered with status ${answer.status}:`), jsonBlock(answer.payload));
      } catch (err) {
        out.show(err);
      }
    } },
    h('h2', {}, 'Call a direct method'),
    field('Method name', name), field('Payload (JSON)', payload), field('Answer timeout (s)', timeout),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': 'method-call' }, 'Call')),
    out.el);
  }

  // ---- Timeline, diff and time slider (audit role) -------------------------------------------------------------
  const timeline = makeTimeline();
  function makeTimeline() {
    const rowsEl = h('div', { 'data-testid': 'timeline' });
    const msg = h('div');
    const diffOut = h('div', { id: 'diff', 'data-testid': 'diff' });
    const diffButton = h('button', { type: 'button', 'data-testid': 'diff-button', disabled: true }, 'Diff the two picked versions');
    const more = h('button', { type: 'button', 'data-testid': 'timeline-more', hidden: true }, 'Older changes');
    let items = [];
    let token = null;
    const picked = new Set();

    async function load(append) {
      try {
        const answer = await get(base + '/history' + qs({ pageSize: 20, continuationToken: append ? token : null }));
        items = append ? items.concat(answer.items || []) : (answer.items || []);
        token = answer.continuationToken || null;
        more.hidden = !token;
        fill(msg);
        draw();
      } catch (e) {
        fill(msg, problemBox(e));
      }
    }

    function prependLive(cloudEvent) {
      const data = cloudEvent.data || {};
      const meta = data.metadata || {};
      if (items.some(i => i.version === data.version)) {
        return;
      }
      items.unshift({ version: data.version, time: cloudEvent.time, eventType: eventName(cloudEvent), principal: meta.principal,
        channel: meta.channel, reason: meta.reason, paths: data.event ? changedPaths(data.event) : [], live: true });
      draw();
    }

    function draw() {
      for (const v of [...picked]) {
        if (!items.some(i => i.version === v)) {
          picked.delete(v);
        }
      }
      diffButton.disabled = picked.size !== 2;
      fill(rowsEl, table([
        { title: 'Pick', cell: r => h('input', { type: 'checkbox', 'data-testid': 'pick-' + r.version, 'aria-label': 'Pick version ' + r.version,
          checked: picked.has(r.version), onchange: e => {
            if (e.target.checked) {
              picked.add(r.version);
            } else {
              picked.delete(r.version);
            }
            diffButton.disabled = picked.size !== 2;
          } }) },
        { title: 'Version', cell: r => String(r.version) },
        { title: 'When', cell: r => timeEl(r.time) },
        { title: 'What', cell: r => [r.eventType, r.live ? h('span', { class: 'badge' }, 'live') : null] },
        { title: 'Who', cell: r => r.principal },
        { title: 'Channel', cell: r => r.channel },
        { title: 'Why', cell: r => r.reason },
        { title: 'Changed', cell: r => (r.paths || []).join(', ') },
      ], items.map(r => ({ ...r, __attrs: { 'data-testid': 'timeline-row', 'data-version': String(r.version) } }))));
    }

    diffButton.addEventListener('click', async () => {
      const [a, b] = [...picked].sort((x, y) => x - y);
      fill(diffOut, h('p', { class: 'muted' }, 'Loading the diff…'));
      try {
        const answer = await get(base + '/diff' + qs({ fromVersion: a, toVersion: b }));
        fill(diffOut, h('h3', {}, `From version ${answer.fromVersion} to ${answer.toVersion}`),
          table([{ title: 'Path', cell: c => h('code', {}, c.path) },
            { title: 'Before', cell: c => 'from' in c ? h('code', { class: 'removed' }, JSON.stringify(c.from)) : h('em', {}, 'absent') },
            { title: 'After', cell: c => 'to' in c ? h('code', { class: 'added' }, JSON.stringify(c.to)) : h('em', {}, 'absent') }],
          answer.changes || [], { 'data-testid': 'diff-table' }));
      } catch (e) {
        fill(diffOut, problemBox(e));
      }
    });
    more.addEventListener('click', () => load(true));

    const panel = h('section', { class: 'panel', id: 'timeline-panel', 'data-testid': 'timeline-panel' },
      h('h2', {}, 'Timeline'),
      h('p', { class: 'hint' }, 'Every change, newest first: who, through which channel, why, when and what. Pick two rows to see what changed between them.'),
      msg, rowsEl, h('div', { class: 'actions' }, more, diffButton), diffOut);
    return { panel, load, prependLive };
  }

  const slider = makeSlider();
  function makeSlider() {
    const input = h('input', { type: 'range', id: 'asof-slider', 'data-testid': 'asof-slider', min: 0, max: 1, step: 1, value: '1' });
    const label = h('output', { for: 'asof-slider', id: 'asof-label', 'data-testid': 'asof-label' });
    const out = h('div', { 'data-testid': 'asof-twin' });
    let created = null;
    const panel = h('section', { class: 'panel', 'data-testid': 'asof-panel' },
      h('h2', {}, 'As of'),
      h('p', { class: 'hint' }, 'Move the slider (or use the arrow, Page and Home/End keys) and release it to see the twin as it was at that instant.'),
      field('Instant', input), label, out);

    async function init() {
      try {
        const first = await get(base + '/history' + qs({ order: 'oldest', pageSize: 1 }));
        if (!first.items || first.items.length === 0) {
          fill(out, h('p', { class: 'muted' }, 'No history yet.'));
          return;
        }
        created = Date.parse(first.items[0].time);
        extend();
        input.value = input.max;
        label.textContent = 'now';
      } catch (e) {
        fill(out, problemBox(e));
      }
    }

    function extend() {
      if (created === null) {
        return;
      }
      const now = Date.now();
      const span = Math.max(1, now - created);
      const step = Math.max(1, Math.round(span / 1000));
      const atEnd = Number(input.value) >= Number(input.max);
      input.min = String(created);
      input.max = String(created + Math.ceil(span / step) * step);
      input.step = String(step);
      if (atEnd) {
        input.value = input.max;
      }
    }

    input.addEventListener('input', () => {
      label.textContent = new Date(Number(input.value)).toISOString();
    });
    input.addEventListener('change', async () => {
      const instant = new Date(Math.min(Number(input.value), Date.now())).toISOString();
      label.textContent = instant;
      fill(out, h('p', { class: 'muted' }, 'Loading…'));
      try {
        const answer = await api(base + qs({ asOf: instant }));
        const doc = answer.body;
        fill(out, h('p', { 'data-testid': 'asof-version' }, 'As of ', h('strong', {}, instant), ': version ',
          h('strong', { 'data-testid': 'asof-version-number' }, String(doc.version)),
          answer.headers.get('Twin-Source') ? ` (read from ${answer.headers.get('Twin-Source')})` : ''),
        h('div', { class: 'sections' },
          section('Desired', withoutMetadata((doc.properties || {}).desired), 'asof-desired'),
          section('Reported', withoutMetadata((doc.properties || {}).reported), 'asof-reported'),
          section('Tags', doc.tags, 'asof-tags')));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          fill(out, h('p', { 'data-testid': 'asof-version' }, `As of ${instant} the twin did not exist.`));
        } else {
          fill(out, problemBox(e));
        }
      }
    });
    return { panel, init, extend };
  }

  // ---- Layout by role -----------------------------------------------------------------------------------------
  if (may('read')) {
    extras.append(telemetryPanel, alertsPanel);
    if (!module) {
      extras.append(computedPanel, modulesPanel);
    }
    if (may('write')) {
      view.append(h('div', { class: 'grid2' }, editor.panel, methodPanel()));
    }
    loadTwin();
    loadTelemetry();
    if (!module) {
      loadComputed();
      loadModules();
    }
  } else {
    fill(docProblem, h('p', { class: 'note muted' }, 'Your roles read the past of a twin (its timeline and diffs), not its current state.'));
  }
  if (may('audit')) {
    view.append(timeline.panel);
    timeline.load(false);
    if (may('read')) {
      view.append(slider.panel);
      slider.init();
    }
  }

  // ---- Live ---------------------------------------------------------------------------------------------------
  const unsubscribe = subscribe(cloudEvent => {
    const data = cloudEvent.data || {};
    const id = data.twinId || cloudEvent.subject;
    if (id !== twinKey) {
      return;
    }
    liveNote.textContent = `Updated live: version ${data.version} (${eventName(cloudEvent)})`;
    if (may('read')) {
      loadTwin(data.deleted ? 0 : data.version || 0);
    }
    if (may('audit')) {
      timeline.prependLive(cloudEvent);
      slider.extend();
    }
  });
  return () => {
    disposed = true;
    unsubscribe();
    disposeTelemetry();
  };
}

/** The merge patch (RFC 7396) that turns a into b; undefined when they are equal. */
export function mergeDiff(a, b) {
  if (isObject(a) && isObject(b)) {
    const patch = {};
    for (const key of Object.keys(a)) {
      if (!(key in b)) {
        patch[key] = null;
      }
    }
    for (const [key, value] of Object.entries(b)) {
      if (!(key in a)) {
        patch[key] = value;
      } else {
        const inner = mergeDiff(a[key], value);
        if (inner !== undefined) {
          patch[key] = inner;
        }
      }
    }
    return Object.keys(patch).length === 0 ? undefined : patch;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : b;
}

/** A section without its $metadata (the per-leaf times), which the page shows only when asked. */
function withoutMetadata(section) {
  if (!isObject(section)) {
    return section;
  }
  const { $metadata, ...rest } = section;
  return rest;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The leaves a CloudEvent's event payload touched, for the live timeline row (best effort). */
function changedPaths(event) {
  const source = event.patch || event.reported || event.desired || event.tags;
  if (!isObject(source)) {
    return [];
  }
  const out = [];
  (function walk(obj, prefix) {
    for (const [k, v] of Object.entries(obj)) {
      if (isObject(v) && Object.keys(v).length > 0) {
        walk(v, prefix + k + '.');
      } else {
        out.push(prefix + k);
      }
    }
  })(source, '');
  return out;
}
