// Where a guard leaves what it verified, on the request itself: symbols, so
// that the plugin adds no names to the request beyond `authJwt`.
import type { AuthJwtClaims, AuthJwtUser, TokenLocation } from './options'

export const kClaims = Symbol('fastify-jwt-auth.claims')
export const kToken = Symbol('fastify-jwt-auth.token')
/** Where the verified token was found. */
export const kTokenLocation = Symbol('fastify-jwt-auth.tokenLocation')
/** Set when this request revoked a token or logged its subject out: no cookie is renewed on its response. */
export const kRevokedHere = Symbol('fastify-jwt-auth.revokedHere')
export const kRequestAuthJwt = Symbol('fastify-jwt-auth.requestAuthJwt')
/**
 * What `userLookup` found, the token it was found for and the instance's
 * lookup that found it: a second guard of the same instance on the same
 * token looks up nobody; a guard of another instance does its own lookup.
 */
export const kCurrentUser = Symbol('fastify-jwt-auth.currentUser')
export const kUserToken = Symbol('fastify-jwt-auth.userToken')
export const kUserFoundBy = Symbol('fastify-jwt-auth.userFoundBy')

export interface RequestState {
  [kClaims]: AuthJwtClaims | null
  [kToken]: string | null
  [kTokenLocation]: TokenLocation | null
  [kRevokedHere]: boolean
  [kRequestAuthJwt]: unknown
  [kCurrentUser]: AuthJwtUser | null
  [kUserToken]: string | null
  [kUserFoundBy]: unknown
}
