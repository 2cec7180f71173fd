// Size budgets for what browsers download, checked after every build in `npm test`.
// The host bundle is what every page of a dApp pays for; the vault loads once per session.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const KB = 1024
const BUDGETS = [
  // The SDK a page embeds: handshake, RPC, options, iframe. No crypto, no ethers.
  { file: 'dist/otp-wallet.global.js', maxGzip: 6 * KB, mustNotContain: ['SigningKey', 'sqlite', 'nodemailer', 'hpke'] },
  // The vault: ethers' signing subset, HPKE, idb-keyval, the prompt.
  { file: 'dist/vault/main.js', maxGzip: 55 * KB, mustNotContain: ['sqlite', 'nodemailer', 'mnemonic'] },
]

let failed = false
for (const { file, maxGzip, mustNotContain } of BUDGETS) {
  const bytes = readFileSync(file)
  const gzip = gzipSync(bytes, { level: 9 }).length
  const text = bytes.toString('utf8')
  const leaked = mustNotContain.filter((s) => text.toLowerCase().includes(s.toLowerCase()))
  const ok = gzip <= maxGzip && leaked.length === 0
  failed ||= !ok
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${file}: ${(gzip / KB).toFixed(1)} KB gzip (budget ${(maxGzip / KB).toFixed(0)} KB)` +
      (leaked.length ? `; contains ${leaked.join(', ')}` : ''),
  )
}
if (failed) process.exit(1)
