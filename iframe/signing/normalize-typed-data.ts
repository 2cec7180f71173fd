/**
 * Validation and hashing of EIP-712 typed data (`signTypedData`, eth_signTypedData_v4).
 *
 * Spec: https://eips.ethereum.org/EIPS/eip-712. The digest is
 *   keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)),  domainSeparator = hashStruct(eip712Domain)
 * "where the type of eip712Domain is a struct named EIP712Domain with one or more of the below
 * fields" (name, version, chainId, verifyingContract, salt), and "User-agents should accept fields
 * in any order as specified by the EIP712Domain type". So:
 *  - when `types.EIP712Domain` is declared, the domain separator hashes exactly that declared type,
 *    in declared order (viem and MetaMask do the same; ethers instead re-infers the type from the
 *    domain keys, so it disagrees when the declared order or fields differ — hence the digest is
 *    computed here rather than by ethers' `TypedDataEncoder.hash`). Canonical names must have their
 *    canonical types; extension fields ("future field additions") must be atomic or dynamic types.
 *    A declared field absent from `domain` is refused (`domain.<name>`): it has no encoding. A
 *    `domain` key that is not declared is not part of the struct, so it is not hashed (viem and
 *    MetaMask do the same): the declaration, not the object, says what is signed;
 *  - when it is not declared, it is inferred from the domain keys in the canonical order, as ethers
 *    and viem do, and a key outside the five canonical ones is refused;
 *  - an empty domain is refused ("one or more fields"): it would separate nothing;
 *  - `null` domain values count as absent (ethers' rule).
 * The domain's chainId is not compared with the wallet's chain here ("the user-agent should refuse
 * signing if it does not match the currently active chain"): the caller has `domain.chainId` to do so.
 * A chainId of 0 is refused, as for transactions: it names no chain, so a contract that checks
 * the domain against its own chain never accepts it, and one that does not is replayable anywhere.
 */
import { keccak256 } from 'ethers/crypto'
import { TypedDataEncoder } from 'ethers/hash'
import { concat } from 'ethers/utils'
import { OtpWalletError } from '../../src/protocol/errors.js'
import type { TypedDataField } from '../../src/protocol/messages.js'
import { atomicType, DOMAIN_TYPE, parseFields, resolveTypes, type Types } from './typed-data-types.js'
import { normalizeValue } from './typed-data-values.js'
import { assertKnownKeys, invalid, isPlainObject, ownValue } from './validate.js'

/** A validated, canonical, frozen EIP-712 payload; only `normalizeTypedData` makes one. */
export interface NormalizedTypedData {
  /** Declared domain fields only, canonical values (chainId as bigint, checksummed addresses). */
  readonly domain: Readonly<Record<string, unknown>>
  /** The `EIP712Domain` struct the domain separator hashes: declared, or inferred from `domain`. */
  readonly domainFields: ReadonlyArray<TypedDataField>
  /** The primary type and the structs it reaches; never `EIP712Domain`. */
  readonly types: Readonly<Record<string, ReadonlyArray<TypedDataField>>>
  readonly primaryType: string
  readonly message: Readonly<Record<string, unknown>>
}

const PAYLOAD_KEYS: ReadonlySet<string> = new Set(['domain', 'types', 'primaryType', 'message'])
const CANONICAL_DOMAIN: ReadonlyArray<TypedDataField> = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
]
const NO_STRUCTS: Types = new Map()
/** Digest of each payload this module normalized: the brand `hashTypedData` checks. */
const digests = new WeakMap<NormalizedTypedData, string>()

/**
 * Validates an untrusted EIP-712 payload (object or its JSON string) and returns its canonical,
 * frozen form. Refusals are `INVALID_REQUEST` naming the path (`message.amount`, `domain.salt`).
 *
 * @example
 * const typed = normalizeTypedData(JSON.stringify({ types, primaryType: 'Mail', domain, message }))
 * hashTypedData(typed) // '0x…' the digest to sign
 */
