/** Tests of the SMTP sink itself: MIME decoding, restart on the same port, the 250 window. */
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage, startSmtpSink, type SmtpSink } from './smtp-sink';

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});

function client(s: SmtpSink) {
  return nodemailer.createTransport({ url: s.url, logger: false });
}

describe('smtp-sink', () => {
  it('decodes what nodemailer writes: encoded subject, quoted-printable and base64 parts', async () => {
    sink = await startSmtpSink();
    const mail = client(sink);
    const text = `Zoë – ${'long line '.repeat(30)}\nsecond line ✓`;
    await mail.sendMail({
      from: 'Hope Clinic <noreply@clinic.example>',
      to: 'jane@example.org',
      subject: 'Miadi imethibitishwa – Ngũgĩ ✓',
      text,
      html: '<p>✓ 😀</p>',
      messageId: '<abc@clinic.example>',
      textEncoding: 'base64',
    });
    await mail.sendMail({
      from: 'noreply@clinic.example',
      to: ['a@example.org', 'b@example.org'],
      subject: 'plain',
      text,
      textEncoding: 'quoted-printable',
    });
    mail.close();
    const [first, second] = sink.messages;
    expect(first).toMatchObject({
      messageId: '<abc@clinic.example>',
      to: 'jane@example.org',
      from: 'noreply@clinic.example',
      subject: 'Miadi imethibitishwa – Ngũgĩ ✓',
      html: '<p>✓ 😀</p>',
    });
    expect(first!.text.replace(/\r\n/g, '\n')).toBe(text);
    expect(second!.recipients).toEqual(['a@example.org', 'b@example.org']);
    expect(second!.text.replace(/\r\n/g, '\n')).toBe(text);
    expect(second!.html).toBe('');
  });

  it('parses a hand-written message', () => {
    const raw = Buffer.from(
      [
        'Message-ID: <x@y>',
        'Subject: =?UTF-8?Q?caf=C3=A9?= =?UTF-8?B?IOKckw==?=',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'soft=',
        'break =E2=9C=93',
      ].join('\r\n'),
    );
    expect(parseMessage(raw)).toMatchObject({
      messageId: '<x@y>',
      subject: 'café ✓',
      text: 'softbreak ✓',
    });
  });

  it('restarts on the same port, keeping what it received', async () => {
    sink = await startSmtpSink();
    const port = sink.port;
    const mail = client(sink);
    await mail.sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'one', text: '1' });
    await sink.stop();
    expect(sink.running).toBe(false);
    await expect(
      mail.sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'lost', text: '2' }),
    ).rejects.toThrow(/ECONNREFUSED/);
    await sink.start();
    expect(sink.port).toBe(port);
    await mail.sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'two', text: '3' });
    mail.close();
    expect(sink.messages.map((m) => m.subject)).toEqual(['one', 'two']);
  });

  it('runs onMessage before answering, and answers 451 when it throws', async () => {
    sink = await startSmtpSink();
    const mail = client(sink);
    sink.onMessage = () => {
      throw new Error('boom');
    };
    await expect(
      mail.sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'x', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 451 });
    // Stored before the hook ran, as a server that crashed before its 250 may have.
    expect(sink.messages).toHaveLength(1);
    mail.close();
  });

  it('waitFor resolves on a later message and rejects at its timeout', async () => {
    sink = await startSmtpSink();
    const waiting = sink.waitFor((m) => m.subject === 'later', 5_000);
    const mail = client(sink);
    await mail.sendMail({ from: 'a@b.example', to: 'c@d.example', subject: 'later', text: 'x' });
    mail.close();
    await expect(waiting).resolves.toMatchObject({ subject: 'later' });
    await expect(sink.waitFor((m) => m.subject === 'never', 50)).rejects.toThrow(/within 50 ms/);
  });
});
