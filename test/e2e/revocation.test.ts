// Revocation through the plugin: the denylist on every guard, which token
// types it checks, the order of checks, failing closed, and revokeToken. How
// the check itself calls a hook or a store is in test/denylist/check.test.ts.
import t, { type Test } from 'tap'
import { createSigner } from 'fast-jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import {
  ConfigError,
  createMemoryDenylist,
  DenylistError,
  JWTDecodeError,
  type AuthJwtClaims,
  type DenylistStore,
  type FastifyJwtAuthOptions,
  type TokenInDenylist
} from '../../index'
import { buildApp, bearer, type LogLine } from '../helpers/app'
import { expectAuthError } from '../helpers/auth-error'
import { recordingHook, recordingStore, storeWith } from '../helpers/recording-store'

const SECRET = 'a-denylist-test-secret-long-enough-for-hs256'
const REVOKED = {
  statusCode: 401,
  code: 'FST_JWT_AUTH_TOKEN_REVOKED',
  error: 'Unauthorized',
  message: 'Token has been revoked'
}
const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'

interface Harness {
  app: FastifyInstance
  /** How many times a route handler ran. */
  handled: () => number
  logs: LogLine[]
}

// One route per guard, the in-handler check, and routes that revoke.
async function build (t: Test, options: FastifyJwtAuthOptions = {}): Promise<Harness> {
  // The app's warnings and errors go into `logs`, so that failures can be checked in it.
  const logs: LogLine[] = []
  const app = await buildApp(t, { secretKey: SECRET, denylistEnabled: true, ...options }, { logs })
  let handled = 0
  const whoami = async (request: FastifyRequest) => {
    handled++
    return { user: request.authJwt.getJwtSubject() }
  }
  app.get('/required', { preHandler: app.jwtRequired }, whoami)
  app.post('/required', { preHandler: app.jwtRequired }, whoami)
  app.get('/optional', { preHandler: app.jwtOptional }, whoami)
  app.get('/fresh', { preHandler: app.freshJwtRequired }, whoami)
  app.post('/refresh', { preHandler: app.jwtRefreshTokenRequired }, whoami)
  app.get('/inline', async request => {
    await request.authJwt.jwtRequired()
    return whoami(request)
  })

  app.delete('/access-revoke', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeToken()
    return { revoked: request.authJwt.getRawJwt()?.jti }
  })
  app.delete('/refresh-revoke', { preHandler: app.jwtRefreshTokenRequired }, async request => {
    await request.authJwt.revokeToken()
    return { revoked: true }
  })
  app.delete<{ Body: { token: string } }>('/revoke-given', { preHandler: app.jwtRequired }, async request => {
    await request.authJwt.revokeToken(request.body.token)
    return { revoked: true }
  })
  app.delete('/revoke-optional', { preHandler: app.jwtOptional }, async request => {
    await request.authJwt.revokeToken()
    return { revoked: true }
  })
  app.delete('/revoke-unguarded', async request => {
    await request.authJwt.revokeToken()
    return { revoked: true }
  })
  return { app, handled: () => handled, logs }
}

// A signed token with exactly these claims (no jti unless given).
const signRaw = createSigner({ key: SECRET })

t.test('a revoked access token is refused by every guard that takes access tokens', async t => {
  const { app, handled } = await build(t)
  const revoked = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  const sibling = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  for (const url of ['/required', '/optional', '/fresh', '/inline']) {
    t.equal((await app.inject({ url, headers: bearer(revoked) })).statusCode, 200, `${url}: passes before revoking`)
  }
  await app.authJwt.revokeToken(revoked)
  const before = handled()

  for (const url of ['/required', '/optional', '/fresh', '/inline']) {
    const response = await app.inject({ url, headers: bearer(revoked) })
    t.equal(response.statusCode, 401, `${url}: 401`)
    t.same(response.json(), REVOKED, `${url}: revoked`)
    t.equal(response.headers['www-authenticate'], INVALID_TOKEN_CHALLENGE, `${url}: invalid_token challenge`)
    t.notMatch(response.body, revoked, `${url}: the token is not echoed`)
  }
  t.equal(handled(), before, 'no handler ran for the revoked token')

  t.test('other tokens of the same user still pass', async t => {
    for (const url of ['/required', '/optional', '/fresh', '/inline']) {
      t.same((await app.inject({ url, headers: bearer(sibling) })).json(), { user: 'alice' }, `${url}: passes as alice`)
    }
    t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).statusCode, 200,
      'the refresh token of the same user passes')
  })

  t.test('jwtOptional without a token still runs anonymously', async t => {
    t.same((await app.inject({ url: '/optional' })).json(), { user: null }, 'anonymous: no user')
  })
})

