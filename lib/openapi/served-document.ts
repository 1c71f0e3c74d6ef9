// The document served for the one @fastify/swagger built and caches: secured
// once, and only recorded as such once securing succeeded. The changes are
// written onto @fastify/swagger's document (its cache then holds the secured
// one, whoever asks for it); onto a copy when it cannot be written to (a
// frozen document from a transformObject). A document without markers (a
// static one) is served as it is. The YAML text is written from the served
// object, so that both always say the same.
import { secureDocument } from './document-security'
import { isJsonObject, type JsonObject } from './json-object'
import { emitOpenApiWarning } from './openapi-warning'
import type { MarkedRoute } from './route-records'
import { toYaml } from './yaml-text'

const served = new WeakMap<object, JsonObject>()
const yamlTexts = new WeakMap<object, string>()

export function servedDocument (built: unknown, routes: ReadonlyMap<number, MarkedRoute>): unknown {
  if (!isJsonObject(built)) return built
  let result = served.get(built)
  if (result === undefined) {
    const changes = secureDocument(built, routes)
    result = changes === undefined ? built : withMembers(built, changes.members)
    served.set(built, result)
    if (changes !== undefined && changes.undefinedSchemes.length > 0) {
      emitOpenApiWarning(`the document's security requirements name ${changes.undefinedSchemes.join(', ')}, ` +
        'which no security scheme of the document defines (a typo?): define each in @fastify/swagger\'s options')
    }
  }
  return result
}

/** The YAML text of a served document, written once. */
export function yamlOf (document: object): string {
  let text = yamlTexts.get(document)
  if (text === undefined) {
    text = toYaml(document)
    yamlTexts.set(document, text)
  }
  return text
}

function withMembers (document: JsonObject, members: JsonObject): JsonObject {
  const keys = Object.keys(members)
  if (keys.every(key => isWritable(document, key))) return Object.assign(document, members)
  return { ...document, ...members }
}

function isWritable (object: object, key: string): boolean {
  const property = Object.getOwnPropertyDescriptor(object, key)
  return property === undefined ? Object.isExtensible(object) : property.writable === true
}
