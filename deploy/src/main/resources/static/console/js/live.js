// Live twin changes from GET /events (server-sent events), read with fetch() so that the Authorization header goes
// along (EventSource cannot send it). Frames are parsed here; the last id is sent back as Last-Event-ID when the
// stream reconnects, after a back-off of 1 s doubling to 10 s.

import { credential } from './api.js';

const listeners = new Set();
let controller = null;
let lastId = null;
let backoff = 1000;
let retryTimer = null;
let stateListener = () => {};
let state = 'off';

function setState(next) {
  state = next;
  stateListener(next);
}

export function liveState() {
  return state;
}

/** Called with 'off' | 'connecting' | 'connected' | 'retrying'. */
export function onLiveState(listener) {
  stateListener = listener;
  listener(state);
}

/** Subscribes to every CloudEvent the stream brings; returns the unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startLive() {
  if (controller) {
    return;
  }
  connect();
}

export function stopLive() {
  if (retryTimer) {
    clearTimeout(retryTimer);
    retryTimer = null;
  }
  if (controller) {
    controller.abort();
    controller = null;
  }
  lastId = null;
  setState('off');
}

async function connect() {
  const cred = credential();
  if (!cred) {
    setState('off');
    return;
  }
  const mine = new AbortController();
  controller = mine;
  setState('connecting');
  const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + cred };
  if (lastId !== null) {
    headers['Last-Event-ID'] = lastId;
  }
  try {
    const response = await fetch('/events', { headers, signal: mine.signal, cache: 'no-store' });
    if (!response.ok || !response.body) {
      // 401/403: no live updates for this caller; do not hammer the platform.
      if (response.status === 401 || response.status === 403) {
        controller = null;
        setState('off');
        return;
      }
      throw new Error('HTTP ' + response.status);
    }
    setState('connected');
    backoff = 1000;
    await readFrames(response.body.getReader(), mine);
    throw new Error('the stream ended');
  } catch (e) {
    if (mine.signal.aborted || controller !== mine) {
      return;
    }
    setState('retrying');
    const wait = backoff;
    backoff = Math.min(10000, backoff * 2);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (controller === mine) {
        connect();
      }
    }, wait);
  }
}

async function readFrames(reader, mine) {
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  let id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done || mine.signal.aborted) {
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (id !== null) {
          lastId = id;
        }
        if (data.length > 0) {
          dispatch(data.join('\n'));
        }
        data = [];
        id = null;
        continue;
      }
      if (line.startsWith(':')) {
        continue; // a comment: keep-alive
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) {
        text = text.slice(1);
      }
      if (name === 'data') {
        data.push(text);
      } else if (name === 'id') {
        id = text;
      }
    }
  }
}

function dispatch(text) {
  let event;
  try {
    event = JSON.parse(text);
  } catch (e) {
    return; // not a CloudEvent: ignored
  }
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (e) {
      // one page's failure must not stop the others
    }
  }
}

/** The event's name from its CloudEvents type io.twinplatform.twin.<EventName>.v1. */
export function eventName(cloudEvent) {
  const match = /\.([A-Za-z]+)\.v\d+$/.exec(cloudEvent.type || '');
  return match ? match[1] : cloudEvent.type;
}