t.test('a revoked refresh token is refused on the refresh route', async t => {
  const { app } = await build(t)
  const revoked = app.authJwt.createRefreshToken({ subject: 'alice' })
  const sibling = app.authJwt.createRefreshToken({ subject: 'alice' })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(revoked) })).statusCode, 200,
    'the refresh token passes before revoking')

  await app.authJwt.revokeToken(revoked)
  const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(revoked) })
  t.equal(response.statusCode, 401, 'refused with 401 after revoking')
  t.same(response.json(), REVOKED, 'as revoked')
  t.equal(response.headers['www-authenticate'], INVALID_TOKEN_CHALLENGE, 'with the invalid_token challenge')

  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(sibling) })).statusCode, 200,
    'another refresh token of the same user passes')
  t.equal((await app.inject({ url: '/required', headers: bearer(access) })).statusCode, 200,
    'the access token of the same user passes')
})

t.test('denylistTokenChecks decides which token types are checked', async t => {
  const cases: Array<{ checks: Array<'access' | 'refresh'>, access: number, refresh: number }> = [
    { checks: ['access', 'refresh'], access: 401, refresh: 401 },
    { checks: ['access'], access: 401, refresh: 200 },
    { checks: ['refresh'], access: 200, refresh: 401 },
    { checks: [], access: 200, refresh: 200 }
  ]
  for (const { checks, access, refresh } of cases) {
    t.test(`[${checks.join(', ')}]`, async t => {
      const { store, looked, inner } = recordingStore()
      const { app } = await build(t, { denylistTokenChecks: checks, denylistStore: store })
      const accessToken = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
      const refreshToken = app.authJwt.createRefreshToken({ subject: 'alice' })
      // Both are in the store (revokeToken refuses the unchecked type, so
      // those go in directly): only the checked types are refused.
      for (const token of [accessToken, refreshToken]) {
        const claims = app.authJwt.decodeToken(token)
        const identity = { subject: claims.sub, issuedAt: claims.iat }
        if (checks.includes(claims.type as 'access' | 'refresh')) await app.authJwt.revokeToken(token)
        else await inner.add(claims.jti as string, claims.exp as number, identity)
        t.equal(await inner.has(claims.jti as string, identity), true, `the ${claims.type} token is in the store`)
      }

      for (const url of ['/required', '/optional', '/fresh']) {
        const response = await app.inject({ url, headers: bearer(accessToken) })
        t.equal(response.statusCode, access, `access token on ${url}`)
        if (access === 401) t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_REVOKED', `${url}: refused as revoked`)
      }
      const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refreshToken) })
      t.equal(response.statusCode, refresh, 'refresh token on the refresh route')
      if (refresh === 401) t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_REVOKED', 'refresh token: refused as revoked')

      t.equal(looked.length, (checks.includes('access') ? 3 : 0) + (checks.includes('refresh') ? 1 : 0),
        'the store is asked about checked types only')
    })
  }
})

t.test('denylistEnabled false: nothing is checked', async t => {
  const { hook, calls } = recordingHook(() => true)
  const { store, looked, added } = recordingStore()
  const { app } = await build(t, { denylistEnabled: false, tokenInDenylist: hook, denylistStore: store })
  const access = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  for (const url of ['/required', '/optional', '/fresh', '/inline']) {
    t.equal((await app.inject({ url, headers: bearer(access) })).statusCode, 200, `${url}: passes unchecked`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).statusCode, 200,
    'the refresh token passes')
  const withoutJti = signRaw({ sub: 'alice', type: 'access' })
  t.equal((await app.inject({ url: '/required', headers: bearer(withoutJti) })).statusCode, 200,
    'a token without jti is fine when nothing is checked')
  t.equal(calls.length, 0, 'the hook is never called')
  t.same(looked, [], 'the store is never asked')

  // Revoking into a denylist that nobody checks would look like a logout that is not one.
  await t.rejects(app.authJwt.revokeToken(access), { constructor: ConfigError, code: 'FST_JWT_AUTH_CONFIG' },
    'app.authJwt.revokeToken refuses with a ConfigError')
  t.same(added, [], 'nothing was stored')
  const response = await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })
  t.equal(response.statusCode, 500, 'request.authJwt.revokeToken() answers 500')
  t.equal(response.json().code, 'FST_JWT_AUTH_CONFIG', 'with the configuration error')
  t.equal((await app.inject({ url: '/required', headers: bearer(access) })).statusCode, 200,
    'the token still passes: nothing was revoked')
})

