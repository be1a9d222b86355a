import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { ensureDeviceKey } from '../src/keys';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pushbutton-keys-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('device keys', () => {
  it("makes an RSA key and a request for it that AWS IoT can sign: the device's name, SHA-256 with RSA, a valid signature", async () => {
    const key = await ensureDeviceKey(root, 'rehearse', 'lab-gateway', 'pushbutton-demo-lab-gateway');
    const keyPem = readFileSync(key.keyFile, 'utf8');
    expect(statSync(key.keyFile).mode & 0o777).toBe(0o600);

    const csr = forge.pki.certificationRequestFromPem(key.csrPem);
    expect(csr.verify()).toBe(true);
    expect(csr.subject.getField('CN').value).toBe('pushbutton-demo-lab-gateway');
    expect(csr.signatureOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    const requested = forge.pki.publicKeyToPem(csr.publicKey as forge.pki.rsa.PublicKey);
    expect(createPublicKey(requested).export({ type: 'spki', format: 'der' })).toEqual(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }));

    // The same bytes forge's own signing gives (PKCS#1 v1.5 signatures are deterministic).
    const bySelf = forge.pki.createCertificationRequest();
    bySelf.publicKey = csr.publicKey;
    bySelf.setSubject([{ name: 'commonName', value: 'pushbutton-demo-lab-gateway' }]);
    bySelf.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
    expect(key.csrPem).toBe(forge.pki.certificationRequestToPem(bySelf));
  });

  it('keeps a key it made: a second call reads it back', async () => {
    const first = await ensureDeviceKey(root, 'rehearse', 'lab-sensor', 'pushbutton-demo-lab-sensor');
    const key = readFileSync(first.keyFile, 'utf8');
    const second = await ensureDeviceKey(root, 'rehearse', 'lab-sensor', 'pushbutton-demo-lab-sensor');
    expect(second.csrPem).toBe(first.csrPem);
    expect(readFileSync(second.keyFile, 'utf8')).toBe(key);
  });
});
