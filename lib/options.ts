// The plugin's options: one TypeBox schema that types them, validates them,
// holds their defaults and says how each one is read from an AUTHJWT_*
// environment variable. Adding an option is adding its line here.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import type { DenylistStore } from './denylist/store'
import type { KeyOption } from './keys/key-set'

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA'
] as const
export const ALGORITHMS = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS] as const
export const TOKEN_LOCATIONS = ['headers', 'cookies', 'query', 'json'] as const
export const TOKEN_TYPES = ['access', 'refresh'] as const
export const SAMESITE_VALUES = ['strict', 'lax', 'none'] as const

/** A signing algorithm: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA (`none` never). */
export type Algorithm = typeof ALGORITHMS[number]
/** Where a request may carry its token. */
export type TokenLocation = typeof TOKEN_LOCATIONS[number]
/** The `type` claim of the plugin's tokens. */
export type TokenType = typeof TOKEN_TYPES[number]
/** The SameSite attribute of the plugin's cookies. */
export type SameSite = typeof SAMESITE_VALUES[number]

/**
 * How an option's environment variable is turned into the option's value.
 * `none`: the option cannot come from the environment (functions, objects).
 */
export type EnvKind = 'string' | 'key' | 'boolean' | 'integer' | 'seconds' | 'lifetime' | 'list' | 'stringOrList' |
'json' | 'booleanOrPath' | 'none'

/** A number of seconds written as people write them: `'90s'`, `'15m'`, `'2h'`, `'30d'`. */
export type DurationString = `${number}${'s' | 'm' | 'h' | 'd'}`

const DURATION = /^(\d+)(s|m|h|d)$/
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** The seconds a duration string stands for; undefined when `text` is not one. */
export function durationSeconds (text: string): number | undefined {
  const match = DURATION.exec(text)
  return match === null ? undefined : Number(match[1]) * UNIT_SECONDS[match[2]]
}

// `hint` finishes the sentence "<option> must be …" in configuration errors;
// `env` says how to read the option from its environment variable.
function option<T extends TSchema> (schema: T, env: EnvKind, hint: string): T {
  return Object.assign(schema, { env, hint })
}

// The option's default, kept in its schema so that the value and the type of
// the resolved option both come from this one place.
function withDefault<T extends TSchema> (schema: T, value: Static<T>): T & { default: Static<T> } {
  return Object.assign(schema, { default: value })
}

const nonEmptyString = () => Type.String({ minLength: 1 })
const secret = () => Type.Union([Type.String({ minLength: 1 }), Type.Uint8Array({ minByteLength: 1 })])
// Seconds are turned into milliseconds and added to the clock: beyond this
// (some 285,000 years) the arithmetic is no longer exact.
const MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000) - 2 ** 32
const wholeSeconds = () => Type.Integer({ minimum: 0, maximum: MAX_SECONDS })
// A duration string is turned into seconds before the options are validated
// (config.ts); the schema still lets the option's type name it.
const durationText = () => Type.Unsafe<DurationString>(Type.String({ pattern: DURATION.source }))
const seconds = () => option(Type.Union([wholeSeconds(), durationText()]), 'seconds',
  'a non-negative whole number of seconds, or a duration such as "90s", "15m", "2h", "30d"')
const duration = () => option(Type.Union([wholeSeconds(), durationText(), Type.Literal(false)]), 'lifetime',
  'a non-negative whole number of seconds, a duration such as "15m" or "30d", or false')
const flag = () => option(Type.Boolean(), 'boolean', 'true or false')
// Type.Unsafe keeps the literal union in the static type, which a mapped Type.Union loses.
const enumOf = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>(Type.Union(values.map(value => Type.Literal(value))))
const listOf = <T extends TSchema>(item: T) => Type.Array(item, { minItems: 1 })

// RFC 9110 token characters: what a header or cookie name may be made of.
const TOKEN_CHARACTERS = "!#$%&'*+.^_`|~0-9A-Za-z-"
const NAME = 'a non-empty string'
const name = () => option(nonEmptyString(), 'string', NAME)
const path = () => option(Type.String({ pattern: '^/' }), 'string', 'a path starting with "/"')
const headerName = () => option(Type.String({ pattern: `^[${TOKEN_CHARACTERS}]+$` }), 'string', 'a valid HTTP header name')
const cookieName = () => option(Type.String({ pattern: `^[${TOKEN_CHARACTERS}]+$` }), 'string', 'a valid cookie name')

