import type { Service } from '../config/schema';

/** A service's check's id in the incident book: `chat-web:http`, or `chat-web:http:1` where it has two of a type. */
export function serviceCheckId(service: Service, index: number): string {
  const check = service.checks[index];
  if (!check) throw new Error(`${service.name} has no check ${index}`);
  const sameType = service.checks.filter((x) => x.type === check.type).length;
  return `${service.name}:${check.type}${sameType > 1 ? `:${index}` : ''}`;
}

/** The id of a service's first HTTP check, the one its response time is charted from. */
export function httpCheckIdOf(service: Service): string | undefined {
  const index = service.checks.findIndex((c) => c.type === 'http');
  return index < 0 ? undefined : serviceCheckId(service, index);
}

/** Whether an incident book id is a service's HTTP check (`chat-web:http`, `chat-web:http:1`), read by the format above. */
export function isHttpCheckId(checkId: string): boolean {
  return checkId.split(':')[1] === 'http';
}
