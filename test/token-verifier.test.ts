// lib/token-verifier.ts: verifying tokens (fastify.authJwt.decodeToken):
// every verification rule, attacks with hand-crafted tokens, fixed error
// messages whatever fast-jwt says, and the verifier's use of the claims cache.
// The cache's own bounds: claims-cache.test.ts.
import { TokenError } from 'fast-jwt'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { AuthJwtError, JWTDecodeError, type AuthJwtClaims, type FastifyJwtAuthOptions } from '../index'
import { translateError } from '../lib/token-verifier'
import { keys } from './fixtures/keys'
import { buildApp } from './helpers/app'
import { fakeClock } from './helpers/clock'
import { base64url, corruptSignature, forge, raw } from './helpers/forge'

// Long enough for HS512, which some tests allow.
const SECRET = 'token-verifier-test-secret-of-64-bytes-so-that-hs512-is-happy!!!'
const OTHER_SECRET = 'another-secret-entirely-of-sufficient-length-for-the-hs256-alg'

/** An HS* instance with this file's secret; asymmetric instances are built with buildApp and their key. */
async function build (t: Test, options: FastifyJwtAuthOptions = {}): Promise<FastifyInstance> {
  return await buildApp(t, { secretKey: SECRET, ...options })
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

// Every message a refused token can get: fixed strings, never built from the
// token or from fast-jwt's wording.
const FIXED_MESSAGES = new Set([
  'Token is too large',
  'Malformed token',
  'Signature verification failed',
  'The specified alg value is not allowed',
  'Unsupported critical header',
  'Signature has expired',
  'The token is not yet valid (nbf)',
  'The token is not yet valid (iat)',
  'Invalid audience',
  'Invalid issuer',
  ...['sub', 'aud', 'iss'].map(claim => `Token is missing the "${claim}" claim`),
  ...['exp', 'nbf', 'iat', 'sub', 'type', 'jti', 'fresh', 'csrf', 'fam'].map(claim => `Invalid "${claim}" claim`)
])

/** Asserts that decoding fails with the given code, a fixed message, and without echoing the token. */
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
  t.ok(FIXED_MESSAGES.has(caught.message), `${name}: a fixed message (${caught.message})`)
  t.equal(caught.cause, undefined, `${name}: fast-jwt's error is not carried along`)
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
  t.equal(claims.sub, 'alice', 'the subject')
  t.equal(claims.type, 'access', 'the type')
})

t.test('a foreign token with only sub is valid: no exp, iat or nbf needed', async (t) => {
  const app = await build(t)
  t.same(app.authJwt.decodeToken(signed({ sub: 'alice' })), { sub: 'alice' }, 'a string subject alone')
  t.same(app.authJwt.decodeToken(signed({ sub: 0 })), { sub: 0 }, 'a numeric subject, even 0')
  const now = nowSeconds()
  const full = { sub: 'a', iat: now, nbf: now, exp: now + 60, jti: 'j', type: 'refresh', fresh: now + 5, csrf: 'c', fam: 'f' }
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
  t.equal(both.authJwt.decodeToken(forge({ header: { alg: 'HS256' }, payload, secret: SECRET })).sub, 'a',
    'and HS256 too')
})

