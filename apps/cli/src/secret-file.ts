/**
 * Secrets read from a file (`--token-file`, `--admin-password-file`) instead of the command
 * line, where every local user sees them in `ps`. Read once at start; the trailing newline
 * an editor or `echo` adds is not part of the secret.
 */
import { readFileSync, statSync } from 'node:fs';

/** A secret file that cannot be used; the message names the file and why. */
export class SecretFileError extends Error {}

export interface SecretFile {
  value: string;
  /** Set when group or other may access the file: the secret is not secret there. */
  looseMode?: number;
}

export function readSecretFile(path: string): SecretFile {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SecretFileError(`cannot read ${path} (${code})`);
  }
  const value = text.replace(/(?:\r?\n)+$/, '');
  if (value === '') throw new SecretFileError(`${path} is empty`);
  const loose = process.platform !== 'win32' && (mode & 0o077) !== 0;
  return loose ? { value, looseMode: mode & 0o777 } : { value };
}
