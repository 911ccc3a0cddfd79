//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Points a real browser's EventSource at the reference server: headless
// Chromium (the system's), driven by playwright-core:
//
//     node browser.mjs PATH/TO/chromium NODE_PREFIX HTTP_BASE HTTPS_BASE
//
// HTTP_BASE is a reference server on plain TCP (http://127.0.0.1:PORT),
// HTTPS_BASE one started with --tls (https://127.0.0.1:PORT, a self-signed
// certificate: the browser is told to accept it). NODE_PREFIX is where
// playwright-core was installed (npm install --prefix). The browser gets a
// fresh temporary profile. Checks, on each server:
//   - a page's EventSource receives /messages exactly: types, data and
//     lastEventId of every event;
//   - once the stream ends it reconnects after the 1500 ms the stream set,
//     sending Last-Event-ID: 2 (seen in the browser's own requests);
//   - a finite /stream reconnects too: a second request with Last-Event-ID
//     and a second run of events;
//   - over TLS the page and its streams use HTTP/2 (nextHopProtocol 'h2'),
//     chosen by ALPN.
// Every wait is bounded.

import { createRequire } from 'node:module';
import path from 'node:path';

const [chromiumExe, nodePrefix, httpBase, httpsBase] = process.argv.slice(2);
if (!chromiumExe || !nodePrefix || !httpBase || !httpsBase) {
    console.error('usage: node browser.mjs PATH/TO/chromium NODE_PREFIX HTTP_BASE HTTPS_BASE');
    process.exit(2);
}
const { chromium } = createRequire(path.join(nodePrefix, 'package.json'))('playwright-core');

const failures = [];
function check(condition, what) {
    console.log((condition ? 'ok      ' : 'FAILED  ') + what);
    if (!condition)
        failures.push(what);
    return condition;
}

const want = [
    { type: 'greeting', data: 'Hello, world!', lastEventId: '1' },
    { type: 'message', data: 'line1\nline2\nline3\nline4', lastEventId: '1' },
    { type: 'json', data: { n: 1, s: 'ü ✓', nested: { a: [1, 2] } }, lastEventId: '1' },
    { type: 'message', data: ' leading space', lastEventId: '1' },
    { type: 'message', data: 'Привет, мир 👋', lastEventId: '1' },
    { type: 'last', data: 'bye', lastEventId: '2' },
];

function same(a, b) {
    if (a === b)
        return true;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b))
        return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

// Opens an EventSource in the page; its events go to window.sources[name].
async function openSource(page, name, url, types) {
    await page.evaluate(([name, url, types]) => {
        window.sources ??= {};
        const s = { events: [], errors: [], opens: [] };
        window.sources[name] = s;
        s.es = new EventSource(url);
        const record = (e) => s.events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId });
        s.es.onmessage = record;
        for (const t of types)
            s.es.addEventListener(t, record);
        s.es.onopen = () => { s.opens.push(performance.now()); };
        s.es.onerror = () => { s.errors.push(performance.now()); };
    }, [name, url, types]);
}

async function waitIn(page, fn, arg, ms) {
    try {
        await page.waitForFunction(fn, arg, { timeout: ms, polling: 20 });
        return true;
    } catch {
        return false;
    }
}

// The EventSource requests the browser made: [{path, lastEventId}].
function watchRequests(page) {
    const requests = [];
    page.on('request', async (r) => {
        if (r.resourceType() !== 'eventsource')
            return;
        const headers = await r.allHeaders().catch(() => r.headers());
        requests.push({ path: new URL(r.url()).pathname, lastEventId: headers['last-event-id'] ?? null });
    });
    return requests;
}

