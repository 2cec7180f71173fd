import { AbiCoder, Signature, TypedDataEncoder, Wallet, concat, getBytes, id, keccak256, toUtf8Bytes, verifyTypedData } from 'ethers'
import { describe, expect, test } from 'vitest'
import { hashTypedData, normalizeTypedData } from './normalize-typed-data.js'
import { signTypedDataWithKey } from './sign.js'
import { expectCode, expectInvalid } from './test-utils.js'

// The EIP-712 "Mail" example (https://eips.ethereum.org/EIPS/eip-712, assets/eip-712/Example.js):
// private key keccak256('cow'), and the published hashes and signature.
const COW_KEY = getBytes(keccak256(toUtf8Bytes('cow')))
const COW_ADDRESS = '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826'
const DOMAIN_TYPE = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
]
const MAIL_TYPES = {
  Person: [
    { name: 'name', type: 'string' },
    { name: 'wallet', type: 'address' },
  ],
  Mail: [
    { name: 'from', type: 'Person' },
    { name: 'to', type: 'Person' },
    { name: 'contents', type: 'string' },
  ],
}
const MAIL_DOMAIN = { name: 'Ether Mail', version: '1', chainId: 1, verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' }
const MAIL_MESSAGE = {
  from: { name: 'Cow', wallet: COW_ADDRESS },
  to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
  contents: 'Hello, Bob!',
}
const MAIL = { types: { EIP712Domain: DOMAIN_TYPE, ...MAIL_TYPES }, primaryType: 'Mail', domain: MAIL_DOMAIN, message: MAIL_MESSAGE }
const MAIL_DIGEST = '0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2'
const MAIL_SIGNATURE =
  '0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c'

describe('normalizeTypedData: the EIP-712 Mail example', () => {
  test('digest and signature match the published values', () => {
    const typed = normalizeTypedData(MAIL)
    expect(hashTypedData(typed)).toBe(MAIL_DIGEST)
    expect(signTypedDataWithKey(COW_KEY, typed)).toBe(MAIL_SIGNATURE)
    expect(verifyTypedData(MAIL_DOMAIN, MAIL_TYPES, MAIL_MESSAGE, MAIL_SIGNATURE)).toBe(COW_ADDRESS)
  })

  test('the JSON string form gives the same digest', () => {
    expect(hashTypedData(normalizeTypedData(JSON.stringify(MAIL)))).toBe(MAIL_DIGEST)
  })

  test('EIP712Domain absent: inferred from the domain keys, same digest; primaryType absent: inferred', () => {
    const typed = normalizeTypedData({ types: MAIL_TYPES, domain: MAIL_DOMAIN, message: MAIL_MESSAGE })
    expect(typed.primaryType).toBe('Mail')
    expect(typed.domainFields).toEqual(DOMAIN_TYPE)
    expect(hashTypedData(typed)).toBe(MAIL_DIGEST)
  })

  test('the normalized form: no EIP712Domain in types, canonical values, deeply frozen', () => {
    const typed = normalizeTypedData({ ...MAIL, message: { ...MAIL_MESSAGE, to: { name: 'Bob', wallet: MAIL_MESSAGE.to.wallet.toLowerCase() } } })
    expect(Object.keys(typed.types).sort()).toEqual(['Mail', 'Person'])
    expect(typed.domain).toEqual({ ...MAIL_DOMAIN, chainId: 1n })
    expect((typed.message.to as { wallet: string }).wallet).toBe(MAIL_MESSAGE.to.wallet)
    expect(Object.isFrozen(typed) && Object.isFrozen(typed.message) && Object.isFrozen(typed.message.from)).toBe(true)
    expect(Object.isFrozen(typed.domain) && Object.isFrozen(typed.types.Mail)).toBe(true)
  })

  test('invalid JSON → payload', () => {
    expectInvalid(() => normalizeTypedData('{"types":'), 'payload')
    expectInvalid(() => normalizeTypedData('[]'), 'payload')
    expectInvalid(() => normalizeTypedData(null), 'payload')
  })
})

describe('normalizeTypedData: declared EIP712Domain that differs from the canonical inference', () => {
  // An earlier revision of the EIP's Example.js: EIP712Domain declares an extension field
  // `httpOrigin` between chainId and verifyingContract. Published: signHash and v, r, s.
  test('extension field in declared order: the published digest and signature', () => {
    const typed = normalizeTypedData({
      types: {
        EIP712Domain: [...DOMAIN_TYPE.slice(0, 3), { name: 'httpOrigin', type: 'string' }, DOMAIN_TYPE[3]!],
        ...MAIL_TYPES,
      },
      primaryType: 'Mail',
      domain: { ...MAIL_DOMAIN, httpOrigin: 'https://ether-mail.eth' },
      message: MAIL_MESSAGE,
    })
    expect(hashTypedData(typed)).toBe('0xa5f5fa6b05af38f2e9d2889ac36f5a4ba31e20646781d23739de458d86d6593e')
    const signature = Signature.from(signTypedDataWithKey(COW_KEY, typed))
    expect(signature.v).toBe(27)
    expect(signature.r).toBe('0x24040eda35064d96c51f3308b5fae290edae563327348886a366ed604e0c0480')
    expect(signature.s).toBe('0x42bbabf2fae4b00598596a99d577dde56ff9d013e861f611cfe7b0728e1cd057')
  })

  test('non-canonical declared order is hashed in that order (hand-computed), unlike ethers', () => {
    const declared = [{ name: 'chainId', type: 'uint256' }, { name: 'name', type: 'string' }]
    const domain = { name: 'Ether Mail', chainId: '0x1' }
    const typed = normalizeTypedData({ types: { EIP712Domain: declared, ...MAIL_TYPES }, domain, message: MAIL_MESSAGE })
    const domainSeparator = keccak256(
      AbiCoder.defaultAbiCoder().encode(['bytes32', 'uint256', 'bytes32'], [id('EIP712Domain(uint256 chainId,string name)'), 1, id('Ether Mail')]),
    )
    const messageHash = '0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e' // published hashStruct(Mail)
    expect(hashTypedData(typed)).toBe(keccak256(concat(['0x1901', domainSeparator, messageHash])))
    expect(hashTypedData(typed)).not.toBe(TypedDataEncoder.hash({ name: 'Ether Mail', chainId: 1 }, MAIL_TYPES, MAIL_MESSAGE))
  })

  test('a declared field absent from the domain → domain.<name>', () => {
    const { verifyingContract: _, ...domain } = MAIL_DOMAIN
    expectInvalid(() => normalizeTypedData({ ...MAIL, domain }), 'domain.verifyingContract')
    expectInvalid(() => normalizeTypedData({ ...MAIL, domain: { ...MAIL_DOMAIN, name: null } }), 'domain.name')
  })

  test('domain keys that are not declared are not hashed (EIP-712: the declared struct is signed)', () => {
    const withSalt = normalizeTypedData({ ...MAIL, domain: { ...MAIL_DOMAIN, salt: '0x' + '11'.repeat(32) } })
    expect(hashTypedData(withSalt)).toBe(MAIL_DIGEST)
    expect(withSalt.domain).not.toHaveProperty('salt')
    // Declared without chainId while the domain carries one: the independent oracle is ethers on
    // the declared fields alone (it infers the same EIP712Domain from exactly those keys).
    const declared = DOMAIN_TYPE.filter((f) => f.name !== 'chainId')
    const typed = normalizeTypedData({ ...MAIL, types: { EIP712Domain: declared, ...MAIL_TYPES }, domain: { ...MAIL_DOMAIN, httpOrigin: 'x' } })
    const { chainId: _, ...declaredDomain } = MAIL_DOMAIN
    expect(hashTypedData(typed)).toBe(TypedDataEncoder.hash(declaredDomain, MAIL_TYPES, MAIL_MESSAGE))
    expect(hashTypedData(typed)).not.toBe(MAIL_DIGEST)
    const signature = signTypedDataWithKey(COW_KEY, typed)
    expect(verifyTypedData(declaredDomain, MAIL_TYPES, MAIL_MESSAGE, signature)).toBe(COW_ADDRESS)
  })

  test('without a declaration, only the five canonical keys; null counts as absent', () => {
    expectInvalid(() => normalizeTypedData({ types: MAIL_TYPES, domain: { ...MAIL_DOMAIN, foo: 'x' }, message: MAIL_MESSAGE }), 'domain.foo')
    const typed = normalizeTypedData({ types: MAIL_TYPES, domain: { ...MAIL_DOMAIN, salt: null }, message: MAIL_MESSAGE })
    expect(hashTypedData(typed)).toBe(MAIL_DIGEST)
  })

  test('empty domain, bad domain values, bad declarations', () => {
    expectInvalid(() => normalizeTypedData({ types: MAIL_TYPES, domain: {}, message: MAIL_MESSAGE }), 'domain')
    expectInvalid(() => normalizeTypedData({ ...MAIL, types: { ...MAIL.types, EIP712Domain: [] } }), 'types.EIP712Domain')
    expectInvalid(() => normalizeTypedData({ ...MAIL, domain: 'Ether Mail' }), 'domain')
    expectInvalid(() => normalizeTypedData({ ...MAIL, domain: { ...MAIL_DOMAIN, chainId: '1x' } }), 'domain.chainId')
    // Chain id 0 names no chain (refused for transactions too), in every form and when declared.
    for (const chainId of [0, '0', '0x0', 0n]) {
      expectInvalid(() => normalizeTypedData({ ...MAIL, domain: { ...MAIL_DOMAIN, chainId } }), 'domain.chainId')
    }
    expectInvalid(
      () => normalizeTypedData({ ...MAIL, types: { ...MAIL_TYPES, EIP712Domain: DOMAIN_TYPE }, domain: { ...MAIL_DOMAIN, chainId: 0 } }),
      'domain.chainId',
    )
    expectInvalid(() => normalizeTypedData({ ...MAIL, domain: { ...MAIL_DOMAIN, verifyingContract: '0x1234' } }), 'domain.verifyingContract')
    expectInvalid(() => normalizeTypedData({ ...MAIL, domain: { ...MAIL_DOMAIN, name: 1 } }), 'domain.name')
    const wrongType = [DOMAIN_TYPE[0]!, DOMAIN_TYPE[1]!, { name: 'chainId', type: 'string' }]
    expectInvalid(() => normalizeTypedData({ ...MAIL, types: { ...MAIL_TYPES, EIP712Domain: wrongType } }), 'types.EIP712Domain[2].type')
    const structField = [...DOMAIN_TYPE, { name: 'owner', type: 'Person' }]
    expectInvalid(() => normalizeTypedData({ ...MAIL, types: { ...MAIL_TYPES, EIP712Domain: structField } }), 'types.EIP712Domain[4].type')
  })
})

describe('normalizeTypedData: message values', () => {
  const types = {
    Item: [
      { name: 'amount', type: 'uint256' },
      { name: 'delta', type: 'int8' },
    ],
    Order: [
      { name: 'owner', type: 'address' },
      { name: 'amount', type: 'uint256' },
      { name: 'flag', type: 'bool' },
      { name: 'tag', type: 'bytes4' },
      { name: 'blob', type: 'bytes' },
      { name: 'items', type: 'Item[2]' },
      { name: 'ids', type: 'uint64[]' },
    ],
  }
  const domain = { name: 'Shop', chainId: 1 }
  const message = {
    owner: COW_ADDRESS,
    amount: 42,
    flag: false,
    tag: '0xdeadBEEF',
    blob: '0x0102',
    items: [{ amount: '1', delta: -1 }, { amount: 2n, delta: '127' }],
    ids: [1, '0x2', '3'],
  }
  const order = (patch: Record<string, unknown>) => ({ types, primaryType: 'Order', domain, message: { ...message, ...patch } })

  test('matches ethers TypedDataEncoder and verifyTypedData (canonical domain)', () => {
    const typed = normalizeTypedData(order({}))
    const canonical = { ...message, amount: 42n, tag: '0xdeadbeef', items: [{ amount: 1n, delta: -1n }, { amount: 2n, delta: 127n }], ids: [1n, 2n, 3n] }
    expect(typed.message).toEqual(canonical)
    expect(hashTypedData(typed)).toBe(TypedDataEncoder.hash(domain, types, canonical))
    const signature = signTypedDataWithKey(COW_KEY, typed)
    expect(verifyTypedData(domain, types, canonical, signature)).toBe(COW_ADDRESS)
    expect(signature).toBe(new Wallet(keccak256(toUtf8Bytes('cow'))).signingKey.sign(TypedDataEncoder.hash(domain, types, canonical)).serialized)
  })

  test.each([['42'], [42], ['0x2a'], [42n], ['0x002A'], ['042']])('uint256 given as %o agrees', (amount) => {
    expect(hashTypedData(normalizeTypedData(order({ amount })))).toBe(hashTypedData(normalizeTypedData(order({}))))
  })

  test('bytes as a Uint8Array equal the same hex', () => {
    expect(hashTypedData(normalizeTypedData(order({ blob: new Uint8Array([1, 2]) })))).toBe(hashTypedData(normalizeTypedData(order({}))))
  })

  test('a JSON number above 2^53 is refused, not rounded into a different amount', () => {
    const json = JSON.stringify(order({ amount: 0, items: [{ amount: '1', delta: -1 }, { amount: '2', delta: 127 }] })).replace('"amount":0', '"amount":100000000000000000001')
    expectInvalid(() => normalizeTypedData(json), 'message.amount')
  })

  test.each([
    [{ amount: '42abc' }, 'message.amount'],
    [{ amount: -1 }, 'message.amount'],
    [{ amount: '1e3' }, 'message.amount'],
    [{ amount: 1.5 }, 'message.amount'],
    [{ amount: null }, 'message.amount'],
    [{ amount: undefined }, 'message.amount'],
    [{ owner: COW_ADDRESS.toLowerCase().replace('0xcd', '0xCd') }, 'message.owner'],
    [{ owner: '0x1234' }, 'message.owner'],
    [{ flag: 'false' }, 'message.flag'],
    [{ flag: 0 }, 'message.flag'],
    [{ tag: '0xdeadbe' }, 'message.tag'],
    [{ tag: '0xdeadbeef00' }, 'message.tag'],
    [{ blob: '0x012' }, 'message.blob'],
    [{ blob: 'hello' }, 'message.blob'],
    [{ items: [{ amount: 1, delta: 0 }] }, 'message.items'],
    [{ items: { 0: { amount: 1, delta: 0 }, 1: { amount: 1, delta: 0 } } }, 'message.items'],
    [{ items: [{ amount: 1, delta: 0 }, { amount: 1, delta: 128 }] }, 'message.items[1].delta'],
    [{ items: [{ amount: 1, delta: 0 }, { amount: 1 }] }, 'message.items[1].delta'],
    [{ items: [{ amount: 1, delta: 0 }, { amount: 1, delta: 0, extra: 1 }] }, 'message.items[1].extra'],
    [{ items: [{ amount: 1, delta: 0 }, 'x'] }, 'message.items[1]'],
    [{ ids: [1, '42abc'] }, 'message.ids[1]'],
    [{ ids: [2n ** 64n] }, 'message.ids[0]'],
    [{ extra: 1 }, 'message.extra'],
  ])('refuses %o naming %s', (patch, field) => {
    expectInvalid(() => normalizeTypedData(order(patch)), field)
  })

  test('strings: lone surrogates refused, well-formed ones signed as UTF-8', () => {
    expectInvalid(() => normalizeTypedData({ ...MAIL, message: { ...MAIL_MESSAGE, contents: 'a\uD800b' } }), 'message.contents')
    expectInvalid(() => normalizeTypedData({ ...MAIL, message: { ...MAIL_MESSAGE, contents: 42 } }), 'message.contents')
    const emoji = normalizeTypedData({ ...MAIL, message: { ...MAIL_MESSAGE, contents: 'hi 🐄' } })
    expect(hashTypedData(emoji)).toBe(TypedDataEncoder.hash(MAIL_DOMAIN, MAIL_TYPES, { ...MAIL_MESSAGE, contents: 'hi 🐄' }))
  })

  test('missing message or message not an object', () => {
    expectInvalid(() => normalizeTypedData({ ...MAIL, message: undefined }), 'message')
    expectInvalid(() => normalizeTypedData({ ...MAIL, message: [MAIL_MESSAGE] }), 'message')
    expectInvalid(() => normalizeTypedData({ ...MAIL, message: { ...MAIL_MESSAGE, contents: undefined } }), 'message.contents')
    expectInvalid(() => normalizeTypedData({ ...MAIL, message: { ...MAIL_MESSAGE, from: { name: 'Cow' } } }), 'message.from.wallet')
  })

  test('member names shared with Object.prototype are read as own properties only', () => {
    const types = { Thing: [{ name: 'constructor', type: 'string' }] }
    expectInvalid(() => normalizeTypedData({ types, domain, message: {} }), 'message.constructor')
    const typed = normalizeTypedData({ types, domain, message: { constructor: 'x' } })
    expect(hashTypedData(typed)).toBe(TypedDataEncoder.hash(domain, types, { constructor: 'x' }))
  })
})

describe('normalizeTypedData: types and primaryType', () => {
  const domain = { name: 'T' }
  const refuse = (payload: unknown, field: string) => expectInvalid(() => normalizeTypedData(payload), field)

  test('given primaryType must exist; EIP712Domain cannot be primary', () => {
    refuse({ ...MAIL, primaryType: 'Letter' }, 'primaryType')
    refuse({ ...MAIL, primaryType: 'EIP712Domain' }, 'primaryType')
    refuse({ ...MAIL, primaryType: 42 }, 'primaryType')
  })

  test('absent primaryType with two candidates is refused; given, the unreachable struct is dropped', () => {
    const types = { ...MAIL_TYPES, Unused: [{ name: 'x', type: 'uint8' }] }
    refuse({ types, domain: MAIL_DOMAIN, message: MAIL_MESSAGE }, 'primaryType')
    const typed = normalizeTypedData({ types, primaryType: 'Mail', domain: MAIL_DOMAIN, message: MAIL_MESSAGE })
    expect(Object.keys(typed.types).sort()).toEqual(['Mail', 'Person'])
    expect(hashTypedData(typed)).toBe(MAIL_DIGEST)
  })

  test.each([
    [{ A: [{ name: 'x', type: 'uint' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'uint7' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'bytes33' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'B' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'uint8[0]' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'uint8[01]' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'fixed128x18' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x', type: 'EIP712Domain' }] }, 'types.A[0].type'],
    [{ A: [{ name: 'x y', type: 'uint8' }] }, 'types.A[0].name'],
    [{ A: [{ name: '__proto__', type: 'uint8' }] }, 'types.A[0].name'],
    [{ A: [{ name: 'x', type: 'uint8' }, { name: 'x', type: 'uint8' }] }, 'types.A[1].name'],
    [{ A: [{ name: 'x', type: 'uint8', extra: true }] }, 'types.A[0].extra'],
    [{ A: [{ name: 'x' }] }, 'types.A[0].type'],
    [{ A: { x: 'uint8' } }, 'types.A'],
    [{ 'A(uint8 x)B': [{ name: 'x', type: 'uint8' }] }, 'types.A(uint8 x)B'],
    [{ uint8: [{ name: 'x', type: 'bool' }] }, 'types.uint8'],
    [{ bytes33: [{ name: 'x', type: 'bool' }] }, 'types.bytes33'],
    [{ Node: [{ name: 'next', type: 'Node[]' }] }, 'types.Node'],
    [{ A: [{ name: 'b', type: 'B' }], B: [{ name: 'a', type: 'A[]' }] }, 'primaryType'],
  ])('refuses types %o naming %s', (types, field) => {
    refuse({ types, domain, message: {} }, field)
  })

  test('mutual recursion reachable from a given primary type is refused', () => {
    const types = { Root: [{ name: 'a', type: 'A' }], A: [{ name: 'b', type: 'B' }], B: [{ name: 'a', type: 'A[]' }] }
    refuse({ types, primaryType: 'Root', domain, message: {} }, 'types.A')
  })

  test('top-level shape', () => {
    refuse({ ...MAIL, extra: 1 }, 'extra')
    refuse({ ...MAIL, types: undefined }, 'types')
    refuse({ ...MAIL, types: [] }, 'types')
  })

  test('hashTypedData only hashes what normalizeTypedData produced', () => {
    const forged = { ...normalizeTypedData(MAIL) }
    expectCode(() => hashTypedData(forged), 'INTERNAL')
  })
})

describe('normalizeTypedData: cost', () => {
  // T_i has members of types A_i and B_i, which both hold T_{i-1}[]: 3n tiny types, 2^n paths,
  // and a valid message of a few bytes (empty arrays). ethers' encoder walks every path.
  const diamond = (levels: number) => {
    const types: Record<string, Array<{ name: string; type: string }>> = { T0: [{ name: 'x', type: 'uint8' }] }
    for (let i = 1; i <= levels; i++) {
      types[`A${i}`] = [{ name: 't', type: `T${i - 1}[]` }]
      types[`B${i}`] = [{ name: 't', type: `T${i - 1}[]` }]
      types[`T${i}`] = [{ name: 'a', type: `A${i}` }, { name: 'b', type: `B${i}` }]
    }
    return { types, primaryType: `T${levels}`, domain: { name: 'D' }, message: { a: { t: [] }, b: { t: [] } } }
  }

  test('a small diamond-shaped type graph is fine', () => {
    const payload = diamond(5)
    const typed = normalizeTypedData(payload)
    expect(hashTypedData(typed)).toBe(TypedDataEncoder.hash(payload.domain, payload.types, payload.message))
  })

  test('an exponential one is refused quickly, naming types', () => {
    const started = Date.now()
    expectInvalid(() => normalizeTypedData(diamond(60)), 'types')
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
