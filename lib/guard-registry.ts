// Which functions are this plugin's guards, and what each requires. The
// OpenAPI integration reads it to document the routes a guard protects; a
// WeakMap keyed by the function, so nothing is added to the function itself
// and nothing outlives it.
import type { Requirement } from './guards'

/** What a guard asks of a request, as the route documentation shows it. */
export interface GuardDescription {
  readonly requirement: Requirement
  /** Scopes the token must hold (all of them, or one with `anyScope`). */
  readonly scopes?: readonly string[]
  readonly anyScope?: boolean
}

const descriptions = new WeakMap<object, GuardDescription>()

/** Records `guard` as one of the plugin's guards; returns it. */
export function describeGuard<T extends object> (guard: T, description: GuardDescription): T {
  descriptions.set(guard, Object.freeze({ ...description }))
  return guard
}

/** The description of one of the plugin's guards; `undefined` for any other value. */
export function guardDescription (value: unknown): GuardDescription | undefined {
  return (typeof value === 'function') ? descriptions.get(value) : undefined
}
