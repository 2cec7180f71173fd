/** The SMTP mailer against a REAL SMTP server (smtp-server on 127.0.0.1, random port). */
import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openGrant } from '../../../src/crypto/hpke.js'
import { createOtpWalletServer } from '../../../src/server/handler.js'
import { createSmtpMailer, renderCodeEmail } from '../../../src/server/mailers/smtp-mailer.js'
import { createMemoryStore } from '../../../src/server/stores/memory-store.js'
import { Clock, MASTER_KEY, targetKey, testAuthenticate, token, VAULT_ORIGIN } from './helpers.js'

let smtp: SMTPServer
let port: number
const inbox: { envelopeTo: string[]; mail: ParsedMail }[] = []
const refuse = new Set<string>()

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) return callback(new Error('mailbox unavailable'))
      callback()
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          inbox.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail })
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  port = (smtp.server.address() as AddressInfo).port
})

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

describe('createSmtpMailer with a real SMTP server', () => {
  it('delivers a code email naming the site, the expiry and "never share"; the code from it verifies', async () => {
    const clock = new Clock(Date.UTC(2025, 0, 15, 12, 0, 0))
    const server = createOtpWalletServer({
      authenticate: testAuthenticate,
      store: createMemoryStore(),
      mailer: createSmtpMailer({ host: '127.0.0.1', port, secure: false, from: '"Example dApp" <no-reply@dapp.example>' }),
      masterKey: MASTER_KEY,
      vaultOrigin: VAULT_ORIGIN,
      siteName: 'Example dApp',
      now: clock.now,
    })
    try {
      const target = await targetKey()
      const res = await server.handler(
        new Request('https://api.dapp.example/otp/challenge', {
          method: 'POST',
          headers: { Origin: VAULT_ORIGIN, Authorization: token('zoe', 'zoe@example.com'), 'Content-Type': 'application/json' },
          body: JSON.stringify({ targetPublicKey: target.hex }),
        }),
      )
      expect(res.status).toBe(200)
      const { challengeId } = await res.json()

      expect(inbox).toHaveLength(1)
      const { envelopeTo, mail } = inbox[0]!
      expect(envelopeTo).toEqual(['zoe@example.com'])
      expect(mail.from?.text).toContain('no-reply@dapp.example')
      expect(mail.subject).toBe('Your Example dApp verification code')
      const text = mail.text ?? ''
      const html = typeof mail.html === 'string' ? mail.html : ''
      const code = /^\s{4}([0-9]{6})$/m.exec(text)?.[1]
      expect(code).toMatch(/^[0-9]{6}$/)
      for (const body of [text, html]) {
        expect(body).toContain(code!)
        expect(body).toContain('Example dApp')
        expect(body).toContain('expires in 10 minutes')
        expect(body).toContain('12:10 UTC on 2025-01-15')
        expect(body).toMatch(/never share this code/i)
      }
      expect(mail.subject).not.toContain(code!) // not on lock screens

      const verify = await server.handler(
        new Request('https://api.dapp.example/otp/verify', {
          method: 'POST',
          headers: { Origin: VAULT_ORIGIN, Authorization: token('zoe', 'zoe@example.com'), 'Content-Type': 'application/json' },
          body: JSON.stringify({ challengeId, code }),
        }),
      )
      expect(verify.status).toBe(200)
      const { grant } = await verify.json()
      expect((await openGrant(target.pair, target.pub, challengeId, grant)).challengeId).toBe(challengeId)
    } finally {
      server.close()
    }
  })

  it('a refused recipient is 502 MAIL_FAILED and nothing is stored', async () => {
    refuse.add('nobody@example.com')
    const errors: unknown[] = []
    const server = createOtpWalletServer({
      authenticate: testAuthenticate,
      store: createMemoryStore(),
      mailer: createSmtpMailer({ host: '127.0.0.1', port, from: 'no-reply@dapp.example' }),
      masterKey: MASTER_KEY,
      vaultOrigin: VAULT_ORIGIN,
      onError: (e) => errors.push(e),
    })
    try {
      const target = await targetKey()
      const send = () =>
        server.handler(
          new Request('https://api.dapp.example/otp/challenge', {
            method: 'POST',
            headers: { Authorization: token('nobody', 'nobody@example.com'), 'Content-Type': 'application/json' },
            body: JSON.stringify({ targetPublicKey: target.hex }),
          }),
        )
      const res = await send()
      expect(res.status).toBe(502)
      expect((await res.json()).error.code).toBe('MAIL_FAILED')
      expect(errors).toHaveLength(1)
      refuse.delete('nobody@example.com')
      expect((await send()).status).toBe(200) // the failed challenge left no resend cooldown behind
    } finally {
      server.close()
    }
  })

  it('escapes the site name in HTML and validates its options', () => {
    const { html, text } = renderCodeEmail({
      to: 'a@example.com',
      code: 'AB3K9X',
      codeFormat: 'alphanumeric',
      siteName: '<b>Evil & Co</b>',
      expiresAt: Date.UTC(2025, 0, 1, 0, 1, 30),
      ttlSeconds: 90,
    })
    expect(html).toContain('&lt;b&gt;Evil &amp; Co&lt;/b&gt;')
    expect(html).not.toContain('<b>Evil')
    expect(text).toContain('expires in 2 minutes, at 00:01 UTC on 2025-01-01')
    expect(() => createSmtpMailer({ host: '', port: 25, from: 'a@b.c' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createSmtpMailer({ host: 'h', port: 0, from: 'a@b.c' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createSmtpMailer({ host: 'h', port: 25, from: 'nobody' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })
})
