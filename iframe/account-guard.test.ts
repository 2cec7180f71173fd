import { describe, expect, it, vi } from 'vitest'
import { OtpWalletError } from '../src/protocol/errors.js'
import { AccountGuard } from './account-guard.js'
import { flush, TEST_ADDRESS } from './testing/fakes.js'

const BOB = '0x' + 'B0'.repeat(20)
const SESSION = { ttlSeconds: 3600, maxTtlSeconds: 86_400 }

function setup() {
  const wallets: Record<string, string> = { alice: TEST_ADDRESS, 'alice-2': TEST_ADDRESS, bob: BOB }
  const getWallet = vi.fn(async (auth: string) => {
    const address = wallets[auth]
    if (address === undefined) throw new OtpWalletError('UNAUTHENTICATED', 'Bad token', { details: { status: 401 } })
    return { address, session: SESSION }
  })
  const onAccountChanged = vi.fn(async () => {})
  const guard = new AccountGuard({ getWallet, onAccountChanged })
  guard.confirm(TEST_ADDRESS, 'alice')
  return { guard, getWallet, onAccountChanged }
}

describe('AccountGuard', () => {
  it("lets the owner's confirmed token through without a backend call", async () => {
    const { guard, getWallet } = setup()
    for (let i = 0; i < 3; i++) await guard.check('alice')
    expect(getWallet).not.toHaveBeenCalled()
  })

  it('refuses a missing token (logged out) without ending anything', async () => {
    const { guard, getWallet, onAccountChanged } = setup()
    await expect(guard.check(null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    await expect(guard.check('')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(getWallet).not.toHaveBeenCalled()
    expect(onAccountChanged).not.toHaveBeenCalled()
    await guard.check('alice') // back: the owner continues
  })

  it('refuses a token the backend refuses (forged or expired), and does not ask twice for it', async () => {
    const { guard, getWallet, onAccountChanged } = setup()
    await expect(guard.check('forged')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    await expect(guard.check('forged')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(getWallet).toHaveBeenCalledTimes(1)
    expect(onAccountChanged).not.toHaveBeenCalled()
    await guard.check('alice')
  })

  it("remembers a refreshed token of the owner after one backend call", async () => {
    const { guard, getWallet } = setup()
    await Promise.all([guard.check('alice-2'), guard.check('alice-2'), guard.check('alice-2')])
    await guard.check('alice-2')
    expect(getWallet).toHaveBeenCalledTimes(1) // one call per token change, shared by concurrent requests
    expect(getWallet).toHaveBeenCalledWith('alice-2')
  })

  it("another user's token: onAccountChanged once, then ACCOUNT_CHANGED for every token until confirm()", async () => {
    const { guard, onAccountChanged, getWallet } = setup()
    await expect(guard.check('bob')).rejects.toMatchObject({ code: 'ACCOUNT_CHANGED', message: expect.stringContaining('destroy()') })
    expect(onAccountChanged).toHaveBeenCalledTimes(1)
    expect(guard.accountChanged).toBe(true)
    for (const auth of ['alice', 'bob', null]) await expect(guard.check(auth)).rejects.toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect(() => guard.assertSameAccount()).toThrow(expect.objectContaining({ code: 'ACCOUNT_CHANGED' }))
    expect(getWallet).toHaveBeenCalledTimes(1)

    guard.confirm(BOB, 'bob') // a new init
    expect(guard.accountChanged).toBe(false)
    await guard.check('bob')
  })

  it('passes on a backend failure: unconfirmed means refused', async () => {
    const { guard, getWallet } = setup()
    getWallet.mockRejectedValueOnce(new OtpWalletError('BACKEND_ERROR', 'down', { details: { status: 0 } }))
    await expect(guard.check('alice-2')).rejects.toMatchObject({ code: 'BACKEND_ERROR' })
    await guard.check('alice-2') // not remembered as refused: asked again
    expect(getWallet).toHaveBeenCalledTimes(2)
  })

  it('judges a check that spans an init against the new owner', async () => {
    const { guard, getWallet, onAccountChanged } = setup()
    let answer!: () => void
    getWallet.mockImplementationOnce(() => new Promise((resolve) => (answer = () => resolve({ address: TEST_ADDRESS, session: SESSION }))))
    const pending = guard.check('alice-2')
    await flush()
    guard.confirm(BOB, 'bob') // init for Bob while Alice's new token was being checked
    answer()
    await expect(pending).rejects.toMatchObject({ code: 'ACCOUNT_CHANGED' })
    expect(onAccountChanged).toHaveBeenCalledTimes(1)
  })

  it('needs init first', async () => {
    const guard = new AccountGuard({ getWallet: vi.fn(), onAccountChanged: vi.fn() })
    await expect(guard.check('alice')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  })
})
