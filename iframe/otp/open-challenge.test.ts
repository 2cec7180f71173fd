import { describe, expect, it } from 'vitest'
import { createMemoryStorage, type VaultStorage } from '../storage/vault-storage.js'
import { FakeClock, flush, TEST_ADDRESS } from '../testing/fakes.js'
import { OPEN_CHALLENGES_STORAGE_KEY, OpenChallenges, REUSE_MARGIN_MS, type OpenChallenge } from './open-challenge.js'

const KEY = '0x04' + 'ab'.repeat(64)
const OTHER = '0x' + '11'.repeat(20)

function challenge(clock: FakeClock, overrides: Partial<OpenChallenge> = {}): OpenChallenge {
  return {
    v: 1,
    challengeId: 'ch-1',
    address: TEST_ADDRESS,
    targetPublicKey: KEY,
    sessionTtlSeconds: null,
    data: {
      emailHint: 'j***@example.com',
      codeFormat: 'digits',
      codeLength: 6,
      attemptsLeft: 3,
      expiresAt: clock.now() + 600_000,
      resendAfter: clock.now() + 30_000,
    },
    receivedAt: clock.now(),
    ...overrides,
  }
}

const match = { address: TEST_ADDRESS, targetPublicKey: KEY, sessionTtlSeconds: null }
const sharedStorage = (): VaultStorage => ({ ...createMemoryStorage(), kind: 'indexeddb' })

/** Two tabs of one storage partition: one shared (IndexedDB-kind) storage. */
function twoTabs() {
  const clock = new FakeClock()
  const storage = sharedStorage()
  return { clock, storage, tabA: new OpenChallenges(storage, clock), tabB: new OpenChallenges(storage, clock) }
}

describe('OpenChallenges', () => {
  it('forgetting by id leaves a newer challenge another tab stored', async () => {
    const { clock, tabA, tabB } = twoTabs()
    tabA.remember(challenge(clock))
    await flush()
    tabB.remember(challenge(clock, { challengeId: 'ch-2' })) // b resent
    await flush()
    tabA.forget('ch-1')
    expect(await tabA.find(match)).toMatchObject({ challengeId: 'ch-2' })
  })

  it('in IndexedDB mode storage is the truth: a challenge another tab forgot is not reused from memory', async () => {
    const { clock, tabA, tabB } = twoTabs()
    tabA.remember(challenge(clock))
    await flush()
    tabB.forget('ch-1') // b saw it die (attempts exceeded)
    await flush()
    expect(await tabA.find(match)).toBeNull()
  })

  it('ignores stored records it did not write', async () => {
    const clock = new FakeClock()
    const storage = sharedStorage()
    await storage.set(OPEN_CHALLENGES_STORAGE_KEY, new Map([[TEST_ADDRESS, { ...challenge(clock), data: { expiresAt: 'later' } }]]))
    expect(await new OpenChallenges(storage, clock).find(match)).toBeNull()
    // filed under another address than its own
    await storage.set(OPEN_CHALLENGES_STORAGE_KEY, new Map([[TEST_ADDRESS, challenge(clock, { address: OTHER })]]))
    expect(await new OpenChallenges(storage, clock).find(match)).toBeNull()
    await storage.set(OPEN_CHALLENGES_STORAGE_KEY, { [TEST_ADDRESS]: challenge(clock) })
    expect(await new OpenChallenges(storage, clock).find(match)).toBeNull()
  })

  it('keeps one per address, and forgetting one leaves the others', async () => {
    const { clock, tabA, tabB } = twoTabs()
    tabA.remember(challenge(clock))
    await flush()
    tabB.remember(challenge(clock, { challengeId: 'ch-2', address: OTHER }))
    await flush()
    expect(await tabA.find(match)).toMatchObject({ challengeId: 'ch-1' })
    expect(await tabA.find({ ...match, address: OTHER })).toMatchObject({ challengeId: 'ch-2' })
    tabB.forget('ch-2')
    expect(await tabB.find(match)).toMatchObject({ challengeId: 'ch-1' })
    expect(await tabB.find({ ...match, address: OTHER })).toBeNull()
  })

  it('is not offered within REUSE_MARGIN_MS of its expiry; expired records are pruned on the next write', async () => {
    const clock = new FakeClock()
    const storage = sharedStorage()
    const challenges = new OpenChallenges(storage, clock)
    challenges.remember(challenge(clock, { address: OTHER, challengeId: 'old', data: { ...challenge(clock).data, expiresAt: clock.now() + 1000 } }))
    challenges.remember(challenge(clock))
    await flush()
    clock.jump(600_000 - REUSE_MARGIN_MS - 1)
    expect(await challenges.find(match)).toMatchObject({ challengeId: 'ch-1' })
    clock.jump(1)
    expect(await challenges.find(match)).toBeNull()
    await flush()
    expect(await storage.get(OPEN_CHALLENGES_STORAGE_KEY)).toBeUndefined() // 'old' pruned, 'ch-1' forgotten
  })

  it('drops one with no attempts left, or expired, from storage too', async () => {
    const clock = new FakeClock()
    const storage = sharedStorage()
    const challenges = new OpenChallenges(storage, clock)
    challenges.remember(challenge(clock))
    challenges.updateAttempts('ch-1', 0)
    expect(await challenges.find(match)).toBeNull()
    expect(await storage.get(OPEN_CHALLENGES_STORAGE_KEY)).toBeUndefined()

    challenges.remember(challenge(clock, { challengeId: 'ch-2' }))
    clock.jump(600_000)
    expect(await challenges.find(match)).toBeNull()
    await flush()
    expect(await storage.get(OPEN_CHALLENGES_STORAGE_KEY)).toBeUndefined()
  })

  it('a short-lived code keeps a quarter of its lifetime as the margin, so it can still be reused', async () => {
    const clock = new FakeClock()
    const challenges = new OpenChallenges(sharedStorage(), clock)
    challenges.remember(challenge(clock, { data: { ...challenge(clock).data, expiresAt: clock.now() + 45_000 } }))
    clock.jump(18_000) // 27 s left: under REUSE_MARGIN_MS, over a quarter of 45 s
    expect(await challenges.find(match)).toMatchObject({ challengeId: 'ch-1' })
    clock.jump(15_750) // 11.25 s left
    expect(await challenges.find(match)).toBeNull()
  })
})
