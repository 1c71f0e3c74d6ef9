// Gathers the denylist lookups of one event-loop turn into as few commands as
// possible. Under load a turn handles many requests, each needing a lookup of
// a few keys (its jti, its family, its subject): one command for all of them
// costs the client library, the connection and the server a fraction of what
// one command each costs.
//
// A lookup is always sent after it was asked for (at the end of the turn in
// which `has()` was called), so a revocation that completed before a request
// arrived is seen by that request's lookup, on every instance. That is why
// lookups of the same key share a command only while it is still waiting to
// be sent: a request never takes the answer of a command sent before it
// arrived, which could predate a revocation.

// From the module, not the global: test suites that fake the global timers
// (Jest's, sinon's) would otherwise hold every lookup until their clock ticks.
import { setImmediate } from 'node:timers'
import { DenylistError } from '../errors'

/** Answers, in order, each key's value (null when it has none); rejects to fail them all. */
export type LookUpMany = (keys: string[]) => Promise<Array<string | null>>

interface PendingLookup {
  answer: Promise<string | null>
  resolve: (value: string | null) => void
  reject: (error: unknown) => void
}

/**
 * Returns `lookUp(key)`, which joins the current turn's batch. At the end of
 * the turn (setImmediate: after every request read in this turn of the event
 * loop), the batch goes out through `lookUpMany`, at most `maxPerCommand()`
 * distinct keys per call (asked at each send, so that it may change).
 */
export function createLookupBatch (lookUpMany: LookUpMany, maxPerCommand: () => number): (key: string) => Promise<string | null> {
  let batch = new Map<string, PendingLookup>()

  function send (): void {
    const sending = [...batch]
    batch = new Map()
    // At least 1 whatever it answers: a size of 0 or NaN would never advance.
    const size = Math.max(1, maxPerCommand() | 0)
    for (let start = 0; start < sending.length; start += size) {
      const chunk = sending.slice(start, start + size)
      settle(chunk, sendChunk(lookUpMany, chunk.map(([key]) => key)))
    }
  }

  return function lookUp (key) {
    let pending = batch.get(key)
    if (pending === undefined) {
      if (batch.size === 0) setImmediate(send)
      pending = createPendingLookup()
      batch.set(key, pending)
    }
    return pending.answer
  }
}

// Runs in a setImmediate callback, where a throw would crash the process:
// it becomes a rejection of the chunk's lookups instead.
function sendChunk (lookUpMany: LookUpMany, keys: string[]): Promise<Array<string | null>> {
  try {
    return Promise.resolve(lookUpMany(keys))
  } catch (error) {
    return Promise.reject(error)
  }
}

// Every lookup of the chunk settles, and with a string, null or an error: a
// caller must never see undefined, which a careless `!== null` would read as
// "revoked" and a careless truthiness test as "not revoked".
function settle (chunk: Array<[string, PendingLookup]>, answers: Promise<Array<string | null>>): void {
  answers.then(
    values => {
      if (!Array.isArray(values) || values.length !== chunk.length || !values.every(isValue)) {
        throw new DenylistError('The denylist lookup answered something other than one string or null per key')
      }
      for (let i = 0; i < chunk.length; i++) chunk[i][1].resolve(values[i])
    }
  ).then(undefined, error => {
    for (const [, pending] of chunk) pending.reject(error)
  })
}

function isValue (value: unknown): value is string | null {
  return value === null || typeof value === 'string'
}

function createPendingLookup (): PendingLookup {
  const pending = {} as PendingLookup
  pending.answer = new Promise<string | null>((resolve, reject) => {
    pending.resolve = resolve
    pending.reject = reject
  })
  return pending
}
