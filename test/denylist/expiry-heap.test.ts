// The expiry heap on its own: earliest first whatever the order of pushes,
// and stale nodes left for the caller to recognise, as the memory store does.
import t from 'tap'
import { ExpiryHeap } from '../../lib/denylist/expiry-heap'

// A seeded generator, so that a failure can be replayed.
function random (seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

// Pops everything, as [at, key] pairs in the order they come out.
function drain<Key> (heap: ExpiryHeap<Key>): Array<[number, Key | undefined]> {
  const out: Array<[number, Key | undefined]> = []
  while (heap.size > 0) {
    const at = heap.peekAt()
    out.push([at, heap.pop()])
  }
  return out
}

t.test('an empty heap', async t => {
  const heap = new ExpiryHeap<string>()
  t.equal(heap.size, 0, 'holds nothing')
  t.equal(heap.peekAt(), Infinity, 'its earliest expiry is Infinity: nothing ever expires')
  t.equal(heap.pop(), undefined, 'pop answers undefined')
  t.equal(heap.size, 0, 'and leaves it empty')
})

t.test('one node', async t => {
  const heap = new ExpiryHeap<string>()
  heap.push(5, 'a')
  t.equal(heap.size, 1, 'holds it')
  t.equal(heap.peekAt(), 5, 'its expiry is the earliest')
  t.equal(heap.pop(), 'a', 'pop answers its key')
  t.equal(heap.peekAt(), Infinity, 'then the heap is empty')
})

t.test('random pushes come out earliest first, like a sorted copy', async t => {
  for (const seed of [1, 2, 3, 42, 2024]) {
    const next = random(seed)
    const heap = new ExpiryHeap<number>()
    const pushed: Array<[number, number]> = []
    // Few distinct times, so that ties are common.
    for (let i = 0; i < 500; i++) {
      const at = Math.floor(next() * 100)
      heap.push(at, i)
      pushed.push([at, i])
    }
    t.equal(heap.size, 500, `seed ${seed}: every push is a node`)
    const out = drain(heap)
    t.same(out.map(([at]) => at), pushed.map(([at]) => at).sort((a, b) => a - b), `seed ${seed}: times in ascending order`)
    t.ok(out.every(([at, key]) => pushed[key as number][0] === at), `seed ${seed}: each key comes out with its own time`)
    t.same(out.map(([, key]) => key).sort((a, b) => (a as number) - (b as number)), pushed.map(([, key]) => key),
      `seed ${seed}: every key comes out once`)
  }
})

t.test('pushes and pops interleaved keep the order', async t => {
  const next = random(7)
  const heap = new ExpiryHeap<string>()
  const reference: number[] = []
  let popped = 0
  let wrong = 0
  for (let i = 0; i < 2000; i++) {
    if (reference.length > 0 && next() < 0.4) {
      reference.sort((a, b) => a - b)
      const expected = reference.shift()
      if (heap.peekAt() !== expected) wrong++
      heap.pop()
      popped++
    } else {
      const at = Math.floor(next() * 1000)
      heap.push(at, `k${at}`)
      reference.push(at)
    }
  }
  t.ok(popped > 500, `pops happened between pushes (${popped})`)
  t.equal(wrong, 0, 'each pop took the earliest time pushed so far')
  t.equal(heap.size, reference.length, 'the heap holds what was not popped')
})

t.test('ascending, descending and equal times', async t => {
  for (const [name, times] of [
    ['ascending', [1, 2, 3, 4, 5, 6, 7]],
    ['descending', [7, 6, 5, 4, 3, 2, 1]],
    ['all equal', [3, 3, 3, 3]],
    ['Infinity and negative times', [Infinity, -1, 0, -Infinity, 2]]
  ] as Array<[string, number[]]>) {
    const heap = new ExpiryHeap<number>()
    for (const at of times) heap.push(at, at)
    t.same(drain(heap).map(([at]) => at), [...times].sort((a, b) => a - b), `${name}: earliest first`)
  }
})

t.test('a caller skips the stale nodes of keys it has forgotten or moved', async t => {
  // What the memory store does: the live expiry of each key is kept apart;
  // a node whose time is not its key's live expiry is stale.
  const live = new Map<string, number>()
  const heap = new ExpiryHeap<string>()
  const set = (key: string, at: number): void => {
    live.set(key, at)
    heap.push(at, key)
  }
  set('a', 10)
  set('b', 20)
  set('a', 30) // extended: the node at 10 is stale
  set('c', 15)
  live.delete('c') // forgotten: the node at 15 is stale
  t.equal(heap.size, 4, 'the stale nodes are still in the heap')

  const expired: string[] = []
  const forgetExpired = (now: number): void => {
    for (let at = heap.peekAt(); at <= now; at = heap.peekAt()) {
      const key = heap.pop() as string
      if (live.get(key) === at) {
        live.delete(key)
        expired.push(key)
      }
    }
  }
  forgetExpired(25)
  t.same(expired, ['b'], 'at 25 only b has expired: a was extended, c forgotten')
  t.equal(heap.size, 1, 'the stale nodes were popped on the way')
  forgetExpired(30)
  t.same(expired, ['b', 'a'], 'a expires at its new time')
  t.equal(heap.size, 0, 'nothing is left')
})

t.test('clear empties the heap, which can be filled again', async t => {
  const heap = new ExpiryHeap<string>()
  for (const at of [5, 1, 3]) heap.push(at, `k${at}`)
  heap.clear()
  t.equal(heap.size, 0, 'empty after clear')
  t.equal(heap.peekAt(), Infinity, 'nothing expires')
  t.equal(heap.pop(), undefined, 'nothing to pop')
  heap.push(9, 'k9')
  heap.push(4, 'k4')
  t.same(drain(heap), [[4, 'k4'], [9, 'k9']], 'filled again, earliest first')
})
