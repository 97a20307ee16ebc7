// Annotation workspace: claim, read side by side with a diff, score, decide, next.

import { describeUserError, gql, mutate } from './api.js';
import { categoryName } from './charts.js';
import { $, el, showMessage } from './dom.js';
import { renderDiff } from './diff.js';
import { handleAuthError, startSession } from './session.js';

const CLAIM = `mutation Claim($domain: String) {
  claimAnnotationTask(input: {domain: $domain}) {
    example {
      id exampleType domain taskType inputText originalOutput expectedOutput annotationsCount
      agent { key }
      sourceFeedback { feedbackType feedbackText rating issueCategories }
    }
    leaseExpiresAt
    userErrors { field message code }
  }
}`;
const SUBMIT = `mutation Submit($input: SubmitAnnotationInput!) {
  submitAnnotation(input: $input) { outcome example { id reviewStatus } userErrors { field message code } }
}`;
const RELEASE = `mutation Release($id: ID!) {
  releaseAnnotationTask(input: {exampleId: $id}) { userErrors { field message code } }
}`;

const SCORES = [
  ['technicalAccuracy', 'Technical accuracy'],
  ['professionalQuality', 'Professional quality'],
  ['completeness', 'Completeness'],
  ['clarity', 'Clarity'],
];
const OUTCOMES = {
  APPROVED: 'Approved and saved.',
  REJECTED: 'Rejected and saved.',
  NEEDS_MORE_ANNOTATIONS: 'Saved. The example needs more annotations before it is decided.',
  NEEDS_ADJUDICATION: 'Saved. The annotations disagree, so a manager will decide.',
  GOLD_RECORDED: 'Saved (this was a gold item that measures annotators).',
};
const WARN_SECONDS = 60;

const state = { example: null, expiresAt: 0, leaseMs: 0, timer: null, busy: false };
const message = () => $('message');

function buildSliders() {
  const box = $('scores');
  SCORES.forEach(([name, label], index) => {
    const id = `score-${name}`;
    const input = el('input', { id, name, type: 'range', min: '0', max: '1', step: '0.05', value: '0.5' });
    const output = el('output', { htmlFor: id, id: `${id}-value` }, '0.50');
    input.addEventListener('input', () => {
      output.textContent = Number(input.value).toFixed(2);
    });
    box.append(el('div', { className: 'slider' },
      el('label', { htmlFor: id }, `${label} `, el('kbd', { 'aria-hidden': 'true' }, String(index + 1))),
      input, output));
  });
}

function resetForm(example) {
  for (const [name] of SCORES) {
    const input = $(`score-${name}`);
    input.value = '0.5';
    input.dispatchEvent(new Event('input'));
  }
  $('corrected').value = example.expectedOutput ?? example.originalOutput ?? '';
  $('notes').value = '';
  $('suggestions').value = '';
}

