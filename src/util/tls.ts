import { readFileSync } from "node:fs";
import type { TlsOptions } from "node:tls";

/** The files of --tls-cert, --tls-key and --tls-ca (paths to PEM files). */
export interface TlsFiles {
  cert: string;
  key: string;
  /** when set, clients must present a certificate this CA signed */
  ca?: string;
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** a TLS client must finish its handshake in this time (node's default is two minutes) */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The TLS settings every door shares: one certificate; client certificates required with a CA. */
export function loadTls(files: TlsFiles): TlsOptions {
  const ca = files.ca === undefined ? undefined : readPem("tls-ca", files.ca);
  return {
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    cert: readPem("tls-cert", files.cert),
    key: readPem("tls-key", files.key),
    ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  };
}
