import { readFileSync } from 'node:fs';

/** What the caller may set about the product that made the findings; the rest has defaults. */
export interface SiemOptions {
  /** vigil's version (the CLI passes its own); default: this package's, which every vigil package shares. */
  productVersion?: string;
  /** Default 'vigil'. */
  vendorName?: string;
}

/** The product as both schemas name it. */
export interface Product {
  name: string;
  vendorName: string;
  version: string;
}

let ownVersion: string | undefined;

/** This package's version, read on first use (importing the module reads nothing). */
function packageVersion(): string {
  ownVersion ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return ownVersion;
}

export function productOf(o: SiemOptions = {}): Product {
  return { name: 'vigil', vendorName: o.vendorName ?? 'vigil', version: o.productVersion ?? packageVersion() };
}
