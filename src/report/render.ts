/**
 * Vega-Lite to SVG in Node: compiled by vega-lite, rendered by vega's
 * headless View#toSVG(); no browser, no canvas, no network (data is inline).
 */
import { parse, View } from 'vega';
import { compile, type Config, type TopLevelSpec } from 'vega-lite';

/** A chart: a Vega-Lite spec, checked against vega-lite's own types. */
export type ChartSpec = TopLevelSpec;
/** One layer of a layered chart (a panel of a vconcat is a layered chart without the top-level keys). */
export type ChartLayer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
/** A panel of a vconcat chart. */
export type ChartPanel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];
/** The encoding channels of a single-view layer (x, y, color, ...). */
export type ChartEncoding = NonNullable<Extract<ChartLayer, { mark: unknown }>['encoding']>;

/** Shared look of every chart. */
export const CHART_CONFIG: Config = {
  font: 'Helvetica, Arial, sans-serif',
  background: '#ffffff',
  padding: 8,
  view: { stroke: '#e5e7eb' },
  axis: { labelColor: '#374151', titleColor: '#111827', gridColor: '#eef0f3', domainColor: '#9ca3af', tickColor: '#9ca3af', labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600 },
  legend: { labelColor: '#374151', titleColor: '#111827', labelFontSize: 11, titleFontSize: 12 },
  title: { color: '#111827', fontSize: 13, fontWeight: 600, anchor: 'start', offset: 8 },
  header: { labelFontSize: 12, labelFontWeight: 600, labelColor: '#111827', titleFontSize: 12 },
  range: { category: ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'] },
};

let renders = 0;

/** Renders a Vega-Lite spec to a standalone SVG document (with its namespaces), as written to figures/. */
export async function renderSvgFile(spec: TopLevelSpec): Promise<string> {
  const withConfig: TopLevelSpec = { ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } };
  const vgSpec = compile(withConfig).spec;
  const view = new View(parse(vgSpec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** The standalone SVG made ready to inline in HTML (inlineSvg), with ids of its own. */
export const toInline = (svg: string): string => inlineSvg(svg.trimEnd(), `c${++renders}`);

/** Renders a Vega-Lite spec to an SVG string ready to inline in HTML. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  return toInline(await renderSvgFile(spec));
}

/**
 * HTML parses inline <svg> into the SVG namespace by itself, so the xmlns
 * declarations (URLs) are dropped; the chart scales down with its container.
 * Ids (vega's clip paths: clip1, clip2, ... in every chart) are prefixed, as
 * they share one document with the other charts.
 */
export function inlineSvg(svg: string, idPrefix: string): string {
  return svg
    .replace(/\s+xmlns(?::\w+)?="[^"]*"/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${idPrefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${idPrefix}-$1)`)
    .replace(/^<svg\b/, '<svg role="img" style="max-width:100%;height:auto"');
}
