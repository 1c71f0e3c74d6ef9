// lib/token-factory.ts: creating access and refresh tokens: the claims every
// token carries, the argument checks, custom headers and per-token algorithms.
import t, { type Test } from 'tap'
import { ConfigError, type CreateAccessTokenOptions, type FastifyJwtAuthOptions } from '../index'
import { keys } from './fixtures/keys'
import { buildApp as build } from './helpers/app'
import { fakeClock } from './helpers/clock'
import { peek } from './helpers/forge'

const SECRET_64 = 'token-factory-test-secret-of-64-bytes-so-that-hs512-is-happy!!!!'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
// Time-ordered: a "log out everywhere" cut-off reads the time of issue from it.
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const RESERVED = ['sub', 'iat', 'nbf', 'jti', 'exp', 'type', 'fresh', 'csrf', 'iss', 'aud']

/** Date.now() fixed, half-way through a second, until the test ends: iat, exp and fresh are exact. Returns the second. */
function fixClock (t: Test): number {
  return Math.floor(fakeClock(t, 1_700_000_000_500).now() / 1000)
}

// Bad arguments have to get past the types to be tested at all.
const loose = (options: unknown): CreateAccessTokenOptions => options as CreateAccessTokenOptions

t.test('an access token carries sub, iat, nbf, exp, jti, type and fresh', async (t) => {
  const app = await build(t)
  const now = fixClock(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const claims = app.authJwt.decodeToken(token)
  t.same(Object.keys(claims).sort(), ['exp', 'fresh', 'iat', 'jti', 'nbf', 'sub', 'type'], 'exactly these claims')
  t.equal(claims.sub, 'alice', 'sub is the subject')
  t.equal(claims.iat, now, 'iat is now, in seconds')
  t.equal(claims.nbf, now, 'nbf is now')
  t.equal(claims.exp, now + 900, 'exp = iat + accessTokenExpires (900 by default)')
  t.equal(claims.type, 'access', 'type access')
  t.equal(claims.fresh, false, 'not fresh by default')
  t.match(claims.jti, UUID_V7, 'jti is a UUIDv7')
  t.same(peek(token).header, { alg: 'HS256', typ: 'JWT' }, 'the header names the algorithm and the type only')
})

t.test('a refresh token carries sub, iat, nbf, exp, jti, type and fam', async (t) => {
  const app = await build(t)
  const now = fixClock(t)
  const claims = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'alice' }))
  t.same(Object.keys(claims).sort(), ['exp', 'fam', 'iat', 'jti', 'nbf', 'sub', 'type'], 'no fresh claim on refresh tokens')
  t.equal(claims.type, 'refresh', 'type refresh')
  t.equal(claims.exp, now + 2_592_000, 'exp = iat + refreshTokenExpires (30 days by default)')
  t.equal(claims.iat, now, 'iat is now, in seconds')
  t.equal(claims.nbf, now, 'nbf is now')
})

t.test('jti differs on every token, even within the same second', async (t) => {
  const app = await build(t)
  fixClock(t)
  const jtis = new Set<unknown>()
  for (let i = 0; i < 50; i++) {
    jtis.add(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' })).jti)
    jtis.add(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'alice' })).jti)
  }
  t.equal(jtis.size, 100, '100 tokens, 100 jtis')
})

t.test('the subject keeps its type through a round trip', async (t) => {
  const app = await build(t)
  for (const subject of ['42', 42, 0, -7, 3.5, 'ünïcødé 🔑']) {
    const access = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject }))
    const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject }))
    t.equal(access.sub, subject, `access: ${typeof subject} ${subject}`)
    t.equal(refresh.sub, subject, `refresh: ${typeof subject} ${subject}`)
  }
})