export const optionsSchema = Type.Object({
  secretKey: Type.Optional(option(secret(), 'string', 'a non-empty string or Buffer')),
  privateKey: Type.Optional(option(secret(), 'key', 'a PEM private key (string or Buffer)')),
  publicKey: Type.Optional(option(secret(), 'key', 'a PEM public key (string or Buffer)')),
  // Checked entry by entry in keys/key-set.ts, whose messages name the entry and member.
  keys: Type.Optional(option(Type.Unknown(), 'json',
    'a non-empty list of { kid, algorithm, secretKey } or { kid, algorithm, privateKey?, publicKey? }')),
  /** The URL of an issuer's JWKS: this instance then only verifies, with the issuer's keys (needs `decodeIssuer`). */
  jwksUrl: Type.Optional(option(Type.String({ pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' }), 'string', 'an http(s) URL')),
  /** Seconds a fetched JWKS is used before it is fetched again (default 600); keys in hand keep working meanwhile. */
  jwksCacheMaxAge: Type.Optional(withDefault(seconds(), 600)),
  /** Seconds between two fetches of the JWKS for an unknown `kid` (default 30). */
  jwksCooldown: Type.Optional(withDefault(seconds(), 30)),
  /** Seconds a JWKS fetch may take, body included (default 5). */
  // At most a minute: a stalled issuer holds requests, and the start-up, that long.
  jwksTimeout: Type.Optional(withDefault(
    option(Type.Integer({ minimum: 1, maximum: 60 }), 'integer', 'a whole number of seconds from 1 to 60'), 5)),
  /** Serve `jwks()` at `/.well-known/jwks.json` (`true`) or at the path given (default `false`). */
  jwksRoute: Type.Optional(withDefault(
    option(Type.Union([Type.Boolean(), Type.String({ pattern: '^/' })]), 'booleanOrPath',
      'true, false, or a path starting with "/"'),
    false)),
  /** The algorithm new tokens are signed with (default `HS256`); one of `decodeAlgorithms`. */
  algorithm: Type.Optional(withDefault(
    option(enumOf(ALGORITHMS), 'string', `one of ${ALGORITHMS.join(', ')}`), 'HS256')),
  /** Algorithms accepted when verifying (default `[algorithm]`): one family only, HS* or asymmetric, each
   * fitting the key. `none` is never allowed.
   */
  decodeAlgorithms: Type.Optional(option(listOf(enumOf(ALGORITHMS)), 'list',
    `a non-empty list of ${ALGORITHMS.join(', ')}`)),
  /** Clock tolerance in seconds for `exp`, `nbf` and `iat` (default 0). */
  decodeLeeway: Type.Optional(withDefault(seconds(), 0)),
  /** `iss` written on new tokens. */
  encodeIssuer: Type.Optional(name()),
  /** `iss` every verified token must carry, exactly. */
  decodeIssuer: Type.Optional(name()),
  /** Audience(s) a verified token's `aud` must name one of; also written on new tokens that name no `audience`
   * of their own. When unset, `aud` is ignored.
   */
  decodeAudience: Type.Optional(option(Type.Union([nonEmptyString(), listOf(nonEmptyString())]), 'stringOrList',
    'a non-empty string or a non-empty list of them')),
  /** Seconds an access token lives (default 900, 15 minutes), or `false` for no `exp`. */
  accessTokenExpires: Type.Optional(withDefault(duration(), 900)),
  /** Seconds a refresh token lives (default 2,592,000, 30 days), or `false` for no `exp`. */
  refreshTokenExpires: Type.Optional(withDefault(duration(), 2_592_000)),
  /** Where requests carry their token, tried in this order (default `['headers']`): `headers`, `cookies`,
   * `query`, `json`. Only an absent token moves on to the next location.
   */
  tokenLocation: Type.Optional(withDefault(
    option(Type.Union([enumOf(TOKEN_LOCATIONS), listOf(enumOf(TOKEN_LOCATIONS))]), 'list',
      `a non-empty list of ${TOKEN_LOCATIONS.join(', ')}`),
    ['headers'])),
  /** The header holding the token (default `Authorization`). Sent twice, the request is refused (400). */
  headerName: Type.Optional(withDefault(headerName(), 'Authorization')),
  /** The scheme word before the token (default `Bearer`, matched case-insensitively); `''` for the bare token. */
  headerType: Type.Optional(withDefault(
    option(Type.String({ pattern: `^[${TOKEN_CHARACTERS}]*$` }), 'string',
      'an authentication scheme word such as "Bearer", or "" for the bare token'),
    'Bearer')),
  /** Query parameter holding the token (default `token`) when `query` is a location. */
  queryStringName: Type.Optional(withDefault(name(), 'token')),
  /** JSON body field holding the access token (default `access_token`) when `json` is a location. */
  jsonKey: Type.Optional(withDefault(name(), 'access_token')),
  /** JSON body field holding the refresh token (default `refresh_token`) when `json` is a location. */
  refreshJsonKey: Type.Optional(withDefault(name(), 'refresh_token')),
  /** Name of the access token's httpOnly cookie (default `access_token_cookie`). `__Host-` names are checked
   * against `cookieSecure`, the path and `cookieDomain`.
   */
  accessCookieKey: Type.Optional(withDefault(cookieName(), 'access_token_cookie')),
  /** Name of the refresh token's httpOnly cookie (default `refresh_token_cookie`). */
  refreshCookieKey: Type.Optional(withDefault(cookieName(), 'refresh_token_cookie')),
  /** Path of the access token cookie (default `/`). */
  accessCookiePath: Type.Optional(withDefault(path(), '/')),
  /** Path of the refresh token cookie (default `/`); `/refresh` sends it only where it is used. */
  refreshCookiePath: Type.Optional(withDefault(path(), '/')),
  /** Max-Age of every cookie, in seconds; unset: session cookies. */
  cookieMaxAge: Type.Optional(seconds()),
  /** Domain of every cookie; unset: host-only cookies (required for `__Host-` names). */
  cookieDomain: Type.Optional(name()),
  /** Secure attribute of every cookie (default `false`); required for `__Host-`/`__Secure-` names and SameSite
   * `none`.
   */
  cookieSecure: Type.Optional(withDefault(flag(), false)),
  /** SameSite of every cookie: `strict`, `lax` (default) or `none` (which needs `cookieSecure`). */
  cookieSamesite: Type.Optional(withDefault(
    option(enumOf(SAMESITE_VALUES), 'string', 'one of strict, lax, none'), 'lax')),
  /** Double-submit CSRF protection for cookie-borne tokens (default `true`). */
  cookieCsrfProtect: Type.Optional(withDefault(flag(), true)),
  /** Name of the access token's CSRF cookie, readable by scripts (default `csrf_access_token`). */
  accessCsrfCookieKey: Type.Optional(withDefault(cookieName(), 'csrf_access_token')),
  /** Name of the refresh token's CSRF cookie, readable by scripts (default `csrf_refresh_token`). */
  refreshCsrfCookieKey: Type.Optional(withDefault(cookieName(), 'csrf_refresh_token')),
  /** Path of the access token's CSRF cookie (default `/`). */
  accessCsrfCookiePath: Type.Optional(withDefault(path(), '/')),
  /** Path of the refresh token's CSRF cookie (default `/`). */
  refreshCsrfCookiePath: Type.Optional(withDefault(path(), '/')),
  /** Header a cookie-authenticated request sends the access CSRF value in (default `X-CSRF-Token`). */
  accessCsrfHeaderName: Type.Optional(withDefault(headerName(), 'X-CSRF-Token')),
  /** Header a cookie-authenticated request sends the refresh CSRF value in (default `X-CSRF-Token`). */
  refreshCsrfHeaderName: Type.Optional(withDefault(headerName(), 'X-CSRF-Token')),
  /** Methods whose cookie-authenticated requests must send the CSRF header (default `POST`, `PUT`, `PATCH`,
   * `DELETE`; WebSocket upgrades always).
   */
  csrfMethods: Type.Optional(withDefault(
    option(Type.Array(Type.String({ pattern: '^[A-Za-z]+$' })), 'list', 'a list of HTTP method names'),
    ['POST', 'PUT', 'PATCH', 'DELETE'])),
  /** Check tokens against the denylist on every guarded request (default `false`); `revokeToken` needs it. */
  denylistEnabled: Type.Optional(withDefault(flag(), false)),
  /** Token types checked against the denylist (default `['access', 'refresh']`); `revokeToken` refuses the
   * others.
   */
  denylistTokenChecks: Type.Optional(withDefault(
    option(Type.Array(enumOf(TOKEN_TYPES)), 'list', 'a list of access, refresh'), ['access', 'refresh'])),
  /** Seconds a denylist check or revocation may take before it fails closed with a 500 (default 5). */
  denylistTimeout: Type.Optional(withDefault(
    option(Type.Integer({ minimum: 1 }), 'integer', 'a whole number of seconds, at least 1'), 5)),
  /** Seconds after its first use during which a refresh token may be used again (two tabs, a retry) and get a
   * pair of its family instead of revoking it (default 30).
   */
  // At most five minutes: a longer window would let a stolen token be replayed unnoticed that long.
  refreshReuseGrace: Type.Optional(withDefault(
    option(Type.Union([Type.Integer({ minimum: 0, maximum: 300 }), durationText()]), 'seconds',
      'a whole number of seconds from 0 to 300, or a duration such as "30s"'),
    30)),
  /** Seconds before its expiry from which a request authenticated by the access cookie gets a new access cookie
   * on its response; `false` (the default): never.
   */
  implicitRefreshThreshold: Type.Optional(withDefault(
    option(Type.Union([wholeSeconds(), durationText(), Type.Literal(false)]), 'lifetime',
      'a non-negative whole number of seconds, a duration such as "5m", or false'),
    false)),
  /** The claim holding a token's scopes (default `scope`): a space-separated string or a list of strings. */
  scopeClaim: Type.Optional(withDefault(name(), 'scope')),
  /** Seconds `userLookup` may take before the request fails closed with a 500 (default 5). */
  // At most a minute: a hung lookup holds its request that long.
  userLookupTimeout: Type.Optional(withDefault(
    option(Type.Integer({ minimum: 1, maximum: 60 }), 'integer', 'a whole number of seconds from 1 to 60'), 5)),
  // Checked by hand in config.ts and claims-schema.ts: TypeBox cannot describe a function's contract, nor
  // tell a TypeBox schema from any object.
  userLookup: Type.Optional(option(Type.Unknown(), 'none',
    'a function (claims, request) => user | null | Promise<user | null>')),
  claimsSchema: Type.Optional(option(Type.Unknown(), 'none', 'a TypeBox object schema of your claims')),
  tokenInDenylist: Type.Optional(option(Type.Unknown(), 'none', 'a function (claims, request) => boolean | Promise<boolean>')),
  denylistStore: Type.Optional(option(Type.Unknown(), 'none',
    'an object with async add, has, useRefreshToken and revokeSubject'))
})

export type OptionName = keyof typeof optionsSchema.properties

/** The claims of a verified token. Extend `AuthJwtUserClaims` to type your own. */
export interface AuthJwtUserClaims {}

/** What `userLookup` finds for a token, in `request.authJwt.currentUser`. Extend it to type your own user. */
export interface AuthJwtUser {}

/** The registered and plugin claims of a verified token. */
export interface JwtClaims {
  sub: string | number
  iat?: number
  nbf?: number
  exp?: number
  jti?: string
  /** Missing on a foreign token: it then counts as an access token. */
  type?: TokenType
  /** The token's family: the login session it was issued in (set on refresh tokens, and on what they issue). */
  fam?: string
  fresh?: boolean | number
  csrf?: string
  iss?: string
  aud?: string | string[]
}

/** The claims of a verified token as the plugin hands them out (frozen): its own, yours, and any other. */
export type AuthJwtClaims = JwtClaims & AuthJwtUserClaims & Record<string, unknown>

/**
 * A revocation rule of your own (`tokenInDenylist`): `true` refuses the token.
 * Throwing, rejecting, answering anything but a boolean or taking longer than
 * `denylistTimeout` fails the request with a 500: nobody gets in.
 */
export type TokenInDenylist = (claims: AuthJwtClaims, request: FastifyRequest) => boolean | Promise<boolean>

/**
 * Finds the user behind a verified token (`userLookup`): runs once per request
 * on guards that pass with a token, after every other check. `null`,
 * `undefined` or `false` refuses the request (401 `FST_JWT_AUTH_USER_NOT_FOUND`);
 * a throw, a rejection, a timeout or an answer that is no object fails it
 * (500 `FST_JWT_AUTH_USER_LOOKUP_FAILED`).
 */
export type UserLookup = (claims: AuthJwtClaims, request: FastifyRequest) => FoundUser | Promise<FoundUser>

/** What a user lookup answers: a user object, or `null`, `undefined` or `false` for nobody. */
type FoundUser = (AuthJwtUser & object) | null | undefined | false

type SchemaOptions = Static<typeof optionsSchema>

/**
 * The options of `app.register(fastifyJwtAuth, options)`. Each may also come
 * from an `AUTHJWT_*` environment variable (`secretKey` → `AUTHJWT_SECRET_KEY`)
 * unless it is passed here; a bad one fails the registration with
 * `FST_JWT_AUTH_CONFIG`, and so does an unknown option or one passed as
 * `undefined`.
 *
 * @example
 * await app.register(fastifyJwtAuth, { secretKey: process.env.JWT_SECRET as string, accessTokenExpires: '15m' })
 */
export interface FastifyJwtAuthOptions extends Omit<SchemaOptions,
'secretKey' | 'privateKey' | 'publicKey' | 'keys' | 'tokenInDenylist' | 'denylistStore' | 'csrfMethods' |
'userLookup' | 'claimsSchema'> {
  /**
   * The HS* secret: at least the hash's size (32 bytes for HS256), or a
   * warning is emitted. A PEM key, certificate, JWK or DER key is refused.
   * When any key option is passed, none is read from the environment.
   */
  secretKey?: string | Buffer
  /** PEM private key for RS*, PS*, ES*, EdDSA (RSA: at least 2048 bits); the public key is derived from it. */
  privateKey?: string | Buffer
  /** PEM public key; alone, it makes a verify-only instance (creating a token throws `FST_JWT_AUTH_CONFIG`). */
  publicKey?: string | Buffer
  /**
   * A key set, instead of `secretKey`/`privateKey`/`publicKey`/`algorithm`:
   * the first key that can sign signs and writes its `kid` in the token
   * header; a token is verified by the key its `kid` names. Replace it at run
   * time with `fastify.authJwt.setKeys`.
   */
  keys?: KeyOption[]
  /** Methods whose cookie-authenticated requests must send the CSRF header (default `POST`, `PUT`, `PATCH`, `DELETE`). */
  csrfMethods?: string[]
  /**
   * Your own revocation rule, replacing the store lookup:
   * `(claims, request) => boolean | Promise<boolean>`. It fails closed: a
   * throw, a rejection, a non-boolean answer or a timeout is a 500.
   */
  tokenInDenylist?: TokenInDenylist
  /** Where revocations are kept (default: `createMemoryDenylist()`); used by `revokeToken` and the default lookup. */
  denylistStore?: DenylistStore
  /**
   * Finds the user behind a verified token, for `request.authJwt.currentUser`:
   * `(claims, request) => user | null`, sync or async. `null` is a 401; a
   * throw, rejection or timeout (`userLookupTimeout`) a 500.
   */
  userLookup?: UserLookup
  /**
   * A TypeBox object schema of your claims (not the reserved ones), compiled
   * once: token creation refuses claims that do not match it (TypeError), and
   * a verified token whose claims do not match it is a 401.
   */
  claimsSchema?: TObject
}

type OptionSchemas = typeof optionsSchema.properties

/** The options whose schema carries a default: always set once resolved. */
type DefaultedOption = { [K in OptionName]: OptionSchemas[K] extends { default: unknown } ? K : never }[OptionName]

// Resolved apart from the rest: the keys become a key setup, the hook and the
// store keep their own types, and these two are always lists once resolved.
type SpecialOption = 'secretKey' | 'privateKey' | 'publicKey' | 'keys' | 'tokenInDenylist' | 'denylistStore' |
'decodeAlgorithms' | 'tokenLocation' | 'userLookup' | 'claimsSchema'

// Duration strings are turned into seconds while the options are resolved.
type ResolvedValue<K extends OptionName> = Exclude<Static<OptionSchemas[K]>, DurationString>

/** Every option's value after defaults, environment and validation, typed from the schema. */
export type ResolvedOptions =
  { [K in Exclude<DefaultedOption, SpecialOption>]: ResolvedValue<K> } &
  { [K in Exclude<OptionName, DefaultedOption | SpecialOption>]?: ResolvedValue<K> } &
  { decodeAlgorithms: Algorithm[], tokenLocation: TokenLocation[] }

/** The default of every option that has one, read from the schema. Frozen: every instance shares them. */
export const DEFAULTS = Object.freeze(Object.fromEntries(Object.entries(optionsSchema.properties)
  .filter(([, schema]) => 'default' in schema)
  .map(([name, schema]) => [name, Object.freeze((schema as { default: unknown }).default)])
)) as { readonly [K in DefaultedOption]: ResolvedValue<K> }

/** How the option is read from its environment variable. */
export function envKindOf (name: OptionName): EnvKind {
  return (optionsSchema.properties[name] as TSchema & { env: EnvKind }).env
}

/** The end of the sentence "<option> must be …" for the option's configuration errors. */
export function hintOf (name: OptionName): string {
  return (optionsSchema.properties[name] as TSchema & { hint: string }).hint
}

/**
 * Whether `value` can be a token's `sub`: a non-empty string, or a number
 * within ±2^53 (beyond, numbers are no longer exact: two users' subjects
 * could read as one). Tokens are created, verified and revoked by this rule.
 */
export function isSubject (value: unknown): value is string | number {
  return (typeof value === 'string' && value !== '') ||
    (typeof value === 'number' && Math.abs(value) <= Number.MAX_SAFE_INTEGER)
}

/** `secretKey` → `AUTHJWT_SECRET_KEY`. */
export function environmentName (name: string): string {
  return 'AUTHJWT_' + name.replace(/[A-Z]/g, letter => '_' + letter).toUpperCase()
}