t.test('asymmetric instances', async (t) => {
  const { rsa, rsa2: otherRsa, ecP256: ec } = keys

  t.test('algorithm confusion: an HS256 token signed with the public key is refused', async (t) => {
    const app = await buildApp(t, { publicKey: rsa.publicKey, algorithm: 'RS256' })
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
    const signer = await buildApp(t, { privateKey: rsa.privateKey, algorithm: 'RS256' })
    const app = await buildApp(t, { publicKey: rsa.publicKey, algorithm: 'RS256' })
    t.equal(app.authJwt.decodeToken(signer.authJwt.createAccessToken({ subject: 'a' })).sub, 'a',
      'a token of the private key verifies with the public key')
    const stranger = await buildApp(t, { privateKey: otherRsa.privateKey, algorithm: 'RS256' })
    refuses(t, app, stranger.authJwt.createAccessToken({ subject: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID',
      'signed by another RSA key', 'Signature verification failed')
    const ps = await buildApp(t, { privateKey: rsa.privateKey, algorithm: 'PS256' })
    refuses(t, app, ps.authJwt.createAccessToken({ subject: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID',
      'PS256 with the same key on an RS256 instance', 'The specified alg value is not allowed')
  })

  t.test('ES256: malformed signatures', async (t) => {
    const app = await buildApp(t, { privateKey: ec.privateKey, algorithm: 'ES256' })
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    t.equal(app.authJwt.decodeToken(token).sub, 'a', 'an ES256 token verifies')
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

t.test('date claims must be numbers within a JavaScript date\'s range', async (t) => {
  const app = await build(t)
  const later = nowSeconds() + 3600
  const earlier = nowSeconds() - 3600
  for (const claim of ['exp', 'nbf', 'iat']) {
    const fine = claim === 'exp' ? later : earlier
    // 1e308 is finite, but not in milliseconds: it would never expire.
    const values = [`"${fine}"`, 'null', '1e999', '-1e999', '1e308', '-1e308', '8640000000001', 'true', `[${fine}]`, '{}']
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
    ['sub: beyond 2^53, no longer exact', raw('{"sub":9007199254740993}')],
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
    ['csrf: null', { sub: 'a', csrf: null }],
    ['fam: number', { sub: 'a', fam: 5 }],
    ['fam: empty', { sub: 'a', fam: '' }],
    ['fam: null', { sub: 'a', fam: null }]
  ]
  for (const [name, payload] of cases) refuses(t, app, signed(payload), 'FST_JWT_AUTH_TOKEN_INVALID', name)
  refuses(t, app, signed({ type: 'access' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'missing sub names the claim', /"sub"/)
})

t.test('audience', async (t) => {
  t.test('ignored unless decodeAudience is set', async (t) => {
    const app = await build(t)
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 'anything' })).aud, 'anything', 'any audience')
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 5 })).aud, 5, 'even of a strange type')
  })

  t.test('checked when decodeAudience is a string', async (t) => {
    const app = await build(t, { decodeAudience: 'api' })
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 'api' })).aud, 'api', 'the allowed audience')
    t.same(app.authJwt.decodeToken(signed({ sub: 'a', aud: ['web', 'api'] })).aud, ['web', 'api'],
      'an aud list with one match')
    refuses(t, app, signed({ sub: 'a', aud: 'web' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'wrong audience', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: ['web', 'mobile'] }), 'FST_JWT_AUTH_TOKEN_INVALID',
      'an aud list without a match', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'missing aud', /"aud"/)
    refuses(t, app, signed({ sub: 'a', aud: 5 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud: number', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: ['api', 5] }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud list with a number',
      /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: null }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud: null', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: { api: true } }), 'FST_JWT_AUTH_TOKEN_INVALID', 'aud: object',
      /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: 'API' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'matched exactly',
      /^Invalid audience$/)
  })

  t.test('checked when decodeAudience is a list', async (t) => {
    const app = await build(t, { decodeAudience: ['api', 'web'] })
    t.equal(app.authJwt.decodeToken(signed({ sub: 'a', aud: 'web' })).aud, 'web', 'the second allowed audience')
    t.same(app.authJwt.decodeToken(signed({ sub: 'a', aud: ['x', 'api'] })).aud, ['x', 'api'],
      'a list naming one allowed audience')
    refuses(t, app, signed({ sub: 'a', aud: 'mobile' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'none of them', /^Invalid audience$/)
    refuses(t, app, signed({ sub: 'a', aud: [] }), 'FST_JWT_AUTH_TOKEN_INVALID', 'an empty aud list',
      /^Invalid audience$/)
  })
})

t.test('issuer', async (t) => {
  const app = await build(t, { decodeIssuer: 'https://issuer.example' })
  t.equal(app.authJwt.decodeToken(signed({ sub: 'a', iss: 'https://issuer.example' })).iss, 'https://issuer.example',
    'the issuer')
  refuses(t, app, signed({ sub: 'a', iss: 'https://evil.example' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'wrong issuer',
    /^Invalid issuer$/)
  refuses(t, app, signed({ sub: 'a' }), 'FST_JWT_AUTH_TOKEN_INVALID', 'missing iss', /"iss"/)
  refuses(t, app, signed({ sub: 'a', iss: ['https://issuer.example'] }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iss list',
    /^Invalid issuer$/)
  refuses(t, app, signed({ sub: 'a', iss: 1 }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iss: number', /^Invalid issuer$/)
  refuses(t, app, signed({ sub: 'a', iss: null }), 'FST_JWT_AUTH_TOKEN_INVALID', 'iss: null', /^Invalid issuer$/)
  refuses(t, app, signed({ sub: 'a', iss: 'https://issuer.example/' }), 'FST_JWT_AUTH_TOKEN_INVALID',
    'matched exactly', /^Invalid issuer$/)

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

t.test('fast-jwt errors are translated by their code alone, never by their wording', async (t) => {
  const codes = TokenError.codes
  const cases: Array<[string, string]> = [
    [codes.invalidAlgorithm, 'The specified alg value is not allowed'],
    [codes.invalidSignature, 'Signature verification failed'],
    [codes.missingSignature, 'Signature verification failed'],
    [codes.verifyError, 'Signature verification failed'],
    [codes.invalidCritHeader, 'Unsupported critical header'],
    [codes.malformed, 'Malformed token'],
    [codes.invalidPayload, 'Malformed token'],
    // Claims are checked outside fast-jwt: its codes about claims fall back like any unknown code.
    [codes.missingRequiredClaim, 'Malformed token'],
    [codes.invalidClaimType, 'Malformed token'],
    [codes.invalidClaimValue, 'Malformed token'],
    ['FAST_JWT_A_CODE_ADDED_LATER', 'Malformed token']
  ]
  const wordings = ['', 'The sub claim is required.', 'A sentence reworded upstream about the "aud" claim.']
  for (const [code, message] of cases) {
    for (const wording of wordings) {
      const error = translateError(new TokenError(code as typeof codes.malformed, wording))
      t.ok(error instanceof JWTDecodeError, `${code}: a JWTDecodeError`)
      t.equal(error.code, 'FST_JWT_AUTH_TOKEN_INVALID', `${code}: the invalid-token code`)
      t.equal(error.message, message, `${code} worded ${JSON.stringify(wording)}: the fixed message`)
    }
  }
  t.equal(translateError(new TypeError('The sub claim is required.')).message, 'Malformed token',
    'an error that is not a TokenError')
  t.equal(translateError('The sub claim is required.').message, 'Malformed token', 'a thrown value that is not an error')
})

t.test('a claim inherited from a polluted Object.prototype is missing', async (t) => {
  const app = await build(t, { decodeAudience: 'api', decodeIssuer: 'me' })
  const prototype = Object.prototype as Record<string, unknown>
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['sub', { aud: 'api', iss: 'me' }, 'admin'],
    ['aud', { sub: 'a', iss: 'me' }, 'api'],
    ['iss', { sub: 'a', aud: 'api' }, 'me']
  ]
  for (const [claim, payload, inherited] of cases) {
    const token = signed(payload)
    let caught: unknown
    prototype[claim] = inherited
    try {
      app.authJwt.decodeToken(token)
    } catch (error) {
      caught = error
    } finally {
      delete prototype[claim]
    }
    t.ok(caught instanceof JWTDecodeError, `${claim} only on the prototype: refused`)
    t.equal((caught as Error | undefined)?.message, `Token is missing the "${claim}" claim`, `${claim}: named as missing`)
  }
})

t.test('claims nested deeper than the call stack allows are verified, not a crash', async (t) => {
  const app = await build(t)
  const depth = 6050
  const token = signed(raw(`{"sub":"a","x":${'['.repeat(depth)}${']'.repeat(depth)}}`))
  t.ok(token.length <= 16 * 1024, 'within the length limit')
  let caught: unknown
  let claims: Record<string, unknown> = {}
  try {
    claims = app.authJwt.decodeToken(token)
  } catch (error) {
    caught = error
  }
  t.equal(caught, undefined, 'verified without an error')
  let innermost = claims.x as unknown[]
  for (let level = 1; level < depth; level++) innermost = innermost[0] as unknown[]
  t.same(innermost, [], 'down to the innermost array')
  t.ok(Object.isFrozen(innermost), 'which is frozen too')
})

// A token enters the cache when it is verified for the second time (a token
// sent once never does): its claims are then the ones every later call gets.
function admit (app: FastifyInstance, token: string): AuthJwtClaims {
  app.authJwt.decodeToken(token)
  return app.authJwt.decodeToken(token)
}

t.test('the claims cache', async (t) => {
  t.test('a token seen once is not cached; seen twice, it is', async (t) => {
    const app = await build(t)
    const token = app.authJwt.createAccessToken({ subject: 'a' })
    const first = app.authJwt.decodeToken(token)
    const second = app.authJwt.decodeToken(token)
    t.not(second, first, 'the second call verifies the token again')
    t.ok(Object.isFrozen(first), 'claims of a token seen once are frozen all the same')
    t.equal(app.authJwt.decodeToken(token), second, 'the third call gets the claims cached by the second')
    t.equal(app.authJwt.decodeToken(token), second, 'and so does every later one')
  })

  t.test('a reused token returns the same, deeply frozen claims', async (t) => {
    const app = await build(t)
    const token = app.authJwt.createAccessToken({
      subject: 'a',
      userClaims: { profile: { roles: ['admin'], address: { city: 'Paris' } } }
    })
    const first = admit(app, token)
    const second = app.authJwt.decodeToken(token)
    t.equal(second, first, 'the cached object')
    t.ok(Object.isFrozen(first), 'the claims are frozen')
    const profile = first.profile as { roles: string[], address: { city: string } }
    t.ok(Object.isFrozen(profile), 'nested objects too')
    t.ok(Object.isFrozen(profile.roles), 'nested arrays too')
    t.ok(Object.isFrozen(profile.address), 'objects nested deeper too')
    t.throws(() => { (first as Record<string, unknown>).sub = 'admin' }, TypeError, 'a claim cannot be changed')
    t.throws(() => { profile.roles.push('root') }, TypeError, 'a nested array cannot grow')
    t.throws(() => { profile.address.city = 'Lyon' }, TypeError, 'a nested property cannot be changed')
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
    const claims = admit(app, token)
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
    const claims = admit(app, token)
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
    const claims = admit(app, token)
    t.equal(app.authJwt.decodeToken(token), claims, 'valid once nbf has passed: now cached')
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
    const firstClaims = admit(app, tokens[0])
    t.equal(app.authJwt.decodeToken(tokens[0]), firstClaims, 'the first token is cached')
    for (const token of tokens.slice(1)) admit(app, token)
    const lastClaims = app.authJwt.decodeToken(tokens[tokens.length - 1])
    t.equal(app.authJwt.decodeToken(tokens[tokens.length - 1]), lastClaims, 'a recent token is still cached')
    const again = app.authJwt.decodeToken(tokens[0])
    t.not(again, firstClaims, 'the first token was evicted: a new claims object')
    t.same(again, firstClaims, 'verified again, with the same claims')
    t.equal(again.sub, 0, 'the first token\'s subject')
  })

  t.test('bounded by bytes too: large tokens evict the oldest long before 10,000 entries', async (t) => {
    const app = await build(t)
    // Near 16 KiB of empty objects: one of the shapes that hold the most heap per character.
    const tokens = Array.from({ length: 150 }, (_, n) =>
      signed(raw(`{"sub":"${n}","pad":[${Array(4040).fill('{}').join(',')}]}`)))
    const claims = tokens.map(token => admit(app, token))
    // Newest first: a cached token comes back as the very same claims object.
    let cached = 0
    const last = tokens.length - 1
    while (cached < tokens.length && app.authJwt.decodeToken(tokens[last - cached]) === claims[last - cached]) cached++
    t.ok(cached < tokens.length, `${cached} of ${tokens.length} still cached: the oldest were evicted`)
    t.ok(cached >= 50, 'the newest are still cached')
    const again = app.authJwt.decodeToken(tokens[0])
    t.not(again, claims[0], 'the first token was evicted: a new claims object')
    t.same(again, claims[0], 'verified again, with the same claims')
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
