/**
 * Where revoked token ids (`jti`) are kept. The plugin calls `add` from
 * `revokeToken` and `has` on every guarded request whose token type is
 * checked, so `has` should be cheap. Either method may reject: the plugin then
 * answers 500 (`FST_JWT_AUTH_DENYLIST_FAILED`) and lets nobody in.
 */
export interface DenylistStore {
  /**
   * Revokes `jti` until `expiresAt` (epoch seconds, normally the token's
   * `exp`); `null` revokes it forever. After `expiresAt` the token is refused
   * as expired anyway, so the store may forget the entry.
   */
  add(jti: string, expiresAt: number | null): Promise<void>

  /** Whether `jti` has been revoked and its entry has not expired. */
  has(jti: string): Promise<boolean>
}

/**
 * An in-process store can answer at once. The plugin's default hook then
 * checks without a promise or a timer, which is most of the cost of a
 * denylist lookup on a guarded route. Internal: the public contract is `has`.
 */
export const kLookupNow = Symbol('fastify-jwt-auth.lookupNow')

export interface SynchronousLookup {
  [kLookupNow]: (jti: string) => boolean
}

// The argument rules every store shares, so that both report bad arguments
// alike. Messages never include the jti: it identifies a live token.

/** Throws a TypeError unless `jti` is a non-empty string. */
export function assertJti (jti: unknown): asserts jti is string {
  if (typeof jti !== 'string' || jti === '') {
    throw new TypeError('jti must be a non-empty string')
  }
}

/** Throws a TypeError unless `expiresAt` is null or a finite number. */
export function assertExpiresAt (expiresAt: unknown): asserts expiresAt is number | null {
  if (expiresAt !== null && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    throw new TypeError('expiresAt must be a finite number of epoch seconds, or null for no expiry')
  }
}
