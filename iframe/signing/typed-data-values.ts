/**
 * Validation of EIP-712 values against their declared type, returning canonical copies:
 * integers as bigint, addresses EIP-55 checksummed, bytes as lowercase 0x-hex, structs as fresh
 * objects with exactly the declared members (in declared order), arrays as fresh arrays.
 *
 * Strictness, each refusal naming the path (`message.from.wallet`, `message.items[2]`):
 *  - `uintN`/`intN`: see `parseQuantity` — `"42"`, `42`, `"0x2a"` and `42n` all mean 42; `"42abc"`,
 *    unsafe numbers and out-of-range values are refused;
 *  - `bool`: only `true`/`false` (ethers would treat the string `"false"` as true);
 *  - `bytesN`: exactly N bytes (no silent padding); `bytes`: even-length hex or a Uint8Array;
 *  - `string`: a well-formed string; `address`: 20-byte hex with a valid checksum if mixed case;
 *  - structs: every declared member present, no undeclared member (EIP-712 "encodeData" encodes
 *    each declared member; a missing one has no defined encoding, an extra one is not signed);
 *  - arrays: `T[n]` must have exactly n elements.
 */
import { parseQuantity } from './numberish.js'
import { arrayType, atomicType, type Types } from './typed-data-types.js'
import { invalid, isPlainObject, ownValue, parseAddress, parseHexData, parseText } from './validate.js'

/**
 * Validates `value` as an instance of `type` and returns its canonical copy.
 *
 * @example
 * normalizeValue('uint256', '0x2a', 'message.amount', types) // 42n
 * normalizeValue('uint256', '42abc', 'message.amount', types) // throws, details.field 'message.amount'
 */
export function normalizeValue(type: string, value: unknown, path: string, types: Types): unknown {
  if (value === undefined || value === null) throw invalid(path, `missing value of type ${type}`)

  const array = arrayType(type)
  if (array !== null) {
    if (!Array.isArray(value)) throw invalid(path, `expected an array (${type})`)
    if (array.length !== null && value.length !== array.length) {
      throw invalid(path, `expected ${array.length} elements, got ${value.length}`)
    }
    return Object.freeze(value.map((item: unknown, i) => normalizeValue(array.element, item, `${path}[${i}]`, types)))
  }

  const atomic = atomicType(type)
  if (atomic !== null) {
    switch (atomic.kind) {
      case 'uint':
      case 'int':
        return parseQuantity(value, path, { bits: atomic.bits, signed: atomic.kind === 'int' })
      case 'bool':
        if (typeof value !== 'boolean') throw invalid(path, 'expected true or false')
        return value
      case 'address':
        return parseAddress(value, path)
      case 'string':
        return parseText(value, path)
      case 'bytes':
        return atomic.size === null
          ? parseHexData(value, path, { allowBytes: true })
          : parseHexData(value, path, { allowBytes: true, length: atomic.size })
    }
  }

  const fields = types.get(type)
  if (fields === undefined) throw invalid(path, `unknown type ${JSON.stringify(type)}`)
  if (!isPlainObject(value)) throw invalid(path, `expected an object (${type})`)
  const declared = new Set(fields.map((f) => f.name))
  const extra = Object.keys(value).find((key) => !declared.has(key))
  if (extra !== undefined) throw invalid(`${path}.${extra}`, `not a member of ${type}`)
  const out: Record<string, unknown> = {}
  for (const f of fields) out[f.name] = normalizeValue(f.type, ownValue(value, f.name), `${path}.${f.name}`, types)
  return Object.freeze(out)
}
