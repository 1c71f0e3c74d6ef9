// Token ids that tell when a token was issued to the millisecond, and the
// identity of a token as the denylist stores see it. `iat` is in seconds: a
// "log out everywhere" cut-off must refuse a token issued just before it and
// accept the one issued just after, even within the same second, so the
// plugin's jti is a UUIDv7 (RFC 9562), whose first 48 bits are the time of
// issue in milliseconds.
import { randomFillSync } from 'node:crypto'
import type { TokenIdentity } from './denylist/store'
import type { AuthJwtClaims } from './options'

// Random bytes drawn in blocks: one system call per 256 ids.
const POOL_BYTES = 16 * 256
const pool = Buffer.alloc(POOL_BYTES)
let poolOffset = POOL_BYTES

/** A UUIDv7 for a token issued at `nowMs` (epoch milliseconds). */
export function newJti (nowMs: number): string {
  if (poolOffset === POOL_BYTES) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16)
  poolOffset += 16
  bytes.writeUIntBE(nowMs, 0, 6)
  bytes[6] = (bytes[6] & 0x0f) | 0x70
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

// Marks the claims objects the verifier has verified (they are frozen, so
// their sub and iat are still the token's own), and holds their time of issue
// so that the denylist check of every request reads it instead of working it
// out. The mark is a private field, stamped on the claims the way a subclass
// adds its fields to whatever its base constructor returns: nothing outside
// this file can read, copy or forge it. A spread or JSON copy of the claims
// does not carry it, so a copy counts as built by hand; unlike a property,
// even a symbol-keyed one, no reflection shows it. It is also the cheapest
// mark measured: a WeakSet cost a microsecond per new token, a
// non-enumerable property a quarter of one.

/** Held by claims whose time of issue was not worked out when they were marked. */
const NOT_WORKED_OUT = null
type IssueTimeMark = number | undefined | typeof NOT_WORKED_OUT

/** Its constructor hands back the object it is given, for VerifiedMark to stamp. */
class Stamped {
  constructor (target: object) {
    return target as Stamped
  }
}

class VerifiedMark extends Stamped {
  readonly #issuedAtMs: IssueTimeMark

  private constructor (claims: AuthJwtClaims, issuedAtMs: IssueTimeMark) {
    super(claims)
    this.#issuedAtMs = issuedAtMs
  }

  static stamp (claims: AuthJwtClaims, issuedAtMs: IssueTimeMark): void {
    // eslint-disable-next-line no-new -- the stamp is the side effect
    new VerifiedMark(claims, issuedAtMs)
  }

  static isStamped (claims: object): boolean {
    // `in` throws on a primitive, which a JavaScript caller may pass.
    return typeof claims === 'object' && claims !== null && #issuedAtMs in claims
  }

  /** The time of issue the stamp holds; the claims must be stamped. */
  static issuedAtMsOf (claims: object): IssueTimeMark {
    return (claims as VerifiedMark).#issuedAtMs
  }
}

/**
 * Marks verified claims (before they are frozen). `withIssueTime`: work out
 * their time of issue now, for an instance whose denylist reads it on every
 * request; the others' claims work it out if ever it is asked for (their
 * tokens may still be revoked through another instance).
 */
export function markVerified (claims: AuthJwtClaims, withIssueTime: boolean): void {
  VerifiedMark.stamp(claims, withIssueTime ? issuedAtMsFrom(claims) : NOT_WORKED_OUT)
}

/** Whether `claims` is an object the verifier returned for a verified token, rather than one built by hand. */
export function isVerifiedClaims (claims: object): boolean {
  // An object made to inherit from verified claims is not them: a private field is never inherited.
  return VerifiedMark.isStamped(claims)
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/**
 * When the token was issued, in epoch milliseconds: its UUIDv7 jti's time
 * when that lies within its `iat` second (the issuer wrote both), else the
 * start of its `iat` second, so that a cut-off made within that second
 * refuses it (fail closed); undefined without `iat`.
 */
export function issuedAtMsOf (claims: AuthJwtClaims): number | undefined {
  if (!isVerifiedClaims(claims)) return issuedAtMsFrom(claims)
  const marked = VerifiedMark.issuedAtMsOf(claims)
  return marked === NOT_WORKED_OUT ? issuedAtMsFrom(claims) : marked
}

function issuedAtMsFrom (claims: AuthJwtClaims): number | undefined {
  const { iat, jti } = claims
  if (iat === undefined) return undefined
  if (typeof jti === 'string' && UUID_V7.test(jti)) {
    const ms = parseInt(jti.slice(0, 8) + jti.slice(9, 13), 16)
    if (Math.floor(ms / 1000) === iat) return ms
  }
  return iat * 1000
}

/**
 * The identity a store gets for verified claims: what a `tokenInDenylist`
 * hook passes to `store.has(claims.jti, tokenIdentity(claims))` so that
 * revoked families and "log out everywhere" cut-offs count too.
 */
export function tokenIdentity (claims: AuthJwtClaims): TokenIdentity {
  return {
    subject: claims.sub,
    issuedAt: claims.iat,
    issuedAtMs: issuedAtMsOf(claims),
    family: typeof claims.fam === 'string' ? claims.fam : undefined
  }
}

/**
 * The time new tokens are issued at, for one instance: the clock, but never
 * earlier than the last "log out everywhere" cut-off this instance made, so
 * that a token it issues right after one (a fresh login in the same
 * millisecond) passes it.
 */
export interface IssueClock {
  now: () => number
  /** Tokens issued from now on are issued at `ms` or later. */
  notBefore: (ms: number) => void
}

export function createIssueClock (): IssueClock {
  let floor = 0
  return {
    now: () => Math.max(Date.now(), floor),
    notBefore (ms) {
      if (ms > floor) floor = ms
    }
  }
}
