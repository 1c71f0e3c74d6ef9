import t from 'tap'
import { createDeadlineWatch } from '../lib/deadlines'

const timeoutError = () => new Error('too late')

t.test('a promise that settles in time keeps its result', async t => {
  const withDeadline = createDeadlineWatch(10)
  t.equal(await withDeadline(Promise.resolve(42), 1000, timeoutError), 42)
  await t.rejects(withDeadline(Promise.reject(new Error('own')), 1000, timeoutError), { message: 'own' })
})

t.test('a promise that never settles is rejected once its deadline has passed', async t => {
  const withDeadline = createDeadlineWatch(10)
  const started = Date.now()
  await t.rejects(withDeadline(new Promise(() => {}), 50, timeoutError), { message: 'too late' })
  const waited = Date.now() - started
  t.ok(waited >= 50 && waited < 2000, 'between the deadline and a bounded delay after it')
})

t.test('only the late ones time out; a late answer changes nothing', async t => {
  const withDeadline = createDeadlineWatch(10)
  let answerLate: (value: number) => void = () => {}
  const late = withDeadline(new Promise<number>(resolve => { answerLate = resolve }), 30, timeoutError)
  const quick = withDeadline(new Promise<number>(resolve => setTimeout(() => resolve(1), 5)), 1000, timeoutError)
  t.equal(await quick, 1)
  await t.rejects(late, { message: 'too late' })
  answerLate(2)
  await t.rejects(late, { message: 'too late' }, 'still rejected')
})

t.test('the watch stops ticking when nothing is pending, and starts again', async t => {
  const withDeadline = createDeadlineWatch(5)
  const before = process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
  await withDeadline(Promise.resolve(1), 1000, timeoutError)
  await new Promise(resolve => setTimeout(resolve, 50))
  const after = process.getActiveResourcesInfo().filter(name => name === 'Timeout').length
  t.ok(after <= before, 'no timer left behind once idle')
  await t.rejects(withDeadline(new Promise(() => {}), 20, timeoutError), { message: 'too late' }, 'works again')
})
