// The server under test, from the environment (clients/typescript/run sets these).
import { IdentityOS } from "@identity-os/sdk";

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the tests run against a real server (see README.md, Tests)`);
  return v;
}

export const baseUrl = need("IDOS_BASE_URL");
export const apiKey = need("IDOS_KEY");
/** A key on the `free` plan (10 requests a minute), for the 429 test. */
export const freeKey = (): string => need("IDOS_FREE_KEY");

export const client = (key: string = apiKey): IdentityOS => new IdentityOS({ apiKey: key, baseUrl });

/** A name unique to this run, so that list filters see only this test's instances. */
export const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
