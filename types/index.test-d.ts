// Type tests: compiled by `npm run typecheck` (tsc -p tsconfig.types.json, which
// maps 'fastify-jwt-auth' to the package's type entry, types/module-exports.d.ts),
// never run. A public type that breaks fails the build: an assertion that no
// longer holds, or an @ts-expect-error that no longer finds its error. How the
// packed package types in each module setup is test/e2e/package.test.ts's part.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type preHandlerHookHandler } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { expectTypeOf } from 'expect-type'
import { Cluster, Redis } from 'ioredis'
import fastifyJwtAuth, {
  AuthJwtError,
  ConfigError,
  createMemoryDenylist,
  createRedisDenylist,
  DenylistError,
  fastifyJwtAuth as named,
  JwksError,
  tokenIdentity,
  TokenReusedError,
  InsufficientScopeError,
  UserLookupError,
  UserNotFoundError,
  freshJwtRequired,
  jwtScopesRequired,
  jwtOptional,
  jwtRefreshTokenRequired,
  jwtRequired,
  type Algorithm,
  type AuthJwtClaims,
  type AuthJwtErrorCode,
  type DenylistStore,
  type FastifyJwtAuthOptions,
  type JwkSet,
  type KeyOption,
  type RefreshTokenUse,
  type RefreshTokenUseResult,
  type TokenIdentity,
  type AuthJwtUser,
  type UserLookup
} from 'fastify-jwt-auth'
import requiredPlugin = require('fastify-jwt-auth')

// Users type their own claims by augmenting the module.
// A claims schema types the claims it checks: the same schema, once.
const ClaimsSchema = Type.Object({
  role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('user')])),
  scope: Type.Optional(Type.String())
})

// Users type their own claims, and what userLookup finds, by augmenting the module.
declare module 'fastify-jwt-auth' {
  interface AuthJwtUserClaims extends Static<typeof ClaimsSchema> {}
  interface AuthJwtUser {
    id: string
    email: string
  }
}

const app = Fastify()
expectTypeOf(named).toEqualTypeOf(fastifyJwtAuth)
// require() is the plugin itself, with the named exports (and `default`) on it.
app.register(requiredPlugin, { secretKey: 'x' })
expectTypeOf(requiredPlugin.default).toEqualTypeOf(fastifyJwtAuth)
expectTypeOf(requiredPlugin.jwtRequired).toEqualTypeOf(jwtRequired)
expectTypeOf<requiredPlugin.TokenIdentity>().toEqualTypeOf<TokenIdentity>()
app.register(fastifyJwtAuth, { secretKey: 'x', accessTokenExpires: false, tokenLocation: ['headers', 'cookies'] })
// @ts-expect-error unknown algorithm
app.register(fastifyJwtAuth, { algorithm: 'none' })
// @ts-expect-error durations are numbers or false
app.register(fastifyJwtAuth, { accessTokenExpires: true })
// @ts-expect-error unknown token location
app.register(fastifyJwtAuth, { tokenLocation: ['body'] })
// @ts-expect-error SameSite values are lower-case words
app.register(fastifyJwtAuth, { cookieSamesite: 'sometimes' })

const options: FastifyJwtAuthOptions = {
  tokenInDenylist: async (claims, request) => {
    expectTypeOf(claims.jti).toEqualTypeOf<string | undefined>()
    expectTypeOf(request.url).toBeString()
    return false
  },
  denylistStore: createMemoryDenylist({ maxEntries: 10 })
}
expectTypeOf(options.denylistStore).toEqualTypeOf<DenylistStore | undefined>()
expectTypeOf(createRedisDenylist).parameter(0).toHaveProperty('set')
// ioredis clients, single-node and Cluster, fit the structural client type.
expectTypeOf(createRedisDenylist(new Redis({ lazyConnect: true }), { prefix: 'app:', timeoutMs: 500 })).toEqualTypeOf<DenylistStore>()
expectTypeOf(createRedisDenylist(new Cluster([]))).toEqualTypeOf<DenylistStore>()
// A store must now have the session methods; the token's identity stays optional in add and has.
const twoArgumentStore = { add: async (_jti: string, _expiresAt: number | null) => {}, has: async (_jti: string) => false }
expectTypeOf(twoArgumentStore).not.toMatchTypeOf<DenylistStore>()
expectTypeOf({
  ...twoArgumentStore,
  useRefreshToken: async (_use: RefreshTokenUse): Promise<RefreshTokenUseResult> => ({ outcome: 'revoked' }),
  revokeSubject: async (_subject: string | number, _issuedBeforeMs: number, _expiresAt: number | null) => {}
}).toMatchTypeOf<DenylistStore>()
expectTypeOf<DenylistStore['has']>().parameter(1).toEqualTypeOf<TokenIdentity | undefined>()
expectTypeOf<TokenIdentity>().toEqualTypeOf<{
  subject: string | number
  issuedAt?: number | undefined
  issuedAtMs?: number | undefined
  family?: string | undefined
}>()
expectTypeOf(tokenIdentity({ sub: 'a' })).toEqualTypeOf<TokenIdentity>()
// @ts-expect-error a client without eval() cannot rotate refresh tokens
createRedisDenylist({ set: async () => 'OK', mget: async () => [] })
// Sessions
expectTypeOf(app.authJwt.revokeAllTokens('a')).toEqualTypeOf<Promise<void>>()
expectTypeOf(app.authJwt.createAccessToken({ subject: 'a', family: 'f' })).toBeString()
// @ts-expect-error a refresh token always starts its own family
app.authJwt.createRefreshToken({ subject: 'a', family: 'f' })
expectTypeOf(new TokenReusedError().code).toEqualTypeOf<AuthJwtErrorCode>()
expectTypeOf(createMemoryDenylist({ maxEntries: 10, maxEntriesPerSubject: 5 })).toEqualTypeOf<DenylistStore>()
// @ts-expect-error a client without mget() cannot answer lookups
createRedisDenylist({ set: async () => 'OK', exists: async () => 0 })

