// A small client of the management API for `monban sim`: JSON and CSV over HTTPS with the server's
// certificate (or plain HTTP on loopback) and an API token. It talks to the server only through its
// public API, like any integration, so it works against any running server.
import { request as plainRequest } from 'node:http';
import { request as tlsRequest } from 'node:https';

export interface ApiAnswer {
  status: number;
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export class SimApiError extends Error {}

export class SimApi {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly ca: string | undefined,
  ) {}

  call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiAnswer> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const send = url.protocol === 'https:' ? tlsRequest : plainRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          ...(this.ca && { ca: this.ca }),
          timeout: 300_000,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(payload !== undefined && { 'content-type': contentType }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
          });
        },
      );
      req.on('timeout', () => req.destroy(new SimApiError(`${method} ${path}: no answer in 300 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A write that must succeed, or already have been made (409 on a create that exists is fine). */
  async ensure(method: string, path: string, body: unknown): Promise<ApiAnswer> {
    const answer = await this.call(method, path, body);
    if (answer.status < 300 || (method === 'POST' && answer.status === 409)) return answer;
    throw new SimApiError(`${method} ${path}: HTTP ${answer.status} ${describe(answer)}`);
  }

  /**
   * Imports a CSV file as a background job (`/api/import-jobs/…`, all or nothing) and waits for it;
   * the server keeps answering meanwhile.
   */
  async importCsv(kind: 'people' | 'credentials', csv: string): Promise<unknown> {
    const started = await this.call('POST', `/api/import-jobs/${kind}`, csv, 'text/csv; charset=utf-8');
    if (started.status !== 202)
      throw new SimApiError(`import of ${kind}: HTTP ${started.status} ${describe(started)}`);
    const { id } = started.json as { id: string };
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const job = await this.call('GET', `/api/import-jobs/${id}`);
      const view = job.json as { state?: string; error?: string | null } | undefined;
      if (view?.state === 'succeeded') return view;
      if (view?.state === 'failed' || view?.state === 'cancelled' || job.status >= 400)
        throw new SimApiError(
          `import of ${kind} ${view?.state ?? `HTTP ${job.status}`}: ${view?.error ?? describe(job)}`,
        );
    }
  }
}

function describe(answer: ApiAnswer): string {
  const error = (answer.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  return error ? `${error.code}: ${error.message}` : '';
}
