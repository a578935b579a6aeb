/**
 * Removes secrets from free text before it is logged or returned: credentials
 * in URLs, bearer / basic tokens, and token-like query parameters.
 */
const patterns: [RegExp, string][] = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*(?::[^/@\s]*)?@/gi, '$1***@'],
  [/\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 ***'],
  [/([?&;](?:access_token|token|api_key|apikey|key|secret|password|signature|sig|auth)=)[^&\s#"']+/gi, '$1***'],
  [/\b(xox[abprs]-)[A-Za-z0-9-]+/g, '$1***'],
  [/(hooks\.slack\.com\/services\/)[A-Za-z0-9/_-]+/g, '$1***'],
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of patterns) out = out.replace(re, replacement);
  return out;
}
