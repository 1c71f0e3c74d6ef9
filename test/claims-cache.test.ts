// lib/claims-cache.ts on its own: both bounds (entries and estimated bytes),
// oldest-first eviction, entries too large to cache, keys copied out of the
// strings they were cut from; and freezeClaims, which freezes claims and
// estimates the heap they hold. The heap the cache really holds, measured:
// claims-cache-heap.test.ts; how the verifier uses it: token-verifier.test.ts.
import t from 'tap'
import { ClaimsCache, freezeClaims, type ClaimsCacheLimits } from '../lib/claims-cache'
import { fingerprintHash, fingerprintOf } from '../lib/token-fingerprint'

/** Keys of up to 100 characters. */
const limits = (maxEntries: number, maxBytes: number): ClaimsCacheLimits => ({ maxEntries, maxBytes, maxKeyLength: 100 })

/** What the cache charges for a key of this length, beyond its value: measured on an empty cache. */
function entryOverhead (keyLength: number): number {
  const probe = new ClaimsCache<number>(limits(1, 1_000_000))
  probe.set('k'.repeat(keyLength), 1, 0)
  return probe.bytes
}

t.test('the entry bound: the oldest entry goes first', async (t) => {
  const cache = new ClaimsCache<number>(limits(2, 1_000_000))
  t.equal(cache.get('a'), undefined, 'an empty cache holds nothing')
  cache.set('a', 1, 0)
  cache.set('b', 2, 0)
  t.equal(cache.size, 2, 'two entries')
  t.equal(cache.get('a'), 1, 'a is cached')
  cache.set('c', 3, 0)
  t.equal(cache.size, 2, 'bounded')
  t.equal(cache.get('a'), undefined, 'the oldest entry went first')
  t.equal(cache.get('b'), 2, 'b is still cached')
  t.equal(cache.get('c'), 3, 'c is cached')
  cache.set('d', 4, 0)
  t.equal(cache.size, 2, 'still bounded once the ring has wrapped')
  t.equal(cache.get('b'), undefined, 'then the next oldest')
  t.equal(cache.get('c'), 3, 'c is still cached')
  t.equal(cache.get('d'), 4, 'd is cached')
  for (let i = 0; i < 1000; i++) cache.set(`t${i}`, i, 0)
  t.equal(cache.size, 2, 'many insertions later')
  t.same([cache.get('t998'), cache.get('t999'), cache.get('t997')], [998, 999, undefined],
    'the two newest are cached, the one before is not')
  t.equal(cache.bytes, 2 * entryOverhead(4), 'the bytes of exactly the two entries left')
})

t.test('the byte bound: the oldest entries go until the new one fits', async (t) => {
  const overhead = entryOverhead(1)
  const small = overhead + 250
  const large = overhead + 1000
  const budget = 16 * large
  const cache = new ClaimsCache<string>(limits(100, budget))
  // Eight small entries.
  for (const key of 'abcdefgh') cache.set(key, key, 250)
  t.equal(cache.bytes, 8 * small, 'the bytes of eight small entries')
  // Entries of overhead + 1000 bytes (the largest allowed) until the budget is reached.
  for (let i = 0; i < 14; i++) cache.set(String.fromCharCode(65 + i), 'large', 1000)
  // As many of the oldest small entries as it takes for the large ones to fit.
  const gone = Math.ceil((8 * small + 14 * large - budget) / small)
  t.ok(gone > 0 && gone < 8, `${gone} small entries had to go`)
  t.ok(cache.bytes <= budget, 'within the budget')
  t.equal(cache.bytes, 14 * large + (8 - gone) * small, 'the oldest small entries made room, no more')
  const keys = [...'abcdefgh']
  t.same(keys.map(key => cache.get(key)), keys.map((key, i) => i < gone ? undefined : key),
    'the oldest small entries were evicted, the newer ones kept')
  const goneToo = Math.max(0, Math.ceil((cache.bytes + large - budget) / small))
  t.ok(goneToo > 0, 'one more large entry does not fit as it is')
  cache.set('Z', 'large', 1000)
  t.ok(cache.bytes <= budget, 'still within the budget')
  t.same(keys.map(key => cache.get(key)), keys.map((key, i) => i < gone + goneToo ? undefined : key),
    'small entries went, oldest first, for one large one')
  t.equal(cache.size, 15 + 8 - gone - goneToo, 'fifteen large entries and the small ones left')
  t.equal(cache.get('Z'), 'large', 'the new entry is cached')
})

