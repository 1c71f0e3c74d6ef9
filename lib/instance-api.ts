// `fastify.authJwt`: what an application can do with tokens outside a request.
import { createDecoder } from 'fast-jwt'
import type { AuthJwtConfig } from './config'
import type { WithDeadline } from './deadlines'
import { assertTokenIdentity } from './denylist/store'
import { ConfigError, DenylistError, invalidTokenError } from './errors'
import type { AuthJwtClaims } from './options'
import type { CreateAccessTokenOptions, CreateTokenOptions, TokenFactory } from './token-factory'
import { MAX_TOKEN_LENGTH, type VerifyToken } from './token-verifier'

export interface AuthJwt {
  createAccessToken: (options: CreateAccessTokenOptions) => string
  createRefreshToken: (options: CreateTokenOptions) => string
  /** Verifies signature and claims (not type, not the denylist) and returns the claims. */
  decodeToken: (encoded: string) => AuthJwtClaims
  /** Puts the token's jti on the denylist until the token expires. */
  revokeToken: (claimsOrEncoded: AuthJwtClaims | string) => Promise<void>
  /** The jti of a token, after verifying it; null when it has none. */
  getJti: (encoded: string) => string | null
  /** The token's header, without verifying anything. */
  getUnverifiedJwtHeaders: (encoded: string) => Record<string, unknown>
}

const decodeComplete = createDecoder({ complete: true })

export function createInstanceApi (
  config: AuthJwtConfig,
  factory: TokenFactory,
  verifyToken: VerifyToken,
  withDeadline: WithDeadline
): AuthJwt {
  const checkedTypes = new Set<unknown>(config.denylistTokenChecks)

  function decodeToken (encoded: string): AuthJwtClaims {
    if (typeof encoded !== 'string') throw invalidTokenError('Malformed token')
    return verifyToken(encoded)
  }

  return {
    createAccessToken: factory.createAccessToken,
    createRefreshToken: factory.createRefreshToken,
    decodeToken,

    async revokeToken (claimsOrEncoded) {
      if (!config.denylistEnabled) {
        // Revoking into a denylist nobody checks would only look like a logout.
        throw new ConfigError('revokeToken needs denylistEnabled: true')
      }
      const claims = typeof claimsOrEncoded === 'string' ? decodeToken(claimsOrEncoded) : claimsOrEncoded
      if (claims === null || typeof claims !== 'object' || typeof claims.jti !== 'string' || claims.jti === '') {
        throw new TypeError('revokeToken needs a token, or its claims, with a jti')
      }
      // A token without type comes from another issuer and counts as an access token.
      const type = claims.type ?? 'access'
      if (!checkedTypes.has(type)) {
        // Revoking a type the guards never look up would only look like a logout.
        throw new ConfigError(`revokeToken cannot revoke ${describeType(type)}: denylistTokenChecks does not check them`)
      }
      // The store keys a subject's revocations by these: they must be what the verifier accepts.
      const token = { subject: claims.sub, issuedAt: claims.iat }
      assertTokenIdentity(token)
      // Kept for as long as the verifier would still accept the token: exp plus the leeway.
      const expiresAt = typeof claims.exp === 'number' ? claims.exp + config.decodeLeeway : null
      try {
        // Bounded like the lookups: a store that never answers fails the
        // revocation (and the logout request) instead of hanging it.
        const adding = Promise.resolve().then(() => config.denylistStore.add(claims.jti as string, expiresAt, token))
        await withDeadline(adding, config.denylistTimeout * 1000, () =>
          new DenylistError(`The denylist store did not answer within ${config.denylistTimeout} s`))
      } catch (error) {
        throw error instanceof DenylistError ? error : new DenylistError('The denylist store failed', { cause: error })
      }
    },

    getJti: encoded => decodeToken(encoded).jti ?? null,

    getUnverifiedJwtHeaders (encoded) {
      if (typeof encoded !== 'string' || encoded.length > MAX_TOKEN_LENGTH) throw invalidTokenError('Malformed token')
      try {
        return decodeComplete(encoded).header
      } catch {
        throw invalidTokenError('Malformed token')
      }
    }
  }
}

// Names the type when it is one the plugin issues; claims built by hand may hold anything.
function describeType (type: unknown): string {
  return type === 'access' || type === 'refresh' ? `${type} tokens` : 'tokens of this type'
}
