// The deadline watch: one timer for every pending promise. Time is a fake
// clock where a deadline has to pass; the timer itself is real.
import t from 'tap'
import { createDeadlineWatch } from '../../lib/denylist/deadlines'
import { fakeClock } from '../helpers/clock'

const timeoutError = () => new Error('too late')

// Lets the watch's timer (ticking every `tick` ms) run a few times.
const ticks = (tick: number) => new Promise(resolve => setTimeout(resolve, 5 * tick))

// Whether `promise` has settled yet, without waiting for it.
async function settled (promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol('pending')
  const first = await Promise.race([promise.then(() => true, () => true), Promise.resolve(pending)])
  return first !== pending
}

t.test('a promise that settles in time keeps its result', async t => {
  const withDeadline = createDeadlineWatch(10)
  t.equal(await withDeadline(Promise.resolve(42), 1000, timeoutError), 42, 'its value')
  await t.rejects(withDeadline(Promise.reject(new Error('own')), 1000, timeoutError), { message: 'own' }, 'its own error')
})

t.test('a promise that never settles is rejected once its deadline has passed, not before', async t => {
  const clock = fakeClock(t)
  const withDeadline = createDeadlineWatch(5)
  const hung = withDeadline(new Promise(() => {}), 50, timeoutError)
  clock.advance(49)
  await ticks(5)
  t.notOk(await settled(hung), 'still pending a millisecond before the deadline')
  clock.advance(1)
  await t.rejects(hung, { message: 'too late' }, 'rejected with the timeout error once the deadline is reached')
})

t.test('only the late ones time out; a late answer changes nothing', async t => {
  const clock = fakeClock(t)
  const withDeadline = createDeadlineWatch(5)
  let answerLate: (value: number) => void = () => {}
  let answerQuick: (value: number) => void = () => {}
  const late = withDeadline(new Promise<number>(resolve => { answerLate = resolve }), 30, timeoutError)
  const quick = withDeadline(new Promise<number>(resolve => { answerQuick = resolve }), 1000, timeoutError)
  clock.advance(30)
  await t.rejects(late, { message: 'too late' }, 'the one past its deadline times out')
  t.notOk(await settled(quick), 'the other, within its deadline, is still pending')
  answerQuick(1)
  t.equal(await quick, 1, 'and keeps its answer')
  answerLate(2)
  await t.rejects(late, { message: 'too late' }, 'a late answer leaves the timed-out one rejected')
})

t.test('the watch stops ticking when nothing is pending, and starts again', async t => {
  const withDeadline = createDeadlineWatch(5)
  const before = process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
  await withDeadline(Promise.resolve(1), 1000, timeoutError)
  await ticks(5)
  const after = process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
  t.ok(after <= before, 'no timer left behind once idle')
  const clock = fakeClock(t)
  const hung = withDeadline(new Promise(() => {}), 20, timeoutError)
  clock.advance(20)
  await t.rejects(hung, { message: 'too late' }, 'works again')
})

t.test('deadlines follow the monotonic clock: a wall clock stepped back holds nothing', async t => {
  // NTP or a resumed VM can step Date.now back; the deadline must not move with it.
  const realNow = Date.now
  t.teardown(() => { Date.now = realNow })
  const withDeadline = createDeadlineWatch(5)
  const outcome = withDeadline(new Promise(() => {}), 30, timeoutError).then(() => 'settled', (error: Error) => error.message)
  const steppedBack = realNow() - 3_600_000
  Date.now = () => steppedBack
  await new Promise(resolve => setTimeout(resolve, 30))
  await ticks(5)
  t.equal(await Promise.race([outcome, 'still pending']), 'too late',
    'rejected once 30 ms have passed, with the wall clock an hour back')
})
