'use strict'
// Coverage is measured (and required at 100%) for the plugin's own code:
// index.ts and every file of lib/. Examples, benchmarks and tests are run
// but not counted.
const { readdirSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')
const sources = ['index.ts', ...readdirSync(join(root, 'lib'), { recursive: true })
  .filter(file => file.endsWith('.ts'))
  .map(file => join('lib', file))]

module.exports = () => sources