t.test('a custom tokenInDenylist hook decides', async t => {
  t.test('it gets the verified claims and the request', async t => {
    // Revoked when the request names the token's jti in a header.
    const { hook, calls } = recordingHook((claims, request) => request.headers['x-revoke'] === claims.jti)
    const { app } = await build(t, { tokenInDenylist: hook })
    const token = app.authJwt.createAccessToken({ subject: 'alice', userClaims: { role: 'admin' } })
    const jti = app.authJwt.getJti(token) as string

    t.equal((await app.inject({ url: '/required', headers: { ...bearer(token), 'x-revoke': 'other' } })).statusCode, 200,
      'a hook answering false lets the token pass')
    const response = await app.inject({ url: '/required?from=test', headers: { ...bearer(token), 'x-revoke': jti } })
    t.same(response.json(), REVOKED, 'a hook answering true refuses it as revoked')
    t.equal(calls.length, 2, 'the hook was called once per request')
    const { claims, request } = calls[1]
    t.match(claims, { sub: 'alice', jti, type: 'access', role: 'admin' },
      'the hook got the verified claims, custom ones included')
    t.equal(request.url, '/required?from=test', 'the hook got the request, with its URL')
    t.equal(request.method, 'GET', 'and its method')
  })

  t.test('the hook replaces the store lookup', async t => {
    const { store, looked } = recordingStore()
    const { hook } = recordingHook(() => false)
    const { app } = await build(t, { tokenInDenylist: hook, denylistStore: store })
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    await app.authJwt.revokeToken(token)
    t.equal((await app.inject({ url: '/required', headers: bearer(token) })).statusCode, 200,
      'the hook said no, so the token passes although the store has it')
    t.same(looked, [], 'the store was never asked')
    t.equal(await store.has(app.authJwt.getJti(token) as string), true, 'revokeToken still wrote to the store')
  })
})

t.test('the hook runs last: not called when an earlier check fails', async t => {
  const { hook, calls } = recordingHook(() => true)
  const { app, handled } = await build(t, { tokenInDenylist: hook })
  const other = await build(t, { secretKey: 'another-secret-that-is-long-enough-for-hs256', tokenInDenylist: hook })
  t.teardown(() => other.app.close())
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

  const cases: Array<[string, { method?: 'GET' | 'POST', url: string, headers: Record<string, string> }, string]> = [
    ['no token', { url: '/required', headers: {} }, 'FST_JWT_AUTH_MISSING_TOKEN'],
    ['a bad header', { url: '/required', headers: { authorization: 'Basic abc' } }, 'FST_JWT_AUTH_BAD_HEADER'],
    ['a bad signature', { url: '/required', headers: bearer(other.app.authJwt.createAccessToken({ subject: 'alice' })) },
      'FST_JWT_AUTH_TOKEN_INVALID'],
    ['garbage', { url: '/optional', headers: bearer('not.a.token') }, 'FST_JWT_AUTH_TOKEN_INVALID'],
    ['an expired token', { url: '/required', headers: bearer(app.authJwt.createAccessToken({ subject: 'a', expiresTime: 0 })) },
      'FST_JWT_AUTH_TOKEN_EXPIRED'],
    ['a refresh token where an access token is required', { url: '/required', headers: bearer(refresh) },
      'FST_JWT_AUTH_ACCESS_REQUIRED'],
    ['a refresh token on jwtOptional', { url: '/optional', headers: bearer(refresh) }, 'FST_JWT_AUTH_ACCESS_REQUIRED'],
    ['an access token on the refresh route', { method: 'POST', url: '/refresh', headers: bearer(access) },
      'FST_JWT_AUTH_REFRESH_REQUIRED'],
    ['a token that is not fresh', { url: '/fresh', headers: bearer(access) }, 'FST_JWT_AUTH_FRESH_REQUIRED']
  ]
  for (const [name, request, code] of cases) {
    const response = await app.inject(request)
    t.equal(response.json().code, code, `${name}: refused with ${code}`)
    t.equal(calls.length, 0, `${name}: the hook was not called`)
  }

  t.test('CSRF: missing and mismatched values are refused before the hook', async t => {
    const cookieApp = await build(t, { tokenLocation: ['cookies'], tokenInDenylist: hook })
    t.teardown(() => cookieApp.app.close())
    const token = cookieApp.app.authJwt.createAccessToken({ subject: 'alice' })
    const csrf = cookieApp.app.authJwt.decodeToken(token).csrf as string
    const cookie = `access_token_cookie=${token}`
    const post = (headers: Record<string, string>) =>
      cookieApp.app.inject({ method: 'POST', url: '/required', headers: { cookie, ...headers } })

    t.equal((await post({})).json().code, 'FST_JWT_AUTH_CSRF_MISSING', 'CSRF value missing: refused before the hook')
    t.equal((await post({ 'x-csrf-token': 'wrong' })).json().code, 'FST_JWT_AUTH_CSRF_MISMATCH',
      'CSRF value wrong: refused before the hook')
    t.equal(calls.length, 0, 'the hook was not called')
    t.same((await post({ 'x-csrf-token': csrf })).json(), REVOKED, 'with the right value the hook decides')
    t.equal(calls.length, 1, 'the hook was called once')
    calls.length = 0
  })

  t.test('a passing token reaches the hook exactly once', async t => {
    t.same((await app.inject({ url: '/required', headers: bearer(access) })).json(), REVOKED,
      'the hook refused the token as revoked')
    t.equal(calls.length, 1, 'the hook was called once')
  })
  t.equal(handled(), 0, 'no handler ever ran')
})

