// Turns the registration options and the environment into one checked,
// complete configuration. Every problem is a ConfigError naming the setting.
import { Value } from '@sinclair/typebox/value'
import { compileClaimsSchema, type ClaimsMismatch } from './claims-schema'
import { checkCookiePrefixes } from './cookie-prefixes'
import { createMemoryDenylist } from './denylist/memory-store'
import { STORE_METHODS, type DenylistStore } from './denylist/store'
import type { EnvironmentOptions } from './environment'
import { ConfigError } from './errors'
import { optionsSetInCode } from './explicit-options'
import { resolveKeySetup, type KeySetup } from './keys/key-setup'
import {
  DEFAULTS,
  durationSeconds,
  environmentName,
  envKindOf,
  hintOf,
  optionsSchema,
  type FastifyJwtAuthOptions,
  type OptionName,
  type ResolvedOptions,
  type TokenLocation,
  type TokenInDenylist,
  type UserLookup
} from './options'
import { RESERVED_CLAIMS } from './reserved-claims'
import { unique } from './unique'
import { emitConfigWarning } from './warnings'

export type AuthJwtConfig = ResolvedOptions & {
  /** Where keys come from: one key, a key set, or a remote JWKS. */
  keySetup: KeySetup
  /** undefined: check `denylistStore`. */
  tokenInDenylist?: TokenInDenylist
  /** undefined only when `tokenInDenylist` is set and no store was given. */
  denylistStore?: DenylistStore
  userLookup?: UserLookup
  /** `claimsSchema`, compiled; undefined without one. */
  claimsMismatch?: ClaimsMismatch
}

type LooseOptions = Partial<Record<OptionName, unknown>>

// "none" in these gets a message of its own: it is refused on principle, not as a typo.
const ALGORITHM_OPTIONS = new Set<OptionName>(['algorithm', 'decodeAlgorithms'])

export function resolveConfig (options: FastifyJwtAuthOptions, environment: EnvironmentOptions): AuthJwtConfig {
  const explicit = options as LooseOptions
  const setInCode = optionsSetInCode(options)
  const merged: LooseOptions = {}
  const fromEnvironment = new Set<OptionName>()
  for (const name of Object.keys(optionsSchema.properties) as OptionName[]) {
    if (explicit[name] !== undefined) {
      merged[name] = explicit[name]
    } else if (!setInCode.has(name) && environment[name] !== undefined) {
      merged[name] = environment[name]
      fromEnvironment.add(name)
    }
  }
  normalize(merged)
  validate(merged, fromEnvironment)
  const checked = merged as FastifyJwtAuthOptions

  const { setup: keySetup, decodeAlgorithms } = resolveKeySetup(checked)

  const resolved: AuthJwtConfig = {
    ...DEFAULTS,
    // Durations are seconds by now (normalize).
    ...withoutUndefined(checked) as Partial<ResolvedOptions>,
    decodeAlgorithms,
    tokenLocation: unique(checked.tokenLocation as TokenLocation[] ?? DEFAULTS.tokenLocation),
    keySetup,
    // With a hook of its own and no store, there is nothing to write revocations to.
    denylistStore: checked.denylistStore ?? (checked.tokenInDenylist === undefined ? createMemoryDenylist() : undefined),
    claimsMismatch: checked.claimsSchema === undefined ? undefined : compileClaimsSchema(checked.claimsSchema)
  }
  if (resolved.implicitRefreshThreshold !== false && !resolved.tokenLocation.includes('cookies')) {
    // Tokens in headers, the query or a body are kept by their clients: no cookie to renew.
    throw new ConfigError('implicitRefreshThreshold renews the access cookie: it needs "cookies" in tokenLocation')
  }
  checkCookiePrefixes(resolved)
  warnAboutRiskySettings(resolved, checked.denylistStore !== undefined)
  return resolved
}

// Settings that are allowed but weaken the protection or do nothing: said out
// loud, once per registration, since they may come from a forgotten .env.
const LONG_LEEWAY_SECONDS = 300
const UNSAFE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE']

