// The argument checks every store shares: which values each one refuses, and
// that its message names the argument but never its value (a jti or a
// subject identifies a live token and its user). That each store applies
// them is tested with the store.
import t from 'tap'
import { assertExpiresAt, assertJti, assertTokenIdentity } from '../../lib/denylist/store'

t.test('assertJti: a non-empty string', async t => {
  for (const jti of ['', undefined, null, 42, {}, ['secret-jti']]) {
    t.throws(() => assertJti(jti), { constructor: TypeError, message: 'jti must be a non-empty string' },
      `${JSON.stringify(jti) ?? 'undefined'} is refused`)
  }
  for (const jti of ['a', ' ', 'secret-jti']) {
    t.doesNotThrow(() => assertJti(jti), `${JSON.stringify(jti)} is accepted`)
  }
})

t.test('assertExpiresAt: null or a finite number', async t => {
  for (const expiresAt of [undefined, NaN, Infinity, -Infinity, '123', {}, true]) {
    t.throws(() => assertExpiresAt(expiresAt), {
      constructor: TypeError,
      message: 'expiresAt must be a finite number of epoch seconds, or null for no expiry'
    }, `${String(expiresAt)} is refused`)
  }
  for (const expiresAt of [null, 0, -5, 1.5, 1_700_000_000, 1e300]) {
    t.doesNotThrow(() => assertExpiresAt(expiresAt), `${String(expiresAt)} is accepted`)
  }
})

t.test('assertTokenIdentity: the sub and iat the verifier accepts', async t => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['null', null, /^token must be an object/],
    ['a string', 'secret-subject', /^token must be an object/],
    ['no subject', {}, /^token\.subject/],
    ['an empty subject', { subject: '' }, /^token\.subject/],
    ['a NaN subject', { subject: NaN }, /^token\.subject/],
    ['an infinite subject', { subject: Infinity }, /^token\.subject/],
    ['a subject beyond 2^53, which the verifier refuses', { subject: 2 ** 53 + 2 }, /^token\.subject/],
    ['an object subject', { subject: { id: 'secret-subject' } }, /^token\.subject/],
    ['a string issuedAt', { subject: 'secret-subject', issuedAt: '5' }, /^token\.issuedAt/],
    ['a NaN issuedAt', { subject: 'secret-subject', issuedAt: NaN }, /^token\.issuedAt/],
    ['an infinite issuedAt', { subject: 'secret-subject', issuedAt: Infinity }, /^token\.issuedAt/],
    ['a null issuedAt', { subject: 'secret-subject', issuedAt: null }, /^token\.issuedAt/]
  ]
  for (const [name, token, message] of bad) {
    t.throws(() => assertTokenIdentity(token), { constructor: TypeError, message }, `${name}: refused, naming the field`)
    try {
      assertTokenIdentity(token)
    } catch (error) {
      t.notMatch((error as Error).message, /secret/, `${name}: the message does not carry the subject`)
    }
  }
  const good: unknown[] = [
    { subject: 'alice' },
    { subject: 'alice', issuedAt: undefined },
    { subject: 0, issuedAt: 0 },
    { subject: -1.5, issuedAt: 1_700_000_000 }
  ]
  for (const token of good) {
    t.doesNotThrow(() => assertTokenIdentity(token), `${JSON.stringify(token)} is accepted`)
  }
})