// Every way a check can fail is in test/denylist/check.test.ts; here, one
// failure at once, one awaited, and one of the store, through every guard.
t.test('fail closed: a hook or store that cannot answer fails with 500', async t => {
  const boom = (claims: AuthJwtClaims) => new Error(`lookup of ${String(claims.jti)} failed`)
  const cases: Array<[string, FastifyJwtAuthOptions]> = [
    ['a hook that throws', { tokenInDenylist: claims => { throw boom(claims) } }],
    ['a hook that resolves undefined', { tokenInDenylist: (async () => undefined) as unknown as TokenInDenylist }],
    ['a store whose has() rejects', {
      denylistStore: storeWith({ add: async () => {}, has: async (jti: string) => { throw new Error(`no ${jti}`) } })
    }]
  ]
  for (const [name, options] of cases) {
    t.test(name, async t => {
      const { app, handled, logs } = await build(t, options)
      const access = app.authJwt.createAccessToken({ subject: 'alice', fresh: true })
      const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
      const jtis = [app.authJwt.getJti(access), app.authJwt.getJti(refresh)] as string[]
      const requests = [
        { url: '/required', headers: bearer(access) },
        { url: '/optional', headers: bearer(access) },
        { url: '/fresh', headers: bearer(access) },
        { url: '/inline', headers: bearer(access) },
        { method: 'POST' as const, url: '/refresh', headers: bearer(refresh) }
      ]
      for (const request of requests) {
        const response = await app.inject(request)
        t.equal(response.statusCode, 500, `${request.url}: 500`)
        t.match(response.json(), {
          statusCode: 500,
          code: 'FST_JWT_AUTH_DENYLIST_FAILED',
          error: 'Internal Server Error'
        }, `${request.url}: the denylist failure`)
        for (const secret of [access, refresh, ...jtis]) {
          t.notOk(response.body.includes(secret), `${request.url}: neither token nor jti in the response`)
        }
      }
      t.equal(handled(), 0, 'no handler ran')

      const errors = logs.filter(line => line.level >= 50 && JSON.stringify(line).includes('FST_JWT_AUTH_DENYLIST_FAILED'))
      t.equal(errors.length, requests.length, 'each failure is logged as an error naming the code')
      for (const line of errors) {
        for (const token of [access, refresh]) t.notOk(JSON.stringify(line).includes(token), 'no token in the log')
      }
    })
  }
})

t.test('a token without jti is refused only where its type is checked', async t => {
  const access = signRaw({ sub: 'alice', type: 'access', fresh: true })
  const refresh = signRaw({ sub: 'alice', type: 'refresh' })
  const untyped = signRaw({ sub: 'alice' })

  t.test('checked: 401 invalid, and the hook is not called', async t => {
    const { hook, calls } = recordingHook(() => false)
    const { app } = await build(t, { tokenInDenylist: hook })
    for (const [url, token] of [['/required', access], ['/optional', access], ['/fresh', access], ['/required', untyped]]) {
      const response = await app.inject({ url, headers: bearer(token) })
      t.equal(response.statusCode, 401, `${url}: 401`)
      t.same(response.json(), {
        statusCode: 401,
        code: 'FST_JWT_AUTH_TOKEN_INVALID',
        error: 'Unauthorized',
        message: 'Token is missing the "jti" claim'
      }, `${url}: 401 invalid, naming the missing claim`)
      t.equal(response.headers['www-authenticate'], INVALID_TOKEN_CHALLENGE, `${url}: invalid_token challenge`)
    }
    const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })
    t.equal(response.json().code, 'FST_JWT_AUTH_TOKEN_INVALID', 'a refresh token without jti on the refresh route: invalid')
    t.equal(calls.length, 0, 'the hook was never called')
  })

  t.test('unchecked types pass', async t => {
    const accessOnly = await build(t, { denylistTokenChecks: ['access'] })
    t.teardown(() => accessOnly.app.close())
    t.equal((await accessOnly.app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).statusCode, 200,
      '[access]: a refresh token without jti passes')
    t.equal((await accessOnly.app.inject({ url: '/required', headers: bearer(access) })).statusCode, 401,
      '[access]: an access token without jti is refused')

    const refreshOnly = await build(t, { denylistTokenChecks: ['refresh'] })
    t.teardown(() => refreshOnly.app.close())
    t.equal((await refreshOnly.app.inject({ url: '/required', headers: bearer(access) })).statusCode, 200,
      '[refresh]: an access token without jti passes')
    t.equal((await refreshOnly.app.inject({ url: '/required', headers: bearer(untyped) })).statusCode, 200,
      '[refresh]: a token without type or jti passes')
    t.equal((await refreshOnly.app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).statusCode, 401,
      '[refresh]: a refresh token without jti is refused')
  })

  t.test('cannot be revoked', async t => {
    const { app } = await build(t)
    await t.rejects(app.authJwt.revokeToken(access), TypeError, 'an encoded access token without jti cannot be revoked')
    await t.rejects(app.authJwt.revokeToken(app.authJwt.decodeToken(refresh)), TypeError,
      'the claims of a refresh token without jti cannot be revoked')
  })
})

