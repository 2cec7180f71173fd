/**
 * The backend through its fetch handler, against BOTH stores (memory and a temp SQLite file),
 * with a mailer that records the codes it would have sent.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '../../../src/crypto/bytes.js'
import { openGrant } from '../../../src/crypto/hpke.js'
import type { ChallengeResponse, GrantPayload, SealedGrant } from '../../../src/protocol/backend.js'
import { deriveServerKeys, parseMasterKey } from '../../../src/server/server-keys.js'
import type { OtpWalletServerConfig } from '../../../src/server/config.js'
import { toChecksumAddress, unwrapWalletKey } from '../../../src/server/wallet-keys.js'
import { API, browserFetch, json, makeHarness, MASTER_KEY, STORE_FACTORIES, targetKey, token, VAULT_ORIGIN, type Harness } from './helpers.js'

/** Address of a secp256k1 key computed here, independently of src/server/wallet-keys.ts' derivation. */
function addressOf(privateKey: Uint8Array): string {
  const hash = keccak_256(secp256k1.getPublicKey(privateKey, false).subarray(1))
  return toChecksumAddress(bytesToHex(hash.subarray(12)))
}

function wrongCode(code: string): string {
  return ((Number(code) + 1) % 10 ** code.length).toString().padStart(code.length, '0')
}

