// @vitest-environment happy-dom
// A session signs only for the app user who owns it (account-guard.ts), and init refuses
// options the vault or the backend cannot honour.
import { getAddress } from 'ethers/address'
import { verifyMessage } from 'ethers/hash'
import { Transaction } from 'ethers/transaction'
import { afterEach, describe, expect, it } from 'vitest'
import { TEST_ADDRESS } from './testing/fakes.js'
import { closeVaults, init, message, setupVault } from './testing/vault-harness.js'

afterEach(closeVaults)

const BOB = getAddress('0x' + 'b0'.repeat(20))
const TX = { to: '0x' + '11'.repeat(20), value: 1n, nonce: 0, gasLimit: 21000, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n }

/** Alice ('tok') signs once with a code: a live 600 s session. */
async function aliceWithSession() {
  const v = setupVault()
  v.api.users.set('tok-refreshed', TEST_ADDRESS)
  v.api.users.set('bob', BOB)
  await v.call('init', init('headless'))
  const first = v.start('signMessage', message)
  await v.waitEvent('otp_required')
  await v.call('otp.submit', { code: '012345' })
  expect((await first.done()).result.signature).toBeDefined()
  await v.waitEvent('session_started')
  return v
}

describe('vault: a session signs only for its owner', () => {
  it('logged out (no token): UNAUTHENTICATED, no backend call, and the session is kept for the owner', async () => {
    const v = await aliceWithSession()
    const calls = v.api.calls.length
    for (const auth of [null, '']) {
      expect((await v.call('signMessage', message, auth)).error).toMatchObject({ code: 'UNAUTHENTICATED' })
      expect((await v.call('signTransaction', { transaction: TX }, auth)).error).toMatchObject({ code: 'UNAUTHENTICATED' })
    }
    expect((await v.call('getSession', {}, null)).result).toEqual({ active: false, expiresAt: null })
    expect(v.api.calls.length).toBe(calls)
    // Alice logs back in with the same token: the session goes on.
    const again = await v.call('signMessage', message)
    expect(verifyMessage('hello vault', again.result.signature)).toBe(TEST_ADDRESS)
    expect((await v.call('getSession')).result.active).toBe(true)
    expect(v.eventsNamed('session_expired')).toHaveLength(0)
  })

  it('a forged token: UNAUTHENTICATED after one GET /wallet, nothing signed', async () => {
    const v = await aliceWithSession()
    const before = v.api.calls.length
    expect((await v.call('signMessage', message, 'forged')).error).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect((await v.call('signTransaction', { transaction: TX }, 'forged')).error).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(v.api.calls.slice(before)).toEqual([{ path: '/wallet', auth: 'forged', body: undefined }])
    expect((await v.call('signMessage', message)).result.signature).toBeDefined() // Alice still can
  })

  it("the owner's refreshed token: one GET /wallet, then signatures without backend calls", async () => {
    const v = await aliceWithSession()
    const before = v.api.calls.length
    for (let i = 0; i < 3; i++) {
      const signed = await v.call('signMessage', message, 'tok-refreshed')
      expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)
    }
    expect(v.api.calls.slice(before).map((c) => `${c.path} ${c.auth}`)).toEqual(['/wallet tok-refreshed'])
    expect(v.api.count['/otp/challenge']).toBe(1)
  })

  it("another user's token: ACCOUNT_CHANGED, the session ends everywhere, and the vault stays refused until init", async () => {
    const v = await aliceWithSession()
    expect((await v.call('signTransaction', { transaction: TX }, 'bob')).error).toMatchObject({
      code: 'ACCOUNT_CHANGED',
      message: "The app's logged-in user changed; call destroy() and create a new wallet",
    })
    await v.waitEvent('session_expired')
    expect(await v.storage.get('session')).toBeUndefined()
    // Even Alice's own token no longer signs from this vault, and no code is asked for.
    expect((await v.call('signMessage', message)).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect((await v.call('signMessage', message, 'bob')).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect((await v.call('otp.resend', {}, 'tok')).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect((await v.call('getSession')).result).toEqual({ active: false, expiresAt: null })
    expect((await v.call('endSession', {}, null)).result).toBeNull()
    expect(v.api.count['/otp/challenge']).toBe(1)

    // A new init (what a new wallet does) serves the user logged in now.
    expect((await v.call('init', init('headless'), 'bob')).result).toMatchObject({ address: BOB, session: { active: false } })
    expect((await v.call('getSession', {}, 'bob')).result).toEqual({ active: false, expiresAt: null })
  })

  it('getSession with a new token of another user reports no session and ends it', async () => {
    const v = await aliceWithSession()
    expect((await v.call('getSession', {}, 'bob')).result).toEqual({ active: false, expiresAt: null })
    await v.waitEvent('session_expired')
    expect((await v.call('signMessage', message)).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
  })

  it('another user during a pending OTP round: the waiting requests and the round end ACCOUNT_CHANGED', async () => {
    const v = setupVault()
    v.api.users.set('bob', BOB)
    await v.call('init', init('headless'))
    const waiting = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    expect((await v.call('otp.submit', { code: '012345' }, 'bob')).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect((await waiting.done()).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect((await v.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect(v.api.count['/otp/verify']).toBeUndefined()
    expect(v.eventsNamed('session_started')).toHaveLength(0)
    // Back to the first user: the code in their inbox is still the one to type (the backend
    // keeps it open, and asking for another would be a resend).
    await v.call('init', init('headless'))
    const again = v.start('signMessage', message)
    await v.waitEvent('otp_required', 2)
    expect(v.api.count['/otp/challenge']).toBe(1)
    await v.call('otp.submit', { code: '012345' })
    expect((await again.done()).result.signature).toBeDefined()
  })

  it("init for another user keeps the code sent to the previous one for when they come back", async () => {
    const v = setupVault()
    v.api.users.set('bob', BOB)
    await v.call('init', init('headless'))
    const waiting = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    await v.call('otp.cancel')
    expect((await waiting.done()).error).toMatchObject({ code: 'USER_CANCELLED' })
    await v.call('init', init('headless'), 'bob')
    await v.call('init', init('headless'))
    const again = v.start('signMessage', message)
    await v.waitEvent('otp_required', 2)
    expect(v.api.count['/otp/challenge']).toBe(1)
    expect(v.eventsNamed('otp_required')[1]).toEqual(v.eventsNamed('otp_required')[0])
    await v.call('otp.submit', { code: '012345' })
    expect((await again.done()).result.signature).toBeDefined()
  })

  it('headless otp.submit needs the owner token too', async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    const waiting = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    expect((await v.call('otp.submit', { code: '012345' }, null)).error).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(v.api.count['/otp/verify']).toBeUndefined()
    await v.call('otp.submit', { code: '012345' })
    expect((await waiting.done()).result.signature).toBeDefined()
  })
})

describe('vault: init checks', () => {
  it("refuses a session longer than the backend's maxTtlSeconds, naming the max", async () => {
    const v = setupVault()
    v.api.maxTtlSeconds = 3600
    const refused = await v.call('init', init('vault', 3601))
    expect(refused.error).toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'session.ttlSeconds' } })
    expect(refused.error.message).toContain('3600')
    expect((await v.call('signMessage', message)).error).toMatchObject({ code: 'INVALID_REQUEST' }) // not initialised
    expect((await v.call('init', init('vault', 3600))).result.address).toBe(TEST_ADDRESS)
  })

  it('refuses headless mode unless config.json allows it, before any backend call', async () => {
    const v = setupVault({ allowHeadless: false })
    const refused = await v.call('init', init('headless'))
    expect(refused.error).toMatchObject({ code: 'INVALID_CONFIG', details: { field: 'ui' } })
    expect(refused.error.message).toContain('"allowHeadless": true')
    expect(v.api.calls).toHaveLength(0)
    expect((await v.call('init', init('vault'))).result.address).toBe(TEST_ADDRESS)
  })
})

describe('vault: transactions with `from`', () => {
  it("signs a transaction whose `from` is the wallet (any case); refuses another `from` before any code", async () => {
    const v = setupVault()
    await v.call('init', init('headless'))
    const other = await v.call('signTransaction', { transaction: { ...TX, from: '0x' + '22'.repeat(20) } })
    expect(other.error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'from' } })
    expect(v.api.count['/otp/challenge']).toBeUndefined()

    const signing = v.start('signTransaction', { transaction: { ...TX, from: TEST_ADDRESS.toLowerCase() } })
    await v.waitEvent('otp_required')
    await v.call('otp.submit', { code: '012345' })
    const tx = Transaction.from((await signing.done()).result.serialized)
    expect(tx.from).toBe(TEST_ADDRESS)
  })
})
