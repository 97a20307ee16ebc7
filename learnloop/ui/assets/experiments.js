// Experiments panel: shown only when the server's schema has `experiments` (F13); hidden otherwise.

import { gql } from './api.js';
import { el, fmtInt, fmtNum, fmtPct } from './dom.js';

const PROBE = `query ExperimentsProbe { __schema { queryType { fields { name type { kind name ofType { kind name } } } } } }`;
const FIELDS = `id name agentId status primaryMetric
  results { metric arms { variant units mean } absoluteLift relativeLift ciLow ciHigh pValue winner }`;

/** Whether `experiments` exists and returns a connection (edges) or a plain list. */
async function experimentsShape() {
  const { data } = await gql(PROBE);
  const field = data?.__schema?.queryType?.fields?.find((f) => f.name === 'experiments');
  if (!field) return null;
  let type = field.type;
  while (type.ofType && type.kind === 'NON_NULL') type = type.ofType;
  return type.kind === 'LIST' ? 'list' : 'connection';
}

function row(experiment) {
  const r = experiment.results;
  const units = r?.arms?.reduce((sum, arm) => sum + (arm.units ?? 0), 0);
  const interval = r && r.ciLow !== null && r.ciHigh !== null ? `[${fmtNum(r.ciLow, 3)}, ${fmtNum(r.ciHigh, 3)}]` : '—';
  return el('tr', { dataset: { experimentId: experiment.id } },
    el('td', {}, experiment.name),
    el('td', {}, experiment.agentId ?? '—'),
    el('td', {}, el('span', { className: 'badge', dataset: { status: experiment.status } }, experiment.status)),
    el('td', {}, experiment.primaryMetric ?? r?.metric ?? '—'),
    el('td', { className: 'num' }, fmtInt(units ?? null)),
    el('td', { className: 'num' }, r?.relativeLift !== null && r?.relativeLift !== undefined ? fmtPct(r.relativeLift, 1) : fmtNum(r?.absoluteLift, 3)),
    el('td', {}, interval),
    el('td', {}, r?.winner ?? '—'));
}

/** Fill the panel once; returns false (panel stays hidden) when the server has no experiments. */
export async function loadExperiments(panel, body) {
  const shape = await experimentsShape();
  if (!shape) return false;
  const selection = shape === 'list' ? `experiments { ${FIELDS} }` : `experiments(first: 20) { edges { node { ${FIELDS} } } }`;
  const { data, errors } = await gql(`query Experiments { ${selection} }`);
  // Fields named differently than this panel expects: stay hidden rather than show wrong numbers.
  if (errors.length) return false;
  const items = shape === 'list' ? data?.experiments ?? [] : (data?.experiments?.edges ?? []).map((e) => e.node);
  body.replaceChildren(...(items.length ? items.map(row) : [el('tr', {}, el('td', { colSpan: 8, className: 'empty' }, 'No experiments yet.'))]));
  panel.hidden = false;
  return true;
}
