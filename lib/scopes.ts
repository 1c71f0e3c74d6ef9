// Scopes: what a token allows, read from one claim (`scopeClaim`). OAuth
// servers write it either as a space-separated string (RFC 8693's `scope`)
// or as a list of strings (`scp`), so both are read; the plugin writes the
// string form. Scopes are compared exactly: no wildcards, no hierarchy.
import { InsufficientScopeError } from './errors'
import type { AuthJwtClaims } from './options'

/** What a scope guard requires: every scope, or one of them with `any`. */
export interface ScopeRequirement {
  readonly scopes: readonly string[]
  readonly any: boolean
}

/** The second argument of `jwtScopesRequired`. */
export interface ScopesRequiredOptions {
  /** One of the scopes is enough (default `false`: all of them are required). */
  any?: boolean
}

// RFC 6749 §3.3 scope-token: printable ASCII but space, `"` and `\`. Scopes
// go into the WWW-Authenticate challenge as a quoted string, which these
// characters could not break.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

function isScopeList (value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  // By index: every() skips the holes of a sparse list, which would pass as scopes.
  for (let index = 0; index < value.length; index++) {
    const scope: unknown = value[index]
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) return false
  }
  return true
}

const SCOPE = 'each made of printable ASCII characters other than space, " and \\'

/** The checked, frozen requirement of a scope guard; a TypeError for bad arguments, when the route is declared. */
export function scopeRequirement (scopes: unknown, options: unknown = {}): ScopeRequirement {
  if (!isScopeList(scopes) || scopes.length === 0) {
    throw new TypeError(`jwtScopesRequired: scopes must be a non-empty list of scopes, ${SCOPE}`)
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options) ||
    Object.keys(options).some(name => name !== 'any')) {
    throw new TypeError('jwtScopesRequired: options must be { any?: boolean }')
  }
  // An own member only: an `any` inherited from a polluted Object.prototype
  // would turn "all of them" into "one of them".
  const any = Object.hasOwn(options, 'any') ? (options as ScopesRequiredOptions).any : false
  if (typeof any !== 'boolean') throw new TypeError('jwtScopesRequired: options.any must be true or false')
  return Object.freeze({ scopes: Object.freeze([...new Set(scopes)]), any })
}

/** The scopes a claim value grants: none when it is neither a string nor a list of strings. */
export function grantedScopes (value: unknown): readonly string[] {
  if (typeof value === 'string') return value.split(' ')
  if (Array.isArray(value)) return value.filter(scope => typeof scope === 'string')
  return []
}

/** Throws InsufficientScopeError (403) when the claims do not grant what the requirement asks. */
export function checkScopes (claims: AuthJwtClaims, scopeClaim: string, requirement: ScopeRequirement): void {
  // An own claim only: one inherited from a polluted Object.prototype grants nothing.
  const granted = grantedScopes(Object.hasOwn(claims, scopeClaim) ? claims[scopeClaim] : undefined)
  const allowed = requirement.any
    ? requirement.scopes.some(scope => granted.includes(scope))
    : requirement.scopes.every(scope => granted.includes(scope))
  if (!allowed) throw new InsufficientScopeError(requirement.scopes)
}

/**
 * The claim value `createAccessToken({ scopes })` writes: undefined for an
 * empty list (no claim, no scope). A TypeError for a bad list.
 */
export function scopeClaimValue (scopes: unknown): string | undefined {
  if (!isScopeList(scopes)) throw new TypeError(`scopes must be a list of scopes, ${SCOPE}`)
  return scopes.length === 0 ? undefined : [...new Set(scopes)].join(' ')
}
