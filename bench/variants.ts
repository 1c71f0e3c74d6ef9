// What the benchmark compares: the server variants (what the measured route
// is behind, and what the runner checks before measuring them) and the ratios
// it reports, with their targets. bench/server.ts serves one variant;
// bench/run.ts measures them.
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import { Redis } from 'ioredis'
import type * as FastifyJwtAuth from '../index'

export const ROUTE = '/hello'
export const RESPONSE = { hello: 'world' }

/** `reused`: one token on every request, as a client sends its token all its life. `new-token`: another token on every request. */
export const MODES = ['reused', 'new-token'] as const
export type Mode = typeof MODES[number]

export interface VariantContext {
  /** The plugin as built in dist/. */
  plugin: typeof FastifyJwtAuth
  secret: string
  redisUrl: string
}

export interface VariantSetup {
  preHandler?: preHandlerHookHandler
  claimsOf?: (request: FastifyRequest) => unknown
  /** A token in the denylist. */
  revokedToken?: string
}

export interface VariantSpec {
  /** Checked: no token and a forged token get 401. */
  guarded: boolean
  /** Checked: a revoked token gets 401. The Redis variant is skipped when Redis is down. */
  denylist: 'memory' | 'redis' | null
  /** Checked: two requests with one token get the very same claims object, from a cache. */
  cachesClaims: boolean
  setup: (app: FastifyInstance, context: VariantContext) => Promise<VariantSetup>
}

// Revoked before the run, so that the guard does not look into an empty denylist.
const REVOKED_TOKENS = 100

async function guardSetup (app: FastifyInstance, context: VariantContext, denylist: VariantSpec['denylist']): Promise<VariantSetup> {
  const { default: fastifyJwtAuth, createRedisDenylist, jwtRequired } = context.plugin
  let denylistOptions = {}
  if (denylist === 'redis') {
    const redis = new Redis(context.redisUrl)
    await redis.ping()
    denylistOptions = { denylistEnabled: true, denylistStore: createRedisDenylist(redis) }
  } else if (denylist === 'memory') {
    denylistOptions = { denylistEnabled: true }
  }
  await app.register(fastifyJwtAuth, { secretKey: context.secret, ...denylistOptions })
  let revokedToken: string | undefined
  for (let i = 0; i < (denylist === null ? 0 : REVOKED_TOKENS); i++) {
    revokedToken = app.authJwt.createAccessToken({ subject: `revoked-${i}`, expiresTime: 3600 })
    await app.authJwt.revokeToken(revokedToken)
  }
  // The exported guard, as the quick start writes it.
  return { preHandler: jwtRequired, claimsOf: request => request.authJwt.getRawJwt(), revokedToken }
}

async function fastifyJwtSetup (app: FastifyInstance, context: VariantContext, cache: boolean): Promise<VariantSetup> {
  // `verify: { cache: true }` gives its fast-jwt verifier an LRU cache of
  // 1,000 verified tokens; @fastify/jwt has none by default.
  await app.register(fastifyJwt, { secret: context.secret, ...(cache ? { verify: { cache: true } } : {}) })
  return { preHandler: async request => { await request.jwtVerify() }, claimsOf: request => request.user }
}

export const VARIANTS = {
  bare: { guarded: false, denylist: null, cachesClaims: false, setup: async (): Promise<VariantSetup> => ({}) },
  guard: { guarded: true, denylist: null, cachesClaims: true, setup: (app, context) => guardSetup(app, context, null) },
  'fastify-jwt': { guarded: true, denylist: null, cachesClaims: false, setup: (app, context) => fastifyJwtSetup(app, context, false) },
  'fastify-jwt-cache': { guarded: true, denylist: null, cachesClaims: true, setup: (app, context) => fastifyJwtSetup(app, context, true) },
  'guard-memory-denylist': { guarded: true, denylist: 'memory', cachesClaims: true, setup: (app, context) => guardSetup(app, context, 'memory') },
  'guard-redis-denylist': { guarded: true, denylist: 'redis', cachesClaims: true, setup: (app, context) => guardSetup(app, context, 'redis') }
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

/** The ratios reported; each variant runs in the modes its ratios use. */
export const RATIOS: Ratio[] = [
  { name: 'guard / bare, token reused', numerator: reused('guard'), denominator: reused('bare'), minimum: 0.85 },
  { name: 'guard / @fastify/jwt, token reused', numerator: reused('guard'), denominator: reused('fastify-jwt'), minimum: 1.5 },
  { name: 'guard / @fastify/jwt, new token every request', numerator: newToken('guard'), denominator: newToken('fastify-jwt'), minimum: 1.0 },
  { name: 'guard + memory denylist / bare', numerator: reused('guard-memory-denylist'), denominator: reused('bare'), minimum: 0.8 },
  { name: 'guard + Redis denylist / bare', numerator: reused('guard-redis-denylist'), denominator: reused('bare'), minimum: 0.5 },
  // Both sides cache verified tokens: the fair comparison for a reused token.
  { name: 'guard / @fastify/jwt with its cache, token reused', numerator: reused('guard'), denominator: reused('fastify-jwt-cache') },
  // What checking a signature costs when no cache can help.
  { name: 'guard / bare, new token every request', numerator: newToken('guard'), denominator: newToken('bare') },
  // A different jti on every request: no two denylist lookups share a key.
  { name: 'guard + memory denylist / guard, new token every request', numerator: newToken('guard-memory-denylist'), denominator: newToken('guard') },
  { name: 'guard + Redis denylist / guard, new token every request', numerator: newToken('guard-redis-denylist'), denominator: newToken('guard') }
]
