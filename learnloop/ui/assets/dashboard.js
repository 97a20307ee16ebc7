// Dashboard: stats tiles, trend, issues, queue, annotators, live training runs and the learning loop.

import { describeError, errorsFor, getToken, gql } from './api.js';
import { TrendChart, renderBars } from './charts.js';
import { $, el, fmtInt, fmtNum, fmtPct, fmtTime, showMessage } from './dom.js';
import { loadExperiments } from './experiments.js';
import { LiveClient } from './live.js';
import { loopPanel } from './loop.js';
import { handleAuthError, startSession } from './session.js';

const DAY = 86400 * 1000;
// Numbers without a push channel are re-read this often (?refresh=N overrides, in seconds).
const REFRESH_SECONDS = Math.max(1, Number(new URLSearchParams(location.search).get('refresh')) || 10);

const STATS = `query Dashboard($agent: String, $since: DateTime) {
  learningStats { pendingAnnotations annotatedToday totalExamples activeExperiments runningTraining }
  feedbackStats(agentId: $agent) { totalFeedback avgRating satisfactionRate }
  feedbackTrend(agentId: $agent, bucket: DAY, since: $since) {
    bucketStart stats { totalFeedback thumbsUpCount thumbsDownCount avgRating }
  }
  commonIssues(agentId: $agent, limit: 8) { category count }
  annotationStats {
    queueDepth { domain pending inReview needsAdjudication }
    annotators { annotator { email displayName } annotationsToday annotationsLast7Days approvalRate }
  }
}`;
const AGENTS = `query Agents { agents(first: 100) { edges { node { key name } } } }`;
const RUN_FIELDS = 'id trainingType status progress agentKey reviewStatus createdAt finishedAt error';
const RUNS = `query Runs { trainingRuns(first: 20) { edges { node { ${RUN_FIELDS} } } } }`;
const RUNS_LIVE = `subscription RunsLive { trainingRunsUpdated { ${RUN_FIELDS} } }`;

const pageMessage = () => $('page-message');

function setTile(name, text) {
  const dd = document.querySelector(`[data-stat="${name}"]`);
  if (!dd || dd.textContent === text) return;
  const first = dd.textContent === '—';
  dd.textContent = text;
  if (!first) {
    dd.classList.remove('changed');
    void dd.offsetWidth; // restart the highlight animation
    dd.classList.add('changed');
  }
}

function renderStats(data) {
  const learning = data.learningStats;
  if (learning) for (const [key, value] of Object.entries(learning)) setTile(key, fmtInt(value));
  const feedback = data.feedbackStats;
  if (feedback) {
    setTile('totalFeedback', fmtInt(feedback.totalFeedback));
    setTile('satisfactionRate', fmtPct(feedback.satisfactionRate));
    setTile('avgRating', fmtNum(feedback.avgRating));
  }
}

function renderQueue(stats) {
  const rows = stats.queueDepth.map((q) =>
    el('tr', { dataset: { domain: q.domain ?? '' } },
      el('td', {}, q.domain ?? '(none)'),
      el('td', { className: 'num' }, fmtInt(q.pending)),
      el('td', { className: 'num' }, fmtInt(q.inReview)),
      el('td', { className: 'num' }, fmtInt(q.needsAdjudication))));
  $('queue-depth').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 4, className: 'empty' }, 'The queue is empty.'))]));
  const people = stats.annotators.map((a) =>
    el('tr', {},
      el('td', {}, a.annotator?.displayName || a.annotator?.email || 'former member'),
      el('td', { className: 'num' }, fmtInt(a.annotationsToday)),
      el('td', { className: 'num' }, fmtInt(a.annotationsLast7Days)),
      el('td', { className: 'num' }, fmtPct(a.approvalRate))));
  $('annotators').replaceChildren(...(people.length ? people : [el('tr', {}, el('td', { colSpan: 4, className: 'empty' }, 'No annotations yet.'))]));
}

class Runs {
  constructor(body, empty) {
    this.body = body;
    this.empty = empty;
    this.rows = new Map();
  }

  row(run) {
    const progress = el('progress', { max: 1, value: run.progress ?? 0, 'aria-label': `Progress of run ${run.id}` });
    const status = el('span', { className: 'badge', dataset: { status: run.status } }, run.status);
    if (run.error) status.title = run.error;
    return el('tr', { dataset: { runId: run.id, status: run.status } },
      el('td', {}, run.trainingType),
      el('td', {}, run.agentKey ?? '—'),
      el('td', { className: 'run-status' }, status),
      el('td', {}, progress, ` ${fmtPct(run.progress)}`),
      el('td', {}, run.reviewStatus),
      el('td', {}, fmtTime(run.createdAt)),
      el('td', {}, fmtTime(run.finishedAt)));
  }

