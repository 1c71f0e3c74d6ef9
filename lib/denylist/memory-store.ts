import { ConfigError, DenylistError } from '../errors'
import { assertExpiresAt, assertJti, kLookupNow, type DenylistStore, type SynchronousLookup } from './store'

export interface MemoryDenylistOptions {
  /** Most unexpired revocations kept at once (default 100 000). */
  maxEntries?: number
}

const DEFAULT_MAX_ENTRIES = 100_000

/**
 * The embedded denylist: one process, lost on restart. Bounded, and it forgets
 * a revocation once its token has expired. It runs no timer, so nothing keeps
 * the process alive: expired entries are dropped by the calls themselves.
 */
export function createMemoryDenylist (options: MemoryDenylistOptions = {}): DenylistStore {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new ConfigError('maxEntries must be a positive integer')
  }

  // jti → expiry in epoch milliseconds; Infinity when revoked forever.
  const entries = new Map<string, number>()

  // A min-heap of the finite expiries, so that each add can drop whatever has
  // expired by looking at the top only: every entry is pushed and popped once,
  // O(log n) amortised, and never a scan of the whole map. Two parallel
  // arrays rather than node objects, so a push allocates nothing. A node is
  // stale when the map no longer holds that jti with that expiry (has() forgot
  // it, or a later add extended it); stale nodes are skipped as they surface.
  const heapAt: number[] = []
  const heapJti: string[] = []

  function push (at: number, jti: string): void {
    let i = heapAt.length
    heapAt.push(at)
    heapJti.push(jti)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heapAt[parent] <= at) break
      heapAt[i] = heapAt[parent]
      heapJti[i] = heapJti[parent]
      i = parent
    }
    heapAt[i] = at
    heapJti[i] = jti
  }

  function popTop (): void {
    const at = heapAt.pop() as number
    const jti = heapJti.pop() as string
    const size = heapAt.length
    if (size === 0) return
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= size) break
      if (child + 1 < size && heapAt[child + 1] < heapAt[child]) child++
      if (heapAt[child] >= at) break
      heapAt[i] = heapAt[child]
      heapJti[i] = heapJti[child]
      i = child
    }
    heapAt[i] = at
    heapJti[i] = jti
  }

  function forgetExpired (now: number): void {
    while (heapAt.length > 0 && heapAt[0] <= now) {
      const at = heapAt[0]
      const jti = heapJti[0]
      popTop()
      if (entries.get(jti) === at) entries.delete(jti)
    }
  }

  // Extending the same jti over and over leaves stale nodes deep in the heap;
  // rebuilding once they outnumber the live ones keeps the heap bounded at
  // O(1) amortised per push.
  function compactIfBloated (): void {
    if (heapAt.length <= 2 * maxEntries) return
    heapAt.length = 0
    heapJti.length = 0
    for (const [jti, at] of entries) {
      if (at !== Infinity) push(at, jti)
    }
  }

  const store: DenylistStore & SynchronousLookup = {
    async add (jti: string, expiresAt: number | null): Promise<void> {
      assertJti(jti)
      assertExpiresAt(expiresAt)
      const now = Date.now()
      // Every finite entry has its node in the heap, so after this the map
      // holds unexpired entries only: "full" below really means full.
      forgetExpired(now)

      const at = expiresAt === null ? Infinity : expiresAt * 1000
      // An expired token is refused by verification already: nothing to keep.
      if (at <= now) return

      const current = entries.get(jti)
      if (current === undefined) {
        // Refuse rather than evict: a revocation is never silently forgotten.
        if (entries.size >= maxEntries) {
          throw new DenylistError(`Denylist is full: ${maxEntries} unexpired revocations (raise maxEntries or use a shared store)`)
        }
      } else if (current >= at) {
        // Already revoked for at least as long (or forever).
        return
      }
      entries.set(jti, at)
      if (at !== Infinity) {
        push(at, jti)
        compactIfBloated()
      }
    },

    async has (jti: string): Promise<boolean> {
      return lookupNow(jti)
    },

    [kLookupNow]: lookupNow
  }
  return store

  function lookupNow (jti: string): boolean {
    assertJti(jti)
    const at = entries.get(jti)
    if (at === undefined) return false
    if (at <= Date.now()) {
      // Its heap node goes at the next add.
      entries.delete(jti)
      return false
    }
    return true
  }
}
