// @vitest-environment happy-dom
// Two tabs of one vault origin and storage partition: shared (IndexedDB-kind) storage and one
// BroadcastChannel hub. Headless mode, so the two vaults do not share one prompt in one document.
import { verifyMessage } from 'ethers/hash'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryStorage, type VaultStorage } from './storage/vault-storage.js'
import { FakeChannelHub, flush, TEST_ADDRESS } from './testing/fakes.js'
import { FakeApi } from './testing/fake-api.js'
import { closeVaults, init, message, setupVault } from './testing/vault-harness.js'

afterEach(closeVaults)

function twoTabs(kind: VaultStorage['kind'] = 'indexeddb') {
  const storage: VaultStorage = { ...createMemoryStorage(), kind }
  const hub = new FakeChannelHub()
  const api = new FakeApi()
  const a = setupVault({ storage, api, channel: hub.channel() })
  const b = setupVault({ storage, api, channel: hub.channel() })
  return { a, b, api, hub, storage }
}

async function signWithCode(v: ReturnType<typeof setupVault>) {
  const signing = v.start('signMessage', message)
  await v.waitEvent('otp_required')
  await v.call('otp.submit', { code: '012345' })
  expect((await signing.done()).result.signature).toBeDefined()
}

describe('vault: sessions across tabs', () => {
  it('a tab opened before the session signs with it once another tab starts it', async () => {
    const { a, b, api } = twoTabs()
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    await signWithCode(a)
    await b.waitEvent('session_started')
    expect((await b.call('getSession')).result.active).toBe(true)
    const signed = await b.call('signMessage', message)
    expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)
    expect(api.count['/otp/challenge']).toBe(1)
  })

  it('endSession in one tab stops the other from signing with its copy', async () => {
    const { a, b, api } = twoTabs()
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    await signWithCode(a)
    await b.waitEvent('session_started')

    expect((await a.call('endSession')).result).toBeNull()
    await b.waitEvent('session_expired')
    expect(a.eventsNamed('session_expired')).toHaveLength(0) // a's host asked for it
    expect((await b.call('getSession')).result).toEqual({ active: false, expiresAt: null })
    b.start('signMessage', message)
    await b.waitEvent('otp_required') // a new code, not the old session
    expect(api.count['/otp/challenge']).toBe(2)
  })

  it('a request waiting for a code in one tab goes on when the other tab unlocks the session', async () => {
    const { a, b } = twoTabs()
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    const waitingInB = b.start('signMessage', message)
    await b.waitEvent('otp_required')
    await signWithCode(a) // the user typed the newest code into tab a
    const signed = await waitingInB.done()
    expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)
    expect((await b.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'INVALID_REQUEST' }) // nothing pending
  })

  it('a second tab signing while the first waits shows the code already sent; the first tab verifies, both go on', async () => {
    const { a, b, api } = twoTabs()
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    const inA = a.start('signMessage', message)
    await a.waitEvent('otp_required')
    api.rateLimitSeconds = 30 // asking again now would be a resend: refused, and later it would kill a's code
    const inB = b.start('signMessage', message)
    await b.waitEvent('otp_required')
    expect(b.eventsNamed('otp_required')[0]!.data).toEqual(a.eventsNamed('otp_required')[0]!.data)
    expect(api.count['/otp/challenge']).toBe(1)

    await a.call('otp.submit', { code: '012345' })
    expect((await inA.done()).result.signature).toBeDefined()
    const signed = await inB.done() // released by the session_started broadcast
    expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)
    expect((await b.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'INVALID_REQUEST' }) // nothing pending
    expect(api.count['/otp/verify']).toBe(1)
  })

  it('re-checks storage before starting a round, in case the announcement was missed', async () => {
    const storage: VaultStorage = { ...createMemoryStorage(), kind: 'indexeddb' }
    const api = new FakeApi()
    const a = setupVault({ storage, api }) // no channels at all
    const b = setupVault({ storage, api })
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    await signWithCode(a)
    expect((await b.call('signMessage', message)).result.signature).toBeDefined()
    expect(api.count['/otp/challenge']).toBe(1)
  })

  it('memory-mode sessions stay per tab', async () => {
    const { a, b, hub } = twoTabs('memory')
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    await signWithCode(a)
    await a.call('endSession')
    expect(hub.sent).toEqual([])
    expect(b.eventsNamed('session_started')).toHaveLength(0)
  })

  it("another tab's resend: this tab's submit of the old code is OTP_EXPIRED 'superseded', and otp_required brings the new code", async () => {
    const { a, b, api } = twoTabs()
    await a.call('init', init('headless'))
    await b.call('init', init('headless'))
    const inA = a.start('signMessage', message)
    await a.waitEvent('otp_required')
    const inB = b.start('signMessage', message)
    await b.waitEvent('otp_required')
    expect(api.count['/otp/challenge']).toBe(1) // b shows a's code
    const resent = (await b.call('otp.resend')).result as { expiresAt: number; resendAfter: number }
    expect(api.count['/otp/challenge']).toBe(2)

    expect((await a.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'superseded' } })
    await a.waitEvent('otp_required', 2)
    expect(a.eventsNamed('otp_required')[1]!.data).toMatchObject({ expiresAt: resent.expiresAt, resendAfter: resent.resendAfter, attemptsLeft: 3 })
    await a.call('otp.submit', { code: '012345' }) // the code from the latest email
    expect(verifyMessage('hello vault', (await inA.done()).result.signature)).toBe(TEST_ADDRESS)
    expect(verifyMessage('hello vault', (await inB.done()).result.signature)).toBe(TEST_ADDRESS) // via the session
    expect(api.count['/otp/challenge']).toBe(2)
  })

  it('a single-use page (ttlSeconds 0) never signs under the session another page started', async () => {
    const { a, b, api } = twoTabs()
    await a.call('init', init('headless', 3600))
    await b.call('init', init('headless', 0))
    await signWithCode(a)
    expect((await a.call('getSession')).result.active).toBe(true)
    expect((await b.call('getSession')).result).toEqual({ active: false, expiresAt: null })
    expect(b.eventsNamed('session_started')).toHaveLength(0)

    await signWithCode(b) // its own code, for exactly this signature
    await signWithCode(b)
    expect(api.count['/otp/challenge']).toBe(3)
    expect((await a.call('getSession')).result.active).toBe(true) // a's session is untouched
  })

  it("a page never signs under a longer session than it asked for, nor is its waiting request released by one", async () => {
    const { a, b, api } = twoTabs()
    await a.call('init', init('headless', 3600))
    await b.call('init', init('headless', 600))
    const inB = b.start('signMessage', message)
    await b.waitEvent('otp_required')
    await signWithCode(a) // another ttl: its own code, which also supersedes b's
    await flush()
    expect(inB.settled()).toBe(false)
    expect((await b.call('getSession')).result.active).toBe(false)

    await b.call('otp.resend')
    await b.call('otp.submit', { code: '012345' })
    expect(verifyMessage('hello vault', (await inB.done()).result.signature)).toBe(TEST_ADDRESS)
    // b's 600 s session replaced a's; it serves a too, which asked for longer.
    const fromA = await a.call('signMessage', message)
    expect(verifyMessage('hello vault', fromA.result.signature)).toBe(TEST_ADDRESS)
    expect(api.count['/otp/challenge']).toBe(3)
  })
})
