import { describe, expect, it } from 'vitest'
import { computeOtpMac, verifyOtpMac, type OtpMacInput } from '../../../src/server/otp-mac.js'
import { deriveServerKeys, parseMasterKey } from '../../../src/server/server-keys.js'
import { MASTER_KEY, targetKey } from './helpers.js'

const keys = () => deriveServerKeys(parseMasterKey(MASTER_KEY))

async function input(): Promise<OtpMacInput> {
  return {
    challengeId: '0123456789abcdef0123456789abcdef',
    userId: 'user-1',
    targetPublicKey: (await targetKey()).pub,
    expiresAt: 1_736_942_400_000,
    sessionTtlSeconds: 3600,
    code: '012345',
  }
}

describe('otp MAC', () => {
  it('is a 32-byte HMAC that verifies for the same binding', async () => {
    const { macKey } = await keys()
    const base = await input()
    const mac = await computeOtpMac(macKey, base)
    expect(mac).toHaveLength(32)
    expect(await verifyOtpMac(macKey, base, mac)).toBe(true)
    expect(await verifyOtpMac(macKey, { ...base }, mac)).toBe(true)
  })

  it('fails when any bound field changes: user, target key, challenge, code, expiry, session ttl', async () => {
    const { macKey } = await keys()
    const base = await input()
    const mac = await computeOtpMac(macKey, base)
    const otherTarget = base.targetPublicKey.slice()
    otherTarget[10]! ^= 1
    const variants: OtpMacInput[] = [
      { ...base, userId: 'user-2' },
      { ...base, targetPublicKey: otherTarget },
      { ...base, targetPublicKey: (await targetKey()).pub },
      { ...base, challengeId: 'fedcba9876543210fedcba9876543210' },
      { ...base, code: '012346' },
      { ...base, code: '12345' },
      { ...base, expiresAt: base.expiresAt + 1 },
      { ...base, sessionTtlSeconds: 86_400 },
    ]
    for (const v of variants) expect(await verifyOtpMac(macKey, v, mac)).toBe(false)
  })

  it('is unambiguous across field boundaries (length-prefixed encoding)', async () => {
    const { macKey } = await keys()
    const base = await input()
    const a = await computeOtpMac(macKey, { ...base, challengeId: 'ab', userId: 'c' })
    const b = await computeOtpMac(macKey, { ...base, challengeId: 'a', userId: 'bc' })
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })

  it('depends on the master key', async () => {
    const base = await input()
    const mac = await computeOtpMac((await keys()).macKey, base)
    const other = await deriveServerKeys(parseMasterKey(`0x${'42'.repeat(32)}`))
    expect(await verifyOtpMac(other.macKey, base, mac)).toBe(false)
  })

  it('rejects a MAC of the wrong length without throwing', async () => {
    const { macKey } = await keys()
    const base = await input()
    const mac = await computeOtpMac(macKey, base)
    expect(await verifyOtpMac(macKey, base, mac.subarray(0, 31))).toBe(false)
  })
})