function warnAboutRiskySettings (config: AuthJwtConfig, storeGiven: boolean): void {
  const cookies = config.tokenLocation.includes('cookies')
  if (cookies && config.cookieSamesite === 'none' && !config.cookieSecure) {
    emitConfigWarning('FST_JWT_AUTH_INSECURE_COOKIE',
      'fastify-jwt-auth: cookieSamesite "none" without cookieSecure: browsers will refuse the cookies')
  }
  if (cookies && !config.cookieCsrfProtect) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      'fastify-jwt-auth: cookieCsrfProtect is off: any site can make a browser send requests with its JWT cookies')
  }
  const unchecked = UNSAFE_METHODS.filter(method => !config.csrfMethods.includes(method))
  if (cookies && config.cookieCsrfProtect && unchecked.length > 0) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      `fastify-jwt-auth: csrfMethods leaves out ${unchecked.join(', ')}: cookie-authenticated requests of those ` +
      'methods are not CSRF-checked')
  }
  if (config.accessTokenExpires === false) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      'fastify-jwt-auth: accessTokenExpires is false: access tokens never expire, and a stolen one works for ever')
  }
  if (config.decodeLeeway > LONG_LEEWAY_SECONDS) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      `fastify-jwt-auth: decodeLeeway is over ${LONG_LEEWAY_SECONDS} s: expired tokens are accepted that much longer`)
  }
  if (!config.denylistEnabled && (config.tokenInDenylist !== undefined || storeGiven)) {
    emitConfigWarning('FST_JWT_AUTH_IDLE_DENYLIST',
      'fastify-jwt-auth: tokenInDenylist or denylistStore is set but denylistEnabled is false: no token is checked')
  }
  if (config.denylistEnabled && config.denylistTokenChecks.length === 0) {
    emitConfigWarning('FST_JWT_AUTH_IDLE_DENYLIST',
      'fastify-jwt-auth: denylistTokenChecks is empty: the denylist checks no token')
  }
}

// Options whose value may be a duration string, turned into seconds here.
const DURATION_OPTIONS = (Object.keys(optionsSchema.properties) as OptionName[])
  .filter(name => ['seconds', 'lifetime'].includes(envKindOf(name)))

/** Forgiving spellings that mean one thing: `Lax`, `post`, a single location, `'15m'`. */
function normalize (options: LooseOptions): void {
  for (const name of DURATION_OPTIONS) {
    const value = options[name]
    // A string that is no duration stays as it is, for validate() to name.
    if (typeof value === 'string') options[name] = durationSeconds(value) ?? value
  }
  if (typeof options.cookieSamesite === 'string') options.cookieSamesite = options.cookieSamesite.toLowerCase()
  if (Array.isArray(options.csrfMethods)) {
    options.csrfMethods = options.csrfMethods.map(method => typeof method === 'string' ? method.toUpperCase() : method)
  }
  if (typeof options.tokenLocation === 'string') options.tokenLocation = [options.tokenLocation]
}

// Names an object of claims cannot carry as plain data: assigning `__proto__`
// replaces its prototype, and a `toJSON` member replaces the whole payload
// when the token is signed.
const UNWRITABLE_CLAIMS = new Set(['__proto__', 'toJSON'])

function validate (options: LooseOptions, fromEnvironment: Set<OptionName>): void {
  const error = Value.Errors(optionsSchema, options).First()
  if (error !== undefined) {
    const name = error.path.split('/')[1] as OptionName
    const where = fromEnvironment.has(name) ? ` (from ${environmentName(name)})` : ''
    const value = error.path === `/${name}` ? options[name] : error.value
    if (ALGORITHM_OPTIONS.has(name) && typeof value === 'string' && value.toLowerCase() === 'none') {
      throw new ConfigError(`${name}${where}: the "none" algorithm is never allowed`)
    }
    throw new ConfigError(`${name}${where} must be ${hintOf(name)}`)
  }
  for (const name of ['tokenInDenylist', 'userLookup'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new ConfigError(`${name} must be ${hintOf(name)}`)
    }
  }
  if (RESERVED_CLAIMS.has(options.scopeClaim as string)) {
    // The plugin writes that claim itself: scopes there would be overwritten, or read from a date.
    throw new ConfigError(`scopeClaim cannot be the reserved claim "${options.scopeClaim as string}"`)
  }
  if (UNWRITABLE_CLAIMS.has(options.scopeClaim as string)) {
    throw new ConfigError(`scopeClaim cannot be "${options.scopeClaim as string}": a claims object cannot hold it as a claim`)
  }
  const store = options.denylistStore as Record<string, unknown> | undefined
  if (store !== undefined) {
    if (store === null || typeof store !== 'object') {
      throw new ConfigError(`denylistStore must be an object with async ${STORE_METHODS.join(', ')}`)
    }
    const missing = STORE_METHODS.filter(method => typeof store[method] !== 'function')
    if (missing.length > 0) {
      // A store written before sessions existed has add and has only: its
      // lookups would ignore families and cut-offs, and revocations through
      // them would silently do nothing.
      throw new ConfigError(`denylistStore lacks ${missing.join(', ')}: a store must implement ` +
        `${STORE_METHODS.join(', ')} (see "Writing a store" in the README)`)
    }
  }
}

function withoutUndefined<T extends object> (object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>
}
