import { readFileSync } from 'node:fs'
import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core'
import { describe, expect, it } from 'vitest'
import { bytesToHex, concatBytes, hexToBytes, utf8 } from '../../../src/crypto/bytes.js'
import { GRANT_HPKE_SUITE, hpkeOpenBase, hpkeSealBase, openGrant, sealGrant } from '../../../src/crypto/hpke.js'
import { GRANT_AAD_LABEL, GRANT_INFO_PREFIX, type GrantPayload, type SealedGrant } from '../../../src/protocol/backend.js'
import { OtpWalletError } from '../../../src/protocol/errors.js'

interface Rfc9180Vector {
  mode: number
  kem_id: number
  kdf_id: number
  aead_id: number
  info: string
  ikmE: string
  ikmR: string
  skRm: string
  skEm: string
  pkRm: string
  pkEm: string
  enc: string
  shared_secret: string
  key_schedule_context: string
  secret: string
  key: string
  base_nonce: string
  exporter_secret: string
  encryptions: { sequence_number: number; aad: string; nonce: string; pt: string; ct: string }[]
  exports: { exporter_context: string; L: number; exported_value: string }[]
}

const vector = JSON.parse(
  readFileSync(new URL('../../vectors/rfc9180-p256-sha256-aes256gcm.json', import.meta.url), 'utf8'),
) as Rfc9180Vector

const hex = (s: string): Uint8Array => hexToBytes(`0x${s}`, 'vector')
const unhex = (b: Uint8Array | ArrayBuffer): string => bytesToHex(new Uint8Array(b)).slice(2)
const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url')
const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b)

/** Imports a raw P-256 key pair (32-byte scalar + 65-byte point) into WebCrypto as ECDH. */
async function importP256Pair(sk: Uint8Array, pk: Uint8Array, extractable: boolean): Promise<CryptoKeyPair> {
  const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: b64url(pk.slice(1, 33)), y: b64url(pk.slice(33, 65)), d: b64url(sk) }
  const alg = { name: 'ECDH', namedCurve: 'P-256' }
  const privateKey = await crypto.subtle.importKey('jwk', jwk, alg, extractable, ['deriveBits'])
  const publicKey = await crypto.subtle.importKey('raw', buf(pk), alg, true, [])
  return { privateKey, publicKey }
}

// ---- an independent RFC 9180 key schedule (WebCrypto HMAC), used to check the vector's own values
async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', buf(key.length === 0 ? new Uint8Array(32) : key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buf(data)))
}
async function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  let t: Uint8Array = new Uint8Array(0)
  let out: Uint8Array = new Uint8Array(0)
  for (let i = 1; out.length < length; i++) {
    t = await hmac(prk, concatBytes(t, info, new Uint8Array([i])))
    out = concatBytes(out, t)
  }
  return out.slice(0, length)
}
const i2osp = (n: number, w: number): Uint8Array => Uint8Array.from({ length: w }, (_, i) => (n >> (8 * (w - 1 - i))) & 0xff)
const labeledExtract = (suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array) =>
  hmac(salt, concatBytes(utf8('HPKE-v1'), suiteId, utf8(label), ikm))
const labeledExpand = (suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number) =>
  hkdfExpand(prk, concatBytes(i2osp(length, 2), utf8('HPKE-v1'), suiteId, utf8(label), info), length)

