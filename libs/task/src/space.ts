import type { Parameter, ParameterValue } from './schema.js';
import type { SpecIssue } from './errors.js';

/** Why `value` lies outside the declared parameter, or undefined when it is a legal value. */
export function outOfSpace(parameter: Parameter, value: unknown): string | undefined {
  switch (parameter.type) {
    case 'float':
    case 'int':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, got ${JSON.stringify(value)}`;
      if (parameter.type === 'int' && !Number.isInteger(value)) return `must be an integer, got ${value}`;
      if (value < parameter.min || value > parameter.max) return `must be within [${parameter.min}, ${parameter.max}], got ${value}`;
      return undefined;
    case 'choice':
      return parameter.choices.some((c) => c === value)
        ? undefined
        : `must be one of ${parameter.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(value)}`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(value)}`;
    default: {
      const never: never = parameter;
      return `unknown parameter type ${JSON.stringify(never)}`;
    }
  }
}

/** Checks a declared space for self-consistency (ranges, log scale, defaults, unique names). */
export function spaceIssues(space: readonly Parameter[], at: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const names = new Set<string>();
  space.forEach((p, i) => {
    const where = `${at}.${i}`;
    if (names.has(p.name)) issues.push({ path: `${where}.name`, message: `duplicate parameter '${p.name}'` });
    names.add(p.name);
    if ((p.type === 'float' || p.type === 'int') && p.min >= p.max) {
      issues.push({ path: `${where}.max`, message: `must be greater than min (${p.min})` });
      return;
    }
    if ((p.type === 'float' || p.type === 'int') && p.log && p.min <= 0) {
      issues.push({ path: `${where}.min`, message: 'must be > 0 on a log scale' });
    }
    const bad = outOfSpace(p, p.default);
    if (bad !== undefined) issues.push({ path: `${where}.default`, message: bad });
    for (const [name, values] of Object.entries(p.when ?? {})) {
      const on = space.slice(0, i).find((q) => q.name === name);
      if (name === p.name) {
        issues.push({ path: `${where}.when.${name}`, message: `'${name}' cannot depend on itself` });
      } else if (!on) {
        const later = space.slice(i + 1).some((q) => q.name === name);
        issues.push({ path: `${where}.when.${name}`, message: later ? `'${name}' must be declared before '${p.name}', which depends on it` : `no parameter '${name}' is declared` });
      } else if (on.type !== 'choice' && on.type !== 'bool') {
        issues.push({ path: `${where}.when.${name}`, message: `'${name}' is a ${on.type}: a condition names a choice or a bool` });
      } else {
        values.forEach((v, k) => {
          const wrong = outOfSpace(on, v);
          if (wrong !== undefined) issues.push({ path: `${where}.when.${name}.${k}`, message: wrong });
        });
      }
    }
  });
  return issues;
}

/**
 * The declared parameters that take effect in `config`: those without a condition, and those whose
 * every condition holds on a parameter that is itself active (conditions name earlier parameters,
 * so one pass in declaration order settles nesting).
 */
export function activeParameters(space: readonly Parameter[], config: Readonly<Record<string, ParameterValue>>): Set<string> {
  const active = new Set<string>();
  for (const p of space) {
    const holds = Object.entries(p.when ?? {}).every(([name, values]) => active.has(name) && values.some((v) => v === config[name]));
    if (holds) active.add(p.name);
  }
  return active;
}

/** The default value of every declared parameter. */
export function defaults(space: readonly Parameter[]): Record<string, ParameterValue> {
  return Object.fromEntries(space.map((p) => [p.name, p.default]));
}
