// Browser half of tests/e2e/test_ui.py: drives the UI in headless Debian Chromium.
// Config comes in E2E_CONFIG (baseUrl, managerToken, expertToken, viewerToken, datasetId, artifacts).
// Exits non-zero with a message on the first failed expectation.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const config = JSON.parse(process.env.E2E_CONFIG);
const { baseUrl, managerToken, expertToken, viewerToken, datasetId, artifacts } = config;
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];
const started = Date.now();
const step = (name) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${name}`);

async function graphql(token, query, variables = {}) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.ok(!body.errors, `GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const consoleErrors = [];

/** A tab signed in with `token` (null: signed out), whose console errors fail the run. */
async function openPage(urlPath, token, viewport = VIEWPORTS[0], { allow = [], clock = false } = {}) {
  const context = await browser.newContext({ viewport });
  if (clock) await context.clock.install(); // time flows as usual until the test moves it
  if (token) await context.addInitScript((t) => sessionStorage.setItem('learnloop.token', t), token);
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' && !allow.some((re) => re.test(message.text()))) {
      consoleErrors.push(`${urlPath} @${viewport.width}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => consoleErrors.push(`${urlPath} @${viewport.width}: ${error.message}`));
  await page.goto(baseUrl + urlPath);
  return page;
}

async function tile(page, name) {
  return Number((await page.locator(`[data-stat="${name}"]`).textContent()).replace(/,/g, ''));
}

async function waitForTile(page, name, predicate, what) {
  const deadline = Date.now() + 15000;
  let value;
  while (Date.now() < deadline) {
    value = await tile(page, name);
    if (!Number.isNaN(value) && predicate(value)) return value;
    await page.waitForTimeout(200);
  }
  assert.fail(`dashboard tile ${name} never became ${what} (last ${value})`);
}

async function axeCheck(page, label) {
  const t0 = Date.now();
  await page.evaluate(AXE_SOURCE); // evaluated by the debugger protocol: the page CSP does not apply
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe: serious/critical violations on ${label}: ${JSON.stringify(bad, null, 1)}`);
  step(`axe ${label}: ${result.length} minor/moderate (${Date.now() - t0} ms)`);
  return result;
}

async function shoot(page, name) {
  const { width, height } = page.viewportSize();
  await page.screenshot({ path: path.join(artifacts, `${name}-${width}x${height}.png`), fullPage: true });
}

// --- Sign-in: a bad token is refused in plain words, a good one opens the dashboard. ---------
step('sign-in');
{
  const page = await openPage('/ui/', null, VIEWPORTS[0], { allow: [/status of 40[13]/] });
  await page.locator('#token-input').waitFor();
  await axeCheck(page, 'sign-in');
  await shoot(page, 'signin');
  await page.fill('#token-input', 'Bearer not-a-real-token');
  await page.click('#signin-form button[type=submit]');
  await page.locator('#signin-message', { hasText: 'not accepted' }).waitFor();
  await page.fill('#token-input', managerToken);
  await page.click('#signin-form button[type=submit]');
  await page.locator('#who-name', { hasText: 'MANAGER' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('learnloop.token')), managerToken);
  await page.click('#signout');
  await page.locator('#token-input').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('learnloop.token')), null);
  await page.context().close();
}

// --- A role too low for an action is told so in plain words (HTTP 403 / FORBIDDEN). ----------
step('forbidden');
{
  const page = await openPage('/ui/annotate', viewerToken, VIEWPORTS[0], { allow: [/status of 403/] });
  await page.click('#claim');
  await page.locator('#message', { hasText: 'Your role may not do this' }).waitFor();
  await page.context().close();
}

// --- Dashboard before, then an expert claims, scores and approves; the counts change live. ----
step('dashboard + annotation');
const dashboard = await openPage('/ui/?refresh=3', managerToken);
await dashboard.locator('#live[data-state="live"]').waitFor();
const pendingBefore = await waitForTile(dashboard, 'pendingAnnotations', (v) => v === 3, '3');
const annotatedBefore = await tile(dashboard, 'annotatedToday');
assert.equal(annotatedBefore, 0);
await dashboard.locator('#queue-depth tr[data-domain="billing"]').waitFor();
await dashboard.locator('#issues li[data-category="INCORRECT"]').waitFor();
// The running experiment (F13) is listed with its status.
const experimentRow = dashboard.locator('#experiments tr[data-experiment-id]', { hasText: 'shorter answers' });
await experimentRow.waitFor();
assert.match(await experimentRow.textContent(), /RUNNING/);
await dashboard.evaluate(() => { window.__sameDocument = true; });

