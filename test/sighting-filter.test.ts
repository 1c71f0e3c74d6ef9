// lib/sighting-filter.ts: which verified tokens were seen before. A token is
// known once recorded, until another token lands in its slot; fingerprints
// come from the token's last characters, the end of its signature.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { SightingFilter } from '../lib/sighting-filter'
import { fingerprintOf } from '../lib/token-fingerprint'

t.test('a recorded fingerprint is known; one never recorded is not', async t => {
  const filter = new SightingFilter(1024)
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.qwertyuiopasdfghjklzxcvbnm0123456789ABCDEFG'
  const fingerprint = fingerprintOf(token)
  t.notOk(filter.has(fingerprint), 'not seen yet')
  filter.record(fingerprint)
  t.ok(filter.has(fingerprint), 'seen once recorded')
  t.ok(filter.has(fingerprintOf(token)), 'the same token has the same fingerprint')
  t.notOk(filter.has(fingerprintOf(token.slice(0, -1) + 'H')), 'another signature end: another token')
})

t.test('the fingerprint is read from the last seven characters', async t => {
  const a = 'header.payload.signature-ends-with-ABCDEFG'
  t.equal(fingerprintOf(a), fingerprintOf('x.y.ABCDEFG'), 'only the last seven characters count')
  t.not(fingerprintOf(a), fingerprintOf('x.y.ABCDEFH'), 'each of them counts: the last')
  t.not(fingerprintOf(a), fingerprintOf('x.y.BBCDEFG'), 'the seventh from the end')
  t.not(fingerprintOf('x.y.ABCDEFG'), 0, 'never the 0 of an empty slot')
  t.ok(Number.isSafeInteger(fingerprintOf('~~~~~~~~~~~~')), 'exact in a double, even for the highest characters')
  t.not(fingerprintOf('ab'), 0, 'a token shorter than seven characters still gets a fingerprint')
  t.not(fingerprintOf(''), 0, 'even an empty one')
})

t.test('a slot holds one fingerprint: the newest token to land there', async t => {
  const filter = new SightingFilter(1)
  const first = fingerprintOf('a.b.AAAAAAA')
  const second = fingerprintOf('a.b.BBBBBBB')
  filter.record(first)
  filter.record(second)
  t.notOk(filter.has(first), 'the first was forgotten: its slot was taken')
  t.ok(filter.has(second), 'the second is known')
})

t.test('tokens spread over the slots: most of a set smaller than the table are kept', async t => {
  const slots = 4096
  const filter = new SightingFilter(slots)
  // HS256 signatures: 43 base64url characters, the last of which takes 16 values only.
  const tokens = Array.from({ length: slots / 4 }, (_, i) =>
    'h.p.' + createHmac('sha256', 'secret').update(String(i)).digest('base64url'))
  for (const token of tokens) filter.record(fingerprintOf(token))
  const kept = tokens.filter(token => filter.has(fingerprintOf(token))).length
  // A quarter of the slots filled at random keeps about 89 % (e^-0.25); far fewer means clustering.
  t.ok(kept > tokens.length * 0.8, `${kept} of ${tokens.length} kept`)
})

t.test('the table has a power of two of slots', async t => {
  for (const slots of [0, 3, 1000, -4, 1.5, NaN]) {
    t.throws(() => new SightingFilter(slots), { constructor: RangeError, message: 'slots must be a power of two' }, `${slots} slots`)
  }
  t.doesNotThrow(() => new SightingFilter(1), 'one slot')
})