describe('RFC 9180 test vector: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, mode_base', () => {
  const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() })

  it('is the entry for exactly the grant suite', () => {
    expect([vector.mode, vector.kem_id, vector.kdf_id, vector.aead_id]).toEqual([
      GRANT_HPKE_SUITE.mode,
      GRANT_HPKE_SUITE.kem,
      GRANT_HPKE_SUITE.kdf,
      GRANT_HPKE_SUITE.aead,
    ])
    expect(vector.encryptions.length).toBeGreaterThanOrEqual(2)
  })

  it('the vector is internally consistent (independent key schedule with WebCrypto)', async () => {
    const kemSuite = concatBytes(utf8('KEM'), i2osp(vector.kem_id, 2))
    const hpkeSuite = concatBytes(utf8('HPKE'), i2osp(vector.kem_id, 2), i2osp(vector.kdf_id, 2), i2osp(vector.aead_id, 2))
    const eph = await importP256Pair(hex(vector.skEm), hex(vector.pkEm), false)
    const pkR = await crypto.subtle.importKey('raw', buf(hex(vector.pkRm)), { name: 'ECDH', namedCurve: 'P-256' }, true, [])
    const dh = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: pkR }, eph.privateKey, 256))
    const eaePrk = await labeledExtract(kemSuite, new Uint8Array(0), 'eae_prk', dh)
    const sharedSecret = await labeledExpand(kemSuite, eaePrk, 'shared_secret', concatBytes(hex(vector.enc), hex(vector.pkRm)), 32)
    expect(unhex(sharedSecret)).toBe(vector.shared_secret)

    const pskIdHash = await labeledExtract(hpkeSuite, new Uint8Array(0), 'psk_id_hash', new Uint8Array(0))
    const infoHash = await labeledExtract(hpkeSuite, new Uint8Array(0), 'info_hash', hex(vector.info))
    const context = concatBytes(new Uint8Array([0]), pskIdHash, infoHash)
    expect(unhex(context)).toBe(vector.key_schedule_context)
    const secret = await labeledExtract(hpkeSuite, sharedSecret, 'secret', new Uint8Array(0))
    expect(unhex(secret)).toBe(vector.secret)
    expect(unhex(await labeledExpand(hpkeSuite, secret, 'key', context, 32))).toBe(vector.key)
    expect(unhex(await labeledExpand(hpkeSuite, secret, 'base_nonce', context, 12))).toBe(vector.base_nonce)
    expect(unhex(await labeledExpand(hpkeSuite, secret, 'exp', context, 32))).toBe(vector.exporter_secret)

    const aesKey = await crypto.subtle.importKey('raw', buf(hex(vector.key)), 'AES-GCM', false, ['encrypt'])
    for (const e of vector.encryptions) {
      const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(hex(e.nonce)), additionalData: buf(hex(e.aad)) }, aesKey, buf(hex(e.pt)))
      expect(unhex(ct)).toBe(e.ct)
    }
  })

  it('DeriveKeyPair(ikmE) and DeriveKeyPair(ikmR) give the vector keys', async () => {
    const e = await suite.kem.deriveKeyPair(hex(vector.ikmE))
    expect(unhex(await suite.kem.serializePrivateKey(e.privateKey))).toBe(vector.skEm)
    expect(unhex(await suite.kem.serializePublicKey(e.publicKey))).toBe(vector.pkEm)
    const r = await suite.kem.deriveKeyPair(hex(vector.ikmR))
    expect(unhex(await suite.kem.serializePrivateKey(r.privateKey))).toBe(vector.skRm)
    expect(unhex(await suite.kem.serializePublicKey(r.publicKey))).toBe(vector.pkRm)
  })

  it('hpkeSealBase (the code path sealGrant uses) reproduces enc and the sequence-0 ciphertext', async () => {
    const ekm = await importP256Pair(hex(vector.skEm), hex(vector.pkEm), false)
    const first = vector.encryptions[0]!
    let seenEnc: Uint8Array | undefined
    const { enc, ciphertext } = await hpkeSealBase({
      recipientPublicKey: hex(vector.pkRm),
      info: hex(vector.info),
      aad: (e) => {
        seenEnc = e
        return hex(first.aad)
      },
      plaintext: hex(first.pt),
      ekm,
    })
    expect(unhex(enc)).toBe(vector.enc)
    expect(unhex(seenEnc!)).toBe(vector.enc)
    expect(unhex(ciphertext)).toBe(first.ct)
  })

  it('a sender context reproduces every listed encryption and export', async () => {
    const ekm = await importP256Pair(hex(vector.skEm), hex(vector.pkEm), false)
    const sender = await suite.createSenderContext({
      recipientPublicKey: await suite.kem.deserializePublicKey(hex(vector.pkRm)),
      info: hex(vector.info),
      ekm,
    })
    const sorted = [...vector.encryptions].sort((a, b) => a.sequence_number - b.sequence_number)
    sorted.forEach((e, i) => expect(e.sequence_number).toBe(i)) // the listed ones are consecutive from 0
    for (const e of sorted) expect(unhex(await sender.seal(hex(e.pt), hex(e.aad)))).toBe(e.ct)
    for (const x of vector.exports) {
      expect(unhex(await sender.export(hex(x.exporter_context), x.L))).toBe(x.exported_value)
    }
  })

  it('hpkeOpenBase opens the vector ciphertext with skRm held as a NON-extractable CryptoKey', async () => {
    const recipient = await importP256Pair(hex(vector.skRm), hex(vector.pkRm), false)
    expect(recipient.privateKey.extractable).toBe(false)
    const first = vector.encryptions[0]!
    const pt = await hpkeOpenBase({ recipient, enc: hex(vector.enc), info: hex(vector.info), aad: hex(first.aad), ciphertext: hex(first.ct) })
    expect(unhex(pt)).toBe(first.pt)
    // and a one-bit change of the vector ciphertext is refused
    const bad = hex(first.ct)
    bad[0]! ^= 1
    await expect(hpkeOpenBase({ recipient, enc: hex(vector.enc), info: hex(vector.info), aad: hex(first.aad), ciphertext: bad })).rejects.toThrow()
  })
})

