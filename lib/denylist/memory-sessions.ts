// The memory store's sessions: refresh-token families (rotation state, then
// revocation on reuse) and the per-subject cut-offs of "log out everywhere".
// The store owns the bound and the jti entries; this keeps the records that
// are looked up by family or subject, and drops them once they expire.
import { ExpiryHeap } from './expiry-heap'
import type { RefreshTokenUse, RefreshTokenUseResult } from './store'

/** One family: the last link of its chain while it rotates; revoked once a used token comes back late. */
interface FamilyRecord {
  readonly family: string
  readonly subject: string | number
  /** Until when (epoch ms) it is kept; Infinity for ever, 0 once forgotten. */
  until: number
  revoked: boolean
  /** The jti of the family's newest refresh token. */
  current: string
  /** The jti that was rotated into `current`: it may come back within the grace window. */
  previous: string
  /** When `previous` was used (epoch ms). */
  rotatedAt: number
}

/** One subject's "log out everywhere": its tokens issued before `issuedBeforeMs` are revoked. */
interface SubjectCutoff {
  readonly subject: string | number
  /** Until when (epoch ms) it is kept; Infinity for ever, 0 once forgotten. */
  until: number
  issuedBeforeMs: number
}

type SessionRecord = FamilyRecord | SubjectCutoff

export interface MemorySessions {
  /** Records held (rotation states, revoked families, subject cut-offs): each takes one of the store's entries. */
  readonly size: number
  /** Revoked families and subject cut-offs held: while there are none, a lookup need not ask. */
  readonly revoking: number
  /** Drops every record whose expiry is at or before `now`; after it, every record held is live. */
  forgetExpired: (now: number) => void
  /** The store's `useRefreshToken`; the store checks the argument and runs `forgetExpired(now)` first. */
  useRefreshToken: (use: RefreshTokenUse, now: number) => RefreshTokenUseResult
  /** The store's `revokeSubject`; the store checks the arguments and runs `forgetExpired(now)` first. */
  revokeSubject: (subject: string | number, issuedBeforeMs: number, expiresAt: number | null, now: number) => void
  /** Whether the token's family is revoked or its subject's cut-off refuses it. */
  refuses: (subject: string | number | undefined, issuedAtMs: number | undefined, family: string | undefined) => boolean
}

/**
 * `reserve` throws when the store has no room for one more record: it is
 * called before a record is added, never when one is updated.
 */
