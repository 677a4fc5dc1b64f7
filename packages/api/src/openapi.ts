/**
 * OpenAPI 3.1 built from the same zod schemas that validate requests. Each route
 * registers its operation next to its handler; `document()` assembles the spec.
 */
import { z } from 'zod';
import { detailBody, fieldErrorsBody } from './contracts/common';

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono-style path (`/api/v1/appointments/:id`); converted to `{id}`. */
  path: string;
  summary: string;
  tag: string;
  /** Whether a bearer token is required (default true). */
  auth?: boolean;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Status -> description and optional body schema. Standard errors are added for you. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

/**
 * JSON Schema of one zod schema. Named schemas (`.meta({id})`) come out as `$defs`; they
 * are moved to `components.schemas` and the references rewritten to point there.
 */
function toJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, unknown>,
): Record<string, unknown> {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  const rewritten = JSON.parse(
    JSON.stringify(raw).replaceAll('"#/$defs/', '"#/components/schemas/'),
  ) as Record<string, unknown>;
  const { $schema: _dialect, $defs: defs, ...rest } = rewritten;
  for (const [name, def] of Object.entries((defs ?? {}) as Record<string, unknown>)) {
    components[name] ??= def;
  }
  return rest;
}

export class ApiDocs {
  private readonly operations: Operation[] = [];

  add(op: Operation): void {
    this.operations.push(op);
  }

  document(info: { title: string; version: string; description: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    const schemas: Record<string, unknown> = {};
    for (const op of this.operations) {
      const params: unknown[] = [];
      const openPath = op.path.replace(/:(\w+)(\{[^}]*\})?/g, (_m, name: string) => {
        params.push({
          name,
          in: 'path',
          required: true,
          schema: { type: 'string', format: 'uuid' },
        });
        return `{${name}}`;
      });
      if (op.query) {
        const shape = op.query.shape as Record<string, z.ZodType>;
        for (const [name, schema] of Object.entries(shape)) {
          params.push({
            name,
            in: 'query',
            required: false,
            schema: toJsonSchema(schema, 'input', schemas),
          });
        }
      }
      const responses: Record<string, unknown> = {};
      const withErrors: Operation['responses'] = { ...op.responses };
      if (op.auth !== false) {
        withErrors[401] = { description: 'Missing, invalid or expired token', schema: detailBody };
        withErrors[403] = { description: 'Role not allowed', schema: detailBody };
      }
      if (op.body || op.query)
        withErrors[400] ??= { description: 'Invalid input', schema: fieldErrorsBody };
      for (const [status, r] of Object.entries(withErrors)) {
        responses[status] = r.schema
          ? {
              description: r.description,
              content: {
                'application/json': { schema: toJsonSchema(r.schema, 'output', schemas) },
              },
            }
          : { description: r.description };
      }
      (paths[openPath] ??= {})[op.method] = {
        summary: op.summary,
        tags: [op.tag],
        operationId: `${op.method}_${openPath.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        ...(op.auth === false ? { security: [] } : {}),
        ...(params.length > 0 ? { parameters: params } : {}),
        ...(op.body
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': { schema: toJsonSchema(op.body, 'input', schemas) },
                },
              },
            }
          : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      info,
      servers: [{ url: '/' }],
      components: {
        schemas,
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearer: [] }],
      paths,
    };
  }
}
