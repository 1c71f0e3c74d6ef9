// One key for everything: an HS* secret, or a key pair (or a public key
// alone, for a verify-only instance). Tokens carry no `kid`, and any `kid`
// they carry is ignored: there is only one key to verify with.
import type { Algorithm } from '../options'
import { jwkThumbprint, publicJwk } from './jwk'
import { createSignatureVerifier, type KeySource } from './key-source'
import type { KeyMaterial } from './material'
import { createSigning } from './signing'

export function createSingleKeySource (material: KeyMaterial, algorithm: Algorithm, decodeAlgorithms: Algorithm[]): KeySource {
  const verify = createSignatureVerifier(material.verifyingKey, decodeAlgorithms)
  // The default algorithm first: it signs unless a token asks for another.
  const algorithms = [algorithm, ...decodeAlgorithms.filter(other => other !== algorithm)]
  const signing = material.signingKey === undefined
    ? undefined
    : createSigning({ key: material.signingKey, algorithms, kid: undefined })
  const { publicKey } = material
  // Published under its RFC 7638 thumbprint: a JWKS client picks the only key
  // of the set for a token without `kid`, and the kid names it stably.
  const kid = publicKey === undefined ? undefined : jwkThumbprint(publicKey)

  return {
    verifierFor: () => verify,
    signing: () => signing,
    jwks: () => ({ keys: publicKey === undefined ? [] : [publicJwk(publicKey, kid as string, algorithm)] }),
    // A single key never changes.
    onChange: () => {}
  }
}