const annotate = await openPage('/ui/annotate', expertToken, VIEWPORTS[0], { clock: true });
await annotate.click('#claim');
await annotate.locator('#task:not([hidden])').waitFor();
assert.match(await annotate.textContent('#lease'), /^1[45]:\d\d$/);
assert.equal(await annotate.locator('#diff ins').count() > 0, true, 'the diff marks added words');
await axeCheck(annotate, 'annotate');
await shoot(annotate, 'annotate');
await annotate.fill('#score-technicalAccuracy', '0.9');
await annotate.fill('#score-professionalQuality', '0.8');
await annotate.fill('#score-completeness', '0.75');
await annotate.fill('#score-clarity', '0.95');
await annotate.fill('#corrected', 'The refund is $150, paid within 5 days.');
await annotate.fill('#notes', 'checked against the policy');
await annotate.locator('#score-clarity').focus();
await annotate.keyboard.press('a'); // the approve shortcut
await annotate.locator('#message', { hasText: 'Approved and saved.' }).waitFor();
await annotate.locator('#task:not([hidden])').waitFor(); // the next task is already claimed

await waitForTile(dashboard, 'annotatedToday', (v) => v === annotatedBefore + 1, `${annotatedBefore + 1}`);
await waitForTile(dashboard, 'pendingAnnotations', (v) => v < pendingBefore, `< ${pendingBefore}`);

// --- Lease countdown warns before the end; a lost lease is explained in plain words. --------
step('lease warning + LEASE_NOT_HELD');
await annotate.context().clock.fastForward('14:20');
await annotate.locator('#lease-warning', { hasText: 'Submit soon' }).waitFor();
const held = await graphql(expertToken, `query { annotationQueue(filter: {status: IN_REVIEW}) { edges { node { id } } } }`);
const heldId = held.annotationQueue.edges[0].node.id;
await graphql(expertToken, `mutation($id: ID!) { releaseAnnotationTask(input: {exampleId: $id}) { userErrors { code } } }`, { id: heldId });
await annotate.click('#reject');
await annotate.locator('#message', { hasText: 'Your lease on this example has ended' }).waitFor();
await annotate.context().close();

// --- A run started through GraphQL goes RUNNING then COMPLETED on the open dashboard. --------
async function trainingRunFlow() {
  await dashboard.evaluate(() => {
    window.__seen = [];
    const record = () => {
      for (const row of document.querySelectorAll('#runs tr[data-run-id]')) {
        const last = window.__seen[window.__seen.length - 1];
        if (last !== row.dataset.status) window.__seen.push(row.dataset.status);
      }
    };
    new MutationObserver(record).observe(document.getElementById('runs'), { childList: true, subtree: true });
  });
  const created = await graphql(managerToken, `mutation($d: ID!) {
    createTrainingRun(input: {datasetId: $d, trainingType: FINE_TUNING, agentId: "support-bot",
      config: {waitForJob: true, pollSeconds: 0.25}}) { trainingRun { id } userErrors { message } } }`, { d: datasetId });
  assert.deepEqual(created.createTrainingRun.userErrors, []);
  const runId = created.createTrainingRun.trainingRun.id;
  await dashboard.locator(`#runs tr[data-run-id="${runId}"][data-status="COMPLETED"]`).waitFor({ timeout: 30000 });
  const seen = await dashboard.evaluate(() => window.__seen);
  assert.ok(seen.includes('RUNNING') && seen.indexOf('RUNNING') < seen.lastIndexOf('COMPLETED'), `statuses shown: ${seen}`);
  assert.equal(await dashboard.evaluate(() => window.__sameDocument), true, 'the dashboard was not reloaded');
  await axeCheck(dashboard, 'dashboard');
  await shoot(dashboard, 'dashboard');
  await dashboard.context().close();
}

