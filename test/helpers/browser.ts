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

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** The width and height of a PNG image, read from its header; throws when `image` is not a PNG. */
export function pngSize (image: Buffer): { width: number, height: number } {
  if (image.length < 24 || !image.subarray(0, 8).equals(PNG_SIGNATURE) || image.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG image')
  }
  return { width: image.readUInt32BE(16), height: image.readUInt32BE(20) }
}

/**
 * The WCAG 2 contrast ratio of two CSS colours as getComputedStyle gives
 * them (`rgb(r, g, b)` or `rgba(…)`, alpha ignored): 1 to 21, and text
 * needs at least 4.5.
 */
export function contrastRatio (foreground: string, background: string): number {
  const [lighter, darker] = [relativeLuminance(foreground), relativeLuminance(background)].sort((a, b) => b - a)
  return (lighter + 0.05) / (darker + 0.05)
}

function relativeLuminance (colour: string): number {
  const channels = rgbChannels(colour).map(value => {
    const c = value / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
}

/** The red, green and blue channels (0 to 255) of a computed CSS colour. */
export function rgbChannels (colour: string): [number, number, number] {
  const match = /^rgba?\((\d+), (\d+), (\d+)/.exec(colour)
  if (match === null) throw new Error(`not a computed rgb() colour: ${colour}`)
  return [Number(match[1]), Number(match[2]), Number(match[3])]
}