t.test('revokeToken', async t => {
  t.test('through app.authJwt, with an encoded token or with its claims', async t => {
    const { store, added } = recordingStore()
    const { app } = await build(t, { denylistStore: store })
    const byString = app.authJwt.createAccessToken({ subject: 'alice' })
    const byClaims = app.authJwt.createAccessToken({ subject: 'alice' })
    const untouched = app.authJwt.createAccessToken({ subject: 'alice' })

    await app.authJwt.revokeToken(byString)
    const claims = app.authJwt.decodeToken(byClaims)
    await app.authJwt.revokeToken(claims)
    t.same(added.map(([jti]) => jti), [app.authJwt.getJti(byString), claims.jti], 'both jtis reached the store')

    t.same((await app.inject({ url: '/required', headers: bearer(byString) })).json(), REVOKED,
      'the token revoked as a string is refused')
    t.same((await app.inject({ url: '/required', headers: bearer(byClaims) })).json(), REVOKED,
      'the token revoked by its claims is refused')
    t.equal((await app.inject({ url: '/required', headers: bearer(untouched) })).statusCode, 200,
      'another token of the same user passes')

    await app.authJwt.revokeToken(byString)
    t.same((await app.inject({ url: '/required', headers: bearer(byString) })).json(), REVOKED, 'revoking twice is harmless')
  })

  t.test('an invalid token is not revoked', async t => {
    const { store, added } = recordingStore()
    const { app } = await build(t, { denylistStore: store })
    const other = await build(t, { secretKey: 'another-secret-that-is-long-enough-for-hs256' })
    t.teardown(() => other.app.close())
    const foreign = other.app.authJwt.createAccessToken({ subject: 'alice' })
    const error = await app.authJwt.revokeToken(foreign).then(() => null, (e: unknown) => e)
    t.ok(error instanceof JWTDecodeError, 'a token of another key: JWTDecodeError')
    t.match(error, { code: 'FST_JWT_AUTH_TOKEN_INVALID' }, '401 invalid')
    t.notOk(String((error as Error).message).includes(foreign), 'the message does not echo the token')
    await t.rejects(app.authJwt.revokeToken('garbage'), { code: 'FST_JWT_AUTH_TOKEN_INVALID' },
      'a token that is not a JWT is refused too')
    t.same(added, [], 'nothing was stored')
  })

  t.test('through request.authJwt: the current token by default', async t => {
    const { app } = await build(t)
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const sibling = app.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })

    const revoked = await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })
    t.same(revoked.json(), { revoked: app.authJwt.getJti(access) }, 'the route revoked the token it was called with')
    t.same((await app.inject({ url: '/required', headers: bearer(access) })).json(), REVOKED, 'that token is refused afterwards')
    t.same((await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })).json(), REVOKED,
      'a revoked token cannot revoke itself again')
    t.equal((await app.inject({ url: '/required', headers: bearer(sibling) })).statusCode, 200,
      'another access token of the user passes')

    t.equal((await app.inject({ method: 'DELETE', url: '/refresh-revoke', headers: bearer(refresh) })).statusCode, 200,
      'the refresh token revokes itself on the refresh route')
    t.same((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json(), REVOKED,
      'that refresh token is refused afterwards')
    t.equal((await app.inject({ url: '/required', headers: bearer(sibling) })).statusCode, 200,
      'the access token of the user still passes')
  })

  t.test('through request.authJwt with a given token', async t => {
    const { app } = await build(t)
    const caller = app.authJwt.createAccessToken({ subject: 'alice' })
    const target = app.authJwt.createRefreshToken({ subject: 'alice' })
    const response = await app.inject({ method: 'DELETE', url: '/revoke-given', headers: bearer(caller), payload: { token: target } })
    t.equal(response.statusCode, 200, 'the route revoked the given token')
    t.same((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(target) })).json(), REVOKED,
      'the given token is refused afterwards')
    t.equal((await app.inject({ url: '/required', headers: bearer(caller) })).statusCode, 200, 'the caller stays valid')
  })

  t.test('through request.authJwt without a verified token: 401 missing', async t => {
    const { app } = await build(t)
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    for (const request of [
      { method: 'DELETE' as const, url: '/revoke-unguarded', headers: bearer(token) },
      { method: 'DELETE' as const, url: '/revoke-optional', headers: {} }
    ]) {
      const response = await app.inject(request)
      t.equal(response.statusCode, 401, `${request.url}: 401`)
      t.equal(response.json().code, 'FST_JWT_AUTH_MISSING_TOKEN', `${request.url}: missing token`)
      t.equal(response.headers['www-authenticate'], 'Bearer', `${request.url}: bare Bearer challenge`)
    }
    t.equal((await app.inject({ url: '/required', headers: bearer(token) })).statusCode, 200,
      'a token sent to an unguarded route is not revoked')
  })

  t.test('a store that cannot add fails with 500, and nothing leaks', async t => {
    const { app, logs } = await build(t, {
      denylistStore: storeWith({ add: async (jti: string) => { throw new Error(`cannot add ${jti}`) }, has: async () => false })
    })
    const token = app.authJwt.createAccessToken({ subject: 'alice' })
    const jti = app.authJwt.getJti(token) as string
    await t.rejects(app.authJwt.revokeToken(token), { constructor: DenylistError, code: 'FST_JWT_AUTH_DENYLIST_FAILED' },
      'app.authJwt.revokeToken rejects with DenylistError')
    const response = await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(token) })
    t.equal(response.statusCode, 500, 'request.authJwt.revokeToken() answers 500')
    t.equal(response.json().code, 'FST_JWT_AUTH_DENYLIST_FAILED', 'with the denylist failure')
    t.notOk(response.body.includes(jti), 'the jti is not in the answer')
    t.notOk(response.body.includes(token), 'nor the token')
    t.ok(logs.some(line => line.level >= 50 && line.err?.code === 'FST_JWT_AUTH_DENYLIST_FAILED'),
      'the failure is logged as an error')
  })

  t.test('a full memory store refuses the revocation instead of forgetting one', async t => {
    const { app } = await build(t, { denylistStore: createMemoryDenylist({ maxEntries: 1 }) })
    const first = app.authJwt.createAccessToken({ subject: 'alice' })
    const second = app.authJwt.createAccessToken({ subject: 'bob' })
    await app.authJwt.revokeToken(first)
    const response = await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(second) })
    t.equal(response.statusCode, 500, 'the logout fails')
    t.same(response.json(), {
      statusCode: 500,
      code: 'FST_JWT_AUTH_DENYLIST_FAILED',
      error: 'Internal Server Error',
      message: 'The denylist is full: revocation refused'
    }, 'with a fixed message that does not reveal maxEntries')
    t.same((await app.inject({ url: '/required', headers: bearer(first) })).json(), REVOKED, 'the first stays revoked')
  })

  t.test('the store gets the token\'s subject and iat with each revocation', async t => {
    const { store, added, addedTokens } = recordingStore()
    const { app } = await build(t, { denylistStore: store })
    const byName = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
    const byNumber = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 42 }))
    await app.authJwt.revokeToken(byName)
    await app.authJwt.revokeToken(byNumber)
    t.same(added, [[byName.jti, byName.exp], [byNumber.jti, byNumber.exp]], 'jti and expiry as before')
    t.same(addedTokens, [
      { subject: 'alice', issuedAt: byName.iat },
      { subject: 42, issuedAt: byNumber.iat }
    ], 'and the identity, the subject keeping its type')
    t.type(byName.iat, 'number', 'the tokens have an iat')

    const withoutIat = createSigner({ key: SECRET, noTimestamp: true })({ sub: 'carol', jti: 'no-iat', type: 'access' })
    t.equal(app.authJwt.decodeToken(withoutIat).iat, undefined, 'this token has no iat')
    await app.authJwt.revokeToken(withoutIat)
    t.same(addedTokens[2], { subject: 'carol', issuedAt: undefined }, 'a token without iat: issuedAt undefined')
    t.same((await app.inject({ url: '/required', headers: bearer(withoutIat) })).json(), REVOKED, 'and it is refused')
  })

  t.test('claims built by hand are kept by jti alone: they can never be folded away', async t => {
    const { store, added, addedTokens } = recordingStore()
    const { app } = await build(t, { denylistStore: store })
    const verified = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
    await app.authJwt.revokeToken({ ...verified })
    t.same(added, [[verified.jti, verified.exp]], 'a copy of verified claims is revoked by jti and exp')
    t.same(addedTokens, [undefined], 'but without an identity: only the verifier\'s own claims carry one')
    const own = (value: unknown) => ({ value, enumerable: true })
    const inheriting = Object.create(verified, { jti: own('inheriting'), sub: own('erin'), iat: own(1) }) as AuthJwtClaims
    await app.authJwt.revokeToken(inheriting)
    t.same(addedTokens[1], undefined, 'an object that inherits from verified claims is built by hand too')
    t.same((await app.inject({ url: '/required', headers: bearer(app.authJwt.createAccessToken({ subject: 'alice' })) })).statusCode,
      200, 'the subject\'s other tokens are untouched')
  })

  t.test('a subject past the fold limit: revocations from hand-built claims stay revoked', async t => {
    // The store folds one subject's revocations into a cut-off by iat. Hand-built
    // claims (rows of a session table: jti, sub, exp) may lack the iat or carry
    // the sub as another type; folded by them, the real tokens came back.
    const { app } = await build(t)
    const sessions = Array.from({ length: 101 }, () => app.authJwt.createRefreshToken({ subject: 42 }))
    for (const token of sessions) {
      const { jti, exp } = app.authJwt.decodeToken(token)
      await app.authJwt.revokeToken({ jti, sub: '42', exp } as AuthJwtClaims)
    }
    let refused = 0
    for (const token of sessions) {
      const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(token) })
      if (response.statusCode === 401 && response.json().code === 'FST_JWT_AUTH_TOKEN_REVOKED') refused++
    }
    t.equal(refused, sessions.length, 'every one of the 101 revoked sessions is refused')

    // The user's own logouts, by verified token, fold; a session revoked by hand stays revoked.
    const stolen = app.authJwt.createRefreshToken({ subject: 'bob' })
    const { jti, exp } = app.authJwt.decodeToken(stolen)
    await app.authJwt.revokeToken({ jti, sub: 'bob', exp } as AuthJwtClaims)
    for (let i = 0; i < 101; i++) await app.authJwt.revokeToken(app.authJwt.createRefreshToken({ subject: 'bob' }))
    const response = await app.inject({ method: 'POST', url: '/refresh', headers: bearer(stolen) })
    expectAuthError(t, response, 'FST_JWT_AUTH_TOKEN_REVOKED', { what: 'the session revoked by hand, after bob\'s own 101 logouts' })
  })
})

