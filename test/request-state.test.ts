// What a guard verified is kept on the request under the symbols of
// lib/request-state.ts, so that the plugin adds one name to the request,
// `authJwt`, and no name an application or another plugin could be using.
import t from 'tap'
import Fastify, { type FastifyRequest } from 'fastify'
import {
  kClaims, kCurrentUser, kRequestAuthJwt, kRevokedHere, kToken, kTokenLocation, kUserFoundBy, kUserToken
} from '../lib/request-state'
import { bearer, buildApp } from './helpers/app'

/** Every string name a request has, its own and its prototypes', and its own symbols. */
function keysOf (request: FastifyRequest): { names: Set<string>, symbols: symbol[] } {
  const names = new Set<string>()
  for (let object: object | null = request; object !== null && object !== Object.prototype; object = Object.getPrototypeOf(object)) {
    for (const name of Object.getOwnPropertyNames(object)) names.add(name)
  }
  return { names, symbols: Object.getOwnPropertySymbols(request) }
}

t.test('the plugin adds one name to the request, authJwt; its state is under the symbols of the request state', async t => {
  const seen: Array<ReturnType<typeof keysOf>> = []
  const bare = Fastify({ logger: false })
  t.teardown(() => bare.close())
  const withPlugin = await buildApp(t)
  for (const app of [bare, withPlugin]) app.get('/', async request => { seen.push(keysOf(request)); return {} })
  await bare.inject('/')
  await withPlugin.inject('/')

  const [before, after] = seen
  t.same([...after.names].filter(name => !before.names.has(name)), ['authJwt'], 'authJwt is the only new name')
  t.ok(withPlugin.hasRequestDecorator('authJwt'), 'authJwt is a request decorator')
  const added = after.symbols.filter(symbol => !before.symbols.includes(symbol))
  t.same(added.map(String).sort(),
    [kClaims, kCurrentUser, kRequestAuthJwt, kRevokedHere, kToken, kTokenLocation, kUserFoundBy, kUserToken].map(String).sort(),
    'the new symbols are those of the request state')
  t.ok([kClaims, kToken, kRequestAuthJwt].every(symbol => added.includes(symbol)), 'the very symbols, not look-alikes')
})

t.test('a guard fills the state; request.authJwt is built once per request and kept there', async t => {
  const app = await buildApp(t)
  const stateOf = (request: FastifyRequest) => request as unknown as Record<symbol, unknown>
  app.get('/state', { preHandler: app.jwtOptional }, async request => {
    const state = stateOf(request)
    const claims = state[kClaims] as { sub?: unknown } | null
    const unbuilt = state[kRequestAuthJwt] === null
    const helper = request.authJwt
    return {
      subject: claims === null ? null : claims.sub,
      token: state[kToken],
      unbuilt,
      kept: state[kRequestAuthJwt] === helper,
      same: helper === request.authJwt
    }
  })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })

  t.same((await app.inject({ url: '/state', headers: bearer(token) })).json(),
    { subject: 'alice', token, unbuilt: true, kept: true, same: true },
    'with a token: its claims and the token itself are kept; request.authJwt is built on first use, once')
  t.same((await app.inject({ url: '/state' })).json(),
    { subject: null, token: null, unbuilt: true, kept: true, same: true },
    'without a token: nothing verified, and each request gets its own request.authJwt')
})
