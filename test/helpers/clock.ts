// A controllable clock for one test: the plugin reads the time through
// Date.now (and deadlines through performance.now), so tests move them
// instead of waiting. Put back at teardown.
import type { Test } from 'tap'

export interface FakeClock {
  /** The current fake time, epoch milliseconds. */
  now: () => number
  /** Sets the fake time, epoch milliseconds. */
  set: (ms: number) => void
  /** Moves the fake time on by `ms` milliseconds. */
  advance: (ms: number) => void
}

/**
 * Freezes Date.now at `start` (default: the real time now) until the test
 * ends. performance.now, the monotonic clock the deadlines read, moves with it.
 */
export function fakeClock (t: Test, start: number = Date.now()): FakeClock {
  const realNow = Date.now
  const realPerformanceNow = performance.now
  // A whole number, so that time moved by whole milliseconds compares exactly.
  const monotonicAtStart = Math.ceil(performance.now())
  let current = start
  Date.now = () => current
  performance.now = () => monotonicAtStart + (current - start)
  t.teardown(() => {
    Date.now = realNow
    performance.now = realPerformanceNow
  })
  return {
    now: () => current,
    set: (ms) => { current = ms },
    advance: (ms) => { current += ms }
  }
}