t.test('with tokenInDenylist and no denylistStore, revokeToken refuses: the hook alone decides', async t => {
  const { app } = await build(t, { tokenInDenylist: () => false })
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  await t.rejects(app.authJwt.revokeToken(token), {
    constructor: ConfigError,
    code: 'FST_JWT_AUTH_CONFIG',
    message: 'revokeToken needs a denylistStore when tokenInDenylist is set: the hook alone decides'
  }, 'a revocation no lookup would ever read is refused')
  t.equal((await app.inject({ url: '/required', headers: bearer(token) })).statusCode, 200, 'the hook still decides')

  const { store, added } = recordingStore()
  const withStore = await build(t, { tokenInDenylist: () => false, denylistStore: store })
  await withStore.app.authJwt.revokeToken(withStore.app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal(added.length, 1, 'with a store given, the revocation is written there for the hook to read')
})

t.test('a revocation lasts until the token expires', async t => {
  t.test('the store gets the token\'s exp, or null for a token that never expires', async t => {
    const { store, added, inner } = recordingStore()
    const { app } = await build(t, { denylistStore: store })
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
    const eternal = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: false })
    for (const token of [access, refresh, eternal]) await app.authJwt.revokeToken(token)
    const claims = [access, refresh, eternal].map(token => app.authJwt.decodeToken(token))
    t.same(added, [[claims[0].jti, claims[0].exp], [claims[1].jti, claims[1].exp], [claims[2].jti, null]],
      'jti and exp of each token, null for the one that never expires')
    t.equal(claims[1].exp, (claims[1].iat as number) + 2_592_000, 'the refresh token\'s 30 days')
    for (const { jti } of claims) t.equal(await inner.has(jti as string), true, `the store holds ${jti as string}`)
  })

  t.test('revoked until exp, then expired (and forgotten)', async t => {
    const store = createMemoryDenylist()
    const { app } = await build(t, { denylistStore: store })
    const token = app.authJwt.createAccessToken({ subject: 'alice', expiresTime: 1 })
    const { jti, exp } = app.authJwt.decodeToken(token)
    await app.authJwt.revokeToken(token)
    t.equal(await store.has(jti as string), true, 'the store holds the jti')
    t.same((await app.inject({ url: '/required', headers: bearer(token) })).json(), REVOKED, 'the token is refused as revoked')

    await new Promise(resolve => setTimeout(resolve, Math.max(0, (exp as number) * 1000 - Date.now()) + 20))
    t.equal(await store.has(jti as string), false, 'forgotten once the token has expired')
    t.equal((await app.inject({ url: '/required', headers: bearer(token) })).json().code, 'FST_JWT_AUTH_TOKEN_EXPIRED',
      'the token is refused as expired from then on')
  })
})

