// A local Sigstore stack for hubsign's tests: an OIDC issuer, Fulcio, Rekor v1 and an
// RFC 3161 TSA, each on its own 127.0.0.1 port, all in this one process.
//
//   node server.mjs OUTDIR [--port-base N] [--ttl SECONDS]
//
// On start it writes OUTDIR/trusted_root.json, OUTDIR/signing_config.json,
// OUTDIR/stack.json (ports and URLs) and, last, OUTDIR/trust_config.json (a
// ClientTrustConfig for `model_signing --trust_config` / `sigstore --trust-config`),
// then serves until killed (or until --ttl seconds have passed).
//
// The building blocks come from @sigstore/mock (the TSA) and oauth2-mock-server (the
// OIDC issuer); the pieces where those mocks differ from the real services (Fulcio's
// token and proof-of-possession checks and certificate profile, Rekor's DSSE
// canonicalization and Merkle log, the TSA's DER request parsing) are implemented
// here. README.md lists what is faithful and what is not.
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';
import * as jose from 'jose';

// CommonJS libraries (required, not imported, so that pkijs/asn1js objects are the
// same instances @sigstore/mock uses).
const require = createRequire(import.meta.url);
require('reflect-metadata');
const x509 = require('@peculiar/x509');
const asn1js = require('asn1js');
const pkijs = require('pkijs');
const canonicalize = require('canonicalize');
const sigstoreMock = require('@sigstore/mock');

x509.cryptoProvider.set(globalThis.crypto);

// ---------------------------------------------------------------- arguments

function usage(msg) {
  process.stderr.write(`${msg}\nusage: node server.mjs OUTDIR [--port-base N] [--ttl SECONDS]\n`);
  process.exit(2);
}
const argv = process.argv.slice(2);
let outDir;
let portBase = 0;
let ttl = 0;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--port-base') portBase = Number(argv[++i]);
  else if (a === '--ttl') ttl = Number(argv[++i]);
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (outDir === undefined) outDir = a;
  else usage(`unexpected argument ${a}`);
}
if (!outDir) usage('missing OUTDIR');
if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65532) usage('bad --port-base');
if (!(ttl >= 0)) usage('bad --ttl');
outDir = path.resolve(outDir);
fs.mkdirSync(outDir, { recursive: true });

const HOST = '127.0.0.1';
const log = (...a) => process.stderr.write(`[sigstore-stack] ${a.join(' ')}\n`);

// ---------------------------------------------------------------- helpers

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const b64 = (buf) => Buffer.from(buf).toString('base64');
const spkiDer = (keyObject) => keyObject.export({ format: 'der', type: 'spki' });
const wholeSecond = (ms = Date.now()) => new Date(Math.floor(ms / 1000) * 1000);
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, type = 'application/json') {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length });
  res.end(buf);
}

// The error shape of Fulcio's and Rekor's JSON APIs.
class HttpError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code ?? status;
  }
}

function listen(name, port, handler) {
  const server = http.createServer(async (req, res) => {
    try {
      await handler(req, res);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      log(`${name} ${req.method} ${req.url} -> ${status}: ${e.message}`);
      if (!res.headersSent) send(res, status, { code: e.code ?? status, message: e.message });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve(server));
  });
}

