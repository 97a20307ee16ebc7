// The feedback trend line chart (uPlot, vendored) and the common-issues bar list (plain HTML).

import { el, fmtInt, fmtNum, fmtPct } from './dom.js';

/** Thumbs-up share of thumbs votes per day (null when nobody voted that day). */
export function thumbsUpRate(stats) {
  const votes = stats.thumbsUpCount + stats.thumbsDownCount;
  return votes ? stats.thumbsUpCount / votes : null;
}

export class TrendChart {
  constructor(container, table) {
    this.container = container;
    this.table = table;
    this.plot = null;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  size() {
    const width = Math.max(240, this.container.clientWidth);
    return { width, height: width < 500 ? 200 : 260 };
  }

  resize() {
    if (this.plot) this.plot.setSize(this.size());
  }

  render(points) {
    const xs = points.map((p) => Date.parse(p.bucketStart) / 1000);
    const rates = points.map((p) => {
      const rate = thumbsUpRate(p.stats);
      return rate === null ? null : rate * 100;
    });
    const ratings = points.map((p) => p.stats.avgRating);
    const data = [xs, rates, ratings];
    this.renderTable(points);
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    const opts = {
      ...this.size(),
      scales: { x: { time: true }, pct: { range: [0, 100] }, rating: { range: [1, 5] } },
      series: [
        {},
        { label: 'Thumbs-up rate', scale: 'pct', stroke: '#1d4ed8', width: 2, spanGaps: true, points: { show: true, size: 5 }, value: (_, v) => (v === null ? '—' : `${v.toFixed(0)}%`) },
        { label: 'Average rating', scale: 'rating', stroke: '#b45309', width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 5 }, value: (_, v) => fmtNum(v) },
      ],
      axes: [
        { stroke: '#4b5563' },
        { scale: 'pct', stroke: '#1d4ed8', values: (_, ticks) => ticks.map((t) => `${t}%`) },
        { scale: 'rating', side: 1, stroke: '#b45309', grid: { show: false } },
      ],
    };
    this.plot = new window.uPlot(opts, data, this.container);
  }

  renderTable(points) {
    const rows = points
      .filter((p) => p.stats.totalFeedback > 0)
      .map((p) =>
        el('tr', {},
          el('td', {}, p.bucketStart.slice(0, 10)),
          el('td', { className: 'num' }, fmtInt(p.stats.totalFeedback)),
          el('td', { className: 'num' }, fmtPct(thumbsUpRate(p.stats))),
          el('td', { className: 'num' }, fmtNum(p.stats.avgRating))));
    this.table.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 4, className: 'empty' }, 'No feedback in this period.'))]));
  }
}

const CATEGORY_NAMES = {
  INCORRECT: 'Incorrect',
  INCOMPLETE: 'Incomplete',
  UNCLEAR: 'Unclear',
  HALLUCINATION: 'Hallucination',
  OFF_TOPIC: 'Off topic',
  UNSAFE: 'Unsafe',
  FORMATTING: 'Formatting',
  OTHER: 'Other',
};

export function categoryName(category) {
  return CATEGORY_NAMES[category] ?? category;
}

/** Horizontal bars scaled to the largest count; each row reads "Category, n reports". */
export function renderBars(list, empty, issues) {
  const max = Math.max(1, ...issues.map((i) => i.count));
  list.replaceChildren(
    ...issues.map((issue) => {
      const fill = el('div', { className: 'bar-fill' });
      fill.style.width = `${(issue.count / max) * 100}%`;
      return el('li', { dataset: { category: issue.category } },
        el('span', {}, categoryName(issue.category)),
        el('div', { className: 'bar-track', 'aria-hidden': 'true' }, fill),
        el('span', { className: 'num' }, fmtInt(issue.count), el('span', { className: 'visually-hidden' }, ' reports')));
    }));
  empty.hidden = issues.length > 0;
}
