// The package's type entry (package.json "types" and "exports"), copied to
// dist/types/ by the build, where '../index' is the declarations tsc
// generates from index.ts.
//
// The package is CommonJS and its module.exports is the plugin itself, with
// the named exports and `default` on it. The generated declarations say
// `export default`, which TypeScript reads as a property named `default` of
// a CommonJS module: under node16/nodenext an ES module's `import x from`,
// and a .cts file's `import x = require()`, would get that object instead of
// the plugin, and `register(x)` would not compile. `export =` of a function
// merged with a namespace says what module.exports is, in every module
// setup. The namespace only re-exports the generated declarations;
// test/e2e/package.test.ts checks that it names every export of index.ts.
import * as api from '../index'
import * as options from '../lib/options'

type FastifyJwtAuth = typeof api.default

/**
 * The plugin. Registers the guards (`jwtRequired`, `jwtOptional`,
 * `jwtRefreshTokenRequired`, `freshJwtRequired`), `fastify.authJwt` and
 * `request.authJwt`; the options are `FastifyJwtAuthOptions`. Await the
 * registration before reading the decorators, or use the guards exported by
 * the package.
 * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) from `register`/`ready` for a
 *   bad, unknown or `undefined` option, naming it.
 */
declare function fastifyJwtAuth (...params: Parameters<FastifyJwtAuth>): ReturnType<FastifyJwtAuth>

declare namespace fastifyJwtAuth {
  export const fastifyJwtAuth: FastifyJwtAuth
  export { fastifyJwtAuth as default }

  // Values: an import alias keeps both the value and, for a class, its type.
  export import AccessTokenRequired = api.AccessTokenRequired
  export import AuthJwtError = api.AuthJwtError
  export import ConfigError = api.ConfigError
  export import CSRFError = api.CSRFError
  export import DenylistError = api.DenylistError
  export import FreshTokenRequired = api.FreshTokenRequired
  export import InsufficientScopeError = api.InsufficientScopeError
  export import InvalidHeaderError = api.InvalidHeaderError
  export import JwksError = api.JwksError
  export import JWTDecodeError = api.JWTDecodeError
  export import MissingTokenError = api.MissingTokenError
  export import RefreshTokenRequired = api.RefreshTokenRequired
  export import RevokedTokenError = api.RevokedTokenError
  export import TokenReusedError = api.TokenReusedError
  export import UserLookupError = api.UserLookupError
  export import UserNotFoundError = api.UserNotFoundError
  export import createMemoryDenylist = api.createMemoryDenylist
  export import createRedisDenylist = api.createRedisDenylist
  export import freshJwtRequired = api.freshJwtRequired
  export import jwtOptional = api.jwtOptional
  export import jwtRefreshTokenRequired = api.jwtRefreshTokenRequired
  export import jwtRequired = api.jwtRequired
  export import jwtScopesRequired = api.jwtScopesRequired
  export import tokenIdentity = api.tokenIdentity

  // Users augment this interface (`declare module 'fastify-jwt-auth'`) to
  // type their claims: an alias of the declaration itself, so that what they
  // add reaches every type that uses it. index.ts exports it type-only, which
  // an import alias cannot follow, hence the module it is declared in.
  export import AuthJwtUserClaims = options.AuthJwtUserClaims
  export import AuthJwtUser = options.AuthJwtUser

  // Types exported type-only by index.ts.
  export type Algorithm = api.Algorithm
  export type AuthJwt = api.AuthJwt
  export type AuthJwtClaims = api.AuthJwtClaims
  export type AuthJwtErrorCode = api.AuthJwtErrorCode
  export type AuthJwtInstanceDecorators = api.AuthJwtInstanceDecorators
  export type CreateAccessTokenOptions = api.CreateAccessTokenOptions
  export type CreateTokenOptions = api.CreateTokenOptions
  export type DenylistStore = api.DenylistStore
  export type FastifyJwtAuthOptions = api.FastifyJwtAuthOptions
  export type JwkSet = api.JwkSet
  export type JwtClaims = api.JwtClaims
  export type KeyOption = api.KeyOption
  export type MemoryDenylistOptions = api.MemoryDenylistOptions
  export type PublicJwk = api.PublicJwk
  export type RedisDenylistOptions = api.RedisDenylistOptions
  export type RedisLike = api.RedisLike
  export type RefreshTokensOptions = api.RefreshTokensOptions
  export type RefreshTokenUse = api.RefreshTokenUse
  export type RefreshTokenUseResult = api.RefreshTokenUseResult
  export type RequestAuthJwt = api.RequestAuthJwt
  export type SameSite = api.SameSite
  export type ScopesRequiredOptions = api.ScopesRequiredOptions
  export type TokenIdentity = api.TokenIdentity
  export type TokenInDenylist = api.TokenInDenylist
  export type TokenLocation = api.TokenLocation
  export type TokenPair = api.TokenPair
  export type TokenType = api.TokenType
  export type UserLookup = api.UserLookup
}

export = fastifyJwtAuth
