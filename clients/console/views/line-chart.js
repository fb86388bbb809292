// A time series drawn in SVG: horizontal grid with value labels, a line with its area, the
// latest point marked. Redrawn whole (a few hundred points at most).

import { svg } from "../core/dom.js";
import { clock } from "../core/format.js";

const WIDTH = 640;
const HEIGHT = 220;
const PADDING = { top: 14, right: 16, bottom: 26, left: 78 };
const GRID_LINES = 4;

export class LineChart {
  /**
   * `formatValue(v)` labels the value axis; `round(v)` rounds the top of the scale up to a
   * value whose quarters label well (decimal by default; binary units for bytes).
   */
  constructor({ id, seriesClass, label, formatValue, round = niceCeiling }) {
    this.points = []; // {time: ms, value}
    this.formatValue = formatValue;
    this.round = round;
    this.seriesClass = seriesClass;
    this.element = svg("svg", {
      id, class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": label,
      dataset: { testid: id, points: "0" },
    });
  }

  /** Replaces the series; `points` are `{time, value}` with `time` in ms, in any order. */
  setPoints(points) {
    this.points = points.filter((point) => Number.isFinite(point.value)).sort((a, b) => a.time - b.time);
    this.draw();
  }

  /** Adds one point (a live sample) and keeps only those within `windowMs` of it. */
  addPoint(point, windowMs) {
    if (!Number.isFinite(point.value)) return;
    if (this.points.length && this.points[this.points.length - 1].time >= point.time) return;
    this.points.push(point);
    const oldest = point.time - windowMs;
    while (this.points.length && this.points[0].time < oldest) this.points.shift();
    this.draw();
  }

  draw() {
    const points = this.points;
    this.element.dataset.points = String(points.length);
    const children = [];
    const plotWidth = WIDTH - PADDING.left - PADDING.right;
    const plotHeight = HEIGHT - PADDING.top - PADDING.bottom;
    const largest = Math.max(0, ...points.map((point) => point.value));
    const top = this.round(largest * 1.25) || 1;
    for (let index = 0; index <= GRID_LINES; index += 1) {
      const value = (top * index) / GRID_LINES;
      const y = PADDING.top + plotHeight - (plotHeight * index) / GRID_LINES;
      children.push(
        svg("line", { class: "grid-line", x1: PADDING.left, x2: WIDTH - PADDING.right, y1: y, y2: y }),
        svg("text", { class: "axis-label", x: PADDING.left - 8, y: y + 4, "text-anchor": "end" }, this.formatValue(value)),
      );
    }
    if (!points.length) {
      children.push(svg("text", { class: "no-data", x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle" }, "Waiting for samples…"));
      this.element.replaceChildren(...children);
      return;
    }
    const first = points[0].time;
    const span = Math.max(points[points.length - 1].time - first, 1);
    const x = (time) => PADDING.left + (points.length === 1 ? plotWidth : ((time - first) / span) * plotWidth);
    const y = (value) => PADDING.top + plotHeight - (Math.min(value, top) / top) * plotHeight;
    const line = points.map((point, index) => `${index ? "L" : "M"}${x(point.time).toFixed(1)},${y(point.value).toFixed(1)}`).join("");
    const baseline = PADDING.top + plotHeight;
    const area = `${line}L${x(points[points.length - 1].time).toFixed(1)},${baseline}L${x(first).toFixed(1)},${baseline}Z`;
    const last = points[points.length - 1];
    children.push(
      svg("path", { class: `area ${this.seriesClass}`, d: area, stroke: "none" }),
      svg("path", { class: `series ${this.seriesClass}`, d: line, fill: "none" }),
      svg("circle", { class: `last-point ${this.seriesClass}`, cx: x(last.time), cy: y(last.value), r: 4 }),
      svg("text", { class: "axis-label", x: PADDING.left, y: HEIGHT - 6 }, clock(first)),
      svg("text", { class: "axis-label", x: WIDTH - PADDING.right, y: HEIGHT - 6, "text-anchor": "end" }, clock(last.time)),
    );
    this.element.replaceChildren(...children);
  }
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value) {
  if (!(value > 0)) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** The same in a binary unit (KiB, MiB, GiB…), for bytes: 2.5 GiB rather than 2.68 GB. */
export function niceBytesCeiling(value) {
  if (!(value > 0)) return 0;
  const unit = 1024 ** Math.max(0, Math.floor(Math.log(value) / Math.log(1024)));
  return niceCeiling(value / unit) * unit;
}
