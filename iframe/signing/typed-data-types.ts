/**
 * Validation of the `types` of an EIP-712 payload (https://eips.ethereum.org/EIPS/eip-712,
 * "Definition of typed structured data 𝕊") and choice of the primary type.
 *
 * Refused, each naming the field: struct or member names that are not identifiers (they are
 * written verbatim into `encodeType`, so `(`, `,` or spaces would make two types hash alike);
 * `__proto__`; struct names that shadow an atomic type; duplicate members; member types that are
 * not atomic (`bytes1`–`bytes32`, `uint8`–`uint256`, `int8`–`int256`, `bool`, `address`), dynamic
 * (`bytes`, `string`), arrays (`T[]`, `T[n]`, n ≥ 1) or declared structs — including the aliases
 * `uint`/`int`, which the EIP says do not exist; and recursive struct types. EIP-712 allows
 * recursion, but ethers' encoder (used here and by the ethers adapter) refuses it and no known
 * dApp uses it; refusing can never produce a wrong signature. Type graphs with more than
 * 1024 root-to-struct paths are refused too (see `MAX_TYPE_PATHS`).
 */
import type { TypedDataField } from '../../src/protocol/messages.js'
import { assertKnownKeys, invalid, isPlainObject, ownValue } from './validate.js'

export const DOMAIN_TYPE = 'EIP712Domain'
const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/
/** A base name then array suffixes `[]` / `[n]` (n from 1 to 999999, no leading zeros). */
const MEMBER_TYPE_RE = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\[(?:[1-9][0-9]{0,5})?\])*$/
/** Bound on root-to-struct paths in the type graph; real payloads (Seaport, Permit2) have dozens. */
const MAX_TYPE_PATHS = 1024
/** Names an encoder could read as atomic (`uint`, `bytes33`, `int7` included): never struct names. */
const RESERVED_NAME_RE = /^(?:(?:u?int|bytes)[0-9]*|bool|address|string)$/
const FIELD_KEYS: ReadonlySet<string> = new Set(['name', 'type'])

export type Types = ReadonlyMap<string, ReadonlyArray<TypedDataField>>

/** The atomic or dynamic type `type` names, or null: `{ kind: 'uint', bits: 64 }`, `{ kind: 'bytes', size: 4 }`. */
export function atomicType(type: string):
  | { kind: 'uint' | 'int'; bits: number }
  | { kind: 'bytes'; size: number | null }
  | { kind: 'bool' | 'address' | 'string' }
  | null {
  if (type === 'bool' || type === 'address' || type === 'string') return { kind: type }
  if (type === 'bytes') return { kind: 'bytes', size: null }
  const int = /^(u?int)([1-9][0-9]{0,2})$/.exec(type)
  if (int !== null) {
    const bits = Number(int[2])
    return bits % 8 === 0 && bits <= 256 ? { kind: int[1] as 'uint' | 'int', bits } : null
  }
  const bytes = /^bytes([1-9][0-9]?)$/.exec(type)
  if (bytes !== null) return Number(bytes[1]) <= 32 ? { kind: 'bytes', size: Number(bytes[1]) } : null
  return null
}

/** Splits the outermost array suffix: `Person[2][]` → `{ element: 'Person[2]', length: null }`. */
export function arrayType(type: string): { element: string; length: number | null } | null {
  const match = /^(.+)\[([1-9][0-9]{0,5})?\]$/.exec(type)
  if (match === null) return null
  return { element: match[1]!, length: match[2] === undefined ? null : Number(match[2]) }
}