t.test('lifetimes come from the options', async (t) => {
  t.test('custom durations', async (t) => {
    const app = await build(t, { accessTokenExpires: 60, refreshTokenExpires: 3600 })
    const now = fixClock(t)
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 1 })).exp, now + 60,
      'access: accessTokenExpires')
    t.equal(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 1 })).exp, now + 3600,
      'refresh: refreshTokenExpires')
  })

  t.test('false: no exp claim at all', async (t) => {
    const app = await build(t, { accessTokenExpires: false, refreshTokenExpires: false })
    const access = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 1 }))
    const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 1 }))
    t.notOk('exp' in access, 'access token without exp')
    t.notOk('exp' in refresh, 'refresh token without exp')
  })

  t.test('expiresTime overrides the option', async (t) => {
    const app = await build(t)
    const now = fixClock(t)
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 1, expiresTime: 5 })).exp, now + 5,
      'on an access token')
    t.equal(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 1, expiresTime: 7 })).exp, now + 7,
      'on a refresh token')
    const access = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 1, expiresTime: false }))
    const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 1, expiresTime: false }))
    t.notOk('exp' in access, 'expiresTime: false on an access token')
    t.notOk('exp' in refresh, 'expiresTime: false on a refresh token')
  })

  t.test('a numeric expiresTime on an instance whose tokens never expire', async (t) => {
    const app = await build(t, { accessTokenExpires: false })
    const now = fixClock(t)
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 1, expiresTime: 30 })).exp, now + 30,
      'the token expires all the same')
  })
})

t.test('fresh', async (t) => {
  const app = await build(t)
  const now = fixClock(t)
  const fresh = (value: boolean | number | undefined): unknown =>
    app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a', fresh: value })).fresh
  t.equal(fresh(undefined), false, 'left out: false')
  t.equal(fresh(false), false, 'false')
  t.equal(fresh(true), true, 'true')
  t.equal(fresh(300), now + 300, 'a number of seconds becomes the epoch second until which it is fresh')
  t.equal(fresh(0), now, '0 seconds: fresh until now')
  const refresh = app.authJwt.createRefreshToken(loose({ subject: 'a', fresh: true }))
  t.notOk('fresh' in app.authJwt.decodeToken(refresh), 'refresh tokens never carry fresh')
})

t.test('csrf claim only with cookies as a location and cookieCsrfProtect on', async (t) => {
  const csrfOf = async (t: Test, options: FastifyJwtAuthOptions): Promise<unknown[]> => {
    const app = await build(t, options)
    return [
      app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' })).csrf,
      app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a' })).csrf
    ]
  }
  const [access, refresh] = await csrfOf(t, { tokenLocation: ['headers', 'cookies'] })
  t.match(access, UUID, 'access token has a random csrf value')
  t.match(refresh, UUID, 'refresh token has a random csrf value')
  t.not(access, refresh, 'each token its own value')
  t.same(await csrfOf(t, { tokenLocation: ['cookies'], cookieCsrfProtect: false }), [undefined, undefined],
    'none when cookieCsrfProtect is off')
  t.same(await csrfOf(t, { tokenLocation: ['headers', 'query', 'json'] }), [undefined, undefined],
    'none without cookies')
})

t.test('iss and aud', async (t) => {
  t.test('iss from encodeIssuer on both token types', async (t) => {
    const app = await build(t, { encodeIssuer: 'https://issuer.example' })
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' })).iss, 'https://issuer.example',
      'on an access token')
    t.equal(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a' })).iss, 'https://issuer.example',
      'on a refresh token')
  })

  t.test('no iss and no aud unless configured', async (t) => {
    const app = await build(t)
    const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' }))
    t.notOk('iss' in claims, 'no iss')
    t.notOk('aud' in claims, 'no aud')
  })

  t.test('aud from decodeAudience, on both token types', async (t) => {
    const app = await build(t, { decodeAudience: 'api' })
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' })).aud, 'api', 'on an access token')
    t.equal(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a' })).aud, 'api', 'on a refresh token')
    const list = await build(t, { decodeAudience: ['api', 'web'] })
    t.same(list.authJwt.decodeToken(list.authJwt.createAccessToken({ subject: 'a' })).aud, ['api', 'web'],
      'a list of audiences is written as the list')
  })

  t.test('the audience option wins over decodeAudience', async (t) => {
    const app = await build(t, { decodeAudience: ['api', 'web'] })
    t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a', audience: 'web' })).aud, 'web',
      'one audience of its own')
    t.same(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a', audience: ['web', 'x'] })).aud,
      ['web', 'x'], 'a list of its own')
    const plain = await build(t)
    const claims = plain.authJwt.decodeToken(plain.authJwt.createAccessToken({ subject: 'a', audience: 'other' }))
    t.equal(claims.aud, 'other', 'written even where decodeAudience is not set')
  })
})

