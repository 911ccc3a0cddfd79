//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Reads the reference server with Node's `eventsource` package (4.1.1), a
// WHATWG-conformant EventSource written by others:
//
//     node eventsource_client.mjs BASE_URL NODE_PREFIX
//
// BASE_URL is a running reference server (http://127.0.0.1:PORT);
// NODE_PREFIX the directory `eventsource` was installed into (npm install
// --prefix). The fetch that the EventSource uses is wrapped to see the
// requests it makes. Checks:
//   - /messages arrives exactly as the contract says: types, data,
//     lastEventId of every event;
//   - the stream's `retry: 1500` is obeyed: once the stream ends, the
//     client reconnects about 1.5 s later, sending Last-Event-ID: 2;
//   - /stream with an event name and a size, and /subscribe with a
//     publication, arrive exactly.
// Every wait is bounded; the run takes about 3 s.

import { createRequire } from 'node:module';
import path from 'node:path';

const [base, nodePrefix] = process.argv.slice(2);
if (!base || !nodePrefix) {
    console.error('usage: node eventsource_client.mjs BASE_URL NODE_PREFIX');
    process.exit(2);
}
const require = createRequire(path.join(nodePrefix, 'package.json'));
const { EventSource } = await import(require.resolve('eventsource'));

const failures = [];
function check(condition, what) {
    console.log((condition ? 'ok      ' : 'FAILED  ') + what);
    if (!condition)
        failures.push(what);
    return condition;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(predicate, ms) {
    const deadline = Date.now() + ms;
    while (!predicate() && Date.now() < deadline)
        await sleep(10);
    return predicate();
}

// An EventSource whose fetches are recorded: [{time, lastEventId}].
function open(url, types) {
    const requests = [];
    const events = [];
    const errors = [];
    const fetchSpy = (input, init) => {
        const h = new Headers(init?.headers);
        requests.push({ time: Date.now(), lastEventId: h.get('last-event-id') });
        return fetch(input, init);
    };
    const es = new EventSource(url, { fetch: fetchSpy });
    const record = (e) => events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, time: Date.now() });
    es.onmessage = record;
    for (const t of types)
        es.addEventListener(t, record);
    es.onerror = () => errors.push(Date.now());
    return { es, requests, events, errors };
}

// The package gives each MessageEvent the id of its own event, '' when it
// has none, where a browser gives the last event id seen so far ('1' for
// events 2 to 5 here). The last event id itself is kept as the standard
// says: the reconnection below sends Last-Event-ID: 2.
const want = [
    { type: 'greeting', data: 'Hello, world!', lastEventId: '1' },
    { type: 'message', data: 'line1\nline2\nline3\nline4', lastEventId: '' },
    { type: 'json', data: { n: 1, s: 'ü ✓', nested: { a: [1, 2] } }, lastEventId: '' },
    { type: 'message', data: ' leading space', lastEventId: '' },
    { type: 'message', data: 'Привет, мир 👋', lastEventId: '' },
    { type: 'last', data: 'bye', lastEventId: '2' },
];

function normalize(events) {
    return events.map((e) => {
        let data = e.data;
        if (e.type === 'json') {
            try { data = JSON.parse(data); } catch { /* compared as text, and fails */ }
        }
        return { type: e.type, data, lastEventId: e.lastEventId };
    });
}

// A deep comparison that ignores key order (the JSON may come in any).
function same(a, b) {
    if (a === b)
        return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b))
        return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

async function messages() {
    const s = open(`${base}/messages`, ['greeting', 'json', 'last']);
    await waitFor(() => s.events.some((e) => e.type === 'last'), 5000);
    const got = normalize(s.events);
    check(same(got, want), `/messages: every event, its type, data and lastEventId: ${JSON.stringify(got)}`);
    // The stream ends; the client waits the 1500 ms the stream asked for, then comes back with its last id.
    await waitFor(() => s.requests.length >= 2, 4000);
    s.es.close();
    check(s.requests.length >= 2, `the client reconnected after the end (${s.requests.length} requests)`);
    if (s.requests.length >= 2) {
        const [first, second] = s.requests;
        check(first.lastEventId === null, `the first request has no Last-Event-ID (${first.lastEventId})`);
        check(second.lastEventId === '2', `the reconnection sends Last-Event-ID: 2 (${second.lastEventId})`);
        const ended = s.errors[0];
        const wait = second.time - ended;
        check(ended !== undefined && wait >= 1400 && wait < 2800,
            `it waited the retry the stream set, 1500 ms, not its default 3000 ms (${wait} ms after the end)`);
    }
}

async function stream() {
    const s = open(`${base}/stream?count=4&size=12&event=tick`, ['tick']);
    await waitFor(() => s.events.length >= 4, 3000);
    s.es.close();
    const got = s.events.map((e) => [e.type, e.data, e.lastEventId]);
    const exp = [1, 2, 3, 4].map((i) => ['tick', `${i}:`.padEnd(12, 'x'), String(i)]);
    check(JSON.stringify(got) === JSON.stringify(exp), `/stream?count=4&size=12&event=tick: ${JSON.stringify(got)}`);
}

async function subscribe() {
    const topic = `node-${process.pid}`;
    const s = open(`${base}/subscribe?topic=${topic}`, ['note']);
    await waitFor(() => s.es.readyState === EventSource.OPEN, 3000);
    const ids = [];
    for (const text of ['one', 'two\nlines']) {
        const r = await fetch(`${base}/publish?topic=${topic}&event=note`, { method: 'POST', body: text });
        ids.push([r.status, await r.text()]);
    }
    check(JSON.stringify(ids) === '[[202,"1"],[202,"2"]]', `/publish: 202 with ids 1 and 2 (${JSON.stringify(ids)})`);
    await waitFor(() => s.events.length >= 2, 3000);
    s.es.close();
    const got = s.events.map((e) => [e.type, e.data, e.lastEventId]);
    check(JSON.stringify(got) === JSON.stringify([['note', 'one', '1'], ['note', 'two\nlines', '2']]),
        `/subscribe: the two publications (${JSON.stringify(got)})`);
}

const watchdog = setTimeout(() => {
    console.error('FAILED  the test took more than 30 s');
    process.exit(1);
}, 30000);

try {
    await Promise.all([messages(), stream(), subscribe()]);
} catch (e) {
    check(false, `unexpected error: ${e.stack || e}`);
}
clearTimeout(watchdog);
console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
process.exit(failures.length ? 1 : 0);