// Returns [start, end) of the DER element starting at `off`, and where its content starts.
function derElement(buf, off) {
  let p = off + 1;
  let len = buf[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  return { start: off, content: p, end: p + len };
}
// The exact DER bytes of a certificate's TBSCertificate.
function tbsOf(certDer) {
  const outer = derElement(certDer, 0);
  const tbs = derElement(certDer, outer.content);
  return certDer.subarray(tbs.start, tbs.end);
}

function toPem(der, label = 'CERTIFICATE') {
  const lines = b64(der).match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

// ---------------------------------------------------------------- Merkle tree (RFC 6962)

const leafHash = (data) => sha256(Buffer.from([0]), data);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const splitPoint = (n) => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function mth(leaves) {
  if (leaves.length === 0) return sha256(Buffer.alloc(0));
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function auditPath(m, leaves) {
  if (leaves.length <= 1) return [];
  const k = splitPoint(leaves.length);
  if (m < k) return [...auditPath(m, leaves.slice(0, k)), mth(leaves.slice(k))];
  return [...auditPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

// ---------------------------------------------------------------- keys and certificates

const ecdsaSha384 = { name: 'ECDSA', hash: 'SHA-384' };
const ecP384 = { name: 'ECDSA', namedCurve: 'P-384' };
const MS_DAY = 24 * 3600 * 1000;
// Everything in the trust root is valid from a little before start-up.
const epoch = wholeSecond(Date.now() - 60_000);

async function newCaKeys() {
  return globalThis.crypto.subtle.generateKey(ecP384, true, ['sign', 'verify']);
}
const randomSerial = () => {
  const s = crypto.randomBytes(20);
  s[0] &= 0x7f;
  if (s[0] === 0) s[0] = 1;
  return s.toString('hex');
};

// Fulcio's CA: a self-signed root and an intermediate (like the production
// "sigstore" / "sigstore-intermediate" pair), both P-384.
async function makeFulcioCA() {
  const rootKeys = await newCaKeys();
  const intKeys = await newCaKeys();
  const rootName = 'CN=sigstore,O=hubsign-test-stack';
  const intName = 'CN=sigstore-intermediate,O=hubsign-test-stack';
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: rootName,
    notBefore: epoch,
    notAfter: new Date(epoch.getTime() + 3650 * MS_DAY),
    signingAlgorithm: ecdsaSha384,
    keys: rootKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: intName,
    issuer: rootName,
    notBefore: epoch,
    notAfter: new Date(epoch.getTime() + 3650 * MS_DAY),
    signingAlgorithm: ecdsaSha384,
    publicKey: intKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      await x509.SubjectKeyIdentifierExtension.create(intKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intSpki = Buffer.from(await globalThis.crypto.subtle.exportKey('spki', intKeys.publicKey));
  return { root, intermediate, intName, intKeys, issuerKeyHash: sha256(intSpki) };
}

// The CT log that Fulcio submits precertificates to (RFC 6962 v1 SCTs, ECDSA P-256).
function makeCTLog() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = spkiDer(publicKey);
  const logId = sha256(spki);
  return {
    spki,
    logId,
    // Signs the precertificate TBS (without the SCT extension) and returns the
    // serialized SignedCertificateTimestamp.
    sct(tbs, issuerKeyHash) {
      const ts = Buffer.alloc(8);
      ts.writeBigUInt64BE(BigInt(Date.now()));
      const len24 = Buffer.from([(tbs.length >> 16) & 0xff, (tbs.length >> 8) & 0xff, tbs.length & 0xff]);
      const signed = Buffer.concat([
        Buffer.from([0, 0]), // v1, certificate_timestamp
        ts,
        Buffer.from([0, 1]), // precert_entry
        issuerKeyHash,
        len24,
        tbs,
        Buffer.from([0, 0]), // no extensions
      ]);
      const sig = crypto.sign('sha256', signed, privateKey);
      const sigLen = Buffer.alloc(2);
      sigLen.writeUInt16BE(sig.length);
      return Buffer.concat([
        Buffer.from([0]), // v1
        logId,
        ts,
        Buffer.from([0, 0]), // no extensions
        Buffer.from([4, 3]), // sha256, ecdsa
        sigLen,
        sig,
      ]);
    },
  };
}

// An SCT list extension value (RFC 6962 §3.3): OCTET STRING { SignedCertificateTimestampList }.
function sctListExtension(scts) {
  const items = scts.map((s) => {
    const l = Buffer.alloc(2);
    l.writeUInt16BE(s.length);
    return Buffer.concat([l, s]);
  });
  const body = Buffer.concat(items);
  const l = Buffer.alloc(2);
  l.writeUInt16BE(body.length);
  const list = Buffer.concat([l, body]);
  const octet = new asn1js.OctetString({ valueHex: list }).toBER(false);
  return new x509.Extension('1.3.6.1.4.1.11129.2.4.2', false, octet);
}

// ---------------------------------------------------------------- OIDC issuer

/// The workflow the Actions token endpoint vouches for, and the request token it wants.
const ACTIONS_REQUEST_TOKEN = 'actions-request-token-for-tests';
const ACTIONS_WORKFLOW = {
  repository: 'hubsign/models',
  ref: 'refs/heads/main',
  jobWorkflowRef: 'hubsign/models/.github/workflows/release.yml@refs/heads/main',
};

async function startIssuer() {
  const issuer = new OAuth2Issuer(false);
  const trustedKey = await issuer.keys.generate('ES256');
  const service = new OAuth2Service(issuer);
  // `POST /token` (any grant oauth2-mock-server supports): form/JSON fields `email`
  // (and optionally `sub`) turn the access token into a Sigstore-shaped ID token.
  service.on('beforeTokenSigning', (token, req) => {
    const body = req.body ?? {};
    if (body.email) {
      token.payload.email = String(body.email);
      token.payload.email_verified = true;
      token.payload.sub = String(body.sub ?? body.email);
      token.payload.aud = 'sigstore';
    }
  });
  // A key that is NOT in the JWKS but has the same `kid`, for negative tests.
  const rogue = await jose.generateKeyPair('ES256', { extractable: true });

  const server = await listen('oidc', portBase ? portBase : 0, async (req, res) => {
    const url = new URL(req.url, issuer.url ?? 'http://127.0.0.1');
    if (url.pathname === '/mint' && (req.method === 'GET' || req.method === 'POST')) {
      const q = url.searchParams;
      const email = q.get('email');
      const sub = q.get('sub') ?? email;
      if (!sub) throw new HttpError(400, 'mint: give email= and/or sub=');
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: q.get('iss') ?? issuer.url,
        aud: q.get('aud') ?? 'sigstore',
        sub,
        iat: now,
        nbf: now - 10,
        exp: now + Number(q.get('expires_in') ?? 600),
      };
      if (email) {
        payload.email = email;
        payload.email_verified = q.get('email_verified') !== 'false';
      }
      const untrusted = q.get('untrusted') === '1' || q.get('untrusted') === 'true';
      const key = untrusted ? rogue.privateKey : await jose.importJWK(trustedKey);
      const jwt = await new jose.SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: trustedKey.kid })
        .sign(key);
      send(res, 200, `${jwt}\n`, 'text/plain');
      return;
    }
    // A GitHub Actions-style OIDC token endpoint (what `ACTIONS_ID_TOKEN_REQUEST_URL` points
    // at): `Authorization: bearer <ACTIONS_REQUEST_TOKEN>`, `audience=` as asked, answering
    // `{"value": JWT}` for the workflow identity `job_workflow_ref` (Fulcio's github-workflow
    // issuer type: the certificate's SAN is the workflow URI).
    if (url.pathname === '/actions-token' && req.method === 'GET') {
      const auth = req.headers.authorization ?? '';
      const bearer = /^bearer\s+(.+)$/i.exec(auth)?.[1];
      if (bearer !== ACTIONS_REQUEST_TOKEN) throw new HttpError(401, 'bad ACTIONS_ID_TOKEN_REQUEST_TOKEN');
      const audience = url.searchParams.get('audience');
      if (!audience) throw new HttpError(400, 'audience= is required');
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new jose.SignJWT({
        iss: issuer.url,
        aud: audience,
        sub: `repo:${ACTIONS_WORKFLOW.repository}:ref:${ACTIONS_WORKFLOW.ref}`,
        repository: ACTIONS_WORKFLOW.repository,
        ref: ACTIONS_WORKFLOW.ref,
        job_workflow_ref: ACTIONS_WORKFLOW.jobWorkflowRef,
        iat: now,
        nbf: now - 10,
        exp: now + 600,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: trustedKey.kid })
        .sign(await jose.importJWK(trustedKey));
      send(res, 200, JSON.stringify({ count: 1, value: jwt }));
      return;
    }
    service.requestHandler(req, res);
  });
  issuer.url = `http://${HOST}:${server.address().port}`;
  return { issuer, server, url: issuer.url };
}

// ---------------------------------------------------------------- Fulcio

async function startFulcio(oidcUrl, ca, ctlog, port) {
  // Like Fulcio's config: one issuer of type "email", client ID "sigstore".
  const discovery = await fetch(`${oidcUrl}/.well-known/openid-configuration`).then((r) => r.json());
  if (discovery.issuer !== oidcUrl) throw new Error(`discovery issuer ${discovery.issuer} != ${oidcUrl}`);
  const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
  const chainPems = [toPem(Buffer.from(ca.intermediate.rawData)), toPem(Buffer.from(ca.root.rawData))];

  async function verifyToken(token) {
    if (!token) throw new HttpError(401, 'The OIDC token is missing', 16);
    let unverified;
    try {
      unverified = jose.decodeJwt(token);
    } catch {
      throw new HttpError(401, 'There was an error processing the identity token: malformed', 16);
    }
    if (unverified.iss !== oidcUrl) {
      throw new HttpError(401, `There was an error processing the identity token: unknown issuer ${unverified.iss}`, 16);
    }
    try {
      const { payload } = await jose.jwtVerify(token, jwks, {
        issuer: oidcUrl,
        audience: 'sigstore',
        algorithms: ['ES256', 'RS256', 'ES384', 'PS256', 'EdDSA'],
      });
      if (typeof payload.exp !== 'number') throw new Error('missing exp');
      return payload;
    } catch (e) {
      throw new HttpError(401, `There was an error processing the identity token: ${e.message}`, 16);
    }
  }

  async function issue(publicKey, identity, iss, sanType = 'email') {
    const notBefore = wholeSecond();
    const base = {
      serialNumber: randomSerial(),
      subject: '',
      issuer: ca.intName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 10 * 60 * 1000),
      signingAlgorithm: ecdsaSha384,
      publicKey,
      signingKey: ca.intKeys.privateKey,
    };
    const extensions = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.intKeys.publicKey),
      // The subject is empty, so the SAN is critical (RFC 5280 §4.2.1.6).
      new x509.SubjectAlternativeNameExtension([{ type: sanType, value: identity }], true),
      // Issuer (V1): the raw string; Issuer (V2): a DER UTF8String.
      new x509.Extension('1.3.6.1.4.1.57264.1.1', false, Buffer.from(iss, 'utf8')),
      new x509.Extension('1.3.6.1.4.1.57264.1.8', false, new asn1js.Utf8String({ value: iss }).toBER(false)),
    ];
    const pre = await x509.X509CertificateGenerator.create({ ...base, extensions });
    const sct = ctlog.sct(tbsOf(Buffer.from(pre.rawData)), ca.issuerKeyHash);
    const cert = await x509.X509CertificateGenerator.create({
      ...base,
      extensions: [...extensions, sctListExtension([sct])],
    });
    // The precertificate TBS must be the final TBS minus the SCT extension.
    return Buffer.from(cert.rawData);
  }

  const server = await listen('fulcio', port, async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname === '/api/v2/trustBundle') {
      send(res, 200, { chains: [{ certificates: chainPems }] });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/rootCert') {
      send(res, 200, chainPems.join(''), 'application/pem-certificate-chain');
      return;
    }
    if (!(req.method === 'POST' && url.pathname === '/api/v2/signingCert')) {
      throw new HttpError(404, `not found: ${req.method} ${url.pathname}`, 5);
    }
    let body;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      throw new HttpError(400, 'request body is not JSON', 3);
    }
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const token = bearer ?? body?.credentials?.oidcIdentityToken;
    const claims = await verifyToken(token);
    // github-workflow issuer type (a `job_workflow_ref` claim): the identity is the workflow
    // URI; else the email issuer type: the verified email address.
    let identity;
    let sanType = 'email';
    if (typeof claims.job_workflow_ref === 'string' && claims.job_workflow_ref) {
      identity = `https://github.com/${claims.job_workflow_ref}`;
      sanType = 'url';
    } else {
      if (typeof claims.email !== 'string' || !claims.email) {
        throw new HttpError(401, 'There was an error processing the identity token: email claim missing', 16);
      }
      if (claims.email_verified !== true) {
        throw new HttpError(401, 'There was an error processing the identity token: email_verified is not true', 16);
      }
      identity = claims.email;
    }
    // Proof of possession signs the token's subject (Fulcio: `sub`, the email for email tokens).
    const popSubject = sanType === 'email' ? identity : String(claims.sub);

    let publicKey;
    if (body.certificateSigningRequest) {
      let csrText = String(body.certificateSigningRequest);
      if (!csrText.includes('-----BEGIN')) csrText = Buffer.from(csrText, 'base64').toString('utf8');
      let csr;
      try {
        csr = new x509.Pkcs10CertificateRequest(csrText);
      } catch (e) {
        throw new HttpError(400, `invalid certificate signing request: ${e.message}`, 3);
      }
      if (!(await csr.verify())) throw new HttpError(400, 'invalid signature on CSR: proof of possession failed', 3);
      publicKey = await csr.publicKey.export();
    } else if (body.publicKeyRequest?.publicKey?.content) {
      const pkPem = String(body.publicKeyRequest.publicKey.content);
      let key;
      try {
        key = crypto.createPublicKey(pkPem);
      } catch (e) {
        throw new HttpError(400, `invalid public key: ${e.message}`, 3);
      }
      const pop = Buffer.from(String(body.publicKeyRequest.proofOfPossession ?? ''), 'base64');
      const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
      if (!pop.length || !crypto.verify(hash, Buffer.from(popSubject, 'utf8'), key, pop)) {
        throw new HttpError(400, 'proof of possession (signature over the subject) failed', 3);
      }
      publicKey = await new x509.PublicKey(spkiDer(key)).export();
    } else {
      throw new HttpError(400, 'neither certificateSigningRequest nor publicKeyRequest given', 3);
    }
    const leaf = await issue(publicKey, identity, claims.iss, sanType);
    send(res, 201, {
      signedCertificateEmbeddedSct: { chain: { certificates: [toPem(leaf), ...chainPems] } },
    });
  });
  return { server, url: `http://${HOST}:${server.address().port}` };
}

