// Learning loop panel: per agent with a learning policy, the examples waiting, the last policy
// run, the running canary and the promotion waiting for a MANAGER (who confirms or rejects here).

import { describeError, describeUserError, gql, mutate } from './api.js';
import { el, fmtInt, fmtNum, fmtPct, showMessage } from './dom.js';

const RANKS = ['VIEWER', 'MEMBER', 'EXPERT', 'MANAGER', 'ADMIN'];
const RESULTS = 'results { winner absoluteLift relativeLift ciLow ciHigh arms { variant units mean } }';
const LOOP = `query Loop { learningPolicies {
  id agentId trainingType minNewApprovedExamples periodSeconds enabled autoExperiment treatmentPercentage waitingExamples
  lastRun { id status reviewStatus verdict }
  canary { id status controlPercentage treatmentPercentage ${RESULTS} }
  pendingPromotion { id name winner promotion { status requiredRole } ${RESULTS} }
} }`;
const PROMOTE = `mutation Promote($id: ID!, $notes: String) {
  promoteExperimentWinner(input: {experimentId: $id, notes: $notes}) {
    deployment { version } userErrors { field message code } } }`;
const REJECT = `mutation Reject($id: ID!, $notes: String!) {
  rejectExperimentWinner(input: {experimentId: $id, notes: $notes}) {
    experiment { id } userErrors { field message code } } }`;

const atLeast = (role, wanted) => RANKS.indexOf(role) >= RANKS.indexOf(wanted);

function fact(term, ...detail) {
  return el('div', { className: 'fact' }, el('dt', {}, term), el('dd', {}, ...detail));
}

const signed = (text, value) => (value > 0 ? `+${text}` : text);

/** Absolute lift (treatment minus control, the unit of the metric), relative lift in brackets. */
function lift(results) {
  if (results?.absoluteLift === null || results?.absoluteLift === undefined) return '—';
  const absolute = signed(fmtNum(results.absoluteLift, 3), results.absoluteLift);
  const relative = results.relativeLift;
  return relative === null || relative === undefined ? absolute : `${absolute} (${signed(fmtPct(relative, 1), relative)})`;
}

function arms(results) {
  const byArm = Object.fromEntries((results?.arms ?? []).map((a) => [a.variant, a]));
  const one = (name, label) => `${label} ${fmtInt(byArm[name]?.units ?? 0)} units, ${fmtPct(byArm[name]?.mean ?? null, 1)}`;
  return `${one('CONTROL', 'control')} · ${one('TREATMENT', 'treatment')}`;
}

function waiting(policy) {
  const bar = el('progress', {
    max: policy.minNewApprovedExamples,
    value: Math.min(policy.waitingExamples, policy.minNewApprovedExamples),
    'aria-label': `Approved examples waiting for ${policy.agentId}`,
  });
  return fact('Examples waiting', bar, ` ${fmtInt(policy.waitingExamples)} of ${fmtInt(policy.minNewApprovedExamples)}`);
}

function lastRun(run) {
  if (!run) return fact('Last policy run', 'none yet');
  return fact('Last policy run',
    el('span', { className: 'badge', dataset: { status: run.status } }, run.status),
    ` review ${run.reviewStatus}`, run.verdict ? ` · verdict ${run.verdict}` : '');
}

function canary(experiment) {
  if (!experiment) return fact('Canary', 'none running');
  const r = experiment.results;
  return fact('Canary',
    el('span', { className: 'badge', dataset: { status: experiment.status } }, experiment.status),
    ` treatment ${fmtNum(experiment.treatmentPercentage, 0)}% / control ${fmtNum(experiment.controlPercentage, 0)}% · `,
    `${arms(r)} · lift ${lift(r)} · so far ${r?.winner ?? '—'}`);
}

function period(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}

class LoopCard {
  constructor(policy, role, onDecided) {
    this.policy = policy;
    this.role = role;
    this.onDecided = onDecided;
  }

