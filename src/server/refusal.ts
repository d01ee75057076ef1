import { valueAt } from '../core/value-path.ts';

/** The parts of a zod issue a refusal is told from (zod's own type is internal to its `core`). */
export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  values?: unknown[];
}

/**
 * Why an action's request was refused, in the words of the person who filled the form: `last name is
 * required`, not zod's `last_name: Invalid input: expected string, received undefined` (the page leaves an
 * empty field out of the body). Field names are said as words; a schema message that starts with `is` or
 * `must` continues the field's name (`first name must be at most 100 characters`).
 */
export function refusal(body: unknown, issue: Issue | undefined): string {
  if (!issue) return 'the request does not fit';
  const field = issue.path.map(String).join(' ').replaceAll('_', ' ');
  if (field === '') return issue.message;
  if (issue.code === 'invalid_type') {
    if (valueAt(body, issue.path) === undefined) return `${field} is required`;
    return `${field} must be ${issue.expected === 'string' ? 'text' : (issue.expected ?? 'something else')}`;
  }
  if (issue.code === 'invalid_value' && issue.values) return `${field} must be one of ${issue.values.join(', ')}`;
  return /^(is|must)\b/.test(issue.message) ? `${field} ${issue.message}` : `${field}: ${issue.message}`;
}
