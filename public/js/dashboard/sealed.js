// @ts-check
/**
 * The browser's half of sealed QR results: a P-256 ECDH key pair whose private key never leaves
 * WebCrypto (non-extractable), its RFC 7638 fingerprint, and compact JWE decryption for
 * alg ECDH-ES + enc A256GCM (RFC 7516 / RFC 7518 §4.6), done with WebCrypto alone.
 */

const utf8 = new TextEncoder();

function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toBase64url(bytes) {
  let binary = '';
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const uint32 = (n) => new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const withLength = (bytes) => concat(uint32(bytes.length), bytes);

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A fresh key pair for one QR session: the private key cannot be exported, even by this page. */
export async function newSessionKey() {
  const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk: { kty, crv, x, y } };
}

/** RFC 7638 thumbprint (SHA-256 of the required members in lexical order), first 8 characters. */
export async function fingerprintOf({ crv, kty, x, y }) {
  const canonical = JSON.stringify({ crv, kty, x, y });
  return toBase64url(await crypto.subtle.digest('SHA-256', utf8.encode(canonical))).slice(0, 8);
}

/** Concat KDF (NIST SP 800-56A, RFC 7518 §4.6.2) for a 256-bit key: one SHA-256 round suffices. */
async function concatKdf(z, header) {
  const otherInfo = concat(
    withLength(utf8.encode(header.enc)), // AlgorithmID: for direct ECDH-ES, the "enc" value
    withLength(header.apu ? fromBase64url(header.apu) : new Uint8Array(0)),
    withLength(header.apv ? fromBase64url(header.apv) : new Uint8Array(0)),
    uint32(256), // SuppPubInfo: key length in bits
  );
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(uint32(1), new Uint8Array(z), otherInfo)));
}

/** Opens a compact JWE (ECDH-ES, A256GCM) with the session's private key; throws on anything else. */
export async function openSealed(jwe, privateKey) {
  const parts = String(jwe).split('.');
  if (parts.length !== 5) throw new Error('not a compact JWE');
  const [protectedB64, encryptedKey, ivB64, ciphertextB64, tagB64] = parts;
  const header = JSON.parse(new TextDecoder().decode(fromBase64url(protectedB64)));
  if (header.alg !== 'ECDH-ES' || header.enc !== 'A256GCM' || encryptedKey !== '') throw new Error('unexpected JWE algorithm');
  const { kty, crv, x, y } = header.epk ?? {};
  if (kty !== 'EC' || crv !== 'P-256') throw new Error('unexpected ephemeral key');
  const epk = await crypto.subtle.importKey('jwk', { kty, crv, x, y }, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const z = await crypto.subtle.deriveBits({ name: 'ECDH', public: epk }, privateKey, 256);
  const key = await crypto.subtle.importKey('raw', await concatKdf(z, header), 'AES-GCM', false, ['decrypt']);
  const plaintext = await crypto.subtle.decrypt(
    // The protected header, as sent, is the additional authenticated data.
    { name: 'AES-GCM', iv: fromBase64url(ivB64), additionalData: utf8.encode(protectedB64), tagLength: 128 },
    key,
    concat(fromBase64url(ciphertextB64), fromBase64url(tagB64)),
  );
  return JSON.parse(new TextDecoder().decode(plaintext));
}
