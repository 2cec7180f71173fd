/**
 * Grant sealing with HPKE, RFC 9180 (https://www.rfc-editor.org/rfc/rfc9180), base mode (mode_base 0x00):
 *
 *   KEM  0x0010  DHKEM(P-256, HKDF-SHA256)
 *   KDF  0x0001  HKDF-SHA256
 *   AEAD 0x0002  AES-256-GCM
 *
 * The backend seals a `GrantPayload` to the vault's target key; only the vault, which holds the
 * non-extractable private half in WebCrypto, can open it.
 *
 *   info = UTF-8(GRANT_INFO_PREFIX ‖ challengeId)
 *   aad  = UTF-8(GRANT_AAD_LABEL) ‖ targetPublicKey (65 bytes) ‖ enc (65 bytes)
 *
 * One message per context (sequence number 0). WebCrypto only (via `@hpke/core`), no `node:`
 * imports: this module runs in Node 20 on the backend and in the browser vault.
 */
import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core'
import { GRANT_AAD_LABEL, GRANT_INFO_PREFIX, type GrantPayload, type SealedGrant } from '../protocol/backend.js'
import { OtpWalletError } from '../protocol/errors.js'
import { bytesToHex, concatBytes, equalBytes, hexToBytes, utf8 } from './bytes.js'

/** RFC 9180 §7 identifiers of the one suite grants use. */
export const GRANT_HPKE_SUITE = { mode: 0x00, kem: 0x0010, kdf: 0x0001, aead: 0x0002 } as const

/** Npk / Nenc of DHKEM(P-256): an uncompressed SEC1 point. */
export const P256_PUBLIC_KEY_LENGTH = 65
/** AES-256-GCM tag length (Nt). */
const AEAD_TAG_LENGTH = 16
/** A grant payload is a few hundred bytes; anything far larger is not ours. */
const MAX_GRANT_CIPHERTEXT_LENGTH = 4096

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/
const PRIVATE_KEY_RE = /^0x[0-9a-fA-F]{64}$/

let suite: CipherSuite | undefined
function grantSuite(): CipherSuite {
  suite ??= new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() })
  return suite
}

/**
 * HPKE SealBase for one message (RFC 9180 §6.1), with an AAD that may depend on `enc`.
 *
 * @internal Used by `sealGrant` and by the RFC 9180 vector test. `ekm` fixes the ephemeral key
 * pair and exists for that test only: a fixed ephemeral key destroys HPKE's security.
 */
export async function hpkeSealBase(params: {
  recipientPublicKey: Uint8Array
  info: Uint8Array
  aad: (enc: Uint8Array) => Uint8Array
  plaintext: Uint8Array
  ekm?: CryptoKeyPair
}): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }> {
  const hpke = grantSuite()
  const recipientPublicKey = await hpke.kem.deserializePublicKey(params.recipientPublicKey)
  const sender = await hpke.createSenderContext({
    recipientPublicKey,
    info: params.info,
    ...(params.ekm === undefined ? {} : { ekm: params.ekm }),
  })
  const enc = new Uint8Array(sender.enc)
  const ciphertext = new Uint8Array(await sender.seal(params.plaintext, params.aad(enc)))
  return { enc, ciphertext }
}

/** HPKE OpenBase for one message (RFC 9180 §6.1). Throws whatever `@hpke/core` throws. @internal */
export async function hpkeOpenBase(params: {
  recipient: CryptoKeyPair
  enc: Uint8Array
  info: Uint8Array
  aad: Uint8Array
  ciphertext: Uint8Array
}): Promise<Uint8Array> {
  const recipientContext = await grantSuite().createRecipientContext({
    recipientKey: params.recipient,
    enc: params.enc,
    info: params.info,
  })
  return new Uint8Array(await recipientContext.open(params.ciphertext, params.aad))
}

function grantInfo(challengeId: string): Uint8Array {
  return utf8(GRANT_INFO_PREFIX + challengeId)
}

function grantAad(targetPublicKey: Uint8Array, enc: Uint8Array): Uint8Array {
  return concatBytes(utf8(GRANT_AAD_LABEL), targetPublicKey, enc)
}

function assertTargetPublicKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== P256_PUBLIC_KEY_LENGTH || key[0] !== 0x04) {
    throw new OtpWalletError('INVALID_REQUEST', 'targetPublicKey: expected a 65-byte uncompressed P-256 point', {
      details: { field: 'targetPublicKey' },
    })
  }
}

/**
 * Seals a grant to the vault's target key (backend side).
 *
 * @example
 * const grant = await sealGrant(targetPublicKey, challengeId, { v: 1, challengeId, address, privateKey, issuedAt, expiresAt, singleUse: false })
 */
