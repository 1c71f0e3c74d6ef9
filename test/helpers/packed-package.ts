// The package as users get it: packed by `npm pack` from a copy of the
// repository as a fresh clone has it, and installed into throw-away consumer
// projects without the network.
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import ts from 'typescript'

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program to its end; a non-zero exit is returned, not thrown. */
export function run (command: string, args: string[], options: { cwd: string, env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', chunk => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', chunk => { stderr += chunk })
    child.on('error', reject)
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

/**
 * The environment of the programs the tests start: the test runner's loaders
 * and coverage (NODE_OPTIONS, NODE_V8_COVERAGE), the `npm_config_*` of the
 * `npm test` around it (one of them names the repository as the package to
 * pack) and any AUTHJWT_* setting would otherwise reach them.
 */
export function cleanEnvironment (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    if (process.env[name] !== undefined) kept[name] = process.env[name]
  }
  return {
    ...kept,
    // npm pack needs nothing from the registry, and must not ask it.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra
  }
}

// What a fresh clone does not have.
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', '.git', '.tap', 'coverage'])

export interface PackedPackage {
  /** The .tgz file. */
  tarball: string
  /** The paths of the files in it, relative to the package root. */
  files: string[]
}

/**
 * Copies the repository to `workDirectory` as a fresh clone has it (no
 * dist/), links its node_modules, as `npm ci` would have installed them, and
 * runs `npm pack` there: `prepack` must build everything the package ships.
 */
export async function packFreshCopy (root: string, workDirectory: string): Promise<PackedPackage> {
  const copy = join(workDirectory, 'clone')
  cpSync(root, copy, {
    recursive: true,
    filter: source => !NOT_IN_A_CLONE.has(relative(root, source).split(sep)[0] as string)
  })
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir')
  const packed = await run('npm', ['pack', '--json', '--pack-destination', workDirectory], { cwd: copy, env: cleanEnvironment() })
  if (packed.code !== 0) throw new Error(`npm pack failed (${packed.code}):\n${packed.stderr}`)
  const [report] = JSON.parse(packed.stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
  if (report === undefined) throw new Error(`npm pack reported no package:\n${packed.stdout}`)
  return { tarball: join(workDirectory, report.filename), files: report.files.map(file => file.path).sort() }
}

/**
 * Installs the tarball into `projectRoot`/node_modules as npm would, without
 * the network: the package is extracted there, and its dependencies, and
 * `consumerDependencies` (the consumers' own), are linked from the
 * repository's node_modules, which `npm ci` filled. (`npm install --offline`
 * would need every dependency in npm's cache, which a CI machine that
 * restored node_modules some other way does not have.) Node and TypeScript
 * follow the links to the real paths, so each dependency finds its own.
 * Returns the installed package's directory.
 */
export async function installOffline (tarball: string, projectRoot: string, root: string, consumerDependencies: string[]): Promise<string> {
  const installed = join(projectRoot, 'node_modules', 'fastify-jwt-auth')
  mkdirSync(installed, { recursive: true })
  // npm's tarballs hold the package under package/.
  const extracted = await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], { cwd: projectRoot, env: cleanEnvironment() })
  if (extracted.code !== 0) throw new Error(`tar failed (${extracted.code}):\n${extracted.stderr}`)
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
  for (const name of [...Object.keys(manifest.dependencies ?? {}), ...consumerDependencies]) {
    const target = join(root, 'node_modules', name)
    if (!existsSync(target)) throw new Error(`${name} is not in the repository's node_modules: run npm ci`)
    const link = join(projectRoot, 'node_modules', name)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(target, link, 'dir')
  }
  return installed
}

export interface ModuleExports {
  /** Exports that exist at run time, `default` among them. */
  values: string[]
  /** Exports that are types only. */
  types: string[]
}

/** The exports an entry point's source declares: its `export default` and its `export { … }` lists. */
export function declaredExports (sourcePath: string): ModuleExports {
  const source = ts.createSourceFile(sourcePath, readFileSync(sourcePath, 'utf8'), ts.ScriptTarget.Latest)
  const found: ModuleExports = { values: [], types: [] }
  for (const statement of source.statements) {
    if (ts.isExportAssignment(statement) && statement.isExportEquals !== true) found.values.push('default')
    if (!ts.isExportDeclaration(statement)) continue
    // `export *` names nothing here, so its names could not be checked.
    if (statement.exportClause === undefined || !ts.isNamedExports(statement.exportClause)) {
      throw new Error(`${sourcePath}: list the names of an export *`)
    }
    for (const element of statement.exportClause.elements) {
      const typeOnly = statement.isTypeOnly || element.isTypeOnly
      ;(typeOnly ? found.types : found.values).push(element.name.text)
    }
  }
  return { values: found.values.sort(), types: found.types.sort() }
}
