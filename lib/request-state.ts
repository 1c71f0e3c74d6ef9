// Where a guard leaves what it verified, on the request itself: symbols, so
// that the plugin adds no names to the request beyond `authJwt`.
import type { AuthJwtClaims } from './options'

export const kClaims = Symbol('fastify-jwt-auth.claims')
export const kToken = Symbol('fastify-jwt-auth.token')
export const kRequestAuthJwt = Symbol('fastify-jwt-auth.requestAuthJwt')

export interface RequestState {
  [kClaims]: AuthJwtClaims | null
  [kToken]: string | null
  [kRequestAuthJwt]: unknown
}
