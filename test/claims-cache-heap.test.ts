// lib/claims-cache.ts, measured: the heap the claims cache really holds,
// after garbage collection. Filled with the largest tokens, in the shapes that
// cost the most heap per character, it stays within its byte budget; and a
// token cut out of a larger string (as cookie and query string parsers do)
// does not keep that string alive.
// Beside claims-cache.test.ts rather than in e2e/: it checks one promise of
// the cache, its byte budget, and goes through the verifier only because that
// is where the budget is set. A file of its own because it turns on
// --expose-gc for its process and measures everything that process keeps
// alive, so no other test may share it.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { AuthJwtClaims } from '../index'
import { CLAIMS_CACHE_BYTES, MAX_TOKEN_LENGTH } from '../lib/token-verifier'
import { buildApp, SECRET } from './helpers/app'
import { forge, raw } from './helpers/forge'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** The heap in use once everything unreachable has been collected. */
function heapUsed (): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const MiB = 1024 * 1024

const signed = (json: string): string => forge({ payload: raw(json), secret: SECRET })

// A token enters the cache on its second verification: a token sent once never does.
function admit (app: FastifyInstance, token: string): AuthJwtClaims {
  app.authJwt.decodeToken(token)
  return app.authJwt.decodeToken(token)
}
const repeat = (count: number, make: (i: number) => string): string => Array.from({ length: count }, (_, i) => make(i)).join(',')

// Payloads of near 16 KiB tokens; `n` makes each token distinct.
const shapes: Array<{ name: string, count: number, payload: (n: number) => string }> = [
  { name: 'one long string', count: 1500, payload: n => `{"sub":"${n}","pad":"${'x'.repeat(12_150)}"}` },
  { name: 'many empty objects', count: 200, payload: n => `{"sub":"${n}","pad":[${repeat(4040, () => '{}')}]}` },
  { name: 'many property names no other token uses', count: 300, payload: n => `{"sub":"${n}","pad":[${repeat(800, i => `{"${`${n}.${i}`.padEnd(8, '_')}":0}`)}]}` },
  { name: 'deeply nested arrays', count: 200, payload: n => `{"sub":"${n}","pad":${'['.repeat(6050)}${']'.repeat(6050)}}` }
]

for (const { name, count, payload } of shapes) {
  t.test(`large tokens of ${name}: the cache holds at most its budget`, async (t) => {
    const app = await buildApp(t)
    const first = signed(payload(0))
    const lastLength = signed(payload(count - 1)).length
    t.ok(Math.max(first.length, lastLength) <= MAX_TOKEN_LENGTH, 'within the 16 KiB limit')
    t.ok(Math.min(first.length, lastLength) > MAX_TOKEN_LENGTH - 512, 'near it')
    const firstClaims = admit(app, first)

    // Each token is made in the loop, so that after collection only what the cache keeps is left.
    const before = heapUsed()
    for (let n = 1; n < count; n++) admit(app, signed(payload(n)))
    const held = heapUsed() - before

    t.ok(held <= CLAIMS_CACHE_BYTES, `${(held / MiB).toFixed(1)} MiB held, within ${CLAIMS_CACHE_BYTES / MiB} MiB`)
    t.not(app.authJwt.decodeToken(first), firstClaims, 'the first token was evicted and is verified again')
  })
}

t.test('a token cut out of a larger string does not keep that string alive', async (t) => {
  const app = await buildApp(t)
  const tokens = Array.from({ length: 40 }, (_, i) => app.authJwt.createAccessToken({ subject: `user-${i}` }))
  const before = heapUsed()
  for (const token of tokens) {
    // A slice of a 1 MiB string, as a cookie or a query parameter is of its header or URL.
    const carrier = `${token};${'x'.repeat(MiB)}`
    admit(app, carrier.slice(0, token.length))
  }
  const held = heapUsed() - before
  t.ok(held < 4 * MiB, `${(held / MiB).toFixed(1)} MiB held for 40 cached tokens of about 300 bytes`)
  t.equal(app.authJwt.decodeToken(tokens[39]).sub, 'user-39', 'the token is cached under its text')
})

t.test('a flood of a million distinct valid tokens, each sent once, leaves the heap where it was', async (t) => {
  const app = await buildApp(t)
  const now = Math.floor(Date.now() / 1000)
  const before = heapUsed()
  // Made and verified one at a time: after collection, only what the plugin keeps is left.
  for (let n = 0; n < 1_000_000; n++) {
    app.authJwt.decodeToken(signed(`{"sub":"flood-${n}","iat":${now},"exp":${now + 900},"jti":"${n}"}`))
  }
  const held = heapUsed() - before
  t.ok(held < 4 * MiB, `${(held / MiB).toFixed(1)} MiB held after 1,000,000 one-off tokens: none of them was cached`)
  const reused = signed(`{"sub":"reused","iat":${now}}`)
  t.equal(app.authJwt.decodeToken(reused).sub, 'reused', 'a token sent after the flood is verified')
  t.equal(admit(app, reused), app.authJwt.decodeToken(reused), 'and cached from its second verification on')
})

t.test('tokens each sent twice: the cache holds at most 10,000 of them', async (t) => {
  const app = await buildApp(t)
  const now = Math.floor(Date.now() / 1000)
  const token = (n: number): string => signed(`{"sub":"user-${n}","iat":${now},"exp":${now + 900}}`)
  const first = admit(app, token(0))
  const before = heapUsed()
  for (let n = 1; n < 50_000; n++) admit(app, token(n))
  const held = heapUsed() - before
  // About 400 bytes per small token (the byte estimate says at most 600): 10,000 of them stay well under 8 MiB.
  t.ok(held < 8 * MiB, `${(held / MiB).toFixed(1)} MiB held after 50,000 tokens sent twice`)
  t.not(app.authJwt.decodeToken(token(0)), first, 'the first token was evicted')
  const last = app.authJwt.decodeToken(token(49_999))
  t.equal(app.authJwt.decodeToken(token(49_999)), last, 'the newest are cached')
})