t.test('revokeToken refuses a token type that denylistTokenChecks does not check', async t => {
  const configError = (type: string) => ({
    constructor: ConfigError,
    code: 'FST_JWT_AUTH_CONFIG',
    message: new RegExp(`${type} tokens.*denylistTokenChecks`)
  })

  t.test('[refresh]: access tokens, and tokens without type, are refused on both APIs', async t => {
    const { store, added } = recordingStore()
    const { app } = await build(t, { denylistTokenChecks: ['refresh'], denylistStore: store })
    const access = app.authJwt.createAccessToken({ subject: 'alice' })
    const untyped = signRaw({ sub: 'alice', jti: 'untyped-jti' })

    await t.rejects(app.authJwt.revokeToken(access), configError('access'), 'fastify.authJwt.revokeToken(encoded)')
    await t.rejects(app.authJwt.revokeToken(app.authJwt.decodeToken(access)), configError('access'),
      'fastify.authJwt.revokeToken(claims)')
    await t.rejects(app.authJwt.revokeToken(untyped), configError('access'), 'a token without type counts as access')

    const own = await app.inject({ method: 'DELETE', url: '/revoke-unguarded', headers: bearer(access) })
    t.equal(own.statusCode, 401, 'an unguarded route has no verified token to revoke')
    const current = await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })
    t.equal(current.statusCode, 500, 'request.authJwt.revokeToken() fails')
    t.equal(current.json().code, 'FST_JWT_AUTH_CONFIG', 'with the configuration error')
    const caller = app.authJwt.createAccessToken({ subject: 'bob' })
    const given = await app.inject({ method: 'DELETE', url: '/revoke-given', headers: bearer(caller), payload: { token: access } })
    t.equal(given.json().code, 'FST_JWT_AUTH_CONFIG', 'request.authJwt.revokeToken(token) fails alike')
    t.same(added, [], 'the store was never touched')

    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
    t.equal((await app.inject({ method: 'DELETE', url: '/refresh-revoke', headers: bearer(refresh) })).statusCode, 200,
      'a refresh token is revoked as before')
    t.same((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json(), REVOKED,
      'and refused afterwards')
  })

  t.test('[access]: refresh tokens are refused', async t => {
    const { store, added } = recordingStore()
    const { app } = await build(t, { denylistTokenChecks: ['access'], denylistStore: store })
    const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
    await t.rejects(app.authJwt.revokeToken(refresh), configError('refresh'), 'fastify.authJwt.revokeToken')
    const response = await app.inject({ method: 'DELETE', url: '/refresh-revoke', headers: bearer(refresh) })
    t.equal(response.statusCode, 500, 'request.authJwt.revokeToken() fails')
    t.equal(response.json().code, 'FST_JWT_AUTH_CONFIG', 'with the configuration error')
    t.same(added, [], 'the store was never touched')
  })

  t.test('[]: every type is refused, and claims of a type the plugin does not issue too', async t => {
    const { store, added } = recordingStore()
    const { app } = await build(t, { denylistTokenChecks: [], denylistStore: store })
    await t.rejects(app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'a' })), configError('access'), 'access')
    await t.rejects(app.authJwt.revokeToken(app.authJwt.createRefreshToken({ subject: 'a' })), configError('refresh'), 'refresh')
    const odd = { sub: 'a', jti: 'odd', type: 'id' } as unknown as AuthJwtClaims
    await t.rejects(app.authJwt.revokeToken(odd), {
      constructor: ConfigError,
      message: 'revokeToken cannot revoke tokens of this type: denylistTokenChecks does not check them'
    }, 'a type of its own')
    t.same(added, [], 'the store was never touched')
  })
})

