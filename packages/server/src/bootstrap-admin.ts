/**
 * Creates the first admin account on first start. Later starts with the same flags
 * change nothing (the password is not reset), so the flags are harmless to repeat.
 */
import { hashPassword } from '@clinic/auth';
import type { DirectoryService } from '@clinic/core';

export async function ensureAdmin(
  directory: DirectoryService,
  username: string,
  password: string,
): Promise<'created' | 'exists'> {
  if (await directory.users.findByUsername(username)) return 'exists';
  await directory.users.create({
    username,
    password_hash: await hashPassword(password),
    role: 'admin',
    user_type: 'admin',
    first_name: 'Admin',
    last_name: '',
    email: '',
    phone_number: '',
    facilities: [],
    is_active: true,
  });
  return 'created';
}
