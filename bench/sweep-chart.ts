/**
 * The fleet-size sweep as a small SVG line chart (docs/search-sweep.svg), hand-written so the
 * benchmark needs no plotting library: fleet size on a log x axis, milliseconds on a log y
 * axis; per search shape one colour, p50 solid, p99 dashed, the naive query's p50 dotted.
 */
export interface ChartPoint {
  cars: number;
  results: Record<string, { p50: number; p99: number }>;
}

const WIDTH = 760;
const HEIGHT = 470;
const PLOT = { left: 70, right: 560, top: 60, bottom: 400 };
const SHAPES = [
  { key: 'a', label: '(a) fleet-wide', colour: '#1f77b4' },
  { key: 'b', label: '(b) type + price band', colour: '#d62728' },
  { key: 'c', label: '(c) landmark, 5 km', colour: '#2ca02c' },
] as const;
const LINES = [
  { label: 'p50', pick: (point: ChartPoint, shape: string) => point.results[shape]!.p50, dash: '', width: 2.5 },
  { label: 'p99', pick: (point: ChartPoint, shape: string) => point.results[shape]!.p99, dash: '7 4', width: 1.8 },
  { label: 'naive p50', pick: (point: ChartPoint, shape: string) => point.results[`naive ${shape}`]!.p50, dash: '2 3', width: 1.5 },
] as const;

export function sweepChart(points: ChartPoint[]): string {
  const values = points.flatMap((point) => SHAPES.flatMap((shape) => LINES.map((line) => line.pick(point, shape.key))));
  const [yMin, yMax] = [niceBelow(Math.min(...values)), niceAbove(Math.max(...values))];
  const [xMin, xMax] = [Math.min(...points.map((p) => p.cars)), Math.max(...points.map((p) => p.cars))];
  const x = (cars: number) => PLOT.left + ((Math.log10(cars) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * (PLOT.right - PLOT.left);
  const y = (ms: number) => PLOT.bottom - ((Math.log10(ms) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (PLOT.bottom - PLOT.top);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`);
  out.push(`<text x="${PLOT.left}" y="26" font-size="16" font-weight="bold">Public search latency as the fleet grows</text>`);
  out.push(`<text x="${PLOT.left}" y="45" fill="#555">npm run bench:search -- --sweep; one connection, sequential; both axes logarithmic</text>`);
  // Grid and y ticks.
  for (const tick of ticks(yMin, yMax)) {
    out.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${f(y(tick))}" y2="${f(y(tick))}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${PLOT.left - 8}" y="${f(y(tick) + 4)}" text-anchor="end">${tick}</text>`);
  }
  for (const point of points) {
    out.push(`<line x1="${f(x(point.cars))}" x2="${f(x(point.cars))}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${f(x(point.cars))}" y="${PLOT.bottom + 20}" text-anchor="middle">${point.cars.toLocaleString('en')}</text>`);
  }
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 45}" text-anchor="middle">cars in the fleet</text>`);
  out.push(`<text transform="translate(22 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" text-anchor="middle">milliseconds per search</text>`);
  // Series.
  for (const shape of SHAPES) {
    for (const line of LINES) {
      const coordinates = points.map((point) => `${f(x(point.cars))},${f(y(line.pick(point, shape.key)))}`);
      out.push(
        `<polyline points="${coordinates.join(' ')}" fill="none" stroke="${shape.colour}" stroke-width="${line.width}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`,
      );
      for (const coordinate of coordinates) {
        const [cx, cy] = coordinate.split(',');
        out.push(
          `<circle cx="${cx}" cy="${cy}" r="${line.label === 'p50' ? 3.5 : 2.5}" fill="${line.label === 'naive p50' ? '#fff' : shape.colour}" stroke="${shape.colour}"/>`,
        );
      }
    }
  }
  // Legend: colours are shapes, line styles are measures.
  const legendX = PLOT.right + 20;
  let legendY = PLOT.top + 10;
  out.push(`<text x="${legendX}" y="${legendY}" font-weight="bold">search</text>`);
  for (const shape of SHAPES) {
    legendY += 22;
    out.push(`<line x1="${legendX}" x2="${legendX + 28}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${shape.colour}" stroke-width="3"/>`);
    out.push(`<text x="${legendX + 36}" y="${legendY}">${shape.label}</text>`);
  }
  legendY += 36;
  out.push(`<text x="${legendX}" y="${legendY}" font-weight="bold">measure</text>`);
  for (const line of LINES) {
    legendY += 22;
    out.push(
      `<line x1="${legendX}" x2="${legendX + 28}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#333" stroke-width="${line.width}"${line.dash ? ` stroke-dasharray="${line.dash}"` : ''}/>`,
    );
    out.push(`<text x="${legendX + 36}" y="${legendY}">${line.label === 'naive p50' ? 'naive query, p50' : `ours, ${line.label}`}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const f = (value: number) => value.toFixed(1);
const STEPS = [1, 2, 5];
/** Ticks of a 1-2-5 log scale between two of its own values. */
function ticks(min: number, max: number): number[] {
  const result: number[] = [];
  for (let decade = Math.floor(Math.log10(min)); decade <= Math.ceil(Math.log10(max)); decade++) {
    for (const step of STEPS) {
      const value = Number((step * 10 ** decade).toPrecision(3));
      if (value >= min * 0.999 && value <= max * 1.001) result.push(value);
    }
  }
  return result;
}
function niceBelow(value: number): number {
  return ticks(value / 10, value)
    .filter((tick) => tick <= value)
    .at(-1)!;
}
function niceAbove(value: number): number {
  return ticks(value, value * 10).find((tick) => tick >= value)!;
}
