// A controllable Date.now for one test: the plugin reads the time only through
// Date.now, so tests move it instead of waiting. Put back at teardown.
import type { Test } from 'tap'

export interface FakeClock {
  /** The current fake time, epoch milliseconds. */
  now: () => number
  /** Sets the fake time, epoch milliseconds. */
  set: (ms: number) => void
  /** Moves the fake time on by `ms` milliseconds. */
  advance: (ms: number) => void
}

/** Freezes Date.now at `start` (default: the real time now) until the test ends. */
export function fakeClock (t: Test, start: number = Date.now()): FakeClock {
  const realNow = Date.now
  let current = start
  Date.now = () => current
  t.teardown(() => { Date.now = realNow })
  return {
    now: () => current,
    set: (ms) => { current = ms },
    advance: (ms) => { current += ms }
  }
}
