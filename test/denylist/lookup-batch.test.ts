import t from 'tap'
import { DenylistError } from '../../lib/errors'
import { createLookupBatch, type LookUpMany } from '../../lib/denylist/lookup-batch'

// Answers each key with its own value: `v:<key>`, or null for a key starting with "none".
const values: LookUpMany = keys => Promise.resolve(keys.map(key => key.startsWith('none') ? null : `v:${key}`))

t.test('the lookups of one turn go out together, each distinct key once, each answered with its own value', async (t) => {
  const sent: string[][] = []
  const lookUp = createLookupBatch(keys => {
    sent.push(keys)
    return values(keys)
  }, () => 10)
  const first = ['a', 'none-1', 'a'].map(key => lookUp(key))
  // Still the same turn after a microtask: a caller that awaited something first joins too.
  await Promise.resolve()
  const later = ['b', 'none-1'].map(key => lookUp(key))
  t.same(sent, [], 'nothing is sent before the turn ends')
  t.same(await Promise.all([...first, ...later]), ['v:a', null, 'v:a', 'v:b', null], 'a value, or null for a key without one')
  t.same(sent, [['a', 'none-1', 'b']], 'one call, each key once, in the order asked')

  t.equal(await lookUp('a'), 'v:a', 'the next turn is answered')
  t.same(sent[1], ['a'], 'by a call of its own: a key already sent is asked again')
})

t.test('a lookUpMany that throws instead of rejecting fails its lookups, and nothing else', async (t) => {
  const boom = new Error('thrown')
  let calls = 0
  const lookUp = createLookupBatch(keys => {
    calls++
    if (calls === 1) throw boom
    return values(keys)
  }, () => 10)
  await t.rejects(Promise.all([lookUp('a'), lookUp('b')]), boom, 'both lookups of the batch fail with the thrown error')
  t.equal(await lookUp('a'), 'v:a', 'the next batch is sent as usual')
})

t.test('the batch is split after maxPerCommand() distinct keys, asked at each send, keeping order', async (t) => {
  const sent: string[][] = []
  const lookUpMany: LookUpMany = keys => {
    sent.push(keys)
    return values(keys)
  }
  let size = 2
  const lookUp = createLookupBatch(lookUpMany, () => size)
  const answers = await Promise.all(['a', 'none-1', 'a', 'b', 'none-2'].map(key => lookUp(key)))
  t.same(answers, ['v:a', null, 'v:a', 'v:b', null], 'each lookup gets its own key\'s answer')
  t.same(sent, [['a', 'none-1'], ['b', 'none-2']], 'two distinct keys per command, in the order asked')

  size = 3
  await Promise.all(['c', 'd', 'e', 'f'].map(key => lookUp(key)))
  t.same(sent.slice(2), [['c', 'd', 'e'], ['f']], 'a new size applies from the next send')

  for (const bad of [0, NaN, -1]) {
    size = bad
    await Promise.all(['g', 'h'].map(key => lookUp(key)))
    t.same(sent.slice(-2), [['g'], ['h']], `a size of ${bad} sends one key per call, rather than never advancing`)
  }
})

t.test('a failed chunk fails its own lookups only', async (t) => {
  let calls = 0
  const lookUp = createLookupBatch(keys => {
    calls++
    return calls === 2 ? Promise.reject(new Error('lost')) : values(keys)
  }, () => 2)
  const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map(key => lookUp(key)))
  t.same(results.map(result => result.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
    'the second chunk failed, the others were answered')
})

t.test('an answer that is not one string or null per key fails every lookup of the chunk: never undefined', async (t) => {
  for (const answer of [undefined, 'yes', ['1'], ['1', null, '1'], ['1', true], ['1', undefined], [1, null], [Buffer.from('1'), null]]) {
    const lookUp = createLookupBatch(() => Promise.resolve(answer as Array<string | null>), () => 10)
    const results = await Promise.allSettled([lookUp('a'), lookUp('b')])
    t.ok(results.every(result => result.status === 'rejected' && result.reason instanceof DenylistError &&
      /one string or null per key/.test(result.reason.message)), `answer ${JSON.stringify(answer)}`)
  }
})

t.test('a lookUpMany that answers without a promise is still settled', async (t) => {
  const lookUp = createLookupBatch(keys => keys.map(() => '1') as unknown as Promise<string[]>, () => 10)
  t.same(await Promise.all([lookUp('a'), lookUp('b')]), ['1', '1'], 'every lookup answered')
})

t.test('lookups are sent even when the global setImmediate is faked, as test suites do', async (t) => {
  const real = globalThis.setImmediate
  const faked = (() => { throw new Error('faked timers') }) as unknown as typeof setImmediate
  globalThis.setImmediate = faked
  t.teardown(() => { globalThis.setImmediate = real })
  const lookUp = createLookupBatch(values, () => 10)
  t.same(await Promise.all([lookUp('a'), lookUp('none')]), ['v:a', null], 'every lookup answered')
})
