// The security schemes and schemas of a document being secured. The
// document's own win over the plugin's of the same name. The plugin's are
// added when a requirement names them; when sibling registrations give one
// name different schemes (two header names, say), the first keeps the name
// and each other gets its own (`headerAuth2`). The changes are new objects:
// the document's may be @fastify/swagger's options, shared with later
// documents.
import { ERROR_SCHEMA_NAME, errorSchema } from './error-responses'
import { isJsonObject, type JsonObject } from './json-object'
import type { OperationMarker } from './route-marker'
import type { DocumentVersion, SchemeObject } from './security-schemes'

export class Components {
  readonly #document: JsonObject
  readonly #version: DocumentVersion
  readonly #schemes: JsonObject
  readonly #schemas: JsonObject
  readonly #addedSchemes: Record<string, SchemeObject> = {}
  readonly #addedSchemas: JsonObject = {}

  constructor (document: JsonObject, version: DocumentVersion) {
    this.#document = document
    this.#version = version
    const holder = version === 'openapi3' ? objectOrEmpty(document.components) : document
    this.#schemes = objectOrEmpty(version === 'openapi3' ? holder.securitySchemes : holder.securityDefinitions)
    this.#schemas = objectOrEmpty(version === 'openapi3' ? holder.schemas : holder.definitions)
  }

  /** Whether a requirement may name `name`: the document defines it, or the marker's registration has it in this version. */
  canName (name: string, marker: OperationMarker): boolean {
    return Object.hasOwn(this.#schemes, name) || markerScheme(marker, name, this.#version) !== undefined
  }

  /** The document's name for the scheme `name` of the marker's registration, added when needed; `canName` must hold. */
  nameFor (name: string, marker: OperationMarker): string {
    if (Object.hasOwn(this.#schemes, name)) return name
    const scheme = markerScheme(marker, name, this.#version) as SchemeObject
    let candidate = name
    // Taken by the app's scheme, or by a different one of another registration.
    for (let number = 2; Object.hasOwn(this.#schemes, candidate) || this.#takenByAnother(candidate, scheme); number++) {
      candidate = `${name}${number}`
    }
    if (!Object.hasOwn(this.#addedSchemes, candidate)) this.#addedSchemes[candidate] = { ...scheme }
    return candidate
  }

  /** The scheme the document will have under `name`. */
  scheme (name: string): JsonObject | undefined {
    const scheme = Object.hasOwn(this.#schemes, name) ? this.#schemes[name] : this.#addedSchemes[name]
    return isJsonObject(scheme) ? scheme : undefined
  }

  addErrorSchema (): void {
    if (!Object.hasOwn(this.#schemas, ERROR_SCHEMA_NAME)) this.#addedSchemas[ERROR_SCHEMA_NAME] = errorSchema()
  }

  /** The document's members that change: empty when nothing was added. */
  changes (): JsonObject {
    const schemes = Object.keys(this.#addedSchemes).length === 0 ? undefined : { ...this.#schemes, ...this.#addedSchemes }
    const schemas = Object.keys(this.#addedSchemas).length === 0 ? undefined : { ...this.#schemas, ...this.#addedSchemas }
    if (this.#version === 'openapi3') {
      if (schemes === undefined && schemas === undefined) return {}
      return {
        components: {
          ...objectOrEmpty(this.#document.components),
          ...(schemes === undefined ? {} : { securitySchemes: schemes }),
          ...(schemas === undefined ? {} : { schemas })
        }
      }
    }
    return {
      ...(schemes === undefined ? {} : { securityDefinitions: schemes }),
      ...(schemas === undefined ? {} : { definitions: schemas })
    }
  }

  #takenByAnother (name: string, scheme: SchemeObject): boolean {
    return Object.hasOwn(this.#addedSchemes, name) && !sameScheme(this.#addedSchemes[name], scheme)
  }
}

function markerScheme (marker: OperationMarker, name: string, version: DocumentVersion): SchemeObject | undefined {
  return Object.hasOwn(marker.schemes, name) ? marker.schemes[name][version] : undefined
}

function sameScheme (one: SchemeObject, other: SchemeObject): boolean {
  const keys = Object.keys(one)
  return keys.length === Object.keys(other).length && keys.every(key => one[key] === other[key])
}

function objectOrEmpty (value: unknown): JsonObject {
  return isJsonObject(value) ? value : {}
}
