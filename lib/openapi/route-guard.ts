// What a route's guards require, read from its route-level hooks: the
// plugin's guards are recognised by the guard registry. Guards added
// elsewhere (an instance-wide hook, an @fastify/auth composite) cannot be
// seen here.
import { guardDescription, type GuardDescription } from '../guard-registry'
import type { Requirement } from '../guards'

/** The route-level hooks a guard may be given as. */
const GUARD_HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const

export interface RouteGuard {
  /** The strictest requirement of the route's guards. */
  readonly requirement: Requirement
  /** Scopes the token must hold, every one of them. */
  readonly allScopes: readonly string[]
  /** Lists of scopes of which the token must hold one, each. */
  readonly anyScopes: readonly (readonly string[])[]
}

// Any guard that needs a token beats the optional one; the others only differ
// in which token they need, and the order keeps the outcome the same whatever
// the hooks' order.
const STRICTNESS: Record<Requirement, number> = { optional: 0, access: 1, fresh: 2, refresh: 3 }

/** The combined requirement of the route's guards; undefined when it has none of the plugin's guards. */
export function routeGuard (routeOptions: Partial<Record<string, unknown>>): RouteGuard | undefined {
  let guard: RouteGuard | undefined
  for (const hook of GUARD_HOOKS) {
    const handlers = routeOptions[hook]
    for (const handler of Array.isArray(handlers) ? handlers : [handlers]) {
      const description = guardDescription(handler)
      if (description !== undefined) guard = combine(guard, description)
    }
  }
  return guard
}

function combine (guard: RouteGuard | undefined, description: GuardDescription): RouteGuard {
  const requirement = guard === undefined || STRICTNESS[description.requirement] > STRICTNESS[guard.requirement]
    ? description.requirement
    : guard.requirement
  const allScopes = guard?.allScopes ?? []
  const anyScopes = guard?.anyScopes ?? []
  const scopes = description.scopes ?? []
  if (scopes.length === 0) return { requirement, allScopes, anyScopes }
  if (description.anyScope === true) return { requirement, allScopes, anyScopes: [...anyScopes, scopes] }
  return { requirement, allScopes: [...new Set([...allScopes, ...scopes])], anyScopes }
}
