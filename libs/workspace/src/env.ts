/** Variables an experiment may inherit from hypotree's environment (everything else is dropped). */
export const INHERITED_ENV = ['PATH', 'LANG', 'LANGUAGE', 'TZ', 'TERM'] as const;

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION|^OPENAI_|^ANTHROPIC_|^AWS_|^AZURE_|^GOOGLE_|^GH_|^GITHUB_/i;

/** True for variable names that look like credentials; these are never inherited. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The environment of an experiment process: the allow-list above (plus LC_*), a private
 * HOME/TMPDIR, and `extra` (seed, sealed-data path, variables an agent was explicitly given).
 */
export function scrubbedEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || isSecretName(name)) continue;
    if ((INHERITED_ENV as readonly string[]).includes(name) || name.startsWith('LC_')) env[name] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  return { ...env, HOME: home, TMPDIR: home, ...extra };
}
