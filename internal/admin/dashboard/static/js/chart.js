// Charts drawn as SVG by hand: a rolling time-series line chart and a
// bar list. Colours come from CSS classes (s0, s1…), so the charts follow
// the light and dark themes.

import { h, s, replace } from './dom.js';

/** niceStep rounds x up to 1, 2 or 5 times a power of ten. */
function niceStep(x) {
  const e = 10 ** Math.floor(Math.log10(x));
  const f = x / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

/** ticks are 0…top in clean steps covering max (whole steps if integer). */
function ticks(max, integer) {
  let step = niceStep(max > 0 ? max / 4 : 0.25);
  if (integer) step = Math.max(1, Math.round(step));
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const out = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return out;
}

const hhmm = t => new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const hhmmss = t => new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * LineChart keeps a rolling window of samples client-side and redraws
 * on each push and on resize. series: [{key, label}]; format turns a
 * value into text (axis, legend, tooltip); integer keeps the axis steps
 * whole (for counts).
 */
export class LineChart {
  constructor({ title, series, format = String, windowSec = 300, height = 190, id, integer = false }) {
    this.series = series;
    this.integer = integer;
    this.format = format;
    this.windowMs = windowSec * 1000;
    this.height = height;
    this.points = [];
    this.hover = null;
    this.legend = h('ul', { class: 'legend' });
    this.plot = h('div', { class: 'chart-plot' });
    this.tip = h('div', { class: 'chart-tip', hidden: true, 'aria-hidden': 'true' });
    this.el = h('figure', { class: 'chart', id },
      h('figcaption', {}, h('span', { class: 'chart-title' }, title), this.legend),
      h('div', { class: 'chart-body' }, this.plot, this.tip));
    this.title = title;
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(this.plot);
    this.plot.addEventListener('pointermove', e => this.pointer(e));
    this.plot.addEventListener('pointerleave', () => { this.hover = null; this.draw(); });
    this.draw();
  }

  /** push adds the values (by series key) sampled at t (ms). */
  push(t, values) {
    this.points.push({ t, v: values });
    const cut = t - this.windowMs;
    while (this.points.length > 2 && this.points[1].t < cut) this.points.shift();
    this.draw();
  }

  destroy() { this.ro.disconnect(); }

  pointer(e) {
    if (this.points.length === 0) return;
    const r = this.plot.getBoundingClientRect();
    const x = e.clientX - r.left;
    let best = 0, bestD = Infinity;
    this.points.forEach((p, i) => {
      const d = Math.abs(this.xOf(p.t) - x);
      if (d < bestD) { best = i; bestD = d; }
    });
    this.hover = best;
    this.draw();
  }

  draw() {
    const w = Math.max(240, this.plot.clientWidth || 600), hgt = this.height;
    const pad = { l: 56, r: 14, t: 12, b: 26 };
    const pw = w - pad.l - pad.r, ph = hgt - pad.t - pad.b;
    const last = this.points.length ? this.points[this.points.length - 1].t : Date.now();
    const t0 = last - this.windowMs;
    this.xOf = t => pad.l + (t - t0) / this.windowMs * pw;
    let max = 0;
    for (const p of this.points) for (const se of this.series) max = Math.max(max, p.v[se.key] || 0);
    const ys = ticks(max, this.integer);
    const top = ys[ys.length - 1];
    const yOf = v => pad.t + ph - (Math.max(0, v) / top) * ph;

    const svg = s('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, role: 'img', 'aria-label': this.describe() });
    const grid = s('g', { class: 'grid' });
    for (const v of ys) {
      const y = yOf(v);
      grid.append(s('line', { x1: pad.l, x2: w - pad.r, y1: y, y2: y }),
        s('text', { x: pad.l - 8, y: y + 4, 'text-anchor': 'end' }, this.format(v)));
    }
    const step = this.windowMs <= 120000 ? 30000 : 60000;
    for (let t = Math.ceil(t0 / step) * step; t <= last; t += step) {
      const x = this.xOf(t);
      // A label near an edge is anchored there, so it is not cut off.
      const anchor = x > w - 36 ? 'end' : x < pad.l + 24 ? 'start' : 'middle';
      grid.append(s('line', { class: 'vgrid', x1: x, x2: x, y1: pad.t, y2: pad.t + ph }),
        s('text', { x: anchor === 'end' ? w - 2 : x, y: hgt - 8, 'text-anchor': anchor }, hhmm(t)));
    }
    svg.append(grid);

    this.series.forEach((se, i) => {
      if (this.points.length === 0) return;
      const pts = this.points.map(p => [this.xOf(p.t), yOf(p.v[se.key] || 0)]);
      const line = pts.map((p, j) => (j ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1)).join(' ');
      const base = (pad.t + ph).toFixed(1);
      const area = line + ` L${pts[pts.length - 1][0].toFixed(1)} ${base} L${pts[0][0].toFixed(1)} ${base} Z`;
      svg.append(s('path', { class: `area s${i}`, d: area }), s('path', { class: `line s${i}`, d: line }));
      if (pts.length === 1) svg.append(s('circle', { class: `dot s${i}`, cx: pts[0][0], cy: pts[0][1], r: 3 }));
    });

    if (this.points.length === 0) {
      svg.append(s('text', { class: 'chart-wait', x: pad.l + pw / 2, y: pad.t + ph / 2, 'text-anchor': 'middle' }, 'Collecting samples…'));
    }

    const hp = this.hover !== null ? this.points[this.hover] : null;
    if (hp) {
      const x = this.xOf(hp.t);
      svg.append(s('line', { class: 'cursor', x1: x, x2: x, y1: pad.t, y2: pad.t + ph }));
      this.series.forEach((se, i) => svg.append(s('circle', { class: `dot s${i}`, cx: x, cy: yOf(hp.v[se.key] || 0), r: 3.5 })));
      replace(this.tip, h('div', { class: 'tip-time' }, hhmmss(hp.t)),
        this.series.map((se, i) => h('div', {}, h('span', { class: `swatch s${i}` }), `${se.label} `, h('b', {}, this.format(hp.v[se.key] || 0)))));
      this.tip.hidden = false;
      this.tip.style.left = Math.min(x + 12, w - 150) + 'px';
    } else {
      this.tip.hidden = true;
    }
    replace(this.plot, svg);

    const cur = this.points.length ? this.points[this.points.length - 1].v : {};
    replace(this.legend, this.series.map((se, i) => h('li', {},
      h('span', { class: `swatch s${i}`, 'aria-hidden': 'true' }), se.label + ' ',
      h('b', { dataset: { series: se.key } }, this.points.length ? this.format(cur[se.key] || 0) : '–'))));
  }

  describe() {
    if (this.points.length === 0) return `${this.title}: no samples yet`;
    const cur = this.points[this.points.length - 1].v;
    return `${this.title}, last ${Math.round(this.windowMs / 60000)} minutes. Now: ` +
      this.series.map(se => `${se.label} ${this.format(cur[se.key] || 0)}`).join(', ');
  }
}

/**
 * barList shows rows [{label, value, href, sub, data}] as horizontal
 * bars scaled to the largest value.
 */
export function barList(rows, format = String) {
  const max = Math.max(1, ...rows.map(r => r.value));
  return h('ol', { class: 'bars' }, rows.map(r => {
    const bar = h('span', { class: 'bar-fill' });
    bar.style.width = (100 * r.value / max).toFixed(1) + '%';
    return h('li', { dataset: r.data },
      h('a', { class: 'bar-label', href: r.href }, r.label, r.sub ? h('span', { class: 'muted' }, ' ' + r.sub) : null),
      h('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
      h('span', { class: 'bar-value depth' }, format(r.value)));
  }));
}
