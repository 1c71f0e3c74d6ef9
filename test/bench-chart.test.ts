// The benchmark's SVG chart: well-formed XML, self-contained, bars in
// proportion to the values, text escaped, missing values left out.
import t from 'tap'
import { CHART_WIDTH, escapeXml, formatCount, PLOT_LEFT, PLOT_WIDTH, renderBenchChart, type ChartInput } from '../bench/chart'

interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: Array<XmlElement | string>
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' }
const NAME = /^[A-Za-z_][\w.:-]*/
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([\da-fA-F]+));/g

/** Character data with its references decoded; throws on a bare `&` or `<`. */
function decode (text: string, where: string): string {
  if (text.includes('<') || text.replace(REFERENCE, '').includes('&')) throw new Error(`unescaped markup in ${where}: ${text}`)
  return text.replace(REFERENCE, (_, name: string | undefined, decimal: string | undefined, hex: string | undefined) =>
    name !== undefined ? ENTITIES[name] : String.fromCodePoint(decimal !== undefined ? Number(decimal) : parseInt(hex as string, 16)))
}

/**
 * A strict reader for the XML subset the chart writes: elements, quoted
 * attributes (no duplicates), text and character references; no comments,
 * CDATA, processing instructions or doctype. Throws on anything malformed:
 * unbalanced or crossed tags, a bare `&` or `<`, text outside the root.
 */
function parseXml (source: string): XmlElement {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(source)) throw new Error('a character XML 1.0 cannot hold') // eslint-disable-line no-control-regex
  let position = 0
  const stack: XmlElement[] = []
  let root: XmlElement | undefined
  while (position < source.length) {
    const next = source.indexOf('<', position)
    const text = source.slice(position, next === -1 ? source.length : next)
    if (stack.length === 0) {
      if (text.trim() !== '') throw new Error(`text outside the root element: ${text}`)
    } else if (text !== '') {
      stack[stack.length - 1].children.push(decode(text, 'text'))
    }
    if (next === -1) break
    const end = source.indexOf('>', next)
    if (end === -1) throw new Error('a tag that never closes')
    const tag = source.slice(next + 1, end)
    position = end + 1
    if (tag.startsWith('/')) {
      const open = stack.pop()
      if (open === undefined || open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open?.name ?? 'nothing'}>`)
      continue
    }
    const name = NAME.exec(tag)?.[0]
    if (name === undefined) throw new Error(`not an element: <${tag}>`)
    if (stack.length === 0 && root !== undefined) throw new Error('a second root element')
    const selfClosing = tag.endsWith('/')
    let rest = tag.slice(name.length, selfClosing ? -1 : undefined)
    const attributes: Record<string, string> = {}
    while (rest.trim() !== '') {
      const attribute = /^\s+([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(rest) ?? /^\s+([A-Za-z_][\w.:-]*)='([^']*)'/.exec(rest)
      if (attribute === null) throw new Error(`a malformed attribute in <${tag}>`)
      if (Object.hasOwn(attributes, attribute[1])) throw new Error(`a duplicate attribute ${attribute[1]}`)
      attributes[attribute[1]] = decode(attribute[2], `the attribute ${attribute[1]}`)
      rest = rest.slice(attribute[0].length)
    }
    const element: XmlElement = { name, attributes, children: [] }
    if (stack.length > 0) stack[stack.length - 1].children.push(element)
    else root = element
    if (!selfClosing) stack.push(element)
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`)
  if (root === undefined) throw new Error('no root element')
  return root
}

function descendants (element: XmlElement): XmlElement[] {
  return element.children.flatMap(child => typeof child === 'string' ? [] : [child, ...descendants(child)])
}

function textOf (element: XmlElement): string {
  return element.children.map(child => typeof child === 'string' ? child : textOf(child)).join('')
}

const SERIES = [
  { key: 'reused', label: 'token reused' },
  { key: 'new-token', label: 'new token every request' },
  { key: 'login', label: 'login (sign access + refresh)' }
]

