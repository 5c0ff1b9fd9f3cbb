import type { Caller, Role } from '@opsgraph/core';

/** A person with one role at the given sites: the fixtures tests act as. */
export function person(id: string, role: Role | Role[], sites: string[] = ['*'], company?: string): Caller {
  return { id, name: id, roles: Array.isArray(role) ? role : [role], sites, company };
}

export const people = {
  admin: person('00000000-0000-4000-8000-000000000001', 'administrator'),
  supervisor: person('00000000-0000-4000-8000-000000000002', 'supervisor'),
  technician: person('00000000-0000-4000-8000-000000000003', 'technician'),
  verifier: person('00000000-0000-4000-8000-000000000004', 'verifier'),
  operator: person('00000000-0000-4000-8000-000000000005', 'operator'),
  technician2: person('00000000-0000-4000-8000-000000000006', 'technician'),
};