function formatRemaining(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function tick() {
  const remaining = state.expiresAt - Date.now();
  $('lease').textContent = formatRemaining(remaining);
  const warnAt = Math.min(WARN_SECONDS * 1000, state.leaseMs / 4);
  const warning = $('lease-warning');
  if (remaining <= 0) {
    warning.textContent = 'Your lease has expired: the example went back to the queue and a submission will be refused. Claim the next task.';
    clearInterval(state.timer);
  } else if (remaining <= warnAt) {
    // Set once (an alert is announced on every change); the timer beside it keeps counting.
    const text = `Your lease ends in less than ${Math.ceil(warnAt / 1000)} seconds. Submit soon, or your review will not be saved.`;
    if (warning.textContent !== text) warning.textContent = text;
  } else {
    warning.textContent = '';
  }
}

function startLease(leaseExpiresAt, serverTime) {
  clearInterval(state.timer);
  // Remaining time by the server's clock, counted down on ours: a skewed browser clock is fine.
  // The Date header is whole seconds, rounded down: count from its end so we never show too much.
  state.leaseMs = Math.max(0, Date.parse(leaseExpiresAt) - (serverTime + 1000));
  state.expiresAt = Date.now() + state.leaseMs;
  $('lease-box').hidden = false;
  $('lease-warning').textContent = '';
  tick();
  state.timer = setInterval(tick, 1000);
}

function stopLease() {
  clearInterval(state.timer);
  $('lease-box').hidden = true;
  $('lease-warning').textContent = '';
}

function show(example) {
  state.example = example;
  $('task').hidden = !example;
  $('empty').hidden = Boolean(example);
  $('release').disabled = !example;
  if (!example) {
    stopLease();
    return;
  }
  const tags = [example.exampleType, example.domain && `domain: ${example.domain}`, example.taskType && `task: ${example.taskType}`,
    example.agent?.key && `agent: ${example.agent.key}`, example.annotationsCount ? `${example.annotationsCount} earlier annotation(s)` : null];
  $('example-tags').replaceChildren(...tags.filter(Boolean).map((t) => el('li', {}, t)));
  $('input-text').textContent = example.inputText || '(no input recorded)';
  $('original-text').textContent = example.originalOutput ?? '(none)';
  $('expected-text').textContent = example.expectedOutput ?? '(none)';
  renderDiff($('diff'), example.originalOutput ?? '', example.expectedOutput ?? '');
  const fb = example.sourceFeedback;
  $('feedback').textContent = fb
    ? `From ${fb.feedbackType.toLowerCase().replace('_', ' ')} feedback${fb.rating ? ` rated ${fb.rating}/5` : ''}` +
      `${fb.issueCategories.length ? ` (${fb.issueCategories.map(categoryName).join(', ')})` : ''}${fb.feedbackText ? `: “${fb.feedbackText}”` : ''}`
    : '';
  resetForm(example);
}

async function run(action) {
  if (state.busy) return;
  state.busy = true;
  document.body.setAttribute('aria-busy', 'true');
  try {
    await action();
  } catch (error) {
    handleAuthError(error, message());
  } finally {
    state.busy = false;
    document.body.removeAttribute('aria-busy');
  }
}

async function claim(prefix = '') {
  const domain = $('domain').value.trim() || null;
  const { data, errors, serverTime } = await gql(CLAIM, { domain });
  if (errors.length) throw new Error(errors[0].message);
  const payload = data.claimAnnotationTask;
  if (payload.userErrors.length) {
    showMessage(message(), `${prefix}${payload.userErrors.map(describeUserError).join(' ')}`);
    return;
  }
  show(payload.example);
  if (payload.example) {
    startLease(payload.leaseExpiresAt, serverTime);
    showMessage(message(), prefix, 'ok');
    $('score-technicalAccuracy').focus();
  } else {
    showMessage(message(), prefix, 'ok');
  }
}

async function submit(approved) {
  const example = state.example;
  if (!example) return;
  const input = { exampleId: example.id, approved };
  for (const [name] of SCORES) input[name] = Number($(`score-${name}`).value);
  const corrected = $('corrected').value;
  // Send a correction only when it says something the example does not already say.
  if (corrected.trim() && corrected !== (example.expectedOutput ?? '')) input.correctedOutput = corrected;
  if ($('notes').value.trim()) input.notes = $('notes').value;
  if ($('suggestions').value.trim()) input.improvementSuggestions = $('suggestions').value;
  const payload = await mutate(SUBMIT, { input }, 'submitAnnotation');
  if (payload.userErrors.length) {
    showMessage(message(), payload.userErrors.map(describeUserError).join(' '));
    if (payload.userErrors.some((e) => e.code === 'LEASE_NOT_HELD' || e.code === 'INVALID_STATE')) {
      show(null);
      $('empty').hidden = true;
    }
    return;
  }
  stopLease();
  await claim(`${OUTCOMES[payload.outcome] ?? 'Saved.'} `);
}

async function release() {
  const example = state.example;
  if (!example) return;
  const payload = await mutate(RELEASE, { id: example.id }, 'releaseAnnotationTask');
  show(null);
  $('empty').hidden = true;
  showMessage(message(), payload.userErrors.length ? payload.userErrors.map(describeUserError).join(' ') : 'Released: the example is back in the queue.', payload.userErrors.length ? 'error' : 'ok');
}

function typing(target) {
  return target instanceof HTMLTextAreaElement || (target instanceof HTMLInputElement && target.type === 'text') || target instanceof HTMLSelectElement;
}

function shortcuts(event) {
  if (event.altKey || event.metaKey || (event.ctrlKey && event.key !== 'Enter')) return;
  if (event.ctrlKey && event.key === 'Enter') {
    if (state.example) run(() => submit(true));
    event.preventDefault();
    return;
  }
  if (event.key === 'Escape' && typing(event.target)) {
    event.target.blur();
    return;
  }
  if (typing(event.target) || $('app').hidden) return;
  const key = event.key.toLowerCase();
  const actions = {
    n: () => run(() => claim()),
    s: () => run(release),
    a: () => state.example && run(() => submit(true)),
    r: () => state.example && run(() => submit(false)),
    e: () => state.example && $('corrected').focus(),
  };
  if (actions[key]) {
    event.preventDefault();
    actions[key]();
  } else if (['1', '2', '3', '4'].includes(key) && state.example) {
    event.preventDefault();
    $(`score-${SCORES[Number(key) - 1][0]}`).focus();
  }
}

function start() {
  buildSliders();
  $('claim').addEventListener('click', () => run(() => claim()));
  $('release').addEventListener('click', () => run(release));
  $('task').addEventListener('submit', (event) => {
    event.preventDefault();
    const approved = event.submitter?.value !== 'reject';
    run(() => submit(approved));
  });
  document.addEventListener('keydown', shortcuts);
}

startSession(start);
