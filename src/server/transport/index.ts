// Transport security for the management server: certificate, TLS options, headers, allow-list.
export { isAllowed, parseAllowList, registerAllowList } from './allow-list.ts';
export {
  type CertificateFiles,
  loadOrCreateCertificate,
  type ServerCertificate,
  tlsServerOptions,
} from './certificate.ts';
export { HSTS_MAX_AGE_S, registerSecurityHeaders } from './headers.ts';
