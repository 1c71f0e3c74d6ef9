// The browser tests' Chromium: Debian's, driven by playwright-core, never a
// downloaded browser. Where it is missing the tests skip with the reason,
// except on CI, where they fail.
import t from 'tap'
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'
]
// Bounds every wait on a page: a broken page fails instead of hanging.
export const WAIT = { timeout: 15_000 }

const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium); not downloading a browser`

/** A top-level test that gets a running Chromium, closed after the test. */
export function browserTest (name: string, body: (t: tap.Test, browser: Browser) => Promise<void>): void {
  if (missing !== undefined && process.env.CI !== undefined) {
    t.fail(`browser test cannot run on CI: ${missing}`)
    return
  }
  t.test(name, { skip: missing ?? false }, async t => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    t.teardown(() => browser.close())
    await body(t, browser)
  })
}