export async function sealGrant(targetPublicKey: Uint8Array, challengeId: string, payload: GrantPayload): Promise<SealedGrant> {
  assertTargetPublicKey(targetPublicKey)
  if (typeof challengeId !== 'string' || challengeId.length === 0 || payload.challengeId !== challengeId) {
    throw new OtpWalletError('INVALID_REQUEST', 'challengeId: the payload must carry the challenge it answers', {
      details: { field: 'challengeId' },
    })
  }
  try {
    // WebCrypto's raw import rejects points that are not on the curve.
    await crypto.subtle.importKey('raw', new Uint8Array(targetPublicKey), { name: 'ECDH', namedCurve: 'P-256' }, true, [])
  } catch {
    throw new OtpWalletError('INVALID_REQUEST', 'targetPublicKey: not a valid P-256 public key', {
      details: { field: 'targetPublicKey' },
    })
  }
  const plaintext = utf8(JSON.stringify(payload))
  try {
    const { enc, ciphertext } = await hpkeSealBase({
      recipientPublicKey: targetPublicKey,
      info: grantInfo(challengeId),
      aad: (e) => grantAad(targetPublicKey, e),
      plaintext,
    })
    return { enc: bytesToHex(enc), ciphertext: bytesToHex(ciphertext) }
  } finally {
    plaintext.fill(0) // the JSON holds the private key; the string copy cannot be wiped, this one can
  }
}

function grantUnreadable(): OtpWalletError {
  return new OtpWalletError('OTP_EXPIRED', 'The grant could not be opened; request a new code')
}

/**
 * Opens a grant sealed by `sealGrant` (vault side). The recipient's private key may be (and
 * should be) non-extractable; only `deriveBits` is used.
 *
 * Any failure — malformed hex, wrong key, tampered bytes, another challenge, a payload that is
 * not a well-formed `GrantPayload` — throws `OTP_EXPIRED`: a grant the vault cannot open is
 * treated as expired, never as a crash.
 *
 * @example
 * const payload = await openGrant(targetKeyPair, targetPublicKey, challengeId, response.grant)
 */
export async function openGrant(
  recipient: CryptoKeyPair,
  targetPublicKey: Uint8Array,
  challengeId: string,
  sealed: SealedGrant,
): Promise<GrantPayload> {
  let plaintext: Uint8Array | undefined
  try {
    assertTargetPublicKey(targetPublicKey)
    if (typeof sealed !== 'object' || sealed === null) throw grantUnreadable()
    const enc = hexToBytes(sealed.enc, 'enc')
    const ciphertext = hexToBytes(sealed.ciphertext, 'ciphertext')
    if (enc.length !== P256_PUBLIC_KEY_LENGTH || enc[0] !== 0x04) throw grantUnreadable()
    if (ciphertext.length <= AEAD_TAG_LENGTH || ciphertext.length > MAX_GRANT_CIPHERTEXT_LENGTH) throw grantUnreadable()
    // The AAD names the target key; it must be this recipient's own public key.
    const ownPublicKey = new Uint8Array(await crypto.subtle.exportKey('raw', recipient.publicKey))
    if (!equalBytes(ownPublicKey, targetPublicKey)) throw grantUnreadable()

    plaintext = await hpkeOpenBase({
      recipient,
      enc,
      info: grantInfo(challengeId),
      aad: grantAad(targetPublicKey, enc),
      ciphertext,
    })
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext))
    const payload = parseGrantPayload(parsed, challengeId)
    if (payload === null) throw grantUnreadable()
    return payload
  } catch {
    throw grantUnreadable()
  } finally {
    plaintext?.fill(0)
  }
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** Returns a clean `GrantPayload` (known fields only), or null when any field is wrong. */
function parseGrantPayload(value: unknown, expectedChallengeId: string): GrantPayload | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const p = value as Record<string, unknown>
  if (p.v !== 1) return null
  if (typeof p.challengeId !== 'string' || p.challengeId !== expectedChallengeId) return null
  if (typeof p.address !== 'string' || !ADDRESS_RE.test(p.address)) return null
  if (typeof p.privateKey !== 'string' || !PRIVATE_KEY_RE.test(p.privateKey) || /^0x0{64}$/.test(p.privateKey)) return null
  if (!isTimestamp(p.issuedAt) || !isTimestamp(p.expiresAt) || p.expiresAt < p.issuedAt) return null
  if (typeof p.singleUse !== 'boolean') return null
  return {
    v: 1,
    challengeId: p.challengeId,
    address: p.address,
    privateKey: p.privateKey,
    issuedAt: p.issuedAt,
    expiresAt: p.expiresAt,
    singleUse: p.singleUse,
  }
}