t.test('user claims', async (t) => {
  const app = await build(t)
  const userClaims = { role: 'admin', profile: { name: 'Alice', tags: ['x', 'y'] }, count: 3, ok: true, none: null }
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a', userClaims }))
  t.match(claims, userClaims, 'every user claim, nested ones included')
  t.equal(claims.type, 'access', 'beside the claims of the plugin')
  const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a', userClaims: { role: 'x' } }))
  t.equal(refresh.role, 'x', 'on refresh tokens too')
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { tenant: 't1' })
  t.equal(app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a', userClaims: bare })).tenant, 't1',
    'a null-prototype object is a plain object')
})

t.test('user claims may not overwrite a reserved claim', async (t) => {
  const app = await build(t)
  for (const name of RESERVED) {
    t.throws(() => app.authJwt.createAccessToken({ subject: 'a', userClaims: { [name]: 'x' } }),
      TypeError, `access: ${name}`)
    t.throws(() => app.authJwt.createRefreshToken({ subject: 'a', userClaims: { [name]: 'x' } }),
      TypeError, `refresh: ${name}`)
  }
  t.throws(() => app.authJwt.createAccessToken({ subject: 'a', userClaims: { fine: 1, exp: undefined } }),
    { name: 'TypeError', message: /"exp"/ }, 'even as undefined, and the message names the claim')
})

t.test('bad arguments are TypeErrors', async (t) => {
  const app = await build(t)
  const create = (options: unknown) => () => app.authJwt.createAccessToken(loose(options))
  const createRefresh = (options: unknown) => () => app.authJwt.createRefreshToken(loose(options))

  for (const options of [undefined, null, 'alice', 42, true]) {
    t.throws(create(options), TypeError, `options: ${String(options)}`)
    t.throws(createRefresh(options), TypeError, `refresh options: ${String(options)}`)
  }
  // Beyond 2^53 a number is not exact: two users' subjects could read as one.
  for (const subject of ['', NaN, Infinity, -Infinity, 2 ** 53 + 2, -(2 ** 60), {}, ['a'], undefined, null, true, 10n]) {
    t.throws(create({ subject }), TypeError, `subject: ${typeof subject} ${String(subject)}`)
    t.throws(createRefresh({ subject }), TypeError, `refresh subject: ${typeof subject} ${String(subject)}`)
  }
  t.throws(create({}), TypeError, 'no subject at all')
  for (const fresh of [-1, 1.5, NaN, Infinity, 'yes', null, {}]) {
    t.throws(create({ subject: 'a', fresh }), TypeError, `fresh: ${String(fresh)}`)
  }
  for (const expiresTime of [-1, 1.5, NaN, Infinity, '60', true, null, {}]) {
    t.throws(create({ subject: 'a', expiresTime }), TypeError, `expiresTime: ${String(expiresTime)}`)
    t.throws(createRefresh({ subject: 'a', expiresTime }), TypeError, `refresh expiresTime: ${String(expiresTime)}`)
  }
  for (const audience of ['', [], [''], ['a', 1], 5, null, {}]) {
    t.throws(create({ subject: 'a', audience }), TypeError, `audience: ${JSON.stringify(audience)}`)
  }
  class Header { kid = 'k' }
  for (const headers of ['kid', ['kid'], null, 5, new Header(), new Map()]) {
    t.throws(create({ subject: 'a', headers }), TypeError, `headers: ${String(headers)}`)
  }
  t.throws(create({ subject: 'a', headers: { alg: 'none' } }), { name: 'TypeError', message: /alg/ },
    'headers may not set alg, and the message says so')
  t.throws(create({ subject: 'a', headers: { kid: 'k', alg: 'HS256' } }), TypeError, 'alg even when harmless')
  class Claims { role = 'admin' }
  for (const userClaims of [['a'], new Claims(), null, 'role', 5, new Date()]) {
    t.throws(create({ subject: 'a', userClaims }), TypeError, `userClaims: ${String(userClaims)}`)
    t.throws(createRefresh({ subject: 'a', userClaims }), TypeError, `refresh userClaims: ${String(userClaims)}`)
  }
})