// --- The widget's correction creates a learning example (checked again from Python). --------
async function widgetFlow() {
  const page = await openPage('/ui/widget', managerToken);
  await page.fill('#agent-id', 'widget-agent');
  await page.fill('#exec-domain', 'refunds');
  await page.fill('#exec-input', 'What is the refund for order 77?');
  await page.fill('#exec-output', 'The refund for order 77 is $120.');
  await page.click('#setup button[type=submit]');
  const widget = page.locator('learnloop-feedback');
  await widget.locator('button.thumb[value="THUMBS_DOWN"]').click();
  await widget.locator('.status', { hasText: 'Thank you' }).waitFor();
  await widget.locator('summary').click();
  await widget.locator('label', { hasText: '4 stars' }).click();
  await widget.locator('select[name="accuracy"]').selectOption('2');
  await widget.locator('label', { hasText: 'Incorrect' }).click();
  await widget.locator('textarea[name="correctionText"]').fill('The refund for order 77 is $150.');
  await widget.locator('button.send').click();
  await page.locator('#widget-events', { hasText: 'CORRECTION learning example (PENDING)' }).waitFor();
  await axeCheck(page, 'widget');
  await shoot(page, 'widget');
  await page.context().close();
}

// --- The learning loop: a viewer watches it; a manager confirms the pending promotion. --------
async function loopFlow() {
  const watcher = await openPage('/ui/', viewerToken, VIEWPORTS[0], { allow: [/status of 403/] });
  const watched = watcher.locator('.loop-card[data-agent="loop-bot"]');
  await watched.locator('.promotion').waitFor();
  const text = await watched.textContent();
  assert.match(text, /2 of 5/, 'examples waiting against the threshold');
  assert.match(text, /treatment won/);
  assert.match(text, /A MANAGER confirms or rejects it/);
  assert.equal(await watched.locator('button').count(), 0, 'a viewer gets no decision buttons');
  await watcher.context().close();

  const page = await openPage('/ui/', managerToken);
  const card = page.locator('.loop-card[data-agent="loop-bot"]');
  await card.locator('button[data-action="confirm"]').waitFor();
  await shoot(page, 'loop');
  await card.locator('input').fill('clear win on thumbs-up rate');
  await card.locator('button[data-action="confirm"]').click();
  await page.locator('#loop-message', { hasText: 'promoted, deployment v1 is now active' }).waitFor();
  await card.locator('.promotion').waitFor({ state: 'detached' });
  await page.context().close();
}

// These flows mostly wait (on the worker, on the server): they run side by side.
step('training run + widget + loop');
await Promise.all([trainingRunFlow(), widgetFlow(), loopFlow()]);

// --- The phone-sized layout of every page: screenshots. ---------------------------------------
step('390x844');
{
  const viewport = VIEWPORTS[1];
  // The four pages load side by side: each waits on the server more than on the CPU.
  await Promise.all([
    (async () => {
      const signin = await openPage('/ui/', null, viewport);
      await signin.locator('#token-input').waitFor();
      await shoot(signin, 'signin');
      await signin.context().close();
    })(),
    (async () => {
      const dash = await openPage('/ui/', managerToken, viewport);
      await dash.locator('#runs tr[data-status="COMPLETED"]', { hasText: 'support-bot' }).waitFor();
      await dash.locator('#trend-chart canvas').waitFor();
      // Initial load of /ui/: every file and API answer it fetched, as sent over the wire.
      const load = await dash.evaluate(() => {
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
        const files = entries.filter((e) => e.initiatorType !== 'fetch');
        const sum = (list, key) => list.reduce((total, e) => total + e[key], 0);
        return { files: files.length, filesTransferred: sum(files, 'transferSize'), filesDecoded: sum(files, 'decodedBodySize'), allTransferred: sum(entries, 'transferSize') };
      });
      step(`initial load of /ui/: ${JSON.stringify(load)}`);
      assert.ok(load.allTransferred < 300 * 1024, `initial load ${load.allTransferred} bytes`);
      await shoot(dash, 'dashboard');
      await dash.context().close();
    })(),
    (async () => {
      const ann = await openPage('/ui/annotate', expertToken, viewport);
      await ann.click('#claim');
      await ann.locator('#task:not([hidden])').waitFor();
      await shoot(ann, 'annotate');
      await ann.click('#release');
      await ann.locator('#message', { hasText: 'Released' }).waitFor();
      await ann.context().close();
    })(),
    (async () => {
      const wid = await openPage('/ui/widget', managerToken, viewport);
      await wid.click('#setup button[type=submit]');
      await wid.locator('learnloop-feedback summary').click();
      await shoot(wid, 'widget');
      await wid.context().close();
    })(),
  ]);
}

await browser.close();
assert.deepEqual(consoleErrors, [], 'console errors');
step('done');
