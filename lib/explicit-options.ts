// What the application passed in code. Checked before anything is read from
// the environment, because a typo or a missing variable here otherwise fails
// silently: an unknown option is ignored, and `secretKey: process.env.TYPO`
// quietly hands the key over to whatever a `.env` file says.
import { ConfigError } from './errors'
import { optionsSchema, type OptionName } from './options'

/**
 * The options that together say how tokens are signed and verified. Taking
 * one of them from code and another from the environment would let a `.env`
 * file swap the key family under an explicit secret (an `AUTHJWT_ALGORITHM`
 * and `AUTHJWT_PUBLIC_KEY` of the attacker's next to the app's `secretKey`),
 * so when any of them is passed in code, none is read from the environment.
 */
export const KEY_MATERIAL_OPTIONS: readonly OptionName[] = [
  'secretKey', 'privateKey', 'publicKey', 'algorithm', 'decodeAlgorithms', 'keys', 'jwksUrl'
]

const OPTION_NAMES = Object.keys(optionsSchema.properties) as OptionName[]
const KNOWN_OPTIONS = new Set<string>(OPTION_NAMES)

// Fastify hands a plugin the options object of `register` as it is, with its
// own registration options in it.
const FASTIFY_REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

/**
 * Checks the names and values passed in code, and returns the options the
 * environment must not supply: those passed, and all key material when any
 * of it was passed. Throws a ConfigError for an unknown option (with the
 * likely intended one) and for an option passed as `undefined`.
 */
export function optionsSetInCode (options: object): Set<OptionName> {
  // Unknown names are looked for among the object's own keys (what a typo
  // makes); known ones anywhere it answers for them (getters, a prototype),
  // just as the values are read.
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name) && !FASTIFY_REGISTER_OPTIONS.has(name)) {
      const meant = closestOption(name)
      throw new ConfigError(`unknown option ${name}` + (meant === undefined ? '' : ` (did you mean ${meant}?)`))
    }
  }
  const inCode = new Set<OptionName>()
  for (const name of OPTION_NAMES) {
    if (!(name in options)) continue
    if ((options as Record<string, unknown>)[name] === undefined) {
      throw new ConfigError(`${name} was passed as undefined: give it a value, or leave it out to use the ` +
        'environment or the default')
    }
    inCode.add(name)
  }
  if (KEY_MATERIAL_OPTIONS.some(name => inCode.has(name))) {
    for (const name of KEY_MATERIAL_OPTIONS) inCode.add(name)
  }
  return inCode
}

/** The option a misspelt name most likely meant: same letters ignoring case, or a few edits away. */
function closestOption (name: string): OptionName | undefined {
  const lower = name.toLowerCase()
  let best: OptionName | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1
  for (const option of OPTION_NAMES) {
    const distance = editDistance(lower, option.toLowerCase())
    if (distance < bestDistance) {
      best = option
      bestDistance = distance
    }
  }
  return best
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]
}