async function waitForRequests(requests, p, n, ms) {
    const deadline = Date.now() + ms;
    while (requests.filter((r) => r.path === p).length < n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    return requests.filter((r) => r.path === p);
}

async function run(browser, base, label) {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    const requests = watchRequests(page);
    // The server's own page, with its stream parked on /idle.
    await page.goto(`${base}/?url=${encodeURIComponent('/idle')}`);
    const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    if (label === 'TLS')
        check(protocol === 'h2', `${label}: the page came over HTTP/2, chosen by ALPN (${protocol})`);
    else
        check(protocol === 'http/1.1', `${label}: the page came over HTTP/1.1 (${protocol})`);

    // Both sources at once: each waits for its own reconnection (1500 ms, then the browser's default).
    await openSource(page, 'messages', '/messages', ['greeting', 'json', 'last']);
    await openSource(page, 'stream', '/stream?count=3&size=8', []);
    await waitIn(page, () => window.sources.messages.events.some((e) => e.type === 'last'), null, 5000);
    const got = (await page.evaluate(() => window.sources.messages.events)).slice(0, want.length).map((e) => {
        if (e.type !== 'json')
            return e;
        try { return { ...e, data: JSON.parse(e.data) }; } catch { return e; }
    });
    check(same(got, want), `${label}: /messages, every event, its type, data and lastEventId: ${JSON.stringify(got)}`);
    const again = await waitForRequests(requests, '/messages', 2, 4000);
    await waitIn(page, () => window.sources.messages.opens.length >= 2, null, 4000);
    const { errors, opens } = await page.evaluate(() => ({ errors: window.sources.messages.errors, opens: window.sources.messages.opens }));
    await page.evaluate(() => window.sources.messages.es.close());
    check(again.length >= 2 && again[0].lastEventId === null && again[1].lastEventId === '2',
        `${label}: after the end it reconnects with Last-Event-ID: 2 (${JSON.stringify(again.map((r) => r.lastEventId))})`);
    // Page time: from the error event at the end of the stream to the second open.
    const wait = opens.length >= 2 && errors.length >= 1 ? Math.round(opens[1] - errors[0]) : null;
    check(wait !== null && wait >= 1400,
        `${label}: it reconnects after the retry the stream set, 1500 ms (${wait} ms from the end to the next open)`);

    const reconnected = await waitIn(page, () => window.sources.stream.events.length >= 4, null, 8000);
    const events = await page.evaluate(() => window.sources.stream.events.map((e) => [e.data, e.lastEventId]));
    await page.evaluate(() => window.sources.stream.es.close());
    const streamRequests = requests.filter((r) => r.path === '/stream');
    check(reconnected && JSON.stringify(events.slice(0, 4)) ===
        JSON.stringify([['1:xxxxxx', '1'], ['2:xxxxxx', '2'], ['3:xxxxxx', '3'], ['1:xxxxxx', '1']]),
        `${label}: a finite /stream ends and the page connects again: ${JSON.stringify(events.slice(0, 4))}`);
    check(streamRequests.length >= 2 && streamRequests[1].lastEventId === '3',
        `${label}: the second /stream request carries Last-Event-ID: 3 (${JSON.stringify(streamRequests.map((r) => r.lastEventId))})`);

    if (label === 'TLS') {
        // Several streams at once on the one HTTP/2 connection.
        for (let i = 0; i < 8; ++i)
            await openSource(page, `many${i}`, `/stream?count=0&interval_ms=50&event=e${i}`, [`e${i}`]);
        const all = await waitIn(page, () => [0, 1, 2, 3, 4, 5, 6, 7].every((i) => window.sources[`many${i}`].events.length >= 5), null, 5000);
        check(all, `${label}: eight streams at once, each gets its events`);
        await page.evaluate(() => { for (let i = 0; i < 8; ++i) window.sources[`many${i}`].es.close(); });
    }
    await context.close();
}

let browser;
const watchdog = setTimeout(() => {
    console.error('FAILED  the test took more than 80 s');
    process.exit(1);
}, 80000);

try {
    browser = await chromium.launch({
        executablePath: chromiumExe,
        timeout: 20000,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--ignore-certificate-errors'],
    });
    await Promise.all([run(browser, httpBase, 'HTTP'), run(browser, httpsBase, 'TLS')]);
} catch (e) {
    check(false, `unexpected error: ${e.stack || e}`);
} finally {
    if (browser)
        await browser.close().catch(() => {});
}
clearTimeout(watchdog);
console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
process.exit(failures.length ? 1 : 0);