t.test('custom headers', async (t) => {
  const app = await build(t)
  const token = app.authJwt.createAccessToken({ subject: 'a', headers: { kid: 'key-1', x5t: 'thumb' } })
  t.same(app.authJwt.getUnverifiedJwtHeaders(token), { alg: 'HS256', typ: 'JWT', kid: 'key-1', x5t: 'thumb' },
    'the extra fields join alg and typ')
  t.equal(app.authJwt.decodeToken(token).sub, 'a', 'the token verifies')
  const refresh = app.authJwt.createRefreshToken({ subject: 'a', headers: { kid: 'key-2' } })
  t.equal(app.authJwt.getUnverifiedJwtHeaders(refresh).kid, 'key-2', 'on refresh tokens too')
  const typed = app.authJwt.createAccessToken({ subject: 'a', headers: { typ: 'at+jwt' } })
  t.equal(app.authJwt.getUnverifiedJwtHeaders(typed).typ, 'at+jwt', 'typ can be changed')
  const plain = app.authJwt.createAccessToken({ subject: 'a' })
  t.notOk('kid' in app.authJwt.getUnverifiedJwtHeaders(plain), 'headers do not leak into later tokens')
})

t.test('a headers object changed by its caller does not change other tokens', async (t) => {
  const app = await build(t)
  const headers: Record<string, unknown> = { kid: 'a', nested: { v: 1 } }
  app.authJwt.createAccessToken({ subject: 's', headers })
  headers.kid = 'b'
  ;(headers.nested as { v: number }).v = 2
  const later = app.authJwt.createAccessToken({ subject: 's', headers: { kid: 'a', nested: { v: 1 } } })
  t.same(app.authJwt.getUnverifiedJwtHeaders(later), { alg: 'HS256', typ: 'JWT', kid: 'a', nested: { v: 1 } },
    'equal headers give the header as it was passed then')
  const changed = app.authJwt.createAccessToken({ subject: 's', headers })
  t.same(app.authJwt.getUnverifiedJwtHeaders(changed), { alg: 'HS256', typ: 'JWT', kid: 'b', nested: { v: 2 } },
    'the changed object gives the header as it is now')
})

t.test('many distinct header sets (more than the signer cache holds) all work', async (t) => {
  const app = await build(t)
  const kids = Array.from({ length: 150 }, (_, i) => `kid-${i}`)
  for (const kid of [...kids, ...kids.slice(0, 5)]) {
    const token = app.authJwt.createAccessToken({ subject: kid, headers: { kid } })
    const headers = app.authJwt.getUnverifiedJwtHeaders(token)
    const claims = app.authJwt.decodeToken(token)
    if (headers.kid !== kid || claims.sub !== kid) {
      t.fail(`token for ${kid} has kid ${String(headers.kid)} and sub ${String(claims.sub)}`)
      return
    }
  }
  t.pass('every token has its own header and verifies, evicted header sets included')
})

t.test('per-token algorithm', async (t) => {
  const app = await build(t, { secretKey: SECRET_64, algorithm: 'HS256', decodeAlgorithms: ['HS256', 'HS512'] })
  const hs512 = app.authJwt.createAccessToken({ subject: 'a', algorithm: 'HS512' })
  t.equal(app.authJwt.getUnverifiedJwtHeaders(hs512).alg, 'HS512', 'signed with the algorithm asked for')
  t.equal(app.authJwt.decodeToken(hs512).sub, 'a', 'an HS512 token verifies')
  const withKid = app.authJwt.createRefreshToken({ subject: 'a', algorithm: 'HS512', headers: { kid: 'k' } })
  t.match(app.authJwt.getUnverifiedJwtHeaders(withKid), { alg: 'HS512', kid: 'k' }, 'with headers of its own too')
  t.equal(app.authJwt.decodeToken(withKid).type, 'refresh', 'a refresh token that verifies')
  t.equal(app.authJwt.getUnverifiedJwtHeaders(app.authJwt.createAccessToken({ subject: 'a' })).alg, 'HS256',
    'algorithm is the default')

  for (const algorithm of ['HS384', 'RS256', 'none']) {
    t.throws(() => app.authJwt.createAccessToken(loose({ subject: 'a', algorithm })),
      { code: 'FST_JWT_AUTH_CONFIG', message: /decodeAlgorithms/ }, `${algorithm} is not in decodeAlgorithms`)
    t.throws(() => app.authJwt.createRefreshToken(loose({ subject: 'a', algorithm, headers: { kid: 'k' } })),
      ConfigError, `${algorithm} with headers`)
  }
})

