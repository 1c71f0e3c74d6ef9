// The benchmark's chart: requests per second of each variant in each mode, as
// grouped horizontal bars, in an SVG made by string building alone. Meant to be
// shown as an image in a README: a fixed width, text in sans-serif, a white
// background (readable in a dark theme too), no script, no external reference.

export interface ChartSeries {
  /** The key of the series' values in each group. */
  key: string
  /** What the legend calls it. */
  label: string
}

export interface ChartGroup {
  /** The group's label, left of its bars. */
  name: string
  /** Requests per second by series key; missing, null or not a finite number ≥ 0: no bar. */
  values: Readonly<Record<string, number | null | undefined>>
}

export interface ChartInput {
  /** The Node.js version, e.g. `v22.12.0`. */
  node: string
  /** The CPUs, e.g. `2 × AMD EPYC 7763`. */
  cpu: string
  rounds: number
  /** Of one measured run. */
  durationSeconds: number
  date: Date
  /** One bar per series in each group, in this order; each keeps its colour in every group. */
  series: readonly ChartSeries[]
  groups: readonly ChartGroup[]
}

export const CHART_WIDTH = 800
const MARGIN = 16
const LABEL_WIDTH = 170
/** Room right of the longest bar for its value. */
const VALUE_WIDTH = 70
export const PLOT_LEFT = MARGIN + LABEL_WIDTH
export const PLOT_WIDTH = CHART_WIDTH - PLOT_LEFT - VALUE_WIDTH - MARGIN
const BAR_HEIGHT = 16
const BAR_GAP = 3
const GROUP_GAP = 12
const LEGEND_TOP = 54
const LEGEND_ROW = 18
/** Below the plot: the tick labels and the axis title. */
const AXIS_HEIGHT = 44
/** Roughly what fits on the details line at 12 px. */
const MAX_DETAILS_LENGTH = 115
// Tableau 10: distinct for the colour-blind in the first few.
const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac']

