// The README's code blocks, for the test that keeps them working: where each
// block is and what it holds, and a type check of one block on its own, as a
// reader who pastes it into a strict TypeScript project would see it.
import { join, relative } from 'node:path'
import ts from 'typescript'

export interface CodeBlock {
  /** The line of the opening fence in the Markdown file, counted from 1. */
  line: number
  /** The first word of the fence's info string, in lower case; '' when there is none. */
  language: string
  /** The lines between the fences, without the fence's own indentation (blocks in list items are indented). */
  code: string
  /** How many spaces the fence is indented by. */
  indent: number
  /** The reason given by a `<!-- not checked: reason -->` comment on the line right before the fence. */
  notChecked?: string
  /** The file a whole-file block names in its first line (`// app.mjs`). */
  fileName?: string
}

const OPENING_FENCE = /^( *)(`{3,}|~{3,})\s*([^\s`]*)/
const NOT_CHECKED = /^\s*<!--\s*not checked:\s*(\S.*?)\s*-->\s*$/
const FILE_NAME = /^\/\/ ([\w.-]+\.(?:[cm]?js|[cm]?ts))$/

/** Every fenced code block of `markdown`, in order. A fence left open is an error, naming its line. */
export function extractCodeBlocks (markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  for (let index = 0; index < lines.length; index++) {
    const opening = OPENING_FENCE.exec(lines[index] as string)
    if (opening === null) continue
    const [, spaces = '', fence = '', info = ''] = opening
    const closing = new RegExp(`^ *${fence[0]}{${fence.length},}\\s*$`)
    const body: string[] = []
    let end = index + 1
    for (; end < lines.length && !closing.test(lines[end] as string); end++) {
      body.push(withoutIndent(lines[end] as string, spaces.length))
    }
    if (end === lines.length) throw new Error(`line ${index + 1}: the code block is never closed`)
    const block: CodeBlock = { line: index + 1, language: info.toLowerCase(), code: body.join('\n'), indent: spaces.length }
    const notChecked = NOT_CHECKED.exec(lines[index - 1] ?? '')?.[1]
    if (notChecked !== undefined) block.notChecked = notChecked
    const fileName = FILE_NAME.exec(body[0] ?? '')?.[1]
    if (fileName !== undefined) block.fileName = fileName
    blocks.push(block)
    index = end
  }
  return blocks
}

// Content lines lose at most the fence's indentation, as CommonMark reads them.
function withoutIndent (line: string, indent: number): string {
  let cut = 0
  while (cut < indent && line[cut] === ' ') cut++
  return line.slice(cut)
}

/**
 * What the README's fragments take as given: an app with the plugin
 * registered (so its decorators exist), a route handler, a request inside a
 * handler, and the secret. Whole-file blocks get none of it.
 */
export const FRAGMENT_PREAMBLE = `import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type {} from 'fastify-jwt-auth'

declare global {
  const app: FastifyInstance
  const handler: RouteHandlerMethod
  const request: FastifyRequest
  const secretKey: string
}
`

export interface BlockCheck {
  /** The block, as the file `fileName`. */
  block: CodeBlock
  fileName: string
  /** Adds FRAGMENT_PREAMBLE to the program. */
  fragment: boolean
}

/**
 * A type checker for README blocks: the repository's TypeScript and the
 * compiler options of its type tests (tsconfig.types.json: `strict`, and
 * `fastify-jwt-auth` mapped to the package's types in this working tree).
 * The files a block imports are parsed once for all the blocks.
 */
export function createBlockChecker (root: string): (check: BlockCheck) => string[] {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.types.json'), ts.sys.readFile)
  const options: ts.CompilerOptions = {
    ...ts.parseJsonConfigFileContent(config, ts.sys, root).options,
    noEmit: true,
    // How the package loads in each module setup is the packaging tests'
    // concern; here it is the code of the blocks, so ES modules are resolved
    // as a bundler or tsx resolves them.
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowJs: true,
    checkJs: true,
    // A snippet may declare what it shows and spell out a whole signature.
    noUnusedLocals: false,
    noUnusedParameters: false
  }
  const host = ts.createCompilerHost(options, true)
  const parsed = new Map<string, ts.SourceFile | undefined>()
  const parse = host.getSourceFile.bind(host)

  return ({ block, fileName, fragment }) => {
    // A directory of its own per block, which nothing is written to.
    const directory = join(root, 'test', `readme-line-${block.line}`)
    const blockPath = join(directory, fileName)
    const preamblePath = join(directory, 'readme-preamble.d.ts')
    const texts = new Map([[blockPath, block.code], ...(fragment ? [[preamblePath, FRAGMENT_PREAMBLE] as const] : [])])
    const blockHost: ts.CompilerHost = {
      ...host,
      fileExists: path => texts.has(path) || host.fileExists(path),
      readFile: path => texts.get(path) ?? host.readFile(path),
      getSourceFile: (path, languageVersion, onError) => {
        const text = texts.get(path)
        if (text !== undefined) return ts.createSourceFile(path, text, languageVersion, true)
        if (!parsed.has(path)) parsed.set(path, parse(path, languageVersion, onError))
        return parsed.get(path)
      }
    }
    // One program per block: a `declare module` in one block must not reach another.
    const program = ts.createProgram({ rootNames: [...texts.keys()], options, host: blockHost })
    const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
    for (const path of texts.keys()) {
      const file = program.getSourceFile(path)
      diagnostics.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file))
    }
    return diagnostics.map(diagnostic => describe(diagnostic, block, blockPath, root))
  }
}

// An error in the block is placed at its line and column in README.md.
function describe (diagnostic: ts.Diagnostic, block: CodeBlock, blockPath: string, root: string): string {
  const message = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`
  const { file, start } = diagnostic
  if (file === undefined || start === undefined) return message
  const { line, character } = file.getLineAndCharacterOfPosition(start)
  if (file.fileName !== blockPath) return `${relative(root, file.fileName)}:${line + 1}:${character + 1} ${message}`
  return `README.md:${block.line + 1 + line}:${block.indent + character + 1} ${message}`
}
