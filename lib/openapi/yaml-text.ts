// The YAML text of a secured document. Written with the `yaml` package that
// @fastify/swagger writes its own YAML with, so that `swagger({ yaml: true })`
// reads as it always did; where that package cannot be found, as JSON, which
// is valid YAML 1.2.
import { createRequire } from 'node:module'

export type YamlStringify = (document: object) => string

interface YamlPackage {
  stringify: (value: unknown, options: object) => string
}

let stringify: YamlStringify | undefined

export function toYaml (document: object): string {
  // The app's own @fastify/swagger may sit beside the plugin or only in the app's dependencies.
  stringify ??= yamlStringify([__dirname, process.cwd()])
  return stringify(document)
}

/** The `yaml` package of the first @fastify/swagger found from `searchFrom`; JSON when none is. */
export function yamlStringify (searchFrom: string[]): YamlStringify {
  try {
    const swaggerEntry = require.resolve('@fastify/swagger', { paths: searchFrom })
    const yaml = createRequire(swaggerEntry)('yaml') as YamlPackage
    // Written out in full: a route's operation shared by several methods would otherwise become YAML aliases.
    return document => yaml.stringify(document, { strict: false, aliasDuplicateObjects: false })
  } catch {
    return document => JSON.stringify(document, null, 2)
  }
}