// ---------------------------------------------------------------- Rekor (v1 API)

function pae(type, payload) {
  const t = Buffer.from(type, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

// Parses a base64 PEM verifier (certificate or public key) the way Rekor does and
// returns its canonical PEM and key.
function parseVerifier(b64pem) {
  const pem = Buffer.from(String(b64pem), 'base64').toString('utf8');
  if (pem.includes('BEGIN CERTIFICATE')) {
    const cert = new crypto.X509Certificate(pem);
    return { canonical: toPem(cert.raw), key: cert.publicKey };
  }
  const key = crypto.createPublicKey(pem);
  return { canonical: toPem(spkiDer(key), 'PUBLIC KEY'), key };
}
const hashFor = (key) =>
  key.asymmetricKeyType === 'ed25519'
    ? null
    : key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
      ? 'sha384'
      : key.asymmetricKeyDetails?.namedCurve === 'secp521r1'
        ? 'sha512'
        : 'sha256';

// Turns a proposed entry into the canonicalized body real Rekor stores.
function canonicalizeEntry(proposed) {
  const { kind, apiVersion, spec } = proposed ?? {};
  if (kind === 'dsse' && apiVersion === '0.0.1') {
    const pc = spec?.proposedContent;
    if (typeof pc?.envelope !== 'string' || !Array.isArray(pc.verifiers) || pc.verifiers.length === 0) {
      throw new HttpError(400, 'dsse: proposedContent.envelope (string) and verifiers are required');
    }
    let env;
    try {
      env = JSON.parse(pc.envelope);
    } catch {
      throw new HttpError(400, 'dsse: envelope is not JSON');
    }
    const payload = Buffer.from(env.payload ?? '', 'base64');
    const verifiers = pc.verifiers.map(parseVerifier);
    const signatures = [];
    for (const s of env.signatures ?? []) {
      const sig = Buffer.from(s.sig ?? '', 'base64');
      const v = verifiers.find((v) => {
        try {
          return crypto.verify(hashFor(v.key), pae(env.payloadType ?? '', payload), v.key, sig);
        } catch {
          return false;
        }
      });
      if (!v) throw new HttpError(400, 'dsse: a signature does not verify with any verifier');
      signatures.push({ signature: b64(sig), verifier: b64(Buffer.from(v.canonical)) });
    }
    if (signatures.length === 0) throw new HttpError(400, 'dsse: envelope has no signatures');
    signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
    return {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        // Rekor hashes the envelope exactly as submitted (no re-serialization).
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(pc.envelope, 'utf8')).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        signatures,
      },
    };
  }
  if (kind === 'hashedrekord' && apiVersion === '0.0.1') {
    const h = spec?.data?.hash;
    const sig = spec?.signature;
    if (!h?.algorithm || !/^[0-9a-f]+$/.test(h?.value ?? '') || !sig?.content || !sig?.publicKey?.content) {
      throw new HttpError(400, 'hashedrekord: data.hash and signature.{content,publicKey} are required');
    }
    const v = parseVerifier(sig.publicKey.content);
    // NOTE: the signature over the prehashed digest is not checked (Node has no
    // prehashed ECDSA verify); real Rekor checks it.
    return {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: h.algorithm, value: h.value } },
        signature: { content: b64(Buffer.from(sig.content, 'base64')), publicKey: { content: b64(Buffer.from(v.canonical)) } },
      },
    };
  }
  throw new HttpError(400, `unsupported entry kind ${kind} ${apiVersion} (this stack: dsse 0.0.1, hashedrekord 0.0.1)`);
}

