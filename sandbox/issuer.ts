import { generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local token issuer for the sandbox and the tests: fresh signing keys (one RS256, one ES256) for
 * every run, their public halves served as a JSON Web Key Set on loopback (with a minimal OpenID
 * discovery document), and tokens minted on request. The edge router verifies these tokens exactly as
 * it verifies a real identity provider's.
 *
 * Signing uses `node:crypto` rather than `jose`: jose is published as ES modules only, which jest
 * (CommonJS here) cannot load, and the sandbox runs inside the jest suites too. A JWT is three
 * base64url parts; RS256 is RSASSA-PKCS1-v1_5 with SHA-256, ES256 is ECDSA P-256 with SHA-256 in
 * its raw (r || s) form.
 */

/** The algorithms the issuer signs with. */
export type IssuerAlgorithm = "RS256" | "ES256";

/** How to mint one token. */
export interface MintOptions {
  /** @default "ES256" (short tokens, easy to paste) */
  readonly alg?: IssuerAlgorithm;
  /** Claims to add or override (`iss`, `aud`, `exp`, `nbf`, the tenant claim...); a claim set to `undefined` is left out. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Lifetime from now, seconds. @default TOKEN_LIFETIME_SECONDS */
  readonly expiresInSeconds?: number;
  /** Sign with a key the issuer never published, under a published `kid`: a forged token. */
  readonly forged?: boolean;
  /** Header fields to add or override (`alg`, `kid`, `typ`). */
  readonly header?: Readonly<Record<string, unknown>>;
}

/** A running issuer. */
export interface LocalIssuer {
  /** `http://127.0.0.1:<port>`: the tokens' `iss`. */
  readonly issuer: string;
  /** The tokens' `aud`. */
  readonly audience: string;
  /** Where the key set is served. */
  readonly jwksUrl: string;
  /** The claim that names the tenant. */
  readonly tenantClaim: string;
  /** How many times the key set was fetched (tests watch the router's caching). */
  readonly jwksFetches: number;
  /** A signed token granting `tenantId` (no tenant claim when undefined). */
  mint(tenantId: string | undefined, options?: MintOptions): string;
  /** Publishes a new key for `alg` and signs with it from now on (the old one stays published); returns its `kid`. */
  rotate(alg?: IssuerAlgorithm): string;
  /** Stops serving the key set. */
  close(): Promise<void>;
}

/** How long a minted token lives by default: long enough for a working session with the sandbox. */
export const TOKEN_LIFETIME_SECONDS = 12 * 60 * 60;

/** The audience of the sandbox's tokens (the router is configured with it). */
export const SANDBOX_AUDIENCE = "cells-sandbox";

/** The path the key set is served at. */
export const JWKS_PATH = "/.well-known/jwks.json";

interface SigningKey {
  readonly kid: string;
  readonly alg: IssuerAlgorithm;
  readonly privateKey: KeyObject;
  readonly jwk: JsonWebKey;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

function newKey(alg: IssuerAlgorithm): SigningKey {
  const { privateKey, publicKey } = alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  return { kid, alg, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" } };
}

function signature(alg: IssuerAlgorithm, key: KeyObject, input: string): Buffer {
  return alg === "RS256" ? sign("sha256", Buffer.from(input), key) : sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
}

/**
 * Starts an issuer on 127.0.0.1 (`port` 0 picks a free one).
 * @param options.tenantClaim the claim naming the tenant; @default "tenant_id"
 */
export async function startLocalIssuer(options: { readonly port?: number; readonly audience?: string; readonly tenantClaim?: string } = {}): Promise<LocalIssuer> {
  const current: Record<IssuerAlgorithm, SigningKey> = { RS256: newKey("RS256"), ES256: newKey("ES256") };
  const published: SigningKey[] = [current.RS256, current.ES256];
  const strangers: Record<IssuerAlgorithm, KeyObject> = { RS256: newKey("RS256").privateKey, ES256: newKey("ES256").privateKey };
  let jwksFetches = 0;

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === JWKS_PATH) {
      jwksFetches++;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    } else if (req.method === "GET" && path === "/.well-known/openid-configuration") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer: issuer(), jwks_uri: `${issuer()}${JWKS_PATH}`, id_token_signing_alg_values_supported: ["RS256", "ES256"] }));
    } else {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not_found" }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const issuer = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = options.audience ?? SANDBOX_AUDIENCE;
  const tenantClaim = options.tenantClaim ?? "tenant_id";

  return {
    issuer: issuer(),
    audience,
    jwksUrl: `${issuer()}${JWKS_PATH}`,
    tenantClaim,
    get jwksFetches() {
      return jwksFetches;
    },
    mint(tenantId, mint = {}) {
      const alg = mint.alg ?? "ES256";
      const key = current[alg];
      const now = Math.floor(Date.now() / 1000);
      const header = { alg, typ: "JWT", kid: key.kid, ...mint.header };
      const claims = {
        iss: issuer(),
        aud: audience,
        sub: tenantId === undefined ? "sandbox-client" : `client-of-${tenantId}`,
        iat: now,
        exp: now + (mint.expiresInSeconds ?? TOKEN_LIFETIME_SECONDS),
        ...(tenantId === undefined ? {} : { [tenantClaim]: tenantId }),
        ...mint.claims,
      };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const signer = mint.forged ? strangers[alg] : key.privateKey;
      return `${input}.${b64url(signature(alg, signer, input))}`;
    },
    rotate(alg = "ES256") {
      const key = newKey(alg);
      current[alg] = key;
      published.push(key);
      return key.kid;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
