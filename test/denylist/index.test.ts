// lib/denylist/index.ts is what the package re-exports of the denylist: the
// two store factories (the types go along at compile time only).
import t from 'tap'
import * as denylist from '../../lib/denylist'
import { createMemoryDenylist } from '../../lib/denylist/memory-store'
import { createRedisDenylist } from '../../lib/denylist/redis-store'

t.test('the denylist entry point exports the two store factories, and nothing else', async t => {
  t.same(Object.keys(denylist).sort(), ['createMemoryDenylist', 'createRedisDenylist'], 'exactly the two factories')
  t.equal(denylist.createMemoryDenylist, createMemoryDenylist, 'the memory store factory itself')
  t.equal(denylist.createRedisDenylist, createRedisDenylist, 'the Redis store factory itself')
})
