// Which routes count as guarded, and what their guards require together:
// the plugin's guards in any route-level hook, alone or in a list, the
// strictest requirement winning and the scopes adding up.
import t from 'tap'
import type { preHandlerHookHandler } from 'fastify'
import { freshJwtRequired, jwtOptional, jwtRefreshTokenRequired, jwtRequired } from '../../index'
import { describeGuard } from '../../lib/guard-registry'
import { routeGuard } from '../../lib/openapi/route-guard'
import { buildApp } from '../helpers/app'

const notAGuard: preHandlerHookHandler = (_request, _reply, done) => done()

function scopeGuard (scopes: string[], anyScope = false): preHandlerHookHandler {
  return describeGuard<preHandlerHookHandler>((_request, _reply, done) => done(), { requirement: 'access', scopes, anyScope })
}

t.test('a route without one of the plugin guards is not guarded', async t => {
  t.equal(routeGuard({}), undefined, 'no hooks')
  t.equal(routeGuard({ preHandler: notAGuard, onRequest: [notAGuard], preValidation: undefined }), undefined, 'other hooks')
  t.equal(routeGuard({ onSend: jwtRequired, preSerialization: [jwtRequired] }), undefined,
    'hooks that run after the handler guard nothing')
})

t.test('a guard counts in each hook that runs before the handler, alone or in a list', async t => {
  for (const hook of ['onRequest', 'preParsing', 'preValidation', 'preHandler']) {
    t.match(routeGuard({ [hook]: jwtRequired }), { requirement: 'access' }, `${hook}: a function`)
    t.match(routeGuard({ [hook]: [notAGuard, jwtRefreshTokenRequired] }), { requirement: 'refresh' }, `${hook}: in a list`)
  }
})

t.test('the instance decorators are recognised like the exported guards', async t => {
  const app = await buildApp(t)
  t.same(routeGuard({ preHandler: app.jwtRequired }), { requirement: 'access', allScopes: [], anyScopes: [] })
  t.match(routeGuard({ preHandler: app.jwtOptional }), { requirement: 'optional' })
  t.match(routeGuard({ preHandler: app.jwtRefreshTokenRequired }), { requirement: 'refresh' })
  t.match(routeGuard({ preHandler: app.freshJwtRequired }), { requirement: 'fresh' })
})

t.test('several guards: any that needs a token beats the optional one, whatever the order', async t => {
  t.match(routeGuard({ preHandler: [jwtOptional, jwtRequired] }), { requirement: 'access' })
  t.match(routeGuard({ onRequest: jwtRequired, preHandler: jwtOptional }), { requirement: 'access' })
  t.match(routeGuard({ preHandler: [jwtRequired, freshJwtRequired] }), { requirement: 'fresh' })
  t.match(routeGuard({ preHandler: [freshJwtRequired, jwtRequired] }), { requirement: 'fresh' })
  t.match(routeGuard({ preHandler: [jwtOptional, jwtOptional] }), { requirement: 'optional' })
})

t.test('scopes: those required all add up into one list; each "any of" list is kept apart', async t => {
  t.same(routeGuard({ preHandler: scopeGuard(['read', 'write']) }),
    { requirement: 'access', allScopes: ['read', 'write'], anyScopes: [] })
  t.same(routeGuard({ preHandler: [scopeGuard(['read', 'write']), scopeGuard(['write', 'admin'])] }),
    { requirement: 'access', allScopes: ['read', 'write', 'admin'], anyScopes: [] }, 'the union, each scope once')
  t.same(routeGuard({ preHandler: [scopeGuard(['a', 'b'], true), freshJwtRequired, scopeGuard(['c']), scopeGuard(['d', 'e'], true)] }),
    { requirement: 'fresh', allScopes: ['c'], anyScopes: [['a', 'b'], ['d', 'e']] })
  t.same(routeGuard({ preHandler: scopeGuard([]) }), { requirement: 'access', allScopes: [], anyScopes: [] },
    'an empty scope list adds nothing')
})
