import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('logger redaction', () => {
  it('censors names, contacts, reasons, passwords and tokens at any of the first three levels', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        first_name: 'Amina',
        patient: { last_name: 'Odhiambo', phone_number: '+254700000001', email: 'a@b.example' },
        body: { nested: { password: 'hunter22', reason: 'HIV follow-up' } },
        authorization: 'Bearer abc.def.ghi',
        err: { message: 'duplicate key', detail: 'Key (patient_id)=(MRN-42) already exists.' },
        path: '/api/v1/appointments/0190a000-0000-7000-8000-000000000000',
      },
      'request',
    );
    const text = lines.join('');
    for (const secret of [
      'Amina',
      'Odhiambo',
      '+254700000001',
      'a@b.example',
      'hunter22',
      'HIV',
      'abc.def.ghi',
      'MRN-42',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('/api/v1/appointments/0190a000'); // ids are not personal data
  });
});
