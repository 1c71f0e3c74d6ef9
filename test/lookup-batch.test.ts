import t from 'tap'
import { createLookupBatch, type LookUpMany } from '../lib/denylist/lookup-batch'

t.test('a lookUpMany that throws instead of rejecting fails its lookups, and nothing else', async (t) => {
  const boom = new Error('thrown')
  let calls = 0
  const lookUp = createLookupBatch(() => {
    calls++
    if (calls === 1) throw boom
    return Promise.resolve([true])
  }, 10)
  await t.rejects(Promise.all([lookUp('a'), lookUp('b')]), boom)
  t.equal(await lookUp('a'), true, 'the next batch is sent as usual')
})

t.test('the batch is split after maxPerCommand distinct jtis, keeping order', async (t) => {
  const sent: string[][] = []
  const lookUpMany: LookUpMany = jtis => {
    sent.push(jtis)
    return Promise.resolve(jtis.map(jti => jti.startsWith('revoked')))
  }
  const lookUp = createLookupBatch(lookUpMany, 2)
  const answers = await Promise.all(['a', 'revoked-1', 'a', 'b', 'revoked-2'].map(jti => lookUp(jti)))
  t.same(answers, [false, true, false, false, true])
  t.same(sent, [['a', 'revoked-1'], ['b', 'revoked-2']])
})