// Instance decorators
expectTypeOf(app.jwtRequired).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(app.jwtOptional).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(app.jwtRefreshTokenRequired).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(app.freshJwtRequired).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(app.authJwt.createAccessToken({ subject: 'a', fresh: 60, userClaims: { role: 'admin' } })).toBeString()
expectTypeOf(app.authJwt.createRefreshToken({ subject: 1, expiresTime: false })).toBeString()
expectTypeOf(app.authJwt.decodeToken('t')).toEqualTypeOf<AuthJwtClaims>()
expectTypeOf(app.authJwt.revokeToken('t')).toEqualTypeOf<Promise<void>>()
expectTypeOf(app.authJwt.getJti('t')).toEqualTypeOf<string | null>()
expectTypeOf(app.authJwt.getUnverifiedJwtHeaders('t')).toEqualTypeOf<Record<string, unknown>>()
expectTypeOf(app.authJwt.jwks()).toEqualTypeOf<JwkSet>()
expectTypeOf(app.authJwt.jwks().keys[0]).toMatchTypeOf<{ kid: string, alg: Algorithm, use: 'sig', kty: string }>()
expectTypeOf(app.authJwt.setKeys([{ kid: 'a', algorithm: 'HS256', secretKey: 's' }])).toBeVoid()
app.authJwt.setKeys([
  { kid: 'signs', algorithm: 'ES256', privateKey: 'pem' },
  { kid: 'verifies', algorithm: 'RS256', publicKey: Buffer.from('pem') },
  { kid: 'old', algorithm: 'HS256', secretKey: 's', tokensWithoutKid: true }
])
// @ts-expect-error an HS* key has no key pair
app.authJwt.setKeys([{ kid: 'a', algorithm: 'HS256', secretKey: 's', privateKey: 'pem' }])
// @ts-expect-error every key names its kid
app.authJwt.setKeys([{ algorithm: 'HS256', secretKey: 's' }])
expectTypeOf<KeyOption[]>().toEqualTypeOf<NonNullable<FastifyJwtAuthOptions['keys']>>()
expectTypeOf<FastifyJwtAuthOptions['jwksRoute']>().toEqualTypeOf<boolean | string | undefined>()
expectTypeOf<FastifyJwtAuthOptions['jwksUrl']>().toEqualTypeOf<string | undefined>()
expectTypeOf(new JwksError('x')).toMatchTypeOf<AuthJwtError>()
expectTypeOf(new JwksError('x').code).toEqualTypeOf<AuthJwtErrorCode>()
// @ts-expect-error the subject is required
app.authJwt.createAccessToken({})
// @ts-expect-error refresh tokens have no freshness
app.authJwt.createRefreshToken({ subject: 'a', fresh: true })
// @ts-expect-error a user claim of the wrong type
app.authJwt.createAccessToken({ subject: 'a', userClaims: { role: 'root' } })

