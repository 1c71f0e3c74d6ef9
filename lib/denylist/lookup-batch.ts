// Gathers the denylist lookups of one event-loop turn into as few commands as
// possible. Under load a turn handles many requests, each needing a lookup:
// one command for all of them costs the client library, the connection and
// the server a fraction of what one command each costs.
//
// A lookup is always sent after it was asked for (at the end of the turn in
// which `has()` was called), so a revocation that completed before a request
// arrived is seen by that request's lookup, on every instance. That is why
// lookups of the same jti share a command only while it is still waiting to
// be sent: a request never takes the answer of a command sent before it
// arrived, which could predate a revocation.

// From the module, not the global: test suites that fake the global timers
// (Jest's, sinon's) would otherwise hold every lookup until their clock ticks.
import { setImmediate } from 'node:timers'
import { DenylistError } from '../errors'

/** Answers, in order, whether each jti is revoked; rejects to fail them all. */
export type LookUpMany = (jtis: string[]) => Promise<boolean[]>

interface PendingLookup {
  answer: Promise<boolean>
  resolve: (revoked: boolean) => void
  reject: (error: unknown) => void
}

/**
 * Returns `lookUp(jti)`, which joins the current turn's batch. At the end of
 * the turn (setImmediate: after every request read in this turn of the event
 * loop), the batch goes out through `lookUpMany`, at most `maxPerCommand()`
 * distinct jtis per call (asked at each send, so that it may change).
 */
export function createLookupBatch (lookUpMany: LookUpMany, maxPerCommand: () => number): (jti: string) => Promise<boolean> {
  let batch = new Map<string, PendingLookup>()

  function send (): void {
    const sending = [...batch]
    batch = new Map()
    // At least 1 whatever it answers: a size of 0 or NaN would never advance.
    const size = Math.max(1, maxPerCommand() | 0)
    for (let start = 0; start < sending.length; start += size) {
      const chunk = sending.slice(start, start + size)
      settle(chunk, sendChunk(lookUpMany, chunk.map(([jti]) => jti)))
    }
  }

  return function lookUp (jti) {
    let pending = batch.get(jti)
    if (pending === undefined) {
      if (batch.size === 0) setImmediate(send)
      pending = createPendingLookup()
      batch.set(jti, pending)
    }
    return pending.answer
  }
}

// Runs in a setImmediate callback, where a throw would crash the process:
// it becomes a rejection of the chunk's lookups instead.
function sendChunk (lookUpMany: LookUpMany, jtis: string[]): Promise<boolean[]> {
  try {
    return Promise.resolve(lookUpMany(jtis))
  } catch (error) {
    return Promise.reject(error)
  }
}

// Every lookup of the chunk settles, and with a boolean or an error: a caller
// reading `await store.has(jti)` must never see undefined, which reads as
// "not revoked".
function settle (chunk: Array<[string, PendingLookup]>, answers: Promise<boolean[]>): void {
  answers.then(
    revoked => {
      if (!Array.isArray(revoked) || revoked.length !== chunk.length || !revoked.every(isBoolean)) {
        throw new DenylistError('The denylist lookup answered something other than one boolean per jti')
      }
      for (let i = 0; i < chunk.length; i++) chunk[i][1].resolve(revoked[i])
    }
  ).then(undefined, error => {
    for (const [, pending] of chunk) pending.reject(error)
  })
}

function isBoolean (value: unknown): value is boolean {
  return typeof value === 'boolean'
}

function createPendingLookup (): PendingLookup {
  const pending = {} as PendingLookup
  pending.answer = new Promise<boolean>((resolve, reject) => {
    pending.resolve = resolve
    pending.reject = reject
  })
  return pending
}
