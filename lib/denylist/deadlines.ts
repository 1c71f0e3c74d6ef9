// Bounds how long a promise may take, with one timer for all pending promises
// instead of a setTimeout and clearTimeout each: on a busy guarded route the
// per-request timer cost about as much as an in-memory denylist lookup.
// The timer ticks only while something is pending, and is not unref'd: a
// hung promise must still time out when nothing else keeps the process alive.
// Time is read from the monotonic clock (performance.now): a wall clock
// stepped back by NTP or a resumed VM would otherwise hold requests that long.

interface Deadline {
  at: number
  expire: () => void
}

/** For the denylist: a hung hook or store is answered at most this late. */
export const DENYLIST_TICK_MS = 100

export type WithDeadline = <T>(promise: Promise<T>, milliseconds: number, timeoutError: () => Error) => Promise<T>

/** `tick`: how often deadlines are checked, so how late a timeout may fire. */
export function createDeadlineWatch (tick: number): WithDeadline {
  const pending = new Set<Deadline>()
  let timer: NodeJS.Timeout | undefined

  function sweep (): void {
    if (pending.size === 0) {
      clearInterval(timer)
      timer = undefined
      return
    }
    const now = performance.now()
    for (const deadline of pending) {
      if (deadline.at <= now) {
        pending.delete(deadline)
        deadline.expire()
      }
    }
  }

  return function withDeadline (promise, milliseconds, timeoutError) {
    return new Promise((resolve, reject) => {
      const deadline: Deadline = { at: performance.now() + milliseconds, expire: () => reject(timeoutError()) }
      pending.add(deadline)
      timer ??= setInterval(sweep, tick)
      promise.then(
        value => { pending.delete(deadline); resolve(value) },
        error => { pending.delete(deadline); reject(error) }
      )
    })
  }
}