app.get('/', { preHandler: [app.jwtRequired, app.freshJwtRequired] }, async (request, reply) => {
  expectTypeOf(request.authJwt.jwtRequired()).toEqualTypeOf<Promise<void>>()
  expectTypeOf(request.authJwt.jwtOptional()).toEqualTypeOf<Promise<void>>()
  expectTypeOf(request.authJwt.jwtRefreshTokenRequired()).toEqualTypeOf<Promise<void>>()
  expectTypeOf(request.authJwt.freshJwtRequired()).toEqualTypeOf<Promise<void>>()
  expectTypeOf(request.authJwt.getJwtSubject()).toEqualTypeOf<string | number | null>()
  const claims = request.authJwt.getRawJwt()
  expectTypeOf(claims).toEqualTypeOf<AuthJwtClaims | null>()
  if (claims !== null) {
    expectTypeOf(claims.sub).toEqualTypeOf<string | number>()
    expectTypeOf(claims.role).toEqualTypeOf<'admin' | 'user' | undefined>()
    expectTypeOf(claims.type).toEqualTypeOf<'access' | 'refresh' | undefined>()
  }
  expectTypeOf(request.authJwt.setAccessCookies).parameters.toEqualTypeOf<[FastifyReply, string, (number | undefined)?]>()
  expectTypeOf(request.authJwt.unsetJwtCookies(reply)).toBeVoid()
  expectTypeOf(request.authJwt.revokeToken()).toEqualTypeOf<Promise<void>>()
  return 'ok'
})

// Exported guards: preHandlers like the decorators, usable alone, in arrays,
// and by callers that pass their own callback (as @fastify/auth does).
expectTypeOf(jwtRequired).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(jwtOptional).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(jwtRefreshTokenRequired).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(freshJwtRequired).toEqualTypeOf<preHandlerHookHandler>()
app.get('/exported', { preHandler: jwtRequired }, async request => request.authJwt.getJwtSubject())
app.post('/exported', { preHandler: [jwtRequired, freshJwtRequired, jwtOptional, jwtRefreshTokenRequired] }, async () => 'ok')
app.route({ method: ['GET', 'OPTIONS'], url: '/all', preHandler: jwtOptional, handler: async () => 'ok' })
type CallbackCaller = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void
expectTypeOf(jwtRequired).toExtend<CallbackCaller>()

// Errors
expectTypeOf(new DenylistError('x')).toMatchTypeOf<AuthJwtError>()
expectTypeOf(new ConfigError('x').code).toEqualTypeOf<import('fastify-jwt-auth').AuthJwtErrorCode>()

// Integrations
app.register(fastifyJwtAuth, {
  secretKey: 'x',
  claimsSchema: ClaimsSchema,
  scopeClaim: 'scp',
  userLookupTimeout: 2,
  userLookup: async (claims, request) => {
    expectTypeOf(claims.role).toEqualTypeOf<'admin' | 'user' | undefined>()
    expectTypeOf(request.url).toBeString()
    return claims.sub === 'gone' ? null : { id: String(claims.sub), email: 'a@example.com' }
  }
})
// @ts-expect-error a lookup must find an AuthJwtUser
app.register(fastifyJwtAuth, { userLookup: () => ({ id: 1 }) })
// @ts-expect-error the claims schema is a TypeBox object schema
app.register(fastifyJwtAuth, { claimsSchema: Type.String() })
type FoundUser = (AuthJwtUser & object) | null | undefined | false
expectTypeOf<UserLookup>().returns.toEqualTypeOf<FoundUser | Promise<FoundUser>>()
expectTypeOf<AuthJwtUser>().toEqualTypeOf<{ id: string, email: string }>()
// @ts-expect-error a user is an object: a user name is not one
app.register(fastifyJwtAuth, { userLookup: () => 'alice' })
// `false` is nobody, as `account && account.enabled && account` answers.
app.register(fastifyJwtAuth, { userLookup: () => false })
expectTypeOf(app.jwtScopesRequired(['posts:read'])).toEqualTypeOf<preHandlerHookHandler>()
expectTypeOf(jwtScopesRequired(['a', 'b'], { any: true })).toEqualTypeOf<preHandlerHookHandler>()
// @ts-expect-error any is a boolean
app.jwtScopesRequired(['a'], { any: 'yes' })
// @ts-expect-error scopes are a list
jwtScopesRequired('a b')
expectTypeOf(app.authJwt.createAccessToken({ subject: 'a', scopes: ['read', 'write'] })).toBeString()
expectTypeOf(app.authJwt.createRefreshToken({ subject: 'a', scopes: [] })).toBeString()
app.get('/user', { preHandler: jwtScopesRequired(['read']) }, async request => {
  expectTypeOf(request.authJwt.currentUser).toEqualTypeOf<{ id: string, email: string } | null>()
  return request.authJwt.currentUser?.email
})
expectTypeOf(new InsufficientScopeError(['a']).requiredScopes).toEqualTypeOf<readonly string[]>()
expectTypeOf(new UserNotFoundError()).toMatchTypeOf<AuthJwtError>()
expectTypeOf(new UserLookupError('x').code).toEqualTypeOf<AuthJwtErrorCode>()
