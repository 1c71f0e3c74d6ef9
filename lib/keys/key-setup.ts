// Decides, at registration, which kind of key source the options describe
// (one key, a key set, or a remote JWKS), refuses the combinations that would
// leave it ambiguous, and settles decodeAlgorithms for it.
import type { FastifyBaseLogger } from 'fastify'
import { ConfigError } from '../errors'
import { ALGORITHMS, DEFAULTS, type Algorithm, type FastifyJwtAuthOptions } from '../options'
import { unique } from '../unique'
import { emitConfigWarning } from '../warnings'
import { createKeySetSource, parseKeySet, type KeySetSource } from './key-set'
import type { KeySource } from './key-source'
import { isHmac, resolveKeys, type KeyMaterial } from './material'
import { createRemoteKeySource, type RemoteKeySource } from './remote-key-set'
import { createSingleKeySource } from './single-key'

export type KeySetup =
  | { kind: 'single', material: KeyMaterial, algorithm: Algorithm }
  | { kind: 'set', keys: ReturnType<typeof parseKeySet>, allowedAlgorithms: Algorithm[] | undefined }
  | { kind: 'remote', url: URL }

export interface ResolvedKeys {
  setup: KeySetup
  decodeAlgorithms: Algorithm[]
}

// Each key of a set names its own material and algorithm, and a remote JWKS
// brings its own keys: these single-key options would be a second answer.
const SINGLE_KEY_OPTIONS = ['secretKey', 'privateKey', 'publicKey', 'algorithm'] as const

export function resolveKeySetup (options: FastifyJwtAuthOptions): ResolvedKeys {
  const explicitAlgorithms = options.decodeAlgorithms === undefined ? undefined : unique(options.decodeAlgorithms)
  if (options.jwksUrl !== undefined) return remoteSetup(options, explicitAlgorithms)
  if (options.keys !== undefined) {
    refuseWith('keys', options, SINGLE_KEY_OPTIONS)
    const keys = parseKeySet(options.keys, explicitAlgorithms)
    return {
      setup: { kind: 'set', keys, allowedAlgorithms: explicitAlgorithms },
      decodeAlgorithms: explicitAlgorithms ?? unique(keys.map(key => key.algorithm))
    }
  }
  const algorithm = options.algorithm ?? DEFAULTS.algorithm
  const decodeAlgorithms = explicitAlgorithms ?? [algorithm]
  if (!decodeAlgorithms.includes(algorithm)) {
    const which = options.algorithm === undefined ? `algorithm (default ${algorithm})` : `algorithm ${algorithm}`
    throw new ConfigError(`${which} must be one of decodeAlgorithms (${decodeAlgorithms.join(', ')})`)
  }
  if (options.jwksRoute !== undefined && options.jwksRoute !== false && isHmac(algorithm)) {
    throw new ConfigError('jwksRoute publishes public keys, and an HS* secret is never published: ' +
      'use a key pair (privateKey) or a key set (keys)')
  }
  return { setup: { kind: 'single', material: resolveKeys(options, decodeAlgorithms), algorithm }, decodeAlgorithms }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
const MAX_JWKS_CACHE_AGE = 86_400

function remoteSetup (options: FastifyJwtAuthOptions, explicitAlgorithms: Algorithm[] | undefined): ResolvedKeys {
  refuseWith('jwksUrl', options, [...SINGLE_KEY_OPTIONS, 'keys'])
  if (options.jwksRoute !== undefined && options.jwksRoute !== false) {
    throw new ConfigError('jwksRoute cannot be used with jwksUrl: an instance publishes only keys of its own')
  }
  if (options.decodeIssuer === undefined) {
    // Any holder of a key in the set could otherwise mint tokens this instance accepts.
    throw new ConfigError('decodeIssuer is required with jwksUrl: name the issuer whose tokens this instance accepts')
  }
  const hmac = explicitAlgorithms?.filter(isHmac) ?? []
  if (hmac.length > 0) {
    throw new ConfigError(`decodeAlgorithms cannot hold ${hmac.join(', ')} with jwksUrl: a JWKS publishes public keys only`)
  }
  let url: URL
  try {
    url = new URL(options.jwksUrl as string)
  } catch {
    throw new ConfigError('jwksUrl must be an http(s) URL')
  }
  if (url.username !== '' || url.password !== '') {
    // fetch refuses such a URL, and its error would carry the password into the logs.
    throw new ConfigError('jwksUrl cannot hold a user name or password: a JWKS is public')
  }
  if (typeof options.jwksCacheMaxAge === 'number' && options.jwksCacheMaxAge > MAX_JWKS_CACHE_AGE) {
    // Longer, and a key the issuer removed (a leaked one) stays trusted that long.
    throw new ConfigError(`jwksCacheMaxAge must be at most ${MAX_JWKS_CACHE_AGE} seconds (a day)`)
  }
  if (options.decodeAudience === undefined) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      'fastify-jwt-auth: jwksUrl without decodeAudience: tokens the issuer made for any other application are accepted')
  }
  if (options.jwksCooldown === 0) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      'fastify-jwt-auth: jwksCooldown is 0: every token with an unknown kid makes a request to the issuer')
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    emitConfigWarning('FST_JWT_AUTH_WEAK_SETTING',
      'fastify-jwt-auth: jwksUrl is plain http: anyone on the network path can replace the issuer\'s keys; use https')
  }
  return {
    setup: { kind: 'remote', url },
    // With keys chosen by kid and bound to their alg, every asymmetric algorithm is safe to accept.
    decodeAlgorithms: explicitAlgorithms ?? ALGORITHMS.filter(algorithm => !isHmac(algorithm))
  }
}

function refuseWith (owner: string, options: FastifyJwtAuthOptions, excluded: readonly string[]): void {
  const given = excluded.filter(name => (options as Record<string, unknown>)[name] !== undefined)
  if (given.length > 0) {
    throw new ConfigError(`${owner} cannot be combined with ${given.join(', ')}: ` +
      (owner === 'keys' ? 'each key of the set names its own material and algorithm' : 'the keys come from the JWKS'))
  }
}

interface SourceSettings {
  decodeAlgorithms: Algorithm[]
  jwksCacheMaxAge: number
  jwksCooldown: number
  jwksTimeout: number
}

/** The key source of a setup: built once, at registration. */
export function createKeySource (setup: KeySetup, settings: SourceSettings, log: FastifyBaseLogger):
KeySource | KeySetSource | RemoteKeySource {
  switch (setup.kind) {
    case 'single':
      return createSingleKeySource(setup.material, setup.algorithm, settings.decodeAlgorithms)
    case 'set':
      return createKeySetSource(setup.keys, setup.allowedAlgorithms)
    default:
      return createRemoteKeySource({
        url: setup.url,
        algorithms: settings.decodeAlgorithms,
        cacheMaxAge: settings.jwksCacheMaxAge,
        cooldown: settings.jwksCooldown,
        timeout: settings.jwksTimeout,
        log
      })
  }
}
