// What the benchmark compares: the server variants (what the measured route
// is behind, and what the runner checks before measuring them) and the ratios
// it reports, with their targets. bench/server.ts serves one variant;
// bench/run.ts measures them.
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import { Redis } from 'ioredis'
import type * as FastifyJwtAuth from '../index'
import type { AsymmetricAlgorithm, BenchAlgorithm, KeyPairs } from './keys'

export const ROUTE = '/hello'
export const RESPONSE = { hello: 'world' }
/** Unguarded: `POST` `{"username":"…"}`, answered with a new access and refresh token. */
export const LOGIN_ROUTE = '/login'

/**
 * `reused`: one token on every request, as a client sends its token all its
 * life. `new-token`: another token on every request. `login`: token creation,
 * an access and a refresh token per request.
 */
export const MODES = ['reused', 'new-token', 'login'] as const
export type Mode = typeof MODES[number]

/** How the chart names the modes. */
export const MODE_LABELS: Record<Mode, string> = {
  reused: 'token reused',
  'new-token': 'new token every request',
  login: 'login (sign access + refresh)'
}

/** What the login route answers. */
export interface LoginTokens {
  access_token: string
  refresh_token: string
}

export interface VariantContext {
  /** The plugin as built in dist/. */
  plugin: typeof FastifyJwtAuth
  /** The HS256 secret. */
  secret: string
  /** The key pair of each asymmetric algorithm. */
  keys: KeyPairs
  redisUrl: string
}

export interface VariantSetup {
  preHandler?: preHandlerHookHandler
  claimsOf?: (request: FastifyRequest) => unknown
  /** The verified token's subject, as a handler reads it (after `preHandler`); a guarded variant must have one. */
  subjectOf?: (request: FastifyRequest) => unknown
  /** The login route's work: an access and a refresh token for the subject. */
  login?: (request: FastifyRequest, subject: string) => LoginTokens
  /** The variant's own verifier, for the runner's check of the login route's tokens: their claims, or a throw. */
  verify?: (token: string) => unknown
  /** A token in the denylist. */
  revokedToken?: string
}

export interface VariantSpec {
  /** The algorithm of the tokens the runner sends it (`bare` takes HS256 ones and checks none). */
  algorithm: BenchAlgorithm
  /** Checked: no token, a forged token and one signed with another key get 401; another algorithm's token is refused. */
  guarded: boolean
  /** Checked: a revoked token gets 401. The Redis variant is skipped when Redis is down. */
  denylist: 'memory' | 'redis' | null
  /** Checked: two requests with one token get the very same claims object, from a cache. */
  cachesClaims: boolean
  setup: (app: FastifyInstance, context: VariantContext) => Promise<VariantSetup>
}

// Revoked before the run, so that the guard does not look into an empty denylist.
const REVOKED_TOKENS = 100

/** fastify-jwt-auth's key options for the algorithm: the runner signs its tokens with the same. */
export function pluginKeyOptions (algorithm: BenchAlgorithm, secret: string, keys: KeyPairs):
{ secretKey: string } | { algorithm: AsymmetricAlgorithm, privateKey: string, publicKey: string } {
  return algorithm === 'HS256' ? { secretKey: secret } : { algorithm, ...keys[algorithm] }
}

async function guardSetup (app: FastifyInstance, context: VariantContext, algorithm: BenchAlgorithm, denylist: VariantSpec['denylist']): Promise<VariantSetup> {
  const { default: fastifyJwtAuth, createRedisDenylist, jwtRequired } = context.plugin
  let denylistOptions = {}
  if (denylist === 'redis') {
    const redis = new Redis(context.redisUrl)
    await redis.ping()
    denylistOptions = { denylistEnabled: true, denylistStore: createRedisDenylist(redis) }
  } else if (denylist === 'memory') {
    denylistOptions = { denylistEnabled: true }
  }
  await app.register(fastifyJwtAuth, { ...pluginKeyOptions(algorithm, context.secret, context.keys), ...denylistOptions })
  let revokedToken: string | undefined
  for (let i = 0; i < (denylist === null ? 0 : REVOKED_TOKENS); i++) {
    revokedToken = app.authJwt.createAccessToken({ subject: `revoked-${i}`, expiresTime: 3600 })
    await app.authJwt.revokeToken(revokedToken)
  }
  return {
    // The exported guard, as the quick start writes it.
    preHandler: jwtRequired,
    claimsOf: request => request.authJwt.getRawJwt(),
    subjectOf: request => request.authJwt.getJwtSubject(),
    // The lifetimes are the plugin's defaults: 15 minutes and 30 days.
    login: (request, subject) => ({
      access_token: request.authJwt.createAccessToken({ subject }),
      refresh_token: request.authJwt.createRefreshToken({ subject })
    }),
    verify: token => app.authJwt.decodeToken(token),
    revokedToken
  }
}

async function fastifyJwtSetup (app: FastifyInstance, context: VariantContext, algorithm: BenchAlgorithm, cache: boolean): Promise<VariantSetup> {
  await app.register(fastifyJwt, {
    // The same secret or key pair as the guard's, as @fastify/jwt's README writes it.
    secret: algorithm === 'HS256' ? context.secret : { private: context.keys[algorithm].privateKey, public: context.keys[algorithm].publicKey },
    // The access token's lifetime as the default, as its README's refresh
    // token example does: the access token is signed with the signer built
    // at registration, the refresh token (options given) with one built per
    // call, as @fastify/jwt does for any options.
    sign: { ...(algorithm === 'HS256' ? {} : { algorithm }), expiresIn: '15m' },
    // `verify: { cache: true }` gives its fast-jwt verifier an LRU cache of
    // 1,000 verified tokens; @fastify/jwt has none by default.
    ...(cache ? { verify: { cache: true } } : {})
  })
  return {
    preHandler: async request => { await request.jwtVerify() },
    claimsOf: request => request.user,
    subjectOf: request => (request.user as { sub?: unknown }).sub,
    // `fastify.jwt.sign`, synchronous: the cheapest of its documented ways
    // (`reply.jwtSign` wraps the same in a callback and a promise).
    login: (_request, subject) => ({
      access_token: app.jwt.sign({ sub: subject }),
      refresh_token: app.jwt.sign({ sub: subject, type: 'refresh' }, { expiresIn: '30d' })
    }),
    verify: token => app.jwt.verify(token)
  }
}