  promotion(experiment) {
    const r = experiment.results;
    const interval = r && r.ciLow !== null ? `, interval ${fmtNum(r.ciLow, 3)} to ${fmtNum(r.ciHigh, 3)}` : '';
    const box = el('div', { className: 'promotion', role: 'group', 'aria-label': `Pending promotion for ${this.policy.agentId}` },
      el('p', {}, el('strong', {}, 'Promotion waiting: '),
        `the treatment won (lift ${lift(r)}${interval}; ${arms(r)}).`));
    const required = experiment.promotion?.requiredRole ?? 'MANAGER';
    if (!atLeast(this.role, required)) {
      box.append(el('p', { className: 'muted small' }, `A ${required} confirms or rejects it; you can only watch.`));
      return box;
    }
    const notesId = `notes-${experiment.id}`;
    const notes = el('input', { id: notesId, type: 'text', maxLength: 5000, placeholder: 'Why (required to reject)' });
    const message = el('div', { className: 'msg', role: 'status' });
    const confirm = el('button', { type: 'button', className: 'approve', dataset: { action: 'confirm' } }, 'Confirm promotion');
    const reject = el('button', { type: 'button', className: 'reject', dataset: { action: 'reject' } }, 'Reject');
    const decide = async (query, variables, field) => {
      confirm.disabled = reject.disabled = true;
      try {
        const payload = await mutate(query, variables, field);
        if (payload.userErrors.length) {
          showMessage(message, payload.userErrors.map(describeUserError).join(' '));
          return;
        }
        const version = payload.deployment?.version;
        this.onDecided(version
          ? `${this.policy.agentId}: promoted, deployment v${version} is now active.`
          : `${this.policy.agentId}: promotion rejected, the active deployment stays.`);
      } catch (error) {
        showMessage(message, describeError(error));
      } finally {
        confirm.disabled = reject.disabled = false;
      }
    };
    confirm.addEventListener('click', () => decide(PROMOTE, { id: experiment.id, notes: notes.value || null }, 'promoteExperimentWinner'));
    reject.addEventListener('click', () => {
      if (!notes.value.trim()) {
        showMessage(message, 'Say why in the notes before rejecting.');
        notes.focus();
        return;
      }
      decide(REJECT, { id: experiment.id, notes: notes.value }, 'rejectExperimentWinner');
    });
    box.append(
      el('div', { className: 'field' }, el('label', { htmlFor: notesId }, 'Notes'), notes),
      el('div', { className: 'row' }, confirm, reject),
      message);
    return box;
  }

  render() {
    const p = this.policy;
    const every = p.periodSeconds ? ` · or every ${period(p.periodSeconds)}` : '';
    const state = p.enabled ? (p.autoExperiment ? `canary at ${fmtNum(p.treatmentPercentage, 0)}%` : 'no canary') + every : 'disabled';
    const card = el('article', { className: 'loop-card', dataset: { agent: p.agentId } },
      el('h3', {}, p.agentId, ' ', el('span', { className: 'muted small' }, `${p.trainingType} · ${state}`)),
      el('dl', { className: 'facts' }, waiting(p), lastRun(p.lastRun), canary(p.canary)));
    if (p.pendingPromotion) card.append(this.promotion(p.pendingPromotion));
    return card;
  }
}

/** Fill the loop panel and keep it current; returns the refresh function (hidden without policies). */
export function loopPanel(panel, container, message, viewer) {
  let busy = false;
  let again = false;
  const decided = (text) => {
    showMessage(message, text, 'ok');
    refresh({ force: true });
  };
  const refresh = async ({ force = false } = {}) => {
    // Periodic reads never re-render under a person typing a note or choosing a button.
    if (!force && container.contains(document.activeElement)) return;
    if (busy) {
      again ||= force; // a decision was made during this read: read once more after it
      return;
    }
    busy = true;
    try {
      const { data, errors } = await gql(LOOP);
      const policies = data?.learningPolicies;
      if (!policies) {
        if (errors.length) showMessage(message, describeError(errors[0]));
        return;
      }
      panel.hidden = false;
      const cards = policies.map((p) => new LoopCard(p, viewer.role, decided).render());
      container.replaceChildren(...(cards.length ? cards : [el('p', { className: 'empty' }, 'No learning policies yet: setLearningPolicy turns the loop on for an agent.')]));
    } finally {
      busy = false;
    }
    if (again) {
      again = false;
      await refresh({ force: true });
    }
  };
  return refresh;
}
