// Before the browser tests: find Chromium, or install Debian's package when this machine can,
// or say in one line how to get one.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { findChromium } from './find-chromium.mjs'

const HOW_TO = 'No Chromium found: install Chromium or Chrome (Debian: apt-get install chromium) or set CHROME_PATH to its executable.'

if (process.env.CHROME_PATH && !existsSync(process.env.CHROME_PATH)) {
  console.error(`CHROME_PATH=${process.env.CHROME_PATH} does not exist. ${HOW_TO}`)
  process.exit(1)
}

let found = findChromium()
const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && existsSync('/etc/debian_version')
if (!found && canApt) {
  console.log('No Chromium found; installing Debian\'s chromium package (root on Debian)…')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env })
  const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env })
  if (!install || install.status !== 0) console.error('apt-get could not install chromium.')
  found = findChromium()
}
if (!found) {
  console.error(HOW_TO)
  process.exit(1)
}
console.log(`Browser tests use ${found}`)
