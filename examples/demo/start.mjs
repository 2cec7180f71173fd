// `npm start`: builds are done by the npm script; this starts the demo and prints its URLs.
import { launchDemo } from './launch.mjs'

const port = (name, fallback) => {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number, got "${value}"`)
    process.exit(1)
  }
  return n
}

const demo = await launchDemo({
  hostPort: port('DEMO_HOST_PORT', 5173),
  vaultPort: port('DEMO_VAULT_PORT', 5174),
  apiPort: port('DEMO_API_PORT', 8787),
  mailPort: port('DEMO_MAIL_PORT', 1080),
  smtpPort: port('DEMO_SMTP_PORT', 2525),
}).catch((error) => {
  console.error(`Could not start the demo: ${error.message}`)
  if (error.code === 'EADDRINUSE') console.error('A port is taken; set DEMO_HOST_PORT, DEMO_VAULT_PORT, DEMO_API_PORT, DEMO_MAIL_PORT or DEMO_SMTP_PORT.')
  process.exit(1)
})

const { urls } = demo
console.log(`
otp-wallet demo is running

  example dApp   ${urls.dapp}
  vault          ${urls.vault}
  backend API    ${urls.api}
  mail inbox     ${urls.inbox}   (JSON: ${urls.inboxJson})
  SMTP server    ${urls.smtp}

Open the dApp, log in with any email address, and sign: the code arrives in the mail inbox.
Press Ctrl+C to stop.
`)

const stop = async () => {
  await demo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
