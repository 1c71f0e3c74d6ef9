// A stand-in for an ioredis client, for the Redis store's tests that need to
// see the exact commands sent, or replies no real Redis would give.
import type { RedisLike } from '../../lib/denylist/redis-store'

export type Call = [string, ...unknown[]]
export type Reply = (command: string, args: unknown[]) => unknown

/** A client that records its calls and answers each with `reply` (by default OK). */
export function fakeClient (reply: Reply = () => 'OK', extra: object = {}): { client: RedisLike, calls: Call[] } {
  const calls: Call[] = []
  const command = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args])
    return reply(name, args)
  }
  const client = { ...extra, set: command('set'), mget: command('mget'), eval: command('eval') }
  return { client: client as unknown as RedisLike, calls }
}

/** Answers MGET from `values` (key → value), as Redis would; anything else with OK. */
export const fromValues = (values: Record<string, string>): Reply => (command, args) =>
  Promise.resolve(command === 'mget' ? (args[0] as string[]).map(key => values[key] ?? null) : 'OK')

/** Answers MGET with '1' for the keys in `revoked`. */
export const fromSet = (revoked: Iterable<string>): Reply =>
  fromValues(Object.fromEntries([...revoked].map(key => [key, '1'])))

export const nowSeconds = (): number => Date.now() / 1000