function input (overrides: Partial<ChartInput> = {}): ChartInput {
  return {
    node: 'v22.12.0',
    cpu: '2 × AMD EPYC 7763 64-Core Processor',
    rounds: 3,
    durationSeconds: 3,
    date: new Date('2025-06-01T12:00:00Z'),
    series: SERIES,
    groups: [
      { name: 'bare', values: { reused: 40_000, 'new-token': 38_000 } },
      { name: 'guard', values: { reused: 36_000, 'new-token': 25_000, login: 12_000 } },
      { name: 'fastify-jwt', values: { reused: 17_500, 'new-token': 21_000, login: 10_000 } }
    ],
    ...overrides
  }
}

function render (overrides: Partial<ChartInput> = {}): { svg: string, root: XmlElement, elements: XmlElement[] } {
  const svg = renderBenchChart(input(overrides))
  const root = parseXml(svg)
  return { svg, root, elements: descendants(root) }
}

const barsOf = (elements: XmlElement[]): XmlElement[] => elements.filter(element => element.attributes.class === 'bar')
const texts = (elements: XmlElement[]): string[] => elements.filter(element => element.name === 'text').map(textOf)

t.test('the reader used here refuses what is not well-formed XML', async t => {
  for (const bad of ['<a><b></a></b>', '<a>', '<a>x & y</a>', '<a b="1" b="2"/>', '<a b=1/>', '<a/><b/>', 'x<a/>', '<a>\u0001</a>', '<a b="<"/>']) {
    t.throws(() => parseXml(bad), bad)
  }
  t.same(parseXml('<a b="&lt;&#38;&#x41;"> x &amp; y <c/></a>'),
    { name: 'a', attributes: { b: '<&A' }, children: [' x & y ', { name: 'c', attributes: {}, children: [] }] })
})

t.test('a well-formed, self-contained SVG of a fixed width in sans-serif', async t => {
  const { svg, root, elements } = render()
  t.equal(root.name, 'svg')
  t.equal(root.attributes.xmlns, 'http://www.w3.org/2000/svg')
  t.equal(root.attributes.width, String(CHART_WIDTH))
  t.equal(root.attributes.viewBox, `0 0 ${CHART_WIDTH} ${root.attributes.height}`)
  t.equal(root.attributes['font-family'], 'sans-serif')
  t.notOk(elements.some(element => element.attributes['font-family'] !== undefined), 'no text leaves sans-serif')
  t.same([...new Set(elements.map(element => element.name))].sort(), ['line', 'rect', 'text', 'title'], 'no script, style, image, link or foreign object')
  t.notOk(elements.some(element => Object.keys(element.attributes).some(name => /^on|href$/i.test(name))), 'no event handler or link')
  t.notOk([root, ...elements].some(element => Object.values(element.attributes).some(value => value.includes('url('))), 'no external reference')
  t.notMatch(svg, /NaN|Infinity|undefined/)
  const background = elements.find(element => element.name === 'rect')
  t.same(background?.attributes, { x: '0', y: '0', width: String(CHART_WIDTH), height: root.attributes.height, fill: '#ffffff' }, 'opaque, as a dark theme needs')
})

t.test('the title and the details of the run', async t => {
  const { root, elements } = render()
  t.equal(textOf(root.children.find(child => typeof child !== 'string' && child.name === 'title') as XmlElement),
    'fastify-jwt-auth benchmark: requests per second')
  const details = elements.find(element => element.attributes.class === 'details') as XmlElement
  t.equal(textOf(details), 'Node v22.12.0 · 2 × AMD EPYC 7763 64-Core Processor · 3 rounds × 3 s · 2025-06-01')
  t.equal(textOf(render({ rounds: 1, durationSeconds: 0.5 }).elements.find(element => element.attributes.class === 'details') as XmlElement),
    'Node v22.12.0 · 2 × AMD EPYC 7763 64-Core Processor · 1 round × 0.5 s · 2025-06-01')
  t.match(textOf(render({ date: new Date(Number.NaN) }).elements.find(element => element.attributes.class === 'details') as XmlElement),
    /· date unknown$/)
  const long = textOf(render({ cpu: 'x'.repeat(300) }).elements.find(element => element.attributes.class === 'details') as XmlElement)
  t.ok(long.length <= 115 && long.endsWith('…'), 'a long line is cut, not drawn past the edge')
})

