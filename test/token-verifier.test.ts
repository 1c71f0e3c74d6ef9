// Verifying tokens (fastify.authJwt.decodeToken): every rule of DESIGN.md
// "Tokens", attacks with hand-crafted tokens, and the claims cache.
import { generateKeyPairSync } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import fastifyJwtAuth, { AuthJwtError, JWTDecodeError, type FastifyJwtAuthOptions } from '../index'
import { ClaimsCache } from '../lib/claims-cache'
import { base64url, corruptSignature, forge, raw } from './helpers/forge'

const SECRET = 'token-verifier-test-secret-of-64-bytes-so-that-hs512-is-happy!!!'
const OTHER_SECRET = 'another-secret-entirely-of-sufficient-length-for-the-hs256-alg'

async function build (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwtAuth, { secretKey: SECRET, ...options })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

// Date.now() under the test's control: expiry without waiting.
function fakeClock (t: Test): { set: (ms: number) => void, advance: (ms: number) => void } {
  const realNow = Date.now
  let now = realNow()
  Date.now = () => now
  t.teardown(() => { Date.now = realNow })
  return { set: (ms) => { now = ms }, advance: (ms) => { now += ms } }
}

/** Asserts that decoding fails as the design says, without echoing the token. */
function refuses (
  t: Test,
  app: FastifyInstance,
  token: unknown,
  code: 'FST_JWT_AUTH_TOKEN_INVALID' | 'FST_JWT_AUTH_TOKEN_EXPIRED',
  name: string,
  message?: string | RegExp
): void {
  let caught: unknown
  try {
    app.authJwt.decodeToken(token as string)
  } catch (error) {
    caught = error
  }
  if (!(caught instanceof JWTDecodeError)) {
    t.fail(`${name}: expected a JWTDecodeError, got ${String(caught)}`)
    return
  }
  t.ok(caught instanceof AuthJwtError, `${name}: an AuthJwtError`)
  t.equal(caught.code, code, `${name}: code`)
  t.equal(caught.statusCode, 401, `${name}: status`)
  if (message !== undefined) t.match(caught.message, message, `${name}: message`)
  if (typeof token === 'string' && token.length > 0) {
    t.notOk(caught.message.includes(token), `${name}: the message does not contain the token`)
    for (const segment of token.split('.').filter(part => part.length > 8)) {
      t.notOk(caught.message.includes(segment), `${name}: the message does not contain a token segment`)
    }
  }
}

/** A token signed with the test secret. */
const signed = (payload: unknown, header?: unknown): string => forge({ header, payload, secret: SECRET })

t.test('a token created by the plugin verifies', async (t) => {
  const app = await build(t)
  const claims = app.authJwt.decodeToken(app.authJwt.createAccessToken({ subject: 'alice' }))
  t.equal(claims.sub, 'alice')
  t.equal(claims.type, 'access')
})

t.test('a foreign token with only sub is valid: no exp, iat or nbf needed', async (t) => {
  const app = await build(t)
  t.same(app.authJwt.decodeToken(signed({ sub: 'alice' })), { sub: 'alice' })
  t.same(app.authJwt.decodeToken(signed({ sub: 0 })), { sub: 0 }, 'a numeric subject, even 0')
  const now = nowSeconds()
  const full = { sub: 'a', iat: now, nbf: now, exp: now + 60, jti: 'j', type: 'refresh', fresh: now + 5, csrf: 'c' }
  t.same(app.authJwt.decodeToken(signed(full)), full, 'every claim with its right type')
})

