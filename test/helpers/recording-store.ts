// A denylist store that records what the plugin asks of it: the memory store
// underneath, wrapped so that every call is kept. Its has() answers with the
// memory store's own answer (a boolean, not a promise), so guards take the
// same path as with the default store.
import type { FastifyRequest } from 'fastify'
import {
  createMemoryDenylist,
  type AuthJwtClaims,
  type DenylistStore,
  type RefreshTokenUse,
  type TokenIdentity,
  type TokenInDenylist
} from '../../index'

export interface RecordingStore {
  store: DenylistStore
  /** [jti, expiresAt] of every add, in order. */
  added: Array<[string, number | null]>
  /** The token identity passed to every add. */
  addedTokens: Array<TokenIdentity | undefined>
  /** The jti of every lookup, in order. */
  looked: string[]
  /** The token identity passed to every lookup. */
  lookedTokens: Array<TokenIdentity | undefined>
  /** Every useRefreshToken call's argument, in order. */
  rotations: RefreshTokenUse[]
  /** [subject, issuedBeforeMs, expiresAt] of every revokeSubject, in order. */
  cutoffs: Array<[string | number, number, number | null]>
  inner: DenylistStore
}

export function recordingStore (inner: DenylistStore = createMemoryDenylist()): RecordingStore {
  const added: Array<[string, number | null]> = []
  const addedTokens: Array<TokenIdentity | undefined> = []
  const looked: string[] = []
  const lookedTokens: Array<TokenIdentity | undefined> = []
  const rotations: RefreshTokenUse[] = []
  const cutoffs: Array<[string | number, number, number | null]> = []
  const store: DenylistStore = {
    async add (jti, expiresAt, token) {
      added.push([jti, expiresAt])
      addedTokens.push(token)
      return await inner.add(jti, expiresAt, token)
    },
    has (jti, token) {
      looked.push(jti)
      lookedTokens.push(token)
      return inner.has(jti, token)
    },
    useRefreshToken (use) {
      rotations.push(use)
      return inner.useRefreshToken(use)
    },
    revokeSubject (subject, issuedBeforeMs, expiresAt) {
      cutoffs.push([subject, issuedBeforeMs, expiresAt])
      return inner.revokeSubject(subject, issuedBeforeMs, expiresAt)
    }
  }
  return { store, added, addedTokens, looked, lookedTokens, rotations, cutoffs, inner }
}

/** A tokenInDenylist hook that records its calls and answers with `answer`. */
export function recordingHook (answer: TokenInDenylist): { hook: TokenInDenylist, calls: Array<{ claims: AuthJwtClaims, request: FastifyRequest }> } {
  const calls: Array<{ claims: AuthJwtClaims, request: FastifyRequest }> = []
  const hook: TokenInDenylist = (claims, request) => {
    calls.push({ claims, request })
    return answer(claims, request)
  }
  return { hook, calls }
}

/**
 * A store of the methods given, completed with the memory store's session
 * methods (useRefreshToken, revokeSubject), for tests of add and has alone.
 */
export function storeWith (methods: Pick<DenylistStore, 'add' | 'has'> & Partial<DenylistStore>): DenylistStore {
  const memory = createMemoryDenylist()
  return {
    useRefreshToken: use => memory.useRefreshToken(use),
    revokeSubject: (subject, issuedBeforeMs, expiresAt) => memory.revokeSubject(subject, issuedBeforeMs, expiresAt),
    ...methods
  }
}
