// The secret scanner: every log line the server writes during a security test and every HTTP response
// body it sends are captured here, and every secret a test uses (passwords, PINs, tokens, TOTP
// secrets, backup codes, keys, session ids) is registered. A secret may appear in exactly one place:
// the one response that issued it ("shown once"). Anywhere else is a leak and fails the test file.
import { Writable } from 'node:stream';

interface Secret {
  label: string;
  value: string;
  issuedIn: number | undefined;
}

export interface CapturedResponse {
  id: number;
  what: string;
  body: string;
}

export class SecretScanner {
  private readonly secrets: Secret[] = [];
  readonly logLines: string[] = [];
  readonly responses: CapturedResponse[] = [];

  /** pino destination: pass to `pino(options, scanner.logStream)`. */
  readonly logStream = new Writable({
    write: (chunk: Buffer | string, _encoding, callback) => {
      this.logLines.push(chunk.toString());
      callback();
    },
  });

  /** Registers a secret; `issuedIn` is the id of the response allowed to show it once. */
  secret(label: string, value: string, issuedIn?: number): string {
    if (value.length < 4) throw new Error(`secret ${label} too short to scan for reliably`);
    this.secrets.push({ label, value, issuedIn });
    return value;
  }

  captureResponse(what: string, body: string): number {
    const id = this.responses.length + 1;
    this.responses.push({ id, what, body });
    return id;
  }

  /** Descriptions of leaks: labels and places only, never the secret itself. */
  leaks(): string[] {
    const found: string[] = [];
    for (const secret of this.secrets) {
      for (const [index, line] of this.logLines.entries())
        if (line.includes(secret.value)) found.push(`${secret.label} in log line ${index + 1}`);
      for (const response of this.responses)
        if (response.id !== secret.issuedIn && response.body.includes(secret.value))
          found.push(`${secret.label} in response #${response.id} (${response.what})`);
    }
    return found;
  }

  assertClean(): void {
    const leaks = this.leaks();
    if (leaks.length > 0) throw new Error(`secrets leaked:\n  ${leaks.join('\n  ')}`);
  }
}
