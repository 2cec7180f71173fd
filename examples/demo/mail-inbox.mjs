// A real SMTP server that keeps what it receives, plus an inbox a person can open in the
// browser and a JSON API the tests read codes from. Demo and tests only: no auth, loopback only.
import http from 'node:http'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

const MAX_MESSAGES = 500

export async function startMailInbox({ smtpPort = 0, httpPort = 0, host = '127.0.0.1' } = {}) {
  const messages = []
  let nextId = 1

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'otp-wallet demo inbox',
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            id: nextId++,
            from: parsed.from?.text ?? '',
            to: parsed.to ? [].concat(parsed.to).map((a) => a.text).join(', ') : '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            date: (parsed.date ?? new Date()).toISOString(),
          })
          if (messages.length > MAX_MESSAGES) messages.shift()
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise((resolve, reject) => {
    smtp.once('error', reject)
    smtp.listen(smtpPort, host, resolve)
  })

  const web = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://inbox')
    const to = url.searchParams.get('to')?.toLowerCase()
    const list = to ? messages.filter((m) => m.to.toLowerCase().includes(to)) : messages
    if (url.pathname === '/messages' && req.method === 'GET') {
      // No CORS header: other sites open in the same browser must not read the demo's codes.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(list))
    } else if (url.pathname === '/messages' && req.method === 'DELETE') {
      messages.length = 0
      res.writeHead(204).end()
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(renderInbox(list))
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    }
  })
  await new Promise((resolve, reject) => {
    web.once('error', reject)
    web.listen(httpPort, host, resolve)
  })

  return {
    smtpPort: smtp.server.address().port,
    httpPort: web.address().port,
    messages,
    async close() {
      await Promise.all([new Promise((r) => smtp.close(r)), new Promise((r) => web.close(r))])
    },
  }
}

function renderInbox(list) {
  const rows = [...list]
    .reverse()
    .map(
      (m) =>
        `<article><h2>${escapeHtml(m.subject)}</h2><p><b>To:</b> ${escapeHtml(m.to)} · ${escapeHtml(m.date)}</p><pre>${escapeHtml(m.text)}</pre></article>`,
    )
    .join('\n')
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>Demo inbox</title>
<style>body{font:15px system-ui;margin:2rem;max-width:50rem}article{border:1px solid #ccc;border-radius:8px;padding:0 1rem;margin:1rem 0}pre{white-space:pre-wrap}</style>
<h1>Demo inbox</h1><p>${list.length} message(s). Refreshes every 3 s. JSON: <a href="/messages">/messages</a></p>${rows || '<p>No mail yet.</p>'}`
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}
