// A real OpenID Connect provider for tests: oidc-provider (panva) over HTTPS on a free loopback port,
// with one confidential test client and accounts the test defines (their claims, and the amr/acr
// the provider reports for their sign-in). The provider's own login and consent pages are replaced
// by one step that signs in whichever account the test chose (`signInAs`), as if the person had
// typed their credentials there.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  id: string;
  claims?: Record<string, unknown>;
  /** what the provider says about how the person signed in */
  amr?: string[];
  acr?: string;
}

export interface LocalProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** the account the next sign-in at the provider signs in */
  signInAs(account: TestAccount): void;
  close(): Promise<void>;
}

export async function startLocalProvider(options: {
  tls: { key: string | Buffer; cert: string | Buffer };
  redirectUrl: string;
}): Promise<LocalProvider> {
  let current: TestAccount | undefined;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) =>
    handler(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'monban-test';
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // amr and acr with every ID token, as providers that report them do
    claims: { openid: ['sub', 'amr', 'acr', 'auth_time'], email: ['email', 'email_verified'] },
    // The e-mail in the ID token itself, for the e-mail matching mode.
    conformIdTokenClaims: false,
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, id) =>
      current && current.id === id
        ? { accountId: id, claims: async () => ({ sub: id, ...current?.claims }) }
        : undefined,
  });
  const callback = provider.callback();
  handler = (req, res) => {
    if (!req.url?.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (!current) throw new Error('signInAs() first');
        await provider.interactionFinished(
          req,
          res,
          {
            login: {
              accountId: current.id,
              ...(current.amr && { amr: current.amr }),
              ...(current.acr && { acr: current.acr }),
            },
          },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      const grant = new provider.Grant({
        accountId: details.session!.accountId,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  };
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(account) {
      current = account;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
