import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'server/index': 'src/server/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['better-sqlite3', 'nodemailer', /^node:/],
  },
  {
    entry: { 'otp-wallet': 'src/iife.ts' },
    format: ['iife'],
    globalName: 'OtpWallet',
    minify: true,
    sourcemap: true,
    target: 'es2020',
    platform: 'browser',
    outExtension: () => ({ js: '.global.js' }),
  },
])