/** Parses one struct's member list, checking names; member types are checked by `checkMemberType`. */
export function parseFields(value: unknown, field: string): TypedDataField[] {
  if (!Array.isArray(value)) throw invalid(field, 'expected an array of { name, type }')
  const seen = new Set<string>()
  return value.map((entry: unknown, i) => {
    const at = `${field}[${i}]`
    if (!isPlainObject(entry)) throw invalid(at, 'expected { name, type }')
    assertKnownKeys(entry, FIELD_KEYS, at)
    const name = ownValue(entry, 'name')
    const type = ownValue(entry, 'type')
    if (typeof name !== 'string' || !IDENTIFIER_RE.test(name) || name === '__proto__') throw invalid(`${at}.name`, 'expected an identifier')
    if (seen.has(name)) throw invalid(`${at}.name`, `duplicate member ${JSON.stringify(name)}`)
    seen.add(name)
    if (typeof type !== 'string') throw invalid(`${at}.type`, 'expected a type name')
    return { name, type }
  })
}

/**
 * Validates every struct of `rawTypes` except `EIP712Domain`, then picks the primary type: the
 * one given, or else the single struct no other struct references (as ethers does). Returns only
 * the primary type and the structs it reaches: unreachable structs cannot affect the hash.
 */
export function resolveTypes(rawTypes: Record<string, unknown>, primaryType: unknown): { types: Types; primaryType: string } {
  const all = new Map<string, TypedDataField[]>()
  for (const name of Object.keys(rawTypes)) {
    if (name === DOMAIN_TYPE) continue
    if (!IDENTIFIER_RE.test(name) || name === '__proto__') throw invalid(`types.${name}`, 'type name must be an identifier')
    if (RESERVED_NAME_RE.test(name)) throw invalid(`types.${name}`, 'type name shadows an atomic type')
    all.set(name, parseFields(rawTypes[name], `types.${name}`))
  }
  const referenced = new Set<string>()
  for (const [name, fields] of all) {
    fields.forEach((f, i) => {
      const base = checkMemberType(f.type, all, `types.${name}[${i}].type`)
      if (base !== null && base !== name) referenced.add(base)
    })
  }

  let primary: string
  if (primaryType !== undefined && primaryType !== null) {
    if (typeof primaryType !== 'string' || !all.has(primaryType)) {
      throw invalid('primaryType', primaryType === DOMAIN_TYPE ? 'EIP712Domain cannot be the primary type' : 'not a struct declared in types')
    }
    primary = primaryType
  } else {
    const roots = [...all.keys()].filter((name) => !referenced.has(name))
    if (roots.length !== 1) throw invalid('primaryType', `missing, and cannot be inferred (candidates: ${roots.join(', ') || 'none'})`)
    primary = roots[0]!
  }

  // Depth-first search with the usual three colours: `onPath` finds cycles, `paths` (done) keeps
  // the search linear on diamond-shaped graphs and counts the root-to-struct paths, which ethers'
  // encoder walks one by one: a few dozen tiny types could otherwise hang the vault for hours.
  const paths = new Map<string, number>()
  const onPath = new Set<string>()
  const visit = (name: string): number => {
    if (onPath.has(name)) throw invalid(`types.${name}`, 'recursive struct types are not supported')
    const known = paths.get(name)
    if (known !== undefined) return known
    onPath.add(name)
    let count = 1
    for (const f of all.get(name)!) {
      const base = structBase(f.type)
      if (all.has(base)) count += visit(base)
      if (count > MAX_TYPE_PATHS) throw invalid('types', `struct graph too large (over ${MAX_TYPE_PATHS} nested struct paths)`)
    }
    onPath.delete(name)
    paths.set(name, count)
    return count
  }
  visit(primary)
  const types = new Map([...paths.keys()].map((name) => [name, all.get(name)!] as const))
  return { types, primaryType: primary }
}

/** Checks a member type; returns the struct it references, or null for atomic/dynamic bases. */
function checkMemberType(type: string, structs: ReadonlyMap<string, unknown>, field: string): string | null {
  if (!MEMBER_TYPE_RE.test(type)) throw invalid(field, `invalid type ${JSON.stringify(type)}`)
  const base = structBase(type)
  if (atomicType(base) !== null) return null
  if (base === DOMAIN_TYPE || !structs.has(base)) throw invalid(field, `unknown type ${JSON.stringify(base)}`)
  return base
}

function structBase(type: string): string {
  const i = type.indexOf('[')
  return i === -1 ? type : type.slice(0, i)
}
