// Scopes: what a token allows, read from one claim (`scopeClaim`). OAuth
// servers write it either as a space-separated string (RFC 8693's `scope`)
// or as a list of strings (`scp`), so both are read; the plugin writes the
// string form. Scopes are compared exactly: no wildcards, no hierarchy.
import { InsufficientScopeError } from './errors'
import { copyScopeList } from './scope-token'
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

const SCOPE = 'each made of printable ASCII characters other than space, " and \\'

/** The checked, frozen requirement of a scope guard; a TypeError for bad arguments, when the route is declared. */
export function scopeRequirement (scopes: unknown, options: unknown = {}): ScopeRequirement {
  const list = copyScopeList(scopes)
  if (list === undefined || list.length === 0) {
    throw new TypeError(`jwtScopesRequired: scopes must be a non-empty list of scopes, ${SCOPE}`)
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options) ||
    Object.keys(options).some(name => name !== 'any')) {
    throw new TypeError('jwtScopesRequired: options must be { any?: boolean }')
  }
  // An own member only: an `any` inherited from a polluted Object.prototype
  // would turn "all of them" into "one of them".
  const any = Object.hasOwn(options, 'any') ? (options as ScopesRequiredOptions).any ?? false : false
  if (typeof any !== 'boolean') throw new TypeError('jwtScopesRequired: options.any must be true or false')
  return Object.freeze({ scopes: Object.freeze([...new Set(list)]), any })
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
  const list = copyScopeList(scopes)
  if (list === undefined) throw new TypeError(`scopes must be a list of scopes, ${SCOPE}`)
  return list.length === 0 ? undefined : [...new Set(list)].join(' ')
}