t.test('custom stores whose add(jti, expiresAt) and has(jti) ignore the token\'s identity still revoke by jti', async t => {
  const revoked = new Map<string, number | null>()
  // No third argument, no second one for has: the identity is the store's to use or not.
  const store: DenylistStore = storeWith({
    async add (jti: string, expiresAt: number | null) { revoked.set(jti, expiresAt) },
    async has (jti: string) { return revoked.has(jti) }
  })
  const { app } = await build(t, { denylistStore: store })
  const access = app.authJwt.createAccessToken({ subject: 'alice' })
  const sibling = app.authJwt.createAccessToken({ subject: 'alice' })
  const refresh = app.authJwt.createRefreshToken({ subject: 'alice' })
  t.equal((await app.inject({ method: 'DELETE', url: '/access-revoke', headers: bearer(access) })).statusCode, 200,
    'request.authJwt.revokeToken() writes to it')
  await app.authJwt.revokeToken(refresh)
  t.same([...revoked.keys()], [app.authJwt.getJti(access), app.authJwt.getJti(refresh)], 'both jtis reached the store')
  t.same((await app.inject({ url: '/required', headers: bearer(access) })).json(), REVOKED, 'the revoked access token is refused')
  t.same((await app.inject({ method: 'POST', url: '/refresh', headers: bearer(refresh) })).json(), REVOKED,
    'the revoked refresh token is refused')
  t.equal((await app.inject({ url: '/required', headers: bearer(sibling) })).statusCode, 200, 'another token passes')
})

t.test('lookups hand the token\'s subject and iat to the store, so a folded subject is refused', async t => {
  // One revocation listed per subject: the second folds alice's into a cut-off.
  const memory = () => createMemoryDenylist({ maxEntriesPerSubject: 1 })
  const { store: promiseStore, lookedTokens } = recordingStore(memory())
  const stores: Array<[string, DenylistStore]> = [['synchronous lookup', memory()], ['has()', promiseStore]]
  for (const [name, store] of stores) {
    t.test(name, async t => {
      const { app } = await build(t, { denylistStore: store })
      // Issued before the fold, so at or before its cut-off.
      const sibling = app.authJwt.createAccessToken({ subject: 'alice' })
      const bobs = app.authJwt.createAccessToken({ subject: 'bob' })
      await app.authJwt.revokeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
      t.equal((await app.inject({ url: '/required', headers: bearer(sibling) })).statusCode, 200,
        'one revocation: alice\'s other token passes')
      await app.authJwt.revokeToken(app.authJwt.createRefreshToken({ subject: 'alice' }))
      t.same((await app.inject({ url: '/required', headers: bearer(sibling) })).json(), REVOKED,
        'after the fold, alice\'s older tokens are refused')
      t.equal((await app.inject({ url: '/required', headers: bearer(bobs) })).statusCode, 200, 'bob is untouched')
    })
  }
  t.test('the identity given to has()', async t => {
    t.ok(lookedTokens.length > 0, 'has() was called')
    for (const token of lookedTokens) {
      t.match(token, { subject: /^(alice|bob)$/, issuedAt: Number }, 'with the subject and the iat')
    }
  })
})
