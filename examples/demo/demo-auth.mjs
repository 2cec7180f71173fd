// The demo's app login: whoever types an email gets a token for it. This stands in for a real
// app's login and must never be used as one. Tokens are HMAC-signed so the API can trust them.
import { createHmac, timingSafeEqual } from 'node:crypto'

const TOKEN_TTL_MS = 12 * 60 * 60 * 1000
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function createDemoAuth(secret) {
  const sign = (payload) => createHmac('sha256', secret).update(payload).digest('base64url')
  return {
    issueToken(email) {
      const normalized = String(email ?? '').trim().toLowerCase()
      if (!EMAIL_RE.test(normalized) || normalized.length > 254) return null
      const payload = Buffer.from(JSON.stringify({ email: normalized, exp: Date.now() + TOKEN_TTL_MS })).toString('base64url')
      return `${payload}.${sign(payload)}`
    },
    /** `authenticate` for createOtpWalletServer. */
    authenticate(request) {
      const header = request.headers.get('authorization') ?? ''
      const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(header)
      if (!match) return null
      const [, payload, mac] = match
      const expected = Buffer.from(sign(payload))
      const given = Buffer.from(mac)
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
      const { email, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      if (typeof exp !== 'number' || exp < Date.now()) return null
      return { userId: `demo:${email}`, email }
    },
  }
}