t.test('malformed tokens', async (t) => {
  const app = await build(t)
  const good = app.authJwt.createAccessToken({ subject: 'alice' })
  const [header, payload, signature] = good.split('.')
  const cases: Array<[string, unknown]> = [
    ['empty string', ''],
    ['one segment', header],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${good}.${signature}`],
    ['five segments', `${good}.${header}.${payload}`],
    ['only dots', '..'],
    ['non-base64 characters in the header', `${header}*.${payload}.${signature}`],
    ['non-base64 characters in the payload', `${header}.${payload}!.${signature}`],
    ['non-base64 characters in the signature', `${header}.${payload}.${signature}$`],
    ['base64 padding', `${header}.${payload}==.${signature}`],
    ['whitespace', `${header}.${payload} .${signature}`],
    ['standard base64 alphabet', `${header}.${payload}.+/${signature.slice(2)}`],
    ['non-JSON header', forge({ header: raw('{"alg":"HS256"'), payload: { sub: 'a' }, secret: SECRET })],
    ['non-JSON payload', forge({ payload: raw('{"sub":"a",}'), secret: SECRET })],
    ['empty payload', forge({ payload: raw(''), secret: SECRET })],
    ['array header', forge({ header: ['HS256'], payload: { sub: 'a' }, secret: SECRET })],
    ['null header', forge({ header: null, payload: { sub: 'a' }, secret: SECRET })],
    ['array payload', signed([{ sub: 'a' }])],
    ['string payload', signed('{"sub":"a"}')],
    ['number payload', signed(42)],
    ['null payload', signed(null)],
    ['a token with a space inside', `${header} .${payload}.${signature}`],
    ['the token with a scheme word', `Bearer ${good}`]
  ]
  for (const [name, token] of cases) refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_INVALID', name)
})

t.test('a non-string argument is refused as invalid', async (t) => {
  const app = await build(t)
  for (const value of [undefined, null, 42, {}, ['a.b.c'], Buffer.from(app.authJwt.createAccessToken({ subject: 'a' }))]) {
    refuses(t, app, value, 'FST_JWT_AUTH_TOKEN_INVALID', `${typeof value} ${String(value).slice(0, 20)}`)
  }
})

t.test('a token over 16 KiB is refused before it is parsed', async (t) => {
  const app = await build(t)
  // A valid token of an exact length: pad a claim, and the kid when the
  // base64url length of the payload skips the one wanted.
  const sized = (length: number): string => {
    for (let kid = 0; kid < 4; kid++) {
      for (let pad = Math.floor(length * 3 / 4) - 200; pad < length; pad++) {
        const token = forge({
          header: { alg: 'HS256', kid: 'k'.repeat(kid) },
          payload: { sub: 'a', pad: 'x'.repeat(pad) },
          secret: SECRET
        })
        if (token.length === length) return token
        if (token.length > length) break
      }
    }
    throw new Error(`no token of length ${length}`)
  }
  const largest = sized(16 * 1024)
  t.equal(app.authJwt.decodeToken(largest).sub, 'a', 'a valid token of exactly 16 KiB is accepted')

  const tooLarge = sized(16 * 1024 + 1)
  const parse = t.capture(JSON, 'parse')
  refuses(t, app, tooLarge, 'FST_JWT_AUTH_TOKEN_INVALID', 'one character over', /too large/)
  refuses(t, app, `${tooLarge}${'a'.repeat(1_000_000)}`, 'FST_JWT_AUTH_TOKEN_INVALID', 'a megabyte')
  t.equal(parse.args().length, 0, 'nothing was parsed')
})

t.test('signatures', async (t) => {
  const app = await build(t)
  const token = app.authJwt.createAccessToken({ subject: 'alice' })
  const [header, payload] = token.split('.')
  const message = 'Signature verification failed'
  refuses(t, app, corruptSignature(token), 'FST_JWT_AUTH_TOKEN_INVALID', 'bad signature', message)
  refuses(t, app, `${header}.${payload}.`, 'FST_JWT_AUTH_TOKEN_INVALID', 'signature removed', message)
  refuses(t, app, `${header}.${payload}.${base64url('x')}`, 'FST_JWT_AUTH_TOKEN_INVALID', 'short signature', message)
  refuses(t, app, forge({ payload: { sub: 'alice' }, secret: OTHER_SECRET }), 'FST_JWT_AUTH_TOKEN_INVALID',
    'signed with another secret', message)
  const other = await build(t, { secretKey: OTHER_SECRET })
  refuses(t, app, other.authJwt.createAccessToken({ subject: 'alice' }), 'FST_JWT_AUTH_TOKEN_INVALID',
    'made by an instance with another secret', message)

  // The payload of one token under the signature of another.
  const forgedPayload = base64url(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'admin' }))
  refuses(t, app, `${header}.${forgedPayload}.${token.split('.')[2]}`, 'FST_JWT_AUTH_TOKEN_INVALID',
    'payload changed after signing', message)
})

t.test('alg none is refused', async (t) => {
  const app = await build(t)
  const payload = { sub: 'admin', type: 'access' }
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    refuses(t, app, forge({ header: { alg, typ: 'JWT' }, payload }), 'FST_JWT_AUTH_TOKEN_INVALID', `unsigned ${alg}`)
    refuses(t, app, forge({ header: { alg, typ: 'JWT' }, payload, secret: SECRET }), 'FST_JWT_AUTH_TOKEN_INVALID',
      `${alg} with a signature`)
  }
  refuses(t, app, forge({ header: { alg: 'HS256' }, payload }), 'FST_JWT_AUTH_TOKEN_INVALID', 'HS256 without signature')
  refuses(t, app, forge({ header: { typ: 'JWT' }, payload, secret: SECRET }), 'FST_JWT_AUTH_TOKEN_INVALID', 'no alg')
})

t.test('only the algorithms of decodeAlgorithms are accepted', async (t) => {
  const app = await build(t)
  const payload = { sub: 'a' }
  const notAllowed = 'The specified alg value is not allowed'
  refuses(t, app, forge({ header: { alg: 'HS512' }, payload, secret: SECRET }), 'FST_JWT_AUTH_TOKEN_INVALID',
    'HS512 on an HS256 instance', notAllowed)
  refuses(t, app, forge({ header: { alg: 'HS384' }, payload, secret: SECRET }), 'FST_JWT_AUTH_TOKEN_INVALID',
    'HS384 on an HS256 instance', notAllowed)
  refuses(t, app, forge({ header: { alg: 'HS256' }, payload, secret: SECRET, hash: 'sha512' }),
    'FST_JWT_AUTH_TOKEN_INVALID', 'an HS512 signature under an HS256 header')
  refuses(t, app, forge({ header: { alg: 'RS256' }, payload, secret: SECRET }), 'FST_JWT_AUTH_TOKEN_INVALID',
    'RS256 on an HS256 instance', notAllowed)

  const both = await build(t, { decodeAlgorithms: ['HS256', 'HS512'] })
  t.equal(both.authJwt.decodeToken(forge({ header: { alg: 'HS512' }, payload, secret: SECRET })).sub, 'a',
    'HS512 where decodeAlgorithms allows it')
  t.equal(both.authJwt.decodeToken(forge({ header: { alg: 'HS256' }, payload, secret: SECRET })).sub, 'a')
})

t.test('asymmetric instances', async (t) => {
  const rsa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' }
  })
  const otherRsa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' }
  })
  const ec = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' }
  })

  t.test('algorithm confusion: an HS256 token signed with the public key is refused', async (t) => {
    const app = await build(t, { secretKey: undefined, publicKey: rsa.publicKey, algorithm: 'RS256' })
    const payload = { sub: 'admin', type: 'access' }
    const notAllowed = 'The specified alg value is not allowed'
    refuses(t, app, forge({ header: { alg: 'HS256', typ: 'JWT' }, payload, secret: rsa.publicKey }),
      'FST_JWT_AUTH_TOKEN_INVALID', 'HS256 with the PEM as secret', notAllowed)
    const der = Buffer.from(rsa.publicKey.replace(/-----[^-]+-----|\s/g, ''), 'base64')
    refuses(t, app, forge({ header: { alg: 'HS256', typ: 'JWT' }, payload, secret: der }),
      'FST_JWT_AUTH_TOKEN_INVALID', 'HS256 with the DER as secret', notAllowed)
    refuses(t, app, forge({ header: { alg: 'RS256', typ: 'JWT' }, payload, secret: rsa.publicKey }),
      'FST_JWT_AUTH_TOKEN_INVALID', 'an HMAC signature under an RS256 header', 'Signature verification failed')
  })

  t.test('RS256: own tokens pass, tokens of another key do not', async (t) => {
    const signer = await build(t, { secretKey: undefined, privateKey: rsa.privateKey, algorithm: 'RS256' })
    const app = await build(t, { secretKey: undefined, publicKey: rsa.publicKey, algorithm: 'RS256' })
    t.equal(app.authJwt.decodeToken(signer.authJwt.createAccessToken({ subject: 'a' })).sub, 'a')
    const stranger = await build(t, { secretKey: undefined, privateKey: otherRsa.privateKey, algorithm: 'RS256' })
    refuses(t, app, stranger.authJwt.createAccessToken({ subject: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID',
      'signed by another RSA key', 'Signature verification failed')
    const ps = await build(t, { secretKey: undefined, privateKey: rsa.privateKey, algorithm: 'PS256' })
    refuses(t, app, ps.authJwt.createAccessToken({ subject: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID',
      'PS256 with the same key on an RS256 instance', 'The specified alg value is not allowed')
  })

  t.test('ES256: malformed signatures', async (t) => {
    const app = await build(t, { secretKey: undefined, privateKey: ec.privateKey, algorithm: 'ES256' })
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    t.equal(app.authJwt.decodeToken(token).sub, 'a')
    const input = token.slice(0, token.lastIndexOf('.') + 1)
    const message = 'Signature verification failed'
    refuses(t, app, `${input}AAAA`, 'FST_JWT_AUTH_TOKEN_INVALID', 'a signature of the wrong length', message)
    refuses(t, app, `${input}${'A'.repeat(86)}`, 'FST_JWT_AUTH_TOKEN_INVALID', 'a zero signature', message)
    refuses(t, app, corruptSignature(token), 'FST_JWT_AUTH_TOKEN_INVALID', 'a changed signature', message)
  })
})

t.test('expiry and leeway', async (t) => {
  const app = await build(t)
  const now = nowSeconds()
  refuses(t, app, signed({ sub: 'a', exp: now - 1 }), 'FST_JWT_AUTH_TOKEN_EXPIRED', 'expired a second ago',
    /^Signature has expired$/)
  refuses(t, app, signed({ sub: 'a', exp: now - 86_400 }), 'FST_JWT_AUTH_TOKEN_EXPIRED', 'expired yesterday',
    /^Signature has expired$/)
  refuses(t, app, signed({ sub: 'a', exp: 0 }), 'FST_JWT_AUTH_TOKEN_EXPIRED', 'exp 0')
  t.equal(app.authJwt.decodeToken(signed({ sub: 'a', exp: now + 60 })).sub, 'a', 'not yet expired')

  const lenient = await build(t, { decodeLeeway: 30 })
  t.equal(lenient.authJwt.decodeToken(signed({ sub: 'a', exp: now - 10 })).sub, 'a',
    'expired 10 s ago, within a 30 s leeway')
  refuses(t, lenient, signed({ sub: 'a', exp: now - 60 }), 'FST_JWT_AUTH_TOKEN_EXPIRED', 'beyond the leeway')
  t.equal(lenient.authJwt.decodeToken(signed({ sub: 'a', nbf: now + 10 })).sub, 'a', 'nbf within the leeway')
  refuses(t, lenient, signed({ sub: 'a', nbf: now + 60 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'nbf beyond the leeway')
  t.equal(lenient.authJwt.decodeToken(signed({ sub: 'a', iat: now + 10 })).sub, 'a', 'iat within the leeway')
  refuses(t, lenient, signed({ sub: 'a', iat: now + 60 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iat beyond the leeway')
})

t.test('not yet valid', async (t) => {
  const app = await build(t)
  const now = nowSeconds()
  refuses(t, app, signed({ sub: 'a', nbf: now + 60 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'nbf in the future',
    /not yet valid/)
  refuses(t, app, signed({ sub: 'a', iat: now + 60 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iat in the future',
    /not yet valid/)
  t.equal(app.authJwt.decodeToken(signed({ sub: 'a', iat: now - 60, nbf: now - 60 })).sub, 'a', 'both in the past')
})

t.test('date claims must be finite numbers', async (t) => {
  const app = await build(t)
  const later = nowSeconds() + 3600
  const earlier = nowSeconds() - 3600
  for (const claim of ['exp', 'nbf', 'iat']) {
    const fine = claim === 'exp' ? later : earlier
    const values = [`"${fine}"`, 'null', '1e999', '-1e999', 'true', `[${fine}]`, '{}']
    for (const value of values) {
      refuses(t, app, signed(raw(`{"sub":"a","${claim}":${value}}`)), 'FST_JWT_AUTH_TOKEN_INVALID',
        `${claim}: ${value}`)
    }
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', [claim]: fine + 0.5 }))[claim], fine + 0.5,
      `${claim}: a fractional number is a number`)
  }
})

t.test('the standard claims must have their types', async (t) => {
  const app = await build(t)
  const cases: Array<[string, unknown]> = [
    ['missing sub', { type: 'access' }],
    ['sub: null', { sub: null }],
    ['sub: empty string', { sub: '' }],
    ['sub: true', { sub: true }],
    ['sub: object', { sub: { id: 1 } }],
    ['sub: array', { sub: ['a'] }],
    ['sub: 1e999', raw('{"sub":1e999}')],
    ['type: unknown', { sub: 'a', type: 'id' }],
    ['type: null', { sub: 'a', type: null }],
    ['type: ACCESS', { sub: 'a', type: 'ACCESS' }],
    ['jti: number', { sub: 'a', jti: 5 }],
    ['jti: empty', { sub: 'a', jti: '' }],
    ['jti: null', { sub: 'a', jti: null }],
    ['fresh: string', { sub: 'a', fresh: 'true' }],
    ['fresh: null', { sub: 'a', fresh: null }],
    ['fresh: 1e999', raw('{"sub":"a","fresh":1e999}')],
    ['csrf: number', { sub: 'a', csrf: 5 }],
    ['csrf: null', { sub: 'a', csrf: null }]
  ]
  for (const [name, payload] of cases) refuses(t, app, signed(payload), 'FST_JWT_AUTH_TOKEN_INVALID', name)
  refuses(t, app, signed({ type: 'access' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'missing sub names the claim', /"sub"/)
})

t.test('audience', async (t) => {
  t.test('ignored unless decodeAudience is set', async (t) => {
    const app = await build(t)
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 'anything' })).aud, 'anything')
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 5 })).aud, 5, 'even of a strange type')
  })

  t.test('checked when decodeAudience is a string', async (t) => {
    const app = await build(t, { decodeAudience: 'api' })
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 'api' })).aud, 'api')
    t.same(app.authJwt.decodeToken(signed({ sub: 'a', aud: ['web', 'api'] })).aud, ['web', 'api'],
      'an aud list with one match')
    refuses(t, app, signed({ sub: 'a', aud: 'web' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'wrong audience', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: ['web', 'mobile'] }), 'FST_JWT_AUTH_TOKEN_INVALID',
      'an aud list without a match', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'missing aud', /"aud"/)
    refuses(t, app, signed({ sub: 'a', aud: 5 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud: number', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: ['api', 5] }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud list with a number')
    refuses(t, app, signed({ sub: 'a', aud: null }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud: null')
    refuses(t, app, signed({ sub: 'a', aud: 'API' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'matched exactly')
  })

  t.test('checked when decodeAudience is a list', async (t) => {
    const app = await build(t, { decodeAudience: ['api', 'web'] })
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 'web' })).aud, 'web')
    t.same(app.authJwt.decodeToken(signed({ sub: 'a', aud: ['x', 'api'] })).aud, ['x', 'api'])
    refuses(t, app, signed({ sub: 'a', aud: 'mobile' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'none of them')
    refuses(t, app, signed({ sub: 'a', aud: [] }), 'FST_JWT_AUTH_TOKEN_INVALID', 'an empty aud list')
  })
})

t.test('issuer', async (t) => {
  const app = await build(t, { decodeIssuer: 'https://issuer.example' })
  t.equal(app.authJwt.decodeToken(signed({ sub: 'a', iss: 'https://issuer.example' })).iss, 'https://issuer.example')
  refuses(t, app, signed({ sub: 'a', iss: 'https://evil.example' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'wrong issuer',
    /^Invalid issuer$/)
  refuses(t, app, signed({ sub: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'missing iss', /"iss"/)
  refuses(t, app, signed({ sub: 'a', iss: ['https://issuer.example'] }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iss list',
    /^Invalid issuer$/)
  refuses(t, app, signed({ sub: 'a', iss: 1 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iss: number', /^Invalid issuer$/)

  const plain = await build(t)
  t.equal(plain.authJwt.decodeToken(signed({ sub: 'a', iss: 'whoever' })).iss, 'whoever', 'ignored unless set')

  const own = await build(t, { encodeIssuer: 'me', decodeIssuer: 'me' })
  t.equal(own.authJwt.decodeToken(own.authJwt.createRefreshToken({ subject: 'a' })).iss, 'me', 'a round trip')
})

t.test('critical headers are not supported', async (t) => {
  const app = await build(t)
  for (const header of [
    { alg: 'HS256', crit: ['exp'], exp: 1 },
    { alg: 'HS256', crit: ['b64'], b64: false },
    { alg: 'HS256', crit: [] },
    { alg: 'HS256', crit: 'b64' }
  ]) {
    refuses(t, app, signed({ sub: 'a' }, header), 'FST_JWT_AUTH_TOKEN_INVALID', `crit ${JSON.stringify(header.crit)}`,
      /^Unsupported critical header$/)
  }
})

t.test('the claims cache', async (t) => {
  t.test('a reused token returns the same, deeply frozen claims', async (t) => {
    const app = await build(t)
    const token = app.authJwt.createAccessToken({
      subject: 'a',
      userClaims: { profile: { roles: ['admin'], address: { city: 'Paris' } } }
    })
    const first = app.authJwt.decodeToken(token)
    const second = app.authJwt.decodeToken(token)
    t.equal(second, first, 'the cached object')
    t.ok(Object.isFrozen(first))
    const profile = first.profile as { roles: string[], address: { city: string } }
    t.ok(Object.isFrozen(profile), 'nested objects too')
    t.ok(Object.isFrozen(profile.roles), 'nested arrays too')
    t.ok(Object.isFrozen(profile.address))
    t.throws(() => { (first as Record<string, unknown>).sub = 'admin' }, TypeError)
    t.throws(() => { profile.roles.push('root') }, TypeError)
    t.throws(() => { profile.address.city = 'Lyon' }, TypeError)
    t.same(app.authJwt.decodeToken(token), {
      ...first,
      sub: 'a',
      profile: { roles: ['admin'], address: { city: 'Paris' } }
    }, 'nothing changed')
  })

  t.test('a cached token that expires is refused on the next call', async (t) => {
    const app = await build(t)
    const clock = fakeClock(t)
    const token = app.authJwt.createAccessToken({ subject: 'a', expiresTime: 2 })
    const claims = app.authJwt.decodeToken(token)
    clock.advance(1000)
    t.equal(app.authJwt.decodeToken(token), claims, 'still valid, from the cache')
    clock.advance(1000)
    refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_EXPIRED', 'expired while cached', /^Signature has expired$/)
    refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_EXPIRED', 'and again')
  })

  t.test('the leeway applies to cached tokens too', async (t) => {
    const app = await build(t, { decodeLeeway: 5 })
    const clock = fakeClock(t)
    const token = app.authJwt.createAccessToken({ subject: 'a', expiresTime: 1 })
    const claims = app.authJwt.decodeToken(token)
    clock.advance(4000)
    t.equal(app.authJwt.decodeToken(token), claims, 'expired 3 s ago, within the leeway')
    clock.advance(3000)
    refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_EXPIRED', 'beyond the leeway')
  })

  t.test('nbf is checked again on a cache hit', async (t) => {
    const app = await build(t)
    const clock = fakeClock(t)
    const start = Date.now()
    const token = signed({ sub: 'a', nbf: Math.floor(start / 1000) + 60 })
    refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_INVALID', 'before nbf')
    clock.advance(61_000)
    const claims = app.authJwt.decodeToken(token)
    t.equal(claims.sub, 'a', 'valid once nbf has passed: now cached')
    clock.set(start)
    refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_INVALID', 'cached, with the clock back before nbf', /not yet valid/)
  })

  t.test('a refused token is not cached', async (t) => {
    const app = await build(t)
    const clock = fakeClock(t)
    const token = signed({ sub: 'a', iat: Math.floor(Date.now() / 1000) + 60 })
    refuses(t, app, token, 'FST_JWT_AUTH_TOKEN_INVALID', 'iat in the future')
    clock.advance(61_000)
    t.equal(app.authJwt.decodeToken(token).sub, 'a', 'verified afresh later')
  })

  t.test('stays bounded: the oldest entries are evicted and verified again', async (t) => {
    const app = await build(t, { accessTokenExpires: false })
    const tokens = Array.from({ length: 10_050 }, (_, i) => app.authJwt.createAccessToken({ subject: i }))
    const firstClaims = app.authJwt.decodeToken(tokens[0])
    for (const token of tokens.slice(1)) app.authJwt.decodeToken(token)
    const lastClaims = app.authJwt.decodeToken(tokens[tokens.length - 1])
    t.equal(app.authJwt.decodeToken(tokens[tokens.length - 1]), lastClaims, 'a recent token is still cached')
    const again = app.authJwt.decodeToken(tokens[0])
    t.not(again, firstClaims, 'the first token was evicted: a new claims object')
    t.same(again, firstClaims, 'verified again, with the same claims')
    t.equal(again.sub, 0)
  })

  t.test('a bad signature is never served from the cache', async (t) => {
    const app = await build(t)
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    app.authJwt.decodeToken(token)
    refuses(t, app, corruptSignature(token), 'FST_JWT_AUTH_TOKEN_INVALID', 'a cached token with another signature')
  })

  t.test('each instance has its own cache', async (t) => {
    const app = await build(t)
    const other = await build(t, { secretKey: OTHER_SECRET })
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    app.authJwt.decodeToken(token)
    refuses(t, other, token, 'FST_JWT_AUTH_TOKEN_INVALID', 'verified by one instance, refused by another')
  })
})

t.test('ClaimsCache', async (t) => {
  const cache = new ClaimsCache<number>(2)
  t.equal(cache.get('a'), undefined)
  cache.set('a', 1)
  cache.set('b', 2)
  t.equal(cache.size, 2)
  t.equal(cache.get('a'), 1)
  cache.set('c', 3)
  t.equal(cache.size, 2, 'bounded')
  t.equal(cache.get('a'), undefined, 'the oldest entry went first')
  t.equal(cache.get('b'), 2)
  t.equal(cache.get('c'), 3)
  cache.set('d', 4)
  t.equal(cache.size, 2, 'still bounded once the ring has wrapped')
  t.equal(cache.get('b'), undefined, 'then the next oldest')
  t.equal(cache.get('c'), 3)
  t.equal(cache.get('d'), 4)
  for (let i = 0; i < 1000; i++) cache.set(`t${i}`, i)
  t.equal(cache.size, 2, 'many insertions later')
  t.same([cache.get('t998'), cache.get('t999'), cache.get('t997')], [998, 999, undefined])
})