export function createMemorySessions (maxEntries: number, maxFamiliesPerSubject: number, reserve: () => void): MemorySessions {
  const families = new Map<string, FamilyRecord>()
  // Each subject's families, so that one account logging in over and over
  // cannot fill the store: past maxFamiliesPerSubject they fold into a cut-off.
  const stringSubjectFamilies = new Map<string | number, Set<FamilyRecord>>()
  const numberSubjectFamilies = new Map<string | number, Set<FamilyRecord>>()
  // Two maps, so that the subject '1' and the subject 1 stay apart without
  // building a key for each lookup.
  const stringCutoffs = new Map<string | number, SubjectCutoff>()
  const numberCutoffs = new Map<string | number, SubjectCutoff>()
  let revokedFamilies = 0

  // The finite expiries of the records, so that the expired ones are found
  // by looking at the earliest only. A node is stale when its record has
  // another expiry by now (extended, or forgotten by a lookup); stale nodes
  // are skipped as they surface, and the heap is rebuilt when they pile up.
  const expiries = new ExpiryHeap<SessionRecord>()

  function cutoffsOf (subject: string | number): Map<string | number, SubjectCutoff> {
    return typeof subject === 'number' ? numberCutoffs : stringCutoffs
  }

  function familiesOf (subject: string | number): Map<string | number, Set<FamilyRecord>> {
    return typeof subject === 'number' ? numberSubjectFamilies : stringSubjectFamilies
  }

  function forget (record: SessionRecord): void {
    record.until = 0
    if ('family' in record) {
      families.delete(record.family)
      if (record.revoked) revokedFamilies--
      const bySubject = familiesOf(record.subject)
      const owned = bySubject.get(record.subject) as Set<FamilyRecord>
      owned.delete(record)
      if (owned.size === 0) bySubject.delete(record.subject)
    } else {
      cutoffsOf(record.subject).delete(record.subject)
    }
  }

  /** Keeps the record until at least `at`: it never forgets before the tokens it stands for expire. */
  function hold (record: SessionRecord, at: number): void {
    if (at <= record.until) return
    record.until = at
    if (at === Infinity) return
    expiries.push(at, record)
    // Extending one record over and over leaves its old nodes behind:
    // rebuilding once they outnumber the live ones keeps the heap bounded.
    if (expiries.size <= 2 * maxEntries) return
    expiries.clear()
    pushFinite(families)
    pushFinite(stringCutoffs)
    pushFinite(numberCutoffs)
  }

  function pushFinite (records: Map<unknown, SessionRecord>): void {
    for (const record of records.values()) {
      if (record.until !== Infinity) expiries.push(record.until, record)
    }
  }

  const untilOf = (expiresAt: number | null): number => expiresAt === null ? Infinity : expiresAt * 1000

  function cutOff (subject: string | number, issuedBeforeMs: number, at: number, now: number): void {
    const cutoffs = cutoffsOf(subject)
    let record = cutoffs.get(subject)
    if (record === undefined) {
      // Every token it would cover has expired already.
      if (at <= now) return
      reserve()
      record = { subject, until: 0, issuedBeforeMs }
      cutoffs.set(subject, record)
    } else if (issuedBeforeMs > record.issuedBeforeMs) {
      // Only ever forward: an earlier cut-off is covered by the later one.
      record.issuedBeforeMs = issuedBeforeMs
    }
    hold(record, at)
  }

  /**
   * A subject at its limit of families gets a cut-off instead: every token
   * of it issued before the new pair is refused (its other sessions end),
   * and its family records are freed. Only that subject pays.
   */
  function foldIfFull (subject: string | number, issuedAtMs: number): void {
    const owned = familiesOf(subject).get(subject)
    if (owned === undefined || owned.size < maxFamiliesPerSubject) return
    let until = 0
    for (const folded of [...owned]) {
      if (folded.until > until) until = folded.until
      forget(folded)
    }
    cutOff(subject, issuedAtMs, until, -Infinity)
  }

  return {
    get size () {
      return families.size + stringCutoffs.size + numberCutoffs.size
    },

    get revoking () {
      return revokedFamilies + stringCutoffs.size + numberCutoffs.size
    },

    forgetExpired (now) {
      for (let at = expiries.peekAt(); at <= now; at = expiries.peekAt()) {
        const record = expiries.pop() as SessionRecord
        if (record.until === at) forget(record)
      }
    },

    useRefreshToken ({ subject, issuedAtMs, family, jti, successorJti, graceMs, expiresAt }, now) {
      const at = untilOf(expiresAt)
      const record = families.get(family)
      if (record === undefined) {
        // A family whose tokens have all expired needs no state: nothing of
        // it could be presented again.
        if (at > now) {
          foldIfFull(subject, issuedAtMs)
          reserve()
          const created: FamilyRecord = {
            family, subject, until: 0, revoked: false, current: successorJti, previous: jti, rotatedAt: now
          }
          families.set(family, created)
          const bySubject = familiesOf(subject)
          let owned = bySubject.get(subject)
          if (owned === undefined) {
            owned = new Set()
            bySubject.set(subject, owned)
          }
          owned.add(created)
          hold(created, at)
        }
        return { outcome: 'rotated', successorJti }
      }
      if (record.revoked) return { outcome: 'revoked' }
      // Whatever the outcome, the family now has tokens (or a revocation)
      // that must be remembered until they expire.
      hold(record, at)
      if (record.current === jti) {
        record.previous = jti
        record.current = successorJti
        record.rotatedAt = now
        return { outcome: 'rotated', successorJti }
      }
      if (record.previous === jti && now - record.rotatedAt <= graceMs) {
        return { outcome: 'grace', successorJti: record.current }
      }
      // An older token of the chain, or the previous one too late: someone
      // else holds a copy. The revocation replaces the rotation state, so it
      // takes no more room.
      record.revoked = true
      record.current = ''
      record.previous = ''
      revokedFamilies++
      return { outcome: 'reused' }
    },

    revokeSubject (subject, issuedBeforeMs, expiresAt, now) {
      cutOff(subject, issuedBeforeMs, untilOf(expiresAt), now)
    },

    refuses (subject, issuedAtMs, family) {
      const now = Date.now()
      if (family !== undefined && revokedFamilies !== 0) {
        const record = families.get(family)
        if (record !== undefined && record.revoked) {
          if (record.until > now) return true
          // Its heap node goes at the next write.
          forget(record)
        }
      }
      if (subject === undefined) return false
      const record = cutoffsOf(subject).get(subject)
      if (record === undefined) return false
      if (record.until <= now) {
        forget(record)
        return false
      }
      // Without a time of issue the token may predate the cut-off: refused.
      return issuedAtMs === undefined || issuedAtMs < record.issuedBeforeMs
    }
  }
}
