import { describe, expect, it, vi } from 'vitest'
import { createBackendClient } from './backend-client.js'
import { challengeResponse, TEST_ADDRESS } from './testing/fakes.js'

const API = 'https://api.example/otp-wallet'

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

describe('createBackendClient', () => {
  it('calls apiUrl + route with the bearer token, JSON body and no credentials', async () => {
    const fetchFn = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => json(challengeResponse()))
    const client = createBackendClient(API, fetchFn)
    await client.requestChallenge('tok', { targetPublicKey: '0x04', ttlSeconds: 0 })
    const [url, init] = fetchFn.mock.calls[0]!
    expect(url).toBe(`${API}/otp/challenge`)
    expect(init).toMatchObject({ method: 'POST', credentials: 'omit', redirect: 'error' })
    expect(init?.headers).toMatchObject({ Authorization: 'Bearer tok', 'Content-Type': 'application/json' })
    expect(JSON.parse(init?.body as string)).toEqual({ targetPublicKey: '0x04', ttlSeconds: 0 })
  })

  it('GET /wallet returns the checksummed address and the session limits', async () => {
    const session = { ttlSeconds: 3600, maxTtlSeconds: 86_400 }
    const fetchFn = vi.fn(async () => json({ address: TEST_ADDRESS.toLowerCase(), session }))
    const client = createBackendClient(API, fetchFn)
    expect(await client.getWallet('tok')).toEqual({ address: TEST_ADDRESS, session })
    expect(fetchFn.mock.calls[0]).toEqual([`${API}/wallet`, expect.objectContaining({ method: 'GET' })])
  })

  it('refuses a wallet answer without valid session limits or with a bad address', async () => {
    const session = { ttlSeconds: 3600, maxTtlSeconds: 86_400 }
    const bodies = [
      { address: TEST_ADDRESS }, // the limits are required, not optional
      { address: TEST_ADDRESS, session: { ttlSeconds: 3600 } },
      { address: TEST_ADDRESS, session: { ttlSeconds: -1, maxTtlSeconds: 10 } },
      { address: TEST_ADDRESS, session: { ttlSeconds: 20, maxTtlSeconds: 10 } },
      { address: TEST_ADDRESS, session: { ttlSeconds: '60', maxTtlSeconds: 600 } },
      { address: '0xabc', session },
      { address: TEST_ADDRESS.replace('E', 'e'), session }, // a wrong EIP-55 checksum
    ]
    for (const body of bodies) {
      await expect(createBackendClient(API, async () => json(body)).getWallet('t'), JSON.stringify(body)).rejects.toMatchObject({
        code: 'BACKEND_ERROR',
        details: { status: 200 },
      })
    }
  })

  it('fails UNAUTHENTICATED without calling when there is no token', async () => {
    const fetchFn = vi.fn(async () => json({}))
    const client = createBackendClient(API, fetchFn)
    await expect(client.getWallet(null)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    await expect(client.getWallet('')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    await expect(client.getWallet('a\r\nX-Injected: 1')).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    expect(fetchFn).not.toHaveBeenCalled()
  })

  it('maps an error body to the same code, message and details (plus status)', async () => {
    const client = createBackendClient(API, async () =>
      json({ error: { code: 'OTP_INVALID', message: 'Wrong code', details: { attemptsLeft: 2, nested: { x: 1 } } } }, 400),
    )
    await expect(client.verify('tok', { challengeId: 'c', code: '000000' })).rejects.toMatchObject({
      code: 'OTP_INVALID',
      message: 'Wrong code',
      details: { attemptsLeft: 2, status: 400 },
    })
  })

  it('maps unknown codes, non-JSON bodies and network failures to BACKEND_ERROR with status', async () => {
    const cases: Array<[typeof fetch, number]> = [
      [async () => json({ error: { code: 'WHATEVER', message: 'x' } }, 500), 500],
      [async () => new Response('<html>Bad Gateway</html>', { status: 502 }), 502],
      [async () => new Response('not json', { status: 200 }), 200],
      [
        async () => {
          throw new TypeError('Failed to fetch')
        },
        0,
      ],
    ]
    for (const [fetchFn, status] of cases) {
      await expect(createBackendClient(API, fetchFn).getWallet('tok')).rejects.toMatchObject({
        code: 'BACKEND_ERROR',
        details: { status },
      })
    }
  })

  it('maps a bare 401 to UNAUTHENTICATED', async () => {
    const client = createBackendClient(API, async () => json({ message: 'no' }, 401))
    await expect(client.getWallet('tok')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', details: { status: 401 } })
  })

  it('refuses malformed success bodies', async () => {
    await expect(createBackendClient(API, async () => json({ addr: 1 })).getWallet('t')).rejects.toMatchObject({ code: 'BACKEND_ERROR' })
    await expect(
      createBackendClient(API, async () => json({ ...challengeResponse(), codeFormat: 'emoji' })).requestChallenge('t', { targetPublicKey: '0x' }),
    ).rejects.toMatchObject({ code: 'BACKEND_ERROR' })
    await expect(
      createBackendClient(API, async () => json({ grant: { enc: 1 } })).verify('t', { challengeId: 'c', code: '1' }),
    ).rejects.toMatchObject({ code: 'BACKEND_ERROR' })
  })

  it("moves a challenge's times from the backend's clock to the browser's", async () => {
    // The backend's clock runs 5 minutes ahead of this browser's.
    const browserNow = 1_700_000_000_000
    const serverNow = browserNow + 300_000
    const answer = challengeResponse({ serverTime: serverNow, expiresAt: serverNow + 600_000, resendAfter: serverNow + 30_000 })
    const client = createBackendClient(API, async () => json(answer), () => browserNow)
    const challenge = await client.requestChallenge('t', { targetPublicKey: '0x04' })
    expect(challenge.expiresAt).toBe(browserNow + 600_000)
    expect(challenge.resendAfter).toBe(browserNow + 30_000)
  })

  it('times out a backend that never answers', async () => {
    const hang: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
    await expect(createBackendClient(API, hang, Date.now, 20).getWallet('t')).rejects.toMatchObject({
      code: 'BACKEND_ERROR',
      message: 'The backend did not answer in time',
      details: { status: 0 },
    })
  })
})
