// isRepeatedCookie of lib/token-locations.ts, the scan that finds a repeated
// cookie, must see exactly the names the cookie parser sees: a spelling it
// missed would let a planted cookie through, one it invented would refuse
// honest requests. It is checked here against the parser @fastify/cookie
// really uses, on hand-picked and generated headers. A file of its own beside
// token-locations.test.ts: it compares the scan with the parser directly,
// through an instrumented parser, where that file goes through the guards.
import t from 'tap'
import fastifyCookie from '@fastify/cookie'
import Fastify from 'fastify'
import { isRepeatedCookie } from '../lib/token-locations'

const MARK = '\u0000marked'

/**
 * The name of every cookie pair in the header, in order, as the real parser
 * reads them. The parser calls `decode` once for each pair whose name it has
 * not stored yet, and a value of undefined does not count as stored: with
 * every value undefined but the k-th, the one name that holds MARK is the
 * k-th pair's.
 */
async function parserNames (): Promise<(header: string) => string[]> {
  let calls = 0
  let marked = -1
  const decode = (): string | undefined => calls++ === marked ? MARK : undefined
  const app = Fastify()
  // @fastify/cookie passes parseOptions to the parser, but types them as serialize options.
  await app.register(fastifyCookie, { parseOptions: { decode } as never })
  await app.ready()
  t.teardown(() => app.close())
  return header => {
    calls = 0
    marked = -1
    app.parseCookie(header)
    const pairs = calls
    const names: string[] = []
    for (let k = 0; k < pairs; k++) {
      calls = 0
      marked = k
      const parsed = app.parseCookie(header)
      names.push(Object.keys(parsed).find(name => parsed[name] === MARK) as string)
    }
    return names
  }
}

function timesIn (names: string[], name: string): number {
  return names.filter(each => each === name).length
}

t.test('hand-picked headers', async t => {
  const namesOf = await parserNames()
  const cases: Array<[string, boolean]> = [
    ['', false],
    ['ab', false],
    ['ab=1', false],
    ['ab=1; ab=2', true],
    ['ab=1;ab=2', true],
    ['ab=; ab=', true],
    [' ab =1;\tab\t=2', true],
    ['ab=1; x=2; ab', false],
    ['ab; ab=1', false],
    ['ab; ab; ab=1', false],
    ['x; ab=1; y; ab=2', true],
    ['ab=ab=ab', false],
    ['cab=1; abc=2; ab=3', false],
    ['ab=1; abab=2', false],
    ['ab=1;', false],
    ['ab=1; ;ab=2;', true],
    ['ab=1; =2; ab', false],
    ['a b=1; ab=2', false],
    ['ab=1; AB=2', false]
  ]
  for (const [header, repeated] of cases) {
    t.equal(timesIn(namesOf(header), 'ab') >= 2, repeated, `the parser reads ${JSON.stringify(header)} as expected`)
    t.equal(isRepeatedCookie(header, 'ab'), repeated, `the scan agrees on ${JSON.stringify(header)}`)
  }
})

t.test('generated headers: the scan and the parser agree on every one', async t => {
  const namesOf = await parserNames()
  // A fixed-seed generator (mulberry32): the same headers on every run.
  let seed = 0x5eed
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const pieces = ['ab', 'ab=', 'ab=1;', ' ab =', '\tab\t', 'a', 'b', 'x', '=', ';', '; ', ' ', '\t']
  let disagreements = 0
  let repeats = 0
  const total = 20_000
  for (let i = 0; i < total; i++) {
    let header = ''
    const length = 1 + Math.floor(random() * 12)
    for (let j = 0; j < length; j++) header += pieces[Math.floor(random() * pieces.length)]
    const expected = timesIn(namesOf(header), 'ab') >= 2
    if (expected) repeats++
    if (isRepeatedCookie(header, 'ab') !== expected) {
      disagreements++
      t.fail(`the scan disagrees with the parser on ${JSON.stringify(header)}`)
    }
  }
  t.equal(disagreements, 0, 'no header on which the scan and the parser disagree')
  t.ok(repeats > total / 20, 'the generated headers include many repeats')
  t.ok(repeats < total / 2, 'and many headers without one')
})
