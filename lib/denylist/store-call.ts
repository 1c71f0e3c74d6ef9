// Every call the plugin makes to a denylist store outside a lookup
// (revocations, rotations, cut-offs) goes through here: bounded by
// denylistTimeout, so that a store that never answers fails the request
// instead of hanging it, and failing as a DenylistError (500, the cause kept
// for the logs), so that nothing gets in while the store cannot answer.
import { DenylistError } from '../errors'
import type { WithDeadline } from './deadlines'

export type StoreCall = <T>(call: () => Promise<T>) => Promise<T>

export function createStoreCall (withDeadline: WithDeadline, timeoutMs: number): StoreCall {
  return async function callStore<T> (call: () => Promise<T>): Promise<T> {
    try {
      // A store method that throws instead of rejecting fails alike.
      const pending = Promise.resolve().then(call)
      return await withDeadline(pending, timeoutMs, () => new DenylistError('The denylist store did not answer in time'))
    } catch (error) {
      throw error instanceof DenylistError ? error : new DenylistError('The denylist store failed', { cause: error })
    }
  }
}
