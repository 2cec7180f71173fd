import { describe, expect, it, vi } from 'vitest'
import { hexToBytes } from '../../src/crypto/bytes.js'
import { createMemoryStorage, type VaultStorage } from '../storage/vault-storage.js'
import { FakeChannelHub, FakeClock, flush, TEST_ADDRESS, TEST_PRIVATE_KEY } from '../testing/fakes.js'
import type { AcceptedGrant } from './grant.js'
import { SESSION_STORAGE_KEY, SessionManager, withSessionKey } from './session-manager.js'

const grant = (durationMs = 60_000): AcceptedGrant => ({
  address: TEST_ADDRESS,
  privateKey: hexToBytes(TEST_PRIVATE_KEY, 'k'),
  durationMs,
  singleUse: false,
})

function setup() {
  const clock = new FakeClock()
  const storage = createMemoryStorage()
  const onExpired = vi.fn()
  const session = new SessionManager({ storage, clock, onExpired, log: () => {} })
  return { clock, storage, onExpired, session }
}

/** Storage that says it is IndexedDB (shared by tabs), backed by one Map. */
function sharedStorage(): VaultStorage {
  return { ...createMemoryStorage(), kind: 'indexeddb' }
}

/** Two vault tabs of one storage partition: shared storage, one broadcast hub. */
function twoTabs(storage: VaultStorage = sharedStorage()) {
  const clock = new FakeClock()
  const hub = new FakeChannelHub()
  const tab = () => {
    const onExpired = vi.fn()
    const onAdopted = vi.fn()
    const session = new SessionManager({ storage, clock, onExpired, onAdopted, log: () => {}, channel: hub.channel() })
    return { session, onExpired, onAdopted }
  }
  return { clock, hub, storage, a: tab(), b: tab() }
}