/** Text fit for XML: markup characters escaped, and the control characters XML 1.0 cannot hold at all removed. */
export function escapeXml (text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** Whole requests, with thousands separators: 12345.6 → "12,346". */
export function formatCount (value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

function isValue (value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

/** A round step for about five grid lines up to `max`: 1, 2, 2.5 or 5 times a power of ten. */
function tickStep (max: number): number {
  const rough = max / 5
  const power = 10 ** Math.floor(Math.log10(rough))
  return [1, 2, 2.5, 5, 10].map(factor => factor * power).find(step => step >= rough) as number
}

function attributes (values: Record<string, string | number>): string {
  return Object.entries(values).map(([name, value]) => ` ${name}="${escapeXml(String(value))}"`).join('')
}

function element (name: string, values: Record<string, string | number>, content?: string): string {
  return content === undefined ? `<${name}${attributes(values)}/>` : `<${name}${attributes(values)}>${content}</${name}>`
}

function truncate (text: string, length: number): string {
  return text.length <= length ? text : text.slice(0, length - 1) + '…'
}

function detailsLine ({ node, cpu, rounds, durationSeconds, date }: ChartInput): string {
  const day = Number.isNaN(date.getTime()) ? 'date unknown' : date.toISOString().slice(0, 10)
  const runs = `${rounds} ${rounds === 1 ? 'round' : 'rounds'} × ${durationSeconds} s`
  return truncate(`Node ${node} · ${cpu} · ${runs} · ${day}`, MAX_DETAILS_LENGTH)
}

/** The SVG text of the chart. */
export function renderBenchChart (input: ChartInput): string {
  const colours = new Map(input.series.map((series, i) => [series.key, COLOURS[i % COLOURS.length]]))
  const groups = input.groups.map(group => ({
    name: group.name,
    bars: input.series.filter(series => isValue(group.values[series.key]))
      .map(series => ({ series, value: group.values[series.key] as number }))
  }))
  const values = groups.flatMap(group => group.bars.map(bar => bar.value))
  const shownSeries = input.series.filter(series => groups.some(group => group.bars.some(bar => bar.series === series)))
  const largest = Math.max(0, ...values)
  const step = largest > 0 ? tickStep(largest) : 1
  const axisMax = largest > 0 ? Math.ceil(largest / step) * step : 1
  const widthOf = (value: number): number => value / axisMax * PLOT_WIDTH
  const title = 'fastify-jwt-auth benchmark: requests per second'

  // The legend: the series that have a bar somewhere, in their order, on as
  // many lines as they need.
  const legend: string[] = []
  let [legendX, legendY] = [MARGIN, LEGEND_TOP]
  for (const series of shownSeries) {
    // About 7 px a character at 12 px.
    const width = 16 + series.label.length * 7
    if (legendX > MARGIN && legendX + width > CHART_WIDTH - MARGIN) [legendX, legendY] = [MARGIN, legendY + LEGEND_ROW]
    legend.push(element('rect', { class: 'swatch', x: legendX, y: legendY, width: 12, height: 12, fill: colours.get(series.key) as string }))
    legend.push(element('text', { x: legendX + 16, y: legendY + 10, 'font-size': 12 }, escapeXml(series.label)))
    legendX += width + 20
  }
  const plotTop = legendY + LEGEND_ROW + 14

  const body: string[] = []
  let y = plotTop
  for (const group of groups) {
    // A group without any result keeps a row, saying so.
    const rows = Math.max(1, group.bars.length)
    const height = rows * BAR_HEIGHT + (rows - 1) * BAR_GAP
    body.push(element('text', { class: 'group', x: PLOT_LEFT - 8, y: y + height / 2 + 4, 'text-anchor': 'end', 'font-size': 13 }, escapeXml(group.name)))
    if (group.bars.length === 0) {
      body.push(element('text', { x: PLOT_LEFT + 4, y: y + BAR_HEIGHT / 2 + 4, 'font-size': 12, fill: '#767676' }, 'no result'))
    }
    group.bars.forEach(({ series, value }, i) => {
      const top = y + i * (BAR_HEIGHT + BAR_GAP)
      const width = widthOf(value)
      const tooltip = element('title', {}, escapeXml(`${group.name}, ${series.label}: ${formatCount(value)} requests/s`))
      body.push(element('rect', {
        class: 'bar', 'data-group': group.name, 'data-series': series.key, 'data-value': value, x: PLOT_LEFT, y: top, width: width.toFixed(2), height: BAR_HEIGHT, fill: colours.get(series.key) as string
      }, tooltip))
      body.push(element('text', { class: 'value', x: (PLOT_LEFT + width + 4).toFixed(2), y: top + BAR_HEIGHT / 2 + 4, 'font-size': 12 }, formatCount(value)))
    })
    y += height + GROUP_GAP
  }
  if (groups.length === 0) {
    body.push(element('text', { x: PLOT_LEFT + 4, y: y + BAR_HEIGHT / 2 + 4, 'font-size': 12, fill: '#767676' }, 'no results'))
    y += BAR_HEIGHT + GROUP_GAP
  }
  const plotBottom = y - GROUP_GAP / 2

  const grid: string[] = []
  for (let tick = 0; tick <= axisMax + step / 2; tick += step) {
    const x = (PLOT_LEFT + widthOf(tick)).toFixed(2)
    grid.push(element('line', { x1: x, x2: x, y1: plotTop - 6, y2: plotBottom, stroke: tick === 0 ? '#767676' : '#e0e0e0' }))
    grid.push(element('text', { class: 'tick', x, y: plotBottom + 16, 'text-anchor': 'middle', 'font-size': 11, fill: '#555555' }, formatCount(tick)))
  }

  const height = plotBottom + AXIS_HEIGHT
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" ` +
      'font-family="sans-serif" role="img">',
    element('title', {}, escapeXml(title)),
    element('rect', { x: 0, y: 0, width: CHART_WIDTH, height, fill: '#ffffff' }),
    element('text', { x: MARGIN, y: 24, 'font-size': 16, 'font-weight': 'bold' }, escapeXml(title)),
    element('text', { class: 'details', x: MARGIN, y: 42, 'font-size': 12, fill: '#555555' }, escapeXml(detailsLine(input))),
    ...legend,
    ...grid,
    ...body,
    element('text', { x: PLOT_LEFT + PLOT_WIDTH / 2, y: plotBottom + 34, 'text-anchor': 'middle', 'font-size': 12, fill: '#555555' },
      'requests per second, median over the rounds'),
    '</svg>',
    ''
  ].join('\n')
}
