// lib/secret-check.ts: recognising key material given where an HMAC secret
// belongs. A public key, a certificate or a JWK used as the HS* secret lets
// anyone who can read it sign tokens, so each form must be recognised, and
// ordinary secrets must not be mistaken for one. That the plugin then
// refuses to register: keys.test.ts, with the same secrets.
import t from 'tap'
import { looksLikeKeyMaterial } from '../lib/secret-check'
import { DER, JWK, KEY_MATERIAL, ORDINARY_SECRETS, PEM, SSH } from './fixtures/secrets'

const KINDS: Array<[string, string]> = [
  [PEM, 'PEM keys and certificates, as text or bytes'],
  [SSH, 'SSH public keys, every key type'],
  [JWK, 'JWKs and JWK sets'],
  [DER, 'DER keys and certificates, as bytes or base64 text']
]

for (const [kind, name] of KINDS) {
  t.test(name, async (t) => {
    for (const { what, secret } of KEY_MATERIAL.filter(material => material.kind === kind)) {
      t.equal(looksLikeKeyMaterial(secret), kind, what)
    }
  })
}

t.test('ordinary secrets are not mistaken for key material', async (t) => {
  for (const [what, secret] of ORDINARY_SECRETS) t.equal(looksLikeKeyMaterial(secret), undefined, what)
})