t.test('both bounds hold through many insertions of mixed sizes', async (t) => {
  const budget = 200_000
  const cache = new ClaimsCache<number>(limits(50, budget))
  const inserted: string[] = []
  let withinBudget = true
  let withinCount = true
  for (let i = 0; i < 5000; i++) {
    const key = `token-${i}`
    cache.set(key, i, (i * 7919) % 12_000)
    inserted.push(key)
    withinBudget &&= cache.bytes <= budget
    withinCount &&= cache.size <= 50
  }
  t.ok(withinBudget, 'the bytes never exceeded the budget')
  t.ok(withinCount, 'the count never exceeded 50')
  // The cached entries are exactly the newest ones: FIFO, no holes.
  const cached = inserted.filter(key => cache.get(key) !== undefined)
  t.same(cached, inserted.slice(inserted.length - cached.length), 'the entries left are the newest, without gaps')
  t.equal(cached.length, cache.size, 'size counts them')
})

t.test('an entry over a sixteenth of the budget is not cached and evicts nothing', async (t) => {
  const overhead = entryOverhead(5)
  const budget = 16 * (overhead + 100)
  const cache = new ClaimsCache<number>(limits(10, budget))
  cache.set('small', 1, 0)
  cache.set('large', 2, 101)
  t.equal(cache.get('large'), undefined, 'one byte over the share: not cached')
  t.equal(cache.get('small'), 1, 'nothing was evicted for it')
  t.equal(cache.bytes, overhead, 'only the small entry is counted')
  cache.set('exact', 3, 100)
  t.equal(cache.get('exact'), 3, 'exactly the share is cached')
})

t.test('a key cut out of a larger string is found, and charged for its own length', async (t) => {
  const cache = new ClaimsCache<number>(limits(10, 1_000_000))
  const source = `${'x'.repeat(10_000)}header.payload.signature${'y'.repeat(10_000)}`
  const token = source.slice(10_000, 10_000 + 'header.payload.signature'.length)
  cache.set(token, 1, 0)
  t.equal(cache.get('header.payload.signature'), 1, 'found by its text')
  t.equal(cache.bytes, entryOverhead(token.length), 'charged for the token only')
})

t.test('a key that is not one-byte text is not cached', async (t) => {
  const cache = new ClaimsCache<number>(limits(10, 1_000_000))
  // Ā is U+0100: a one-byte copy would turn it into U+0000, the key of another string.
  cache.set('a.b.\u0100', 1, 0)
  t.equal(cache.get('a.b.\u0100'), undefined, 'not cached')
  t.equal(cache.get('a.b.\u0000'), undefined, 'nor under its mangled copy')
  t.equal(cache.size, 0, 'the cache is empty')
  cache.set('a.b.\u00ff', 2, 0)
  t.equal(cache.get('a.b.\u00ff'), 2, 'a Latin-1 key is cached')
})

t.test('a key longer than maxKeyLength is not cached', async (t) => {
  const cache = new ClaimsCache<number>(limits(10, 1_000_000))
  cache.set('k'.repeat(101), 1, 0)
  t.equal(cache.get('k'.repeat(101)), undefined, 'one character over: not cached')
  t.equal(cache.get('k'.repeat(100)), undefined, 'nor under its cut copy')
  cache.set('k'.repeat(100), 2, 0)
  t.equal(cache.get('k'.repeat(100)), 2, 'exactly maxKeyLength is cached')
})

