import { afterEach, describe, expect, it, vi } from 'vitest'
import { OtpWalletError } from '../src/protocol/errors.js'
import { PROTOCOL_VERSION } from '../src/protocol/messages.js'
import { listenForHost, type HandshakeEvent, type HostWindow } from './connection.js'
import { flush } from './testing/fakes.js'

const HOST = 'https://dapp.example'
const config = { apiUrl: 'https://api.example', allowedOrigins: [HOST], allowHeadless: false }
const parent = { name: 'parent window' }

function fakeWindow(): HostWindow & { send(event: Partial<HandshakeEvent>): void } {
  let listener: ((event: HandshakeEvent) => void) | null = null
  return {
    parent,
    addEventListener: (_type, l) => (listener = l),
    removeEventListener: () => (listener = null),
    send(event) {
      listener?.({ data: undefined, origin: HOST, source: parent, ports: [], ...event })
    },
  }
}

const channels: MessageChannel[] = []
/** A new handshake port pair; returns the vault's end and what the host end receives. */
function handshakePort(): { port: MessagePort; received: unknown[]; closed: () => boolean } {
  const channel = new MessageChannel()
  channels.push(channel)
  const received: unknown[] = []
  channel.port2.onmessage = (e) => received.push(e.data)
  let closed = false
  const close = channel.port1.close.bind(channel.port1)
  channel.port1.close = () => {
    closed = true
    close()
  }
  return { port: channel.port1, received, closed: () => closed }
}

const connect = (channelId = 'chan-1', v = PROTOCOL_VERSION) => ({ ns: 'otp-wallet', type: 'connect', v, channelId })

afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close()
    c.port2.close()
  }
})

function setup(cfg: typeof config | OtpWalletError = config) {
  const win = fakeWindow()
  const onBind = vi.fn()
  const stop = listenForHost({ win, config: cfg, onBind, log: () => {} })
  return { win, onBind, stop }
}

describe('listenForHost', () => {
  it('binds to a valid connect and answers `connected` on its port', async () => {
    const { win, onBind } = setup()
    const h = handshakePort()
    win.send({ data: connect(), ports: [h.port] })
    await flush()
    expect(h.received).toEqual([{ event: 'connected', data: { v: PROTOCOL_VERSION } }])
    expect(onBind).toHaveBeenCalledTimes(1)
    expect(onBind.mock.calls[0]?.[0]).toBe(h.port)
    expect(onBind.mock.calls[0]?.[1]).toBe(HOST)
  })

  it('ignores messages that are not from window.parent, not connects, or carry no port', async () => {
    const { win, onBind } = setup()
    const h = handshakePort()
    win.send({ data: connect(), ports: [h.port], source: { other: true } })
    win.send({ data: { ...connect(), ns: 'penpal' }, ports: [h.port] })
    win.send({ data: connect(), ports: [] })
    await flush()
    expect(onBind).not.toHaveBeenCalled()
    expect(h.received).toEqual([])
  })

  it('refuses a disallowed origin on the port and closes it, never binding', async () => {
    const { win, onBind } = setup()
    const h = handshakePort()
    win.send({ data: connect(), ports: [h.port], origin: 'https://evil.example' })
    await flush()
    expect(h.received).toEqual([{ event: 'connect_refused', error: expect.objectContaining({ code: 'ORIGIN_NOT_ALLOWED' }) }])
    expect(h.closed()).toBe(true)
    expect(onBind).not.toHaveBeenCalled()
    // Origins are exact: a lookalike with a trailing slash or another port is another origin.
    const h2 = handshakePort()
    win.send({ data: connect(), ports: [h2.port], origin: 'https://dapp.example:8443' })
    await flush()
    expect(h2.received).toEqual([expect.objectContaining({ event: 'connect_refused' })])
  })

  it('refuses another protocol version', async () => {
    const { win, onBind } = setup()
    const h = handshakePort()
    win.send({ data: connect('c', PROTOCOL_VERSION + 1), ports: [h.port] })
    await flush()
    expect(h.received).toEqual([
      { event: 'connect_refused', error: expect.objectContaining({ code: 'PROTOCOL_VERSION_MISMATCH' }) },
    ])
    expect(onBind).not.toHaveBeenCalled()
  })

  it('refuses every connect with INVALID_CONFIG when the config is unusable', async () => {
    const { win, onBind } = setup(new OtpWalletError('INVALID_CONFIG', 'bad config'))
    const h = handshakePort()
    win.send({ data: connect(), ports: [h.port] })
    await flush()
    expect(h.received).toEqual([{ event: 'connect_refused', error: { code: 'INVALID_CONFIG', message: 'bad config' } }])
    expect(onBind).not.toHaveBeenCalled()
  })

  it('binds only the first of the host retries; a retry port is closed silently', async () => {
    const { win, onBind } = setup()
    const first = handshakePort()
    const retry = handshakePort()
    win.send({ data: connect('chan-1'), ports: [first.port] })
    win.send({ data: connect('chan-1'), ports: [retry.port] })
    await flush()
    expect(onBind).toHaveBeenCalledTimes(1)
    expect(first.received).toHaveLength(1)
    expect(retry.received).toEqual([])
    expect(retry.closed()).toBe(true)
  })

  it('refuses a second handshake (other channelId) once bound', async () => {
    const { win, onBind } = setup()
    win.send({ data: connect('chan-1'), ports: [handshakePort().port] })
    const other = handshakePort()
    win.send({ data: connect('chan-2'), ports: [other.port] })
    await flush()
    expect(onBind).toHaveBeenCalledTimes(1)
    expect(other.received).toEqual([
      { event: 'connect_refused', error: expect.objectContaining({ code: 'INVALID_REQUEST' }) },
    ])
    expect(other.closed()).toBe(true)
  })

  it('stops listening when asked', async () => {
    const { win, onBind, stop } = setup()
    stop()
    win.send({ data: connect(), ports: [handshakePort().port] })
    await flush()
    expect(onBind).not.toHaveBeenCalled()
  })
})
