import { ConfigError, DenylistError } from '../errors'
import { ExpiryHeap } from './expiry-heap'
import { createMemorySessions } from './memory-sessions'
import {
  assertRevokeSubjectArguments,
  assertExpiresAt,
  assertJti,
  assertRefreshTokenUse,
  assertTokenIdentity,
  kLookupNow,
  type DenylistStore,
  type RefreshTokenUse,
  type RefreshTokenUseResult,
  type SynchronousLookup,
  type TokenIdentity
} from './store'

export interface MemoryDenylistOptions {
  /**
   * Most unexpired entries kept at once (default 100 000): revoked jtis, and
   * one each for a subject's folded cut-off, a refresh-token family's
   * rotation state or revocation, and a subject's `revokeSubject` cut-off.
   */
  maxEntries?: number
  /**
   * Most revocations kept one by one for a single subject (default 100). One
   * more folds them into a cut-off that revokes every token of that subject
   * issued until then, so that one account cannot fill the store for everyone.
   */
  maxEntriesPerSubject?: number
}

const DEFAULT_MAX_ENTRIES = 100_000
const DEFAULT_MAX_ENTRIES_PER_SUBJECT = 100

// A fixed text: the 500 reaches clients, and the limit would tell an attacker
// how many revocations fill the store.
const FULL_MESSAGE = 'The denylist is full: revocation refused'
const NO_IDENTITY_MESSAGE = "The denylist lookup needs the token's identity: has(jti, { subject, issuedAt, issuedAtMs, family })"

/** What the store holds for one subject. */
interface SubjectRevocations {
  readonly subject: string | number
  /** The subject's jtis listed one by one → their token's issuedAt (undefined when it had none). */
  readonly listed: Map<string, number | undefined>
  /** Until when (epoch ms) the cut-off holds; 0 when there is none, Infinity for ever. */
  cutoffUntil: number
  /** While the cut-off holds, every token of the subject issued at or before this (epoch seconds) is revoked. */
  cutoffIssuedAt: number
}

/**
 * The embedded denylist: one process, lost on restart. Bounded, and it forgets
 * a revocation once its token has expired. It runs no timer, so nothing keeps
 * the process alive: expired entries are dropped by the calls themselves.
 *
 * One subject keeps at most `maxEntriesPerSubject` revocations listed one by
 * one. Past that they are folded into a single cut-off for the subject, which
 * over-revokes only that subject (its other tokens issued until then), so
 * that a loop of logins and logouts from one account cannot fill the store
 * and stop everyone else's revocations.
 *
 * Sessions take entries too. A refresh-token family takes one from its
 * first rotation until its tokens' last expiry: the newest jti of its chain,
 * so that a used refresh token presented again after the grace window is
 * caught, then the family's revocation in its place. `revokeSubject` takes
 * one per subject, a later cut-off replacing an earlier one. While no family
 * is revoked and no subject has such a cut-off, a lookup costs one map get.
 *
 * When the store is full it refuses what would need a new entry (a
 * revocation, a family's first rotation, a subject's first cut-off) with
 * `DenylistError`, rather than forget anything: the request fails closed.
 * @throws ConfigError (`FST_JWT_AUTH_CONFIG`) when an option is not a positive integer.
 * @example
 * await app.register(fastifyJwtAuth, {
 *   secretKey, denylistEnabled: true, denylistStore: createMemoryDenylist({ maxEntries: 1_000_000 })
 * })
 */
