import { isSubject } from '../options'

/**
 * Who a token belongs to and when it was issued: its `sub` and `iat`. The
 * plugin hands it to the store with every revocation and lookup, so that a
 * store can bound what one subject may cost it (the memory store does).
 */
export interface TokenIdentity {
  /** The token's `sub`. A string and a number are different subjects: `'1'` is not `1`. */
  subject: string | number
  /** The token's `iat`, in epoch seconds; absent when the token has none. */
  issuedAt?: number | undefined
}

/**
 * Where revoked token ids (`jti`) are kept. The plugin calls `add` from
 * `revokeToken` and `has` on every guarded request whose token type is
 * checked, so `has` should be cheap. Either method may reject: the plugin then
 * answers 500 (`FST_JWT_AUTH_DENYLIST_FAILED`) and lets nobody in.
 *
 * The plugin passes the token's identity as a last argument to both methods;
 * a store may ignore it, so a store written as `add(jti, expiresAt)` and
 * `has(jti)` works unchanged.
 */
export interface DenylistStore {
  /**
   * Revokes `jti` until `expiresAt` (epoch seconds, normally the token's
   * `exp`); `null` revokes it forever. After `expiresAt` the token is refused
   * as expired anyway, so the store may forget the entry.
   */
  add(jti: string, expiresAt: number | null, token?: TokenIdentity): Promise<void>

  /**
   * Whether `jti` has been revoked and its entry has not expired. Pass the
   * token's identity too: a store may keep many revocations of one subject as
   * a single entry for the subject, which a lookup by `jti` alone cannot see.
   */
  has(jti: string, token?: TokenIdentity): Promise<boolean>
}

/**
 * An in-process store can answer at once. The plugin's default hook then
 * checks without a promise or a timer, which is most of the cost of a
 * denylist lookup on a guarded route. Internal: the public contract is `has`.
 * The identity comes as plain arguments, so a lookup allocates nothing.
 */
export const kLookupNow = Symbol('fastify-jwt-auth.lookupNow')

export interface SynchronousLookup {
  [kLookupNow]: (jti: string, subject?: string | number, issuedAt?: number) => boolean
}

// The argument rules every store shares, so that both report bad arguments
// alike. Messages never include the jti or the subject: they identify a live
// token and its user.

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

/**
 * Throws a TypeError unless `token` holds what the verifier accepts as `sub`
 * (a non-empty string or a number within ±2^53) and as `iat` (a finite number, or
 * absent).
 */
export function assertTokenIdentity (token: unknown): asserts token is TokenIdentity {
  if (token === null || typeof token !== 'object') {
    throw new TypeError('token must be an object with the token\'s subject and issuedAt')
  }
  const { subject, issuedAt } = token as Record<string, unknown>
  if (!isSubject(subject)) {
    throw new TypeError('token.subject must be the token\'s sub: a non-empty string or a finite number within ±2^53')
  }
  if (issuedAt !== undefined && (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt))) {
    throw new TypeError('token.issuedAt must be the token\'s iat: a finite number of epoch seconds, or absent')
  }
}
