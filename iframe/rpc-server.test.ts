import { afterEach, describe, expect, it, vi } from 'vitest'
import { OtpWalletError } from '../src/protocol/errors.js'
import { serveRpc, type Handlers } from './rpc-server.js'
import { flush } from './testing/fakes.js'

const channels: MessageChannel[] = []
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close()
    c.port2.close()
  }
})

function setup(overrides: Partial<Handlers> = {}) {
  const channel = new MessageChannel()
  channels.push(channel)
  const received: unknown[] = []
  channel.port2.onmessage = (e) => received.push(e.data)
  const notUsed = async (): Promise<never> => {
    throw new Error('not used')
  }
  const handlers = {
    init: notUsed,
    getSession: async () => ({ active: false, expiresAt: null }),
    signMessage: notUsed,
    signTypedData: notUsed,
    signTransaction: notUsed,
    endSession: async () => null,
    'otp.submit': notUsed,
    'otp.resend': notUsed,
    'otp.cancel': async () => null,
    ...overrides,
  } as Handlers
  const log = vi.fn()
  const server = serveRpc(channel.port1, handlers, log)
  const send = (m: unknown) => channel.port2.postMessage(m)
  return { received, send, server, log }
}

const request = (id: number, method: string, params: unknown = {}) => ({ id, method, params, auth: 'token' })

describe('serveRpc', () => {
  it('answers a request with its result', async () => {
    const { received, send } = setup()
    send(request(1, 'getSession'))
    await flush()
    expect(received).toEqual([{ id: 1, result: { active: false, expiresAt: null } }])
  })

  it('passes params and auth to the handler', async () => {
    const endSession = vi.fn(async (_params: unknown, ctx: { auth: string | null; id: number }) => {
      expect(ctx).toMatchObject({ id: 7, auth: 'token' })
      return null
    })
    const { received, send } = setup({ endSession })
    send(request(7, 'endSession', { x: 1 }))
    await flush()
    expect(endSession.mock.calls[0]?.[0]).toEqual({ x: 1 })
    expect(received).toEqual([{ id: 7, result: null }])
  })

  it('answers UNKNOWN_METHOD for a method the vault does not have', async () => {
    const { received, send } = setup()
    send(request(2, 'eth_sendTransaction'))
    await flush()
    expect(received).toEqual([{ id: 2, error: expect.objectContaining({ code: 'UNKNOWN_METHOD' }) }])
  })

  it('answers INVALID_REQUEST for a malformed envelope with a usable id', async () => {
    const { received, send } = setup()
    send({ id: 3, method: 'getSession' }) // no params, no auth
    send({ id: 4, method: 5, params: {}, auth: null })
    send({ id: 5, method: 'getSession', params: {}, auth: 12 })
    await flush()
    expect(received).toEqual([3, 4, 5].map((id) => ({ id, error: expect.objectContaining({ code: 'INVALID_REQUEST' }) })))
  })

  it('logs and drops a message with no usable id (the one silence)', async () => {
    const { received, send, log } = setup()
    for (const m of [null, 'hello', { method: 'getSession' }, { id: -1 }, { id: 1.5 }, { id: '1' }]) send(m)
    await flush()
    expect(received).toEqual([])
    expect(log).toHaveBeenCalledTimes(6)
  })

  it('serializes handler errors as { code, message, details } without a stack', async () => {
    const { received, send } = setup({
      signMessage: async () => {
        throw new OtpWalletError('INVALID_REQUEST', 'message: bad', { details: { field: 'message' } })
      },
      signTypedData: async () => {
        throw new TypeError('secret internals')
      },
    })
    send(request(1, 'signMessage'))
    send(request(2, 'signTypedData'))
    await flush()
    expect(received).toEqual([
      { id: 1, error: { code: 'INVALID_REQUEST', message: 'message: bad', details: { field: 'message' } } },
      { id: 2, error: { code: 'INTERNAL', message: 'Unexpected error' } },
    ])
  })

  it('sends awaiting_user once, before the result', async () => {
    let release!: () => void
    const { received, send } = setup({
      signMessage: async (_p, ctx) => {
        ctx.awaitingUser()
        ctx.awaitingUser()
        await new Promise<void>((r) => (release = r))
        return { signature: '0xsig' }
      },
    })
    send(request(9, 'signMessage'))
    await flush()
    expect(received).toEqual([{ id: 9, status: 'awaiting_user' }])
    release()
    await flush()
    expect(received).toEqual([{ id: 9, status: 'awaiting_user' }, { id: 9, result: { signature: '0xsig' } }])
  })

  it('refuses an id that is still in flight', async () => {
    let release!: () => void
    const { received, send } = setup({
      signMessage: async () => {
        await new Promise<void>((r) => (release = r))
        return { signature: '0xsig' }
      },
    })
    send(request(1, 'signMessage'))
    send(request(1, 'getSession'))
    await flush()
    expect(received).toEqual([{ id: 1, error: expect.objectContaining({ code: 'INVALID_REQUEST' }) }])
    release()
    await flush()
    expect(received[1]).toEqual({ id: 1, result: { signature: '0xsig' } })
  })

  it('answers INTERNAL when a result cannot be cloned', async () => {
    const { received, send } = setup({ getSession: async () => ({ fn: () => 1 }) as never })
    send(request(1, 'getSession'))
    await flush()
    expect(received).toEqual([{ id: 1, error: expect.objectContaining({ code: 'INTERNAL' }) }])
  })

  it('emits events as { event, data }', async () => {
    const { received, server } = setup()
    server.emit('session_started', { expiresAt: 123 })
    await flush()
    expect(received).toEqual([{ event: 'session_started', data: { expiresAt: 123 } }])
  })
})