async function startRekor(port) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = spkiDer(publicKey);
  const logId = sha256(spki);
  const treeId = BigInt(crypto.randomInt(1, 2 ** 48 - 1)) * 1000n + 7n;
  const treeIdHex = treeId.toString(16).padStart(16, '0');
  const leaves = []; // leaf hashes
  const entries = []; // { uuid, body, integratedTime, logIndex }
  const byUuid = new Map();
  let origin;

  function checkpoint(size) {
    const root = mth(leaves.slice(0, size));
    const note = `${origin} - ${treeId}\n${size}\n${b64(root)}\n`;
    const sig = crypto.sign('sha256', Buffer.from(note), privateKey);
    const hint = logId.subarray(0, 4);
    return { root, text: `${note}\n\u2014 ${origin} ${b64(Buffer.concat([hint, sig]))}\n` };
  }

  function render(e) {
    const size = leaves.length;
    const cp = checkpoint(size);
    const set = crypto.sign(
      'sha256',
      Buffer.from(
        canonicalize({
          body: e.body.toString('base64'),
          integratedTime: e.integratedTime,
          logID: logId.toString('hex'),
          logIndex: e.logIndex,
        }),
      ),
      privateKey,
    );
    return {
      [e.uuid]: {
        body: e.body.toString('base64'),
        integratedTime: e.integratedTime,
        logID: logId.toString('hex'),
        logIndex: e.logIndex,
        verification: {
          inclusionProof: {
            checkpoint: cp.text,
            hashes: auditPath(e.logIndex, leaves.slice(0, size)).map((h) => h.toString('hex')),
            logIndex: e.logIndex,
            rootHash: cp.root.toString('hex'),
            treeSize: size,
          },
          signedEntryTimestamp: set.toString('base64'),
        },
      },
    };
  }

  const server = await listen('rekor', port, async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname.replace(/\/+$/, '');
    if (req.method === 'POST' && p === '/api/v1/log/entries') {
      let proposed;
      try {
        proposed = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        throw new HttpError(400, 'request body is not JSON');
      }
      const body = Buffer.from(canonicalize(canonicalizeEntry(proposed)));
      const leaf = leafHash(body);
      const uuid = treeIdHex + leaf.toString('hex');
      const existing = byUuid.get(uuid);
      if (existing) {
        res.setHeader('Location', `/api/v1/log/entries/${uuid}`);
        throw new HttpError(409, `an equivalent entry already exists in the transparency log with UUID ${uuid}`);
      }
      const e = { uuid, body, integratedTime: Math.floor(Date.now() / 1000), logIndex: leaves.length };
      leaves.push(leaf);
      entries.push(e);
      byUuid.set(uuid, e);
      res.setHeader('Location', `/api/v1/log/entries/${uuid}`);
      send(res, 201, render(e));
      return;
    }
    if (req.method === 'GET' && p === '/api/v1/log/entries') {
      const i = Number(url.searchParams.get('logIndex'));
      const e = entries[i];
      if (!Number.isInteger(i) || !e) throw new HttpError(404, 'entry not found');
      send(res, 200, render(e));
      return;
    }
    const m = /^\/api\/v1\/log\/entries\/([0-9a-f]{64}|[0-9a-f]{80})$/.exec(p);
    if (req.method === 'GET' && m) {
      const e = byUuid.get(m[1].length === 64 ? treeIdHex + m[1] : m[1]);
      if (!e) throw new HttpError(404, 'entry not found');
      send(res, 200, render(e));
      return;
    }
    if (req.method === 'GET' && p === '/api/v1/log') {
      const cp = checkpoint(leaves.length);
      send(res, 200, {
        rootHash: cp.root.toString('hex'),
        signedTreeHead: cp.text,
        treeID: String(treeId),
        treeSize: leaves.length,
      });
      return;
    }
    if (req.method === 'GET' && p === '/api/v1/log/publicKey') {
      send(res, 200, toPem(spki, 'PUBLIC KEY'), 'application/x-pem-file');
      return;
    }
    throw new HttpError(404, `not found: ${req.method} ${url.pathname}`);
  });
  const url = `http://${HOST}:${server.address().port}`;
  origin = new URL(url).host;
  return { server, url, spki, logId };
}

