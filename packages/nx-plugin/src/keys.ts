// Device private keys: made on this machine, kept 0600 in a git-ignored folder, never printed,
// never a declared Nx output, never in Terraform. Only the certificate request leaves.
import { generateKeyPair, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type forge from 'node-forge';
import { writeFileAtomic } from './fs-atomic';
import { paths } from './paths';
import type { Mode } from './mode';

export interface DeviceKey {
  /** Absolute path of the private key (PKCS#8 PEM, mode 0600). */
  keyFile: string;
  /** Absolute path of the certificate signing request (PEM). */
  csrFile: string;
  csrPem: string;
}

export function deviceKeyFiles(workspaceRoot: string, mode: Mode, name: string): Omit<DeviceKey, 'csrPem'> {
  const dir = join(workspaceRoot, paths.keysDir(mode), name);
  return { keyFile: join(dir, 'private.pem.key'), csrFile: join(dir, 'certificate-request.pem') };
}

// Off the main thread: the key is made while Terraform initializes.
async function createKey(commonName: string): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { keyPem: privateKey, csrPem: await certificateRequest(commonName, publicKey, privateKey) };
}

/** forge's view of a request while it is signed: what `csr.sign()` sets, which its types leave out. */
type SigningRequest = forge.pki.CertificateSigningRequest & { siginfo: { algorithmOid: string } };
type RequestInfo = { getCertificationRequestInfo(csr: SigningRequest): forge.asn1.Asn1 };

/**
 * The PKCS#10 request, SHA-256 with RSA. forge builds it as its `csr.sign()` does, but Node's
 * crypto signs it: the same bytes (PKCS#1 v1.5 is deterministic), without forge's RSA in
 * JavaScript (about 40–80 ms a key, on the cores Terraform runs on). forge loads only here: most
 * tasks that import this module make no key (a load is about 35 ms of CPU).
 */
async function certificateRequest(commonName: string, publicKeyPem: string, privateKeyPem: string): Promise<string> {
  const { default: forge } = await import('node-forge');
  const csr = forge.pki.createCertificationRequest() as SigningRequest;
  csr.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.md = forge.md.sha256.create();
  csr.signatureOid = csr.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  csr.certificationRequestInfo = (forge.pki as unknown as RequestInfo).getCertificationRequestInfo(csr);
  const signed = Buffer.from(forge.asn1.toDer(csr.certificationRequestInfo).getBytes(), 'binary');
  csr.signature = sign('sha256', signed, privateKeyPem).toString('binary');
  return forge.pki.certificationRequestToPem(csr);
}

/** The device's key and certificate request, made now if this machine has none yet. */
export async function ensureDeviceKey(workspaceRoot: string, mode: Mode, name: string, commonName: string): Promise<DeviceKey> {
  const files = deviceKeyFiles(workspaceRoot, mode, name);
  if (!existsSync(files.keyFile) || !existsSync(files.csrFile)) {
    const { keyPem, csrPem } = await createKey(commonName);
    mkdirSync(join(files.keyFile, '..'), { recursive: true, mode: 0o700 });
    chmodSync(join(files.keyFile, '..'), 0o700);
    writeFileAtomic(files.keyFile, keyPem, 0o600);
    writeFileAtomic(files.csrFile, csrPem, 0o644);
  }
  return { ...files, csrPem: readFileSync(files.csrFile, 'utf8') };
}
