import { describe, expect, it } from 'vitest'
import { OtpWalletError } from '../src/protocol/errors.js'
import { loadVaultConfig, parseVaultConfig } from './config.js'

function expectInvalid(json: unknown, field: string): void {
  try {
    parseVaultConfig(json)
  } catch (error) {
    expect(error).toBeInstanceOf(OtpWalletError)
    expect((error as OtpWalletError).code).toBe('INVALID_CONFIG')
    expect((error as OtpWalletError).details?.field).toBe(field)
    return
  }
  throw new Error(`expected INVALID_CONFIG for ${JSON.stringify(json)}`)
}

const ok = { apiUrl: 'https://api.dapp.example/otp-wallet/', allowedOrigins: ['https://dapp.example', 'http://localhost:5173'] }

describe('parseVaultConfig', () => {
  it('accepts exact origins and strips the trailing slash of apiUrl', () => {
    expect(parseVaultConfig(ok)).toEqual({
      apiUrl: 'https://api.dapp.example/otp-wallet',
      allowedOrigins: ['https://dapp.example', 'http://localhost:5173'],
      allowHeadless: false,
    })
  })

  it('allows plain http only on loopback', () => {
    expect(parseVaultConfig({ apiUrl: 'http://127.0.0.1:8787', allowedOrigins: ['http://localhost:5173'] })).toEqual({
      apiUrl: 'http://127.0.0.1:8787',
      allowedOrigins: ['http://localhost:5173'],
      allowHeadless: false,
    })
  })

  it('allows headless mode only when allowHeadless is exactly true', () => {
    expect(parseVaultConfig({ ...ok, allowHeadless: true }).allowHeadless).toBe(true)
    expect(parseVaultConfig({ ...ok, allowHeadless: false }).allowHeadless).toBe(false)
    for (const allowHeadless of ['true', 1, null]) expectInvalid({ ...ok, allowHeadless }, 'allowHeadless')
  })

  it('refuses unknown keys, naming them, so a typo does not silently keep the default', () => {
    expectInvalid({ ...ok, allowHeadles: true }, 'allowHeadles')
    expectInvalid({ ...ok, apiURL: 'https://api.example' }, 'apiURL')
    expect(() => parseVaultConfig({ ...ok, allowHeadles: true })).toThrow(/unknown key "allowHeadles"/)
    expectInvalid({ ...ok, ['k'.repeat(200)]: 1 }, 'k'.repeat(64)) // a hostile file's key is cut in the field too
  })

  it('refuses a config that is not an object', () => {
    for (const json of [null, [], 'x', 1]) expectInvalid(json, 'config')
  })

  it.each([
    [undefined],
    [42],
    ['/relative/api'],
    ['ftp://api.example'],
    ['javascript:alert(1)'],
    ['https://user:pw@api.example'],
    ['https://api.example/?x=1'],
    ['https://api.example/#x'],
    ['http://api.example'],
  ])('refuses apiUrl %s', (apiUrl) => {
    expectInvalid({ ...ok, apiUrl }, 'apiUrl')
  })

  it.each([
    [undefined],
    [[]],
    ['https://dapp.example'],
    [['*']],
    [['https://*.dapp.example']],
    [['https://dapp.example/']],
    [['https://dapp.example/app']],
    [['https://DAPP.example']],
    [['https://dapp.example:443']],
    [['null']],
    [['file:///etc']],
    [['dapp.example']],
    [[42]],
    [['http://dapp.example']],
  ])('refuses allowedOrigins %j', (allowedOrigins) => {
    expectInvalid({ ...ok, allowedOrigins }, 'allowedOrigins')
  })
})

describe('loadVaultConfig', () => {
  const url = new URL('https://vault.example/config.json')

  it('fetches without credentials or redirects and validates', async () => {
    let seen: RequestInit | undefined
    const config = await loadVaultConfig(async (_input, init) => {
      seen = init
      return new Response(JSON.stringify(ok))
    }, url)
    expect(config.allowedOrigins).toContain('https://dapp.example')
    expect(seen).toMatchObject({ credentials: 'omit', redirect: 'error', cache: 'no-store' })
  })

  it('turns a missing file, bad JSON or a network failure into INVALID_CONFIG', async () => {
    const failures: Array<typeof fetch> = [
      async () => new Response('nope', { status: 404 }),
      async () => new Response('{not json'),
      async () => {
        throw new TypeError('offline')
      },
    ]
    for (const fetchFn of failures) {
      await expect(loadVaultConfig(fetchFn, url)).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
    }
  })
})