// ---------------------------------------------------------------- TSA (RFC 3161)

const HASH_OIDS = new Set(['2.16.840.1.101.3.4.2.1', '2.16.840.1.101.3.4.2.2', '2.16.840.1.101.3.4.2.3']);
const TSA_POLICY = '1.3.6.1.4.1.57264.2';

async function startTSA(port) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const tsa = await sigstoreMock.initializeTSA({ privateKey, publicKey });
  // The mock takes the nonce as a JS number and uses millisecond genTime; replace
  // its TSTInfo with one that keeps the request's nonce bytes (RFC 3161 nonces are
  // up to 64 bits and more) and uses whole seconds, like sigstore's timestamp-authority.
  tsa.tstInfo = (r) =>
    new pkijs.TSTInfo({
      version: 1,
      policy: r.policyOID,
      messageImprint: new pkijs.MessageImprint({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: r.hashAlgorithmOID }),
        hashedMessage: new asn1js.OctetString({ valueHex: r.artifactHash }),
      }),
      serialNumber: new asn1js.Integer({ valueHex: Buffer.from(randomSerial(), 'hex') }),
      genTime: wholeSecond(),
      accuracy: new pkijs.Accuracy({ seconds: 1 }),
      ...(r.nonceBytes ? { nonce: new asn1js.Integer({ valueHex: r.nonceBytes }) } : {}),
    });

  const server = await listen('tsa', port, async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.pathname === '/api/v1/timestamp/certchain') {
      send(res, 200, toPem(tsa.intCertificate) + toPem(tsa.rootCertificate), 'application/pem-certificate-chain');
      return;
    }
    if (!(req.method === 'POST' && url.pathname === '/api/v1/timestamp')) {
      throw new HttpError(404, `not found: ${req.method} ${url.pathname}`);
    }
    const der = await readBody(req);
    let tsq;
    try {
      tsq = pkijs.TimeStampReq.fromBER(der);
    } catch (e) {
      throw new HttpError(400, `invalid TimeStampReq: ${e.message}`);
    }
    const algo = tsq.messageImprint.hashAlgorithm.algorithmId;
    if (!HASH_OIDS.has(algo)) throw new HttpError(400, `unsupported hash algorithm ${algo}`);
    const reqPolicy = tsq.reqPolicy;
    if (reqPolicy && reqPolicy !== TSA_POLICY) throw new HttpError(400, `unsupported policy ${reqPolicy}`);
    const resp = await tsa.timestamp({
      artifactHash: Buffer.from(tsq.messageImprint.hashedMessage.valueBlock.valueHexView),
      hashAlgorithmOID: algo,
      nonceBytes: tsq.nonce ? Buffer.from(tsq.nonce.valueBlock.valueHexView) : undefined,
      policyOID: TSA_POLICY,
      certReq: tsq.certReq === true,
    });
    send(res, 200, resp, 'application/timestamp-reply');
  });
  return {
    server,
    url: `http://${HOST}:${server.address().port}`,
    chain: [tsa.intCertificate, tsa.rootCertificate],
  };
}