// ---------------------------------------------------------------------------------------------

async function newTarget(): Promise<{ pair: CryptoKeyPair; pub: Uint8Array }> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  return { pair, pub }
}

const CHALLENGE = '0123456789abcdef0123456789abcdef'
function payload(overrides: Partial<GrantPayload> = {}): GrantPayload {
  return {
    v: 1,
    challengeId: CHALLENGE,
    address: '0x52908400098527886E0F7030069857D2E4169EE7',
    privateKey: `0x${'11'.repeat(32)}`,
    issuedAt: 1_700_000_000_000,
    expiresAt: 1_700_003_600_000,
    singleUse: false,
    ...overrides,
  }
}

async function expectExpired(p: Promise<unknown>): Promise<void> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OtpWalletError)
  expect((error as OtpWalletError).code).toBe('OTP_EXPIRED')
  expect((error as OtpWalletError).message).toBe('The grant could not be opened; request a new code')
}

/** Seals arbitrary bytes with the grant's info/aad construction (to test payload validation). */
async function sealRaw(target: Uint8Array, challengeId: string, plaintext: Uint8Array, aadTarget = target): Promise<SealedGrant> {
  const { enc, ciphertext } = await hpkeSealBase({
    recipientPublicKey: target,
    info: utf8(GRANT_INFO_PREFIX + challengeId),
    aad: (e) => concatBytes(utf8(GRANT_AAD_LABEL), aadTarget, e),
    plaintext,
  })
  return { enc: bytesToHex(enc), ciphertext: bytesToHex(ciphertext) }
}

function flipByte(hexString: string, index: number): string {
  const bytes = hexToBytes(hexString, 'x')
  bytes[index]! ^= 0x01
  return bytesToHex(bytes)
}