export function createMemoryDenylist (options: MemoryDenylistOptions = {}): DenylistStore {
  const maxEntries = positiveInteger(options.maxEntries ?? DEFAULT_MAX_ENTRIES, 'maxEntries')
  const maxEntriesPerSubject = positiveInteger(options.maxEntriesPerSubject ?? DEFAULT_MAX_ENTRIES_PER_SUBJECT, 'maxEntriesPerSubject')

  // jti → expiry in epoch milliseconds; Infinity when revoked forever. The
  // lookup of a token nobody revoked costs one get here.
  const entries = new Map<string, number>()
  // The subject of each listed jti that came with one.
  const owners = new Map<string, SubjectRevocations>()
  // Two maps, so that the subject '1' and the subject 1 stay apart without
  // building a key for each lookup.
  const stringSubjects = new Map<string | number, SubjectRevocations>()
  const numberSubjects = new Map<string | number, SubjectRevocations>()
  // How many subjects have a cut-off: while none does, a lookup never reads
  // the subject maps. Each cut-off takes one of maxEntries.
  let cutoffs = 0

  // The finite expiries, of entries (keyed by jti) and of cut-offs (keyed by
  // their subject's record), so that each add can drop whatever has expired
  // by looking at the earliest only: every node is pushed and popped once,
  // O(log n) amortised, and never a scan of the whole map. A node is stale
  // when its entry or cut-off no longer has that expiry (a lookup forgot it, a
  // fold dropped it, or a later add extended it); stale nodes are skipped as
  // they surface.
  const expiries = new ExpiryHeap<string | SubjectRevocations>()

  // Families and revokeSubject cut-offs: they take room like entries, and
  // expire through a heap of their own.
  const sessions = createMemorySessions(maxEntries, maxEntriesPerSubject, assertRoom)

  function forgetExpired (now: number): void {
    sessions.forgetExpired(now)
    for (let at = expiries.peekAt(); at <= now; at = expiries.peekAt()) {
      const key = expiries.pop() as string | SubjectRevocations
      if (typeof key === 'string') {
        if (entries.get(key) === at) forgetEntry(key)
      } else if (key.cutoffUntil === at) {
        forgetCutoff(key)
      }
    }
  }

  // Extending the same jti or cut-off over and over leaves stale nodes deep
  // in the heap; rebuilding once they outnumber the live ones keeps the heap
  // bounded at O(1) amortised per push.
  function compactIfBloated (): void {
    if (expiries.size <= 2 * maxEntries) return
    expiries.clear()
    for (const [jti, at] of entries) {
      if (at !== Infinity) expiries.push(at, jti)
    }
    pushCutoffs(stringSubjects)
    pushCutoffs(numberSubjects)
  }

  function pushCutoffs (subjects: Map<string | number, SubjectRevocations>): void {
    for (const record of subjects.values()) {
      if (record.cutoffUntil !== 0 && record.cutoffUntil !== Infinity) expiries.push(record.cutoffUntil, record)
    }
  }

  function subjectsOf (subject: string | number): Map<string | number, SubjectRevocations> {
    return typeof subject === 'number' ? numberSubjects : stringSubjects
  }

  function forgetEntry (jti: string): void {
    entries.delete(jti)
    const owner = owners.get(jti)
    if (owner !== undefined) detach(jti, owner)
  }

  /** Takes `jti` off its subject's list; its entry, if any, stays as a plain one. */
  function detach (jti: string, owner: SubjectRevocations): void {
    owners.delete(jti)
    owner.listed.delete(jti)
    forgetSubjectIfEmpty(owner)
  }

  function forgetCutoff (record: SubjectRevocations): void {
    record.cutoffUntil = 0
    cutoffs--
    forgetSubjectIfEmpty(record)
  }

  function forgetSubjectIfEmpty (record: SubjectRevocations): void {
    if (record.cutoffUntil === 0 && record.listed.size === 0) subjectsOf(record.subject).delete(record.subject)
  }

  function setEntry (jti: string, at: number): void {
    entries.set(jti, at)
    if (at !== Infinity) {
      expiries.push(at, jti)
      compactIfBloated()
    }
  }

  /** Keeps the cut-off until at least `at`: a revocation it covers is never forgotten before its token expires. */
  function holdCutoffUntil (record: SubjectRevocations, at: number): void {
    if (at <= record.cutoffUntil) return
    record.cutoffUntil = at
    if (at !== Infinity) {
      expiries.push(at, record)
      compactIfBloated()
    }
  }

  /**
   * Replaces the subject's listed entries, and the revocation being added,
   * by one cut-off. Its issuedAt is the latest of theirs, so that it revokes
   * as few other tokens as it can: only those the subject got up to that
   * second. It holds until the last of them would have expired.
   */
  function fold (record: SubjectRevocations, at: number, issuedAt: number | undefined): void {
    let until = at
    // Stays -Infinity when none of them has an iat: a cut-off revokes every
    // token of the subject without iat anyway.
    let issuedUpTo = issuedAt ?? -Infinity
    // A cut-off already in place only moves forward: this token, like every
    // entry listed since the cut-off, was issued after it.
    for (const [jti, listedIssuedAt] of record.listed) {
      const listedUntil = entries.get(jti) as number
      if (listedUntil > until) until = listedUntil
      if (listedIssuedAt !== undefined && listedIssuedAt > issuedUpTo) issuedUpTo = listedIssuedAt
      entries.delete(jti)
      owners.delete(jti)
    }
    record.listed.clear()
    if (record.cutoffUntil === 0) cutoffs++
    record.cutoffIssuedAt = issuedUpTo
    holdCutoffUntil(record, until)
  }

  function assertRoom (): void {
    // Refuse rather than evict: a revocation is never silently forgotten.
    if (entries.size + cutoffs + sessions.size >= maxEntries) throw new DenylistError(FULL_MESSAGE)
  }

  const store: DenylistStore & SynchronousLookup = {
    async add (jti: string, expiresAt: number | null, token?: TokenIdentity): Promise<void> {
      assertJti(jti)
      assertExpiresAt(expiresAt)
      if (token !== undefined) assertTokenIdentity(token)
      const now = Date.now()
      // Every finite entry and cut-off has its node in the heap, so after this
      // the store holds unexpired ones only: the counts below are exact.
      forgetExpired(now)

      const at = expiresAt === null ? Infinity : expiresAt * 1000
      // An expired token is refused by verification already: nothing to keep.
      if (at <= now) return

      const current = entries.get(jti)
      if (current !== undefined) {
        // Already listed. An issuer whose jtis repeat can name it for another
        // token: then it is kept by jti alone, so that no fold of either
        // subject can take it away.
        const owner = owners.get(jti)
        if (owner !== undefined && (token === undefined || owner.subject !== token.subject)) {
          detach(jti, owner)
        }
        // Keep the later expiry (null, forever, wins).
        if (current < at) setEntry(jti, at)
        return
      }
      if (token === undefined) {
        assertRoom()
        setEntry(jti, at)
        return
      }

      const { subject, issuedAt } = token
      const subjects = subjectsOf(subject)
      let record = subjects.get(subject)
      if (record !== undefined && record.cutoffUntil !== 0 && (issuedAt === undefined || issuedAt <= record.cutoffIssuedAt)) {
        // The cut-off revokes this token already; it only has to last as long.
        holdCutoffUntil(record, at)
        return
      }
      if (record !== undefined && record.listed.size >= maxEntriesPerSubject) {
        // Frees the subject's entries and takes one at most: never needs room.
        fold(record, at, issuedAt)
        return
      }
      assertRoom()
      if (record === undefined) {
        record = { subject, listed: new Map(), cutoffUntil: 0, cutoffIssuedAt: 0 }
        subjects.set(subject, record)
      }
      record.listed.set(jti, issuedAt)
      owners.set(jti, record)
      setEntry(jti, at)
    },

    async has (jti: string, token?: TokenIdentity): Promise<boolean> {
      if (token === undefined) {
        // A folded revocation is kept under its subject, a session's under
        // its family or subject, not its jti: without the token's identity
        // the lookup could answer "not revoked" for it.
        if (cutoffs > 0 || sessions.revoking > 0) throw new DenylistError(NO_IDENTITY_MESSAGE)
        return lookupNow(jti)
      }
      assertTokenIdentity(token)
      return lookupNow(jti, token.subject, token.issuedAt, token.issuedAtMs, token.family)
    },

    // Both run to the end before anything else can: the decision and the
    // state it leaves are one step, as the contract requires.
    async useRefreshToken (use: RefreshTokenUse): Promise<RefreshTokenUseResult> {
      assertRefreshTokenUse(use)
      const now = Date.now()
      // Makes the count exact before a new family takes room.
      forgetExpired(now)
      return sessions.useRefreshToken(use, now)
    },

    async revokeSubject (subject: string | number, issuedBeforeMs: number, expiresAt: number | null): Promise<void> {
      assertRevokeSubjectArguments(subject, issuedBeforeMs, expiresAt)
      const now = Date.now()
      forgetExpired(now)
      sessions.revokeSubject(subject, issuedBeforeMs, expiresAt, now)
    },

    [kLookupNow]: lookupNow
  }
  return store

  function lookupNow (jti: string, subject?: string | number, issuedAt?: number, issuedAtMs?: number, family?: string): boolean {
    assertJti(jti)
    const at = entries.get(jti)
    if (at !== undefined) {
      if (at > Date.now()) return true
      // Its heap node goes at the next add.
      forgetEntry(jti)
    }
    if (cutoffs !== 0 && subject !== undefined && folded(subject, issuedAt)) return true
    // The common case, no session revoked anywhere, stops here.
    return sessions.revoking !== 0 && sessions.refuses(subject, issuedAtMs, family)
  }

  /** Whether the subject's folded cut-off covers a token issued at `issuedAt`. */
  function folded (subject: string | number, issuedAt: number | undefined): boolean {
    const record = subjectsOf(subject).get(subject)
    if (record === undefined || record.cutoffUntil === 0) return false
    if (record.cutoffUntil <= Date.now()) {
      forgetCutoff(record)
      return false
    }
    return issuedAt === undefined || issuedAt <= record.cutoffIssuedAt
  }
}

function positiveInteger (value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer`)
  }
  return value
}
