import t from 'tap'
import { DenylistError } from '../../lib/errors'
import { createLookupBatch, type LookUpMany } from '../../lib/denylist/lookup-batch'

t.test('a lookUpMany that throws instead of rejecting fails its lookups, and nothing else', async (t) => {
  const boom = new Error('thrown')
  let calls = 0
  const lookUp = createLookupBatch(() => {
    calls++
    if (calls === 1) throw boom
    return Promise.resolve([true])
  }, () => 10)
  await t.rejects(Promise.all([lookUp('a'), lookUp('b')]), boom, 'both lookups of the batch fail with the thrown error')
  t.equal(await lookUp('a'), true, 'the next batch is sent as usual')
})

t.test('the batch is split after maxPerCommand() distinct jtis, asked at each send, keeping order', async (t) => {
  const sent: string[][] = []
  const lookUpMany: LookUpMany = jtis => {
    sent.push(jtis)
    return Promise.resolve(jtis.map(jti => jti.startsWith('revoked')))
  }
  let size = 2
  const lookUp = createLookupBatch(lookUpMany, () => size)
  const answers = await Promise.all(['a', 'revoked-1', 'a', 'b', 'revoked-2'].map(jti => lookUp(jti)))
  t.same(answers, [false, true, false, false, true], 'each lookup gets its own jti\'s answer')
  t.same(sent, [['a', 'revoked-1'], ['b', 'revoked-2']], 'two distinct jtis per command, in the order asked')

  size = 3
  await Promise.all(['c', 'd', 'e', 'f'].map(jti => lookUp(jti)))
  t.same(sent.slice(2), [['c', 'd', 'e'], ['f']], 'a new size applies from the next send')
})

t.test('an answer that is not one boolean per jti fails every lookup of the chunk: never undefined', async (t) => {
  for (const answer of [undefined, 'yes', [true], [true, false, true], [true, 'false'], [true, undefined]]) {
    const lookUp = createLookupBatch(() => Promise.resolve(answer as boolean[]), () => 10)
    const results = await Promise.allSettled([lookUp('a'), lookUp('b')])
    t.ok(results.every(result => result.status === 'rejected' && result.reason instanceof DenylistError &&
      /one boolean per jti/.test(result.reason.message)), `answer ${JSON.stringify(answer)}`)
  }
})

t.test('a lookUpMany that answers without a promise is still settled', async (t) => {
  const lookUp = createLookupBatch(jtis => jtis.map(() => true) as unknown as Promise<boolean[]>, () => 10)
  t.same(await Promise.all([lookUp('a'), lookUp('b')]), [true, true], 'every lookup answered')
})

t.test('lookups are sent even when the global setImmediate is faked, as test suites do', async (t) => {
  const real = globalThis.setImmediate
  const faked = (() => { throw new Error('faked timers') }) as unknown as typeof setImmediate
  globalThis.setImmediate = faked
  t.teardown(() => { globalThis.setImmediate = real })
  const lookUp = createLookupBatch(jtis => Promise.resolve(jtis.map(() => false)), () => 10)
  t.same(await Promise.all([lookUp('a'), lookUp('b')]), [false, false], 'every lookup answered')
})