// ---------------------------------------------------------------- main

const started = Date.now();
const oidc = await startIssuer();
const ca = await makeFulcioCA();
const ctlog = makeCTLog();
const fulcio = await startFulcio(oidc.url, ca, ctlog, portBase ? portBase + 1 : 0);
const rekor = await startRekor(portBase ? portBase + 2 : 0);
const tsa = await startTSA(portBase ? portBase + 3 : 0);

const validFor = { start: iso(epoch) };
const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [
    {
      baseUrl: rekor.url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(rekor.spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
      logId: { keyId: b64(rekor.logId) },
    },
  ],
  certificateAuthorities: [
    {
      subject: { organization: 'hubsign-test-stack', commonName: 'sigstore' },
      uri: fulcio.url,
      certChain: { certificates: [{ rawBytes: b64(ca.intermediate.rawData) }, { rawBytes: b64(ca.root.rawData) }] },
      validFor,
    },
  ],
  ctlogs: [
    {
      baseUrl: `${fulcio.url}/ct`,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(ctlog.spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
      logId: { keyId: b64(ctlog.logId) },
    },
  ],
  timestampAuthorities: [
    {
      subject: { organization: 'sigstore.mock', commonName: 'tsa' },
      uri: tsa.url,
      certChain: { certificates: tsa.chain.map((c) => ({ rawBytes: b64(c) })) },
      validFor,
    },
  ],
};
const service = (url) => ({ url, majorApiVersion: 1, validFor, operator: 'hubsign-test-stack' });
const signingConfig = {
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: [service(fulcio.url)],
  oidcUrls: [service(oidc.url)],
  rekorTlogUrls: [service(rekor.url)],
  tsaUrls: [service(`${tsa.url}/api/v1/timestamp`)],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'ANY' },
};
const trustConfig = {
  mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
  trustedRoot,
  signingConfig,
};
const stack = {
  pid: process.pid,
  issuer: oidc.url,
  mint: `${oidc.url}/mint`,
  token: `${oidc.url}/token`,
  actions: {
    request_url: `${oidc.url}/actions-token`,
    request_token: ACTIONS_REQUEST_TOKEN,
    identity: `https://github.com/${ACTIONS_WORKFLOW.jobWorkflowRef}`,
  },
  jwks: `${oidc.url}/jwks`,
  fulcio: fulcio.url,
  rekor: rekor.url,
  tsa: `${tsa.url}/api/v1/timestamp`,
  ports: {
    oidc: oidc.server.address().port,
    fulcio: fulcio.server.address().port,
    rekor: rekor.server.address().port,
    tsa: tsa.server.address().port,
  },
  files: {
    trusted_root: 'trusted_root.json',
    signing_config: 'signing_config.json',
    trust_config: 'trust_config.json',
  },
};

function writeAtomic(name, value) {
  const tmp = path.join(outDir, `.${name}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, path.join(outDir, name));
}
writeAtomic('trusted_root.json', trustedRoot);
writeAtomic('signing_config.json', signingConfig);
writeAtomic('stack.json', stack);
writeAtomic('trust_config.json', trustConfig); // last: start.sh waits for it

log(`up in ${Date.now() - started} ms: issuer ${oidc.url} fulcio ${fulcio.url} rekor ${rekor.url} tsa ${stack.tsa}`);

const stop = (why) => {
  log(`stopping (${why})`);
  process.exit(0);
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
// A safety net for test runs that die without stopping the stack.
if (ttl > 0) setTimeout(() => stop(`ttl ${ttl}s`), ttl * 1000);