t.test('asymmetric keys', async (t) => {
  const { privateKey, publicKey } = keys.rsa

  t.test('a private key signs and verifies, with per-token algorithms', async (t) => {
    const app = await build(t, { privateKey, algorithm: 'RS256', decodeAlgorithms: ['RS256', 'PS512'] })
    const rs = app.authJwt.createAccessToken({ subject: 7 })
    t.equal(app.authJwt.decodeToken(rs).sub, 7, 'an RS256 token verifies')
    const ps = app.authJwt.createRefreshToken({ subject: 7, algorithm: 'PS512', headers: { kid: 'rsa' } })
    t.match(app.authJwt.getUnverifiedJwtHeaders(ps), { alg: 'PS512', kid: 'rsa' }, 'PS512 asked for, with a kid')
    t.equal(app.authJwt.decodeToken(ps).type, 'refresh', 'the PS512 refresh token verifies')
  })

  t.test('a public key alone makes a verify-only instance', async (t) => {
    const signer = await build(t, { privateKey, algorithm: 'RS256' })
    const app = await build(t, { publicKey, algorithm: 'RS256' })
    t.equal(app.authJwt.decodeToken(signer.authJwt.createAccessToken({ subject: 'a' })).sub, 'a', 'it verifies')
    t.throws(() => app.authJwt.createAccessToken({ subject: 'a' }), { code: 'FST_JWT_AUTH_CONFIG' },
      'it cannot sign an access token')
    t.throws(() => app.authJwt.createRefreshToken({ subject: 'a', headers: { kid: 'k' } }), ConfigError,
      'nor a refresh token with headers')
  })
})

t.test('a toJSON member in userClaims or headers is refused: it would replace the whole payload or header', async (t) => {
  const app = await build(t)
  const forgedPayload = { toJSON: () => ({ sub: 'admin', type: 'refresh', exp: 1 }) }
  t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', userClaims: forgedPayload }),
    { name: 'TypeError', message: 'userClaims cannot have a toJSON member: it would replace the whole token part' },
    'userClaims with toJSON')
  t.throws(() => app.authJwt.createAccessToken({ subject: 'alice', headers: { toJSON: () => ({ alg: 'none' }) } }),
    { name: 'TypeError', message: 'headers cannot have a toJSON member: it would replace the whole token part' },
    'headers with toJSON')
  const nested = app.authJwt.decodeToken(app.authJwt.createAccessToken({
    subject: 'alice',
    userClaims: { profile: { toJSON: () => 'serialised' } }
  }))
  t.equal(nested.profile, 'serialised', 'a nested toJSON only shapes its own value')
})

t.test('family: an access token joins a refresh token\'s family; a refresh token starts its own', async t => {
  const app = await build(t)
  const refresh = app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a' }))
  t.match(refresh.fam, UUID, 'a refresh token starts a family')
  t.not(app.authJwt.decodeToken(app.authJwt.createRefreshToken({ subject: 'a' })).fam, refresh.fam, 'each its own')
  const access = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a', family: refresh.fam }))
  t.equal(access.fam, refresh.fam)
  t.notOk('fam' in app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'a' })), 'no family unless given')
  for (const family of ['', 42, null]) {
    t.throws(() => app.authJwt.createAccessToken({ subject: 'a', family: family as string }),
      { name: 'TypeError', message: 'family must be the fam of a refresh token: a non-empty string' }, `family ${String(family)}`)
  }
  t.throws(() => app.authJwt.createAccessToken({ subject: 'a', userClaims: { fam: 'x' } }), TypeError, 'fam is reserved')
})