t.test('freezeClaims freezes every object and array, however deep', async (t) => {
  const claims = { sub: 'a', profile: { roles: ['admin', { scope: ['read'] }], address: { city: 'Paris' } } }
  freezeClaims(claims)
  t.ok(Object.isFrozen(claims), 'the claims')
  t.ok(Object.isFrozen(claims.profile), 'a nested object')
  t.ok(Object.isFrozen(claims.profile.roles), 'a nested array')
  t.ok(Object.isFrozen(claims.profile.roles[1]), 'an object in an array')
  t.ok(Object.isFrozen((claims.profile.roles[1] as { scope: string[] }).scope), 'an array in an object in an array')
  t.ok(Object.isFrozen(claims.profile.address), 'a sibling object')

  // Deeper than any call stack: the walk keeps its own stack.
  const deep = JSON.parse(`{"sub":"a","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)
  t.doesNotThrow(() => freezeClaims(deep), '100,000 nested arrays')
  let innermost = deep.x
  while (innermost.length > 0) innermost = innermost[0]
  t.ok(Object.isFrozen(innermost), 'the innermost array is frozen too')
})

t.test('freezeClaims visits an object once, even one reached twice or in a cycle', async (t) => {
  const distinct = freezeClaims({ a: { city: 'Paris' }, b: { city: 'Paris' } })
  const shared = { city: 'Paris' }
  t.ok(freezeClaims({ a: shared, b: shared }) < distinct, 'a shared object is counted once')
  const cyclic: Record<string, unknown> = { sub: 'a' }
  cyclic.self = cyclic
  t.ok(freezeClaims(cyclic) > 0, 'a cycle ends')
  t.ok(Object.isFrozen(cyclic), 'and is frozen')
})

t.test('freezeClaims estimates more for what takes more heap', async (t) => {
  const cost = (json: string): number => freezeClaims(JSON.parse(json))
  const base = cost('{"sub":"a"}')
  t.ok(cost('{"sub":"a","pad":"' + 'x'.repeat(1000) + '"}') >= base + 2000, 'a string: two bytes a character')
  t.ok(cost(`{"sub":"a","x":[${Array(1000).fill('{}').join(',')}]}`) >= base + 1000 * 64,
    'an empty object: at least 64 bytes, its JSON.parse size')
  t.ok(cost(`{"sub":"a","x":[${Array(1000).fill('0.5').join(',')}]}`) >= base + 1000 * 24,
    'a number in an array: its slot and its box')
  t.ok(cost(`{"sub":"a","x":{${Array.from({ length: 100 }, (_, i) => `"k${i}":true`).join(',')}}}`) >= base + 100 * 128,
    'a property: its slot, and a hidden class of its own when its name is new')
  t.equal(cost('{"sub":"a","x":[true,false,null]}'), cost('{"sub":"a","x":[]}') + 3 * 8,
    'true, false and null take their slot only')
})

t.test('two tokens of one hash: the one cached stays, the other is not cached', async (t) => {
  // Tokens are found by a 30-bit hash of their last characters: among some
  // 100,000 strings, two share one.
  const byHash = new Map<number, string>()
  let pair: [string, string] | undefined
  for (let i = 0; pair === undefined; i++) {
    const token = `h.p.${i.toString(36).padStart(7, '0')}`
    const hash = fingerprintHash(fingerprintOf(token))
    const other = byHash.get(hash)
    if (other !== undefined) pair = [other, token]
    byHash.set(hash, token)
  }
  const [first, second] = pair
  const cache = new ClaimsCache<string>(limits(3, 1_000_000))
  cache.set(first, 'first', 0)
  cache.set(second, 'second', 0)
  t.equal(cache.get(first), 'first', 'the first is cached')
  t.equal(cache.get(second), undefined, 'the second is not: nor is it served the first one\'s value')
  t.equal(cache.size, 1, 'one entry')
  for (let round = 0; round < 10; round++) cache.set(second, 'second', 0)
  t.equal(cache.get(first), 'first', 'sent again and again, the second never pushes the first out')
  cache.set('a.b.c', 'c', 0)
  cache.set('a.b.d', 'd', 0)
  cache.set('a.b.e', 'e', 0)
  t.equal(cache.get(first), undefined, 'the first goes when it is the oldest')
  cache.set(second, 'second', 0)
  t.equal(cache.get(second), 'second', 'then the second may be cached')
})