describe('sealGrant / openGrant', () => {
  it('round-trips with a non-extractable ECDH P-256 private key (deriveBits only)', async () => {
    const { pair, pub } = await newTarget()
    expect(pair.privateKey.extractable).toBe(false)
    expect(pair.privateKey.usages).toEqual(['deriveBits'])
    const sealed = await sealGrant(pub, CHALLENGE, payload())
    expect(hexToBytes(sealed.enc, 'enc').length).toBe(65)
    expect(hexToBytes(sealed.enc, 'enc')[0]).toBe(0x04)
    expect(hexToBytes(sealed.ciphertext, 'ct').length).toBe(utf8(JSON.stringify(payload())).length + 16)
    expect(await openGrant(pair, pub, CHALLENGE, sealed)).toEqual(payload())
  })

  it('uses a fresh ephemeral key per grant', async () => {
    const { pub } = await newTarget()
    const a = await sealGrant(pub, CHALLENGE, payload())
    const b = await sealGrant(pub, CHALLENGE, payload())
    expect(a.enc).not.toBe(b.enc)
    expect(a.ciphertext).not.toBe(b.ciphertext)
  })

  it('returns only the known payload fields', async () => {
    const { pair, pub } = await newTarget()
    const sealed = await sealRaw(pub, CHALLENGE, utf8(JSON.stringify({ ...payload(), extra: 'ignored' })))
    expect(await openGrant(pair, pub, CHALLENGE, sealed)).toEqual(payload())
  })

  it('fails with OTP_EXPIRED for another recipient key', async () => {
    const { pub } = await newTarget()
    const other = await newTarget()
    const sealed = await sealGrant(pub, CHALLENGE, payload())
    await expectExpired(openGrant(other.pair, other.pub, CHALLENGE, sealed)) // other key, its own public key
    await expectExpired(openGrant(other.pair, pub, CHALLENGE, sealed)) // other key claiming the right target
  })

  it('fails with OTP_EXPIRED for a tampered ciphertext (first, middle and tag bytes)', async () => {
    const { pair, pub } = await newTarget()
    const sealed = await sealGrant(pub, CHALLENGE, payload())
    const n = hexToBytes(sealed.ciphertext, 'ct').length
    for (const i of [0, Math.floor(n / 2), n - 1]) {
      await expectExpired(openGrant(pair, pub, CHALLENGE, { ...sealed, ciphertext: flipByte(sealed.ciphertext, i) }))
    }
    await expectExpired(openGrant(pair, pub, CHALLENGE, { ...sealed, ciphertext: sealed.ciphertext.slice(0, -2) }))
  })

  it('fails with OTP_EXPIRED for a tampered or substituted enc', async () => {
    const { pair, pub } = await newTarget()
    const sealed = await sealGrant(pub, CHALLENGE, payload())
    await expectExpired(openGrant(pair, pub, CHALLENGE, { ...sealed, enc: flipByte(sealed.enc, 64) })) // off-curve
    const otherEnc = (await sealGrant(pub, CHALLENGE, payload())).enc // a valid point, wrong for this ciphertext
    await expectExpired(openGrant(pair, pub, CHALLENGE, { ...sealed, enc: otherEnc }))
  })

  it('fails with OTP_EXPIRED for another challengeId (info binds the challenge)', async () => {
    const { pair, pub } = await newTarget()
    const sealed = await sealGrant(pub, CHALLENGE, payload())
    await expectExpired(openGrant(pair, pub, 'fedcba9876543210fedcba9876543210', sealed))
  })

  it('fails with OTP_EXPIRED when the AAD named another target key', async () => {
    const { pair, pub } = await newTarget()
    const other = await newTarget()
    // Encrypted to the right recipient, but the AAD carries another target key.
    const sealed = await sealRaw(pub, CHALLENGE, utf8(JSON.stringify(payload())), other.pub)
    await expectExpired(openGrant(pair, pub, CHALLENGE, sealed))
    // Control: the same construction with the right key in the AAD opens.
    const good = await sealRaw(pub, CHALLENGE, utf8(JSON.stringify(payload())))
    expect((await openGrant(pair, pub, CHALLENGE, good)).address).toBe(payload().address)
  })

  it('fails with OTP_EXPIRED when the AAD omits enc', async () => {
    const { pair, pub } = await newTarget()
    const { enc, ciphertext } = await hpkeSealBase({
      recipientPublicKey: pub,
      info: utf8(GRANT_INFO_PREFIX + CHALLENGE),
      aad: () => concatBytes(utf8(GRANT_AAD_LABEL), pub),
      plaintext: utf8(JSON.stringify(payload())),
    })
    await expectExpired(openGrant(pair, pub, CHALLENGE, { enc: bytesToHex(enc), ciphertext: bytesToHex(ciphertext) }))
  })

  it('fails with OTP_EXPIRED for malformed hex', async () => {
    const { pair, pub } = await newTarget()
    const sealed = await sealGrant(pub, CHALLENGE, payload())
    const cases: unknown[] = [
      { ...sealed, enc: sealed.enc.slice(2) },
      { ...sealed, enc: `${sealed.enc}0` },
      { ...sealed, enc: sealed.enc.slice(0, -2) },
      { ...sealed, enc: `0x05${sealed.enc.slice(4)}` },
      { ...sealed, ciphertext: '0x' },
      { ...sealed, ciphertext: 'zz' },
      { enc: sealed.enc },
      null,
      'grant',
    ]
    for (const c of cases) await expectExpired(openGrant(pair, pub, CHALLENGE, c as SealedGrant))
  })

  it('fails with OTP_EXPIRED for every malformed payload field', async () => {
    const { pair, pub } = await newTarget()
    const bad: unknown[] = [
      { ...payload(), v: 2 },
      { ...payload(), challengeId: 'fedcba9876543210fedcba9876543210' }, // inner id differs from the sealed one
      { ...payload(), address: '0x1234' },
      { ...payload(), address: 42 },
      { ...payload(), privateKey: `0x${'11'.repeat(31)}` },
      { ...payload(), privateKey: `0x${'11'.repeat(33)}` },
      { ...payload(), privateKey: `0x${'00'.repeat(32)}` },
      { ...payload(), privateKey: '11'.repeat(32) },
      { ...payload(), issuedAt: '1700000000000' },
      { ...payload(), expiresAt: 1.5 },
      { ...payload(), expiresAt: payload().issuedAt - 1 },
      { ...payload(), issuedAt: -1 },
      { ...payload(), singleUse: 'no' },
      (({ singleUse: _, ...rest }) => rest)(payload()),
      [payload()],
      null,
    ]
    for (const b of bad) await expectExpired(openGrant(pair, pub, CHALLENGE, await sealRaw(pub, CHALLENGE, utf8(JSON.stringify(b)))))
    await expectExpired(openGrant(pair, pub, CHALLENGE, await sealRaw(pub, CHALLENGE, utf8('not json'))))
    await expectExpired(openGrant(pair, pub, CHALLENGE, await sealRaw(pub, CHALLENGE, new Uint8Array([0xff, 0xfe]))))
  })

  it('sealGrant refuses a target key that is not a P-256 point, and a payload for another challenge', async () => {
    const { pub } = await newTarget()
    const offCurve = pub.slice()
    offCurve[64]! ^= 1
    for (const key of [offCurve, pub.slice(0, 33), new Uint8Array(65)]) {
      await expect(sealGrant(key, CHALLENGE, payload())).rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'targetPublicKey' } })
    }
    await expect(sealGrant(pub, 'other', payload())).rejects.toMatchObject({ code: 'INVALID_REQUEST', details: { field: 'challengeId' } })
  })
})