  upsert(run, { prepend = true } = {}) {
    const fresh = this.row(run);
    const old = this.rows.get(run.id);
    if (old) old.replaceWith(fresh);
    else if (prepend) this.body.prepend(fresh);
    else this.body.append(fresh);
    this.rows.set(run.id, fresh);
    this.empty.hidden = true;
  }

  replaceAll(runs) {
    this.body.replaceChildren();
    this.rows.clear();
    for (const run of runs) this.upsert(run, { prepend: false });
    this.empty.hidden = runs.length > 0;
  }
}

async function loadAgents() {
  const { data } = await gql(AGENTS);
  const select = $('agent-select');
  for (const edge of data?.agents?.edges ?? []) {
    const { key, name } = edge.node;
    select.append(el('option', { value: key }, name ? `${name} (${key})` : key));
  }
}

function start(viewer) {
  const chart = new TrendChart($('trend-chart'), $('trend-table'));
  const runs = new Runs($('runs'), $('runs-empty'));
  const readLoop = loopPanel($('loop-panel'), $('loop'), $('loop-message'), viewer);
  let inFlight = null;
  let again = false;

  const refresh = async () => {
    if (!getToken()) return; // signed out (or the token was refused): the sign-in form is showing
    readLoop().catch((error) => handleAuthError(error, $('loop-message')));
    if (inFlight) {
      again = true; // one more read after this one, so no change is lost
      return inFlight;
    }
    const agent = $('agent-select').value || null;
    const since = new Date(Date.now() - 29 * DAY).toISOString().slice(0, 10) + 'T00:00:00Z';
    inFlight = (async () => {
      try {
        const { data, errors } = await gql(STATS, { agent, since });
        if (!data) throw new Error(describeError(errors[0]));
        renderStats(data);
        if (data.feedbackTrend) chart.render(data.feedbackTrend);
        if (data.commonIssues) renderBars($('issues'), $('issues-empty'), data.commonIssues);
        if (data.annotationStats) {
          renderQueue(data.annotationStats);
          showMessage($('queue-message'), '');
        } else {
          const problem = errorsFor(errors, 'annotationStats')[0];
          showMessage($('queue-message'), problem ? describeError(problem) : '', 'info');
        }
        const others = errors.filter((e) => e.path?.[0] !== 'annotationStats');
        showMessage(pageMessage(), others.length ? describeError(others[0]) : '');
        $('updated').textContent = new Date().toLocaleTimeString('en-GB');
        $('updated').dateTime = new Date().toISOString();
      } catch (error) {
        handleAuthError(error, pageMessage());
      } finally {
        inFlight = null;
      }
      if (again) {
        again = false;
        await refresh();
      }
    })();
    return inFlight;
  };

  const loadRuns = async () => {
    if (!getToken()) return;
    try {
      const { data, errors } = await gql(RUNS);
      if (data?.trainingRuns) runs.replaceAll(data.trainingRuns.edges.map((e) => e.node));
      else if (errors.length) showMessage(pageMessage(), describeError(errors[0]));
    } catch (error) {
      handleAuthError(error, pageMessage());
    }
  };

  const live = new LiveClient(getToken, (state, detail) => {
    const badge = $('live');
    badge.dataset.state = state;
    badge.textContent = {
      connecting: 'Connecting…',
      live: 'Live',
      offline: 'Offline — reconnecting…',
      refused: `Live updates refused${detail ? `: ${detail}` : ''}`,
    }[state];
  });
  // After a gap in the stream, re-read what may have changed meanwhile.
  live.onReconnect = () => {
    loadRuns();
    refresh();
  };
  let pending = null;
  live.subscribe(RUNS_LIVE, {}, (payload) => {
    const run = payload?.data?.trainingRunsUpdated;
    if (!run) return;
    runs.upsert(run);
    clearTimeout(pending);
    pending = setTimeout(refresh, 250); // running-training count and friends
  }, (errors) => showMessage(pageMessage(), describeError(errors?.[0])));

  $('agent-select').addEventListener('change', refresh);
  loadAgents().catch(() => {});
  loadRuns();
  refresh();
  loadExperiments($('experiments-panel'), $('experiments')).catch(() => {});
  setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_SECONDS * 1000);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
}

startSession(start);