const STACK_RE = /\n\s+at\s|\bat\s+\S+\s+\(|node:internal|\.ts:\d+/

describe.each(STORE_FACTORIES)('backend routes ($name)', (factory) => {
  let cleanup: () => void
  let h: Harness
  let harnesses: Harness[]

  function harness(overrides: Partial<OtpWalletServerConfig> = {}): Harness {
    const made = factory.create()
    const prev = cleanup
    cleanup = () => {
      prev()
      made.cleanup()
    }
    const hh = makeHarness(made.store, overrides)
    harnesses.push(hh)
    return hh
  }

  beforeEach(() => {
    cleanup = () => undefined
    harnesses = []
    h = harness()
  })

  afterEach(() => {
    // No response body, of any test, ever carries a stack trace or an internal file name.
    for (const hh of harnesses) {
      for (const body of hh.bodies) expect(body).not.toMatch(STACK_RE)
      hh.server.close()
    }
    cleanup()
  })

  async function challenge(
    hh: Harness,
    target: { hex: string },
    extra: Record<string, unknown> = {},
    auth = token('alice'),
  ): Promise<{ res: Response; body: ChallengeResponse; code: string }> {
    const sentBefore = hh.mailer.sent.length
    const res = await hh.post('/otp/challenge', { targetPublicKey: target.hex, ...extra }, auth)
    const body = (await json(res)) as ChallengeResponse
    const code = hh.mailer.sent.length > sentBefore ? hh.mailer.last().code : ''
    return { res, body, code }
  }

  async function verify(hh: Harness, challengeId: string, code: string, auth = token('alice')): Promise<Response> {
    return hh.post('/otp/verify', { challengeId, code }, auth)
  }

  async function openFrom(res: Response, target: { pair: CryptoKeyPair; pub: Uint8Array }, challengeId: string): Promise<GrantPayload> {
    expect(res.status).toBe(200)
    const body = (await json(res)) as { grant: SealedGrant }
    return openGrant(target.pair, target.pub, challengeId, body.grant)
  }

  // ---------------------------------------------------------------------------- GET /wallet

  describe('GET /wallet', () => {
    it('creates the wallet on first sight and returns the same address afterwards', async () => {
      const first = await h.get('/wallet')
      expect(first.status).toBe(200)
      const { address } = await json(first)
      expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/)
      expect(address).toBe(toChecksumAddress(address))
      expect((await json(await h.get('/wallet'))).address).toBe(address)
      expect((await json(await h.get('/wallet', token('bob')))).address).not.toBe(address)
    })

    it('returns the session limits with the address, so the vault can refuse an impossible ttl', async () => {
      const res = await h.get('/wallet')
      expect(await json(res)).toEqual({ address: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/), session: { ttlSeconds: 3600, maxTtlSeconds: 86_400 } })
      const hh = harness({ session: { ttlSeconds: 0, maxTtlSeconds: 600 } })
      expect((await json(await hh.get('/wallet'))).session).toEqual({ ttlSeconds: 0, maxTtlSeconds: 600 })
      const lowered = harness({ session: { maxTtlSeconds: 120 } })
      expect((await json(await lowered.get('/wallet'))).session).toEqual({ ttlSeconds: 120, maxTtlSeconds: 120 })
    })

    it('two (or five) concurrent first requests give one wallet', async () => {
      const responses = await Promise.all(Array.from({ length: 5 }, () => h.get('/wallet', token('carol'))))
      const addresses = new Set(await Promise.all(responses.map(async (r) => (await json(r)).address as string)))
      expect(addresses.size).toBe(1)
      const stored = await h.store.findWalletByUserId('carol')
      expect(stored?.address).toBe([...addresses][0])
    })

    it('the address is derived from the stored (wrapped) key', async () => {
      const { address } = await json(await h.get('/wallet'))
      const stored = (await h.store.findWalletByUserId('alice'))!
      expect(stored.wrappedKey).toHaveLength(61)
      const { wrapKey } = await deriveServerKeys(parseMasterKey(MASTER_KEY))
      const key = await unwrapWalletKey(wrapKey, stored.id, stored.wrappedKey)
      expect(addressOf(key)).toBe(address)
    })

    it('pregenerated wallets are claimed by the first user with that email (trimmed, any case)', async () => {
      const pre = await h.server.pregenerateWallet('  Dave@Example.COM ')
      expect((await h.server.pregenerateWallet('dave@example.com')).address).toBe(pre.address)
      const [a, b] = await Promise.all([h.server.pregenerateWallet('erin@example.com'), h.server.pregenerateWallet('ERIN@example.com')])
      expect(a.address).toBe(b.address)

      const claimed = await json(await h.get('/wallet', token('user-dave', 'DAVE@example.com')))
      expect(claimed.address).toBe(pre.address)
      expect((await h.store.findWalletByUserId('user-dave'))?.address).toBe(pre.address)
      // Someone else with another email gets their own wallet, not Dave's.
      expect((await json(await h.get('/wallet', token('user-frank', 'frank@example.com')))).address).not.toBe(pre.address)
      // pregenerating for an email that already has a (claimed) wallet returns it
      expect((await h.server.pregenerateWallet('dave@example.com')).address).toBe(pre.address)
      await expect(h.server.pregenerateWallet('not-an-email')).rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'email' } })
    })
  })

  // ---------------------------------------------------------------------------- challenge → verify

  describe('challenge → verify → grant', () => {
    it('emails a code, verifies it, and returns a grant only the vault key can open', async () => {
      const target = await targetKey()
      expect(target.pair.privateKey.extractable).toBe(false)
      const { address } = await json(await h.get('/wallet'))
      const now = h.clock.t

      const { res, body, code } = await challenge(h, target)
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(body).toEqual({
        challengeId: expect.stringMatching(/^[0-9a-f]{32}$/),
        emailHint: 'a***@example.com',
        codeFormat: 'digits',
        codeLength: 6,
        attemptsLeft: 3,
        expiresAt: now + 600_000,
        resendAfter: now + 30_000,
        serverTime: now,
      })
      const mail = h.mailer.last()
      expect(mail).toEqual({ to: 'alice@example.com', code, codeFormat: 'digits', siteName: 'Example dApp', expiresAt: now + 600_000, ttlSeconds: 600 })
      expect(code).toMatch(/^[0-9]{6}$/)
      expect(JSON.stringify(body)).not.toContain(code)

      h.clock.advance(5)
      const typed = `${code.slice(0, 3)} - ${code.slice(3)}` // as people paste it
      const payload = await openFrom(await verify(h, body.challengeId, typed), target, body.challengeId)
      expect(payload).toMatchObject({
        v: 1,
        challengeId: body.challengeId,
        address,
        issuedAt: now + 5000,
        expiresAt: now + 5000 + 3600_000,
        singleUse: false,
      })
      expect(addressOf(hexToBytes(payload.privateKey, 'privateKey'))).toBe(address)
    })

    it('the grant cannot be opened by another target key', async () => {
      const target = await targetKey()
      const other = await targetKey()
      const { body, code } = await challenge(h, target)
      const res = await verify(h, body.challengeId, code)
      const { grant } = await json(res)
      await expect(openGrant(other.pair, other.pub, body.challengeId, grant)).rejects.toMatchObject({ code: 'OTP_EXPIRED' })
    })

    it('alphanumeric codes (typed in lower case) work', async () => {
      const hh = harness({ otp: { format: 'alphanumeric', length: 8 } })
      const target = await targetKey()
      const { body, code } = await challenge(hh, target)
      expect(body).toMatchObject({ codeFormat: 'alphanumeric', codeLength: 8 })
      expect(code).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/)
      expect((await openFrom(await verify(hh, body.challengeId, code.toLowerCase()), target, body.challengeId)).v).toBe(1)
    })

    it('ttlSeconds 0 gives a single-use grant; a custom ttl is honoured', async () => {
      const target = await targetKey()
      const one = await challenge(h, target, { ttlSeconds: 0 })
      const p0 = await openFrom(await verify(h, one.body.challengeId, one.code), target, one.body.challengeId)
      expect(p0.singleUse).toBe(true)
      expect(p0.expiresAt).toBe(p0.issuedAt)

      h.clock.advance(31)
      const two = await challenge(h, target, { ttlSeconds: 120 })
      const p1 = await openFrom(await verify(h, two.body.challengeId, two.code), target, two.body.challengeId)
      expect(p1.singleUse).toBe(false)
      expect(p1.expiresAt - p1.issuedAt).toBe(120_000)
    })

    it('ttlSeconds above session.maxTtlSeconds (or not an integer) is 400 naming ttlSeconds and the max', async () => {
      const target = await targetKey()
      for (const ttlSeconds of [86_401, -1, 1.5, '60', null]) {
        const res = await h.post('/otp/challenge', { targetPublicKey: target.hex, ttlSeconds })
        expect(res.status).toBe(400)
        const { error } = await json(res)
        expect(error.code).toBe('INVALID_REQUEST')
        expect(error.details).toMatchObject({ field: 'ttlSeconds', max: 86_400 })
        expect(error.message).toContain('ttlSeconds')
        expect(error.message).toContain('86400')
      }
      expect(h.mailer.sent).toHaveLength(0)
      const ok = await challenge(h, target, { ttlSeconds: 86_400 })
      expect(ok.res.status).toBe(200)
    })

    it('an expired code is 410 OTP_EXPIRED', async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      h.clock.advance(600)
      const res = await verify(h, body.challengeId, code)
      expect(res.status).toBe(410)
      expect((await json(res)).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'expired' } })
    })

    it('a code works once: reuse is 410 OTP_EXPIRED', async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      expect((await verify(h, body.challengeId, code)).status).toBe(200)
      const again = await verify(h, body.challengeId, code)
      expect(again.status).toBe(410)
      expect((await json(again)).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'used' } })
    })

    it('racing verifies with the right code: exactly one grant', async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      const results = await Promise.all(Array.from({ length: 3 }, () => verify(h, body.challengeId, code)))
      const statuses = results.map((r) => r.status).sort()
      expect(statuses).toEqual([200, 410, 410])
    })

    it('3 wrong codes → OTP_INVALID, OTP_INVALID, OTP_ATTEMPTS_EXCEEDED; then even the right code fails', async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      const bad = wrongCode(code)

      const r1 = await verify(h, body.challengeId, bad)
      expect(r1.status).toBe(400)
      expect((await json(r1)).error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 2 } })
      const r2 = await verify(h, body.challengeId, bad)
      expect((await json(r2)).error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 1 } })
      const r3 = await verify(h, body.challengeId, bad)
      expect(r3.status).toBe(429)
      expect((await json(r3)).error).toMatchObject({ code: 'OTP_ATTEMPTS_EXCEEDED', details: { attemptsLeft: 0 } })
      const r4 = await verify(h, body.challengeId, code)
      expect(r4.status).toBe(429)
      expect((await json(r4)).error.code).toBe('OTP_ATTEMPTS_EXCEEDED')
    })

    it('concurrent guesses cannot exceed maxAttempts: the attempt is spent before the comparison', async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      // 11 wrong guesses and then the right one, all in flight at once. Were attempts counted
      // after comparing, every guess would be compared against a fresh counter and the right
      // one would win. Spent first, only 3 guesses are ever compared.
      const wrong = Array.from({ length: 11 }, (_, i) => String((Number(code) + 1 + i) % 1e6).padStart(6, '0'))
      const results = await Promise.all([...wrong, code].map((g) => verify(h, body.challengeId, g)))
      const statuses = results.map((r) => r.status)
      expect(statuses.filter((s) => s === 200)).toHaveLength(0)
      expect(statuses.filter((s) => s === 400)).toHaveLength(2)
      expect(statuses.filter((s) => s === 429)).toHaveLength(10)
      const left = await Promise.all(results.filter((r) => r.status === 400).map(async (r) => (await json(r)).error.details.attemptsLeft))
      expect(left.sort()).toEqual([1, 2])
    })

    it('a code that cannot be right (length, alphabet) is 400 INVALID_REQUEST and costs no attempt', async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      for (const typed of ['12345', '1234567', 'abcdef', '12345O']) {
        const res = await verify(h, body.challengeId, typed)
        expect(res.status).toBe(400)
        expect((await json(res)).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'code' } })
      }
      const wrong = await verify(h, body.challengeId, wrongCode(code))
      expect((await json(wrong)).error.details.attemptsLeft).toBe(2)
    })

    it("another user's challenge is 404 OTP_EXPIRED and costs the owner nothing", async () => {
      const target = await targetKey()
      const { body, code } = await challenge(h, target)
      const res = await verify(h, body.challengeId, code, token('mallory'))
      expect(res.status).toBe(404)
      expect((await json(res)).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'not_found' } })
      const unknown = await verify(h, 'f'.repeat(32), code)
      expect(unknown.status).toBe(404)
      expect((await verify(h, body.challengeId, wrongCode(code))).status).toBe(400)
      expect((await openFrom(await verify(h, body.challengeId, code), target, body.challengeId)).v).toBe(1)
    })
  })

  // ---------------------------------------------------------------------------- limits

  describe('rate limits', () => {
    it('resend cooldown: 429 OTP_RATE_LIMITED with retryAfterSeconds, then allowed; the new code kills the old', async () => {
      const target = await targetKey()
      const first = await challenge(h, target)
      const blocked = await h.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(blocked.status).toBe(429)
      expect(blocked.headers.get('retry-after')).toBe('30')
      expect((await json(blocked)).error).toMatchObject({ code: 'OTP_RATE_LIMITED', details: { retryAfterSeconds: 30 } })
      h.clock.advance(10)
      expect((await json(await h.post('/otp/challenge', { targetPublicKey: target.hex }))).error.details.retryAfterSeconds).toBe(20)
      expect(h.mailer.sent).toHaveLength(1)

      h.clock.advance(20)
      const second = await challenge(h, target)
      expect(second.res.status).toBe(200)
      const old = await verify(h, first.body.challengeId, first.code)
      expect(old.status).toBe(410)
      expect((await json(old)).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'superseded' } })
      expect((await verify(h, second.body.challengeId, second.code)).status).toBe(200)
    })

    it('another target key (another browser or device) neither waits for nor kills the first code', async () => {
      const desktop = await targetKey()
      const phone = await targetKey()
      const first = await challenge(h, desktop)
      const second = await challenge(h, phone)
      expect(second.res.status).toBe(200)
      expect((await h.post('/otp/challenge', { targetPublicKey: phone.hex })).status).toBe(429) // its own cooldown
      expect((await verify(h, first.body.challengeId, first.code)).status).toBe(200)
      expect((await verify(h, second.body.challengeId, second.code)).status).toBe(200)
    })

    it('two sends in flight for one browser: the code in the email that went out last works', async () => {
      const hh = harness({ otp: { resendSeconds: 0 } })
      const target = await targetKey()
      let release!: () => void
      hh.mailer.hold = new Promise((resolve) => (release = resolve))
      const slow = hh.post('/otp/challenge', { targetPublicKey: target.hex }) // its email is stuck
      await new Promise((resolve) => setTimeout(resolve, 20))
      hh.clock.advance(1)
      const fast = await hh.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(fast.status).toBe(200)
      hh.clock.advance(1)
      release()
      expect((await slow).status).toBe(200)
      const [first, last] = [(await json(fast)) as ChallengeResponse, (await json(await slow)) as ChallengeResponse]
      const [firstCode, lastCode] = hh.mailer.sent.map((m) => m.code) // in the order the emails went out
      const refused = await verify(hh, first.challengeId, firstCode!)
      expect((await json(refused)).error).toMatchObject({ code: 'OTP_EXPIRED', details: { reason: 'superseded' } })
      expect((await verify(hh, last.challengeId, lastCode!)).status).toBe(200)
    })

    it('a resend whose email fails leaves the code already in the inbox working', async () => {
      const target = await targetKey()
      const first = await challenge(h, target)
      h.clock.advance(30)
      h.mailer.fail = true
      const failed = await h.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(failed.status).toBe(502)
      expect((await json(failed)).error.code).toBe('MAIL_FAILED')
      h.mailer.fail = false
      expect((await verify(h, first.body.challengeId, first.code)).status).toBe(200)
    })

    it('after a verified code, a new code may be sent at once (no resend cooldown); the daily cap still applies', async () => {
      const hh = harness({ otp: { maxChallengesPerDay: 3 } })
      const target = await targetKey()
      expect((await hh.get('/wallet')).status).toBe(200) // log in
      for (let i = 0; i < 3; i++) {
        // sign (code, verify), the session ends, sign again a few seconds later
        const c = await challenge(hh, target)
        expect(c.res.status, `challenge ${i + 1}`).toBe(200)
        hh.clock.advance(2)
        expect((await verify(hh, c.body.challengeId, c.code)).status).toBe(200)
        hh.clock.advance(3)
      }
      const capped = await hh.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(capped.status).toBe(429)
      expect((await json(capped)).error).toMatchObject({ code: 'OTP_RATE_LIMITED', details: { retryAfterSeconds: 86_400 - 15 } })
      expect(hh.mailer.sent).toHaveLength(3)
    })

    it('a code dead of wrong attempts or of old age no longer holds the resend cooldown', async () => {
      const target = await targetKey()
      const first = await challenge(h, target)
      for (let i = 0; i < 3; i++) await verify(h, first.body.challengeId, wrongCode(first.code))
      const afterExhausted = await challenge(h, target)
      expect(afterExhausted.res.status).toBe(200)

      const hh = harness({ otp: { ttlSeconds: 30, resendSeconds: 60 } })
      const c = await challenge(hh, target)
      hh.clock.advance(29)
      expect((await hh.post('/otp/challenge', { targetPublicKey: target.hex })).status).toBe(429) // still outstanding
      hh.clock.advance(1)
      expect((await challenge(hh, target)).res.status).toBe(200) // expired at 30 s, cooldown was 60 s
      expect((await verify(hh, c.body.challengeId, c.code)).status).toBe(410)
    })

    it('an outstanding code keeps the cooldown, even after a wrong attempt', async () => {
      const target = await targetKey()
      const c = await challenge(h, target)
      await verify(h, c.body.challengeId, wrongCode(c.code))
      h.clock.advance(5)
      const blocked = await h.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(blocked.status).toBe(429)
      expect((await json(blocked)).error.details.retryAfterSeconds).toBe(25)
    })

    it('racing challenges after a verified code: exactly one is sent, the others hit the cooldown', async () => {
      const target = await targetKey()
      const c = await challenge(h, target)
      expect((await verify(h, c.body.challengeId, c.code)).status).toBe(200)
      const results = await Promise.all(Array.from({ length: 4 }, () => h.post('/otp/challenge', { targetPublicKey: target.hex })))
      expect(results.map((r) => r.status).sort()).toEqual([200, 429, 429, 429])
      expect(h.mailer.sent).toHaveLength(2)
    })

    it('maxChallengesPerDay in a sliding 24 h window', async () => {
      const hh = harness({ otp: { resendSeconds: 0, maxChallengesPerDay: 20 } })
      const target = await targetKey()
      const start = hh.clock.t
      for (let i = 0; i < 20; i++) {
        expect((await challenge(hh, target)).res.status).toBe(200)
        hh.clock.advance(60)
      }
      // now = start + 20 min; the oldest challenge leaves the window at start + 24 h
      const blocked = await hh.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(blocked.status).toBe(429)
      expect((await json(blocked)).error.details.retryAfterSeconds).toBe(86_400 - 20 * 60)
      // another user is not affected
      expect((await challenge(hh, target, {}, token('bob'))).res.status).toBe(200)
      hh.clock.t = start + 86_400_000 + 1
      expect((await challenge(hh, target)).res.status).toBe(200)
      expect((await hh.post('/otp/challenge', { targetPublicKey: target.hex })).status).toBe(429) // the 2nd-oldest is still inside
    })

    it('a mail failure is 502 MAIL_FAILED, is reported, and does not count', async () => {
      const target = await targetKey()
      h.mailer.fail = true
      const res = await h.post('/otp/challenge', { targetPublicKey: target.hex })
      expect(res.status).toBe(502)
      expect((await json(res)).error.code).toBe('MAIL_FAILED')
      expect(h.errors).toHaveLength(1)
      h.mailer.fail = false
      const retry = await challenge(h, target) // no resend cooldown: the failed challenge was removed
      expect(retry.res.status).toBe(200)
    })
  })

  // ---------------------------------------------------------------------------- HTTP surface

  describe('HTTP surface', () => {
    it('CORS: the vault origin gets Access-Control-Allow-Origin; other origins 403; no Origin is fine', async () => {
      const ok = await h.get('/wallet')
      expect(ok.headers.get('access-control-allow-origin')).toBe(VAULT_ORIGIN)
      expect(ok.headers.get('vary')).toContain('Origin')

      const evil = await h.get('/wallet', token('alice'), { Origin: 'https://evil.example' })
      expect(evil.status).toBe(403)
      expect((await json(evil)).error.code).toBe('ORIGIN_NOT_ALLOWED')
      for (const origin of ['null', 'https://vault.example.evil.com', 'http://vault.example', 'https://vault.example:443x']) {
        expect((await h.get('/wallet', token('alice'), { Origin: origin })).status).toBe(403)
      }

      const server = await h.server.handler(new Request('https://api.dapp.example/wallet', { headers: { Authorization: token('alice') } }))
      expect(server.status).toBe(200)
      expect(server.headers.get('access-control-allow-origin')).toBeNull()
    })

    it('CORS preflight', async () => {
      const pre = await h.server.handler(
        new Request('https://api.dapp.example/otp/challenge', {
          method: 'OPTIONS',
          headers: { Origin: VAULT_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
        }),
      )
      expect(pre.status).toBe(204)
      expect(pre.headers.get('access-control-allow-origin')).toBe(VAULT_ORIGIN)
      expect(pre.headers.get('access-control-allow-methods')).toBe('GET, POST')
      expect(pre.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
      expect(pre.headers.get('vary')).toContain('Origin')
    })

    it('another origin gets a 403 ORIGIN_NOT_ALLOWED it can read: its origin echoed, Vary: Origin, no credentials', async () => {
      const hh = harness({ authenticate: () => expect.unreachable('authenticate must not run for a foreign origin') })
      for (const [route, post] of [['/wallet', false], ['/otp/challenge', true], ['/otp/verify', true], ['/nope', false]] as const) {
        const res = post
          ? await hh.post(route, { targetPublicKey: 'x' }, token('alice'), { Origin: 'https://evil.example' })
          : await hh.get(route, token('alice'), { Origin: 'https://evil.example' })
        expect(res.status).toBe(403)
        expect(res.headers.get('access-control-allow-origin')).toBe('https://evil.example')
        expect(res.headers.get('access-control-allow-credentials')).toBeNull()
        expect(res.headers.get('vary')).toContain('Origin')
        expect(res.headers.get('content-type')).toContain('application/json')
        expect((await json(res)).error).toEqual({ code: 'ORIGIN_NOT_ALLOWED', message: 'This origin may not call the wallet API' })
      }
      expect(hh.mailer.sent).toHaveLength(0)
      expect(await hh.store.findWalletByUserId('alice')).toBeNull()
    })

    it("another origin's preflight is a 204 (a browser drops any non-2xx preflight) naming only that origin", async () => {
      const pre = await h.server.handler(
        new Request('https://api.dapp.example/otp/challenge', {
          method: 'OPTIONS',
          headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
        }),
      )
      expect(pre.status).toBe(204)
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://evil.example')
      expect(pre.headers.get('access-control-allow-methods')).toBe('GET, POST')
      expect(pre.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull()
      expect(pre.headers.get('access-control-max-age')).toBeNull()
      expect(pre.headers.get('vary')).toContain('Origin')
      // A plain OPTIONS (not a preflight) from that origin is the readable 403.
      const plain = await h.server.handler(new Request('https://api.dapp.example/wallet', { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } }))
      expect(plain.status).toBe(403)
      expect(plain.headers.get('access-control-allow-origin')).toBe('https://evil.example')
      expect((await json(plain)).error.code).toBe('ORIGIN_NOT_ALLOWED')
    })

    it('as a browser sees it: the vault origin reads its answers; another origin reads ORIGIN_NOT_ALLOWED, not a network error', async () => {
      const init = { method: 'POST', headers: { Authorization: token('alice'), 'Content-Type': 'application/json' }, body: '{}' }
      const vault = await browserFetch(h.server.handler, VAULT_ORIGIN, 'https://api.dapp.example/otp/verify', init)
      expect(vault.status).toBe(400)
      expect((await json(vault)).error.details.field).toBe('challengeId')
      const wallet = await browserFetch(h.server.handler, VAULT_ORIGIN, 'https://api.dapp.example/wallet', { headers: { Authorization: token('alice') } })
      expect(wallet.status).toBe(200)

      for (const origin of ['https://evil.example', 'http://localhost:5173']) {
        for (const [url, req] of [
          ['https://api.dapp.example/wallet', { headers: { Authorization: token('alice') } }],
          ['https://api.dapp.example/otp/challenge', init],
        ] as const) {
          const res = await browserFetch(h.server.handler, origin, url, req)
          expect(res.status).toBe(403)
          expect((await json(res)).error.code).toBe('ORIGIN_NOT_ALLOWED')
        }
      }
      expect(h.mailer.sent).toHaveLength(0)
    })

    it('no or unknown token → 401 UNAUTHENTICATED', async () => {
      for (const auth of [null, 'Bearer nonsense']) {
        const res = await h.get('/wallet', auth)
        expect(res.status).toBe(401)
        expect((await json(res)).error.code).toBe('UNAUTHENTICATED')
      }
    })

    it('unknown route 404 NOT_FOUND; wrong method 405 INVALID_REQUEST with Allow', async () => {
      const missing = await h.get('/nope')
      expect(missing.status).toBe(404)
      expect((await json(missing)).error.code).toBe('NOT_FOUND')
      expect((await h.get('/wallet/')).status).toBe(404)

      const post = await h.post('/wallet', {})
      expect(post.status).toBe(405)
      expect(post.headers.get('allow')).toBe('GET')
      expect((await json(post)).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'method' } })
      const get = await h.get('/otp/verify')
      expect(get.status).toBe(405)
      expect(get.headers.get('allow')).toBe('POST')
    })

    it('methods other than GET, POST, OPTIONS are 405 INVALID_REQUEST (field method) with Allow, on any path', async () => {
      const hh = harness({ authenticate: () => expect.unreachable('authenticate must not run for a refused method') })
      for (const method of ['HEAD', 'PUT', 'DELETE', 'PATCH', 'PROPFIND']) {
        for (const route of ['/wallet', '/otp/challenge', '/nope']) {
          const res = await hh.server.handler(new Request(`${API}${route}`, { method, headers: { Origin: VAULT_ORIGIN, Authorization: token('alice') } }))
          expect(res.status, `${method} ${route}`).toBe(405)
          expect(res.headers.get('allow')).toBe('GET, POST, OPTIONS')
          expect(res.headers.get('content-type')).toContain('application/json')
          if (method !== 'HEAD') {
            expect((await json(res)).error, `${method} ${route}`).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'method' } })
          }
        }
      }
      // Methods a fetch Request refuses to carry can still arrive through other runtimes' Request objects.
      for (const method of ['TRACE', 'CONNECT', 'TRACK']) {
        const fake = { method, url: `${API}/wallet`, headers: new Headers({ Authorization: token('alice') }), body: null } as unknown as Request
        const res = await hh.server.handler(fake)
        expect(res.status).toBe(405)
        expect(res.headers.get('allow')).toBe('GET, POST, OPTIONS')
        expect((await json(res)).error).toEqual({ code: 'INVALID_REQUEST', message: `method: ${method} is not supported; use GET, POST, OPTIONS`, details: { field: 'method' } })
      }
      expect(hh.errors).toHaveLength(0)
    })

    it('a body declared above 16 KiB is 413 before authentication; unauthenticated requests never read the body', async () => {
      const pulls: number[] = []
      const counted = (bytes: number) =>
        new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              pulls.push(bytes)
              controller.enqueue(new Uint8Array(bytes))
            },
          },
          { highWaterMark: 0 }, // pulled only when someone reads
        )
      const post = (headers: Record<string, string>, body: ReadableStream<Uint8Array>) =>
        h.server.handler(
          new Request(`${API}/otp/challenge`, {
            method: 'POST',
            headers: { Origin: VAULT_ORIGIN, 'Content-Type': 'application/json', ...headers },
            body,
            duplex: 'half',
          } as RequestInit),
        )
      const declared = await post({ Authorization: token('alice'), 'Content-Length': '400000000' }, counted(65_536))
      expect(declared.status).toBe(413)
      expect((await json(declared)).error).toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'body' } })
      expect(declared.headers.get('access-control-allow-origin')).toBe(VAULT_ORIGIN)
      const noToken = await post({}, counted(65_536))
      expect(noToken.status).toBe(401)
      expect(pulls).toEqual([])
      // Authenticated, undeclared length: read until just past the cap, then refused.
      const streamed = await post({ Authorization: token('alice') }, counted(4096))
      expect(streamed.status).toBe(413)
      expect(pulls.length).toBeLessThanOrEqual(6)
      expect(h.mailer.sent).toHaveLength(0)
    })

    it('basePath mounts the routes under a prefix', async () => {
      const hh = harness({ basePath: '/api' })
      expect((await hh.get('/wallet')).status).toBe(200)
      const outside = await hh.server.handler(new Request('https://api.dapp.example/wallet', { headers: { Authorization: token('alice') } }))
      expect(outside.status).toBe(404)
    })

    it('bad input is 400 INVALID_REQUEST naming the field (413 for a body above 16 KiB)', async () => {
      const target = await targetKey()
      const offCurve = target.pub.slice()
      offCurve[64]! ^= 1
      const compressed = new Uint8Array(65)
      compressed.set(target.pub.subarray(0, 33))
      compressed[0] = 0x02
      const cases: [string, unknown, string, Record<string, string>?, number?][] = [
        ['/otp/challenge', '{not json', 'body'],
        ['/otp/challenge', '[1,2]', 'body'],
        ['/otp/challenge', 'null', 'body'],
        ['/otp/challenge', { targetPublicKey: target.hex }, 'body', { 'Content-Type': 'text/plain' }],
        ['/otp/challenge', { targetPublicKey: target.hex, pad: 'x'.repeat(20_000) }, 'body', {}, 413],
        ['/otp/challenge', {}, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: 42 }, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: target.hex.slice(2) }, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: target.hex.slice(0, -2) }, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: `0x${'zz'.repeat(65)}` }, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: bytesToHex(offCurve) }, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: bytesToHex(compressed) }, 'targetPublicKey'],
        ['/otp/challenge', { targetPublicKey: bytesToHex(new Uint8Array(65).fill(4, 0, 1)) }, 'targetPublicKey'],
        ['/otp/verify', {}, 'challengeId'],
        ['/otp/verify', { challengeId: 'abc', code: '123456' }, 'challengeId'],
        ['/otp/verify', { challengeId: 'a'.repeat(32) }, 'code'],
        ['/otp/verify', { challengeId: 'a'.repeat(32), code: 123456 }, 'code'],
      ]
      for (const [route, body, field, headers, status = 400] of cases) {
        const res = await h.post(route, body, token('alice'), headers)
        expect(res.status, `${route} ${String(body).slice(0, 40)}`).toBe(status)
        const { error } = await json(res)
        expect(error.code).toBe('INVALID_REQUEST')
        expect(error.details.field, `${route} ${JSON.stringify(body).slice(0, 60)}`).toBe(field)
      }
      expect(h.mailer.sent).toHaveLength(0)
    })

    it('unexpected failures are 500 INTERNAL "Internal error", reported through onError, never leaked', async () => {
      const hh = harness({
        authenticate: () => {
          throw new Error('db password is hunter2')
        },
      })
      const res = await hh.get('/wallet')
      expect(res.status).toBe(500)
      const text = await res.text()
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } })
      expect(text).not.toContain('hunter2')
      expect(hh.errors).toHaveLength(1)

      const weird = harness({ authenticate: () => ({ userId: '', email: 'x' }) })
      expect((await weird.get('/wallet')).status).toBe(500)
      expect(weird.errors).toHaveLength(1)
    })

    it('after close() requests are refused', async () => {
      const hh = harness()
      hh.server.close()
      const res = await hh.get('/wallet')
      expect(res.status).toBe(503)
    })
  })
})