t.test('one group per variant, one bar per measured mode, in proportion to the values, labelled with them', async t => {
  const { elements } = render()
  const bars = barsOf(elements)
  t.same(bars.map(bar => `${bar.attributes['data-group']}/${bar.attributes['data-series']}`),
    ['bare/reused', 'bare/new-token', 'guard/reused', 'guard/new-token', 'guard/login', 'fastify-jwt/reused', 'fastify-jwt/new-token', 'fastify-jwt/login'])
  const widthPerRequest = Number(bars[0].attributes.width) / 40_000
  for (const bar of bars) {
    const value = Number(bar.attributes['data-value'])
    t.ok(Math.abs(Number(bar.attributes.width) - value * widthPerRequest) < 0.01, `${bar.attributes['data-group']}/${bar.attributes['data-series']}`)
    t.equal(bar.attributes.x, String(PLOT_LEFT))
  }
  t.ok(Number(bars[0].attributes.width) <= PLOT_WIDTH, 'the longest bar stays within the plot')
  t.ok(Number(bars[0].attributes.width) >= PLOT_WIDTH * 0.75, 'and fills most of it')
  // Each bar's value just after its end, and in its tooltip.
  const values = elements.filter(element => element.attributes.class === 'value')
  t.same(values.map(textOf), ['40,000', '38,000', '36,000', '25,000', '12,000', '17,500', '21,000', '10,000'])
  values.forEach((value, i) => t.equal(Number(value.attributes.x), PLOT_LEFT + Number(bars[i].attributes.width) + 4))
  t.equal(textOf(bars[4]), 'guard, login (sign access + refresh): 12,000 requests/s')
  // A mode keeps its colour in every group, the legend's.
  const colours = new Map<string, Set<string>>()
  for (const bar of bars) colours.set(bar.attributes['data-series'], (colours.get(bar.attributes['data-series']) ?? new Set()).add(bar.attributes.fill))
  t.same([...colours.values()].map(set => set.size), [1, 1, 1])
  t.equal(new Set([...colours.values()].map(set => [...set][0])).size, 3, 'a colour per mode')
  const swatches = elements.filter(element => element.attributes.class === 'swatch').map(swatch => swatch.attributes.fill)
  t.same(swatches, [...colours.values()].map(set => [...set][0]))
  t.same(texts(elements).filter(text => text === 'bare' || text === 'guard' || text === 'fastify-jwt'), ['bare', 'guard', 'fastify-jwt'])
})

t.test('grid lines at round values from 0 to past the largest', async t => {
  const { elements } = render()
  const lines = elements.filter(element => element.name === 'line')
  const ticks = elements.filter(element => element.attributes.class === 'tick')
  t.same(ticks.map(textOf), ['0', '10,000', '20,000', '30,000', '40,000'])
  t.same(ticks.map(tick => tick.attributes.x), lines.map(line => line.attributes.x1), 'each under its line')
  t.same(lines.map(line => Number(line.attributes.x1)), [0, 1, 2, 3, 4].map(i => PLOT_LEFT + i * PLOT_WIDTH / 4))
})

t.test('everything within the picture, which grows with the bars', async t => {
  const { root, elements } = render()
  const height = Number(root.attributes.height)
  for (const element of elements) {
    const { x, y, width, height: elementHeight } = element.attributes
    if (x !== undefined) t.ok(Number(x) >= 0 && Number(x) + Number(width ?? 0) <= CHART_WIDTH, `${element.name} x`)
    if (y !== undefined) t.ok(Number(y) >= 0 && Number(y) + Number(elementHeight ?? 0) <= height, `${element.name} y`)
  }
  const bars = barsOf(elements)
  for (let i = 1; i < bars.length; i++) t.ok(Number(bars[i].attributes.y) >= Number(bars[i - 1].attributes.y) + 16, 'no bar over another')
  const oneGroup = render({ groups: [{ name: 'guard', values: { reused: 1 } }] }).root
  t.ok(Number(oneGroup.attributes.height) < height)
})