describe('SessionManager', () => {
  it('starts a session on the local clock, stores it, and zeroes the grant key', async () => {
    const { clock, storage, session } = setup()
    const g = grant()
    const record = await session.start(g)
    expect(g.privateKey.every((b) => b === 0)).toBe(true)
    expect(record).toMatchObject({ address: TEST_ADDRESS, issuedAt: clock.wall, expiresAt: clock.wall + 60_000 })
    expect(record.key.extractable).toBe(false)
    expect(record.key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 })
    expect(record.iv).toHaveLength(12)
    expect(await storage.get(SESSION_STORAGE_KEY)).toBe(record)
    expect(session.info()).toEqual({ active: true, expiresAt: clock.wall + 60_000 })
  })

  it('decrypts the wallet key per use and zeroes it after', async () => {
    const { session } = setup()
    const record = await session.start(grant())
    let seen: Uint8Array | null = null
    const hex = await withSessionKey(record, (key) => {
      seen = key
      return Buffer.from(key).toString('hex')
    })
    expect('0x' + hex).toBe(TEST_PRIVATE_KEY)
    expect(seen!.every((b) => b === 0)).toBe(true)
  })

  it('binds the blob to the address (AAD)', async () => {
    const { session } = setup()
    const record = await session.start(grant())
    await expect(withSessionKey({ ...record, address: '0x' + '00'.repeat(20) }, () => 1)).rejects.toThrow()
  })

  it('expires on its timer: memory and storage cleared, session_expired announced', async () => {
    const { clock, storage, onExpired, session } = setup()
    await session.start(grant())
    clock.advance(59_999)
    expect(session.current()).not.toBeNull()
    clock.advance(1)
    await flush()
    expect(onExpired).toHaveBeenCalledTimes(1)
    expect(session.current()).toBeNull()
    expect(await storage.get(SESSION_STORAGE_KEY)).toBeUndefined()
  })

  it('expires when checked after the wall clock jumped past expiresAt (timer not yet due)', async () => {
    const { clock, onExpired, session } = setup()
    await session.start(grant())
    clock.jump(61_000)
    expect(session.current()).toBeNull()
    expect(onExpired).toHaveBeenCalledTimes(1)
  })

  it('ends when the clock moves backwards past issuedAt', async () => {
    const { clock, onExpired, session } = setup()
    await session.start(grant())
    clock.jump(-1)
    expect(session.current()).toBeNull()
    expect(onExpired).toHaveBeenCalledTimes(1)
  })

  it('re-arms when the timer fires early because the wall clock went back (but not past issuedAt)', async () => {
    const { clock, onExpired, session } = setup()
    await session.start(grant(60_000))
    clock.advance(10_000)
    clock.jump(-5_000)
    clock.advance(50_000) // the timer fires; the wall clock says 5 s remain
    expect(onExpired).not.toHaveBeenCalled()
    expect(session.current()).not.toBeNull()
    clock.advance(5_000)
    expect(onExpired).toHaveBeenCalledTimes(1)
  })

  it('handles sessions longer than the setTimeout limit', async () => {
    const { clock, onExpired, session } = setup()
    const thirtyDays = 30 * 24 * 3_600_000
    await session.start(grant(thirtyDays))
    clock.advance(2 ** 31 - 1)
    expect(onExpired).not.toHaveBeenCalled()
    clock.advance(thirtyDays - (2 ** 31 - 1))
    expect(onExpired).toHaveBeenCalledTimes(1)
  })

  it('ends at the host request without announcing', async () => {
    const { storage, onExpired, session } = setup()
    await session.start(grant())
    await session.end(false)
    expect(session.info()).toEqual({ active: false, expiresAt: null })
    expect(onExpired).not.toHaveBeenCalled()
    expect(await storage.get(SESSION_STORAGE_KEY)).toBeUndefined()
  })

  describe('restore (vault start)', () => {
    it('restores a live stored session', async () => {
      const { clock, storage, session } = setup()
      const record = await session.start(grant())
      const next = new SessionManager({ storage, clock, onExpired: () => {}, log: () => {} })
      clock.advance(1_000)
      await next.restore()
      expect(next.current()).toEqual(record)
      await expect(withSessionKey(next.current()!, (k) => k.length)).resolves.toBe(32)
    })

    it('deletes an expired stored session without announcing (no host knew it)', async () => {
      const { clock, storage, session } = setup()
      await session.start(grant())
      const onExpired = vi.fn()
      const next = new SessionManager({ storage, clock, onExpired, log: () => {} })
      clock.jump(60_000)
      await next.restore()
      expect(next.current()).toBeNull()
      expect(await storage.get(SESSION_STORAGE_KEY)).toBeUndefined()
      expect(onExpired).not.toHaveBeenCalled()
    })

    it('deletes a stored session from the future (clock went back between page loads)', async () => {
      const { clock, storage, session } = setup()
      await session.start(grant())
      clock.jump(-10_000)
      const next = new SessionManager({ storage, clock, onExpired: () => {}, log: () => {} })
      await next.restore()
      expect(next.current()).toBeNull()
      expect(await storage.get(SESSION_STORAGE_KEY)).toBeUndefined()
    })

    it('deletes a malformed stored record', async () => {
      const { clock, storage } = setup()
      await storage.set(SESSION_STORAGE_KEY, { v: 1, key: 'not a key' })
      const next = new SessionManager({ storage, clock, onExpired: () => {}, log: () => {} })
      await next.restore()
      expect(await storage.get(SESSION_STORAGE_KEY)).toBeUndefined()
    })
  })

  describe('across tabs (IndexedDB mode)', () => {
    it('endSession in one tab ends the copy in the other, which announces session_expired', async () => {
      const { a, b, storage } = twoTabs()
      await a.session.start(grant())
      await flush()
      expect(b.session.current()).not.toBeNull() // adopted on "started"
      expect(b.onAdopted).toHaveBeenCalledTimes(1)

      await a.session.end(false)
      await flush()
      expect(b.session.current()).toBeNull()
      expect(b.onExpired).toHaveBeenCalledTimes(1)
      expect(a.onExpired).not.toHaveBeenCalled() // its host asked
      expect(await storage.get(SESSION_STORAGE_KEY)).toBeUndefined()
    })

    it('a tab that started before the session picks it up from the announcement', async () => {
      const { a, b } = twoTabs()
      await b.session.restore() // nothing stored yet
      expect(b.session.current()).toBeNull()
      const record = await a.session.start(grant())
      await flush()
      expect(b.session.current()).toMatchObject({ address: TEST_ADDRESS, expiresAt: record.expiresAt })
      await expect(withSessionKey(b.session.current()!, (k) => k.length)).resolves.toBe(32)
    })

    it('reload() finds a session another tab stored even without an announcement', async () => {
      const { storage, clock } = twoTabs()
      const writer = new SessionManager({ storage, clock, onExpired: () => {}, log: () => {} }) // no channel
      const onAdopted = vi.fn()
      const reader = new SessionManager({ storage, clock, onExpired: () => {}, onAdopted, log: () => {} })
      await writer.start(grant())
      expect(reader.current()).toBeNull()
      expect(await reader.reload()).toMatchObject({ address: TEST_ADDRESS })
      expect(await reader.reload()).toMatchObject({ address: TEST_ADDRESS })
      expect(onAdopted).toHaveBeenCalledTimes(1) // the same session is adopted once
    })

    it('ignores announcements in memory mode: such sessions belong to their tab', async () => {
      const clock = new FakeClock()
      const hub = new FakeChannelHub()
      const onExpired = vi.fn()
      const a = new SessionManager({ storage: createMemoryStorage(), clock, onExpired: () => {}, log: () => {}, channel: hub.channel() })
      const b = new SessionManager({ storage: createMemoryStorage(), clock, onExpired, log: () => {}, channel: hub.channel() })
      await a.start(grant())
      await b.start(grant())
      await a.end(false)
      await flush()
      expect(hub.sent).toEqual([]) // nothing announced
      expect(b.current()).not.toBeNull()
      expect(onExpired).not.toHaveBeenCalled()
    })

    it('announcements carry no session data', async () => {
      const { a, hub } = twoTabs()
      await a.session.start(grant())
      await a.session.end(false)
      expect(hub.sent).toEqual([
        { ns: 'otp-wallet', type: 'session_started' },
        { ns: 'otp-wallet', type: 'session_ended' },
      ])
    })

    it('ignores malformed channel messages', async () => {
      const { a, hub } = twoTabs()
      await a.session.start(grant())
      const stranger = hub.channel()
      stranger.postMessage({ ns: 'otp-wallet', type: 'session_over' })
      stranger.postMessage('session_ended')
      await flush()
      expect(a.session.current()).not.toBeNull()
    })
  })
})