// The bare route's app registers a plugin that does nothing, as every other
// variant registers the library it measures: Fastify serves a route some
// 15 % slower once any plugin has been registered, whatever the plugin does
// (an empty one costs as much as fastify-jwt-auth registered and unused), so
// a bare app without one would count that against the guards.
async function bareSetup (app: FastifyInstance): Promise<VariantSetup> {
  await app.register(async function nothing () {})
  return {}
}

const guardVariant = (algorithm: BenchAlgorithm, denylist: VariantSpec['denylist'] = null): VariantSpec =>
  ({ algorithm, guarded: true, denylist, cachesClaims: true, setup: (app, context) => guardSetup(app, context, algorithm, denylist) })
const fastifyJwtVariant = (algorithm: BenchAlgorithm, cache = false): VariantSpec =>
  ({ algorithm, guarded: true, denylist: null, cachesClaims: cache, setup: (app, context) => fastifyJwtSetup(app, context, algorithm, cache) })

export const VARIANTS = {
  bare: { algorithm: 'HS256', guarded: false, denylist: null, cachesClaims: false, setup: bareSetup },
  guard: guardVariant('HS256'),
  'fastify-jwt': fastifyJwtVariant('HS256'),
  'fastify-jwt-cache': fastifyJwtVariant('HS256', true),
  'guard-memory-denylist': guardVariant('HS256', 'memory'),
  'guard-redis-denylist': guardVariant('HS256', 'redis'),
  'guard-rs256': guardVariant('RS256'),
  'fastify-jwt-rs256': fastifyJwtVariant('RS256'),
  'guard-es256': guardVariant('ES256'),
  'fastify-jwt-es256': fastifyJwtVariant('ES256'),
  'guard-eddsa': guardVariant('EdDSA'),
  'fastify-jwt-eddsa': fastifyJwtVariant('EdDSA')
} satisfies Record<string, VariantSpec>

export type Variant = keyof typeof VARIANTS

export function isVariant (name: string): name is Variant {
  return Object.hasOwn(VARIANTS, name)
}

/** One measured run: a variant under the load of a mode. */
export interface Load {
  variant: Variant
  mode: Mode
}

export interface Ratio {
  name: string
  numerator: Load
  denominator: Load
  /** The median must reach it; ratios without one are printed for information. */
  minimum?: number
}

const reused = (variant: Variant): Load => ({ variant, mode: 'reused' })
const newToken = (variant: Variant): Load => ({ variant, mode: 'new-token' })
const login = (variant: Variant): Load => ({ variant, mode: 'login' })

/** The ratios reported; each variant runs in the modes its ratios use. */
export const RATIOS: Ratio[] = [
  { name: 'guard / bare, token reused', numerator: reused('guard'), denominator: reused('bare'), minimum: 0.9 },
  { name: 'guard / @fastify/jwt, token reused', numerator: reused('guard'), denominator: reused('fastify-jwt'), minimum: 1.5 },
  // Both sides cache verified tokens: the fair comparison for a reused token.
  { name: 'guard / @fastify/jwt with its cache, token reused', numerator: reused('guard'), denominator: reused('fastify-jwt-cache'), minimum: 1.5 },
  { name: 'guard / @fastify/jwt, new token every request', numerator: newToken('guard'), denominator: newToken('fastify-jwt'), minimum: 1.15 },
  { name: 'login (sign access + refresh): guard / @fastify/jwt', numerator: login('guard'), denominator: login('fastify-jwt'), minimum: 1.0 },
  { name: 'guard + memory denylist / bare', numerator: reused('guard-memory-denylist'), denominator: reused('bare'), minimum: 0.8 },
  { name: 'guard + Redis denylist / bare', numerator: reused('guard-redis-denylist'), denominator: reused('bare'), minimum: 0.5 },
  // What checking a signature costs when no cache can help.
  { name: 'guard / bare, new token every request', numerator: newToken('guard'), denominator: newToken('bare') },
  // A different jti on every request: no two denylist lookups share a key.
  { name: 'guard + memory denylist / guard, new token every request', numerator: newToken('guard-memory-denylist'), denominator: newToken('guard') },
  { name: 'guard + Redis denylist / guard, new token every request', numerator: newToken('guard-redis-denylist'), denominator: newToken('guard') },
  // The same comparisons with key pairs: verifying a signature costs more,
  // so a cache saves more, and without one the verification dominates.
  ...([
    ['RS256', 'guard-rs256', 'fastify-jwt-rs256'],
    ['ES256', 'guard-es256', 'fastify-jwt-es256'],
    ['EdDSA', 'guard-eddsa', 'fastify-jwt-eddsa']
  ] as const satisfies ReadonlyArray<readonly [AsymmetricAlgorithm, Variant, Variant]>).flatMap(([algorithm, ours, theirs]): Ratio[] => [
    { name: `guard / @fastify/jwt, ${algorithm}, token reused`, numerator: reused(ours), denominator: reused(theirs) },
    { name: `guard / @fastify/jwt, ${algorithm}, new token every request`, numerator: newToken(ours), denominator: newToken(theirs), minimum: 1.0 }
  ])
]