export function normalizeTypedData(payload: unknown): NormalizedTypedData {
  let data = payload
  if (typeof payload === 'string') {
    try {
      data = JSON.parse(payload)
    } catch {
      throw invalid('payload', 'not valid JSON')
    }
  }
  if (!isPlainObject(data)) throw invalid('payload', 'expected { domain, types, primaryType, message }')
  assertKnownKeys(data, PAYLOAD_KEYS, '')

  const rawTypes = ownValue(data, 'types')
  if (!isPlainObject(rawTypes)) throw invalid('types', 'expected an object of struct definitions')
  const { types, primaryType } = resolveTypes(rawTypes, ownValue(data, 'primaryType'))
  const declared = Object.prototype.hasOwnProperty.call(rawTypes, DOMAIN_TYPE) ? parseDomainFields(rawTypes[DOMAIN_TYPE]) : null
  const rawDomain = ownValue(data, 'domain')
  if (!isPlainObject(rawDomain)) throw invalid('domain', 'expected an object')
  const { domain, domainFields } = normalizeDomain(rawDomain, declared)
  const message = normalizeValue(primaryType, ownValue(data, 'message'), 'message', types) as Record<string, unknown>

  const result: NormalizedTypedData = Object.freeze({
    domain,
    domainFields,
    types: Object.freeze(Object.fromEntries([...types].map(([name, fields]) => [name, Object.freeze(fields.map((f) => Object.freeze({ ...f })))]))),
    primaryType,
    message,
  })
  digests.set(result, computeDigest(result))
  return result
}

/**
 * The EIP-712 digest (0x-hex, 32 bytes) of a payload returned by `normalizeTypedData`.
 * Anything else is refused with `INTERNAL`: only validated payloads are ever hashed for signing.
 */
export function hashTypedData(normalized: NormalizedTypedData): string {
  const digest = digests.get(normalized)
  if (digest === undefined) throw new OtpWalletError('INTERNAL', 'hashTypedData: expected the result of normalizeTypedData')
  return digest
}

function parseDomainFields(value: unknown): TypedDataField[] {
  const fields = parseFields(value, `types.${DOMAIN_TYPE}`)
  if (fields.length === 0) throw invalid(`types.${DOMAIN_TYPE}`, 'must declare at least one field')
  fields.forEach((f, i) => {
    const canonical = CANONICAL_DOMAIN.find((c) => c.name === f.name)
    const ok = canonical === undefined ? atomicType(f.type) !== null : canonical.type === f.type
    if (!ok) throw invalid(`types.${DOMAIN_TYPE}[${i}].type`, canonical === undefined ? 'extension fields must have an atomic or dynamic type' : `${f.name} must be ${canonical.type}`)
  })
  return fields
}

function normalizeDomain(raw: Record<string, unknown>, declared: ReadonlyArray<TypedDataField> | null) {
  const present = Object.keys(raw).filter((key) => raw[key] !== undefined && raw[key] !== null)
  // Undeclared keys of a declared domain are simply not in the struct; without a declaration
  // the type is inferred from the keys, so a key outside the canonical five has no type.
  const stray = declared === null ? present.find((key) => !CANONICAL_DOMAIN.some((f) => f.name === key)) : undefined
  if (stray !== undefined) throw invalid(`domain.${stray}`, 'not a standard EIP-712 domain field; declare it in types.EIP712Domain')
  const domainFields = declared ?? CANONICAL_DOMAIN.filter((f) => present.includes(f.name))
  if (domainFields.length === 0) throw invalid('domain', 'empty domain: at least one of name, version, chainId, verifyingContract, salt is required')
  const domain: Record<string, unknown> = {}
  for (const f of domainFields) domain[f.name] = normalizeValue(f.type, ownValue(raw, f.name), `domain.${f.name}`, NO_STRUCTS)
  if (domain.chainId === 0n) throw invalid('domain.chainId', 'chain id 0 is refused: it names no chain')
  return { domain: Object.freeze(domain), domainFields: Object.freeze(domainFields.map((f) => Object.freeze({ ...f }))) }
}

/** keccak256(0x1901 ‖ hashStruct(EIP712Domain as declared) ‖ hashStruct(message)). */
function computeDigest(typed: NormalizedTypedData): string {
  try {
    const domainSeparator = TypedDataEncoder.hashStruct(DOMAIN_TYPE, { [DOMAIN_TYPE]: [...typed.domainFields] }, typed.domain)
    const encoder = TypedDataEncoder.from(Object.fromEntries(Object.entries(typed.types).map(([name, fields]) => [name, [...fields]])))
    if (encoder.primaryType !== typed.primaryType) throw new Error('primary type mismatch')
    return keccak256(concat(['0x1901', domainSeparator, encoder.hash(typed.message)]))
  } catch {
    // Unreachable after the checks above; if ethers still objects, refuse rather than sign.
    throw invalid('payload', 'could not be EIP-712 encoded')
  }
}
