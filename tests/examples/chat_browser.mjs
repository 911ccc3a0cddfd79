//
// Copyright (c) 2026 The sse authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Runs the chat example and checks it in a real browser (headless Chromium,
// driven by playwright-core):
//
//     node chat_browser.mjs PATH/TO/chat PATH/TO/chromium NODE_PREFIX
//
// NODE_PREFIX is the directory playwright-core was installed into (npm
// install --prefix); the browser gets a fresh temporary profile. Two pages
// in two browser contexts join one room and see each other's messages.
// Then page B closes its stream, A sends three more, and B comes back with
// ?lastEventId=K: it must get exactly those three, in order. Bad posts get
// 413 and 400. Last, the server gets SIGTERM with B's stream open and must exit
// with status 0 within 3 s. Every wait is bounded; the whole run takes a few
// seconds.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const [chatExe, chromiumExe, nodePrefix] = process.argv.slice(2);
if (!chatExe || !chromiumExe || !nodePrefix) {
    console.error('usage: node chat_browser.mjs PATH/TO/chat PATH/TO/chromium NODE_PREFIX');
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

// Starts the server on a free port; resolves with the process and its port.
function startServer() {
    return new Promise((resolve, reject) => {
        const proc = spawn(chatExe, ['--address', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no 'listening on PORT' within 20 s: ${JSON.stringify(out)}`)), 20000);
        proc.on('error', reject);
        proc.stdout.on('data', (chunk) => {
            out += chunk;
            const m = /^listening on ([0-9]+)\n/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ proc, port: Number(m[1]) });
            }
        });
    });
}

// Resolves with the exit status, or null after `ms`.
function exitStatus(proc, ms) {
    return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null)
            return resolve(proc.exitCode);
        const timer = setTimeout(() => resolve(null), ms);
        proc.on('exit', (code) => { clearTimeout(timer); resolve(code); });
    });
}

let server; // killed by the watchdog

async function send(page, text) {
    await page.fill('#text', text);
    await page.click('button');
    await page.waitForFunction(() => document.getElementById('text').value === '', null, { timeout: 5000 });
}

async function texts(page) {
    return page.evaluate(() => window.received.map((m) => `${m.nick}: ${m.text}`));
}

async function waitForText(page, line) {
    try {
        await page.waitForFunction((l) => window.received.some((m) => `${m.nick}: ${m.text}` === l), line, { timeout: 5000 });
        return true;
    } catch {
        return false;
    }
}

async function openRoom(browser, base, nick, query = '') {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(5000);
    await page.goto(`${base}/?room=test-room${query}`);
    await page.waitForFunction(() => window.connected === true);
    await page.fill('#nick', nick);
    return page;
}

async function main() {
    const { proc, port } = await startServer();
    const base = `http://127.0.0.1:${port}`;
    server = proc;
    let browser;
    try {
        browser = await chromium.launch({
            executablePath: chromiumExe,
            timeout: 20000,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        const a = await openRoom(browser, base, 'alice');
        const b = await openRoom(browser, base, 'bob');
        check(true, 'two pages joined the room');

        await send(a, 'hello from alice');
        check(await waitForText(b, 'alice: hello from alice'), 'B sees what A sent');
        await send(b, 'hello from bob');
        check(await waitForText(a, 'bob: hello from bob'), 'A sees what B sent');
        check(await waitForText(b, 'bob: hello from bob'), 'B sees its own message');

        // B leaves, and misses three messages.
        const lastId = await b.evaluate(() => { window.source.close(); return window.lastId; });
        check(/^[0-9]+$/.test(lastId), `B's last event id is a number: ${JSON.stringify(lastId)}`);
        const missed = ['one', 'two', 'three'];
        for (const t of missed)
            await send(a, t);
        check(await waitForText(a, 'alice: three'), 'A sent three more');

        // B comes back from where it left.
        await b.goto(`${base}/?room=test-room&lastEventId=${encodeURIComponent(lastId)}`);
        await b.waitForFunction(() => window.connected === true);
        check(await waitForText(b, 'alice: three'), 'B resumed');
        // The stream is ordered: once a marker sent now arrives, anything
        // extra (a duplicate) would already have come before it.
        await send(a, 'marker');
        check(await waitForText(b, 'alice: marker'), 'B sees the marker');
        const got = await texts(b);
        const want = [...missed, 'marker'].map((t) => `alice: ${t}`);
        check(JSON.stringify(got) === JSON.stringify(want),
            `B got exactly the missed messages, in order: ${JSON.stringify(got)}`);
        const ids = await b.evaluate(() => window.received.map((m) => Number(m.id)));
        check(ids.length === 4 && ids.every((id, i) => id === Number(lastId) + 1 + i),
            `with the next ids: ${JSON.stringify(ids)} after ${lastId}`);

        // A message that is too big, and one that is not JSON.
        const statuses = await a.evaluate(async () => {
            const post = (body) => fetch('/send?room=test-room', { method: 'POST', body }).then((r) => r.status);
            return [await post('x'.repeat(20000)), await post('{"nick": "x"'), await post('{"nick": "x", "text": 1}')];
        });
        check(JSON.stringify(statuses) === '[413,400,400]', `bad posts are refused: ${JSON.stringify(statuses)}`);

        // SIGTERM with B's stream open.
        const start = Date.now();
        proc.kill('SIGTERM');
        const status = await exitStatus(proc, 3000);
        check(status === 0, `SIGTERM: exit status ${status} after ${(Date.now() - start) / 1000} s (want 0 within 3 s)`);
    } finally {
        if (browser)
            await browser.close().catch(() => {});
        if (proc.exitCode === null && proc.signalCode === null) {
            proc.kill('SIGKILL');
            await exitStatus(proc, 3000);
        }
    }
}

const watchdog = setTimeout(() => {
    console.error('FAILED  the test took more than 50 s');
    server?.kill('SIGKILL');
    process.exit(1);
}, 50000);

try {
    await main();
} catch (e) {
    check(false, `unexpected error: ${e.stack || e}`);
}
clearTimeout(watchdog);
console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
process.exit(failures.length ? 1 : 0);
