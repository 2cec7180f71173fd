// @vitest-environment happy-dom
import { verifyMessage } from 'ethers/hash'
import { Transaction } from 'ethers/transaction'
import { afterEach, describe, expect, it } from 'vitest'
import { isRpcProgress } from '../src/protocol/messages.js'
import { EventRelay } from './event-relay.js'
import { createMemoryStorage } from './storage/vault-storage.js'
import { TEST_ADDRESS } from './testing/fakes.js'
import { FakeApi } from './testing/fake-api.js'
import { closeVaults, init, message, setupVault as setup } from './testing/vault-harness.js'

afterEach(closeVaults)

describe('vault (whole, over a MessageChannel)', () => {
  it('init reports the backend address, no session and the storage kind', async () => {
    const v = setup()
    expect((await v.call('init', init('headless'))).result).toEqual({
      address: TEST_ADDRESS,
      session: { active: false, expiresAt: null },
      storage: 'memory',
    })
    expect(v.api.calls[0]).toMatchObject({ path: '/wallet', auth: 'tok' })
  })

  it('refuses everything but init before init, and bad init params by field', async () => {
    const v = setup()
    expect((await v.call('signMessage', message)).error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((await v.call('getSession')).error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((await v.call('init', { chainId: '1', ui: 'vault', sessionTtlSeconds: null })).error).toMatchObject({
      details: { field: 'chainId' },
    })
    expect((await v.call('init', { chainId: 1, ui: 'popup', sessionTtlSeconds: null })).error).toMatchObject({ details: { field: 'ui' } })
    expect((await v.call('init', { chainId: 1, ui: 'vault', sessionTtlSeconds: -1 })).error).toMatchObject({
      details: { field: 'sessionTtlSeconds' },
    })
    expect((await v.call('init', init('vault'), null)).error).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect((await v.call('nope')).error).toMatchObject({ code: 'UNKNOWN_METHOD' })
  })

  it('headless: first signature → otp_required → otp.submit → signature + session; next one without OTP', async () => {
    const v = setup()
    await v.call('init', init('headless'))
    const sign = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    expect(v.inbox.some((m) => isRpcProgress(m) && m.id === sign.id)).toBe(true)
    expect(v.eventsNamed('otp_required')[0]?.data).toMatchObject({ emailHint: 'j***@example.com', codeLength: 6, attemptsLeft: 3 })
    expect(v.eventsNamed('ui:open')).toHaveLength(0)

    expect((await v.call('otp.submit', { code: '999999' })).error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 2 } })
    expect((await v.call('otp.submit', { code: '012-345' })).result).toBeNull()
    const signed = await sign.done()
    expect(verifyMessage('hello vault', signed.result.signature)).toBe(TEST_ADDRESS)

    await v.waitEvent('session_started')
    const { expiresAt } = v.eventsNamed('session_started')[0]!.data
    // The backend's clock is 3 h behind; the session still lasts its 600 s on the local clock.
    expect(expiresAt).toBe(v.clock.now() + 600_000)
    expect((await v.call('getSession')).result).toEqual({ active: true, expiresAt })

    const again = await v.call('signMessage', { message: { kind: 'bytes', bytes: new Uint8Array([1, 2, 3]) } })
    expect(verifyMessage(new Uint8Array([1, 2, 3]), again.result.signature)).toBe(TEST_ADDRESS)
    expect(v.api.count['/otp/challenge']).toBe(1)
  })

  it('concurrent sign requests share one challenge and one code', async () => {
    const v = setup()
    await v.call('init', init('headless'))
    const a = v.start('signMessage', message)
    const b = v.start('signTransaction', {
      transaction: { to: '0x' + '11'.repeat(20), value: 1n, nonce: 0, gasLimit: 21000, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n },
    })
    await v.waitEvent('otp_required')
    await v.call('otp.submit', { code: '012345' })
    const [ra, rb] = await Promise.all([a.done(), b.done()])
    expect(verifyMessage('hello vault', ra.result.signature)).toBe(TEST_ADDRESS)
    const tx = Transaction.from(rb.result.serialized)
    expect(tx.from).toBe(TEST_ADDRESS)
    expect(tx.chainId).toBe(1n)
    expect(v.api.count['/otp/challenge']).toBe(1)
    expect(v.eventsNamed('otp_required')).toHaveLength(1)
  })

  it('bad sign input fails INVALID_REQUEST before any OTP starts', async () => {
    const v = setup()
    await v.call('init', init('headless'))
    expect((await v.call('signMessage', { message: 'not a SignableMessage' })).error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((await v.call('signTransaction', { transaction: { to: 'nope' } })).error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((await v.call('signTypedData', { payload: 42 })).error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect((await v.call('signMessage', null)).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'params' } })
    expect(v.api.count['/otp/challenge']).toBeUndefined()
  })

  it('vault UI: ui:open, the prompt takes the code, ui:close; cancel rejects USER_CANCELLED', async () => {
    const v = setup()
    await v.call('init', init('vault'))
    const sign = v.start('signMessage', message)
    await v.waitEvent('ui:open')
    const prompt = document.getElementById('otp-prompt')!
    expect(prompt.hidden).toBe(false)
    expect((await v.call('otp.submit', { code: '012345' })).error).toMatchObject({ code: 'INVALID_REQUEST' })
    ;(document.getElementById('otp-code') as HTMLInputElement).value = '012 345'
    ;(document.getElementById('otp-submit') as HTMLButtonElement).click()
    expect((await sign.done()).result.signature).toMatch(/^0x[0-9a-f]{130}$/)
    await v.waitEvent('ui:close')
    expect(prompt.hidden).toBe(true)

    await v.call('endSession')
    expect((await v.call('getSession')).result).toEqual({ active: false, expiresAt: null })
    const second = v.start('signMessage', message)
    await v.waitEvent('ui:open', 2)
    ;(document.getElementById('otp-cancel') as HTMLButtonElement).click()
    expect((await second.done()).error).toMatchObject({ code: 'USER_CANCELLED' })
    await v.waitEvent('ui:close', 2)
  })

  it('single use (ttl 0): two requests, two codes, nothing stored', async () => {
    const v = setup()
    await v.call('init', init('headless', 0))
    const a = v.start('signMessage', message)
    const b = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    await v.call('otp.submit', { code: '012345' })
    await a.done()
    await v.waitEvent('otp_required', 2)
    await v.call('otp.submit', { code: '012345' })
    expect((await b.done()).result.signature).toBeDefined()
    expect(v.api.calls.filter((c) => c.path === '/otp/challenge').map((c) => c.body)).toEqual([
      expect.objectContaining({ ttlSeconds: 0 }),
      expect.objectContaining({ ttlSeconds: 0 }),
    ])
    expect(v.eventsNamed('session_started')).toHaveLength(0)
    expect(await v.storage.get('session')).toBeUndefined()
    expect((await v.call('getSession')).result).toEqual({ active: false, expiresAt: null })
  })

  it('session_expired when the session runs out; the next signature asks for a code again', async () => {
    const v = setup()
    await v.call('init', init('headless', 60))
    const sign = v.start('signMessage', message)
    await v.waitEvent('otp_required')
    await v.call('otp.submit', { code: '012345' })
    await sign.done()
    v.clock.advance(60_000)
    await v.waitEvent('session_expired')
    expect(await v.storage.get('session')).toBeUndefined()
    v.start('signMessage', message)
    await v.waitEvent('otp_required', 2)
  })

  it('a restarted vault reuses a stored live session; init for another user drops it', async () => {
    const storage = createMemoryStorage()
    const first = setup({ storage })
    await first.call('init', init('headless'))
    const sign = first.start('signMessage', message)
    await first.waitEvent('otp_required')
    await first.call('otp.submit', { code: '012345' })
    await sign.done()

    const second = setup({ storage })
    await second.vault.restore()
    expect((await second.call('init', init('headless'))).result.session.active).toBe(true)
    expect((await second.call('signMessage', message)).result.signature).toBeDefined()

    const otherUser = new FakeApi()
    otherUser.address = '0x' + 'ab'.repeat(20)
    const third = setup({ storage, api: otherUser })
    await third.vault.restore()
    expect((await third.call('init', init('headless'))).result.session).toEqual({ active: false, expiresAt: null })
    expect(await storage.get('session')).toBeUndefined()
  })

  it('reports a storage fallback to the host right after connecting', async () => {
    const events = new EventRelay()
    events.emit('storage_fallback', { reason: 'DataCloneError' })
    const sent: unknown[] = []
    events.connect({ emit: (event, data) => sent.push({ event, data }) })
    expect(sent).toEqual([{ event: 'storage_fallback', data: { reason: 'DataCloneError' } }])
  })
})
