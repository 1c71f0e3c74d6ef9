import { isSubject } from '../options'

/**
 * Who a token belongs to, when it was issued, and the session it belongs to.
 * The plugin hands it to the store with every revocation and lookup: a
 * lookup must also refuse the token when its family was revoked or its
 * subject has a cut-off (`revokeSubject`) later than `issuedAtMs`; and a
 * store may use it to bound what one subject costs it (the memory store does).
 */
export interface TokenIdentity {
  /** The token's `sub`. A string and a number are different subjects: `'1'` is not `1`. */
  subject: string | number
  /** The token's `iat`, in epoch seconds; absent when the token has none. */
  issuedAt?: number | undefined
  /**
   * When the token was issued, in epoch milliseconds: read from the plugin's
   * time-ordered jti (a UUIDv7), else `iat` × 1000; absent without `iat`
   * (such a token counts as issued before any cut-off).
   */
  issuedAtMs?: number | undefined
  /** The token's `fam` claim: the login session it was issued in; absent outside sessions. */
  family?: string | undefined
}

/** A refresh token presented to `refreshTokens`, as the store sees it. */
export interface RefreshTokenUse {
  /** The token's `sub`: a store may bound how many families one subject holds (the memory store does). */
  subject: string | number
  /**
   * When the pair about to be minted is issued (epoch ms). A store that folds
   * a subject's older families into a cut-off puts it here, so that the new
   * pair passes.
   */
  issuedAtMs: number
  /** The family (`fam`) of the presented refresh token. */
  family: string
  /** The presented refresh token's `jti`. */
  jti: string
  /** The `jti` its successor gets when this is the token's first use. */
  successorJti: string
  /** Milliseconds after its first use during which the token may be used again (two tabs, a retry). */
  graceMs: number
  /** Until when (epoch seconds) the family's state must be kept: its tokens' last `exp`; null for ever. */
  expiresAt: number | null
}

/**
 * What the store decided, atomically for every instance sharing it:
 * - `rotated`: the token's first use; it is now used, and `successorJti` is
 *   the one given.
 * - `grace`: used before, within the grace window: a pair is issued again,
 *   with the `successorJti` of its first use, so the family stays one chain.
 * - `reused`: used before the grace window: the store has revoked the
 *   family (every token carrying its `fam`), and the request gets 401.
 * - `revoked`: the family was revoked already.
 */
export type RefreshTokenUseResult =
  | { outcome: 'rotated' | 'grace', successorJti: string }
  | { outcome: 'reused' | 'revoked' }

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

  /**
   * Records the use of a refresh token (`refreshTokens`) and answers whether
   * it may be rotated, in one atomic step: two instances given the same used
   * token at the same moment must not both mint a pair after the grace
   * window. On `reused` it revokes the family itself, until `expiresAt`.
   */
  useRefreshToken(use: RefreshTokenUse): Promise<RefreshTokenUseResult>

  /**
   * Revokes every token of `subject` issued before `issuedBeforeMs` (epoch
   * milliseconds): `has` then refuses a token of the subject whose
   * `issuedAtMs` is earlier (or absent). One entry per subject, a later
   * cut-off replacing an earlier one, kept until `expiresAt` (epoch seconds;
   * null for ever), when every token it covers has expired.
   */
  revokeSubject(subject: string | number, issuedBeforeMs: number, expiresAt: number | null): Promise<void>
}

/** The methods a store must have, in the order a ConfigError names the missing ones. */
export const STORE_METHODS = ['add', 'has', 'useRefreshToken', 'revokeSubject'] as const

/**
 * An in-process store can answer at once. The plugin's default hook then
 * checks without a promise or a timer, which is most of the cost of a
 * denylist lookup on a guarded route. Internal: the public contract is `has`.
 * The identity comes as plain arguments, so a lookup allocates nothing.
 */
export const kLookupNow = Symbol('fastify-jwt-auth.lookupNow')

export interface SynchronousLookup {
  [kLookupNow]: (jti: string, subject?: string | number, issuedAt?: number, issuedAtMs?: number, family?: string) => boolean
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

/**
 * Throws a TypeError unless the arguments of `revokeSubject` are what the
 * plugin passes: a subject as the verifier accepts it, whole epoch
 * milliseconds (compared with a token's issue time to the millisecond), and
 * an expiry as `assertExpiresAt` wants it. Every store applies the same rule.
 */
export function assertRevokeSubjectArguments (subject: unknown, issuedBeforeMs: unknown, expiresAt: unknown): void {
  if (!isSubject(subject)) throw new TypeError('subject must be a non-empty string or a finite number within ±2^53')
  if (!Number.isSafeInteger(issuedBeforeMs)) {
    throw new TypeError('issuedBeforeMs must be a whole number of epoch milliseconds')
  }
  assertExpiresAt(expiresAt)
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
  const { subject, issuedAt, issuedAtMs, family } = token as Record<string, unknown>
  if (!isSubject(subject)) {
    throw new TypeError('token.subject must be the token\'s sub: a non-empty string or a finite number within ±2^53')
  }
  if (issuedAt !== undefined && (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt))) {
    throw new TypeError('token.issuedAt must be the token\'s iat: a finite number of epoch seconds, or absent')
  }
  if (issuedAtMs !== undefined && (typeof issuedAtMs !== 'number' || !Number.isFinite(issuedAtMs))) {
    throw new TypeError('token.issuedAtMs must be a finite number of epoch milliseconds, or absent')
  }
  if (family !== undefined) assertFamily(family)
}

/** Throws a TypeError unless `family` is a non-empty string. */
export function assertFamily (family: unknown): asserts family is string {
  if (typeof family !== 'string' || family === '') {
    throw new TypeError('family must be a non-empty string')
  }
}

/** Throws a TypeError unless `use` is a well-formed RefreshTokenUse. */
export function assertRefreshTokenUse (use: unknown): asserts use is RefreshTokenUse {
  if (use === null || typeof use !== 'object') throw new TypeError('use must be an object')
  const { subject, issuedAtMs, family, jti, successorJti, graceMs, expiresAt } = use as Record<string, unknown>
  if (!isSubject(subject)) {
    throw new TypeError('use.subject must be the token\'s sub: a non-empty string or a finite number within ±2^53')
  }
  if (!Number.isSafeInteger(issuedAtMs)) throw new TypeError('use.issuedAtMs must be a whole number of epoch milliseconds')
  assertFamily(family)
  assertJti(jti)
  assertJti(successorJti)
  if (!Number.isSafeInteger(graceMs) || (graceMs as number) < 0) {
    throw new TypeError('use.graceMs must be a non-negative whole number of milliseconds')
  }
  assertExpiresAt(expiresAt)
}
