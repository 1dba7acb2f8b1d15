import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate for 127.0.0.1, made by `openssl` (Debian package openssl) at test time. */
export interface TestCertificate {
  dir: string;
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
  remove(): void;
}

export function makeCertificate(name = "docket-test"): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "docket-tls-"));
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  return {
    dir,
    certPath,
    keyPath,
    cert: readFileSync(certPath),
    key: readFileSync(keyPath),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