t.test('text is escaped wherever it goes', async t => {
  const name = '<script>alert("x")</script> & \'co\''
  const { svg, elements } = render({
    cpu: 'A&B <CPU> "quoted"',
    node: 'v22\u0000\u001b',
    series: [{ key: 'reused', label: '<b>reused</b> & more' }],
    groups: [{ name, values: { reused: 5 } }]
  })
  t.notMatch(svg, /<script|<b>|<CPU>/)
  t.ok(texts(elements).includes(name), 'the variant name, as given')
  t.ok(texts(elements).includes('<b>reused</b> & more'), 'the legend')
  t.equal(barsOf(elements)[0].attributes['data-group'], name, 'an attribute')
  t.equal(textOf(barsOf(elements)[0]), `${name}, <b>reused</b> & more: 5 requests/s`, 'the tooltip')
  t.match(textOf(elements.find(element => element.attributes.class === 'details') as XmlElement), /^Node v22 · A&B <CPU> "quoted" · /,
    'control characters, which XML cannot hold, dropped')
  t.equal(escapeXml('<a href="x">Tom & Jerry\'s</a>'), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;')
})

t.test('missing, empty and unusable values draw no bar, and nothing breaks', async t => {
  const { svg, elements } = render({
    groups: [
      { name: 'partial', values: { reused: 1000, 'new-token': null, login: undefined } },
      { name: 'odd', values: { reused: Number.NaN, 'new-token': -5, login: Number.POSITIVE_INFINITY, unknown: 50_000 } },
      { name: 'zero', values: { reused: 0 } },
      { name: 'nothing', values: {} }
    ]
  })
  t.notMatch(svg, /NaN|Infinity/)
  const bars = barsOf(elements)
  t.same(bars.map(bar => `${bar.attributes['data-group']}/${bar.attributes['data-series']}`), ['partial/reused', 'zero/reused'],
    'no bar for null, undefined, NaN, a negative, an infinite value, or a key that is no series')
  t.equal(bars[1].attributes.width, '0.00', 'zero: a bar of no width')
  t.same(texts(elements).filter(text => text === 'no result'), ['no result', 'no result'], '"odd" and "nothing" say they have none')
  t.same(elements.filter(element => element.attributes.class === 'swatch').length, 1, 'the legend shows only the modes with a bar')
  const labels = elements.filter(element => element.attributes.class === 'group')
  t.same(labels.map(textOf), ['partial', 'odd', 'zero', 'nothing'])
  for (let i = 1; i < labels.length; i++) {
    t.ok(Number(labels[i].attributes.y) - Number(labels[i - 1].attributes.y) >= 16 + 12, `${textOf(labels[i])}: a row of its own`)
  }

  const allZero = render({ groups: [{ name: 'zero', values: { reused: 0, login: 0 } }] })
  t.notMatch(allZero.svg, /NaN|Infinity/)
  t.same(barsOf(allZero.elements).map(bar => bar.attributes.width), ['0.00', '0.00'])

  const empty = render({ groups: [] })
  t.notMatch(empty.svg, /NaN|Infinity/)
  t.same(barsOf(empty.elements), [])
  t.ok(texts(empty.elements).includes('no results'))
  t.same(empty.elements.filter(element => element.attributes.class === 'swatch'), [], 'no legend')

  t.doesNotThrow(() => parseXml(renderBenchChart(input({ series: [], groups: [{ name: 'x', values: { reused: 3 } }] }))), 'no series at all')
})

t.test('a legend too wide for one line wraps', async t => {
  const series = Array.from({ length: 8 }, (_, i) => ({ key: `mode-${i}`, label: `a rather long mode name ${i}` }))
  const { elements } = render({ series, groups: [{ name: 'g', values: Object.fromEntries(series.map(({ key }, i) => [key, (i + 1) * 100])) }] })
  const swatches = elements.filter(element => element.attributes.class === 'swatch')
  t.equal(swatches.length, 8)
  t.ok(new Set(swatches.map(swatch => swatch.attributes.y)).size > 1, 'on more than one line')
  for (const swatch of swatches) t.ok(Number(swatch.attributes.x) + 16 + 25 * 7 <= CHART_WIDTH, 'each entry within the width')
  const firstBar = Math.min(...barsOf(elements).map(bar => Number(bar.attributes.y)))
  t.ok(firstBar > Math.max(...swatches.map(swatch => Number(swatch.attributes.y))) + 12, 'the bars start below the legend')
})

t.test('formatCount: whole requests with thousands separators', async t => {
  t.equal(formatCount(0), '0')
  t.equal(formatCount(999.4), '999')
  t.equal(formatCount(999.5), '1,000')
  t.equal(formatCount(1_234_567.8), '1,234,568')
})
