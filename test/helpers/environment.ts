// The AUTHJWT_* environment a test registers the plugin in. The plugin reads
// those variables from the process environment and from a .env file in the
// working directory, so one set on the machine running the tests, or a .env
// lying in the project, would otherwise change what the tests see.
import type { Test } from 'tap'

/**
 * Runs the rest of `t` with no AUTHJWT_* variable but `variables`, and puts
 * the process environment back as it was when `t` ends.
 */
export function withEnvironment (t: Test, variables: Record<string, string> = {}): void {
  const saved = { ...process.env }
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AUTHJWT_')) delete process.env[name]
  }
  Object.assign(process.env, variables)
  t.teardown(() => {
    for (const name of Object.keys(process.env)) {
      if (!(name in saved)) delete process.env[name]
    }
    Object.assign(process.env, saved)
  })
}

/** Runs the rest of `t` in a fresh directory holding only `files` (a `.env`, say), so that no other .env is read. */
export function inEmptyDirectory (t: Test, files: Parameters<Test['testdir']>[0] = {}): void {
  t.chdir(t.testdir(files))
}
