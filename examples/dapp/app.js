// The example dApp: an app login (demo tokens), then an embedded wallet through the SDK's
// script-tag build. Everything wallet-related goes through window.OtpWallet.
const { createWallet, OtpWalletError } = window.OtpWallet
const $ = (id) => document.getElementById(id)
const CHAIN_ID = 11155111 // Sepolia: the demo signs, it never broadcasts

let wallet = null
let countdown = null

$('inbox-link').href = window.DEMO.inboxUrl

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const email = $('email').value
  const response = await fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) })
  const body = await response.json()
  if (!response.ok) return show(body.error)
  sessionStorage.setItem('demo-token', body.token)
  sessionStorage.setItem('demo-email', email)
  sessionStorage.setItem('demo-ttl', $('ttl').value)
  startWallet()
})

function startWallet() {
  const email = sessionStorage.getItem('demo-email')
  const ttl = sessionStorage.getItem('demo-ttl')
  $('login-section').hidden = true
  $('wallet-section').hidden = false
  $('who').textContent = email
  wallet = createWallet({
    vaultUrl: window.DEMO.vaultUrl,
    getAuthToken: () => sessionStorage.getItem('demo-token'),
    chainId: CHAIN_ID,
    ...(ttl ? { session: { ttlSeconds: Number(ttl) } } : {}),
  })
  wallet.on('session_started', ({ expiresAt }) => showSession(expiresAt))
  wallet.on('session_expired', () => showSession(null))
  wallet.on('storage_fallback', ({ reason }) =>
    show(
      'This browser does not let the vault (another site) keep data, so the session lives in memory ' +
        'and ends when this page reloads. Chromium and incognito windows block third-party storage by default.\n' +
        `(${reason})`,
    ),
  )
  wallet.ready
    .then(async (address) => {
      $('address').textContent = address
      const session = await wallet.getSession()
      showSession(session.expiresAt)
    })
    .catch(show)
}

function showSession(expiresAt) {
  clearInterval(countdown)
  if (!expiresAt) {
    $('session').textContent = 'none: the next signature emails a code'
    return
  }
  const tick = () => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000))
    $('session').textContent = `active, ${Math.floor(left / 60)}m ${String(left % 60).padStart(2, '0')}s left`
    if (left === 0) clearInterval(countdown)
  }
  tick()
  countdown = setInterval(tick, 1000)
}

function show(value) {
  if (value instanceof OtpWalletError) value = { code: value.code, message: value.message, details: value.details }
  else if (value instanceof Error) value = { message: value.message }
  $('output').textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
}

async function run(button, action) {
  button.disabled = true
  try {
    show(await action())
  } catch (error) {
    show(error)
  } finally {
    button.disabled = false
  }
}

$('sign-message').addEventListener('click', (e) =>
  run(e.target, async () => ({ message: 'Hello from the otp-wallet demo', signature: await wallet.signMessage('Hello from the otp-wallet demo') })),
)

$('sign-typed-data').addEventListener('click', (e) =>
  run(e.target, async () => {
    const domain = { name: 'otp-wallet demo', version: '1', chainId: CHAIN_ID, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' }
    const types = { Greeting: [{ name: 'from', type: 'address' }, { name: 'text', type: 'string' }, { name: 'amount', type: 'uint256' }] }
    const value = { from: wallet.address, text: 'gm', amount: '42' }
    return { signature: await wallet.signTypedData(domain, types, value) }
  }),
)

$('sign-transaction').addEventListener('click', (e) =>
  run(e.target, async () => ({
    serialized: await wallet.signTransaction({
      to: '0x000000000000000000000000000000000000dEaD',
      value: 1_000_000_000_000_000n,
      nonce: 0,
      gasLimit: 21000,
      maxFeePerGas: '30000000000',
      maxPriorityFeePerGas: '0x3b9aca00',
    }),
  })),
)

$('end-session').addEventListener('click', (e) => run(e.target, async () => { await wallet.endSession(); showSession(null); return 'session ended' }))

$('logout').addEventListener('click', () => {
  wallet?.destroy()
  sessionStorage.clear()
  location.reload()
})

if (sessionStorage.getItem('demo-token')) startWallet()
