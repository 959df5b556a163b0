// The queue over the last hour as an inline SVG step chart, built node by node with
// createElementNS: no markup parsed from strings (the CSP and the no-markup-from-data rule) and no chart library.
// The SVG is drawn at the container's real pixel width (redrawn on resize) so its labels keep
// their size on a phone instead of being scaled down with a viewBox.
//
// Accessibility: the <svg> is role="img" named by its <title> and described by its <desc> (the
// range and the current value); a visually hidden paragraph beside it lists the values every 15
// minutes for screen reader users who want the data, not the picture.
import { clear } from '../common/dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const HOUR_MS = 60 * 60 * 1000;
const TICK_MINUTES = [60, 45, 30, 15, 0];
const MARGIN = { top: 12, right: 14, bottom: 26, left: 34 };

function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// The y axis: whole-number steps of 1, 2, 5, 10, 20, 50 ..., at most five of them, up to at
// least 4 (so one waiting request does not fill the chart) and at least `max`.
function niceTop(max) {
  const target = Math.max(4, max);
  let step = 1;
  for (let magnitude = 1; ; magnitude *= 10) {
    step = [1, 2, 5].map((m) => m * magnitude).find((s) => Math.ceil(target / s) <= 5);
    if (step) break;
  }
  return { top: Math.ceil(target / step) * step, step };
}

// The queue length at `at`: the last sample at or before it (the queue is a step function).
function valueAt(history, at) {
  let value = null;
  for (const point of history) {
    if (point.t > at) break;
    value = point.waiting;
  }
  return value;
}

// Draws into `figure` (which holds the <svg> and the summary) the samples `history`
// ([{t (ms), waiting}], oldest first) for the hour ending at `now` (ms, the server's clock).
export function renderQueueChart(figure, { history, now, t }) {
  const holder = figure.querySelector('.chart-canvas');
  const summary = figure.querySelector('.chart-summary');
  const width = Math.max(260, Math.round(holder.clientWidth || 600));
  const height = width < 480 ? 170 : 200;
  const end = now ?? history.at(-1)?.t ?? Date.now();
  const start = end - HOUR_MS;
  const points = history.filter((p) => p.t >= start && p.t <= end);
  const values = points.map((p) => p.waiting);
  const current = values.at(-1) ?? null;

  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const { top, step } = niceTop(values.length ? Math.max(...values) : 0);
  const xOf = (ms) => plot.x + ((ms - start) / HOUR_MS) * plot.w;
  const yOf = (n) => plot.y + plot.h - (n / top) * plot.h;

  const svg = svgEl('svg', {
    width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart',
    'aria-labelledby': 'queue-chart-title queue-chart-desc',
  });
  svg.append(svgEl('title', { id: 'queue-chart-title' }, t('chart_title')));
  const description = values.length
    ? t('chart_desc', { max: Math.max(...values), min: Math.min(...values), now: current })
    : t('chart_empty');
  svg.append(svgEl('desc', { id: 'queue-chart-desc' }, description));

  // Horizontal grid with the y labels.
  for (let n = 0; n <= top; n += step) {
    svg.append(svgEl('line', { class: n === 0 ? 'chart-axis' : 'chart-grid', x1: plot.x, x2: plot.x + plot.w, y1: yOf(n), y2: yOf(n) }));
    svg.append(svgEl('text', { class: 'chart-label', x: plot.x - 6, y: yOf(n) + 4, 'text-anchor': 'end' }, String(n)));
  }
  // Time ticks: minutes before now, the first label left-aligned and the last right-aligned so
  // neither is cut off at the edges.
  // On a phone only every other tick is labelled: five labels do not fit in 300 px.
  const labelEvery = plot.w < 400 ? 2 : 1;
  TICK_MINUTES.forEach((minutes, index) => {
    const x = xOf(end - minutes * 60000);
    const anchor = index === 0 ? 'start' : index === TICK_MINUTES.length - 1 ? 'end' : 'middle';
    svg.append(svgEl('line', { class: 'chart-tick', x1: x, x2: x, y1: plot.y + plot.h, y2: plot.y + plot.h + 4 }));
    if (index % labelEvery !== 0) return;
    svg.append(svgEl('text', { class: 'chart-label', x, y: height - 6, 'text-anchor': anchor },
      minutes === 0 ? t('chart_now') : t('chart_tick', { m: minutes })));
  });

  if (points.length) {
    // Step line: flat until the next sample, then up or down; extended to now.
    let line = `M${xOf(points[0].t).toFixed(1)} ${yOf(points[0].waiting).toFixed(1)}`;
    for (const point of points.slice(1)) line += ` H${xOf(point.t).toFixed(1)} V${yOf(point.waiting).toFixed(1)}`;
    line += ` H${xOf(end).toFixed(1)}`;
    const area = `${line} V${yOf(0).toFixed(1)} H${xOf(points[0].t).toFixed(1)} Z`;
    svg.append(svgEl('path', { class: 'chart-area', d: area }));
    svg.append(svgEl('path', { class: 'chart-line', d: line }));
    svg.append(svgEl('circle', { class: 'chart-dot', cx: xOf(end), cy: yOf(current), r: 4 }));
  } else {
    svg.append(svgEl('text', { class: 'chart-empty', x: plot.x + plot.w / 2, y: plot.y + plot.h / 2, 'text-anchor': 'middle' },
      t('chart_empty')));
  }
  clear(holder).append(svg);

  // The data behind the picture, every 15 minutes (times before the first sample left out).
  const listed = TICK_MINUTES
    .map((minutes) => ({ minutes, n: valueAt(points, end - minutes * 60000) }))
    .filter((item) => item.n !== null)
    .map(({ minutes, n }) => t('chart_point', { label: minutes === 0 ? t('chart_now') : t('chart_minutes_ago', { m: minutes }), n }));
  summary.textContent = listed.length ? t('chart_summary', { points: listed.join(', ') }) : t('chart_empty');
}
